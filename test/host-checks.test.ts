// Issue 12: what the declarations would do to this host, checked by doctor and
// by --apply before anything is written. A fake host root, built with real
// owners and modes (root needed for chown).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostProblems } from '../src/host-checks.js';
import { generate } from '../src/pipeline.js';
import { EMITTER_NAMES } from '../src/emitters/index.js';
import { runCli } from './support/cli.js';
import { modelOf, tempDirs } from './support/emit.js';
import { makeFakeHost, type FakeHostExtra } from './support/fake-host.js';

const temp = tempDirs();
const asRoot = process.getuid?.() === 0;

// A host where alice may use sudo through the sudo group, as on Debian.
const fakeHost = (extra: FakeHostExtra = {}) =>
  makeFakeHost(temp('host'), { ...extra, group: ['sudo:x:27:alice', ...(extra.group ?? [])], sudoers: `%sudo ALL=(ALL) ALL\n${extra.sudoers ?? ''}` });

const declare = (services: string, host = '') => modelOf([{ file: 'app.yaml', text: `${host ? `host:\n${host}\n` : ''}services:\n${services}` }]);
const app = (name: string, more = '') => `  ${name}:\n    enable: true\n    caddy: {enable: false}\n${more}`;
const messages = (root: string, model: ReturnType<typeof declare>) => hostProblems(fs, root, model).map((d) => `${d.line}:${d.column} ${d.message}`);

describe.runIf(asRoot)('host checks', () => {
  it('a fresh host with a fresh service has no problem', () => {
    expect(messages(fakeHost(), declare(app('myapp')))).toEqual([]);
  });

  it('refuses a service named after an existing account or group, and accepts the one an earlier --apply made', () => {
    expect(messages(fakeHost(), declare(app('alice'))).join('\n')).toContain('a user alice already exists on this host (uid 1000, home /home/alice)');
    const withGroup = fakeHost({ group: ['myapp:x:990:bob'] });
    expect(messages(withGroup, declare(app('myapp'))).join('\n')).toContain('a group myapp already exists on this host (gid 990, members bob)');
    const ours = fakeHost({ passwd: ['myapp:x:990:990:myapp service:/var/lib/myapp:/bin/bash'], group: ['myapp:x:990:', 'services:x:989:myapp'] });
    fs.mkdirSync(path.join(ours, 'var/lib/myapp'));
    fs.chownSync(path.join(ours, 'var/lib/myapp'), 990, 990);
    expect(messages(ours, declare(app('myapp')))).toEqual([]);
  });

  it('refuses a data folder that exists and is not the service’s, or sits below a folder others own', () => {
    const root = fakeHost();
    fs.mkdirSync(path.join(root, 'var/lib/taken'));
    fs.chownSync(path.join(root, 'var/lib/taken'), 5, 5);
    expect(messages(root, declare(app('myapp', '    dataDir: /var/lib/taken\n'))).join('\n')).toContain('5:14 /var/lib/taken already exists on this host, owned by uid 5');
    fs.mkdirSync(path.join(root, 'srv/apps'));
    fs.chownSync(path.join(root, 'srv/apps'), 1000, 1000);
    expect(messages(root, declare(app('myapp', '    dataDir: /srv/apps/myapp\n'))).join('\n')).toContain('/srv/apps, above the data folder, is owned by uid 1000');
    fs.symlinkSync('/etc', path.join(root, 'srv/link'));
    expect(messages(root, declare(app('myapp', '    dataDir: /srv/link\n'))).join('\n')).toContain('/srv/link is a symlink on this host');
  });

  it('refuses a services group with other members, or one sudoers grants rights to', () => {
    expect(messages(fakeHost({ group: ['staffers:x:500:alice'] }), declare(app('myapp'), '  servicesGroup: staffers')).join('\n')).toContain('exists on this host with other members (alice)');
    expect(messages(fakeHost({ sudoers: '%deployers ALL=(ALL) NOPASSWD: ALL\n' }), declare(app('myapp'), '  servicesGroup: deployers')).join('\n')).toContain('sudoers grants rights to %deployers');
  });

  it('refuses what root trusts when others can change it', () => {
    const root = fakeHost();
    fs.chmodSync(path.join(root, 'usr/bin'), 0o775);
    expect(messages(root, declare(app('myapp'))).join('\n')).toContain('host.systemctl /usr/bin/systemctl: /usr/bin is writable by its group (mode 0775)');
    const missing = fakeHost();
    fs.rmSync(path.join(missing, 'usr/bin/systemctl'));
    expect(messages(missing, declare(app('myapp'))).join('\n')).toContain('host.systemctl /usr/bin/systemctl: does not exist');
  });

  it('--apply refuses before writing or running anything; doctor reports the same', async () => {
    const root = fakeHost();
    const out = temp('apply-out');
    const dir = temp('apply-decl');
    fs.writeFileSync(path.join(dir, 'app.yaml'), `services:\n${app('alice')}`);
    const ran: string[][] = [];
    const result = await generate(fs, {
      cwd: dir, configs: ['app.yaml'], outDir: out, only: EMITTER_NAMES, prune: false, force: false, dryRun: false, apply: true, hostRoot: root,
      runner: async (command) => (ran.push(command), { command, code: 0, output: '' }),
    });
    expect(result.kind).toBe('invalid');
    expect(ran).toEqual([]);
    expect(fs.readdirSync(out)).toEqual([]);
    const doctor = await runCli(['doctor', '--config', 'app.yaml', '--root', root], { cwd: dir, runner: async (command) => ({ command, code: 1, output: '' }) });
    expect(doctor.stdout).toContain('FAIL  names and folders: a user alice already exists on this host');
  });
});
