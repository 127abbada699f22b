// The restore run in process (src/restore/run.ts): what it says before, during
// and after each step, and what a failure at each point leaves and tells, with
// a scripted runner (each command's exit and output chosen). The same run with
// restic, sqlite3 and the shell for real: test/restore-run-programs.test.ts.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import type { ServiceModel } from '../src/model.js';
import { parseSnapshots, restore } from '../src/restore/run.js';
import { makeModel, makeService } from './support/model-builders.js';

const withData = (name: string, data: Partial<ServiceModel['data']>) => makeService(name, { data: { ...makeService(name).data, ...data } });
const app = withData('app', { sqlite: '/var/lib/app/data/app.db', files: ['/srv/app-media'], stopUnits: ['worker.service'] });
const ledger = withData('ledger', { postgres: 'ledger' });
const both = withData('both', { sqlite: '/var/lib/both/both.db', postgres: 'bothdb' });
const model = makeModel([app, both, ledger, makeService('web')]);
const STAMP = '20261130T100000';
const WORK = `/var/tmp/atelier-restore-app-${STAMP}`;
const SNAPSHOT = { id: 'f'.repeat(64), short_id: 'ffffffff', time: '2026-11-30T02:00:00Z', tags: ['service:app'], paths: [] };
const options = { service: 'app', snapshot: 'latest', target: null, into: null, stamp: STAMP };

type Answer = Partial<Pick<StepResult, 'code' | 'output'>>;
/** A runner that answers as the programs would when all goes well; `answer` overrides a command's result. */
function scripted(answer: (argv: string[]) => Answer | undefined = () => undefined) {
  const ran: string[][] = [];
  let said = '';
  const run = async (argv: string[]): Promise<StepResult> => {
    ran.push(argv);
    const normal = argv.includes('snapshots') ? JSON.stringify([SNAPSHOT]) : argv.includes('PRAGMA integrity_check') ? 'ok\n' : argv.includes('is-active') ? 'active\n' : '';
    return { command: argv, code: 0, output: normal, ...answer(argv) };
  };
  return { ran, run, say: (t: string) => void (said += t), said: () => said };
}
/** What the run said after the plan it printed (the plan's own text is test/restore-plan-inprocess's). */
const afterPlan = (said: string) => said.slice(said.indexOf('\ndone ') >= 0 ? said.indexOf('\ndone ') + 1 : said.search(/^FAILED /m));
const is = (argv: string[], ...words: string[]) => words.every((w) => argv.includes(w));

