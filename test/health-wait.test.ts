// After --apply: waitHealthy decides whether started services came up. The
// rules at their edges, against a scripted systemd and clock: a healthUrl must
// answer 2xx within the timeout; a service without one must stay active, the
// same process, for the settle time; a failed one ends the wait at once.
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { waitHealthy } from '../src/health.js';

interface UnitState {
  ActiveState: string;
  SubState: string;
  MainPID?: string;
  NRestarts?: string;
}

/** A systemd whose units' states follow `script(unit, call)`; it records every command. */
function systemd(script: (unit: string, call: number) => UnitState | null, showCode = 0) {
  const commands: string[][] = [];
  let call = 0;
  const run: CommandRunner = async (argv) => {
    commands.push(argv);
    if (argv[0] === 'journalctl') return { command: argv, code: 0, output: `journal of ${argv[2]}, ${argv[4]} lines\n\n` };
    const units = argv.slice(argv.indexOf('--') + 1);
    const n = call++;
    const blocks = units.map((u) => {
      const s = script(u, n);
      if (!s) return `Id=${u}\nActiveState=inactive\nSubState=dead\nMainPID=0\nNRestarts=0\nExecMainStartTimestampMonotonic=0`;
      return `Id=${u}\nActiveState=${s.ActiveState}\nSubState=${s.SubState}\nMainPID=${s.MainPID ?? '42'}\nNRestarts=${s.NRestarts ?? '0'}\nExecMainStartTimestampMonotonic=1000`;
    });
    return { command: argv, code: showCode, output: showCode === 0 ? `${blocks.join('\n\n')}\n` : 'Failed to connect to bus: No such file or directory\n' };
  };
  return { run, commands };
}

/** A clock that advances by each sleep; the sleeps are recorded. */
function clock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return { sleeps, now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) };
}

const up = { ActiveState: 'active', SubState: 'running' };

