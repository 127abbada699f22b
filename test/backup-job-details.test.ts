// One service's backup job, read back from what the backup emitter writes: the
// manifest's names and flags, the tags, the lists, the steps and what each may
// write, and the refusals of data.stopUnits and data.postgres with their places.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup/index.js';
import { BACKUP_MANIFEST_PATH } from '../src/emitters/backup/layout.js';
import type { ServiceModel } from '../src/model.js';
import { content, dataService, emitBackup, stepName, stepsOf } from './support/backup.js';
import { makeModel } from './support/model-builders.js';
import { directives, parseUnit } from './support/unit-reader.js';

const UNIT = 'systemd/system/atelier-backup-app.service';
const emit = (data: Partial<ServiceModel['data']>, over: Partial<ServiceModel> = {}) => emitBackup(makeModel([{ ...dataService('app', data), ...over }]));
const unitOf = (data: Partial<ServiceModel['data']>, over: Partial<ServiceModel> = {}) => parseUnit(content(emit(data, over), UNIT));
const stepsFor = (data: Partial<ServiceModel['data']>, over: Partial<ServiceModel> = {}) => stepsOf(content(emit(data, over), UNIT));
const jobOf = (data: Partial<ServiceModel['data']>) => {
  const files = emit(data);
  return { files, job: (JSON.parse(content(files, BACKUP_MANIFEST_PATH)) as { jobs: { unit: string; timer: string; tags: string[]; exclude: string[]; stopsService: boolean }[] }).jobs[0] };
};
const refusals = (data: Partial<ServiceModel['data']>) => backupEmitter.emit(makeModel([dataService('app', data)])).diagnostics;
/** The lines of an emitted list, without its header comment. */
const listLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('the manifest names what the emitter wrote', () => {
  it('the job’s unit and timer are files of the tree', () => {
    const { files, job } = jobOf({ sqlite: '/var/lib/app/app.db' });
    expect(job.unit).toBe('atelier-backup-app.service');
    expect(job.timer).toBe('atelier-backup-app.timer');
    for (const name of [job.unit, job.timer]) expect(files.map((f) => f.path)).toContain(`systemd/system/${name}`);
  });

  it('stopsService: only a SQLite job with stopForBackup stops the service', () => {
    expect(jobOf({ sqlite: '/var/lib/app/app.db', stopForBackup: true }).job.stopsService).toBe(true);
    expect(jobOf({ sqlite: '/var/lib/app/app.db', stopForBackup: false }).job.stopsService).toBe(false);
    expect(jobOf({ postgres: 'app', stopForBackup: true }).job.stopsService).toBe(false);
  });
});

describe('tags and lists', () => {
  const tags = (data: Partial<ServiceModel['data']>) => {
    const argv = stepsFor(data).start[0].argv;
    return argv.flatMap((a, i) => (argv[i - 1] === '--tag' ? [a] : []));
  };

  it('type:files only when files are declared', () => {
    expect(tags({ sqlite: '/var/lib/app/app.db' })).toEqual(['service:app', 'type:sqlite']);
    expect(tags({ sqlite: '/var/lib/app/app.db', files: ['/srv/app/uploads'] })).toEqual(['service:app', 'type:sqlite', 'type:files']);
    expect(tags({ postgres: 'app', files: ['/srv/app/uploads'] })).toEqual(['service:app', 'type:postgres', 'type:files']);
  });

  it('without SQLite the exclude list holds the declared patterns only; with it, the live files last', () => {
    const declared = ['*.log', 'cache'];
    expect(jobOf({ files: ['/srv/app'], exclude: declared }).job.exclude).toEqual(declared);
    expect(listLines(content(emit({ files: ['/srv/app'], exclude: declared }), 'atelier/backup/app.exclude'))).toEqual(declared);
    expect(jobOf({ sqlite: '/var/lib/app/app.db', exclude: declared }).job.exclude).toEqual([...declared, '/var/lib/app/app.db', '/var/lib/app/app.db-wal', '/var/lib/app/app.db-shm', '/var/lib/app/app.db-journal']);
  });
});

