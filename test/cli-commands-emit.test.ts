// The emit run's own output, beyond the plan: each --apply step as it runs (stdout
// for text, stderr beside a JSON report), health checks and their journal, the
// rollback's outcome, the --check summary, colour only on a terminal and never
// in --out-file, the JSON report's contents and errors, standard input read only
// for --config -, the phase timings (ATELIER_EMIT_PROFILE, and long phases on a terminal).
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { main, type Io } from '../src/cli.js';
import { instantHealth, runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';
import { FakeSystemd } from './support/fake-systemd.js';

const ROOT = path.resolve(__dirname, '..');
const SEED = nodeFs.readFileSync(path.join(ROOT, 'fixtures/seed/atelier.yaml'), 'utf8');
const temp = tempDirs();

/** `main` with an Io that runCli does not offer (a terminal on stdout, no stdin, a counted stdin). */
async function mainWith(argv: string[], over: Partial<Io>) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: ROOT,
    env: {},
    isTTY: false,
    fs: nodeFs,
    runner: async (command) => ({ command, code: 0, output: '' }),
    health: instantHealth(),
    ...over,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** A declarations folder holding `text` as atelier.yaml, and an empty output folder. */
function project(text = SEED) {
  const decl = temp('decl');
  nodeFs.writeFileSync(path.join(decl, 'atelier.yaml'), text);
  return { decl, out: temp('out'), declare: (t: string) => nodeFs.writeFileSync(path.join(decl, 'atelier.yaml'), t) };
}

describe('--apply: each step as it runs', () => {
  /** FakeSystemd, with what systemd-sysusers prints when it creates a user. */
  function chatty(systemd: FakeSystemd): CommandRunner {
    return async (argv) => {
      const r = await systemd.runner(argv);
      return argv[0] === 'systemd-sysusers' && r.code === 0 ? { ...r, output: "Creating group 'myapp' with GID 990.\n" } : r;
    };
  }

  it('text: "ran:" per step on stdout, before the plan; a failed step with its output on a line of its own', async () => {
    const { decl, out } = project();
    const systemd = new FakeSystemd();
    systemd.failing.push('systemctl daemon-reload');
    const r = await runCli(['--config', decl, '--out', out, '--apply'], { cwd: ROOT, runner: chatty(systemd) });
    expect(r.code).toBe(3);
    expect(r.stdout.split('\n').slice(0, 6)).toEqual([
      `ran: systemd-sysusers ${out}/sysusers.d/atelier-myapp.conf`,
      `ran: systemd-tmpfiles --create ${out}/tmpfiles.d/atelier-myapp.conf`,
      'FAILED: systemctl daemon-reload',
      'boom',
      'host actions on --apply:',
      '  systemctl daemon-reload',
    ]);
    expect(r.stderr).toBe('activation failed at: systemctl daemon-reload (exit 1); later steps were not run.\n');
  });

  it('--json: the steps go to stderr, stdout is the report alone, with the steps and the one that failed', async () => {
    const { decl, out } = project();
    const systemd = new FakeSystemd();
    systemd.failing.push('systemctl daemon-reload');
    const r = await runCli(['--config', decl, '--out', out, '--apply', '--json'], { cwd: ROOT, runner: chatty(systemd) });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      [
        `ran: systemd-sysusers ${out}/sysusers.d/atelier-myapp.conf`,
        `ran: systemd-tmpfiles --create ${out}/tmpfiles.d/atelier-myapp.conf`,
        'FAILED: systemctl daemon-reload',
        'boom',
        'activation failed at: systemctl daemon-reload (exit 1); later steps were not run.',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(r.stdout).apply).toEqual({
      steps: [
        { command: ['systemd-sysusers', `${out}/sysusers.d/atelier-myapp.conf`], code: 0 },
        { command: ['systemd-tmpfiles', '--create', `${out}/tmpfiles.d/atelier-myapp.conf`], code: 0 },
        { command: ['systemctl', 'daemon-reload'], code: 1 },
      ],
      failed: ['systemctl', 'daemon-reload'],
    });
  });

  it('--json after an activation that went well: the steps, nothing failed, unhealthy or rolled back', async () => {
    const { decl, out } = project();
    const r = await runCli(['--config', decl, '--out', out, '--apply', '--json'], { cwd: ROOT, runner: new FakeSystemd().runner });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).apply).toEqual({
      steps: [
        { command: ['systemd-sysusers', `${out}/sysusers.d/atelier-myapp.conf`], code: 0 },
        { command: ['systemd-tmpfiles', '--create', `${out}/tmpfiles.d/atelier-myapp.conf`], code: 0 },
        { command: ['systemctl', 'daemon-reload'], code: 0 },
        { command: ['systemctl', 'enable', '--now', 'atelier-backup-myapp.timer', 'atelier-check.timer', 'atelier-prune.timer', 'caddy.service', 'myapp.service'], code: 0 },
      ],
    });
  });
});

