// npm run bench [-- --write] [--runs N] [--sizes 1,100,1000,10000]
// Whole-process timings of the bundled CLI on synthetic fleets, against the
// floor (`node -e 0`) and a peer doing the nearest job (`foreman export systemd`).
// With --write, the table goes to docs/benchmarks.md.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const RUNS = Number(option('--runs', '5'));
const SIZES = option('--sizes', '1,100,1000,10000').split(',').map(Number);
const WRITE = args.includes('--write');
const CLI = path.join(ROOT, 'bin/atelier-emit.js');

execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-bench-'));

/** A realistic mix: a third each bun/node/custom, SQLite on half, PostgreSQL on some, rate limits, extra options. */
function declarations(n) {
  const lines = ['host:', '  caddy:', '    trustedProxies: [173.245.48.0/20]', 'services:'];
  for (let i = 0; i < n; i++) {
    const runtime = ['bun', 'node', 'custom'][i % 3];
    lines.push(`  app${i}:`, `    description: Synthetic app ${i}`, `    runtime: ${runtime}`, '    enable: true', `    domain: app${i}.example.com`, `    port: ${10000 + i}`);
    if (runtime === 'custom') lines.push('    startCommand: ./bin/server --port ${port}');
    if (i % 4 === 0) lines.push('    extraOptions:', '      metricsPort: {type: port, default: 9100}', `    metricsPort: ${30000 + i}`);
    lines.push('    environment:', '      ORIGIN: https://${domain}', '      DATABASE_PATH: ${dataDir}/data/app.db');
    if (i % 2 === 0) lines.push('    data:', '      sqlite: ${dataDir}/data/app.db');
    else if (i % 5 === 1) lines.push('    data:', `      postgres: app${i}`);
    if (i % 3 === 0) lines.push('    caddy:', '      rateLimit:', '        enable: true', '        routes:', '          - {path: /auth/*, events: 10, window: 1m}');
  }
  return `${lines.join('\n')}\n`;
}

function procfile(n) {
  return Array.from({ length: n }, (_, i) => `app${i}: bun run src/index.ts --port ${10000 + i}`).join('\n') + '\n';
}

/** Wall time (ms) and peak RSS (KB) of one process, via GNU time. */
function measure(argv, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const lines = r.stderr.trim().split('\n');
  const profile = lines.find((l) => l.startsWith('atelier-emit-profile '));
  return { ms, rssKb: Number(lines.at(-1)), phases: profile ? JSON.parse(profile.slice('atelier-emit-profile '.length)).phases : {} };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function hasForeman() {
  return spawnSync('foreman', ['version'], { encoding: 'utf8' }).status === 0;
}

const floor = median(Array.from({ length: RUNS }, () => measure([process.execPath, '-e', '0']).ms));
const peerAvailable = hasForeman();
const rows = [];
for (const n of SIZES) {
  const dir = path.join(work, `n${n}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'atelier.yaml'), declarations(n));
  fs.writeFileSync(path.join(dir, 'Procfile'), procfile(n));
  const first = [];
  const second = [];
  for (let r = 0; r < RUNS; r++) {
    const out = path.join(dir, `out${r}`);
    const argv = [process.execPath, CLI, '--config', path.join(dir, 'atelier.yaml'), '--out', out, '--json'];
    first.push(measure(argv, { ATELIER_EMIT_PROFILE: '1' }));
    second.push(measure(argv, { ATELIER_EMIT_PROFILE: '1' }));
    fs.rmSync(out, { recursive: true, force: true });
  }
  let peer = null;
  if (peerAvailable) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      const out = path.join(dir, `foreman${r}`);
      runs.push(measure(['foreman', 'export', 'systemd', out, '-f', path.join(dir, 'Procfile'), '-a', 'bench', '-u', 'nobody', '-d', dir]).ms);
      fs.rmSync(out, { recursive: true, force: true });
    }
    peer = median(runs);
  }
  const phaseNames = ['load', 'validate', 'render', 'plan', 'write'];
  const phases = Object.fromEntries(phaseNames.map((p) => [p, median(first.map((m) => m.phases[p] ?? 0))]));
  rows.push({
    n,
    first: median(first.map((m) => m.ms)),
    second: median(second.map((m) => m.ms)),
    rssMb: Math.max(...first.map((m) => m.rssKb)) / 1024,
    phases,
    peer,
  });
  console.error(`N=${n} done`);
}
fs.rmSync(work, { recursive: true, force: true });

const table = [
  `Floor \`node -e 0\`: ${fmt(floor)} (median of ${RUNS}). Peer: ${peerAvailable ? '`foreman export systemd` (Debian ruby-foreman) on a Procfile with N processes' : 'foreman not installed (apt install ruby-foreman)'}.`,
  '',
  '| N services | first run | × floor | second run (unchanged) | peak RSS | load | validate | render | plan | write | foreman export | ours ÷ foreman |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) =>
    [
      r.n.toLocaleString('en'),
      fmt(r.first),
      `${(r.first / floor).toFixed(2)}×`,
      fmt(r.second),
      `${r.rssMb.toFixed(0)} MB`,
      ...['load', 'validate', 'render', 'plan', 'write'].map((p) => fmt(r.phases[p])),
      r.peer === null ? 'n/a' : fmt(r.peer),
      r.peer === null ? 'n/a' : `${(r.first / r.peer).toFixed(2)}`,
    ].join(' | ').replace(/^/, '| ').replace(/$/, ' |'),
  ),
];
const big = rows.find((r) => r.n === 10000);
const thousand = rows.find((r) => r.n === 1000);
if (big && thousand) table.push('', `Growth 1,000 → 10,000: ${(big.first / thousand.first).toFixed(1)}× (bar: ≤ 12×).`);
const text = table.join('\n');
console.log(text);
if (WRITE) {
  const doc = `# Benchmarks\n\nMeasured on this project's machine (2 cores, Debian 12, Node ${process.version}) with:\n\n\`\`\`sh\nnpm run bench -- --write\n\`\`\`\n\nEach figure is the median of ${RUNS} whole-process runs of the bundled CLI (\`bin/atelier-emit.js\`) writing into a fresh temporary folder; "second run" runs again over the tree the first one wrote (nothing changes). Phase times come from \`ATELIER_EMIT_PROFILE=1\`; peak RSS from GNU time.\n\n${text}\n`;
  fs.writeFileSync(path.join(ROOT, 'docs/benchmarks.md'), doc);
}
