// Backups through their whole life on a booted host, each asserted through
// systemd's and restic's own state: the timers `--apply` leaves enabled and
// running; a SQLite database whose WAL is not open (no -shm file) copied by
// the job's sandbox; the scheduled check failing, loudly, on a repository
// copy with a corrupted pack; and a service pruned from the declarations
// stopped by `--prune --apply`, not left running without its unit file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootedHost } from './container.js';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = '/opt/atelier-emit/atelier-emit.mjs';
const DECLARATIONS = '/etc/atelier/declarations';
const REPOSITORY = '/var/backups/atelier-restic';
let host: BootedHost;

const QUIET = `  quiet:
    description: SQLite app not running its database
    runtime: custom
    startCommand: sleep infinity
    enable: true
    port: 3301
    caddy:
      enable: false
    data:
      sqlite: \${dataDir}/data/app.db
      stopForBackup: false
`;
const DOOMED = `  doomed:
    description: Service about to be removed from the declarations
    runtime: custom
    startCommand: sleep infinity
    enable: true
    port: 3302
    caddy:
      enable: false
    data:
      files: [/srv/doomed]
`;
const declarations = (withDoomed: boolean) => `host:
  backup:
    onFailure: printf '%s\\n' "$1" >> /var/log/atelier-failed.log
    healthcheckUrl: http://127.0.0.1:8099/hc
    check:
      readDataSubset: 100%
services:
${QUIET}${withDoomed ? DOOMED : ''}`;

// A healthchecks.io stand-in on loopback: each request's path, one line each.
const LISTENER = `require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => { require('node:fs').appendFileSync('/var/lib/hc/pings', req.url + '\\n'); res.end('OK'); });
}).listen(8099, '127.0.0.1');
`;
const pings = async () => (await host.exec(['cat', '/var/lib/hc/pings'])).stdout.split('\n').filter(Boolean);

