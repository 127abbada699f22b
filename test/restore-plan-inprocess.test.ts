// The restore plan in process: which request is refused and how it is told,
// and for each mode the exact commands, in order, with the line an
// administrator reads for each. The command lines are the plan's behaviour
// (run.ts runs them as they are); test/restore-run-inprocess.test.ts runs them
// for real in a temp dir.
import { describe, expect, it } from 'vitest';
import { planJob } from '../src/emitters/backup/index.js';
import type { Model, ServiceModel } from '../src/model.js';
import { checkRestore, describePlan, findSnapshot, planRestore, restic, shellWord, snapshotFilter, type RestoreOptions, type RestorePlan } from '../src/restore/plan.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const withData = (name: string, data: Partial<ServiceModel['data']>) => makeService(name, { data: { ...makeService(name).data, ...data } });
const app = withData('app', { sqlite: '/var/lib/app/data/app.db', files: ['/var/lib/app/data/uploads', '/srv/app-media'], stopUnits: ['worker.service'] });
const ledger = withData('ledger', { postgres: 'ledger' });
const both = withData('both', { sqlite: '/var/lib/both/both.db', postgres: 'bothdb' });
const model = makeModel([app, ledger, both, makeService('web')]);
const STAMP = '20261130T100000';
const options = (o: Partial<RestoreOptions>): RestoreOptions => ({ service: 'app', snapshot: 'latest', target: null, into: null, stamp: STAMP, ...o });
const SNAPSHOT = { id: 'f'.repeat(64), short_id: 'ffffffff', time: '2026-11-30T02:00:00Z', tags: ['service:app'], paths: [] };

