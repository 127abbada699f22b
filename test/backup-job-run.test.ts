// A backup job's steps run for real (restic, sqlite3) as systemd would run them,
// against a WAL database written to all the while. The booted-host test runs
// the same units under a real systemd (namespaces, ReadWritePaths=, timers).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_HOST } from '../src/emitters/backup/index.js';
import type { ServiceModel } from '../src/model.js';
import { content, dataService, emitBackup, stepName, stepsOf } from './support/backup.js';
import { tempDirs, writeFiles } from './support/emit.js';
import { makeHost, makeModel } from './support/model-builders.js';
import { missingProgram, notRoot, requirement, titled } from './support/oracles.js';
import { directives, parseUnit } from './support/unit-reader.js';

const temp = tempDirs();

// ---------------------------------------------------------------------------
// A job's steps run for real (restic, sqlite3) under an emulated systemd: its
// order and semantics (ExecStartPre in order, "-" ignores a failure, any other
// failure skips to ExecStopPost, which always runs), each under the unit's
// CapabilityBoundingSet= and NoNewPrivileges= (setpriv), with the unit's
// environment and its RuntimeDirectory= made with the unit's mode. systemctl
// is a stand-in that pauses the writer, so "stopped" and "started again" are
// real. Not emulated: the mount sandbox (ProtectSystem=, ReadWritePaths=),
// which test/host/backup-lifecycle.test.ts runs under a booted systemd.

interface StepRun {
  step: string;
  status: number;
  output: string;
}

function runJob(unitText: string, extraEnv: NodeJS.ProcessEnv): { ok: boolean; runs: StepRun[]; ms: number } {
  const s = stepsOf(unitText);
  const env = { ...process.env, ...s.env, ...extraEnv };
  const bounding = `--bounding-set=-all${s.caps.map((c) => `,+${c.replace(/^CAP_/, '').toLowerCase()}`).join('')}`;
  const runs: StepRun[] = [];
  const run = (argv: string[]) => {
    const r = spawnSync('setpriv', ['--no-new-privs', '--inh-caps=-all', bounding, '--', ...argv], { env, encoding: 'utf8', timeout: 300_000 });
    runs.push({ step: stepName(argv), status: r.status ?? 1, output: r.stdout + r.stderr });
    return r.status === 0;
  };
  const started = Date.now();
  let ok = true;
  for (const step of s.pre) {
    if (run(step.argv) || step.prefix.includes('-')) continue;
    ok = false;
    break;
  }
  if (ok) ok = s.start.every((step) => run(step.argv));
  if (ok) ok = s.startPost.every((step) => run(step.argv));
  for (const step of s.post) if (!run(step.argv)) ok = false;
  return { ok, runs, ms: Date.now() - started };
}

