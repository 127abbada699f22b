// doctor's backup findings: systemd's record of each job's last run, and each
// service's newest snapshot against its schedule. systemctl and restic are
// answered here; systemd-analyze (the schedule's interval) is the real one.
import { describe, expect, it } from 'vitest';
import { spawnRunner, type StepResult } from '../src/apply.js';
import { backupHealth } from '../src/doctor-backups.js';
import { makeModel, makeService } from './support/model-builders.js';

const withData = (name: string, data: Partial<ReturnType<typeof makeService>['data']>) => makeService(name, { data: { ...makeService(name).data, ...data } });
const model = makeModel([withData('busy', { sqlite: '/var/lib/busy/data/app.db', schedule: 'hourly' }), withData('nightly', { files: ['/srv/nightly'] }), withData('fresh', { files: ['/srv/fresh'] })]);
const now = new Date('2026-11-30T12:00:00Z');

const SHOW: Record<string, string> = {
  'atelier-backup-busy.service': 'Result=success\nExecMainExitTimestamp=Mon 2026-11-30 11:00:05 UTC\nExecMainStatus=0\nLoadState=loaded\n',
  'atelier-backup-nightly.service': 'Result=exit-code\nExecMainExitTimestamp=Mon 2026-11-30 02:10:00 UTC\nExecMainStatus=1\nLoadState=loaded\n',
  'atelier-backup-fresh.service': 'Result=success\nExecMainExitTimestamp=\nExecMainStatus=0\nLoadState=loaded\n',
  'atelier-prune.service': 'Result=success\nExecMainExitTimestamp=Sun 2026-11-29 05:20:00 UTC\nExecMainStatus=0\nLoadState=loaded\n',
  'atelier-check.service': 'Result=\nExecMainExitTimestamp=\nExecMainStatus=0\nLoadState=not-found\n',
};
const SNAPSHOTS = [
  // busy: hourly (its delay counts up to one interval), newest 4 h old: a failure.
  { id: 'a', short_id: 'a', time: '2026-11-30T08:00:00Z', tags: ['service:busy'], paths: [] },
  // nightly: 02:00 + up to 2 h, newest 34 h old: the last run made none (a warning).
  { id: 'b', short_id: 'b', time: '2026-11-29T02:00:00Z', tags: ['service:nightly'], paths: [] },
];

async function run(argv: string[]): Promise<StepResult> {
  if (argv.includes('show')) return { command: argv, code: 0, output: SHOW[argv.at(-1)!] };
  if (argv.includes('snapshots')) return { command: argv, code: 0, output: JSON.stringify(SNAPSHOTS) };
  return spawnRunner(argv);
}

describe('doctor: backups that run unwatched', () => {
  it("reports each job's last result and each service's newest snapshot against its schedule", async () => {
    const found = await backupHealth(model, run, now);
    const by = Object.fromEntries(found.map((f) => [f.check, f]));
    expect(by['last run of atelier-backup-busy.service']).toMatchObject({ level: 'ok', detail: 'success at Mon 2026-11-30 11:00:05 UTC' });
    expect(by['last run of atelier-backup-nightly.service']).toMatchObject({ level: 'fail', detail: 'exit-code (exit status 1) at Mon 2026-11-30 02:10:00 UTC', fix: 'journalctl -u atelier-backup-nightly.service -n 50' });
    expect(by['last run of atelier-backup-fresh.service'].level).toBe('warn');
    expect(by['last run of atelier-prune.service'].level).toBe('ok');
    expect(by['last run of atelier-check.service']).toMatchObject({ level: 'fail', detail: 'not installed (not-found)' });
    expect(by['newest snapshot of busy']).toMatchObject({ level: 'fail', detail: '4 h ago (schedule hourly): two or more scheduled runs made no snapshot' });
    expect(by['newest snapshot of nightly']).toMatchObject({ level: 'warn', detail: '34 h ago (schedule 02:00): the last scheduled run made no snapshot' });
    expect(by['newest snapshot of fresh']).toMatchObject({ level: 'warn', detail: 'none yet' });
  });

  it('a snapshot within its schedule is ok', async () => {
    const recent = [{ ...SNAPSHOTS[0], time: '2026-11-30T11:30:00Z' }];
    const found = await backupHealth(model, async (argv) => (argv.includes('snapshots') ? { command: argv, code: 0, output: JSON.stringify(recent) } : run(argv)), now);
    expect(found.find((f) => f.check === 'newest snapshot of busy')).toMatchObject({ level: 'ok', detail: '30 min ago (schedule hourly)' });
  });

  it('an unreadable repository is a failure that says so', async () => {
    const found = await backupHealth(model, async (argv) => (argv.includes('snapshots') ? { command: argv, code: 1, output: 'Fatal: wrong password or no key found\n' } : run(argv)), now);
    expect(found.at(-1)).toMatchObject({ level: 'fail', check: 'snapshots', detail: 'restic could not list the repository: Fatal: wrong password or no key found' });
  });
});
