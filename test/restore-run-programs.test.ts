// The restore run in process with the real programs: a restic repository in a
// temp dir holding a snapshot laid out as the backup job writes it (the
// consistent SQLite copy under /run/atelier-backup-<service>, the database's
// folder, a declared folder), restored by src/restore/run.ts with restic,
// sqlite3, sh, mv and runuser for real. systemctl is a stand-in that records
// (the booted host runs the same restore against systemd: test/host/restore.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { RESTIC_CACHE, SNAPSHOT_HOST } from '../src/emitters/backup/index.js';
import type { Model } from '../src/model.js';
import { restore } from '../src/restore/run.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { missingProgram, notRoot, requirement, titled } from './support/oracles.js';
import { exec } from './support/process.js';

const here = requirement(notRoot('useradd, runuser, chown, /run'), missingProgram('restic', 'restic'), missingProgram('sqlite3', 'sqlite3'), missingProgram('runuser', 'util-linux'));

/** Runs each command as it is, its output being stdout and stderr together. */
async function run(argv: string[]): Promise<StepResult> {
  const r = await exec(argv[0], argv.slice(1), { timeoutMs: 120_000 });
  return { command: argv, code: r.code, output: r.stdout + r.stderr };
}
const sql = (db: string, statement: string) => execFileSync('sqlite3', ['-bail', db, statement], { encoding: 'utf8' }).trim();
const read = (p: string) => fs.readFileSync(p, 'utf8');