describe('the steps', () => {
  it('checks exactly the declared paths, and no paths at all for a PostgreSQL-only job', () => {
    const checked = (data: Partial<ServiceModel['data']>) => stepsFor(data).pre.find((s) => stepName(s.argv) === 'check-paths')?.argv.slice(1);
    expect(checked({ files: ['/srv/app/a', '/srv/app/b'] })).toEqual(['/srv/app/a', '/srv/app/b']);
    expect(checked({ sqlite: '/var/lib/app/app.db', files: ['/srv/app/a'] })).toEqual(['/var/lib/app/app.db', '/srv/app/a']);
    expect(stepsFor({ postgres: 'app' }).pre.map((s) => stepName(s.argv))).not.toContain('check-paths');
  });

  it('the app’s own backup commands get its declared environment, each as NAME=value', () => {
    const hook = stepsFor({ files: ['/srv/app'], preBackup: 'npm run flush' }, { environment: { FOO: 'bar', DATABASE_URL: 'postgres:///app' } }).pre.find((s) => s.argv.includes('pre-backup'))?.argv;
    expect(hook).toBeDefined();
    expect(hook).toEqual(expect.arrayContaining(['FOO=bar', 'DATABASE_URL=postgres:///app']));
  });

  it('each step whose failure is ignored (`-`) and the step run after a failure are explained by a comment just above', () => {
    const text = content(emit({ sqlite: '/var/lib/app/app.db', stopUnits: ['worker.service'] }), UNIT);
    const lines = text.split('\n');
    const explained = lines.flatMap((l, i) => (/^Exec\w+=-/.test(l) || l.startsWith('ExecStopPost=') ? [lines[i - 1]] : []));
    expect(explained.length).toBe(3);
    for (const comment of explained) expect(comment).toMatch(/^# \S.{20,}/);
  });
});

describe('what a job with the app’s own commands may do', () => {
  it.each([
    ['preBackup', { preBackup: 'npm run flush' }],
    ['postBackup', { postBackup: 'npm run notify' }],
  ])('with %s alone: it writes where the app writes and may become the app’s user', (_, commands) => {
    const u = unitOf({ files: ['/srv/app'], ...commands });
    expect(directives(u, 'Service', 'ReadWritePaths').join(' ')).toContain('/var/lib/app');
    expect(directives(u, 'Service', 'CapabilityBoundingSet')[0].split(/\s+/)).toEqual(expect.arrayContaining(['CAP_SETUID', 'CAP_SETGID']));
  });

  it('with neither: files only, nothing writable, no change of user', () => {
    const u = unitOf({ files: ['/srv/app'] });
    expect(directives(u, 'Service', 'ReadWritePaths').join(' ')).not.toContain('/var/lib/app');
    expect(directives(u, 'Service', 'CapabilityBoundingSet')[0].split(/\s+/)).toEqual(['CAP_DAC_READ_SEARCH']);
  });
});

describe('the [Unit] section', () => {
  it('a PostgreSQL job starts after the database server and the network; its description names the service', () => {
    const u = unitOf({ postgres: 'app' });
    expect(directives(u, 'Unit', 'After')).toEqual(['network-online.target postgresql.service']);
    expect(directives(u, 'Unit', 'Description')).toEqual(['restic backup of app']);
    expect(directives(unitOf({ files: ['/srv/app'] }), 'Unit', 'After')).toEqual(['network-online.target']);
  });
});

describe('refusals, at the value refused', () => {
  it.each(['app', 'app.service'])('data.stopUnits naming the service itself (%s)', (unit) => {
    expect(refusals({ sqlite: '/var/lib/app/app.db', stopUnits: ['worker.service', unit] }).map((d) => d.message)).toEqual([
      '`services.app.data.stopUnits.1` is this service itself, which data.stopForBackup stops',
    ]);
  });

  it('a database name pg_dump would read as a connection string, with the reason as a hint', () => {
    const [d, ...rest] = refusals({ postgres: 'host=evil dbname=app' });
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ file: 'app.yaml', line: 4, message: '`services.app.data.postgres` must be a plain database name (letters, digits, `_`, `.`, `-`)', hint: 'pg_dump would read anything else as a connection string' });
  });

  it('a database or a file inside the job’s own staging folder, which systemd empties for every run', () => {
    const problem = 'must not be inside /run/atelier-backup-app, the backup job\'s staging folder (systemd empties it for every run)';
    expect(refusals({ sqlite: '/run/atelier-backup-app/sqlite/app.db' }).map((d) => [d.line, d.message])).toEqual([[3, `\`services.app.data.sqlite\` ${problem}`]]);
    expect(refusals({ files: ['/srv/app', '/run/atelier-backup-app', '/run/atelier-backup-app/x'] }).map((d) => [d.line, d.message])).toEqual([
      [11, `\`services.app.data.files.1\` ${problem}`],
      [12, `\`services.app.data.files.2\` ${problem}`],
    ]);
    expect(refusals({ files: ['/run/atelier-backup-app2/x', '/run/atelier-backup-ap'] })).toEqual([]);
  });

  it('a declared pattern that excludes a declared file names the file, not the SQLite copy beside it', () => {
    const messages = refusals({ sqlite: '/var/lib/app/app.db', files: ['/srv/app/uploads'], exclude: ['uploads'] }).map((d) => d.message);
    expect(messages).toEqual(['`services.app.data.exclude.0` excludes /srv/app/uploads, which would be missing from every snapshot']);
    const copy = refusals({ sqlite: '/var/lib/app/app.db', exclude: [path.posix.join('sqlite', 'app.db')] }).map((d) => d.message);
    expect(copy).toEqual(['`services.app.data.exclude.0` excludes the sqlite copy /run/atelier-backup-app/sqlite/app.db, which would be missing from every snapshot']);
  });
});
