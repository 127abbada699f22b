// Coming from NixOS, on a booted host: declarations translated one to one from
// mkService mean what they meant there. systemd says what runs (MainPID, its
// environment, `systemctl show`), restic says what a restore holds, Caddy writes
// its access log under its own Debian unit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitWords } from '../support/unit-reader.js';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECLARATIONS = '/etc/atelier/declarations';
let host: BootedHost;

// Answers with what the process sees: its port, folder, and environment.
const NODE_WEB = `require('node:http')
  .createServer((req, res) => res.end(JSON.stringify({ branch: 'BRANCH', port: process.env.PORT, cwd: process.cwd(), env: process.env }) + '\\n'))
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

// A Bun app with its SQLite database and a file it keeps beside it.
const BUN_WEB = `import { Database } from 'bun:sqlite';
const dir = process.env.DATA_DIR;
const db = new Database(dir + '/app.db');
db.exec('PRAGMA journal_mode=WAL');
db.exec('CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, at INTEGER)');
await Bun.write(dir + '/settings.json', JSON.stringify({ beside: 'the database' }) + '\\n');
Bun.serve({
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  fetch() {
    db.query('INSERT INTO hits (at) VALUES (?)').run(Date.now());
    return new Response(JSON.stringify({ port: process.env.PORT, cwd: process.cwd(), hits: db.query('SELECT count(*) AS n FROM hits').get().n }) + '\\n');
  },
});
`;

const DECLARATION = `host:
  caddy:
    tls: internal
services:
  nodecmd:
    description: mkService app with a compound start command
    runtime: bun
    startCommand: cd web && PORT=3022 node server.js
    repository: /srv/git/nodecmd
    repositoryRef: release
    enable: true
    domain: nodecmd.test
    port: 3021
    environment:
      DECLARED: from-environment
    extraConfig:
      systemd:
        Service:
          Environment: DATABASE_PATH=\${dataDir}/data/app.db
          ReadWritePaths: /var/cache/nodecmd
          TimeoutStartSec: 2min
  buncmd:
    description: Bun app with SQLite, started through bash
    startCommand: FROM_PREFIX=yes bun run web/index.ts
    repository: /srv/git/buncmd
    enable: true
    domain: buncmd.test
    port: 3031
    environment:
      DATA_DIR: \${dataDir}/data
    data:
      sqlite: \${dataDir}/data/app.db
      stopUnits: [nodecmd.service]
      preBackup: echo "exporting as $(id -un) from $PWD" && mkdir -p ../data/export && echo "$PORT" > ../data/export/port
      postBackup: echo "post-backup done"
