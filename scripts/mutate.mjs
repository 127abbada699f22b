// npm run mutate [-- PART...]: StrykerJS over src/, one part at a time, then docs/mutation.md.
// Each part keeps its results in mutation/<part>.json.gz (committed): Stryker's
// incremental file, so a run in any clone, even a fresh one, tests only the
// mutants of code or tests that changed since, and a long run stopped midway
// keeps the parts it finished. Stryker reads and writes the file uncompressed
// under reports/mutation/ (ignored); this script moves it in and out.
// Parts: those of PARTS below, which together are all of src/ (the default), or
// any file or glob of src/, or several joined by commas (its part is named after
// it, e.g. lock-state for src/lock.ts,src/state.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const RESULTS = path.join(ROOT, 'mutation');
const WORK = path.join(ROOT, 'reports/mutation');
// The test workers keep src/'s modules loaded between runs (vitest.mutation.config.ts,
// isolate: false), which halves a run. Two modules keep what their own code computed
// in a module-level cache that would outlive the mutant that computed it: they are
// their own part, run with a fresh module graph for every test file.
const CACHING = ['src/formats/restic-patterns.ts', 'src/lazy.ts'];
// Parts of a few hundred mutants each (under an hour each here): Stryker writes a part's results only when the
// part ends, so a run stopped midway loses only the part under way.
const files = (dir, names) => names.map((name) => `src/${dir}${name}.ts`).join(',');
const PARTS = {
  formats: 'src/formats/**/*.ts,!src/formats/restic-patterns.ts',
  restore: 'src/restore/**/*.ts',
  emitters: 'src/emitters/*.ts',
  // The job and its scripts are covered by the real backup runs (useradd, restic, sqlite3):
  // about 10 s a mutant, so they are a part of their own.
  'emitters-backup': 'src/emitters/backup/**/*.ts,!src/emitters/backup/job.ts,!src/emitters/backup/scripts.ts',
  'emitters-backup-job': files('emitters/backup/', ['job', 'scripts']),
  declarations: files('declarations/', ['schema', 'validate', 'value-formats', 'checks', 'reserved', 'unit-policy', 'suggest', 'json-schema']),
  // The OnCalendar= reader came after the first run of `declarations`: a part of its own, so that
  // adding it did not send the rest of that part (unchanged since) through StrykerJS again.
  'declarations-calendar': files('declarations/', ['calendar']),
  'declarations-reading': files('declarations/', ['load', 'yaml-events', 'toml-positions', 'tree']),
  'declarations-resolving': files('declarations/', ['discover', 'merge', 'placeholders', 'reference', 'resolve']),
  'core-apply': files('', ['apply', 'activation', 'health', 'rollback', 'pending', 'progress']),
  'core-host': files('', ['lock', 'state', 'host-checks', 'doctor', 'doctor-files', 'doctor-backups']),
  'core-cli': files('', ['cli', 'main', 'report', 'pipeline', 'diagnostics', 'model']),
  'core-write': files('', ['plan', 'write', 'fs', 'fingerprint']),
  cached: CACHING.join(','),
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

fs.mkdirSync(RESULTS, { recursive: true });
fs.mkdirSync(WORK, { recursive: true });
let failed = false;
for (const part of names.length ? names : Object.keys(PARTS)) {
  const kept = path.join(RESULTS, `${part}.json.gz`);
  const incremental = path.join(WORK, `${part}.incremental.json`);
  if (fs.existsSync(kept)) fs.writeFileSync(incremental, zlib.gunzipSync(fs.readFileSync(kept)));
  const isolate = PARTS[part].split(',').some((glob) => CACHING.includes(glob));
  console.log(`== stryker: ${part} (${PARTS[part]})${isolate ? ', a fresh module graph per test file' : ''}`);
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', '--mutate', PARTS[part]], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ATELIER_MUTATE_PART: part, ATELIER_MUTATE_ISOLATE: isolate ? '1' : '0' },
  });
  if (r.status !== 0) {
    console.error(`stryker: ${part} failed (status ${r.status}); the other parts go on`);
    failed = true;
    continue;
  }
  // Stryker's incremental file holds absolute paths of this clone; results are kept without them.
  const result = JSON.parse(fs.readFileSync(incremental, 'utf8'));
  delete result.projectRoot;
  result.atelierRunAt = new Date().toISOString();
  fs.writeFileSync(kept, zlib.gzipSync(JSON.stringify(result), { level: 9 }));
}
const report = spawnSync(process.execPath, [path.join(ROOT, 'scripts/mutation-report.mjs')], { cwd: ROOT, stdio: 'inherit' });
process.exit(failed || report.status !== 0 ? 1 : 0);
