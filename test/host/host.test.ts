// The booted-host test: a real systemd (Debian 12 under systemd-nspawn) where
// atelier-emit runs with --out /etc --apply, and the emitted services, sites and
// backups are proven to work. One boot serves every part, in order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureTexts, modelOf } from '../support/emit.js';
import { readEnvironment, splitWords } from '../support/unit-reader.js';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECLARATIONS = '/etc/atelier/declarations';
let host: BootedHost;
const timings: Record<string, number> = {};

const NODE_APP = `const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
http
  .createServer((req, res) => {
    fs.appendFileSync(process.env.DATA_DIR + '/hits.log', Date.now() + '\\n');
    res.end('hello from ' + process.env.APP_NAME + ' on ' + process.env.PORT + ' with ' + os.cpus().length + ' cpus\\n');
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

const BUN_APP = `import { Database } from 'bun:sqlite';
const db = new Database(process.env.DATA_DIR + '/app.db');
db.exec('PRAGMA journal_mode=WAL');
db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, at INTEGER)');
const insert = db.prepare('INSERT INTO rows (at) VALUES (?)');
// A row every few milliseconds, each its own transaction: the backup runs under constant writes.
setInterval(() => insert.run(Date.now()), 3);
Bun.serve({
  port: Number(process.env.PORT),
  hostname: '127.0.0.1',
  fetch() {
    return new Response('hello from bun with ' + db.query('SELECT count(*) AS n FROM rows').get().n + ' rows\\n');
  },
});
`;

const HOSTILE_APP = `require('node:http').createServer((q, r) => r.end('hostile ok\\n')).listen(Number(process.env.PORT), '127.0.0.1');\n`;

function declarations(overrides: { nodeEnv?: string; nodePort?: number; bunStop?: boolean } = {}): string {
  return `host:
  caddy:
    tls: internal
  backup:
    prune:
      keepLast: 3
services:
  nodeapp:
    description: Node app under test
    runtime: node
    entryPoint: server.js
    repository: /srv/git/nodeapp
    enable: true
    domain: nodeapp.test
    port: ${overrides.nodePort ?? 3101}
    environment:
      DATA_DIR: \${dataDir}/data
      APP_NAME: \${name}
      GREETING: ${JSON.stringify(overrides.nodeEnv ?? 'hello')}
  bunapp:
    description: Bun app under test
    runtime: bun
    entryPoint: index.ts
    repository: /srv/git/bunapp
    enable: true
    domain: bunapp.test
    port: 3102
    environment:
      DATA_DIR: \${dataDir}/data
    data:
      sqlite: \${dataDir}/data/app.db
      stopForBackup: ${overrides.bunStop ?? false}
  pgapp:
    description: PostgreSQL-backed worker
    runtime: custom
    startCommand: sleep infinity
    enable: true
    port: 3103
    caddy:
      enable: false
    data:
      postgres: ledger
`;
}

function writeDeclarations(text: string) {
  fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), text);
}

async function apply(): Promise<{ code: number; out: string }> {
  const r = await host.exec(['node', BUNDLE, '--config', DECLARATIONS, '--out', '/etc', '--apply', '--no-color'], { timeoutMs: 600_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const mainPid = async (unit: string) => Number((await host.run(['systemctl', 'show', '-p', 'MainPID', '--value', unit])).trim());
const isActive = async (unit: string) => (await host.exec(['systemctl', 'is-active', '--quiet', unit])).code === 0;
const curl = async (url: string, ...extra: string[]) => (await host.exec(['curl', '-sS', '--max-time', '10', ...extra, '-o', '-', '-w', '\\n%{http_code}', url]));

async function makeRepo(name: string, files: Record<string, string>) {
  const dir = host.path(`/srv/git/${name}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
  await host.run(`cd /srv/git/${name} && git init -q && git add -A && git -c user.name=test -c user.email=test@example.com commit -qm init && chmod -R a+rX /srv/git`);
}

