// `atelier-emit restore` on a booted host: a service's data is backed up under
// constant writes by its own emitted job, destroyed, and restored by the
// command; sqlite3, psql and systemctl say what came back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECLARATIONS = '/etc/atelier/declarations';
let host: BootedHost;

// A row every few milliseconds, each its own transaction; ids are 1..n without gaps.
const BUN_APP = `import { Database } from 'bun:sqlite';
const db = new Database(process.env.DATA_DIR + '/app.db');
db.exec('PRAGMA journal_mode=WAL');
db.exec('PRAGMA busy_timeout=10000');
db.exec('CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, at INTEGER)');
const insert = db.prepare('INSERT INTO rows (at) VALUES (?)');
setInterval(() => insert.run(Date.now()), 3);
Bun.serve({ port: Number(process.env.PORT), hostname: '127.0.0.1', fetch: () => new Response(String(db.query('SELECT max(id) AS n FROM rows').get().n) + '\\n') });
`;

// Loud failures: the command records the failed unit and its journal; the healthcheck listener below records pings.
const DECLARATION = `host:
  backup:
    onFailure: printf '%s\\n' "$1" >> /var/log/atelier-failed.log && printf '%s\\n' "$2" > "/var/log/atelier-failed-$1.log"
    healthcheckUrl: http://127.0.0.1:8099/hc
    check:
      readDataSubset: 1/2
services:
  keeper:
    description: Bun app with SQLite and files
    runtime: bun
    entryPoint: index.ts
    repository: /srv/git/keeper
    enable: true
    port: 3201
    caddy:
      enable: false
    environment:
      DATA_DIR: \${dataDir}/data
    data:
      sqlite: \${dataDir}/data/app.db
      stopForBackup: false
      files: [/srv/keeper-media]
  ledger:
    description: PostgreSQL-backed worker
    runtime: custom
    startCommand: sleep infinity
    enable: true
    port: 3202
    caddy:
      enable: false
    data:
      postgres: ledger
`;