const RESTIC_ENV = ['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'RESTIC_CACHE_DIR=/var/cache/atelier-restic', 'restic'];
const MOVE_ASIDE = 'if [ -e "$1" ] || [ -L "$1" ]; then mv -T -- "$1" "$2"; else echo "$1 was not there"; fi';
const PUT_BACK = 'if [ -e "$1" ]; then mv -T -- "$1" "$2"; else echo "not in the snapshot: $2"; fi';
const psql = (sql: string) => ['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', sql];
const pgRestore = (dump: string, ...args: string[]) => ['sh', '-c', 'dump=$1; shift; exec runuser -u postgres -- pg_restore --exit-on-error "$@" <"$dump"', 'sh', dump, ...args];

function plan(m: Model, o: RestoreOptions): RestorePlan {
  const checked = checkRestore(m, o);
  if (Array.isArray(checked)) throw new Error(`refused: ${JSON.stringify(checked)}`);
  return planRestore(m, checked.service, checked.job, o, SNAPSHOT);
}
const steps = (p: RestorePlan) => p.steps.map((s) => [s.say, s.argv]);

describe('the restic command line of a restore', () => {
  it('is the one the backup units run: same repository, password and cache', () => {
    expect(restic(model.host, 'snapshots')).toEqual([...RESTIC_ENV, 'snapshots']);
  });

  it('reads the host environment file first, exporting its KEY=value lines', () => {
    const host = makeHost({ backup: { ...makeHost().backup, environmentFile: '/etc/atelier/restic/env' } });
    expect(restic(host, 'snapshots')).toEqual(['sh', '-c', 'set -a; . "$1"; set +a; shift; exec "$@"', 'sh', '/etc/atelier/restic/env', ...RESTIC_ENV, 'snapshots']);
  });

  it('finds the latest snapshot by the tags the job writes, and a given ID as it is', () => {
    expect(snapshotFilter('app')).toEqual(['--host', 'atelier', '--tag', 'service:app']);
    expect(findSnapshot(model.host, 'app', 'latest')).toEqual([...RESTIC_ENV, 'snapshots', '--json', '--latest', '1', '--host', 'atelier', '--tag', 'service:app']);
    expect(findSnapshot(model.host, 'app', 'abcd1234')).toEqual([...RESTIC_ENV, 'snapshots', '--json', 'abcd1234']);
  });
});

describe('checkRestore: refusals, at the first declaration file', () => {
  const refusal = (m: Model, o: Partial<RestoreOptions>) => checkRestore(m, options(o));

  it('without backups enabled', () => {
    const off = makeModel(model.services, makeHost({ backup: { ...makeHost().backup, enable: false } }));
    expect(refusal(off, {})).toEqual([{ file: 'atelier.yaml', line: 1, column: 1, message: 'host.backup.enable is false: there are no backups to restore from' }]);
  });

  it('an unknown service, with the declared ones as a hint', () => {
    expect(refusal(model, { service: 'nope' })).toEqual([{ file: 'atelier.yaml', line: 1, column: 1, message: 'no enabled service named "nope" in the declarations', hint: 'declared: app, both, ledger, web' }]);
  });

  it('an unknown service when none is declared, and no declaration file to point at', () => {
    expect(refusal({ ...makeModel([]), sources: [] }, { service: 'nope' })).toEqual([{ file: '<declarations>', line: 1, column: 1, message: 'no enabled service named "nope" in the declarations', hint: 'declared: none' }]);
  });

  it('a service without data', () => {
    expect(refusal(model, { service: 'web' })).toEqual([{ file: 'atelier.yaml', line: 1, column: 1, message: 'services.web declares no data (data.sqlite, data.postgres or data.files): nothing is backed up' }]);
  });

  it('--target and --into together', () => {
    expect(refusal(model, { service: 'ledger', target: '/tmp/r', into: 'ledger_copy' })).toEqual([
      { file: 'atelier.yaml', line: 1, column: 1, message: '--target and --into exclude each other (--target restores files into a folder, --into a PostgreSQL database)' },
    ]);
  });

  it('a relative --target, and --into for a service without PostgreSQL or naming the live database', () => {
    const messages = [{ target: 'rel' }, { into: 'x' }, { service: 'ledger', into: 'ledger' }, { service: 'ledger', into: 'a;b' }].map((o) => (refusal(model, o) as { message: string }[])[0].message);
    expect(messages).toEqual([
      '--target must be an absolute path',
      '--into restores a PostgreSQL database; services.app declares no data.postgres',
      '--into must name a new database (letters, digits, `_`, `.`, `-`), not the live one',
      '--into must name a new database (letters, digits, `_`, `.`, `-`), not the live one',
    ]);
  });

  it('accepts a valid request with the job the backup units run', () => {
    expect(checkRestore(model, options({ service: 'ledger', into: 'ledger_copy' }))).toEqual({ service: ledger, job: planJob(model.host, ledger) });
  });
});

describe('planRestore, in place', () => {
  const work = `/var/tmp/atelier-restore-app-${STAMP}`;
  const aside = (p: string) => `${p}.before-restore-${STAMP}`;

  it('restores into a private folder, checks the copy, stops, moves each top path aside and puts the snapshot in its place, checks, starts', () => {
    const p = plan(model, options({}));
    expect({ mode: p.mode, workDir: p.workDir, systemctl: p.systemctl, afterwards: p.afterwards }).toEqual({ mode: 'in-place', workDir: work, systemctl: '/usr/bin/systemctl', afterwards: [] });
    expect(steps(p)).toEqual([
      [`create the private restore folder ${work}`, ['mkdir', '-m', '0700', work]],
      [`restore snapshot ffffffff (2026-11-30T02:00:00Z) into ${work}`, [...RESTIC_ENV, 'restore', SNAPSHOT.id, '--target', work]],
      ['check the SQLite copy in the snapshot', ['sqlite3', '-bail', `${work}/run/atelier-backup-app/sqlite/app.db`, 'PRAGMA integrity_check']],
      ['stop app.service, worker.service', ['/usr/bin/systemctl', 'stop', 'app.service', 'worker.service']],
      [`move /var/lib/app/data aside to ${aside('/var/lib/app/data')}`, ['sh', '-c', MOVE_ASIDE, 'sh', '/var/lib/app/data', aside('/var/lib/app/data')]],
      ["put the snapshot's /var/lib/app/data in its place", ['sh', '-c', PUT_BACK, 'sh', `${work}/var/lib/app/data`, '/var/lib/app/data']],
      [`move /srv/app-media aside to ${aside('/srv/app-media')}`, ['sh', '-c', MOVE_ASIDE, 'sh', '/srv/app-media', aside('/srv/app-media')]],
      ["put the snapshot's /srv/app-media in its place", ['sh', '-c', PUT_BACK, 'sh', `${work}/srv/app-media`, '/srv/app-media']],
      [
        'put the consistent SQLite copy at /var/lib/app/data/app.db (owner and mode of the previous one), no -wal/-shm/-journal',
        ['sh', '-c', expect.stringContaining('chown --reference="$3"'), 'sh', `${work}/run/atelier-backup-app/sqlite/app.db`, '/var/lib/app/data/app.db', `${aside('/var/lib/app/data')}/app.db`, 'app'],
      ],
      ['integrity check of /var/lib/app/data/app.db as app', ['runuser', '-u', 'app', '--', 'sqlite3', '-bail', '/var/lib/app/data/app.db', 'PRAGMA integrity_check']],
      ['start app.service, worker.service', ['/usr/bin/systemctl', 'start', 'app.service', 'worker.service']],
      ['check that app.service is running', ['/usr/bin/systemctl', 'is-active', 'app.service']],
      [`remove the restore folder ${work}`, ['rm', '-rf', '--', work]],
    ]);
  });

  it('marks what each step promises: the checks expect "ok" and "active", moves tell and record where the data went, stop and start name the units', () => {
    const p = plan(model, options({}));
    const marks = p.steps.map(({ expect: e, aside: a, tell, stops, starts }) => ({ e, a, tell, stops, starts }));
    const none = { e: undefined, a: undefined, tell: undefined, stops: undefined, starts: undefined };
    expect(marks).toEqual([
      none,
      none,
      { ...none, e: 'ok' },
      { ...none, stops: ['app.service', 'worker.service'] },
      { ...none, a: { from: '/var/lib/app/data', to: aside('/var/lib/app/data') }, tell: true },
      { ...none, tell: true },
      { ...none, a: { from: '/srv/app-media', to: aside('/srv/app-media') }, tell: true },
      { ...none, tell: true },
      none,
      { ...none, e: 'ok' },
      { ...none, starts: ['app.service', 'worker.service'] },
      { ...none, e: 'active' },
      none,
    ]);
  });

  it('the SQLite database inside a declared folder further up: the previous copy is found inside that folder moved aside', () => {
    const nested = withData('nest', { sqlite: '/var/lib/nest/data/nest.db', files: ['/srv/nest-media', '/var/lib/nest'] });
    const p = plan(makeModel([nested]), options({ service: 'nest' }));
    const moved = p.steps.flatMap((s) => (s.aside ? [s.aside.from] : []));
    expect(moved).toEqual(['/srv/nest-media', '/var/lib/nest']);
    const place = p.steps.find((s) => s.say.startsWith('put the consistent SQLite copy'))!;
    expect(place.argv.slice(5)).toEqual(['/var/lib/nest/data/nest.db', `/var/lib/nest.before-restore-${STAMP}/data/nest.db`, 'nest']);
  });

  it('a job whose paths hold the database itself but not its folder: the database alone is moved aside and is the previous copy', () => {
    const s = withData('solo', { sqlite: '/var/lib/solo/solo.db', files: ['/srv/solo-media'] });
    const m = makeModel([s]);
    const job = planJob(m.host, s);
    const p = planRestore(m, s, { ...job, paths: job.paths.filter((x) => x !== '/var/lib/solo').concat('/var/lib/solo/solo.db') }, options({ service: 'solo' }), SNAPSHOT);
    expect(p.steps.filter((x) => x.aside).map((x) => x.aside)).toEqual([
      { from: '/srv/solo-media', to: `/srv/solo-media.before-restore-${STAMP}` },
      { from: '/var/lib/solo/solo.db', to: `/var/lib/solo/solo.db.before-restore-${STAMP}` },
    ]);
    const place = p.steps.find((x) => x.say.startsWith('put the consistent SQLite copy'))!;
    expect(place.argv.slice(5)).toEqual(['/var/lib/solo/solo.db', `/var/lib/solo/solo.db.before-restore-${STAMP}`, 'solo']);
  });

  it('a job without the database folder among its paths: the database is moved aside on its own, told', () => {
    const s = withData('bare', { sqlite: '/var/lib/bare/bare.db', files: ['/srv/bare-media'] });
    const m = makeModel([s]);
    const job = planJob(m.host, s);
    const p = planRestore(m, s, { ...job, paths: job.paths.filter((x) => x !== '/var/lib/bare') }, options({ service: 'bare' }), SNAPSHOT);
    const to = `/var/lib/bare/bare.db.before-restore-${STAMP}`;
    const move = p.steps.find((x) => x.say === `move /var/lib/bare/bare.db aside to ${to}`);
    expect(move).toEqual({ say: `move /var/lib/bare/bare.db aside to ${to}`, argv: ['sh', '-c', MOVE_ASIDE, 'sh', '/var/lib/bare/bare.db', to], tell: true, aside: { from: '/var/lib/bare/bare.db', to } });
    expect(p.steps.find((x) => x.say.startsWith('put the consistent SQLite copy'))!.argv.slice(5)).toEqual(['/var/lib/bare/bare.db', to, 'bare']);
  });

  it('PostgreSQL: checks the dump, ends the connections, renames the live database aside and recreates it from the dump', () => {
    const work = `/var/tmp/atelier-restore-ledger-${STAMP}`;
    const dump = `${work}/run/atelier-backup-ledger/postgres/ledger.dump`;
    const p = plan(model, options({ service: 'ledger' }));
    expect(steps(p)).toEqual([
      [`create the private restore folder ${work}`, ['mkdir', '-m', '0700', work]],
      [`restore snapshot ffffffff (2026-11-30T02:00:00Z) into ${work}`, [...RESTIC_ENV, 'restore', SNAPSHOT.id, '--target', work]],
      ['check the PostgreSQL dump in the snapshot', ['pg_restore', '--list', dump]],
      ['stop ledger.service', ['/usr/bin/systemctl', 'stop', 'ledger.service']],
      ['end the remaining connections to ledger', psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ledger' AND pid <> pg_backend_pid()")],
      [`rename database ledger aside to ledger_before_restore_${STAMP}`, psql(`ALTER DATABASE "ledger" RENAME TO "ledger_before_restore_${STAMP}"`)],
      ['recreate ledger from the dump, with its owner', pgRestore(dump, '--create', '--dbname=postgres')],
      ['start ledger.service', ['/usr/bin/systemctl', 'start', 'ledger.service']],
      ['check that ledger.service is running', ['/usr/bin/systemctl', 'is-active', 'ledger.service']],
      [`remove the restore folder ${work}`, ['rm', '-rf', '--', work]],
    ]);
    expect(p.steps[5].aside).toEqual({ from: 'database ledger', to: `database ledger_before_restore_${STAMP}` });
  });

  it('SQLite and PostgreSQL together: neither staged copy is moved like a declared path', () => {
    const p = plan(model, options({ service: 'both' }));
    expect(p.steps.filter((s) => s.aside).map((s) => s.aside!.from)).toEqual(['/var/lib/both', 'database bothdb']);
  });
});

describe('planRestore, --target and --into', () => {
  it('--target: restic writes into the folder, the SQLite copy is checked and put where the database lives, the service is not touched', () => {
    const p = plan(model, options({ target: '/tmp/r' }));
    expect({ mode: p.mode, workDir: p.workDir }).toEqual({ mode: 'target', workDir: '/tmp/r' });
    expect(steps(p)).toEqual([
      ['restore snapshot ffffffff (2026-11-30T02:00:00Z) into /tmp/r', [...RESTIC_ENV, 'restore', SNAPSHOT.id, '--target', '/tmp/r']],
      ['check the SQLite copy /tmp/r/run/atelier-backup-app/sqlite/app.db', ['sqlite3', '-bail', '/tmp/r/run/atelier-backup-app/sqlite/app.db', 'PRAGMA integrity_check']],
      ['put the SQLite copy at /tmp/r/var/lib/app/data/app.db', ['mv', '-T', '--', '/tmp/r/run/atelier-backup-app/sqlite/app.db', '/tmp/r/var/lib/app/data/app.db']],
    ]);
    expect(p.steps[1].expect).toBe('ok');
    expect(p.afterwards).toEqual(['the service was not touched; the files are under /tmp/r']);
  });

  it('--target with a PostgreSQL dump: says where the dump is', () => {
    const p = plan(model, options({ service: 'both', target: '/tmp/r' }));
    expect(p.afterwards).toEqual(['the PostgreSQL dump is /tmp/r/run/atelier-backup-both/postgres/bothdb.dump (pg_restore --format=custom)', 'the service was not touched; the files are under /tmp/r']);
  });

  it('--into: a new database from the dump, without stopping anything, then the folder is removed', () => {
    const work = `/var/tmp/atelier-restore-ledger-${STAMP}`;
    const dump = `${work}/run/atelier-backup-ledger/postgres/ledger.dump`;
    const p = plan(model, options({ service: 'ledger', into: 'ledger_copy' }));
    expect(p.mode).toBe('into');
    expect(steps(p)).toEqual([
      [`create the private restore folder ${work}`, ['mkdir', '-m', '0700', work]],
      [`restore snapshot ffffffff (2026-11-30T02:00:00Z) into ${work}`, [...RESTIC_ENV, 'restore', SNAPSHOT.id, '--target', work]],
      ['create the new database ledger_copy', ['runuser', '-u', 'postgres', '--', 'createdb', '--template=template0', '--', 'ledger_copy']],
      ['restore the dump of ledger into ledger_copy', pgRestore(dump, '--dbname=ledger_copy', '--no-owner', '--role=postgres')],
      [`remove the restore folder ${work}`, ['rm', '-rf', '--', work]],
    ]);
    expect(p.afterwards).toEqual(['database ledger_copy holds the snapshot; ledger and the service were not touched']);
  });
});

describe('describePlan and shellWord', () => {
  it('names the mode and numbers each step from 1, with its command as it would be typed', () => {
    const text = (o: Partial<RestoreOptions>) => describePlan(plan(model, options(o))).split('\n');
    const inPlace = text({});
    expect(inPlace[0]).toBe('restore of app (in place):');
    expect(inPlace.slice(1, 5)).toEqual([
      `  1. create the private restore folder /var/tmp/atelier-restore-app-${STAMP}`,
      `     $ mkdir -m 0700 /var/tmp/atelier-restore-app-${STAMP}`,
      `  2. restore snapshot ffffffff (2026-11-30T02:00:00Z) into /var/tmp/atelier-restore-app-${STAMP}`,
      `     $ env RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository RESTIC_PASSWORD_FILE=/etc/atelier/restic/password RESTIC_CACHE_DIR=/var/cache/atelier-restic restic restore ${SNAPSHOT.id} --target /var/tmp/atelier-restore-app-${STAMP}`,
    ]);
    expect(inPlace.at(-1)).toBe('');
    expect(text({ target: '/tmp/r' })[0]).toBe('restore of app (into /tmp/r, service untouched):');
    expect(text({ service: 'ledger', into: 'ledger_copy' })[0]).toBe('restore of ledger (into a new database, service untouched):');
  });

  it('quotes a word only when a shell would read it differently', () => {
    expect(['/var/lib/app', 'a_b@c%d+e=f:g,h.i/j-k', 'PRAGMA integrity_check', 'x;', ' y', "it's", ''].map(shellWord)).toEqual([
      '/var/lib/app',
      'a_b@c%d+e=f:g,h.i/j-k',
      "'PRAGMA integrity_check'",
      "'x;'",
      "' y'",
      "'it'\\''s'",
      "''",
    ]);
  });
});