beforeAll(async () => {
  const start = Date.now();
  host = await BootedHost.boot('atelier-host', (line) => console.log(line));
  timings.boot = Date.now() - start;
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  // Local repositories, owned by root: every service user may clone them.
  await host.run(['git', 'config', '--system', '--add', 'safe.directory', '*']);
  await makeRepo('nodeapp', {
    'server.js': NODE_APP,
    'package.json': '{"name":"nodeapp","version":"1.0.0","private":true}\n',
    'package-lock.json': '{"name":"nodeapp","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"nodeapp","version":"1.0.0"}}}\n',
  });
  await makeRepo('bunapp', { 'index.ts': BUN_APP, 'package.json': '{"name":"bunapp","private":true}\n' });
  // The hostile fixture's app has no repository: it is deployed by hand, as an admin would. An existing data
  // folder must already be its service's (--apply refuses to hand over anyone else's): the admin makes the account first.
  await host.run(['useradd', '--system', '--user-group', '--home-dir', '/var/lib/hostile', '--no-create-home', 'hostile']);
  fs.mkdirSync(host.path('/var/lib/hostile/app/src'), { recursive: true });
  fs.writeFileSync(host.path('/var/lib/hostile/app/src/my server.js'), HOSTILE_APP);
  await host.run(['chown', '-R', 'hostile:hostile', '/var/lib/hostile']);
  fs.mkdirSync(host.path(DECLARATIONS), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'fixtures/hostile/atelier.yaml'), host.path(`${DECLARATIONS}/hostile.yaml`));
  writeDeclarations(declarations());
  // restic: a local repository, its password in a file.
  fs.mkdirSync(host.path('/etc/atelier/restic'), { recursive: true });
  fs.writeFileSync(host.path('/etc/atelier/restic/repository'), '/var/backups/atelier-restic\n');
  fs.writeFileSync(host.path('/etc/atelier/restic/password'), 'host-test-password\n');
  await host.run(['systemctl', 'start', 'postgresql.service']);
  await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-q', '-c', 'CREATE DATABASE ledger']);
  await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-q', '-d', 'ledger', '-c', "CREATE TABLE entries (id serial PRIMARY KEY, amount int, note text); INSERT INTO entries (amount, note) SELECT g, 'entry ' || g FROM generate_series(1, 500) g;"]);
}, 1_800_000);

afterAll(async () => {
  console.log(`host test timings (ms): ${JSON.stringify(timings)}`);
  await host?.shutdown();
});

