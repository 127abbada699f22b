// The Debian package on a booted Debian 12: installed with apt (which resolves
// nodejs from the distribution: Debian's own Node 18, not a copied binary),
// then the command, its man page and its bash completion are used as a
// sysadmin would, and the seed example is emitted, verified and applied.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/process.js';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
let host: BootedHost;
let deb: string;

beforeAll(async () => {
  deb = (await run(process.execPath, [path.join(ROOT, 'scripts/package-deb.mjs')], { cwd: ROOT })).trim().split('\n').pop()!;
  host = await BootedHost.boot('atelier-package', (line) => console.log(line));
  fs.copyFileSync(path.join(ROOT, deb), host.path(`/root/${path.basename(deb)}`));
  fs.mkdirSync(host.path('/root/seed'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'fixtures/seed/atelier.yaml'), host.path('/root/seed/atelier.yaml'));
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
});

describe('the Debian package', () => {
  it('installs with apt, depending on the distribution nodejs', async () => {
    // As a sysadmin types it; the host has no network, so nodejs can only come from what is installed.
    const r = await host.exec(`cd /root && apt install -y ./${path.basename(deb)}`, { timeoutMs: 300_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await host.run(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'atelier-emit'])).toMatch(/^install ok installed \d+\.\d+\.\d+/);
    // The command runs on Debian's own node: /usr/bin/node belongs to the nodejs package, version 18.
    expect((await host.run(['readlink', '-f', '/usr/bin/atelier-emit'])).trim()).toBe('/usr/lib/atelier-emit/atelier-emit.mjs');
    expect((await host.run(['head', '-1', '/usr/lib/atelier-emit/atelier-emit.mjs'])).trim()).toBe('#!/usr/bin/node');
    expect((await host.run(['dpkg', '-S', '/usr/bin/node'])).trim()).toBe('nodejs: /usr/bin/node');
    expect((await host.run(['node', '--version'])).trim()).toMatch(/^v18\./);
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    expect((await host.run(['atelier-emit', '--version'])).trim()).toBe(version);
  }, 300_000);

  it('runs the seed example: validate, doctor, a dry run with its diff, then written and verified by systemd', async () => {
    expect(await host.run('cd /root/seed && atelier-emit validate')).toContain('ok: 1 enabled service in atelier.yaml');
    const doctor = await host.exec(['atelier-emit', 'doctor', '--config', '/root/seed']);
    expect(doctor.stdout).toMatch(/ok\s+distribution: Debian GNU\/Linux 12/);
    const dry = await host.run('cd /root/seed && atelier-emit --out /root/tree --dry-run --no-color');
    expect(dry).toContain('+++ b/systemd/system/myapp.service');
    expect(fs.existsSync(host.path('/root/tree'))).toBe(false);
    await host.run('cd /root/seed && atelier-emit --out /root/tree');
    const verify = await host.exec(['systemd-analyze', 'verify', '/root/tree/systemd/system/myapp.service']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout + verify.stderr).toBe('');
    expect(await host.run('cd /root/seed && atelier-emit --out /root/tree --check --json | head -c 200')).toContain('"changed": false');
  }, 300_000);

  it('has a man page man(1) finds and renders without warnings', async () => {
    const r = await host.exec(['sh', '-c', 'MANWIDTH=80 man --warnings atelier-emit 2>&1 >/dev/null; MANWIDTH=80 man atelier-emit']);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.replace(/.\x08/g, ''); // overstruck bold, when man writes into a pipe
    const [warnings, page] = [text.slice(0, text.indexOf('ATELIER-EMIT(1)')), text.slice(text.indexOf('ATELIER-EMIT(1)'))];
    expect(warnings.trim()).toBe('');
    expect(page).toMatch(/^NAME\n\s+atelier[-\u2010\u2212]emit\s+[-\u2010\u2212]\s+turn service declarations/m);
    for (const option of ['--dry-run', '--check', '--prune', '--apply', '--force', '--only']) expect(page).toContain(option);
    expect(await host.run(['whatis', 'atelier-emit'])).toMatch(/^atelier-emit \(1\)\s+- turn service declarations/);
  });

  it('completes options, emitters and declaration files in bash', async () => {
    const complete = (line: string) =>
      host.run(['bash', '-c', `cd /root/seed && source /usr/share/bash-completion/completions/atelier-emit && COMP_WORDS=(${line}) && COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )) && _atelier_emit && printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect((await complete("atelier-emit --dr")).trim()).toBe('--dry-run');
    expect((await complete("atelier-emit --only systemd,ca")).trim()).toBe('systemd,caddy');
    expect((await complete("atelier-emit --config ''")).trim()).toBe('atelier.yaml');
    expect((await complete("atelier-emit doc")).trim()).toBe('doctor');
  });

  it('puts the Ansible collection where ansible-core finds it', async () => {
    const base = '/usr/share/ansible/collections/ansible_collections/atelier/emit';
    for (const file of ['galaxy.yml', 'plugins/modules/deploy.py', 'plugins/action/deploy.py', 'roles/deploy/tasks/main.yml']) {
      expect(fs.existsSync(host.path(`${base}/${file}`)), file).toBe(true);
    }
  });

  it('removes cleanly', async () => {
    await host.run(['apt-get', 'remove', '-y', 'atelier-emit']);
    expect((await host.exec(['sh', '-c', 'command -v atelier-emit'])).code).not.toBe(0);
    expect(fs.existsSync(host.path('/usr/share/ansible/collections/ansible_collections/atelier'))).toBe(false);
  });
});
