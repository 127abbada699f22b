// doctor on this machine, with the real programs: Debian's systemd 252 and caddy 2.6 (no plugins),
// and the Caddy built with the plugins by the global set-up (test/setup/caddy-build.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnRunner } from '../src/apply.js';
import { doctor, formatFindings } from '../src/doctor.js';
import type { CommandRunner } from '../src/apply.js';
import { fixtureTexts, modelOf, tempDirs } from './support/emit.js';
import { need, oracle } from './support/oracles.js';

const temp = tempDirs();

describe('doctor', () => {
  it('reports what this host has and lacks for the fleet fixture, each with what to do', async () => {
    const root = temp('doctor');
    fs.mkdirSync(path.join(root, 'etc/caddy'), { recursive: true });
    fs.copyFileSync('/etc/os-release', path.join(root, 'etc/os-release'));
    fs.writeFileSync(path.join(root, 'etc/caddy/Caddyfile'), 'import /etc/caddy/atelier.caddy\n');
    const findings = await doctor({ model: modelOf(fixtureTexts('fleet')), run: spawnRunner, fs, root });
    const by = (check: string) => findings.find((f) => f.check === check);
    expect(by('systemd')).toMatchObject({ level: 'ok', detail: expect.stringMatching(/^systemd \d+$/) });
    expect(by('main Caddyfile')?.level).toBe('ok');
    expect(by('restic')?.level).toBe('ok');
    expect(by('runtime node')).toMatchObject({ level: 'ok' });
    // Debian's caddy has neither plugin, and 2.6 lacks trusted_proxies.
    expect(by('caddy module dns.providers.cloudflare')).toMatchObject({ level: 'fail', fix: 'build Caddy with it: xcaddy build --with github.com/caddy-dns/cloudflare' });
    expect(by('caddy module http.handlers.rate_limit')?.level).toBe('fail');
    expect(by('caddy version')?.level).toBe('fail');
    for (const f of findings.filter((f) => f.level !== 'ok')) expect(f.fix).toBeTruthy();
    expect(formatFindings(findings)).toMatch(/doctor: \d+ problems to fix\.\n$/);
  });

  it('reports the RFC 2136 module missing from Debian\'s caddy, and the environment file the TSIG secret is read from', async () => {
    const root = temp('doctor-rfc2136');
    const findings = await doctor({ model: modelOf(fixtureTexts('rfc2136')), run: spawnRunner, fs, root });
    const by = (check: string) => findings.find((f) => f.check === check);
    expect(by('caddy module dns.providers.rfc2136')).toMatchObject({ level: 'fail', fix: 'build Caddy with it: xcaddy build --with github.com/caddy-dns/rfc2136' });
    expect(by('caddy environment')).toMatchObject({ level: 'fail', detail: 'no /etc/caddy/rfc2136.env' });
  });

  it('finds a main Caddyfile that does not import the sites', async () => {
    const root = temp('doctor2');
    fs.mkdirSync(path.join(root, 'etc/caddy'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/caddy/Caddyfile'), ':80 {\n\trespond ok\n}\n');
    const findings = await doctor({ model: modelOf(fixtureTexts('seed')), run: spawnRunner, fs, root });
    expect(findings.find((f) => f.check === 'main Caddyfile')).toMatchObject({ level: 'fail', fix: 'add the line: import /etc/caddy/atelier.caddy' });
  });

  it('checks the restic repository: a local one outside /var/backups cannot be written by the backup units', async () => {
    const root = temp('doctor3');
    const model = modelOf(fixtureTexts('seed'));
    const findingsWith = async (repository: string | null, password: boolean) => {
      fs.rmSync(path.join(root, 'etc/atelier'), { recursive: true, force: true });
      fs.mkdirSync(path.join(root, 'etc/atelier/restic'), { recursive: true });
      if (repository !== null) fs.writeFileSync(path.join(root, 'etc/atelier/restic/repository'), `${repository}\n`);
      if (password) fs.writeFileSync(path.join(root, 'etc/atelier/restic/password'), 'secret\n');
      const findings = await doctor({ model, run: spawnRunner, fs, root });
      return findings.filter((f) => f.check.startsWith('restic ')).map((f) => [f.check, f.level]);
    };
    expect(await findingsWith('/var/backups/atelier-restic', true)).toEqual([['restic repository', 'ok']]);
    expect(await findingsWith('local:/var/backups/restic', true)).toEqual([['restic repository', 'ok']]);
    expect(await findingsWith('sftp:backup@example.com:/atelier', true)).toEqual([['restic repository', 'ok']]);
    expect(await findingsWith('/srv/restic', true)).toEqual([['restic repository', 'fail']]);
    expect(await findingsWith('/var/backups/../srv', true)).toEqual([['restic repository', 'fail']]);
    expect(await findingsWith(null, true)).toEqual([['restic repository', 'fail']]);
    expect(await findingsWith('/var/backups/r', false)).toEqual([['restic repository', 'ok'], ['restic password', 'fail']]);
  });
  it('checks the folder the access logs go to (Caddy does not start when it cannot open one)', async () => {
    const root = temp('doctor4');
    const model = modelOf(fixtureTexts('seed'));
    const finding = async () => (await doctor({ model, run: spawnRunner, fs, root })).find((f) => f.check === 'caddy access logs');
    expect(await finding()).toMatchObject({ level: 'fail', fix: expect.stringContaining('LogsDirectory=caddy') });
    fs.mkdirSync(path.join(root, 'var/log/caddy'), { recursive: true });
    expect(await finding()).toMatchObject({ level: 'ok' });
    const quiet = { ...model, services: model.services.map((s) => ({ ...s, caddy: { ...s.caddy, accessLog: false } })) };
    expect((await doctor({ model: quiet, run: spawnRunner, fs, root })).find((f) => f.check === 'caddy access logs')).toBeUndefined();
  });
});

const pluginCaddy = oracle('pluginCaddy');

describe.skipIf(pluginCaddy.skip !== null)(`doctor with the plugin-built Caddy${pluginCaddy.skip ? ` (skipped: ${pluginCaddy.skip})` : ''}`, () => {
  /** This machine's programs, with `caddy` the plugin-built one. */
  const runner: CommandRunner = (argv) => spawnRunner(argv[0] === 'caddy' ? [need(pluginCaddy), ...argv.slice(1)] : argv);
  const findingsFor = async (fixture: string, files: Record<string, string> = {}) => {
    const root = temp('doctor-plugins');
    for (const [file, content] of Object.entries({ 'etc/caddy/Caddyfile': 'import /etc/caddy/atelier.caddy\n', ...files })) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), content);
    }
    const findings = await doctor({ model: modelOf(fixtureTexts(fixture)), run: runner, fs, root });
    return (check: string) => findings.find((f) => f.check === check);
  };

  it('finds the modules and the version the fleet needs, where Debian\'s caddy has none', async () => {
    const by = await findingsFor('fleet', { 'etc/caddy/cloudflare.env': 'CLOUDFLARE_API_TOKEN=x\n' });
    expect(by('caddy')).toMatchObject({ level: 'ok', detail: expect.stringMatching(/^caddy v2\.\d+\.\d+/) });
    expect(by('caddy module dns.providers.cloudflare')).toMatchObject({ level: 'ok', detail: 'present' });
    expect(by('caddy module http.handlers.rate_limit')).toMatchObject({ level: 'ok', detail: 'present' });
    expect(by('caddy version')).toBeUndefined();
    expect(by('caddy environment')).toMatchObject({ level: 'ok', detail: '/etc/caddy/cloudflare.env sets CLOUDFLARE_API_TOKEN' });
  });

  it('RFC 2136: finds its module, and the TSIG secret missing from the environment file', async () => {
    let by = await findingsFor('rfc2136', { 'etc/caddy/rfc2136.env': '# no secret yet\n' });
    expect(by('caddy module dns.providers.rfc2136')).toMatchObject({ level: 'ok', detail: 'present' });
    expect(by('caddy environment')).toMatchObject({ level: 'fail', detail: '/etc/caddy/rfc2136.env does not set RFC2136_TSIG_SECRET' });
    by = await findingsFor('rfc2136', { 'etc/caddy/rfc2136.env': 'RFC2136_TSIG_SECRET=c2VjcmV0\n' });
    expect(by('caddy environment')?.level).toBe('ok');
  });
});