describe('systemd on a booted host', () => {
  it('applies the tree: users, folders, units started', async () => {
    const start = Date.now();
    const r = await apply();
    timings.firstApply = Date.now() - start;
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ran: systemd-sysusers');
    expect(r.out).toContain('ran: systemctl enable --now');
  });

  it('clones on first start, serves HTTP 200 and writes into its data folder (node and bun)', async () => {
    for (const [name, port] of [['nodeapp', 3101], ['bunapp', 3102], ['hostile', 3100]] as const) {
      timings[`${name}Up`] = await host.waitFor(`${name} to answer`, async () => (await curl(`http://127.0.0.1:${port}/`)).stdout.endsWith('\n200'), 90_000);
      expect(await isActive(`${name}.service`)).toBe(true);
    }
    expect(fs.existsSync(host.path('/var/lib/nodeapp/app/.git'))).toBe(true);
    expect(fs.readFileSync(host.path('/var/lib/nodeapp/data/hits.log'), 'utf8').length).toBeGreaterThan(0);
    expect((await curl('http://127.0.0.1:3101/')).stdout).toMatch(/^hello from nodeapp on 3101 with [1-9]\d* cpus\n/);
    expect(Number((await host.run(['runuser', '-u', 'bunapp', '--', 'sqlite3', '/var/lib/bunapp/data/app.db', 'SELECT count(*) FROM rows'])).trim())).toBeGreaterThan(0);
    const owner = (await host.run(['stat', '-c', '%U:%G %a', '/var/lib/nodeapp/data'])).trim();
    expect(owner).toBe('nodeapp:services 750');
  }, 300_000);

  it('scores at most 2.0 in systemd-analyze security on the host, for each runtime', async () => {
    const scores: Record<string, number> = {};
    for (const unit of ['nodeapp.service', 'bunapp.service', 'pgapp.service']) {
      const out = await host.exec(['systemd-analyze', 'security', unit]);
      scores[unit] = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(out.stdout + out.stderr)![1]);
    }
    console.log(`live exposure: ${JSON.stringify(scores)}`);
    for (const score of Object.values(scores)) expect(score).toBeLessThanOrEqual(2.0);
  });

  it('lets the service user restart its own unit through sudo, and no other', async () => {
    expect((await host.exec(['sudo', '-u', 'nodeapp', 'sudo', '-n', 'systemctl', 'restart', 'nodeapp.service'])).code).toBe(0);
    const refused = await host.exec(['sudo', '-u', 'nodeapp', 'sudo', '-n', 'systemctl', 'restart', 'bunapp.service']);
    expect(refused.code).not.toBe(0);
    expect((await host.exec(['sudo', '-u', 'nodeapp', 'sudo', '-n', 'systemctl', 'status', 'nodeapp.service'])).code).toBe(0);
  });

  it('is restarted by systemd (Restart=on-failure, RestartSec=10s) after kill -9 of its main process', async () => {
    await host.waitFor('nodeapp active after the restart', async () => (await isActive('nodeapp.service')) && (await mainPid('nodeapp.service')) > 0, 60_000);
    const restarts = async () => Number((await host.run(['systemctl', 'show', '-p', 'NRestarts', '--value', 'nodeapp.service'])).trim());
    const before = await restarts();
    const pid = await mainPid('nodeapp.service');
    await host.run(['kill', '-9', String(pid)]);
    // Bounded by a condition (back and serving), generously for a busy machine; the time is reported, not asserted.
    const back = await host.waitFor('nodeapp to come back', async () => (await mainPid('nodeapp.service')) !== pid && (await mainPid('nodeapp.service')) > 0 && (await curl('http://127.0.0.1:3101/')).stdout.endsWith('\n200'), 90_000);
    expect(await restarts()).toBe(before + 1);
    // Not before RestartSec: systemd, not something else, brought it back.
    expect(back).toBeGreaterThanOrEqual(10_000);
    timings.restartAfterKill = back;
  }, 180_000);

  it('passes hostile environment values through exactly (the process environment and systemctl show)', async () => {
    const declared = modelOf(fixtureTexts('hostile')).services[0].environment;
    const environ = (await host.run(['cat', `/proc/${await mainPid('hostile.service')}/environ`])).split('\0').filter(Boolean);
    const env = Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    for (const [key, value] of Object.entries(declared)) expect(env[key], key).toBe(value);
    // The test suite's unit-file reader must agree with systemd's own reading.
    const shown = (await host.run(['systemctl', 'show', '-p', 'Environment', '--value', 'hostile.service'])).trim();
    const fromShow = Object.fromEntries(splitWords(shown, { shellEscapes: true }).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    const unitText = fs.readFileSync(host.path('/etc/systemd/system/hostile.service'), 'utf8');
    const fromReader = Object.fromEntries(unitText.split('\n').filter((l) => l.startsWith('Environment=')).flatMap((l) => readEnvironment(l.slice('Environment='.length))));
    expect(fromShow).toEqual(fromReader);
    expect(fromReader).toMatchObject(declared);
  });

  it('restarts nothing when the declarations are unchanged, and only the changed service otherwise', async () => {
    const before = { nodeapp: (await mainPid('nodeapp.service')), bunapp: (await mainPid('bunapp.service')), hostile: (await mainPid('hostile.service')) };
    const same = await apply();
    expect(same.code, same.out).toBe(0);
    // Users and folders are made sure of on every run (systemd-sysusers, systemd-tmpfiles); no unit is touched.
    expect(same.out).not.toMatch(/ran: systemctl/);
    expect({ nodeapp: (await mainPid('nodeapp.service')), bunapp: (await mainPid('bunapp.service')), hostile: (await mainPid('hostile.service')) }).toEqual(before);

    writeDeclarations(declarations({ nodeEnv: 'changed greeting' }));
    const changed = await apply();
    expect(changed.code, changed.out).toBe(0);
    expect(changed.out).toContain('ran: systemctl restart nodeapp.service\n');
    await host.waitFor('nodeapp back', async () => (await isActive('nodeapp.service')), 30_000);
    expect(await mainPid('nodeapp.service')).not.toBe(before.nodeapp);
    expect(await mainPid('bunapp.service')).toBe(before.bunapp);
    expect(await mainPid('hostile.service')).toBe(before.hostile);
  }, 120_000);
});