const apply = (...extra: string[]) => host.exec(['node', BUNDLE, '--config', DECLARATIONS, '--out', '/etc', '--apply', '--no-color', ...extra], { timeoutMs: 600_000 });
const show = async (unit: string, property: string) => (await host.run(['systemctl', 'show', '-p', property, '--value', unit])).trim();
const runJob = (unit: string) => host.exec(['systemctl', 'start', '--wait', unit], { timeoutMs: 600_000 });
const journal = async (unit: string) => (await host.exec(['journalctl', '-u', unit, '--no-pager', '-o', 'cat'])).stdout;
const restic = (...args: string[]) => host.run(['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'restic', ...args]);

beforeAll(async () => {
  host = await BootedHost.boot('atelier-backup-life', (line) => console.log(line));
  fs.mkdirSync(host.path(path.dirname(BUNDLE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), host.path(BUNDLE));
  fs.mkdirSync(host.path('/srv/doomed'), { recursive: true });
  fs.writeFileSync(host.path('/srv/doomed/notes.txt'), 'doomed notes\n');
  fs.mkdirSync(host.path(DECLARATIONS), { recursive: true });
  fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), declarations(true));
  fs.mkdirSync(host.path('/etc/atelier/restic'), { recursive: true });
  fs.writeFileSync(host.path('/etc/atelier/restic/repository'), `${REPOSITORY}\n`);
  fs.writeFileSync(host.path('/etc/atelier/restic/password'), 'lifecycle-test-password\n', { mode: 0o600 });
  fs.writeFileSync(host.path('/root/hc.js'), LISTENER);
  await host.run(['systemd-run', '--unit=hc-listener', '--property=StateDirectory=hc', '/usr/bin/node', '/root/hc.js']);
  await host.waitFor('the healthcheck listener', async () => (await host.exec(['curl', '-sS', 'http://127.0.0.1:8099/ready'])).code === 0, 30_000);
  const r = await apply();
  if (r.code !== 0) throw new Error(`--apply failed:\n${r.stdout}${r.stderr}`);
}, 1_800_000);

afterAll(async () => {
  await host?.shutdown();
});

describe('backups on the booted host, by systemd state', () => {
  it('--apply leaves every backup, prune and check timer enabled and active (systemctl is-enabled, is-active)', async () => {
    const timers = ['atelier-backup-quiet.timer', 'atelier-backup-doomed.timer', 'atelier-prune.timer', 'atelier-check.timer'];
    for (const timer of timers) {
      expect((await host.exec(['systemctl', 'is-enabled', timer])).stdout.trim(), timer).toBe('enabled');
      expect((await host.exec(['systemctl', 'is-active', timer])).stdout.trim(), timer).toBe('active');
      // Scheduled: systemd has computed the next elapse from OnCalendar=.
      expect(await show(timer, 'NextElapseUSecRealtime'), timer).not.toBe('');
    }
    // Disabled by hand (one still running, one stopped too): the next --apply, with no declaration change, enables both again.
    await host.run(['systemctl', 'disable', 'atelier-backup-quiet.timer']);
    await host.run(['systemctl', 'disable', '--now', 'atelier-check.timer']);
    const again = await apply();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    for (const timer of timers) {
      expect((await host.exec(['systemctl', 'is-enabled', timer])).stdout.trim(), `${timer} after a second --apply`).toBe('enabled');
      expect((await host.exec(['systemctl', 'is-active', timer])).stdout.trim(), `${timer} after a second --apply`).toBe('active');
    }
  }, 120_000);

  it('copies a WAL database whose folder has no -shm file yet (no connection open): the job may write there', async () => {
    // Made by the service's user, then closed: SQLite removes -wal and -shm at the last close.
    await host.run(['runuser', '-u', 'quiet', '--', 'mkdir', '-p', '/var/lib/quiet/data']);
    await host.run(['runuser', '-u', 'quiet', '--', 'sqlite3', '/var/lib/quiet/data/app.db', 'PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 250) INSERT INTO rows SELECT x FROM c;']);
    expect(await host.run(['sqlite3', '/var/lib/quiet/data/app.db', 'PRAGMA journal_mode'])).toBe('wal\n');
    expect(fs.existsSync(host.path('/var/lib/quiet/data/app.db-shm'))).toBe(false);
    const job = await runJob('atelier-backup-quiet.service');
    expect(job.code, await journal('atelier-backup-quiet.service')).toBe(0);
    // What systemd read from the unit: the database's folder is writable in the job's sandbox.
    expect(await show('atelier-backup-quiet.service', 'ReadWritePaths')).toMatch(/(^| )-?\/var\/lib\/quiet\/data( |$)/);
    await host.run(['sh', '-c', `env RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository RESTIC_PASSWORD_FILE=/etc/atelier/restic/password restic dump latest --tag service:quiet /run/atelier-backup-quiet/sqlite/app.db > /tmp/quiet-copy.db`]);
    expect(await host.run(['sqlite3', '/tmp/quiet-copy.db', 'SELECT count(*) FROM rows; PRAGMA integrity_check;'])).toBe('250\nok\n');
  }, 300_000);

  it('the check job fails, runs the failure command and pings /fail on a repository copy with a corrupted data pack', async () => {
    const doomed = await runJob('atelier-backup-doomed.service');
    expect(doomed.code, await journal('atelier-backup-doomed.service')).toBe(0);
    const copy = '/var/backups/atelier-restic-corrupt';
    await host.run(['cp', '-a', REPOSITORY, copy]);
    fs.writeFileSync(host.path('/etc/atelier/restic/repository'), `${copy}\n`);
    try {
      // The intact copy passes: what fails below is the corruption, nothing else.
      const good = await runJob('atelier-check.service');
      expect(good.code, await journal('atelier-check.service')).toBe(0);
      // Packs holding file data only: the structure pass never reads them, only --read-data-subset does.
      const dataPacks: string[] = [];
      for (const index of (await restic('list', 'index')).trim().split('\n')) {
        const packs = JSON.parse(await restic('cat', 'index', index)).packs as { id: string; blobs: { type: string }[] }[];
        dataPacks.push(...packs.filter((p) => p.blobs.every((b) => b.type === 'data')).map((p) => p.id));
      }
      expect(dataPacks.length).toBeGreaterThan(0);
      for (const id of dataPacks) {
        const file = `${copy}/data/${id.slice(0, 2)}/${id}`;
        await host.run(['sh', '-c', 'chmod u+w "$1" && printf CORRUPTED | dd of="$1" bs=1 seek=16 conv=notrunc status=none', 'sh', file]);
      }
      const before = (await pings()).length;
      const bad = await runJob('atelier-check.service');
      expect(bad.code).not.toBe(0);
      expect(await show('atelier-check.service', 'Result')).toBe('exit-code');
      expect(await journal('atelier-check.service')).toContain(`want ${dataPacks[0]}`);
      await host.waitFor('the failure command', async () => (await host.exec(['grep', '-qx', 'atelier-check.service', '/var/log/atelier-failed.log'])).code === 0, 60_000);
      expect((await pings()).slice(before)).toEqual(['/hc/atelier-check/start', '/hc/atelier-check/fail']);
    } finally {
      fs.writeFileSync(host.path('/etc/atelier/restic/repository'), `${REPOSITORY}\n`);
    }
  }, 600_000);

  it('--prune --apply stops a removed service and its backup timer before their files go (ActiveState, the process gone)', async () => {
    const pid = Number(await show('doomed.service', 'MainPID'));
    expect(pid).toBeGreaterThan(0);
    expect(await show('atelier-backup-doomed.timer', 'ActiveState')).toBe('active');
    fs.writeFileSync(host.path(`${DECLARATIONS}/apps.yaml`), declarations(false));
    const r = await apply('--prune');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.existsSync(host.path('/etc/systemd/system/doomed.service'))).toBe(false);
    expect(fs.existsSync(host.path('/etc/systemd/system/atelier-backup-doomed.timer'))).toBe(false);
    // Without a stop, systemd keeps a deleted unit's process running ("not-found", active) until reboot.
    for (const unit of ['doomed.service', 'atelier-backup-doomed.timer']) {
      expect(await show(unit, 'ActiveState'), unit).toBe('inactive');
      expect(await show(unit, 'LoadState'), unit).toBe('not-found');
    }
    expect((await host.exec(['kill', '-0', String(pid)])).code, `doomed's sleep (pid ${pid}) still runs`).not.toBe(0);
    // The rest is untouched.
    expect(await show('quiet.service', 'ActiveState')).toBe('active');
    expect((await host.exec(['systemctl', 'is-enabled', 'atelier-backup-quiet.timer'])).stdout.trim()).toBe('enabled');
  }, 300_000);
});
