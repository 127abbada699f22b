// The backup emitter: its units read by systemd-analyze, and its job run for
// real, step by step as systemd would, with restic and sqlite3 against a WAL
// database that is written to all the while. (The booted-host test runs it under systemd.)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup.js';
import type { DesiredFile } from '../src/plan.js';
import { emitTexts, fixtureTexts, tempDirs, writeFiles } from './support/emit.js';
import { makeModel, makeService } from './support/model-builders.js';
import { directives, parseUnit, readEnvironment, readExec } from './support/unit-reader.js';

const temp = tempDirs();

describe('emitted backup files', () => {
  const files = emitTexts(fixtureTexts('fleet'));
  const get = (p: string) => files.find((f) => f.path === p)!;

  it('has a job per service with data, one prune and one manifest', () => {
    expect(files.filter((f) => f.emitter === 'backup').map((f) => f.path).sort()).toEqual([
      'atelier/backup-manifest.json',
      'atelier/backup/indiko.exclude',
      'atelier/backup/indiko.files',
      'atelier/backup/ledger.exclude',
      'atelier/backup/ledger.files',
      'systemd/system/atelier-backup-indiko.service',
      'systemd/system/atelier-backup-indiko.timer',
      'systemd/system/atelier-backup-ledger.service',
      'systemd/system/atelier-backup-ledger.timer',
      'systemd/system/atelier-prune.service',
      'systemd/system/atelier-prune.timer',
    ]);
  });

  it('backs up the staged PostgreSQL dump and the declared files, verbatim', () => {
    expect(get('atelier/backup/ledger.files').content).toBe('/run/atelier-backup-ledger/postgres/ledger.dump\n/var/lib/ledger/data/uploads\n');
    const start = readExec(directives(parseUnit(get('systemd/system/atelier-backup-ledger.service').content), 'Service', 'ExecStart')[0]).argv;
    expect(start.slice(3)).toEqual(['backup', 'atelier', '--tag', 'service:ledger', '--tag', 'type:postgres', '--tag', 'type:files', '--files-from-verbatim', '/etc/atelier/backup/ledger.files', '--exclude-file', '/etc/atelier/backup/ledger.exclude']);
  });

  it('takes repository and password from files, never the command line', () => {
    const unit = parseUnit(get('systemd/system/atelier-backup-indiko.service').content);
    const env = Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment));
    expect(env).toMatchObject({ RESTIC_REPOSITORY_FILE: '/etc/atelier/restic/repository', RESTIC_PASSWORD_FILE: '/etc/atelier/restic/password' });
    expect(directives(unit, 'Service', 'EnvironmentFile')).toEqual(['/etc/atelier/restic/env']);
    expect(get('systemd/system/atelier-backup-indiko.service').content).not.toMatch(/--password|--repo\b|-r /);
  });

  it('prunes the whole repository once, grouped by host and tags, after clearing stale locks', () => {
    const unit = parseUnit(get('systemd/system/atelier-prune.service').content);
    expect(readExec(directives(unit, 'Service', 'ExecStartPre')[0]).argv).toEqual(['restic', 'unlock']);
    expect(readExec(directives(unit, 'Service', 'ExecStart')[0]).argv).toEqual([
      'restic', 'forget', '--prune', '--group-by', 'host,tags', '--keep-last', '3', '--keep-daily', '7', '--keep-weekly', '5', '--keep-monthly', '12',
    ]);
    expect(directives(unit, 'Service', 'TimeoutStartSec')).toEqual(['4h']);
  });

  it('writes a manifest a restore tool can use', () => {
    const manifest = JSON.parse(get('atelier/backup-manifest.json').content);
    expect(manifest.generated).toContain('atelier-emit');
    expect(manifest.jobs.map((j: any) => j.service)).toEqual(['indiko', 'ledger']);
    expect(manifest.jobs[0].hooks).toEqual([{ kind: 'sqlite', source: '/var/lib/indiko/data/indiko.db', staged: '/run/atelier-backup-indiko/sqlite/indiko.db', restoreTo: '/var/lib/indiko/data/indiko.db' }]);
    expect(manifest.jobs[0].stopsService).toBe(false);
  });

  it('refuses an exclude pattern restic would expand', () => {
    const origin = { file: 'app.yaml', line: 12, column: 9 };
    const service = makeService('app', { data: { ...makeService('app').data, files: ['/srv/x'], exclude: ['$HOME/*'] }, origins: { '': origin, 'data.exclude.0': origin } });
    const result = backupEmitter.emit(makeModel([service]));
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toEqual([expect.objectContaining({ ...origin, message: expect.stringContaining('restic expands environment variables') })]);
  });

  it('reports the exposure of the backup units', () => {
    const dir = writeFiles(temp('bsec'), files);
    const scores = ['atelier-backup-indiko.service', 'atelier-prune.service'].map((u) => {
      const r = spawnSync('systemd-analyze', ['security', '--offline=true', path.join(dir, 'systemd/system', u)], { encoding: 'utf8' });
      return Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout)![1]);
    });
    console.log(`backup unit exposure: ${scores.join(', ')}`);
    for (const s of scores) expect(s).toBeLessThan(5);
  });
});

const asRoot = process.getuid?.() === 0;

/** Runs one Exec line of the unit the way systemd would: its argv, with the unit's environment. */
function execLine(value: string, env: NodeJS.ProcessEnv): { status: number; output: string } {
  const { prefix, argv } = readExec(value);
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const status = r.status ?? 1;
  return { status: prefix.includes('-') ? 0 : status, output: r.stdout + r.stderr };
}