describe('waiting for services to come up', () => {
  it('asks nothing when nothing was started', async () => {
    const { run, commands } = systemd(() => up);
    expect(await waitHealthy([], run, { timeoutMs: 1000, settleMs: 1000 })).toEqual([]);
    expect(commands).toEqual([]);
  });

  it('a healthUrl answering 2xx is healthy; 199 and 300 are not, until the timeout names the last answer', async () => {
    for (const [status, ok] of [[200, true], [204, true], [299, true], [199, false], [300, false]] as const) {
      const c = clock();
      const { run } = systemd(() => up);
      const bad = await waitHealthy([{ unit: 'web.service', url: 'http://127.0.0.1:8080/health' }], run, { timeoutMs: 3000, settleMs: 0, probe: async () => status, ...c });
      if (ok) expect(bad, String(status)).toEqual([]);
      else expect(bad, String(status)).toEqual([{ unit: 'web.service', why: `its healthUrl http://127.0.0.1:8080/health answered ${status} within 3 s`, journal: 'journal of web.service, 20 lines' }]);
    }
  });

  it('polls every half second and gives up at the timeout, not before', async () => {
    const c = clock();
    const { run } = systemd(() => up);
    const probed: number[] = [];
    const bad = await waitHealthy([{ unit: 'web.service', url: 'http://x/' }], run, { timeoutMs: 2000, settleMs: 0, probe: async () => (probed.push(c.now()), null), journalLines: 5, ...c });
    expect(bad).toEqual([{ unit: 'web.service', why: 'its healthUrl http://x/ did not answer within 2 s', journal: 'journal of web.service, 5 lines' }]);
    expect(c.sleeps.every((ms) => ms === 500)).toBe(true);
    expect(probed.length).toBe(5); // at 0, 0.5, 1, 1.5 and 2 s
  });

  it('a healthUrl that answers late, within the timeout, is healthy', async () => {
    const c = clock();
    const { run } = systemd(() => up);
    const start = c.now();
    const bad = await waitHealthy([{ unit: 'web.service', url: 'http://x/' }], run, { timeoutMs: 5000, settleMs: 0, probe: async () => (c.now() - start >= 4000 ? 200 : 503), ...c });
    expect(bad).toEqual([]);
  });

  it('a service without healthUrl is healthy once it stayed up for the settle time, or the timeout if shorter', async () => {
    for (const [settleMs, timeoutMs, waited] of [[2000, 10_000, 2000], [10_000, 1500, 1500]] as const) {
      const c = clock();
      const { run } = systemd(() => up);
      expect(await waitHealthy([{ unit: 'worker.service', url: null }], run, { timeoutMs, settleMs, ...c })).toEqual([]);
      expect(c.sleeps.reduce((a, b) => a + b, 0), `${settleMs}/${timeoutMs}`).toBe(waited);
    }
  });

  it('with a healthUrl, one still activating is waited for', async () => {
    const c = clock();
    const { run } = systemd((_, call) => (call < 2 ? { ActiveState: 'activating', SubState: 'start' } : up));
    expect(await waitHealthy([{ unit: 'web.service', url: 'http://x/' }], run, { timeoutMs: 5000, settleMs: 0, probe: async () => 200, ...c })).toEqual([]);
  });

  it('without one, a new process since the first look did not stay up', async () => {
    const c = clock();
    const { run } = systemd((_, call) => (call === 0 ? { ...up, MainPID: '41' } : { ...up, MainPID: '43', NRestarts: '1' }));
    expect(await waitHealthy([{ unit: 'worker.service', url: null }], run, { timeoutMs: 5000, settleMs: 2000, ...c })).toEqual([
      { unit: 'worker.service', why: 'did not stay up: it is active (running) after a restart', journal: 'journal of worker.service, 20 lines' },
    ]);
  });

  it('one waiting to restart after a crash is named so', async () => {
    const c = clock();
    const { run } = systemd((_, call) => (call === 0 ? up : { ActiveState: 'activating', SubState: 'auto-restart' }));
    const [bad] = await waitHealthy([{ unit: 'worker.service', url: null }], run, { timeoutMs: 5000, settleMs: 2000, ...c });
    expect(bad.why).toBe('did not stay up: it crashed and is waiting to restart');
  });

  it('a failed or stopped unit ends its wait at once, with its state', async () => {
    for (const [state, why] of [[{ ActiveState: 'failed', SubState: 'failed' }, 'is failed (failed)'], [null, 'is inactive (dead)'], [{ ActiveState: 'deactivating', SubState: 'stop' }, 'is deactivating (stop)']] as const) {
      const c = clock();
      const { run } = systemd(() => state);
      const bad = await waitHealthy([{ unit: 'web.service', url: 'http://x/' }], run, { timeoutMs: 5000, settleMs: 0, probe: async () => 200, ...c });
      expect(bad.map((b) => b.why), why).toEqual([why]);
      expect(c.sleeps).toEqual([]);
    }
  });

  it('a reloading unit is still up', async () => {
    const c = clock();
    const { run } = systemd(() => ({ ActiveState: 'reloading', SubState: 'reload' }));
    expect(await waitHealthy([{ unit: 'caddy.service', url: 'http://x/' }], run, { timeoutMs: 5000, settleMs: 0, probe: async () => 200, ...c })).toEqual([]);
  });

  it('when systemctl show fails, the unit is unknown to systemd', async () => {
    const c = clock();
    const { run } = systemd(() => up, 1);
    const [bad] = await waitHealthy([{ unit: 'web.service', url: null }], run, { timeoutMs: 5000, settleMs: 0, ...c });
    expect(bad.why).toBe('is unknown to systemd');
  });

  it('watches several units in one systemctl call, and each by its own Id', async () => {
    const c = clock();
    const { run, commands } = systemd((unit) => (unit === 'b.service' ? { ActiveState: 'failed', SubState: 'failed' } : up));
    const bad = await waitHealthy([{ unit: 'a.service', url: null }, { unit: 'b.service', url: null }], run, { timeoutMs: 5000, settleMs: 1000, ...c });
    expect(bad.map((b) => b.unit)).toEqual(['b.service']);
    expect(commands[0]).toEqual(['systemctl', 'show', '--property=Id,ActiveState,SubState,MainPID,NRestarts,ExecMainStartTimestampMonotonic', '--', 'a.service', 'b.service']);
    // b is done after the first look; later looks ask only about a.
    expect(commands[1]).toEqual([...commands[0].slice(0, 4), 'a.service']);
  });
});