describe('Caddy on the booted host', () => {
  const https = async (domain: string) => (await curl(`https://${domain}/`, '-k', '--resolve', `${domain}:443:127.0.0.1`));

  it('serves every site over HTTPS with Caddy internal TLS, proxying to the app', async () => {
    await host.run(['systemctl', 'start', 'caddy.service']);
    await host.waitFor('Caddy to serve nodeapp.test', async () => (await https('nodeapp.test')).stdout.endsWith('\n200'), 60_000);
    expect((await https('nodeapp.test')).stdout).toMatch(/^hello from nodeapp on 3101/);
    expect((await https('bunapp.test')).stdout).toMatch(/^hello from bun with \d+ rows\n\n200$/);
    expect((await https('hostile.example.com')).stdout).toBe('hostile ok\n\n200');
  }, 120_000);

  it('reloads Caddy on --apply after a port change, and the new port is served', async () => {
    writeDeclarations(declarations({ nodeEnv: 'changed greeting', nodePort: 3111 }));
    const r = await apply();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('ran: systemctl try-reload-or-restart caddy.service');
    await host.waitFor('nodeapp on its new port through Caddy', async () => (await https('nodeapp.test')).stdout.startsWith('hello from nodeapp on 3111'), 60_000);
  }, 120_000);
});