describe.runIf(asRoot)('a backup job run for real (restic, sqlite3) while the database is written', () => {
  const user = 'bkwriter';
  let root: string;
  let files: DesiredFile[];
  let writer: ChildProcess;
  let env: NodeJS.ProcessEnv;
  const db = () => path.join(root, 'var/bkwriter/data/app.db');
  // Read as the writer's user: a root connection could create the WAL's -shm file as root and lock the writer out.
  const count = (file: string, uid?: number) => Number(execFileSync('sqlite3', [file, 'SELECT count(*) FROM rows'], { encoding: 'utf8', uid }).trim());
  const writerUid = () => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));

  beforeAll(() => {
    if (spawnSync('id', [user]).status !== 0) execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    root = temp('bkroot');
    fs.chmodSync(root, 0o755); // the service's user must reach its data, as under /var/lib
    fs.mkdirSync(path.join(root, 'var/bkwriter/data'), { recursive: true });
    execFileSync('sqlite3', [db(), 'PRAGMA journal_mode=WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, at TEXT);']);
    execFileSync('chown', ['-R', `${user}:${user}`, path.join(root, 'var/bkwriter')]);
    files = emitTexts([
      {
        file: 'bk.yaml',
        text: `host:\n  sysconfdir: ${root}/etc\nservices:\n  ${user}:\n    enable: true\n    caddy: {enable: false}\n    dataDir: ${root}/var/bkwriter\n    data:\n      sqlite: \${dataDir}/data/app.db\n      files: ['\${dataDir}/data']\n      exclude: ['*.db-wal', '*.db-shm']\n`,
      },
    ]);
    writeFiles(path.join(root, 'etc'), files);
    fs.mkdirSync(path.join(root, 'etc/atelier/restic'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/atelier/restic/repository'), path.join(root, 'repo'));
    fs.writeFileSync(path.join(root, 'etc/atelier/restic/password'), 'test-password');
    const unit = parseUnit(files.find((f) => f.path === `systemd/system/atelier-backup-${user}.service`)!.content);
    env = { ...process.env, ...Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment)), RUNTIME_DIRECTORY: `/run/atelier-backup-${user}` };
    env.RESTIC_CACHE_DIR = path.join(root, 'cache');
    // Constant writes: a new connection and transaction per row, as a busy app makes.
    writer = spawn('sh', ['-c', `while true; do sqlite3 -cmd ".timeout 5000" '${db()}' "INSERT INTO rows (at) VALUES (datetime('now'))" || exit 1; done`], { stdio: 'ignore', uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' })) });
  });

  afterAll(() => {
    writer?.kill('SIGKILL');
    fs.rmSync(`/run/atelier-backup-${user}`, { recursive: true, force: true });
    spawnSync('userdel', [user]);
  });

  it('restores a consistent database holding every row committed before the job started', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const unit = parseUnit(files.find((f) => f.path === `systemd/system/atelier-backup-${user}.service`)!.content);
    fs.mkdirSync(env.RUNTIME_DIRECTORY!, { recursive: true });
    fs.chmodSync(env.RUNTIME_DIRECTORY!, Number.parseInt(directives(unit, 'Service', 'RuntimeDirectoryMode')[0], 8));
    const before = count(db(), writerUid());
    const started = Date.now();
    for (const line of directives(unit, 'Service', 'ExecStartPre')) {
      const r = execLine(line, env);
      expect(r.status, r.output).toBe(0);
    }
    const backup = execLine(directives(unit, 'Service', 'ExecStart')[0], env);
    expect(backup.status, `${backup.output}`).toBe(0);
    for (const line of directives(unit, 'Service', 'ExecStopPost')) execLine(line, env);
    const seconds = (Date.now() - started) / 1000;
    fs.rmSync(env.RUNTIME_DIRECTORY!, { recursive: true, force: true });
    const after = count(db(), writerUid());
    expect(after).toBeGreaterThan(before); // the writer really wrote during the job

    const target = temp('restore');
    execFileSync('restic', ['restore', 'latest', '--tag', `service:${user}`, '--host', 'atelier', '--target', target], { env, stdio: 'pipe' });
    const restored = path.join(target, `run/atelier-backup-${user}/sqlite/app.db`);
    expect(execFileSync('sqlite3', [restored, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim()).toBe('ok');
    const rows = count(restored);
    expect(rows).toBeGreaterThanOrEqual(before);
    const snapshots = JSON.parse(execFileSync('restic', ['snapshots', '--json'], { env, encoding: 'utf8' }));
    expect(snapshots[0].tags.sort()).toEqual([`service:${user}`, 'type:files', 'type:sqlite']);
    console.log(`backup run: ${seconds.toFixed(2)} s; rows before ${before}, during ${after - before}, restored ${rows}`);
  }, 120_000);

  it('fails loudly when a declared path does not exist', () => {
    const unit = parseUnit(files.find((f) => f.path === `systemd/system/atelier-backup-${user}.service`)!.content);
    const check = directives(unit, 'Service', 'ExecStartPre')[0];
    fs.renameSync(db(), `${db()}.moved`);
    try {
      const r = execLine(check, env);
      expect(r.status).toBe(1);
      expect(r.output).toContain(`declared path does not exist: ${db()}`);
    } finally {
      fs.renameSync(`${db()}.moved`, db());
    }
  });
});
