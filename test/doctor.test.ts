// doctor on this machine, with the real programs: Debian's systemd 252 and caddy 2.6 (no plugins).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnRunner } from '../src/apply.js';
import { doctor, formatFindings } from '../src/doctor.js';
import { fixtureTexts, modelOf, tempDirs } from './support/emit.js';

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
});
