// Issue 12 on a booted host: each attack, as the declaration author and as the
// service user, and what refused it. Run only through the shared lock:
//   flock /tmp/atelier-host.lock npx vitest run test/host/root-stays-root.test.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECL = '/etc/atelier/attack';
let host: BootedHost;
const refused: string[] = [];

/** What root-owned things look like before any attack; compared after each. */
const SENTINELS = ['/etc', '/etc/shadow', '/etc/sudoers.d', '/tmp', '/var/lib', '/srv', '/root'];
const snapshot = () => host.run(['stat', '-c', '%n %U:%G %a', ...SENTINELS]);
let before = '';

async function emit(yaml: string, ...extra: string[]) {
  fs.mkdirSync(host.path(DECL), { recursive: true });
  fs.writeFileSync(host.path(`${DECL}/app.yaml`), yaml);
  const r = await host.exec(['node', BUNDLE, '--config', DECL, '--out', '/etc', '--apply', '--no-color', ...extra], { timeoutMs: 300_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const asUser = (user: string, script: string) => host.exec(['runuser', '-u', user, '--', '/bin/sh', '-c', script]);

beforeAll(async () => {
  host = await BootedHost.boot('atelier-root', (line) => console.log(line));
  // The bundle is built by the global set-up (test/setup/global.ts).
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  await host.run(['useradd', '--create-home', 'alice']);
  fs.mkdirSync(host.path('/srv/taken'));
  before = await snapshot();
}, 1_800_000);

afterAll(async () => {
  console.log(`refused on the booted host:\n${refused.map((r) => `  - ${r}`).join('\n')}`);
  await host?.shutdown();
}, 120_000);

const svc = (name: string, fields = '') => `services:\n  ${name}:\n    enable: true\n    runtime: custom\n    startCommand: sleep infinity\n    caddy: {enable: false}\n${fields}`;

describe('the declaration author is refused, and nothing on the host changes', () => {
  it.each([
    ['dataDir: /etc', svc('evil', '    dataDir: /etc\n'), '`services.evil.dataDir` must be a folder of its own under /var/lib or /srv'],
    ['dataDir: /tmp', svc('evil', '    dataDir: /tmp\n'), '`services.evil.dataDir` must be a folder of its own'],
    ['dataDir: /var/lib', svc('evil', '    dataDir: /var/lib\n'), '`services.evil.dataDir` must be a folder of its own'],
    ['dataDir: /home/alice', svc('evil', '    dataDir: /home/alice\n'), '`services.evil.dataDir` must be a folder of its own'],
    ['dataDir: an existing folder not the service’s', svc('evil', '    dataDir: /srv/taken\n'), '/srv/taken already exists on this host, owned by uid 0'],
    ['runtimes.node: +/usr/bin/node', `host:\n  runtimes:\n    node: "+/usr/bin/node"\n${svc('evil', '').replace('runtime: custom', 'runtime: node')}`, '`host.runtimes.node` must not start with `+`'],
    ['extraConfig ExecStartPre=+…', svc('evil', '    extraConfig:\n      systemd:\n        Service:\n          ExecStartPre: "+/bin/chown evil /etc/shadow"\n'), 'a command must not start with `+`'],
    ['extraConfig User=root', svc('evil', '    extraConfig:\n      systemd:\n        Service:\n          User: root\n'), '`User` is not among the directives'],
    ['systemctl: /usr/bin/*', `host:\n  systemctl: "/usr/bin/*"\n${svc('evil')}`, '`host.systemctl` must be a plain path'],
    ['systemctl: a path with a quote', `host:\n  systemctl: '/usr/bin/sys"temctl'\n${svc('evil')}`, '`host.systemctl` must be a plain path'],
    ['a service named shadow', svc('shadow'), 'service name `shadow` is already used by the system'],
    ['a service named ssl-cert', svc('ssl-cert'), 'service name `ssl-cert` is already used by the system'],
    ['servicesGroup: sudo', `host:\n  servicesGroup: sudo\n${svc('evil')}`, '`host.servicesGroup` is a group the system'],
    ['a service named after an existing user', svc('alice'), 'a user alice already exists on this host'],
  ])('%s', async (what, yaml, message) => {
    const r = await emit(yaml);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain(message);
    expect(await snapshot()).toBe(before);
    expect((await host.exec(['getent', 'passwd', 'evil'])).code).toBe(2);
    refused.push(`${what}: ${message}`);
  });
});

describe('the service user, from inside its own service, is refused', () => {
  beforeAll(async () => {
    const r = await emit(svc('victim'));
    expect(r.code, r.out).toBe(0);
  }, 300_000);

  it('is in its own group and the services group only', async () => {
    expect((await host.run(['id', '-Gn', 'victim'])).trim().split(' ').sort()).toEqual(['services', 'victim']);
  });

  it('may restart its own unit, and nothing else as root', async () => {
    expect((await asUser('victim', 'sudo -n /usr/bin/systemctl restart victim.service')).code).toBe(0);
    for (const attempt of ['sudo -n /usr/bin/systemctl restart caddy.service', 'sudo -n /bin/sh -c id', 'sudo -n /usr/bin/systemctl edit victim.service', 'sudo -n /usr/bin/systemctl restart victim.service --now -- ssh.service']) {
      expect((await asUser('victim', attempt)).code, attempt).not.toBe(0);
      refused.push(`service user: ${attempt}`);
    }
  });

  it('cannot write outside its data folder, read /etc/shadow, or change the ownership record', async () => {
    for (const attempt of ['touch /etc/x', 'cat /etc/shadow', 'echo {} > /etc/atelier/.state.json', 'touch /etc/tmpfiles.d/atelier-victim.conf', 'touch /var/lib/x']) {
      expect((await asUser('victim', attempt)).code, attempt).not.toBe(0);
      refused.push(`service user: ${attempt}`);
    }
    expect((await asUser('victim', 'touch /var/lib/victim/data/ok')).code).toBe(0);
  });

  it('replacing its app folder by a symlink to /etc and restarting does not hand /etc over', async () => {
    // The restart itself may fail (the start-up step refuses the path): what matters is what it did to /etc.
    await asUser('victim', 'rm -rf /var/lib/victim/app && ln -s /etc /var/lib/victim/app && sudo -n /usr/bin/systemctl restart victim.service');
    // The restart runs ExecStartPre=+systemd-tmpfiles as root on <dataDir>/app: it must refuse the unsafe path.
    await host.waitFor('the restart to settle', async () => !['activating', 'deactivating'].includes((await host.exec(['systemctl', 'is-active', 'victim.service'])).stdout.trim()), 60_000);
    expect(await snapshot()).toBe(before);
    expect((await host.run(['stat', '-c', '%U:%G', '/etc'])).trim()).toBe('root:root');
    // The attack was really tried: the root step ran on the symlink and would not follow it.
    const journal = await host.run(['journalctl', '--no-pager', '-o', 'cat', '-u', 'victim.service']);
    expect(journal).toMatch(/"\/var\/lib\/victim\/app" already exists and is not a directory|unsafe path transition/);
    refused.push('service user: symlink /var/lib/victim/app → /etc, then restart (systemd-tmpfiles: "/var/lib/victim/app" already exists and is not a directory; /etc stays root:root)');
  }, 120_000);
});
