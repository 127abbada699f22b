// npm run bench [-- --write] [--runs N] [--sizes 1,100,1000,10000]
// Whole-process timings of the bundled CLI on synthetic fleets, against the
// floor (`node -e 0`), a bare durable-write loop (scripts/bench-bare-write.mjs)
// and a peer doing the nearest job (`foreman export systemd`, when installed);
// then a CPU profile of the 1,000-service dry run, by source module.
// With --write, the tables go to docs/benchmarks.md (between its markers).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileByModule } from './lib/profile.mjs';

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
const BARE = path.join(ROOT, 'scripts/bench-bare-write.mjs');
const SEED = path.join(ROOT, 'fixtures/seed/atelier.yaml');

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
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
const hasForeman = () => spawnSync('foreman', ['version'], { encoding: 'utf8' }).status === 0;
const cli = (config, out, ...flags) => [process.execPath, CLI, '--config', config, '--out', out, ...flags];

// Each round runs every measured command once, in the same minute: ratios compare like with like on a busy machine.
const floorRuns = [];
const seedRuns = { write: [], dryRun: [] };
for (let r = 0; r < RUNS; r++) {
  floorRuns.push(measure([process.execPath, '-e', '0']).ms);
  const out = path.join(work, `seed${r}`);
  seedRuns.dryRun.push(measure(cli(SEED, out, '--dry-run')).ms);
  seedRuns.write.push(measure(cli(SEED, out, '--json')).ms);
  fs.rmSync(out, { recursive: true, force: true });
}
const floor = median(floorRuns);
const seed = { write: median(seedRuns.write), dryRun: median(seedRuns.dryRun) };

const peerAvailable = hasForeman();
const rows = [];
for (const n of SIZES) {
  const dir = path.join(work, `n${n}`);
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'atelier.yaml');
  fs.writeFileSync(config, declarations(n));
  fs.writeFileSync(path.join(dir, 'Procfile'), procfile(n));
  const dry = [];
  const first = [];
  const second = [];
  const bare = [];
  for (let r = 0; r < RUNS; r++) {
    const out = path.join(dir, `out${r}`);
    dry.push(measure(cli(config, out, '--dry-run'), { ATELIER_EMIT_PROFILE: '1' }));
    first.push(measure(cli(config, out, '--json'), { ATELIER_EMIT_PROFILE: '1' }));
    second.push(measure(cli(config, out, '--json'), { ATELIER_EMIT_PROFILE: '1' }));
    // The same files (paths, sizes, modes) with the same durability, by a loop that does nothing else.
    const bareOut = path.join(dir, `bare${r}`);
    const shape = path.join(dir, `shape${r}.json`);
    execFileSync(process.execPath, [BARE, '--from', out, '--save-shape', shape], { stdio: 'ignore' });
    bare.push(measure([process.execPath, BARE, '--shape', shape, '--to', bareOut]).ms);
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(bareOut, { recursive: true, force: true });
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
  const phasesOf = (ms) => Object.fromEntries(phaseNames.map((p) => [p, median(ms.map((m) => m.phases[p] ?? 0))]));
  rows.push({
    n,
    dry: median(dry.map((m) => m.ms)),
    first: median(first.map((m) => m.ms)),
    second: median(second.map((m) => m.ms)),
    bare: median(bare),
    rssMb: Math.max(...[...first, ...second].map((m) => m.rssKb)) / 1024,
    phases: phasesOf(first),
    secondPhases: phasesOf(second),
    peer,
  });
  console.error(`N=${n} done`);
}

// Where a dry run of 1,000 services spends its time, by source module.
const profileConfig = path.join(work, 'profile.yaml');
fs.writeFileSync(profileConfig, declarations(1000));
const profile = profileByModule(ROOT, work, [profileConfig, path.join(work, 'profile-out')]);
fs.rmSync(work, { recursive: true, force: true });

