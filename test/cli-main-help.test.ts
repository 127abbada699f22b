// What --help says, per command: every option with its description (commander wraps the
// text to the terminal, so a description is compared with its line breaks folded), and the
// examples and exit codes word for word.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');
const folded = (text: string) => text.replace(/\s+/g, ' ');
/** The text commander does not wrap: from the blank line before "Examples:" to the end. */
const epilogue = (text: string) => text.slice(text.indexOf('\nExamples:'));

async function help(argv: string[]): Promise<string> {
  const r = await runCli(argv, { cwd: ROOT });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

describe('--help', () => {
  it('describes the main command and each of its options', async () => {
    const text = await help(['--help']);
    expect(text.split('\n')[0]).toBe('Usage: atelier-emit [options] [command]');
    const all = folded(text);
    for (const line of [
      'Turn service declarations into hardened systemd units, Caddy sites and restic backups.',
      '-c, --config <path> declaration file or folder (repeatable; - reads standard input; default ./atelier.yaml|toml|json) (default: [])',
      '-o, --out <dir> folder to write the tree into (/etc on a server)',
      '--dry-run write nothing; print the plan and a unified diff',
      '--check like --dry-run, but exit 1 when anything would change',
      '--json print a machine-readable report (same as --format json)',
      '--format <format> report format (choices: "text", "markdown", "json")',
      '--only <emitters> run only these emitters (systemd,caddy,backup,manifest)',
      '--prune delete files atelier-emit wrote earlier that no longer follow from the declarations',
      '--force allow overwriting or deleting files atelier-emit did not write or that were edited by hand',
      '--apply after writing, activate on this host (sysusers, tmpfiles, daemon-reload, start/restart, Caddy reload)',
      '--health-timeout <seconds> after --apply starts or restarts services: the longest wait for each healthUrl to answer 2xx (0: no health checks) (default: 60)',
      '--rollback-on-failure when --apply fails or a service does not come up, put the previous files back and restart them (still exit 3)',
      '--out-file <file> also write the full plan with its unified diff to this file (the markdown plan points at it)',
      '--no-color no colour in the output (also NO_COLOR)',
      'validate [options] check the declarations only',
      'doctor [options] check that this host has what the declared services need (systemd, Caddy modules, restic, runtimes, …)',
    ]) expect(all).toContain(line);
    expect(epilogue(text)).toBe(
      [
        '',
        'Examples:',
        '  atelier-emit --config services/ --out /etc --apply',
        '  atelier-emit --config app.yaml --config host.yaml --out ./tree --dry-run',
        '  atelier-emit --out /etc --check --json          # drift gate / Ansible',
        '  atelier-emit validate --config services/',
        '',
        'Exit codes: 0 success, 1 --check found changes, 2 invalid declarations or refused write, 3 an activation step failed.',
        '',
      ].join('\n'),
    );
  });

  it('describes validate, with its examples and exit codes', async () => {
    const text = await help(['help', 'validate']);
    expect(text).toBe(await help(['validate', '--help']));
    const all = folded(text);
    expect(all).toContain('Usage: atelier-emit validate [options] check the declarations only Options:');
    expect(all).toContain('-c, --config <path> declaration file or folder (repeatable; - reads standard input) (default: [])');
    expect(all).toContain('--json print the result as JSON (for CI)');
    expect(epilogue(text)).toBe(
      [
        '',
        'Examples:',
        '  atelier-emit validate --config services/',
        '  atelier-emit validate --config app.yaml --config host.yaml',
        '  cat app.toml | atelier-emit validate --config - --stdin-format toml --json',
        '',
        'Exit codes: 0 valid, 2 invalid (every problem with file:line:column).',
        '',
      ].join('\n'),
    );
  });

  it('describes doctor, with its examples and exit codes', async () => {
    const text = await help(['help', 'doctor']);
    const all = folded(text);
    expect(all).toContain('Usage: atelier-emit doctor [options] check that this host has what the declared services need (systemd, Caddy modules, restic, runtimes, …) Options:');
    expect(all).toContain('-c, --config <path> declaration file or folder (repeatable; - reads standard input) (default: [])');
    expect(all).toContain('--root <dir> root of the host file system to inspect (default: "/")');
    expect(all).toContain('--json print the findings as JSON (for CI)');
    expect(epilogue(text)).toBe(
      [
        '',
        'Examples:',
        '  atelier-emit doctor --config /etc/atelier/declarations',
        '  atelier-emit doctor --config /etc/atelier/declarations --json',
        '',
        'Exit codes: 0 ready, 1 a check failed (each says what to do), 2 invalid declarations.',
        '',
      ].join('\n'),
    );
  });
});
