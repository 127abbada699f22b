// --apply converges on a booted systemd (Debian 12 under systemd-nspawn): a
// service whose first start failed and one stopped by hand are brought back
// with no change to the declarations, an unchanged healthy service keeps its
// start time, Caddy is reloaded (not restarted) for a new site, a failing
// healthUrl is exit 3 and --rollback-on-failure leaves the previous version
// running, and enable: false stops, disables and removes a service.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECLARATIONS = '/etc/atelier/declarations';
let host: BootedHost;

// One small server for every app: /health answers 500 when MODE is "broken".
const SERVER = `require('node:http').createServer((req, res) => {
  res.statusCode = req.url === '/health' && process.env.MODE === 'broken' ? 500 : 200;
  res.end(process.env.MODE + '\\n');
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

interface Options {
  webMode?: string;
  extra?: boolean | 'disabled';
}

function declarations(o: Options = {}): string {
  const app = (name: string, port: number, more: string[] = []) =>
    [`  ${name}:`, `    description: ${name} under test`, '    runtime: node', '    entryPoint: server.js', '    enable: true', `    domain: ${name}.test`, `    port: ${port}`, ...more].join('\n');
  const apps = [
    app('steady', 3201, ['    repository: /srv/git/steady', '    environment:', '      MODE: steady']),
    // Its repository does not exist at first: the first clone, so the first start, fails.
    app('flaky', 3202, ['    repository: /srv/git/flaky', '    caddy:', '      enable: false']),
    app('web', 3203, ['    repository: /srv/git/web', '    healthUrl: http://127.0.0.1:3203/health', '    environment:', `      MODE: ${o.webMode ?? 'ok'}`]),
  ];
  if (o.extra) apps.push(app('extra', 3204, ['    repository: /srv/git/extra']).replace('enable: true', `enable: ${o.extra === true}`));
  return `host:\n  caddy:\n    tls: internal\nservices:\n${apps.join('\n')}\n`;
}

async function apply(o: Options = {}, ...flags: string[]): Promise<{ code: number; out: string }> {
  fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), declarations(o));
  const r = await host.exec(['node', BUNDLE, '--config', DECLARATIONS, '--out', '/etc', '--apply', '--no-color', ...flags], { timeoutMs: 300_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const show = async (unit: string, property: string) => (await host.run(['systemctl', 'show', '-p', property, '--value', unit])).trim();
const started = async (unit: string) => Number(await show(unit, 'ExecMainStartTimestampMonotonic'));
const isActive = async (unit: string) => (await host.exec(['systemctl', 'is-active', '--quiet', unit])).code === 0;
const isEnabled = async (unit: string) => (await host.exec(['systemctl', 'is-enabled', '--quiet', unit])).code === 0;
const get = async (port: number, p = '/') => (await host.exec(['curl', '-sS', '--max-time', '5', '-o', '-', '-w', '\\n%{http_code}', `http://127.0.0.1:${port}${p}`])).stdout;

// Each app is cloned on first start from a local repository (a data folder made by hand is refused: it is not the service's).
async function makeRepo(name: string) {
  fs.mkdirSync(host.path(`/srv/git/${name}`), { recursive: true });
  fs.writeFileSync(host.path(`/srv/git/${name}/server.js`), SERVER);
  await host.run(`cd /srv/git/${name} && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init && chmod -R a+rX /srv/git`);
}

beforeAll(async () => {
  host = await BootedHost.boot('atelier-converge', (line) => console.log(line));
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  await host.run(['git', 'config', '--system', '--add', 'safe.directory', '*']);
  for (const name of ['steady', 'web', 'extra']) await makeRepo(name);
  fs.mkdirSync(host.path(DECLARATIONS), { recursive: true });
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
}, 120_000);