const row = (cells) => `| ${cells.join(' | ')} |`;
const byN = (n) => rows.find((r) => r.n === n);
const targets = [];
const target = (name, met, figure) => targets.push(`- ${met === null ? '(not measured)' : met ? '**met**' : '**not met**'}: ${name}: ${figure}`);
const r1000 = byN(1000);
const r10000 = byN(10000);
target('`--dry-run` of 1,000 services ≤ 0.4 s', r1000 ? r1000.dry <= 400 : null, r1000 ? fmt(r1000.dry) : 'n/a');
target('a write of 1,000 services ≤ 1.2× the bare durable-write loop', r1000 ? r1000.first <= 1.2 * r1000.bare : null, r1000 ? `${ratio(r1000.first, r1000.bare)} (${fmt(r1000.first)} against ${fmt(r1000.bare)})` : 'n/a');
target('a second run over an unchanged tree of 10,000 services ≤ 2 s', r10000 ? r10000.second <= 2000 : null, r10000 ? fmt(r10000.second) : 'n/a');
target('the seed example ≤ 1.5× `node -e 0`', seed.write <= 1.5 * floor, `${ratio(seed.write, floor)} (${fmt(seed.write)} against ${fmt(floor)}; its dry run ${ratio(seed.dryRun, floor)})`);
target('peak memory at 10,000 services ≤ 512 MB', r10000 ? r10000.rssMb <= 512 : null, r10000 ? `${r10000.rssMb.toFixed(0)} MB` : 'n/a');

const table = [
  `Floor \`node -e 0\`: ${fmt(floor)}. Seed example (\`fixtures/seed/atelier.yaml\`, one service) into an empty folder: ${fmt(seed.write)} (${ratio(seed.write, floor)} the floor); its dry run ${fmt(seed.dryRun)} (${ratio(seed.dryRun, floor)}). Medians of ${RUNS}.`,
  '',
  row(['N services', 'dry run', 'first run (write)', 'bare write loop', 'write ÷ bare', 'second run (unchanged)', 'peak RSS', 'load', 'validate', 'render', 'plan', 'write', 'foreman export']),
  row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ...rows.map((r) =>
    row([
      r.n.toLocaleString('en'),
      fmt(r.dry),
      fmt(r.first),
      fmt(r.bare),
      ratio(r.first, r.bare),
      fmt(r.second),
      `${r.rssMb.toFixed(0)} MB`,
      ...['load', 'validate', 'render', 'plan', 'write'].map((p) => fmt(r.phases[p])),
      r.peer === null ? 'n/a' : fmt(r.peer),
    ]),
  ),
  '',
  'Phases are those of the first run (a write); the second run over the unchanged tree spends, at the largest N:',
  ...(rows.length > 0 ? [`${Object.entries(rows.at(-1).secondPhases).map(([p, ms]) => `${p} ${fmt(ms)}`).join(', ')}.`] : []),
  '',
  '### Targets (issue 19)',
  '',
  ...targets,
  '',
  '### Where a dry run of 1,000 services spends its CPU time',
  '',
  `One run of \`--dry-run\` with \`node --cpu-prof\` on an unminified build of the same sources (the module of each sample is known); self time by module, ${fmt(profile.total)} sampled in all:`,
  '',
  row(['where', 'self time', 'share']),
  row(['---', '---:', '---:']),
  ...profile.rows.map((p) => row([p.name, fmt(p.ms), `${((p.ms / profile.total) * 100).toFixed(1)} %`])),
];
const text = table.join('\n');
console.log(text);
if (WRITE) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const doc = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (!doc.includes(start) || !doc.includes(end)) throw new Error(`docs/benchmarks.md has no ${start} … ${end} markers`);
  const stamp = `Measured ${new Date().toISOString().slice(0, 10)} on this project's machine (${os.cpus().length} cores, Node ${process.version}), while the machine was otherwise ${os.loadavg()[0] < 0.5 ? 'idle' : `loaded (load average ${os.loadavg()[0].toFixed(1)} at the end)`}.`;
  fs.writeFileSync(file, `${doc.slice(0, doc.indexOf(start) + start.length)}\n${stamp}\n\n${text}\n${doc.slice(doc.indexOf(end))}`);
}
