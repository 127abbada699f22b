// A small stand-in for systemctl and friends, for testing what --apply decides
// without a host: it keeps each unit's active and unit-file state, answers
// `systemctl show` as systemd does (one block per unit, in order), and records
// every other command. The booted-host tests check the same rules on systemd itself.
import type { CommandRunner, StepResult } from '../../src/apply.js';

export interface FakeUnit {
  active: 'active' | 'inactive' | 'failed' | 'activating';
  sub: string;
  file: 'enabled' | 'disabled' | '';
  pid: number;
  restarts: number;
}

export class FakeSystemd {
  readonly units = new Map<string, FakeUnit>();
  /** Every command but the `systemctl show` queries. */
  readonly commands: string[][] = [];
  /** Units that fail (exit 1, state failed) when started or restarted. */
  readonly broken = new Set<string>();
  /** Commands (joined by spaces, prefix match) that exit 1. */
  readonly failing: string[] = [];
  private nextPid = 100;

  unit(name: string): FakeUnit {
    let u = this.units.get(name);
    if (!u) {
      u = { active: 'inactive', sub: 'dead', file: '', pid: 0, restarts: 0 };
      this.units.set(name, u);
    }
    return u;
  }

  set(name: string, state: Partial<FakeUnit>): void {
    Object.assign(this.unit(name), state);
  }

  /** The commands run so far, each joined by spaces, then forgotten. */
  take(): string[] {
    return this.commands.splice(0).map((c) => c.join(' '));
  }

  readonly runner: CommandRunner = async (argv) => {
    const done = (code = 0, output = ''): StepResult => ({ command: argv, code, output });
    const [program, verb, ...rest] = argv;
    if (program === 'systemctl' && verb === 'show') {
      const units = rest.slice(rest.indexOf('--') + 1);
      const blocks = units.map((name) => {
        const u = this.unit(name);
        return [`Id=${name}`, 'LoadState=loaded', `ActiveState=${u.active}`, `SubState=${u.sub}`, `UnitFileState=${u.file}`, `MainPID=${u.pid}`, `NRestarts=${u.restarts}`, `ExecMainStartTimestampMonotonic=${u.pid * 1000}`].join('\n');
      });
      return done(0, `${blocks.join('\n\n')}\n`);
    }
    this.commands.push(argv);
    if (this.failing.some((f) => argv.join(' ').startsWith(f))) return done(1, 'boom');
    if (program === 'journalctl') return done(0, `${argv[2]}: listening failed: EADDRINUSE`);
    if (program !== 'systemctl') return done();
    const units = rest.filter((a) => !a.startsWith('-'));
    const start = (name: string) => {
      const u = this.unit(name);
      if (this.broken.has(name)) return Object.assign(u, { active: 'failed', sub: 'failed', pid: 0 });
      return Object.assign(u, { active: 'active', sub: 'running', pid: this.nextPid++ });
    };
    switch (verb) {
      case 'enable':
        for (const name of units) {
          this.unit(name).file = 'enabled';
          if (rest.includes('--now') && this.unit(name).active !== 'active') start(name);
        }
        break;
      case 'restart':
      case 'try-reload-or-restart':
        for (const name of units) if (verb === 'restart' || this.unit(name).active === 'active') start(name);
        break;
      case 'disable':
        for (const name of units) this.set(name, { file: 'disabled', ...(rest.includes('--now') ? { active: 'inactive', sub: 'dead', pid: 0 } : {}) });
        break;
      case 'reset-failed':
        for (const name of units) if (this.unit(name).active === 'failed') this.set(name, { active: 'inactive', sub: 'dead' });
        break;
    }
    return done(units.some((u) => this.broken.has(u)) && ['enable', 'restart'].includes(verb) ? 1 : 0, '');
  };
}