describe('--apply converges on a booted host', () => {
  it('a service whose first start failed is brought back by the next --apply, with no change to the declarations', async () => {
    const first = await apply();
    expect(first.code, first.out).toBe(3);
    expect(first.out).toMatch(/activation failed at: systemctl enable --now .*flaky\.service/);
    expect(await isActive('flaky.service')).toBe(false);
    // The others started anyway, Caddy among them.
    await host.waitFor('steady to answer', async () => (await get(3201)).endsWith('\n200'), 30_000);
    expect(await isActive('caddy.service')).toBe(true);

    // The missing piece appears (the repository); the declarations do not change.
    const repo = host.path('/srv/git/flaky');
    fs.mkdirSync(repo, { recursive: true });
    fs.writeFileSync(path.join(repo, 'server.js'), SERVER);
    await host.run('cd /srv/git/flaky && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init && chmod -R a+rX /srv/git');
    const steadySince = await started('steady.service');
    const caddyPid = await show('caddy.service', 'MainPID');
    const second = await apply();
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/ran: systemctl enable --now flaky\.service\n/);
    expect(await isActive('flaky.service')).toBe(true);
    expect(await get(3202)).toMatch(/\n200$/);
    // What already was right was not touched.
    expect(await started('steady.service')).toBe(steadySince);
    expect(await show('caddy.service', 'MainPID')).toBe(caddyPid);
    // (The first run was cut short before Caddy's reload: the second owes it, a reload, never a restart.)
    expect(second.out).not.toMatch(/ran: systemctl restart/);
  }, 300_000);

  it('a service stopped and disabled by hand is started and enabled again; the others keep their start time', async () => {
    await host.run(['systemctl', 'disable', '--now', 'steady.service']);
    expect(await isActive('steady.service')).toBe(false);
    const before = { flaky: await started('flaky.service'), web: await started('web.service') };
    const r = await apply();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ran: systemctl enable --now steady.service\n');
    expect((await isActive('steady.service')) && (await isEnabled('steady.service'))).toBe(true);
    expect({ flaky: await started('flaky.service'), web: await started('web.service') }).toEqual(before);
  }, 120_000);

  it('adding an app reloads Caddy (same process) and restarts nothing else', async () => {
    const snapshot = async () => ({ steady: await started('steady.service'), web: await started('web.service'), caddy: await show('caddy.service', 'MainPID') });
    const before = await snapshot();
    const r = await apply({ extra: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ran: systemctl try-reload-or-restart caddy.service\n');
    expect(r.out).not.toContain('ran: systemctl restart');
    expect(await snapshot()).toEqual(before);
    const https = async () => (await host.exec(['curl', '-sSk', '--max-time', '5', '--resolve', 'extra.test:443:127.0.0.1', '-o', '-', '-w', '\n%{http_code}', 'https://extra.test/'])).stdout;
    await host.waitFor('Caddy to serve the new site', async () => (await https()).endsWith('\n200'), 60_000);
  }, 180_000);

  it('a healthUrl that fails is exit 3 with the name and the journal; with --rollback-on-failure the previous version runs again', async () => {
    const unit = await host.run(['cat', '/etc/systemd/system/web.service']);
    const r = await apply({ extra: true, webMode: 'broken' }, '--health-timeout', '8', '--rollback-on-failure');
    expect(r.code, r.out).toBe(3);
    expect(r.out).toContain('not healthy: web.service its healthUrl http://127.0.0.1:3203/health answered 500 within 8 s');
    expect(r.out).toMatch(/Its journal:\n {2}\S/);
    expect(r.out).toContain('rolled back: the previous files are in place again');
    expect(await host.run(['cat', '/etc/systemd/system/web.service'])).toBe(unit);
    await host.waitFor('the previous web to answer', async () => (await get(3203, '/health')) === 'ok\n\n200', 30_000);
    const pid = await show('web.service', 'MainPID');
    expect((await host.run(['cat', `/proc/${pid}/environ`])).split('\0')).toContain('MODE=ok');
    // The previous declarations are exactly what is running: nothing is owed, nothing restarts.
    const since = await started('web.service');
    const again = await apply({ extra: true });
    expect(again.code, again.out).toBe(0);
    expect(again.out).not.toMatch(/ran: systemctl (restart|enable|try-reload)/);
    expect(await started('web.service')).toBe(since);
  }, 180_000);

  it('enable: false stops and disables the service and removes its files, without --prune', async () => {
    expect(await isActive('extra.service')).toBe(true);
    const r = await apply({ extra: 'disabled' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ran: systemctl disable --now extra.service\n');
    expect(await isActive('extra.service')).toBe(false);
    expect(await isEnabled('extra.service')).toBe(false);
    for (const f of ['/etc/systemd/system/extra.service', '/etc/caddy/sites/extra.caddy', '/etc/sudoers.d/atelier-extra', '/etc/tmpfiles.d/atelier-extra.conf']) {
      expect(fs.existsSync(host.path(f)), f).toBe(false);
    }
    expect(await host.run(['cat', '/etc/caddy/atelier.caddy'])).not.toContain('extra');
    expect(await isActive('caddy.service')).toBe(true);
  }, 120_000);
});
