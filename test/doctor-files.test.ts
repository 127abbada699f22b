// doctor on secret files, git and runtime versions; its suggested commands make what it accepts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { doctor } from '../src/doctor.js';
import { createSecretCommand } from '../src/doctor-files.js';
import type { Model } from '../src/model.js';
import { modelOf, tempDirs } from './support/emit.js';

const temp = tempDirs();
const DECL = `host:
  caddy:
    environmentFile: /etc/caddy/token.env
  backup:
    environmentFile: /etc/atelier/restic/env
services:
  web:
    description: Web
    runtime: node
    enable: true
    domain: web.example.com
    port: 3000
    repository: https://example.com/web.git
    secretsFile: /etc/web/secrets.env
    data:
      files: [/var/lib/web/data]
`;
// Read for every test, so that mutation testing credits it (docs/architecture.md).
let model: Model;
beforeEach(() => {
  model = modelOf([{ file: 'atelier.yaml', text: DECL }]);
});
const runner =
  (answers: Record<string, [number, string]> = {}): CommandRunner =>
  async (command) => {
    const [code, output] = answers[command[0]] ?? [0, command[0] === 'node' ? 'v20.11.1' : 'ok'];
    return { command, code, output };
  };
const inRoot = (root: string, fix: string) => fix.replace(/ (\/etc\/\S+)/g, (_m, p: string) => ` ${root}${p}`);

describe('doctor: secret files', () => {
  it('each secret missing is a failure whose command creates it as doctor then accepts it', async () => {
    const root = temp('doctor-secrets');
    for (const dir of ['etc/caddy', 'etc/atelier/restic', 'etc/web']) fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/atelier/restic/repository'), '/var/backups/restic\n');
    const first = await doctor({ model, run: runner(), fs, root });
    const secrets = first.filter((f) => f.check.startsWith('secret ') || f.check === 'restic password');
    expect(secrets.map((f) => [f.check, f.level])).toEqual([
      ['restic password', 'fail'],
      ['secret /etc/web/secrets.env', 'fail'],
      ['secret /etc/atelier/restic/env', 'fail'],
    ]);
    // Caddy's file is read by the sites (the DNS token): its absence is the "caddy environment" check's failure, said once.
    expect(first.find((f) => f.check === 'caddy environment')).toMatchObject({ level: 'fail', detail: 'no /etc/caddy/token.env' });
    for (const f of secrets) {
      const command = inRoot(root, f.fix!.replace(/^create it(?: \(mode 0600\))?: /, '').replace(/; keep a copy off this host$/, ''));
      execFileSync('sh', ['-c', command]);
    }
    execFileSync('sh', ['-c', `${inRoot(root, createSecretCommand('/etc/caddy/token.env'))} && echo CLOUDFLARE_API_TOKEN=t >> ${root}/etc/caddy/token.env`]);
    const second = await doctor({ model, run: runner(), fs, root });
    const after = second.filter((f) => f.check.startsWith('secret ') || f.check === 'restic password');
    expect(after.map((f) => [f.check, f.level, f.detail])).toEqual([
      ['secret /etc/web/secrets.env', 'ok', 'mode 0600, owner root'],
      ['secret /etc/caddy/token.env', 'ok', 'mode 0600, owner root'],
      ['secret /etc/atelier/restic/env', 'ok', 'mode 0600, owner root'],
      ['secret /etc/atelier/restic/password', 'ok', 'mode 0600, owner root'],
    ]);
  });

  it('a world-readable secret, a group-writable one or one not owned by root fails; 0640 root-owned passes', async () => {
    const root = temp('doctor-modes');
    const file = path.join(root, 'etc/web/secrets.env');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'TOKEN=x\n');
    const finding = async () => (await doctor({ model, run: runner(), fs, root })).find((f) => f.check === 'secret /etc/web/secrets.env')!;
    fs.chmodSync(file, 0o644);
    expect(await finding()).toMatchObject({ level: 'fail', detail: expect.stringContaining('mode 0644 lets every user read it'), fix: 'chown root:root /etc/web/secrets.env && chmod 0600 /etc/web/secrets.env' });
    fs.chmodSync(file, 0o660);
    expect((await finding()).detail).toContain('lets its group change it');
    fs.chmodSync(file, 0o640);
    expect((await finding()).level).toBe('ok');
    fs.chownSync(file, 1000, 1000);
    expect((await finding()).detail).toContain('owned by uid 1000, not root');
  });
});

describe('doctor: git and runtime versions', () => {
  it('git is required when a service clones its repository', async () => {
    const root = temp('doctor-git');
    const findings = await doctor({ model, run: runner({ git: [127, 'not found'] }), fs, root });
    expect(findings.find((f) => f.check === 'git')).toMatchObject({ level: 'fail', detail: 'not found (web clone their repository on first start)', fix: 'apt install git' });
  });

  it('a Node older than 18 fails; a current one passes', async () => {
    const root = temp('doctor-node');
    const old = await doctor({ model, run: runner({ node: [0, 'v16.20.2\n'] }), fs, root });
    expect(old.find((f) => f.check === 'runtime node')).toMatchObject({ level: 'fail', detail: 'node v16.20.2: 16.20 is older than 18.0' });
    const current = await doctor({ model, run: runner(), fs, root });
    expect(current.find((f) => f.check === 'runtime node')?.level).toBe('ok');
  });
});