`;

const mainPid = async (unit: string) => Number((await host.run(['systemctl', 'show', '-p', 'MainPID', '--value', unit])).trim());
const isActive = async (unit: string) => (await host.exec(['systemctl', 'is-active', '--quiet', unit])).code === 0;
const get = (url: string, ...extra: string[]) => host.exec(['curl', '-sS', '--max-time', '10', ...extra, url]);
const restic = (...args: string[]) => host.exec(['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'restic', ...args]);

async function makeRepo(name: string, branches: Record<string, Record<string, string>>) {
  const dir = `/srv/git/${name}`;
  fs.mkdirSync(host.path(dir), { recursive: true });
  const git = (...args: string[]) => host.run(['git', '-C', dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args]);
  await git('init', '-q');
  for (const [branch, files] of Object.entries(branches)) {
    if (branch !== 'main') await git('checkout', '-qb', branch);
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(host.path(`${dir}/${file}`)), { recursive: true });
      fs.writeFileSync(host.path(`${dir}/${file}`), content);
    }
    await git('add', '-A');
    await git('commit', '-qm', branch);
  }
  await git('checkout', '-q', 'main');
  await host.run(['chmod', '-R', 'a+rX', '/srv/git']);
}

beforeAll(async () => {
  host = await BootedHost.boot('atelier-nixos', (line) => console.log(line));
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  await host.run(['git', 'config', '--system', '--add', 'safe.directory', '*']);
  await makeRepo('nodecmd', {
    main: { 'web/server.js': NODE_WEB.replace('BRANCH', 'main') },
    release: { 'web/server.js': NODE_WEB.replace('BRANCH', 'release') },
  });
  await makeRepo('buncmd', { main: { 'web/index.ts': BUN_WEB } });
  fs.mkdirSync(host.path(DECLARATIONS), { recursive: true });
  fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), DECLARATION);
  fs.mkdirSync(host.path('/var/cache/nodecmd'), { recursive: true });
  fs.mkdirSync(host.path('/etc/atelier/restic'), { recursive: true });
  fs.writeFileSync(host.path('/etc/atelier/restic/repository'), '/var/backups/atelier-restic\n');
  fs.writeFileSync(host.path('/etc/atelier/restic/password'), 'host-test-password\n');
  const r = await host.exec(['node', BUNDLE, '--config', DECLARATIONS, '--out', '/etc', '--apply', '--no-color'], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`--apply failed:\n${r.stdout}${r.stderr}`);
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
});

describe('start commands run as mkService runs them (bash -c), the app as the main process', () => {
  it('a compound command with an environment prefix: cd, then PORT=3022 node, on the declared branch', async () => {
    await host.waitFor('nodecmd on port 3022', async () => (await get('http://127.0.0.1:3022/')).code === 0, 90_000);
    const seen = JSON.parse((await get('http://127.0.0.1:3022/')).stdout);
    expect(seen).toMatchObject({ branch: 'release', port: '3022', cwd: '/var/lib/nodecmd/app/web' });
    // bash exec'd the last command: the unit's main process is node itself, not a shell around it.
    const pid = await mainPid('nodecmd.service');
    expect((await host.run(['cat', `/proc/${pid}/comm`])).trim()).toBe('node');
    expect((await host.exec(['ps', '-o', 'pid=', '--ppid', String(pid)])).stdout.trim()).toBe(''); // no child: nothing in between
    expect((await host.run(['git', '-C', '/var/lib/nodecmd/app', 'rev-parse', '--abbrev-ref', 'HEAD'])).trim()).toBe('release');
  }, 120_000);

  it('a prefix-only command line (FOO=1 cmd) starts Bun as the main process', async () => {
    await host.waitFor('buncmd on port 3031', async () => (await get('http://127.0.0.1:3031/')).code === 0, 90_000);
    const pid = await mainPid('buncmd.service');
    expect((await host.run(['cat', `/proc/${pid}/comm`])).trim()).toBe('bun');
    const environ = (await host.run(['cat', `/proc/${pid}/environ`])).split('\0');
    expect(environ).toEqual(expect.arrayContaining(['FROM_PREFIX=yes', 'PORT=3031', 'NODE_ENV=production']));
  }, 120_000);
});

describe('extraConfig.systemd adds to list directives, as NixOS and systemd do', () => {
  it('an added Environment keeps every generated variable (systemctl show and the process itself)', async () => {
    const shown = splitWords((await host.run(['systemctl', 'show', '-p', 'Environment', '--value', 'nodecmd.service'])).trim(), { shellEscapes: true });
    expect(shown.sort()).toEqual(['DATABASE_PATH=/var/lib/nodecmd/data/app.db', 'DECLARED=from-environment', 'NODE_ENV=production', 'PORT=3021'].sort());
    const env = JSON.parse((await get('http://127.0.0.1:3022/')).stdout).env;
    expect(env).toMatchObject({ NODE_ENV: 'production', DECLARED: 'from-environment', DATABASE_PATH: '/var/lib/nodecmd/data/app.db' });
  });

  it('an added ReadWritePaths keeps the data folder writable; a single-valued directive replaces', async () => {
    const paths = (await host.run(['systemctl', 'show', '-p', 'ReadWritePaths', '--value', 'nodecmd.service'])).trim().split(/\s+/);
    expect(paths.sort()).toEqual(['/var/cache/nodecmd', '/var/lib/nodecmd']);
    expect((await host.run(['systemctl', 'show', '-p', 'TimeoutStartUSec', '--value', 'nodecmd.service'])).trim()).toBe('2min');
  });
});

describe('backups as mkService declared them', () => {
  it("backs up the database's folder (a file beside the database is restored), runs pre/postBackup as the service user, stops stopUnits around the copy", async () => {
    const nodePid = await mainPid('nodecmd.service');
    expect((await get('http://127.0.0.1:3031/')).code).toBe(0); // a row, so the database has content
    const cursor = JSON.parse(await host.run(['journalctl', '-n', '1', '-o', 'json', '--no-pager'])).__CURSOR as string;
    const job = await host.exec(['systemctl', 'start', '--wait', 'atelier-backup-buncmd.service'], { timeoutMs: 600_000 });
    const journal = (await host.exec(['journalctl', '-u', 'atelier-backup-buncmd.service', '--no-pager', '-o', 'cat', '--after-cursor', cursor])).stdout;
    expect(job.code, journal).toBe(0);
    // The app's own commands ran as its user, in its app folder, with their output in the job's journal.
    expect(journal).toContain('exporting as buncmd from /var/lib/buncmd/app');
    expect(journal).toContain('post-backup done');
    // stopUnits: nodecmd was stopped around the copy and started again (a new process), as was buncmd.
    expect((await isActive('nodecmd.service')) && (await isActive('buncmd.service'))).toBe(true);
    expect(await mainPid('nodecmd.service')).not.toBe(nodePid);

    await host.run('rm -rf /tmp/restore && mkdir /tmp/restore');
    const restored = await restic('restore', 'latest', '--tag', 'service:buncmd', '--target', '/tmp/restore');
    expect(restored.code, restored.stderr).toBe(0);
    const data = '/tmp/restore/var/lib/buncmd/data';
    expect(JSON.parse(await host.run(['cat', `${data}/settings.json`]))).toEqual({ beside: 'the database' });
    expect((await host.run(['cat', `${data}/export/port`])).trim()).toBe('3031');
    for (const live of ['app.db', 'app.db-wal', 'app.db-shm', 'app.db-journal']) expect((await host.exec(['test', '-e', `${data}/${live}`])).code, live).toBe(1);
    const copy = '/tmp/restore/run/atelier-backup-buncmd/sqlite/app.db';
    expect((await host.run(['sqlite3', copy, 'PRAGMA integrity_check'])).trim()).toBe('ok');
    expect(Number((await host.run(['sqlite3', copy, 'SELECT count(*) FROM hits'])).trim())).toBeGreaterThan(0);
  }, 600_000);
});

describe('Caddy access logs under Caddy\'s own Debian unit', () => {
  it('starts, serves, and writes /var/log/caddy/access-<domain>.log', async () => {
    await host.run(['systemctl', 'start', 'caddy.service']);
    const https = () => get('https://buncmd.test/', '-k', '--resolve', 'buncmd.test:443:127.0.0.1');
    await host.waitFor('Caddy to serve buncmd.test', async () => (await https()).stdout.includes('"port":"3031"'), 60_000);
    const log = '/var/log/caddy/access-buncmd.test.log';
    await host.waitFor('the access log', async () => (await host.exec(['grep', '-q', '"host":"buncmd.test"', log])).code === 0, 60_000);
    const entry = JSON.parse(await host.run(['tail', '-n', '1', log]));
    expect(entry).toMatchObject({ logger: expect.stringMatching(/^http\.log\.access/), request: { host: 'buncmd.test' }, status: 200 });
    expect((await host.run(['stat', '-c', '%U', log])).trim()).toBe('caddy');
    // Each site its own file.
    // (nodecmd's start command moves it to 3022, off its declared port: Caddy answers 502, and logs it.)
    await get('https://nodecmd.test/', '-k', '--resolve', 'nodecmd.test:443:127.0.0.1');
    await host.waitFor('the second site\'s log', async () => (await host.exec(['grep', '-q', '"host":"nodecmd.test"', '/var/log/caddy/access-nodecmd.test.log'])).code === 0, 60_000);
    expect((await host.exec(['grep', '-c', 'nodecmd.test', log])).stdout.trim()).toBe('0');
  }, 120_000);
});
