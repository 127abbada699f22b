// The main command's option values as an administrator types them: --health-timeout takes
// plain (decimal) seconds and refuses anything else with one line, --only takes a comma
// list of emitters (spaces allowed) and names the known ones when a name is wrong, and a
// step's long list of files is printed shortened.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { showCommand } from '../src/cli.js';
import { instantHealth, readTree, runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';
import { FakeSystemd } from './support/fake-systemd.js';

const ROOT = path.resolve(__dirname, '..');
const SEED = 'fixtures/seed/atelier.yaml';
const temp = tempDirs();

describe('--health-timeout', () => {
  it.each(['abc', '1e3', '+5', '5s', '-5', '.5', '1.', ''])('refuses %j with one line, writes nothing (exit 2)', async (value) => {
    const out = temp('out');
    const r = await runCli(['--config', SEED, '--out', out, `--health-timeout=${value}`], { cwd: ROOT });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `error: --health-timeout: "${value}" is not a number of seconds\n` });
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it.each([
    ['10', 'within 10 s'],
    ['1.25', 'within 1 s'],
    ['2.5', 'within 3 s'],
  ])('takes %s seconds as the longest wait for a healthUrl', async (value, within) => {
    const out = temp('out');
    const systemd = new FakeSystemd();
    const r = await runCli(['--config', SEED, '--out', out, '--apply', '--health-timeout', value], { cwd: ROOT, runner: systemd.runner, health: instantHealth(async () => 502) });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`not healthy: myapp.service its healthUrl https://myapp.dunkirk.sh/health answered 502 ${within}. Its journal:\n`);
  });
});

describe('--only', () => {
  it('takes a comma list with spaces and a trailing comma', async () => {
    const out = temp('out');
    const r = await runCli(['--config', SEED, '--out', out, '--only', ' caddy , manifest,'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    const tops = new Set([...readTree(out).keys()].map((p) => p.split('/')[0]));
    expect([...tops].sort()).toEqual(['atelier', 'caddy']);
    expect([...readTree(out).keys()].filter((p) => p.startsWith('systemd/'))).toEqual([]);
  });

  it('refuses an unknown emitter, naming the known ones (exit 2), and writes nothing', async () => {
    const out = temp('out');
    const r = await runCli(['--config', SEED, '--out', out, '--only', 'caddy,nginx'], { cwd: ROOT });
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: --only: unknown emitter "nginx" (known: systemd, caddy, backup, manifest)\n' });
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

describe('a step as printed', () => {
  it('is printed whole with up to three files', () => {
    expect(showCommand(['systemctl', 'daemon-reload'])).toBe('systemctl daemon-reload');
    expect(showCommand(['systemctl', 'restart', 'a.service', 'b.service', 'c.service'])).toBe('systemctl restart a.service b.service c.service');
    expect(showCommand(['systemd-tmpfiles', '--create', '/etc/tmpfiles.d/a.conf', '/etc/tmpfiles.d/b.conf', '/etc/tmpfiles.d/c.conf'])).toBe(
      'systemd-tmpfiles --create /etc/tmpfiles.d/a.conf /etc/tmpfiles.d/b.conf /etc/tmpfiles.d/c.conf',
    );
  });

  it('names the first of more than three files and counts them', () => {
    expect(showCommand(['systemd-sysusers', '/etc/sysusers.d/a.conf', '/etc/sysusers.d/b.conf', '/etc/sysusers.d/c.conf', '/etc/sysusers.d/d.conf'])).toBe('systemd-sysusers /etc/sysusers.d/a.conf … (4 files)');
    expect(showCommand(['systemd-tmpfiles', '--create', '/a/', '/b', '/c', '/d', '/e'])).toBe('systemd-tmpfiles --create /a/ … (5 files)');
  });
});
