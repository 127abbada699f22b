// `atelier-emit restore` and `atelier-emit backups` as the administrator runs them:
// invalid declarations are refused with every error and "the declarations are
// invalid" (not "nothing was written"), a restore with no --snapshot takes the
// newest one, its folders are named by the time it ran, and a failed step is exit 1.
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');
const FLEET = 'fixtures/fleet/atelier.yaml';
const TYPO = 'fixtures/bad/typo-key/atelier.yaml';
const SNAPSHOT = { id: 'f'.repeat(64), short_id: 'ffffffff', time: '2026-11-30T02:00:00Z', tags: ['service:indiko'], paths: [] };

/** Answers as restic, sqlite3 and systemctl would when all goes well; records what was run. */
function programs(answer: (argv: string[]) => Partial<StepResult> | undefined = () => undefined) {
  const ran: string[][] = [];
  const runner = async (command: string[]): Promise<StepResult> => {
    ran.push(command);
    const output = command.includes('stats') ? '{"total_size":2048}' : command.includes('PRAGMA integrity_check') ? 'ok\n' : command.includes('is-active') ? 'active\n' : command.includes('snapshots') ? JSON.stringify([SNAPSHOT]) : '';
    return { command, code: 0, output, ...answer(command) };
  };
  return { ran, runner };
}

// The typo-key fixture's two errors, as formatDiagnostics prints them.
const TYPO_ERRORS = `${TYPO}:2:3: error: service \`myapp\` is enabled with caddy.enable but has no \`domain\`
   2 |   myapp:
     |   ^
  hint: set \`domain\`, or \`caddy.enable: false\`

${TYPO}:4:5: error: unknown key \`domian\`
   4 |     domian: myapp.example.com
     |     ^
  hint: did you mean \`domain\`?

`;

describe('invalid declarations', () => {
  it('restore says every error and that the declarations are invalid; exit 2, nothing run', async () => {
    const p = programs();
    const r = await runCli(['restore', 'myapp', '--config', TYPO], { cwd: ROOT, runner: p.runner });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${TYPO_ERRORS}2 errors; the declarations are invalid.\n` });
    expect(p.ran).toEqual([]);
  });

  it('backups says the same; exit 2, restic not asked', async () => {
    const p = programs();
    const r = await runCli(['backups', '--config', TYPO], { cwd: ROOT, runner: p.runner });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${TYPO_ERRORS}2 errors; the declarations are invalid.\n` });
    expect(p.ran).toEqual([]);
  });
});

describe('restore', () => {
  afterEach(() => vi.useRealTimers());

  it('without --snapshot restores the newest; its folders carry the UTC time of the run to the second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T10:04:05.678Z'));
    const p = programs();
    const r = await runCli(['restore', 'indiko', '--config', FLEET, '--dry-run'], { cwd: ROOT, runner: p.runner });
    expect(r.code, r.stdout).toBe(0);
    expect(p.ran[0].slice(-7)).toEqual(['--json', '--latest', '1', '--host', 'atelier', '--tag', 'service:indiko']);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'restore of indiko (in place):',
      '  1. create the private restore folder /var/tmp/atelier-restore-indiko-20261130T100405',
      '     $ mkdir -m 0700 /var/tmp/atelier-restore-indiko-20261130T100405',
    ]);
    expect(lines).toContain('  5. move /var/lib/indiko/data aside to /var/lib/indiko/data.before-restore-20261130T100405');
    expect(lines.at(-2)).toBe('dry run: nothing was done.');
  });

  it('a step that fails is exit 1 (not 2: the request was valid), with what the program said', async () => {
    const p = programs((argv) => (argv.includes('snapshots') ? { code: 1, output: 'Fatal: unable to open config file\n' } : undefined));
    const r = await runCli(['restore', 'indiko', '--config', FLEET], { cwd: ROOT, runner: p.runner });
    expect(r).toEqual({ code: 1, stdout: 'error: restic could not list the snapshots:\nFatal: unable to open config file\n', stderr: '' });
    expect(p.ran).toHaveLength(1);
  });
});