// A healthchecks.io stand-in on loopback: every request, its path and body, one JSON line each.
const LISTENER = `const fs = require('node:fs');
require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { fs.appendFileSync('/var/lib/hc/pings.jsonl', JSON.stringify({ path: req.url, body }) + '\\n'); res.end('OK'); });
}).listen(8099, '127.0.0.1');
`;
const pings = async () => ((await host.exec(['cat', '/var/lib/hc/pings.jsonl'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path: string; body: string }));

const resticAsRoot = (...args: string[]) => host.run(['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'restic', ...args]);
/**
 * A pack holding only file data, which --read-data-subset=1/2 does not read
 * (restic picks bucket 1 of 2 by the ID's first byte: even ones). Its loss is
 * found by the check's structure pass; a pack it reads would be retried for
 * minutes first. More data is backed up until such a pack exists.
 */
async function dataPackOutsideSubset(): Promise<string> {
  for (let round = 0; round < 6; round++) {
    for (const index of (await resticAsRoot('list', 'index')).trim().split('\n')) {
      const packs = JSON.parse(await resticAsRoot('cat', 'index', index)).packs as { id: string; blobs: { type: string }[] }[];
      const found = packs.find((p) => parseInt(p.id.slice(0, 2), 16) % 2 === 1 && p.blobs.every((b) => b.type === 'data'));
      if (found) return `/var/backups/atelier-restic/data/${found.id.slice(0, 2)}/${found.id}`;
    }
    await host.run(`head -c 300000 /dev/urandom > /srv/keeper-media/covers/random-${round}`);
    await host.run(['systemctl', 'start', '--wait', 'atelier-backup-keeper.service'], { timeoutMs: 300_000 });
  }
  throw new Error('no data pack outside the check subset after six backups');
}

const cli = (...args: string[]) => host.exec(['node', BUNDLE, ...args, '--config', DECLARATIONS], { timeoutMs: 600_000 });
const isActive = async (unit: string) => (await host.exec(['systemctl', 'is-active', '--quiet', unit])).code === 0;
const sql = async (query: string) => (await host.run(['runuser', '-u', 'keeper', '--', 'sqlite3', '-cmd', '.timeout 10000', '/var/lib/keeper/data/app.db', query])).trim();
const psql = async (db: string, query: string) => (await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-XtA', '-d', db, '-c', query])).trim();
const LEDGER = "SELECT count(*), sum(amount), md5(string_agg(note, ',' ORDER BY id)) FROM entries";
const runJob = (unit: string) => host.exec(['systemctl', 'start', '--wait', unit], { timeoutMs: 600_000 });
const journal = async (unit: string) => (await host.exec(['journalctl', '-u', unit, '--no-pager', '-o', 'cat'])).stdout;

beforeAll(async () => {
  host = await BootedHost.boot('atelier-restore', (line) => console.log(line));
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  await host.run(['git', 'config', '--system', '--add', 'safe.directory', '*']);
  fs.mkdirSync(host.path('/srv/git/keeper'), { recursive: true });
  fs.writeFileSync(host.path('/srv/git/keeper/index.ts'), BUN_APP);
  fs.writeFileSync(host.path('/srv/git/keeper/package.json'), '{"name":"keeper","private":true}\n');
  await host.run('cd /srv/git/keeper && git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init && chmod -R a+rX /srv/git');
  fs.mkdirSync(host.path('/srv/keeper-media/covers'), { recursive: true });
  fs.writeFileSync(host.path('/srv/keeper-media/covers/one.txt'), 'cover one\n');
  fs.mkdirSync(host.path(DECLARATIONS), { recursive: true });
  fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), DECLARATION);
  fs.mkdirSync(host.path('/etc/atelier/restic'), { recursive: true });
  fs.writeFileSync(host.path('/etc/atelier/restic/repository'), '/var/backups/atelier-restic\n');
  fs.writeFileSync(host.path('/etc/atelier/restic/password'), 'restore-test-password\n', { mode: 0o600 });
  await host.run(['systemctl', 'start', 'postgresql.service']);
  await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-q', '-c', 'CREATE ROLE ledger LOGIN']);
  await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-q', '-c', 'CREATE DATABASE ledger OWNER ledger']);
  await host.run(['runuser', '-u', 'postgres', '--', 'psql', '-q', '-d', 'ledger', '-c', "CREATE TABLE entries (id serial PRIMARY KEY, amount int, note text); ALTER TABLE entries OWNER TO ledger; INSERT INTO entries (amount, note) SELECT g, 'entry ' || g FROM generate_series(1, 500) g;"]);
  fs.writeFileSync(host.path('/root/hc.js'), LISTENER);
  await host.run(['systemd-run', '--unit=hc-listener', '--property=StateDirectory=hc', '/usr/bin/node', '/root/hc.js']);
  await host.waitFor('the healthcheck listener', async () => (await host.exec(['curl', '-sS', 'http://127.0.0.1:8099/ready'])).code === 0, 30_000);
  const r = await host.exec(['node', BUNDLE, '--config', DECLARATIONS, '--out', '/etc', '--apply', '--no-color'], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`--apply failed:\n${r.stdout}${r.stderr}`);
  await host.waitFor('keeper to write rows', async () => Number((await host.exec(['curl', '-sS', 'http://127.0.0.1:3201/'])).stdout.trim()) > 0, 90_000);
  // A file the app keeps beside its database.
  await host.run(['runuser', '-u', 'keeper', '--', 'sh', '-c', 'echo "{\\"theme\\":\\"dark\\"}" > /var/lib/keeper/data/settings.json']);
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
});

describe('restore of a SQLite service and its files', () => {
  it('backs up under constant writes, is destroyed, and comes back with every committed row, running', async () => {
    const committed = Number(await sql('SELECT max(id) FROM rows'));
    const job = await runJob('atelier-backup-keeper.service');
    expect(job.code, await journal('atelier-backup-keeper.service')).toBe(0);
    const owner = (await host.run(['stat', '-c', '%U:%G %a', '/var/lib/keeper/data/app.db'])).trim();

    const listed = await cli('backups');
    expect(listed.code, listed.stderr + listed.stdout).toBe(0);
    console.log(`$ atelier-emit backups\n${listed.stdout}`);
    expect(listed.stdout).toMatch(/^keeper: 1 snapshot\n {2}[0-9a-f]{8} {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ s ago +[\d.]+ (B|KiB|MiB)\n/m);

    // Destroyed: every row deleted (committed, as a bad migration would), the file beside it and the media gone.
    await sql('DELETE FROM rows');
    await host.run('rm -f /var/lib/keeper/data/settings.json && rm -rf /srv/keeper-media/covers');

    const dry = await cli('restore', 'keeper', '--dry-run');
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(await isActive('keeper.service')).toBe(true); // a dry run stops nothing

    const r = await cli('restore', 'keeper');
    console.log(`$ atelier-emit restore keeper\n${r.stdout}${r.stderr}`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await isActive('keeper.service')).toBe(true);
    // Every row committed before the backup is back (ids 1..committed, no gap), and the app writes again.
    expect(Number(await sql(`SELECT count(*) FROM rows WHERE id <= ${committed}`))).toBe(committed);
    const restored = Number(await sql('SELECT max(id) FROM rows'));
    await host.waitFor('keeper to write again', async () => Number(await sql('SELECT max(id) FROM rows')) > restored, 30_000);
    expect(await sql('PRAGMA integrity_check')).toBe('ok');
    expect((await host.run(['stat', '-c', '%U:%G %a', '/var/lib/keeper/data/app.db'])).trim()).toBe(owner);
    expect(JSON.parse(await host.run(['cat', '/var/lib/keeper/data/settings.json']))).toEqual({ theme: 'dark' });
    expect(await host.run(['cat', '/srv/keeper-media/covers/one.txt'])).toBe('cover one\n');
    // The destroyed state is kept aside, not deleted.
    const aside = /\/var\/lib\/keeper\/data -> (\/var\/lib\/keeper\/data\.before-restore-\d{8}T\d{6})/.exec(r.stdout)![1];
    expect(await host.run(['runuser', '-u', 'keeper', '--', 'sqlite3', `${aside}/app.db`, 'SELECT count(*) FROM rows'])).not.toBe('');
  }, 600_000);

  it('--target restores into a folder and leaves the service alone', async () => {
    const pid = (await host.run(['systemctl', 'show', '-p', 'MainPID', '--value', 'keeper.service'])).trim();
    const r = await cli('restore', 'keeper', '--target', '/tmp/keeper-copy');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await host.run(['sqlite3', '/tmp/keeper-copy/var/lib/keeper/data/app.db', 'PRAGMA integrity_check'])).trim()).toBe('ok');
    expect(await host.run(['cat', '/tmp/keeper-copy/srv/keeper-media/covers/one.txt'])).toBe('cover one\n');
    expect((await host.run(['systemctl', 'show', '-p', 'MainPID', '--value', 'keeper.service'])).trim()).toBe(pid);
  }, 300_000);

  it('a restore that fails part-way keeps the previous data and says where', async () => {
    // A snapshot ID that is not this service's is refused before anything is stopped.
    const other = JSON.parse(await host.run(['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'restic', 'snapshots', '--json', '--tag', 'service:keeper']))[0].short_id as string;
    const refused = await cli('restore', 'ledger', '--snapshot', other);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`no snapshot ${other} of ledger`);
    // The integrity check of the placed database fails: sqlite3 is made to fail for the service's user only.
    await host.run('mv /usr/bin/sqlite3 /usr/bin/sqlite3.real && printf \'#!/bin/sh\\nif [ "$(id -un)" = keeper ]; then echo "*** corrupt"; exit 0; fi\\nexec /usr/bin/sqlite3.real "$@"\\n\' > /usr/bin/sqlite3 && chmod 755 /usr/bin/sqlite3');
    try {
      const r = await cli('restore', 'keeper');
      console.log(`$ atelier-emit restore keeper   # failing\n${r.stdout}`);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAILED \d+\. integrity check of \/var\/lib\/keeper\/data\/app\.db/);
      const aside = /\/var\/lib\/keeper\/data -> (\S+)/.exec(r.stdout.slice(r.stdout.indexOf('FAILED')))![1];
      expect(r.stdout).toContain('left stopped: keeper.service');
      expect(await isActive('keeper.service')).toBe(false);
      // The data as it was is complete where the output says.
      expect((await host.run(['sqlite3.real', `${aside}/app.db`, 'PRAGMA integrity_check'])).trim()).toBe('ok');
      await host.run(['sh', '-c', 'rm -rf /var/lib/keeper/data && mv "$1" /var/lib/keeper/data && systemctl start keeper.service', 'sh', aside]);
    } finally {
      await host.run('mv /usr/bin/sqlite3.real /usr/bin/sqlite3');
    }
    expect(await isActive('keeper.service')).toBe(true);
  }, 300_000);
});

describe('restore of a PostgreSQL database', () => {
  it('--into a new database, then in place after the live one was destroyed', async () => {
    const original = await psql('ledger', LEDGER);
    expect(original.startsWith('500|')).toBe(true);
    const job = await runJob('atelier-backup-ledger.service');
    expect(job.code, await journal('atelier-backup-ledger.service')).toBe(0);

    const into = await cli('restore', 'ledger', '--into', 'ledger_copy');
    expect(into.code, into.stdout + into.stderr).toBe(0);
    expect(await psql('ledger_copy', LEDGER)).toBe(original);

    await psql('ledger', 'DELETE FROM entries');
    const r = await cli('restore', 'ledger');
    console.log(`$ atelier-emit restore ledger\n${r.stdout}${r.stderr}`);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await psql('ledger', LEDGER)).toBe(original);
    // Owners as they were: the database and its table belong to the app's role.
    expect(await psql('ledger', "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ledger'")).toBe('ledger');
    expect(await psql('ledger', "SELECT tableowner FROM pg_tables WHERE tablename = 'entries'")).toBe('ledger');
    expect(await isActive('ledger.service')).toBe(true);
    // The destroyed database is kept, renamed.
    const aside = /database ledger -> database (ledger_before_restore_\w+)/.exec(r.stdout)![1];
    expect(await psql(aside, 'SELECT count(*) FROM entries')).toBe('0');
  }, 600_000);
});

describe('failure is loud: the failure command and the healthcheck hear of it', () => {
  const failed = async (unit: string) => (await host.exec(['grep', '-qx', unit, '/var/log/atelier-failed.log'])).code === 0;

  it('a backup that succeeds pings start and success', async () => {
    const before = (await pings()).length;
    expect((await runJob('atelier-backup-keeper.service')).code).toBe(0);
    expect((await pings()).slice(before).map((p) => p.path)).toEqual(['/hc/atelier-backup-keeper/start', '/hc/atelier-backup-keeper']);
  }, 300_000);

  it('an unreachable repository runs the failure command and sends a failure ping with the log; the service keeps running', async () => {
    fs.writeFileSync(host.path('/etc/atelier/restic/repository'), 'rest:http://127.0.0.1:9/\n');
    try {
      const before = (await pings()).length;
      expect((await runJob('atelier-backup-keeper.service')).code).not.toBe(0);
      await host.waitFor('the failure command', () => failed('atelier-backup-keeper.service'), 60_000);
      expect(await host.run(['cat', '/var/log/atelier-failed-atelier-backup-keeper.service.log'])).toMatch(/connection refused/i);
      const sent = (await pings()).slice(before);
      expect(sent.map((p) => p.path)).toEqual(['/hc/atelier-backup-keeper/start', '/hc/atelier-backup-keeper/fail']);
      expect(sent[1].body).toMatch(/connection refused/i);
      console.log(`failure ping body (tail):\n${sent[1].body.split('\n').slice(-5).join('\n')}`);
      expect(await isActive('keeper.service')).toBe(true);
    } finally {
      fs.writeFileSync(host.path('/etc/atelier/restic/repository'), '/var/backups/atelier-restic\n');
    }
  }, 300_000);

  it('an unreachable healthcheck never fails the backup', async () => {
    await host.run(['systemctl', 'stop', 'hc-listener.service']);
    try {
      const job = await runJob('atelier-backup-keeper.service');
      expect(job.code, await journal('atelier-backup-keeper.service')).toBe(0);
      expect(await journal('atelier-backup-keeper.service')).toContain('could not be sent (the job goes on)');
    } finally {
      await host.run(['systemd-run', '--unit=hc-listener2', '--property=StateDirectory=hc', '/usr/bin/node', '/root/hc.js']);
      await host.waitFor('the healthcheck listener', async () => (await host.exec(['curl', '-sS', 'http://127.0.0.1:8099/ready'])).code === 0, 30_000);
    }
  }, 300_000);

  it('the check timer\'s job passes on a good repository and fails, loudly, once a pack file is gone', async () => {
    expect((await host.run(['systemctl', 'show', '-p', 'ActiveState', '--value', 'atelier-check.timer'])).trim()).toBe('active');
    const good = await runJob('atelier-check.service');
    expect(good.code, await journal('atelier-check.service')).toBe(0);
    const pack = await dataPackOutsideSubset();
    await host.run(['rm', pack]);
    const before = (await pings()).length;
    expect((await runJob('atelier-check.service')).code).not.toBe(0);
    await host.waitFor('the failure command', () => failed('atelier-check.service'), 60_000);
    const sent = (await pings()).slice(before);
    expect(sent.map((p) => p.path)).toEqual(['/hc/atelier-check/start', '/hc/atelier-check/fail']);
    expect(sent[1].body).toContain(path.basename(pack).slice(0, 8));
    console.log(`check failure ping body (tail):\n${sent[1].body.split('\n').slice(-6).join('\n')}`);
  }, 600_000);

  it('the restic units keep their exposure on the host with notification on (systemd-analyze security)', async () => {
    const scores: Record<string, number> = {};
    for (const unit of ['atelier-backup-keeper.service', 'atelier-backup-ledger.service', 'atelier-prune.service', 'atelier-check.service']) {
      const out = await host.exec(['systemd-analyze', 'security', unit]);
      scores[unit] = Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(out.stdout + out.stderr)![1]);
    }
    console.log(`live exposure with onFailure and healthcheckUrl: ${JSON.stringify(scores)}`);
    // The limits of the offline measurement (test/backup-units.test.ts, test/backup-notify.test.ts).
    expect(scores['atelier-backup-keeper.service']).toBeLessThanOrEqual(2.4);
    expect(scores['atelier-backup-ledger.service']).toBeLessThanOrEqual(2.3);
    expect(scores['atelier-prune.service']).toBeLessThanOrEqual(1.6);
    expect(scores['atelier-check.service']).toBeLessThanOrEqual(1.6);
  });

  it("doctor reports each job's last result from systemd and each service's newest snapshot against its schedule", async () => {
    const r = await cli('doctor');
    console.log(`$ atelier-emit doctor\n${r.stdout}`);
    expect(r.code).toBe(1); // the check found the removed pack: the only failure
    expect(r.stdout).toContain('doctor: 1 problem to fix.');
    expect(r.stdout).toMatch(/^ok {4}last run of atelier-backup-keeper\.service: success at \w+ \d{4}-\d\d-\d\d/m);
    expect(r.stdout).toMatch(/^FAIL {2}last run of atelier-check\.service: exit-code \(exit status 1\) at /m);
    expect(r.stdout).toMatch(/^warn {2}last run of atelier-prune\.service: has not run since boot/m);
    expect(r.stdout).toMatch(/^ok {4}newest snapshot of keeper: \d+ (s|min) ago \(schedule 02:00\)$/m);
  }, 120_000);
});
