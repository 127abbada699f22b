// A CPU profile of one CLI run, its self time summed by the source module each
// sample fell in. The run uses an unminified build of the same sources, whose
// `// src/…` and `// node_modules/…` comments mark where each module begins.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export function profileByModule(root, work, [config, out]) {
  // Inside the checkout, so that the lazy dependencies (src/lazy.ts) resolve from node_modules, as the sources do.
  const bundle = path.join(root, 'node_modules/.cache/atelier-profile/profile-bundle.mjs');
  const build = `import { build } from 'esbuild';
await build({ entryPoints: [${JSON.stringify(path.join(root, 'src/main.ts'))}], bundle: true, platform: 'node', target: 'node18', format: 'esm', outfile: ${JSON.stringify(bundle)}, define: { __VERSION__: '"profile"' }, banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }, logLevel: 'error' });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', build], { cwd: root, stdio: 'inherit' });
  const profDir = path.join(work, 'cpu-profile');
  execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, bundle, '--config', config, '--out', out, '--dry-run'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, fs.readdirSync(profDir)[0]), 'utf8'));
  const starts = moduleStarts(fs.readFileSync(bundle, 'utf8'));
  const moduleOf = (frame) => {
    if (frame.url.endsWith('profile-bundle.mjs')) return starts.findLast((s) => s.line <= frame.lineNumber)?.name ?? 'bundle set-up';
    if (frame.functionName === '(garbage collector)') return 'garbage collector';
    return 'Node and V8 (start-up, compiling the bundle, file system, hashing, output)';
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map();
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const name = node.callFrame.functionName === '(idle)' ? null : moduleOf(node.callFrame);
    if (name) totals.set(name, (totals.get(name) ?? 0) + profile.timeDeltas[i] / 1000);
  });
  const total = [...totals.values()].reduce((a, b) => a + b, 0);
  const rows = [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  // The long tail in one row: the table says where the time goes, not every file.
  const shown = rows.filter((r) => r.ms >= total * 0.01);
  const rest = rows.filter((r) => r.ms < total * 0.01).reduce((a, r) => a + r.ms, 0);
  return { total, rows: rest > 0 ? [...shown, { name: `${rows.length - shown.length} other modules, each under 1 %`, ms: rest }] : shown };
}

function moduleStarts(text) {
  const starts = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(line);
    if (m) starts.push({ line: i, name: m[1].startsWith('node_modules/') ? `${packageOf(m[1])} (dependency)` : m[1] });
  });
  return starts;
}

const packageOf = (p) => {
  const parts = p.split('/');
  return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
};
