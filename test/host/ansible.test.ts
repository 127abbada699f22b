// The Ansible collection deploying a booted Debian 12 with the real
// ansible-playbook: the role installs the Debian package with apt, the deploy
// module hands the declarations to atelier-emit --apply --prune.
//
// ansible-playbook runs on this machine, as a controller does, and reaches the
// container through a small test-only connection plugin that enters its
// namespaces with nsenter (test/host/ansible/connection_plugins/nsenter.py):
// the container has no network and no sshd, and running the playbook inside
// it would test a local connection that no fleet uses. Modules are still
// transferred and run by the container's own Python, as over SSH.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffBlocks, installCollection, lineChanges, playbook, snapshot, type PlayResult } from '../support/ansible.js';
import { run } from '../support/process.js';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
let host: BootedHost;
let work: string;
let collections: string;
const recaps: string[] = [];

const SITE = `- hosts: target
  gather_facts: false
  roles:
    - role: atelier.emit.deploy
      vars:
        atelier_emit_deb: "{{ deb }}"
        atelier_emit_src: "{{ playbook_dir }}/atelier"
        atelier_emit_declarations: "{{ declarations }}"
`;

const SERVER = `const http = require('node:http');
http.createServer((req, res) => res.end(process.env.GREETING + ' from ' + process.env.APP + ' on node ' + process.version + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

// Two apps whose declaration files have the same name, in two folders.
const app = (name: string, port: number, greeting = 'hello') => `services:
  ${name}:
    description: ${name}, deployed by Ansible
    runtime: node
    entryPoint: server.js
    repository: /srv/git/${name}
    enable: true
    port: ${port}
    caddy:
      enable: false
    environment:
      APP: ${name}
      GREETING: ${greeting}
`;

function writeDeclaration(rel: string, text: string) {
  fs.mkdirSync(path.dirname(path.join(work, 'atelier', rel)), { recursive: true });
  fs.writeFileSync(path.join(work, 'atelier', rel), text);
}

async function play(label: string, declarations: string[], ...extra: string[]): Promise<PlayResult> {
  const r = await playbook(['-i', 'inventory.ini', 'site.yml', '-e', JSON.stringify({ deb: path.join(work, 'atelier-emit.deb'), declarations }), ...extra], {
    cwd: work,
    collections,
    timeoutMs: 600_000,
    extraEnv: { ANSIBLE_CONNECTION_PLUGINS: path.join(__dirname, 'ansible/connection_plugins') },
  });
  recaps.push(`${label} (ansible-playbook ${extra.join(' ')}):\n${r.recap}`);
  return r;
}

const curl = async (port: number) => (await host.exec(['curl', '-sS', '--max-time', '5', `http://127.0.0.1:${port}/`])).stdout;
const mainPid = async (unit: string) => Number((await host.run(['systemctl', 'show', '-p', 'MainPID', '--value', unit])).trim());
const etc = () => snapshot(host.path('/etc'), (p) => p === 'atelier/.lock');

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-ansible-host-'));
  const deb = (await run(process.execPath, [path.join(ROOT, 'scripts/package-deb.mjs')], { cwd: ROOT })).trim().split('\n').pop()!;
  fs.copyFileSync(path.join(ROOT, deb), path.join(work, 'atelier-emit.deb'));
  collections = await installCollection();
  host = await BootedHost.boot('atelier-ansible', (line) => console.log(line));
  // The container's init, for the connection plugin (BootedHost keeps it private).
  const initPid = host.initPid;
  fs.writeFileSync(path.join(work, 'inventory.ini'), `target ansible_connection=nsenter ansible_nsenter_pid=${initPid} ansible_python_interpreter=/usr/bin/python3\n`);
  fs.writeFileSync(path.join(work, 'site.yml'), SITE);
  writeDeclaration('a/app.yaml', app('alpha', 3301));
  writeDeclaration('b/app.yaml', app('beta', 3302));
  await host.run(['git', 'config', '--system', '--add', 'safe.directory', '*']);
  for (const name of ['alpha', 'beta']) {
    const dir = host.path(`/srv/git/${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'server.js'), SERVER);
    // npm ci on first start: npm 10 on Debian's Node 18.
    fs.writeFileSync(path.join(dir, 'package.json'), `{"name":"${name}","version":"1.0.0","private":true}\n`);
    fs.writeFileSync(path.join(dir, 'package-lock.json'), `{"name":"${name}","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"${name}","version":"1.0.0"}}}\n`);
    await host.run(`cd /srv/git/${name} && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init && chmod -R a+rX /srv/git`);
  }
}, 1_800_000);

afterAll(async () => {
  console.log(`play recaps:\n\n${recaps.join('\n\n')}`);
  await host?.shutdown();
  if (work) await fs.promises.rm(work, { recursive: true, force: true });
  if (collections) await fs.promises.rm(collections, { recursive: true, force: true });
});