describe('restore: refusals and the snapshot lookup', () => {
  it('a refused request says the error and its hint, and runs nothing', async () => {
    const r = scripted();
    expect(await restore({ model, options: { ...options, service: 'nope' }, dryRun: false, run: r.run, say: r.say })).toBe('invalid');
    expect(r.said()).toBe('error: no enabled service named "nope" in the declarations (declared: app, both, ledger, web)\n');
    expect(r.ran).toEqual([]);
  });

  it('a refusal without a hint is one line', async () => {
    const r = scripted();
    expect(await restore({ model, options: { ...options, service: 'web' }, dryRun: false, run: r.run, say: r.say })).toBe('invalid');
    expect(r.said()).toBe('error: services.web declares no data (data.sqlite, data.postgres or data.files): nothing is backed up\n');
  });

  it('restic failing to list the snapshots is said with its output', async () => {
    const r = scripted((a) => (a.includes('snapshots') ? { code: 1, output: 'Fatal: unable to open config file\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.said()).toBe('error: restic could not list the snapshots:\nFatal: unable to open config file\n');
    expect(r.ran).toHaveLength(1);
  });

  it('a listing from a restic that then failed is not trusted', async () => {
    const r = scripted((a) => (a.includes('snapshots') ? { code: 1, output: JSON.stringify([SNAPSHOT]) } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran).toHaveLength(1);
  });

  it('no snapshot of the service yet: says so, naming the tag', async () => {
    const r = scripted((a) => (a.includes('snapshots') ? { output: '[]' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.said()).toBe('error: no snapshot of app (tag service:app) in the repository\n');
  });

  it('a snapshot ID of the service itself is restored', async () => {
    const r = scripted();
    expect(await restore({ model, options: { ...options, snapshot: 'ffffffff', target: '/tmp/r' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.ran[0].slice(-3)).toEqual(['snapshots', '--json', 'ffffffff']);
  });

  it('an unreadable listing is no snapshot', () => {
    expect([parseSnapshots('not json'), parseSnapshots('{"id":"x"}'), parseSnapshots(JSON.stringify([SNAPSHOT]))]).toEqual([[], [], [SNAPSHOT]]);
  });
});

describe('restore: what a run says', () => {
  it('--target: each step done, numbered, then where the files are; nothing to keep', async () => {
    const r = scripted();
    expect(await restore({ model, options: { ...options, target: '/tmp/r' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(afterPlan(r.said())).toBe(
      [
        'done 1. restore snapshot ffffffff (2026-11-30T02:00:00Z) into /tmp/r',
        'done 2. check the SQLite copy /tmp/r/run/atelier-backup-app/sqlite/app.db',
        'done 3. put the SQLite copy at /tmp/r/var/lib/app/data/app.db',
        'restored app.',
        'the service was not touched; the files are under /tmp/r',
        '',
      ].join('\n'),
    );
  });

  it('in place: a move tells what its command said, and the end lists the previous data kept', async () => {
    const r = scripted((a) => (a[0] === 'sh' && a[4] === '/srv/app-media' ? { output: '/srv/app-media was not there\n' } : a[0] === 'sh' && a.at(-1) === '/srv/app-media' ? { output: ' \n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    const said = afterPlan(r.said());
    expect(said).toContain(`done 5. move /var/lib/app/data aside to /var/lib/app/data.before-restore-${STAMP}\n`);
    expect(said).toContain(`done 7. move /srv/app-media aside to /srv/app-media.before-restore-${STAMP} (/srv/app-media was not there)\n`);
    expect(said).toContain("done 8. put the snapshot's /srv/app-media in its place\n");
    expect(said).toContain('done 10. integrity check of /var/lib/app/data/app.db as app\n');
    expect(said.endsWith(
      [
        `done 13. remove the restore folder ${WORK}`,
        'restored app.',
        'the previous data was kept (remove it when satisfied):',
        `  /var/lib/app/data -> /var/lib/app/data.before-restore-${STAMP}`,
        `  /srv/app-media -> /srv/app-media.before-restore-${STAMP}`,
        '',
      ].join('\n'),
    )).toBe(true);
  });

  it('a told output of several lines is one line', async () => {
    const r = scripted((a) => (a[0] === 'sh' && a[4] === '/srv/app-media' ? { output: '  first\nsecond  \n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.said()).toContain(`done 7. move /srv/app-media aside to /srv/app-media.before-restore-${STAMP} (first; second)\n`);
  });

  it('--target with a PostgreSQL dump: each line of what to do next on its own line', async () => {
    const r = scripted((a) => (a.includes('snapshots') ? { output: JSON.stringify([{ ...SNAPSHOT, tags: ['service:both'] }]) } : undefined));
    expect(await restore({ model, options: { ...options, service: 'both', target: '/tmp/r' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.said().endsWith('restored both.\nthe PostgreSQL dump is /tmp/r/run/atelier-backup-both/postgres/bothdb.dump (pg_restore --format=custom)\nthe service was not touched; the files are under /tmp/r\n')).toBe(true);
  });

  it('--into: the new database is said at the end', async () => {
    const r = scripted();
    expect(await restore({ model, options: { ...options, service: 'ledger', into: 'ledger_copy' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.said().endsWith('restored ledger.\ndatabase ledger_copy holds the snapshot; ledger and the service were not touched\n')).toBe(true);
  });
});

describe('restore: a failing step', () => {
  it('a check whose output is not the expected one fails, before anything is stopped; its command, exit and output are shown', async () => {
    const r = scripted((a) => (a[0] === 'sqlite3' ? { output: '*** in database main ***\nrow 1 missing from index\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran.some((a) => a.includes('stop'))).toBe(false);
    expect(afterPlan(r.said()).split('FAILED')[1]).toBe(
      [
        ` 3. check the SQLite copy in the snapshot`,
        `  $ sqlite3 -bail ${WORK}/run/atelier-backup-app/sqlite/app.db 'PRAGMA integrity_check'`,
        `  exit 0, expected "ok":`,
        `    *** in database main ***`,
        `    row 1 missing from index`,
        `nothing was replaced.`,
        `the restored files are in ${WORK}`,
        '',
      ].join('\n'),
    );
  });

  it('a failing command without an expected output: its exit, and no output block when it printed nothing', async () => {
    const r = scripted((a) => (is(a, 'restore') ? { code: 1, output: '\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.said()).toContain(`  exit 1:\nnothing was replaced.\nthe restored files are in ${WORK}\n`);
    expect(r.ran.some((a) => a.includes('start'))).toBe(false);
  });

  it('output with leading blank lines keeps them indented, trailing ones are dropped', async () => {
    const r = scripted((a) => (is(a, 'restore') ? { code: 1, output: '\nFatal: wrong password\n\n' } : undefined));
    await restore({ model, options, dryRun: false, run: r.run, say: r.say });
    expect(r.said()).toContain(`  exit 1:\n    \n    Fatal: wrong password\nnothing was replaced.\n`);
  });

  it('a failure after the stop and before any move starts the units again', async () => {
    const r = scripted((a) => (a[0] === 'sh' && a[4] === '/var/lib/app/data' ? { code: 1, output: 'mv: cannot move\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran.at(-1)).toEqual(['/usr/bin/systemctl', 'start', 'app.service', 'worker.service']);
    expect(r.said().endsWith(`    mv: cannot move\nnothing was replaced; started app.service, worker.service again.\nthe restored files are in ${WORK}\n`)).toBe(true);
  });

  it('starting the units again can fail too: said, with systemctl\'s output', async () => {
    const r = scripted((a) => (a[0] === 'sh' && a[4] === '/var/lib/app/data' ? { code: 1 } : is(a, 'start') ? { code: 1, output: 'Job for app.service failed.\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.said().endsWith(`nothing was replaced, but starting app.service, worker.service failed:\n    Job for app.service failed.\nthe restored files are in ${WORK}\n`)).toBe(true);
  });

  it('a failure after a move leaves the units stopped and says where the previous data and the snapshot\'s files are', async () => {
    const r = scripted((a) => (a[0] === 'runuser' ? { output: 'not ok\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran.some((a) => a.includes('start'))).toBe(false);
    expect(r.said().endsWith(
      [
        'the previous data is kept, moved aside:',
        `  /var/lib/app/data -> /var/lib/app/data.before-restore-${STAMP}`,
        `  /srv/app-media -> /srv/app-media.before-restore-${STAMP}`,
        `the snapshot's files are in ${WORK}`,
        'left stopped: app.service, worker.service (move the previous data back, or fix and re-run, then: systemctl start app.service worker.service)',
        '',
      ].join('\n'),
    )).toBe(true);
  });

  it('a failure after the units were started again does not call them stopped', async () => {
    const r = scripted((a) => (is(a, 'is-active') ? { code: 3, output: 'failed\n' } : undefined));
    expect(await restore({ model, options, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.said()).toContain('FAILED 12. check that app.service is running\n  $ /usr/bin/systemctl is-active app.service\n  exit 3, expected "active":\n    failed\n');
    expect(r.said().endsWith(`the snapshot's files are in ${WORK}\n`)).toBe(true);
  });

  it('--target failing: nothing was stopped, nothing is started', async () => {
    const r = scripted((a) => (a[0] === 'mv' ? { code: 1, output: 'mv: no space\n' } : undefined));
    expect(await restore({ model, options: { ...options, target: '/tmp/r' }, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran).toHaveLength(4);
    expect(r.said().endsWith('nothing was replaced.\nthe restored files are in /tmp/r\n')).toBe(true);
  });
});
