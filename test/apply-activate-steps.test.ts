// activate(), unitStates() and spawnRunner at their edges, without the CLI around them:
// which steps an activation with nothing to do leaves out, which units health waits for,
// how `systemctl show` output is read, and how a real process's result is collected.
// test/apply.test.ts drives the same through the CLI against a stand-in systemd.
import { describe, expect, it } from 'vitest';
import type { Activation } from '../src/activation.js';
import { activate, spawnRunner, unitStates, type CommandRunner, type StepResult } from '../src/apply.js';
import { emptyPending } from '../src/pending.js';

function activation(over: Partial<Activation>): Activation {
  return { sysusers: [], tmpfiles: [], daemonReload: false, start: [], restart: [], reload: [], stop: [], ensure: [], fromPending: emptyPending(), ...over };
}

/** Every command answers 0; `systemctl show` answers each unit as active, enabled and running. */
function recorder() {
  const commands: string[][] = [];
  const run: CommandRunner = async (argv) => {
    commands.push(argv);
    if (argv[1] !== 'show') return { command: argv, code: 0, output: '' };
    const units = argv.slice(argv.indexOf('--') + 1);
    const blocks = units.map((u) => `Id=${u}\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=42\nNRestarts=0\nExecMainStartTimestampMonotonic=1`);
    return { command: argv, code: 0, output: `${blocks.join('\n\n')}\n` };
  };
  return { commands, run };
}

const noHealthWait = { timeoutMs: 0, settleMs: 0, sleep: async () => {}, now: () => 0 };

describe('activate: steps with nothing to act on are left out', () => {
  it('no sysusers.d or tmpfiles.d files: no systemd-sysusers, no systemd-tmpfiles', async () => {
    const { commands, run } = recorder();
    const steps: StepResult[] = [];
    const result = await activate(activation({ daemonReload: true }), { outDir: '/out', run, onStep: (s) => steps.push(s) });
    expect(result).toEqual({ steps });
    expect(commands).toEqual([['systemctl', 'daemon-reload']]);
  });

  it('sysusers.d and tmpfiles.d files are given with the output folder in front', async () => {
    const { commands, run } = recorder();
    await activate(activation({ sysusers: ['sysusers.d/a.conf'], tmpfiles: ['tmpfiles.d/a.conf', 'tmpfiles.d/b.conf'] }), { outDir: '/out', run, onStep: () => {} });
    expect(commands).toEqual([
      ['systemd-sysusers', '/out/sysusers.d/a.conf'],
      ['systemd-tmpfiles', '--create', '/out/tmpfiles.d/a.conf', '/out/tmpfiles.d/b.conf'],
    ]);
  });
});

describe('activate: the services health waits for', () => {
  it('long-running app services started or restarted, in name order; not timers, one-shot jobs, sockets or Caddy', async () => {
    const { commands, run } = recorder();
    const start = ['zeta.service', 'caddy.service', 'atelier-backup-zeta.service', 'zeta.timer', 'web.socket', 'alpha.service'];
    await activate(activation({ start, restart: ['mid.service', 'atelier-prune.timer'] }), { outDir: '/out', run, onStep: () => {}, health: noHealthWait });
    const healthShows = commands.filter((c) => c[1] === 'show' && c.some((a) => a.includes('MainPID')));
    expect(healthShows.length).toBeGreaterThan(0);
    for (const show of healthShows) expect(show.slice(show.indexOf('--') + 1)).toEqual(['alpha.service', 'mid.service', 'zeta.service']);
  });
});

describe('unitStates: reading `systemctl show`', () => {
  const answer = (output: string, code = 0) => {
    const commands: string[][] = [];
    const run: CommandRunner = async (argv) => (commands.push(argv), { command: argv, code, output });
    return { commands, run };
  };

  it('asks nothing for no units', async () => {
    const { commands, run } = answer('');
    expect(await unitStates(run, [])).toEqual(new Map());
    expect(commands).toEqual([]);
  });

  it('asks for the four states of every unit, after `--` so a unit name is never read as an option', async () => {
    const { commands, run } = answer('');
    await unitStates(run, ['a.service', 'b.timer']);
    expect(commands).toEqual([['systemctl', 'show', '--property=Id,LoadState,ActiveState,SubState,UnitFileState', '--', 'a.service', 'b.timer']]);
  });

  it('reads each block by its Id, whatever the order; a unit systemd said nothing about is absent', async () => {
    const output = '  \n\nId=c.timer\nLoadState=loaded\nActiveState=active\nSubState=waiting\nUnitFileState=enabled\n\nId=b.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\n\n\n';
    const states = await unitStates(answer(output).run, ['a.service', 'b.service', 'c.timer']);
    expect([...states.keys()].sort()).toEqual(['b.service', 'c.timer']);
    expect(states.get('b.service')).toEqual({ load: 'not-found', active: 'inactive', sub: 'dead', file: '' });
    expect(states.get('c.timer')).toEqual({ load: 'loaded', active: 'active', sub: 'waiting', file: 'enabled' });
  });

  it('a block without an Id is the unit at its place; a property missing reads as empty', async () => {
    const states = await unitStates(answer('ActiveState=failed\n\nId=b.service\nUnitFileState=disabled\n').run, ['a.service', 'b.service']);
    expect(states.get('a.service')).toEqual({ load: '', active: 'failed', sub: '', file: '' });
    expect(states.get('b.service')).toEqual({ load: '', active: '', sub: '', file: 'disabled' });
  });

  it('more blocks than units: the extra ones are dropped', async () => {
    const states = await unitStates(answer('ActiveState=active\n\nActiveState=failed\n').run, ['a.service']);
    expect([...states.keys()]).toEqual(['a.service']);
  });

  it('a failed `systemctl show` reads as no state at all (every unit counts as down)', async () => {
    const states = await unitStates(answer('Id=a.service\nActiveState=active\n', 1).run, ['a.service']);
    expect(states.size).toBe(0);
  });
});

describe('spawnRunner: a real process', () => {
  it('collects standard output and standard error, and the exit status', async () => {
    const result = await spawnRunner(['sh', '-c', 'printf out; printf err >&2; exit 3']);
    expect(result.command).toEqual(['sh', '-c', 'printf out; printf err >&2; exit 3']);
    expect(result.code).toBe(3);
    expect(result.output).toContain('out');
    expect(result.output).toContain('err');
    expect(result.output).toHaveLength(6);
  });

  it('gives the program no input: one that reads it ends at once', async () => {
    expect(await spawnRunner(['cat'])).toEqual({ command: ['cat'], code: 0, output: '' });
  });

  it('a program that cannot be started is status 127 with the reason', async () => {
    const result = await spawnRunner(['/nonexistent/atelier-no-such-program', '--x']);
    expect(result.code).toBe(127);
    expect(result.output).toMatch(/ENOENT/);
  });
});
