// What validate and doctor print: the one-line summary of valid declarations (count,
// singular/plural, every source), the disabled services in --json, invalid declarations
// named as such with JSON only when asked, and doctor's verdict and exit status on a host
// that is ready (only ok and warn findings) and on one that is not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';

const ROOT = path.resolve(__dirname, '..');
const BAD = 'fixtures/bad/typo-key/atelier.yaml';
const temp = tempDirs();

const service = (name: string, port: number, enable = true) =>
  `  ${name}:\n    description: ${name}\n    runtime: node\n    enable: ${enable}\n    port: ${port}\n    caddy:\n      enable: false\n`;

/** Declarations in two files: web and api enabled, old disabled. */
function twoFiles(): { dir: string; a: string; b: string } {
  const dir = temp('decl');
  const a = path.join(dir, 'a.yaml');
  const b = path.join(dir, 'b.yaml');
  fs.writeFileSync(a, `services:\n${service('web', 3000)}${service('old', 3002, false)}`);
  fs.writeFileSync(b, `services:\n${service('api', 3001)}`);
  return { dir, a, b };
}

/** A host with systemd 252 and node 20, and the services group. */
const readyHost: CommandRunner = async (command) => ({
  command,
  code: 0,
  output: command[0] === 'systemctl' ? 'systemd 252 (252.30-1~deb12u2)\n' : command[0] === 'node' ? 'v20.11.0\n' : '',
});

/** An inspected root whose /etc is root's (the tests run as root, as --apply does). */
function hostRoot(osRelease: boolean): string {
  const root = temp('root');
  fs.mkdirSync(path.join(root, 'etc'), { mode: 0o755 });
  fs.chmodSync(root, 0o755);
  if (osRelease) fs.writeFileSync(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
  return root;
}

describe('validate', () => {
  it('counts the enabled services, in the plural, and names every declaration file', async () => {
    const { dir, a, b } = twoFiles();
    const r = await runCli(['validate', '--config', 'a.yaml', '--config', 'b.yaml'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: `ok: 2 enabled services in ${path.relative(dir, a)}, ${path.relative(dir, b)}\n`, stderr: '' });
  });

  it('--json lists the enabled and the disabled services', async () => {
    const { a, b } = twoFiles();
    const r = await runCli(['validate', '--config', a, '--config', b, '--json'], { cwd: ROOT });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ valid: true, services: ['api', 'web'], disabled: ['old'], sources: [a, b] });
  });

  it('says invalid declarations are invalid, on stderr only unless --json is asked', async () => {
    const r = await runCli(['validate', '--config', BAD], { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').slice(-2)).toEqual(['2 errors; the declarations are invalid.', '']);
  });
});

describe('doctor', () => {
  it('on a ready host: every finding ok, "this host is ready", exit 0', async () => {
    const r = await runCli(['doctor', '--config', twoFiles().a, '--root', hostRoot(true)], { cwd: ROOT, runner: readyHost });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter((l) => !l.startsWith('ok    '))).toEqual(['', 'doctor: this host is ready.', '']);
    expect(r.stdout).toContain('ok    systemd: systemd 252\n');
    expect(r.code).toBe(0);
  });

  it('a warning alone does not make the host unready: --json says ready, exit 0', async () => {
    const r = await runCli(['doctor', '--config', twoFiles().a, '--root', hostRoot(false), '--json'], { cwd: ROOT, runner: readyHost });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ready).toBe(true);
    expect(report.findings).toContainEqual({ level: 'warn', check: 'distribution', detail: 'no /etc/os-release', fix: 'nothing to do unless other checks fail' });
    expect(report.findings.filter((f: { level: string }) => f.level === 'fail')).toEqual([]);
  });

  it('a failed check: not ready, exit 1', async () => {
    const noSystemd: CommandRunner = async (command) => (command[0] === 'systemctl' ? { command, code: 127, output: '' } : readyHost(command));
    const r = await runCli(['doctor', '--config', twoFiles().a, '--root', hostRoot(true), '--json'], { cwd: ROOT, runner: noSystemd });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ready).toBe(false);
    expect(report.findings.filter((f: { level: string }) => f.level !== 'ok')).toEqual([
      { level: 'fail', check: 'systemd', detail: 'systemctl not found', fix: 'atelier-emit targets systemd hosts; install systemd (>= 247)' },
    ]);
  });

  it('says invalid declarations are invalid (exit 2); --json adds ready: false with every error', async () => {
    const plain = await runCli(['doctor', '--config', BAD], { cwd: ROOT, runner: readyHost });
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe('');
    expect(plain.stderr.split('\n').slice(-2)).toEqual(['2 errors; the declarations are invalid.', '']);
    const json = await runCli(['doctor', '--config', BAD, '--json'], { cwd: ROOT, runner: readyHost });
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(Object.keys(report)).toEqual(['ready', 'errors']);
    expect(report.ready).toBe(false);
    expect(report.errors).toHaveLength(2);
    expect(report.errors).toContainEqual(expect.objectContaining({ file: BAD, line: 4, column: 5, message: 'unknown key `domian`' }));
  });
});