describe('--apply: health checks', () => {
  it('--health-timeout 0 checks nothing: a healthUrl answering 503 is not asked, exit 0', async () => {
    const { decl, out } = project();
    const asked: string[] = [];
    const r = await runCli(['--config', decl, '--out', out, '--apply', '--health-timeout', '0'], { cwd: ROOT, runner: new FakeSystemd().runner, health: instantHealth(async (url) => (asked.push(url), 503)) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(asked).toEqual([]);
  });

  it('a service without a healthUrl is watched a few seconds, not the whole --health-timeout: a crash a minute later is not this run\'s', async () => {
    const { decl, out } = project(SEED.replace(/^ {4}healthUrl: .*\n/m, ''));
    const systemd = new FakeSystemd();
    // A clock that moves only when the health check sleeps; myapp crashes and restarts 10 s in.
    let t = 0;
    const runner: CommandRunner = async (argv) => {
      if (t >= 10_000 && systemd.unit('myapp.service').restarts === 0) systemd.set('myapp.service', { pid: 999, restarts: 1 });
      return systemd.runner(argv);
    };
    const health = { probe: async () => 200, now: () => t, sleep: async (ms: number) => void (t += ms) };
    const r = await runCli(['--config', decl, '--out', out, '--apply'], { cwd: ROOT, runner, health });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('a service that does not come up: why, and its journal indented under it; exit 3', async () => {
    const { decl, out } = project();
    const systemd = new FakeSystemd();
    const runner: CommandRunner = async (argv) =>
      argv[0] === 'journalctl' ? { command: argv, code: 0, output: '2026-11-30T10:00:00+0000 host myapp[100]: listening on :3000\n2026-11-30T10:00:01+0000 host myapp[100]: database is locked\n' } : systemd.runner(argv);
    const r = await runCli(['--config', decl, '--out', out, '--apply'], { cwd: ROOT, runner, health: instantHealth(async () => 503) });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      'not healthy: myapp.service its healthUrl https://myapp.dunkirk.sh/health answered 503 within 60 s. Its journal:\n' +
        '  2026-11-30T10:00:00+0000 host myapp[100]: listening on :3000\n' +
        '  2026-11-30T10:00:01+0000 host myapp[100]: database is locked\n',
    );
  });
});

describe('--rollback-on-failure: what the rollback did', () => {
  it('put back: --json says rolledBack true, with the service that was not healthy', async () => {
    const { decl, out, declare } = project();
    const systemd = new FakeSystemd();
    expect((await runCli(['--config', decl, '--out', out, '--apply'], { cwd: ROOT, runner: systemd.runner })).code).toBe(0);
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
    const r = await runCli(['--config', decl, '--out', out, '--apply', '--rollback-on-failure', '--json'], { cwd: ROOT, runner: systemd.runner, health: instantHealth(async () => 503) });
    expect(r.code).toBe(3);
    const { apply } = JSON.parse(r.stdout);
    expect(apply.rolledBack).toBe(true);
    expect(apply.unhealthy).toEqual([{ unit: 'myapp.service', why: 'its healthUrl https://myapp.dunkirk.sh/health answered 503 within 60 s', journal: 'myapp.service: listening failed: EADDRINUSE' }]);
    expect(apply).not.toHaveProperty('failed');
  });

  it('a rollback whose own restart fails says so, naming the step, and --json says rolledBack false', async () => {
    /** A second --apply (new port) on a host where myapp.service no longer starts, neither new nor old. */
    const broken = async (extra: string[]) => {
      const { decl, out, declare } = project();
      const systemd = new FakeSystemd();
      expect((await runCli(['--config', decl, '--out', out, '--apply'], { cwd: ROOT, runner: systemd.runner })).code).toBe(0);
      declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
      systemd.broken.add('myapp.service');
      return runCli(['--config', decl, '--out', out, '--apply', '--rollback-on-failure', ...extra], { cwd: ROOT, runner: systemd.runner });
    };
    const text = await broken([]);
    expect(text.code).toBe(3);
    expect(text.stderr).toBe(
      'activation failed at: systemctl restart myapp.service (exit 1); later steps were not run.\n' +
        'rollback FAILED: at systemctl enable --now myapp.service; the next --apply finishes the activation.\n',
    );
    const json = await broken(['--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).apply).toMatchObject({ failed: ['systemctl', 'restart', 'myapp.service'], rolledBack: false });
  });
});

describe('reports', () => {
  it('--check names every kind of difference, joined in one sentence', async () => {
    const { decl, out, declare } = project();
    expect((await runCli(['--config', decl, '--out', out], { cwd: ROOT })).code).toBe(0);
    nodeFs.rmSync(path.join(out, 'sudoers.d/atelier-myapp'));
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
    const r = await runCli(['--config', decl, '--out', out, '--check'], { cwd: ROOT });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('check: the tree differs from the declarations: 1 file missing; 3 files to update.\n');
  });

  it('invalid declarations with --json: the errors as JSON on stdout, the same as text on stderr; without --json stdout stays empty', async () => {
    const bad = 'fixtures/bad/typo-key/atelier.yaml';
    const out = temp('out');
    const json = await runCli(['--config', bad, '--out', out, '--json'], { cwd: ROOT });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      changed: false,
      errors: [
        { file: bad, line: 4, column: 5, message: 'unknown key `domian`', hint: 'did you mean `domain`?' },
        { file: bad, line: 2, column: 3, message: 'service `myapp` is enabled with caddy.enable but has no `domain`', hint: 'set `domain`, or `caddy.enable: false`' },
      ],
    });
    const text = await runCli(['--config', bad, '--out', out], { cwd: ROOT });
    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(json.stderr);
    expect(text.stderr.endsWith('\n2 errors; nothing was written.\n')).toBe(true);
  });

  it('--json with --dry-run carries what each changed file would hold; a real run does not', async () => {
    const { decl, out } = project();
    const unit = (stdout: string) => JSON.parse(stdout).files.find((f: { path: string }) => f.path === 'systemd/system/myapp.service');
    const dry = unit((await runCli(['--config', decl, '--out', out, '--dry-run', '--json'], { cwd: ROOT })).stdout);
    expect(dry).toMatchObject({ action: 'create', before: null, after: expect.stringMatching(/^# Generated by atelier-emit /) });
    const real = unit((await runCli(['--config', decl, '--out', out, '--json'], { cwd: ROOT })).stdout);
    expect(real).toEqual({ path: 'systemd/system/myapp.service', action: 'create', service: 'myapp' });
    expect(real.after).toBeUndefined();
    expect(nodeFs.readFileSync(path.join(out, 'systemd/system/myapp.service'), 'utf8')).toBe(dry.after);
  });

  it('on a terminal the text plan is coloured; --out-file never is', async () => {
    const { decl, out } = project();
    const plan = path.join(temp('plan'), 'plan.diff');
    const r = await mainWith(['--config', decl, '--out', out, '--dry-run', '--out-file', plan], { isTTY: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('  \u001b[32mcreate   \u001b[0m systemd/system/myapp.service');
    const file = nodeFs.readFileSync(plan, 'utf8');
    expect(file.split('\n')).toContain('  create    systemd/system/myapp.service');
    expect(file).toContain('--- /dev/null\n+++ b/systemd/system/myapp.service\n');
    expect(file).not.toContain('\u001b[');
    // NO_COLOR and --no-color turn it off on a terminal too.
    const plain = await mainWith(['--config', decl, '--out', out, '--dry-run'], { isTTY: true, env: { NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
    expect((await mainWith(['--config', decl, '--out', out, '--dry-run', '--no-color'], { isTTY: true })).stdout).toBe(plain.stdout);
  });

  it('an --out-file that cannot be written is an error naming it and why; exit 2', async () => {
    const { decl, out } = project();
    const missing = path.join(temp('plan'), 'no-such-dir/plan.diff');
    const r = await runCli(['--config', decl, '--out', out, '--dry-run', '--out-file', missing], { cwd: ROOT });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `error: cannot write --out-file ${missing}: ENOENT: no such file or directory, open '${missing}'\n` });
  });
});

describe('standard input', () => {
  it('is read only for --config -: a run from files never waits on it', async () => {
    const { decl, out } = project();
    let reads = 0;
    const stdin = async () => (reads++, '');
    expect((await mainWith(['--config', decl, '--out', out, '--dry-run'], { stdin })).code).toBe(0);
    expect((await mainWith(['validate', '--config', decl], { stdin })).code).toBe(0);
    expect(reads).toBe(0);
    const r = await mainWith(['validate', '--config', '-', '--stdin-format', 'json'], { stdin: async () => (reads++, '{"services": {}}') });
    expect(r).toEqual({ code: 0, stdout: 'ok: 0 enabled services in stdin.json\n', stderr: '' });
    expect(reads).toBe(1);
  });

  it('where there is no standard input, --config - reads an empty declaration', async () => {
    const r = await mainWith(['validate', '--config', '-'], { stdin: undefined });
    expect(r).toEqual({ code: 0, stdout: 'ok: 0 enabled services in stdin.yaml\n', stderr: '' });
  });
});

describe('phase timings', () => {
  it('ATELIER_EMIT_PROFILE: one JSON line on stderr with the time of each phase and the peak memory', async () => {
    const { decl, out } = project();
    const r = await runCli(['--config', decl, '--out', out, '--json'], { cwd: ROOT, env: { ATELIER_EMIT_PROFILE: '1' } });
    expect(r.code).toBe(0);
    const m = /^atelier-emit-profile (\{.*\})\n$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const profile = JSON.parse(m![1]);
    expect(Object.keys(profile.phases)).toEqual(['load', 'validate', 'render', 'plan', 'write']);
    for (const ms of Object.values(profile.phases)) expect(ms).toBeGreaterThan(0);
    expect(profile.maxRssKb).toBeGreaterThan(0);
  });

  it('on a terminal, a phase of half a second or more leaves its time on a line of its own; the short ones do not', async () => {
    const { decl, out } = project();
    const systemd = new FakeSystemd();
    // daemon-reload takes 0.6 s (real time: the phases are measured with the process clock).
    const runner: CommandRunner = async (argv) => {
      if (argv.join(' ') === 'systemctl daemon-reload') await new Promise((r) => setTimeout(r, 600));
      return systemd.runner(argv);
    };
    const r = await runCli(['--config', decl, '--out', out, '--apply', '--json'], { cwd: ROOT, runner, stderrIsTTY: true });
    expect(r.code, r.stderr).toBe(0);
    const timed = [...r.stderr.matchAll(/(?:^|\n|\x1b\[2K)atelier-emit: ([a-z]+) took (\d+\.\d) s\n/g)].map((m) => m[1]);
    expect(timed).toContain('apply');
    expect(r.stderr).toMatch(/\nran: systemctl enable --now [^\n]+\natelier-emit: apply took \d\.\d s\n$/);
    // Loading, checking, rendering, planning and writing one service take far less than half a second each.
    expect(timed.filter((p) => p !== 'apply').length).toBeLessThan(5);
  });
});
