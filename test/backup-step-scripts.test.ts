// Two of the backup job's steps, run for real as the emitted unit runs them:
// the backup step reads its path list literally (restic, a path with glob
// characters next to the decoy its glob would match), and the SQLite copy's
// integrity check fails the job on a corrupt copy (sqlite3).
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupEmitter, SCRIPTS_DIR, SNAPSHOT_HOST } from '../src/emitters/backup/index.js';
import type { ServiceModel } from '../src/model.js';
import { tempDirs, writeFiles } from './support/emit.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { missingProgram, notRoot, requirement, titled } from './support/oracles.js';
import { directives, parseUnit, readExec } from './support/unit-reader.js';

const temp = tempDirs();
const execFileAsync = promisify(execFile);

/** Emits one service's backup under `root/etc`; returns its unit's steps as systemd reads them. */
function install(root: string, data: Partial<ServiceModel['data']>) {
  const service = makeService('app', { data: { ...makeService('app').data, exclude: [], ...data } });
  const result = backupEmitter.emit(makeModel([service], makeHost({ sysconfdir: path.join(root, 'etc') })));
  expect(result.diagnostics).toEqual([]);
  writeFiles(path.join(root, 'etc'), result.files);
  const unit = parseUnit(result.files.find((f) => f.path === 'systemd/system/atelier-backup-app.service')!.content);
  const steps = (key: string) => directives(unit, 'Service', key).map(readExec);
  return { pre: steps('ExecStartPre'), start: steps('ExecStart') };
}

const named = (step: { argv: string[] }, name: string) => step.argv[0].endsWith(`/${SCRIPTS_DIR}/${name}`);

const restic = requirement(missingProgram('restic', 'restic'));
describe.skipIf(restic.skip !== null)(titled('the backup step hands restic its paths literally (--files-from-verbatim)', restic), () => {
  beforeAll(restic.assert);

  it('backs up a path with glob characters exactly, and not the decoy its glob would match', async () => {
    const root = temp('bk-literal');
    const dir = path.join(root, 'srv/app');
    const literal = [path.join(dir, 'data[1].db'), path.join(dir, 'star/*'), path.join(dir, 'q?.txt')];
    const decoys = [path.join(dir, 'data1.db'), path.join(dir, 'star/other'), path.join(dir, 'qx.txt')];
    for (const f of [...literal, ...decoys]) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, path.basename(f));
    }
    const { start } = install(root, { files: literal });
    expect(start).toHaveLength(1);
    expect(named(start[0], 'backup')).toBe(true);
    const runtime = path.join(root, 'run');
    fs.mkdirSync(runtime);
    const env = { PATH: process.env.PATH, HOME: root, RUNTIME_DIRECTORY: runtime, RESTIC_REPOSITORY: path.join(root, 'repo'), RESTIC_PASSWORD: 'x', RESTIC_CACHE_DIR: path.join(root, 'cache') };
    execFileSync('restic', ['init', '-q'], { env });
    // The step exactly as the unit's ExecStart= runs it: the emitted script, the emitted list.
    await execFileAsync(start[0].argv[0], start[0].argv.slice(1), { env });
    const listing = await execFileAsync('restic', ['ls', 'latest', '--host', SNAPSHOT_HOST, '--json'], { env });
    const files = listing.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((n) => n.type === 'file').map((n) => n.path as string);
    expect(files.sort()).toEqual([...literal].sort());
  }, 120_000);
});

const sqlite = requirement(missingProgram('sqlite3', 'sqlite3'), missingProgram('setpriv', 'util-linux'), notRoot('the step becomes the service user with setpriv'));
describe.skipIf(sqlite.skip !== null)(titled("the SQLite copy's integrity check, run on a good and a corrupt copy", sqlite), () => {
  beforeAll(sqlite.assert);

  it('passes a good copy and fails (exit 1, the finding said) on a corrupt one; the unit lets that failure fail the job', async () => {
    const root = temp('bk-verify');
    fs.chmodSync(root, 0o755); // the service's user (here daemon, whose group has its name) reads the copy, as in its 0700 staging folder
    const { pre } = install(root, { sqlite: '/var/lib/app/data/app.db' });
    const verify = pre.find((s) => named(s, 'verify-sqlite'))!;
    // No "-": a failing integrity check fails the whole job (nothing is backed up).
    expect(verify.prefix).not.toContain('-');
    expect(verify.argv.slice(1)).toEqual(['app', '/run/atelier-backup-app/sqlite/app.db']);
    const script = verify.argv[0];
    const good = path.join(root, 'good.db');
    execFileSync('sqlite3', [good, "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT); CREATE INDEX tx ON t (x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200) INSERT INTO t SELECT i, 'row ' || i FROM c;"]);
    // Corrupt in a way sqlite3 still opens and reads (exit 0): the index no longer matches its table.
    const corrupt = path.join(root, 'corrupt.db');
    fs.copyFileSync(good, corrupt);
    execFileSync('sqlite3', [corrupt, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE INDEX tx ON t (id)' WHERE name = 'tx';"]);
    for (const f of [good, corrupt]) fs.chmodSync(f, 0o644);
    expect(execFileSync('sqlite3', [corrupt, 'PRAGMA integrity_check'], { encoding: 'utf8' })).toMatch(/^row 1 missing from index tx/);

    await expect(execFileAsync(script, ['daemon', good])).resolves.toBeDefined();
    const failed = await execFileAsync(script, ['daemon', corrupt]).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed, 'the check passed a corrupt copy').not.toBeNull();
    expect(failed!.code).toBe(1);
    expect(failed!.stderr).toContain('the SQLite copy failed its integrity check: row 1 missing from index tx');
  }, 60_000);
});
