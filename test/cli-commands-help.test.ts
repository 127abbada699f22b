// What the command line says about itself and about a mistyped command or flag:
// each subcommand's help in full (the text an administrator reads), `help` with
// and without a command, --help and --version (exit 0), and one error line,
// exit 2, for an unknown command, an unknown option or a bad flag value.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');
const cli = (...argv: string[]) => runCli(argv, { cwd: ROOT });
const COMMANDS = '(commands: validate, doctor, restore, backups, schema, help; atelier-emit --help for the options)';

describe('help for each subcommand, in full', () => {
  it('restore', async () => {
    expect(await cli('help', 'restore')).toEqual({
      code: 0,
      stderr: '',
      stdout: `Usage: atelier-emit restore [options] <service>

restore a service from its newest (or a given) backup snapshot, on this host, as
root

Arguments:
  service              the declared service

Options:
  -c, --config <path>  declaration file or folder (repeatable) (default: [])
  --snapshot <id>      snapshot to restore: latest or an ID from \`atelier-emit
                       backups\` (default: "latest")
  --dry-run            print what would be done; change nothing
  --target <dir>       restore into this folder only; the service is not touched
  --into <database>    restore the PostgreSQL dump into this new database; the
                       service is not touched
  -h, --help           display help for command

Examples:
  atelier-emit restore myapp --config /etc/atelier/declarations --dry-run
  atelier-emit restore myapp --snapshot 4f2a9c1e
  atelier-emit restore ledger --into ledger_restored

Exit codes: 0 restored, 1 a step failed (the previous data is kept and named), 2 invalid declarations or options.
`,
    });
  });

  it('backups', async () => {
    expect(await cli('help', 'backups')).toEqual({
      code: 0,
      stderr: '',
      stdout: `Usage: atelier-emit backups [options] [service]

list each service's backup snapshots with their age and size

Arguments:
  service              only this service

Options:
  -c, --config <path>  declaration file or folder (repeatable) (default: [])
  -h, --help           display help for command
`,
    });
  });

  it('schema', async () => {
    expect(await cli('help', 'schema')).toEqual({
      code: 0,
      stderr: '',
      stdout: `Usage: atelier-emit schema [options]

print the JSON Schema of the declaration format (for editor completion)

Options:
  -h, --help  display help for command

Example:
  atelier-emit schema > atelier.schema.json   # then: # yaml-language-server: $schema=./atelier.schema.json
`,
    });
  });

  it('validate, with the formats --stdin-format takes and its default', async () => {
    expect(await cli('help', 'validate')).toEqual({
      code: 0,
      stderr: '',
      stdout: `Usage: atelier-emit validate [options]

check the declarations only

Options:
  -c, --config <path>      declaration file or folder (repeatable; - reads
                           standard input) (default: [])
  --stdin-format <format>  format of the declaration read with --config -
                           (choices: "yaml", "toml", "json", default: "yaml")
  --json                   print the result as JSON (for CI)
  -h, --help               display help for command

Examples:
  atelier-emit validate --config services/
  atelier-emit validate --config app.yaml --config host.yaml
  cat app.toml | atelier-emit validate --config - --stdin-format toml --json

Exit codes: 0 valid, 2 invalid (every problem with file:line:column).
`,
    });
  });
});

describe('help, --help and --version', () => {
  it('`help` alone prints the main help, as --help does; both exit 0', async () => {
    const help = await cli('help');
    const flag = await cli('--help');
    expect(help).toEqual({ code: 0, stderr: '', stdout: expect.stringMatching(/^Usage: atelier-emit \[options\] \[command\]\n/) });
    expect(flag).toEqual(help);
  });

  it('`help` after options of the main command (and their values) is still help, with or without a command', async () => {
    const help = await cli('help');
    expect(await cli('--no-color', 'help')).toEqual(help);
    expect(await cli('--out', '/tmp/nowhere', '--config', '-', 'help')).toEqual(help);
    expect(await cli('--json', 'help', 'validate')).toEqual(await cli('help', 'validate'));
  });

  it('--version prints the version alone and exits 0', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stderr: '', stdout: expect.stringMatching(/^\d+\.\d+\.\d+\S*\n$/) });
  });

  it('no words at all is the emit run, which needs --out', async () => {
    expect(await cli()).toEqual({ code: 2, stdout: '', stderr: 'error: --out <dir> is required (the folder to write the tree into, /etc on a server)\n' });
  });
});

describe('mistakes on the command line: one line on stderr, exit 2', () => {
  it('a mistyped command gets the closest command, help included, and the list', async () => {
    expect(await cli('hlep')).toEqual({ code: 2, stdout: '', stderr: `error: unknown command "hlep". Did you mean help? ${COMMANDS}\n` });
  });

  it('a mistyped command after options and their values is still named as one', async () => {
    expect(await cli('--out', '/tmp/nowhere', '--dry-run', 'valdiate')).toEqual({ code: 2, stdout: '', stderr: `error: unknown command "valdiate". Did you mean validate? ${COMMANDS}\n` });
  });

  it('a word like no command gets no guess, only the list', async () => {
    expect(await cli('zzzzzzzz')).toEqual({ code: 2, stdout: '', stderr: `error: unknown command "zzzzzzzz" ${COMMANDS}\n` });
  });

  it('an unknown option is said once (by commander), not twice', async () => {
    expect(await cli('--bogus')).toEqual({ code: 2, stdout: '', stderr: "error: unknown option '--bogus'\n" });
  });

  it('an unknown --only emitter names the known ones', async () => {
    expect(await cli('--only', 'nope')).toEqual({ code: 2, stdout: '', stderr: 'error: --only: unknown emitter "nope" (known: systemd, caddy, backup, manifest)\n' });
  });

  it('a --health-timeout that is not a number of seconds', async () => {
    expect(await cli('--health-timeout', 'abc')).toEqual({ code: 2, stdout: '', stderr: 'error: --health-timeout: "abc" is not a number of seconds\n' });
  });
});