const jobHere = requirement(notRoot('useradd, setpriv, chown'), missingProgram('restic', 'restic'), missingProgram('sqlite3', 'sqlite3'), missingProgram('setpriv', 'util-linux'));
describe.skipIf(jobHere.skip !== null)(titled('a backup job under an emulated systemd, its steps run for real (restic, sqlite3) while its WAL database is written', jobHere), () => {
  // One user (and so one /run/atelier-backup-<user> staging folder) per test process: runs of this
  // file from several checkouts on one machine must not share them.
  const user = `bkw${process.pid}`;
  let createdUser = false;
  let root: string;
  let state: string;
  let writer: ChildProcess;
  let uid: number;
  let gid: number;
  const dataDir = () => path.join(root, 'var/bkwriter');
  const db = () => path.join(dataDir(), 'data/app.db');
  const staging = `/run/atelier-backup-${user}`;
  const repositoryFile = () => path.join(root, 'etc/atelier/restic/repository');
  const resticEnv = () => ({ ...process.env, RESTIC_REPOSITORY_FILE: repositoryFile(), RESTIC_PASSWORD_FILE: path.join(root, 'etc/atelier/restic/password'), RESTIC_CACHE_DIR: path.join(root, 'cache') });
  // The live database as the service's user: a root connection could leave root-owned -wal/-shm files behind.
  const asUser = [`--reuid=${user}`, `--regid=${user}`, '--init-groups', '--'];
  const count = (file: string, as: string[] = asUser) => Number(execFileSync('setpriv', [...as, 'sqlite3', '-cmd', '.timeout 5000', file, 'SELECT count(*) FROM rows'], { encoding: 'utf8' }).trim());
  const countRestored = (file: string) => count(file, ['--']);
  const calls = () => (fs.existsSync(path.join(state, 'calls')) ? fs.readFileSync(path.join(state, 'calls'), 'utf8').trim().split('\n') : []);
  const snapshots = () => JSON.parse(execFileSync('restic', ['snapshots', '--json'], { env: resticEnv(), encoding: 'utf8' })) as { tags: string[] }[];

  /** Emits the job for these data declarations and installs its lists; returns the unit's text. */
  function install(data: Partial<ServiceModel['data']>): string {
    const host = makeHost({ sysconfdir: path.join(root, 'etc'), systemctl: path.join(state, 'systemctl') });
    host.backup = { ...host.backup, repositoryFile: repositoryFile(), passwordFile: path.join(root, 'etc/atelier/restic/password') };
    // Not the default excludes: `tmp` would exclude this temporary tree (the emitter refuses that).
    const service = dataService(user, { sqlite: db(), files: [path.join(dataDir(), 'data/uploads')], exclude: ['*.log', 'node_modules'], ...data });
    const files = emitBackup(makeModel([{ ...service, dataDir: dataDir() }], host));
    writeFiles(path.join(root, 'etc'), files);
    return content(files, `systemd/system/atelier-backup-${user}.service`);
  }

  /** What systemd does around a run: a fresh RuntimeDirectory=, with the unit's RuntimeDirectoryMode= (systemd's default 0755), removed afterwards. */
  function job(unitText: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const unit = parseUnit(unitText);
    expect(directives(unit, 'Service', 'RuntimeDirectory')).toEqual([path.basename(staging)]);
    const mode = Number.parseInt(directives(unit, 'Service', 'RuntimeDirectoryMode')[0] ?? '0755', 8);
    fs.rmSync(path.join(state, 'calls'), { force: true });
    fs.rmSync(path.join(state, 'times'), { force: true });
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { mode });
    fs.chmodSync(staging, mode);
    try {
      return runJob(unitText, { RUNTIME_DIRECTORY: staging, RESTIC_CACHE_DIR: path.join(root, 'cache'), ...extraEnv });
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  beforeAll(async () => {
    jobHere.assert();
    if (spawnSync('id', [user]).status !== 0) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
      createdUser = true;
    }
    uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    root = temp('bk-run');
    fs.chmodSync(root, 0o755); // the service's user must reach its data, as under /var/lib
    state = path.join(root, 'state');
    fs.mkdirSync(path.join(dataDir(), 'data/uploads'), { recursive: true });
    // Shared by the job's root (which has no CAP_DAC_OVERRIDE) and the writer.
    fs.mkdirSync(state, { mode: 0o777 });
    fs.chmodSync(state, 0o777);
    fs.writeFileSync(path.join(dataDir(), 'data/uploads/photo.jpg'), 'not really a photo');
    fs.writeFileSync(path.join(dataDir(), 'data/beside-the-db.json'), '{"kept": true}\n');
    fs.mkdirSync(path.join(dataDir(), 'app'));
    fs.mkdirSync(path.dirname(repositoryFile()), { recursive: true });
    fs.writeFileSync(repositoryFile(), `${path.join(root, 'repo')}\n`);
    fs.writeFileSync(path.join(root, 'etc/atelier/restic/password'), 'test-password\n', { mode: 0o600 });
    // systemctl's stand-in: records each call; "stop" pauses the writer and returns once no write is in flight.
    fs.writeFileSync(
      path.join(state, 'systemctl'),
      `#!/bin/sh
echo "$*" >>'${state}/calls'
echo "$(date +%s%N) $1" >>'${state}/times'
# Other units (data.stopUnits) only keep a state file each.
case "$1" in
  is-active) if [ "$3" = '${user}.service' ]; then [ ! -e '${state}/stopped' ]; else [ ! -e "${state}/stopped-$3" ]; fi ;;
  stop)
    if [ -e '${state}/refuse-stop' ]; then echo "Operation refused" >&2; exit 1; fi
    if [ "$2" != '${user}.service' ]; then touch "${state}/stopped-$2"; exit 0; fi
    touch '${state}/stopped'
    while [ ! -e '${state}/idle' ]; do sleep 0.01; done ;;
  start) if [ "$2" = '${user}.service' ]; then rm -f '${state}/stopped' '${state}/idle'; else rm -f "${state}/stopped-$2"; fi ;;
esac
`,
      { mode: 0o755 },
    );
    execFileSync('sqlite3', [db(), 'PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, at TEXT);'], { stdio: 'pipe' });
    execFileSync('chown', ['-R', `${user}:${user}`, dataDir()]);
    // Constant writes: a new connection and transaction per row, as a busy app makes; paused while "stopped".
    writer = spawn(
      'sh',
      ['-c', `while :; do if [ -e '${state}/stopped' ]; then touch '${state}/idle'; sleep 0.02; continue; fi; sqlite3 -cmd ".timeout 5000" '${db()}' "INSERT INTO rows (at) VALUES (datetime('now'))" || exit 1; done`],
      { stdio: 'ignore', uid, gid },
    );
    // Under way when a row is committed: a condition, bounded, not a hopeful sleep.
    const started = Date.now();
    while (count(db()) < 20) {
      if (Date.now() - started > 60_000) throw new Error('the writer committed fewer than 20 rows in 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(() => {
    writer?.kill('SIGKILL');
    fs.rmSync(staging, { recursive: true, force: true });
    if (createdUser) spawnSync('userdel', ['--force', user]); // even while an unrelated process holds the same uid
  });

  it('online (stopForBackup: false): restores a consistent database holding every row committed before the job', () => {
    const unit = install({ stopForBackup: false });
    // One read transaction: the count and the newest id of the same moment.
    const [before, lastBefore] = execFileSync('setpriv', [...asUser, 'sqlite3', '-cmd', '.timeout 5000', db(), 'SELECT count(*), max(id) FROM rows'], { encoding: 'utf8' }).trim().split('|').map(Number);
    const run = job(unit);
    const after = count(db());
    expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
    expect(run.runs.map((r) => r.step)).toEqual(['open-repository', 'check-paths', 'copy-sqlite', 'verify-sqlite', 'backup']);
    expect(run.runs[0].output).toContain('created restic repository'); // initialised on the first run
    expect(after).toBeGreaterThan(before); // the writer really wrote during the job
    expect(writer.exitCode).toBeNull();

    const target = temp('bk-restore');
    execFileSync('restic', ['restore', 'latest', '--host', SNAPSHOT_HOST, '--tag', `service:${user}`, '--target', target], { env: resticEnv(), stdio: 'pipe' });
    const restored = path.join(target, staging, 'sqlite/app.db');
    expect(execFileSync('sqlite3', [restored, 'PRAGMA integrity_check; PRAGMA journal_mode'], { encoding: 'utf8' }).split('\n')).toEqual(['ok', 'wal', '']);
    const rows = countRestored(restored);
    // Every row committed before the job started is there (ids only grow; nothing is deleted).
    expect(Number(execFileSync('sqlite3', [restored, `SELECT count(*) FROM rows WHERE id <= ${lastBefore}`], { encoding: 'utf8' }))).toBe(before);
    expect(rows).toBeGreaterThanOrEqual(before);
    expect(fs.readFileSync(path.join(target, dataDir(), 'data/uploads/photo.jpg'), 'utf8')).toBe('not really a photo');
    // The database's folder is in the snapshot, as mkService backs it up: what the app keeps beside the database too,
    // but never the live database or its side files (the consistent copy stands in for them).
    expect(fs.readFileSync(path.join(target, dataDir(), 'data/beside-the-db.json'), 'utf8')).toBe('{"kept": true}\n');
    for (const live of ['', '-wal', '-shm', '-journal']) expect(fs.existsSync(path.join(target, db() + live)), `app.db${live}`).toBe(false);
    expect(snapshots().at(-1)!.tags.sort()).toEqual([`service:${user}`, 'type:files', 'type:sqlite']);
    console.log(`backup run (online, local repository, first run with init): ${run.ms} ms; rows before ${before}, written during the run ${after - before}, restored ${rows}`);
  }, 120_000);

  it('stopForBackup: stops the service around the copy and starts it again; the copy holds every row', () => {
    const unit = install({ stopForBackup: true });
    const before = count(db());
    const run = job(unit);
    expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
    expect(run.runs.map((r) => r.step)).toEqual(['open-repository', 'check-paths', 'stop-units', 'copy-sqlite', 'start-units', 'verify-sqlite', 'backup', 'start-units']);
    expect(calls()).toEqual([`is-active --quiet ${user}.service`, `stop ${user}.service`, `start ${user}.service`]);
    expect(fs.existsSync(path.join(state, 'stopped'))).toBe(false);
    const target = temp('bk-restore-stop');
    execFileSync('restic', ['restore', 'latest', '--host', SNAPSHOT_HOST, '--tag', `service:${user}`, '--target', target], { env: resticEnv(), stdio: 'pipe' });
    expect(countRestored(path.join(target, staging, 'sqlite/app.db'))).toBeGreaterThanOrEqual(before);
    const times = Object.fromEntries(fs.readFileSync(path.join(state, 'times'), 'utf8').trim().split('\n').map((l) => l.split(' ').reverse()));
    console.log(`backup run (stopForBackup): ${run.ms} ms; service stopped for ${((Number(times.start) - Number(times.stop)) / 1e6).toFixed(0)} ms`);
  }, 120_000);

  it('a refused stop does not prevent the backup', () => {
    const unit = install({ stopForBackup: true });
    fs.writeFileSync(path.join(state, 'refuse-stop'), '');
    try {
      const count0 = snapshots().length;
      const run = job(unit);
      expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
      expect(run.runs.find((r) => r.step === 'stop-units')).toMatchObject({ status: 1, output: expect.stringContaining('refused') });
      expect(snapshots()).toHaveLength(count0 + 1);
    } finally {
      fs.rmSync(path.join(state, 'refuse-stop'));
    }
  }, 120_000);

  it('a service that was not running is backed up as it is and stays stopped', () => {
    const unit = install({ stopForBackup: true });
    fs.writeFileSync(path.join(state, 'stopped'), ''); // the writer pauses: the service is down
    try {
      const run = job(unit);
      expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
      expect(run.runs.find((r) => r.step === 'stop-units')?.output).toContain('is not active');
      expect(calls()).toEqual([`is-active --quiet ${user}.service`]); // never stopped, never started
      expect(fs.existsSync(path.join(state, 'stopped'))).toBe(true);
    } finally {
      fs.rmSync(path.join(state, 'stopped'), { force: true });
      fs.rmSync(path.join(state, 'idle'), { force: true });
    }
  }, 120_000);

  it('a failed copy fails the job, and the service it stopped is started again', () => {
    const unit = install({ stopForBackup: true });
    const broken = path.join(state, 'broken-bin');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'sqlite3'), '#!/bin/sh\necho "sqlite3: disk I/O error" >&2\nexit 1\n', { mode: 0o755 });
    const run = job(unit, { PATH: `${broken}:${process.env.PATH}` });
    expect(run.ok).toBe(false);
    expect(run.runs.map((r) => [r.step, r.status])).toEqual([['open-repository', 0], ['check-paths', 0], ['stop-units', 0], ['copy-sqlite', 1], ['start-units', 0]]);
    expect(calls()).toEqual([`is-active --quiet ${user}.service`, `stop ${user}.service`, `start ${user}.service`]);
    expect(fs.existsSync(path.join(state, 'stopped'))).toBe(false);
  }, 120_000);

  it('a missing declared path fails the job before anything is stopped, and no snapshot is made', () => {
    const unit = install({ stopForBackup: true, files: [path.join(dataDir(), 'data/uploads'), path.join(dataDir(), 'data/gone')] });
    const count0 = snapshots().length;
    const run = job(unit);
    expect(run.ok).toBe(false);
    expect(run.runs.map((r) => r.step)).toEqual(['open-repository', 'check-paths', 'start-units']);
    expect(run.runs[1].output).toBe(`declared path does not exist: ${path.join(dataDir(), 'data/gone')}\n`);
    expect(calls()).toEqual([]);
    expect(snapshots()).toHaveLength(count0);
  }, 120_000);

  it('an unreachable repository fails the job before anything is stopped', () => {
    const unit = install({ stopForBackup: true });
    fs.writeFileSync(repositoryFile(), 'rest:http://127.0.0.1:9/\n');
    try {
      const run = job(unit);
      expect(run.ok).toBe(false);
      expect(run.runs.map((r) => r.step)).toEqual(['open-repository', 'start-units']);
      expect(run.runs[0].output).toMatch(/connection refused/);
      expect(calls()).toEqual([]);
    } finally {
      fs.writeFileSync(repositoryFile(), `${path.join(root, 'repo')}\n`);
    }
  }, 120_000);

  it('data.stopUnits: stops the other units with the service around the copy, and starts them all again', () => {
    const unit = install({ stopForBackup: true, stopUnits: [`${user}-worker.service`] });
    const run = job(unit);
    expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
    expect(calls()).toEqual([
      `is-active --quiet ${user}.service`, `stop ${user}.service`,
      `is-active --quiet ${user}-worker.service`, `stop ${user}-worker.service`,
      `start ${user}.service`, `start ${user}-worker.service`,
    ]);
  }, 120_000);

  it('data.preBackup / postBackup: run as the service user in its app folder with its environment, output in the job; failure fails the job', () => {
    const exported = path.join(dataDir(), 'data/export');
    fs.rmSync(exported, { recursive: true, force: true });
    const preBackup = `mkdir -p ${exported} && id -un > ${exported}/who && pwd > ${exported}/where && echo "$NODE_ENV $PORT" > ${exported}/env && echo exported`;
    const unit = install({ stopForBackup: false, files: [exported], preBackup, postBackup: 'echo "post as $(id -un)"' });
    const run = job(unit);
    expect(run.ok, JSON.stringify(run.runs, null, 2)).toBe(true);
    expect(run.runs.map((r) => r.step)).toEqual(['open-repository', 'run-hook', 'check-paths', 'copy-sqlite', 'verify-sqlite', 'backup', 'run-hook']);
    expect(run.runs[1].output).toBe(`pre-backup as ${user}: ${preBackup}\nexported\n`);
    expect(run.runs.at(-1)!.output).toBe(`post-backup as ${user}: echo "post as $(id -un)"\npost as ${user}\n`);
    // The export is in the snapshot: check-paths runs after pre-backup, which created it.
    const target = temp('bk-restore-hook');
    execFileSync('restic', ['restore', 'latest', '--host', SNAPSHOT_HOST, '--tag', `service:${user}`, '--target', target], { env: resticEnv(), stdio: 'pipe' });
    const read = (f: string) => fs.readFileSync(path.join(target, exported, f), 'utf8');
    expect([read('who'), read('where'), read('env')]).toEqual([`${user}\n`, `${path.join(dataDir(), 'app')}\n`, 'production 3000\n']);

    const failing = job(install({ stopForBackup: false, files: [exported], preBackup: 'echo "export failed" >&2; exit 3' }));
    expect(failing.ok).toBe(false);
    expect(failing.runs.map((r) => [r.step, r.status])).toEqual([['open-repository', 0], ['run-hook', 3]]);
    expect(failing.runs[1].output).toContain('export failed');
    const failingPost = job(install({ stopForBackup: false, files: [exported], preBackup: null, postBackup: 'exit 4' }));
    expect(failingPost.ok).toBe(false);
    expect(failingPost.runs.at(-1)).toMatchObject({ step: 'run-hook', status: 4 });
  }, 180_000);
});
