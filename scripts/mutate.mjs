// npm run mutate [-- PART...]: StrykerJS over src/, one part at a time (each its
// own report and incremental file under reports/mutation/, so a long run that is
// stopped keeps the parts it finished), then docs/mutation.md.
// Parts: formats declarations emitters restore core (src/*.ts), or any file or
// glob of src/, or several joined by commas (its part is named after it, e.g.
// lock-state for src/lock.ts,src/state.ts).
// Default: the five folders, which is all of src/.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const PARTS = {
  formats: 'src/formats/**/*.ts',
  declarations: 'src/declarations/**/*.ts',
  emitters: 'src/emitters/**/*.ts',
  restore: 'src/restore/**/*.ts',
  core: 'src/*.ts',
};
const asked = process.argv.slice(2);
for (const part of asked) {
  if (part in PARTS) continue;
  if (!part.startsWith('src/')) {
    console.error(`unknown part ${part}: one of ${Object.keys(PARTS).join(', ')}, or a file or glob under src/`);
    process.exit(2);
  }
  PARTS[part.split(',').map((p) => p.replace(/^src\//, '').replace(/\.ts$/, '')).join('-').replace(/[^a-z0-9]+/gi, '-').toLowerCase()] = part;
}
const names = asked.map((part) => (part in PARTS ? part : Object.keys(PARTS).find((name) => PARTS[name] === part)));
let failed = false;
for (const part of names.length ? names : ['formats', 'declarations', 'emitters', 'restore', 'core']) {
  console.log(`== stryker: ${part} (${PARTS[part]})`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', '--mutate', PARTS[part]], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ATELIER_MUTATE_PART: part } });
  if (r.status !== 0) {
    console.error(`stryker: ${part} failed (status ${r.status}); the other parts go on`);
    failed = true;
  }
}
const report = spawnSync(process.execPath, [path.join(ROOT, 'scripts/mutation-report.mjs')], { cwd: ROOT, stdio: 'inherit' });
process.exit(failed || report.status !== 0 ? 1 : 0);