describe('backups on the booted host', () => {
  const restic = async (...args: string[]) => (await host.exec(['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'restic', ...args]));
  // As the app's user: a root connection could leave WAL files the app cannot open.
  const rows = async (db: string, asApp = true) => Number((await host.run([...(asApp ? ['runuser', '-u', 'bunapp', '--'] : []), 'sqlite3', db, 'SELECT count(*) FROM rows'])).trim());
  const runJob = async (unit: string) => {
    const start = Date.now();
    const r = await host.exec(['systemctl', 'start', '--wait', unit], { timeoutMs: 600_000 });
    return { ...r, ms: Date.now() - start };
  };

  it('backs up a live WAL database under constant writes, losing no committed row', async () => {
    const before = await rows('/var/lib/bunapp/data/app.db');
    const job = await runJob('atelier-backup-bunapp.service');
    const after = await rows('/var/lib/bunapp/data/app.db');
    expect(job.code, (await host.exec(['journalctl', '-u', 'atelier-backup-bunapp.service', '--no-pager'])).stdout).toBe(0);
    timings.sqliteBackup = job.ms;
    expect(after).toBeGreaterThan(before);
    await host.run('rm -rf /tmp/restore && mkdir /tmp/restore');
    expect((await restic('restore', 'latest', '--tag', 'service:bunapp', '--target', '/tmp/restore')).code).toBe(0);
    const restored = '/tmp/restore/run/atelier-backup-bunapp/sqlite/app.db';
    expect((await host.run(['sqlite3', restored, 'PRAGMA integrity_check'])).trim()).toBe('ok');
    const restoredRows = await rows(restored, false);
    expect(restoredRows).toBeGreaterThanOrEqual(before);
    expect(await isActive('bunapp.service')).toBe(true);
    expect((await host.exec(['test', '-e', '/run/atelier-backup-bunapp'])).code).toBe(1); // the staging folder is gone
    console.log(`sqlite backup: ${job.ms} ms; rows before ${before}, written during ${after - before}, restored ${restoredRows}`);
  }, 300_000);

  it('with stopForBackup, stops the service around the copy and starts it again, even when the stop fails', async () => {
    writeDeclarations(declarations({ nodeEnv: 'changed greeting', nodePort: 3111, bunStop: true }));
    expect((await apply()).code).toBe(0);
    const pid = await mainPid('bunapp.service');
    expect((await runJob('atelier-backup-bunapp.service')).code).toBe(0);
    expect(await isActive('bunapp.service')).toBe(true);
    expect(await mainPid('bunapp.service')).not.toBe(pid); // it really was stopped and started

    // A stop that fails: a runtime drop-in (not atelier's) makes systemd refuse manual stops.
    // (/run is the container's own tmpfs: written from inside.)
    await host.run("mkdir -p /run/systemd/system/bunapp.service.d && printf '[Unit]\\nRefuseManualStop=yes\\n' > /run/systemd/system/bunapp.service.d/refuse-stop.conf && systemctl daemon-reload");
    const running = await mainPid('bunapp.service');
    const cursor = JSON.parse((await host.run(['journalctl', '-n', '1', '-o', 'json', '--no-pager']))).__CURSOR as string;
    const job = await runJob('atelier-backup-bunapp.service');
    await host.run('rm -rf /run/systemd/system/bunapp.service.d && systemctl daemon-reload');
    expect(job.code).toBe(0);
    expect(await isActive('bunapp.service')).toBe(true);
    expect(await mainPid('bunapp.service')).toBe(running);
    // The stop step really failed (systemd refused it) and the job went on: the journal since the cursor says so.
    // `journalctl --sync` first: on a busy machine journald may not have written the job's lines yet. The whole
    // journal, not `-u`: a line of a process that has already exited can reach journald without its unit
    // (seen once on a busy machine: the line never matched `-u` within 60 s).
    const journal = async () => {
      await host.exec(['journalctl', '--sync']);
      return (await host.exec(['journalctl', '--no-pager', '-o', 'cat', '--after-cursor', cursor])).stdout;
    };
    await host.waitFor('the refused stop in the journal', async () => /Failed to stop bunapp\.service/.test(await journal()), 60_000);
    expect(await journal()).toMatch(/Failed to stop bunapp\.service[\s\S]*Finished|Failed to stop bunapp\.service[\s\S]*Deactivated successfully/);
  }, 300_000);

  it('dumps PostgreSQL into the snapshot; the restored database has the same rows', async () => {
    const job = await runJob('atelier-backup-pgapp.service');
    expect(job.code, (await host.exec(['journalctl', '-u', 'atelier-backup-pgapp.service', '--no-pager'])).stdout).toBe(0);
    timings.postgresBackup = job.ms;
    await host.run('rm -rf /tmp/pgrestore && mkdir /tmp/pgrestore');
    expect((await restic('restore', 'latest', '--tag', 'service:pgapp', '--target', '/tmp/pgrestore')).code).toBe(0);
    await host.run('chmod -R a+rX /tmp/pgrestore');
    await host.run(['runuser', '-u', 'postgres', '--', 'createdb', 'ledger_restored']);
    await host.run(['runuser', '-u', 'postgres', '--', 'pg_restore', '-d', 'ledger_restored', '/tmp/pgrestore/run/atelier-backup-pgapp/postgres/ledger.dump']);
    const query = 'SELECT count(*), sum(amount), md5(string_agg(note, \',\' ORDER BY id)) FROM entries';
    const original = await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-tA', '-d', 'ledger', '-c', query]);
    const restored = await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-tA', '-d', 'ledger_restored', '-c', query]);
    expect(restored).toBe(original);
    expect(original.startsWith('500|')).toBe(true);
  }, 300_000);

  it('prunes the whole repository keeping each service\'s retention independently', async () => {
    for (let i = 0; i < 3; i++) expect((await runJob('atelier-backup-bunapp.service')).code).toBe(0);
    const count = async (tag: string) => JSON.parse((await restic('snapshots', '--json', '--tag', tag)).stdout).length;
    expect(await count('service:bunapp')).toBeGreaterThan(3);
    expect(await count('service:pgapp')).toBe(1);
    expect((await runJob('atelier-prune.service')).code).toBe(0);
    // keepLast 3 per group (host, tags): bunapp keeps 3, pgapp's single snapshot is not pushed out by bunapp's.
    expect(await count('service:bunapp')).toBe(3);
    expect(await count('service:pgapp')).toBe(1);
  }, 600_000);

  it('fails visibly when the repository is unreachable, and leaves the service running', async () => {
    fs.writeFileSync(host.path('/etc/atelier/restic/repository'), 'rest:http://127.0.0.1:9/\n');
    try {
      const job = await runJob('atelier-backup-bunapp.service');
      expect(job.code).not.toBe(0);
      expect((await host.exec(['systemctl', 'is-failed', 'atelier-backup-bunapp.service'])).stdout.trim()).toBe('failed');
      expect((await host.run(['journalctl', '-u', 'atelier-backup-bunapp.service', '--no-pager']))).toMatch(/connection refused|Fatal/i);
      expect(await isActive('bunapp.service')).toBe(true);
    } finally {
      fs.writeFileSync(host.path('/etc/atelier/restic/repository'), '/var/backups/atelier-restic\n');
    }
  }, 300_000);
});