describe('ansible-playbook deploying a booted host', () => {
  it('first play: installs the package with apt, creates the users, starts both apps (equally named files)', async () => {
    const r = await play('first play', ['a/app.yaml', 'b/app.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.changed).toBeGreaterThan(0);
    expect((await host.run(['dpkg-query', '-W', '-f', '${Status}', 'atelier-emit'])).trim()).toBe('install ok installed');
    for (const [name, port] of [['alpha', 3301], ['beta', 3302]] as const) {
      await host.waitFor(`${name} to answer`, async () => (await curl(port)).startsWith(`hello from ${name} on node v18.`), 120_000);
      expect((await host.run(['getent', 'passwd', name])).split(':')[5]).toBe(`/var/lib/${name}`);
      // The role activates (atelier_emit_apply defaults to true): enabled, so the app comes back after a reboot.
      expect((await host.exec(['systemctl', 'is-enabled', `${name}.service`])).stdout.trim(), name).toBe('enabled');
    }
    expect(fs.readdirSync(host.path('/etc/atelier/declarations')).sort()).toEqual(['a', 'b']);
  }, 600_000);

  it('second play: nothing changed', async () => {
    const r = await play('second play', ['a/app.yaml', 'b/app.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.changed, r.out).toBe(0);
  }, 600_000);

  it('a service stopped by hand is started again by the next play, which reports it changed', async () => {
    await host.run(['systemctl', 'stop', 'beta.service']);
    const r = await play('beta stopped by hand', ['a/app.yaml', 'b/app.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.changed, r.out).toBe(1);
    await host.waitFor('beta to answer again', async () => (await curl(3302)).startsWith('hello from beta'), 120_000);
    const again = await play('and again', ['a/app.yaml', 'b/app.yaml']);
    expect(again.changed, again.out).toBe(0);
  }, 600_000);

  it('check mode predicts a one-line change exactly, writes and restarts nothing; the real run then does exactly that', async () => {
    const before = etc();
    const pid = await mainPid('alpha.service');
    writeDeclaration('a/app.yaml', app('alpha', 3301, 'bonjour'));
    const check = await play('check mode', ['a/app.yaml', 'b/app.yaml'], '--check', '--diff');
    expect(check.code, check.out).toBe(0);
    expect(check.changed).toBe(1);
    expect(etc()).toEqual(before);
    expect(await mainPid('alpha.service')).toBe(pid);
    console.log(`check mode's diff:\n${check.out.slice(check.out.indexOf('--- before:'), check.out.lastIndexOf('changed: [target]'))}`);
    const predicted = diffBlocks(check.out);
    expect(predicted.map((d) => d.path).sort()).toEqual(['/etc/atelier/declarations/a/app.yaml', '/etc/systemd/system/alpha.service']);
    expect(predicted.find((d) => d.path === '/etc/systemd/system/alpha.service')).toEqual({ path: '/etc/systemd/system/alpha.service', removed: ['Environment="GREETING=hello"'], added: ['Environment="GREETING=bonjour"'] });

    const real = await play('the predicted change', ['a/app.yaml', 'b/app.yaml'], '--diff');
    expect(real.code, real.out).toBe(0);
    expect(real.changed).toBe(1);
    const after = etc();
    const actual = [...new Set([...before.keys(), ...after.keys()])]
      .filter((p) => p !== 'atelier/.state.json' && before.get(p) !== after.get(p))
      .map((p) => ({ path: `/etc/${p}`, ...lineChanges(before.get(p) ?? '', after.get(p) ?? '') }))
      .sort((x, y) => (x.path < y.path ? -1 : 1));
    expect(actual).toEqual(predicted.sort((x, y) => (x.path < y.path ? -1 : 1)));
    await host.waitFor('alpha to answer with the new greeting', async () => (await curl(3301)).startsWith('bonjour from alpha'), 60_000);
  }, 600_000);

  it('removing an app from the list stops it and removes its files and its declaration', async () => {
    const r = await play('beta removed', ['a/app.yaml']);
    expect(r.code, r.out).toBe(0);
    expect(r.changed).toBe(1);
    expect((await host.exec(['systemctl', 'is-active', 'beta.service'])).stdout.trim()).not.toBe('active');
    expect((await host.exec(['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:3302/'])).code).not.toBe(0);
    for (const file of ['systemd/system/beta.service', 'sysusers.d/atelier-beta.conf', 'tmpfiles.d/atelier-beta.conf', 'sudoers.d/atelier-beta', 'atelier/declarations/b/app.yaml']) {
      expect(fs.existsSync(host.path(`/etc/${file}`)), file).toBe(false);
    }
    expect(fs.readdirSync(host.path('/etc/atelier/declarations'))).toEqual(['a']);
    expect((await curl(3301)).startsWith('bonjour from alpha')).toBe(true);
    const again = await play('after the removal, again', ['a/app.yaml']);
    expect(again.changed, again.out).toBe(0);
  }, 600_000);
});