describe.skipIf(here.skip !== null)(titled('restore with restic, sqlite3 and the shell for real, files in a temp dir', here), () => {
  // The service's name is its owner's: one system user per test process.
  const name = `atrst${process.pid}`;
  let tmp = '';
  let model: Model;
  let withEnvFile: Model;
  let shortId = '';
  let repoId = '';
  let createdUser = false;
  let said = '';
  const say = (t: string) => void (said += t);
  const live = () => `${tmp}/live/data`;
  const media = () => `${tmp}/media`;
  const staging = `/run/atelier-backup-${name}`;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-restore-run-'));
    fs.chmodSync(tmp, 0o755); // the service's user reads its database under it
    if (spawnSync('id', ['-u', name]).status !== 0) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
      createdUser = true;
    }
    fs.writeFileSync(`${tmp}/repository`, `${tmp}/repo\n`);
    fs.writeFileSync(`${tmp}/password`, 'correct horse\n', { mode: 0o600 });
    fs.writeFileSync(`${tmp}/restic.env`, '# as systemd reads it\nRESTIC_COMPRESSION=auto\n');
    fs.writeFileSync(`${tmp}/systemctl`, `#!/bin/sh\necho "$*" >>'${tmp}/systemctl.log'\n[ "$1" = is-active ] && echo active\nexit 0\n`, { mode: 0o755 });
    const env = { ...process.env, RESTIC_REPOSITORY_FILE: `${tmp}/repository`, RESTIC_PASSWORD_FILE: `${tmp}/password`, RESTIC_CACHE_DIR: `${tmp}/cache` };
    const restic = (...args: string[]) => execFileSync('restic', args, { env, encoding: 'utf8' });
    restic('init');
    repoId = JSON.parse(restic('cat', 'config')).id;

    // The data as the backup job saw it: the live folder (its database excluded), the consistent copy staged, a declared folder.
    fs.mkdirSync(`${live()}/uploads`, { recursive: true });
    fs.mkdirSync(media());
    fs.writeFileSync(`${live()}/uploads/a.txt`, 'upload at backup time\n');
    fs.writeFileSync(`${media()}/m.txt`, 'media at backup time\n');
    sql(`${live()}/app.db`, "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('live at backup time')");
    fs.mkdirSync(`${staging}/sqlite`, { recursive: true });
    sql(`${staging}/sqlite/app.db`, "CREATE TABLE t(v TEXT); INSERT INTO t VALUES ('consistent copy')");
    restic('backup', '--host', SNAPSHOT_HOST, '--tag', `service:${name}`, '--exclude', `${live()}/app.db`, `${staging}/sqlite/app.db`, live(), media());
    fs.rmSync(staging, { recursive: true, force: true });
    shortId = JSON.parse(restic('snapshots', '--json'))[0].short_id;

    // What happened since: the database written to (owned by the service, private), a -wal beside it, the folder changed.
    sql(`${live()}/app.db`, "INSERT INTO t VALUES ('written after the backup')");
    execFileSync('chown', [`${name}:${name}`, `${live()}/app.db`]);
    fs.chmodSync(`${live()}/app.db`, 0o600);
    fs.writeFileSync(`${live()}/app.db-wal`, 'stale');
    fs.writeFileSync(`${media()}/m.txt`, 'media changed\n');
    fs.writeFileSync(`${media()}/new.txt`, 'new\n');

    const host = makeHost({ systemctl: `${tmp}/systemctl`, backup: { ...makeHost().backup, repositoryFile: `${tmp}/repository`, passwordFile: `${tmp}/password` } });
    const service = makeService(name, { data: { ...makeService(name).data, sqlite: `${live()}/app.db`, files: [media()] } });
    model = makeModel([service, makeService('other', { data: { ...makeService('other').data, files: ['/srv/other'] } })], host);
    withEnvFile = makeModel(model.services, { ...host, backup: { ...host.backup, environmentFile: `${tmp}/restic.env` } });
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(staging, { recursive: true, force: true });
    // A restore that failed keeps its folder for the administrator; a test that failed does not.
    for (const stamp of ['T1', 'T2', 'T4']) fs.rmSync(`/var/tmp/atelier-restore-${name}-${stamp}`, { recursive: true, force: true });
    if (repoId) fs.rmSync(`/var/cache/${RESTIC_CACHE}/${repoId}`, { recursive: true, force: true });
    if (createdUser) spawnSync('userdel', ['--force', name]);
  });

  it('a service without a snapshot in the repository: restic finds none by its tag', async () => {
    said = '';
    expect(await restore({ model, options: { service: 'other', snapshot: 'latest', target: null, into: null, stamp: 'T1' }, dryRun: false, run, say })).toBe('failed');
    expect(said).toBe('error: no snapshot of other (tag service:other) in the repository\n');
  });

  it('--dry-run: the latest snapshot of the service is found and named, nothing is run', async () => {
    said = '';
    expect(await restore({ model, options: { service: name, snapshot: 'latest', target: null, into: null, stamp: 'T2' }, dryRun: true, run, say })).toBe('ok');
    expect(said).toContain(`restore snapshot ${shortId} (`);
    expect(said).toContain('dry run: nothing was done.');
    expect(fs.existsSync(`/var/tmp/atelier-restore-${name}-T2`)).toBe(false);
    expect(read(`${media()}/m.txt`)).toBe('media changed\n');
  });

  it('--target by snapshot ID, restic reading the environment file: the files and the checked SQLite copy land in the folder, the live ones are untouched', async () => {
    said = '';
    const target = `${tmp}/target`;
    expect(await restore({ model: withEnvFile, options: { service: name, snapshot: shortId, target, into: null, stamp: 'T3' }, dryRun: false, run, say })).toBe('ok');
    expect(sql(`${target}${live()}/app.db`, 'SELECT v FROM t')).toBe('consistent copy');
    expect(fs.existsSync(`${target}${staging}/sqlite/app.db`)).toBe(false);
    expect(read(`${target}${live()}/uploads/a.txt`)).toBe('upload at backup time\n');
    expect(read(`${target}${media()}/m.txt`)).toBe('media at backup time\n');
    expect(read(`${media()}/m.txt`)).toBe('media changed\n');
    expect(fs.existsSync(`${tmp}/systemctl.log`)).toBe(false);
    expect(said).toContain(`the service was not touched; the files are under ${target}\n`);
  });

  it('in place: the service stopped, the live data moved aside, the snapshot put in its place with the database owner and mode kept, started and checked', async () => {
    said = '';
    const stamp = 'T4';
    const aside = (p: string) => `${p}.before-restore-${stamp}`;
    const ownerUid = fs.statSync(`${live()}/app.db`).uid;
    expect(await restore({ model, options: { service: name, snapshot: 'latest', target: null, into: null, stamp }, dryRun: false, run, say })).toBe('ok');
    // The snapshot's data is live: the consistent copy, with the previous database's owner and mode, no stale -wal.
    expect(sql(`${live()}/app.db`, 'SELECT v FROM t')).toBe('consistent copy');
    const st = fs.statSync(`${live()}/app.db`);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: ownerUid, mode: 0o600 });
    expect(fs.existsSync(`${live()}/app.db-wal`)).toBe(false);
    expect(read(`${live()}/uploads/a.txt`)).toBe('upload at backup time\n');
    expect(fs.readdirSync(media()).sort()).toEqual(['m.txt']);
    expect(read(`${media()}/m.txt`)).toBe('media at backup time\n');
    // The previous data is kept beside it.
    expect(sql(`${aside(live())}/app.db`, 'SELECT v FROM t ORDER BY rowid')).toBe('live at backup time\nwritten after the backup');
    expect(read(`${aside(media())}/new.txt`)).toBe('new\n');
    // The unit stopped, started and checked; the private folder removed.
    expect(read(`${tmp}/systemctl.log`).trim().split('\n')).toEqual([`stop ${name}.service`, `start ${name}.service`, `is-active ${name}.service`]);
    expect(fs.existsSync(`/var/tmp/atelier-restore-${name}-${stamp}`)).toBe(false);
    expect(said).toContain(`restored ${name}.\nthe previous data was kept (remove it when satisfied):\n  ${live()} -> ${aside(live())}\n  ${media()} -> ${aside(media())}\n`);
  });
});
