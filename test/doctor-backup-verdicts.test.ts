// doctor's backup findings with every command answered here: the exact commands
// asked (systemctl show, restic snapshots, systemd-analyze), how systemd's
// answers are read, and where "late" begins against the schedule's interval and
// randomized delay.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { backupHealth } from '../src/doctor-backups.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const withFiles = (name: string) => makeService(name, { data: { ...makeService(name).data, files: [`/srv/${name}`] } });
const now = new Date('2026-11-30T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

const LOADED = 'Result=success\nExecMainExitTimestamp=Mon 2026-11-30 02:10:00 UTC\nExecMainStatus=0\nLoadState=loaded\n';
/** An elapse as systemd-analyze prints it in UTC (the weekday is not read). */
const elapse = (ms: number) => `Mon ${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
/** systemd-analyze calendar --iterations=2, for two elapses `interval` seconds apart. */
const calendar = (interval: number) => {
  const next = Date.parse('2026-11-30T13:00:00Z');
  return `  Original form: x\nNormalized form: x\n    Next elapse: ${elapse(next)}\n       From now: 1h left\n       Iter. #2: ${elapse(next + interval * 1000)}\n       From now: 2h left\n`;
};
const timespan = (seconds: number) => `Original: x\n      μs: ${seconds * 1e6}\n   Human: x\n`;

interface Answers {
  show?: (unit: string) => [number, string];
  snapshots?: [number, string];
  calendar?: [number, string];
  timespan?: [number, string];
}
function runner(a: Answers, asked: string[][] = []) {
  return async (argv: string[]): Promise<StepResult> => {
    asked.push(argv);
    const reply = (code: number, output: string) => ({ command: argv, code, output });
    if (argv.includes('show')) return reply(...(a.show?.(argv.at(-1)!) ?? [0, LOADED]));
    if (argv.includes('snapshots')) return reply(...(a.snapshots ?? [0, '[]']));
    if (argv.includes('calendar')) return reply(...(a.calendar ?? [0, calendar(3600)]));
    if (argv.includes('timespan')) return reply(...(a.timespan ?? [0, timespan(600)]));
    throw new Error(`unexpected command ${argv.join(' ')}`);
  };
}
const snaps = (...list: { service: string; time: string }[]) => JSON.stringify(list.map((s, i) => ({ id: `${i}`, short_id: `${i}`, time: s.time, tags: [`service:${s.service}`], paths: [] })));
const newest = async (a: Answers, model = makeModel([withFiles('app')])) => (await backupHealth(model, runner(a), now)).find((f) => f.check === 'newest snapshot of app');

describe('doctor: the commands it asks', () => {
  it('asks systemctl for four properties of each job, then restic for the atelier snapshots as JSON; no check job when checks are off', async () => {
    const host = makeHost();
    const model = makeModel([withFiles('app')], { ...host, backup: { ...host.backup, check: { ...host.backup.check, enable: false } } });
    const asked: string[][] = [];
    const found = await backupHealth(model, runner({}, asked), now);
    expect(found.map((f) => f.check)).toEqual(['last run of atelier-backup-app.service', 'last run of atelier-prune.service', 'newest snapshot of app']);
    expect(asked.slice(0, 3)).toEqual([
      ['/usr/bin/systemctl', 'show', '-p', 'Result', '-p', 'ExecMainExitTimestamp', '-p', 'ExecMainStatus', '-p', 'LoadState', 'atelier-backup-app.service'],
      ['/usr/bin/systemctl', 'show', '-p', 'Result', '-p', 'ExecMainExitTimestamp', '-p', 'ExecMainStatus', '-p', 'LoadState', 'atelier-prune.service'],
      ['env', 'RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', 'RESTIC_CACHE_DIR=/var/cache/atelier-restic', 'restic', 'snapshots', '--json', '--host', 'atelier'],
    ]);
  });
});

describe("doctor: reading systemd's record of a job", () => {
  const lastRun = async (show: [number, string]) => (await backupHealth(makeModel([withFiles('app')]), runner({ show: (u) => (u === 'atelier-backup-app.service' ? show : [0, LOADED]) }), now))[0];

  it('a job that has not run since boot is a warning whose fix starts it', async () => {
    expect(await lastRun([0, 'Result=success\nExecMainExitTimestamp=\nExecMainStatus=0\nLoadState=loaded\n'])).toEqual({
      level: 'warn', check: 'last run of atelier-backup-app.service', detail: 'has not run since boot', fix: 'systemctl start atelier-backup-app.service to try it now',
    });
  });

  it('systemctl failing is "not installed" even when its output says loaded', async () => {
    expect(await lastRun([1, LOADED])).toEqual({ level: 'fail', check: 'last run of atelier-backup-app.service', detail: 'not installed (loaded)', fix: 'atelier-emit --out /etc --apply' });
  });

  it('a line without "=" is not read as a property', async () => {
    expect(await lastRun([0, `${LOADED}Result:\n`])).toEqual({ level: 'ok', check: 'last run of atelier-backup-app.service', detail: 'success at Mon 2026-11-30 02:10:00 UTC' });
  });
});

describe("doctor: a service's newest snapshot against its schedule", () => {
  // Every case below: interval 3600 s (hourly), randomized delay 600 s.
  it('none yet is a warning whose fix runs the job or waits for its timer', async () => {
    expect(await newest({})).toEqual({ level: 'warn', check: 'newest snapshot of app', detail: 'none yet', fix: 'systemctl start atelier-backup-app.service (or wait for its timer: 02:00)' });
  });

  it('the newest is the latest time, in whatever order restic lists them', async () => {
    const found = await newest({ snapshots: [0, snaps({ service: 'app', time: ago(1800) }, { service: 'other', time: ago(60) }, { service: 'app', time: ago(90_000) })] });
    expect(found).toEqual({ level: 'ok', check: 'newest snapshot of app', detail: '30 min ago (schedule 02:00)' });
  });

  it('up to one interval plus the delay is ok; a second more is a warning', async () => {
    expect(await newest({ snapshots: [0, snaps({ service: 'app', time: ago(4200) })] })).toEqual({ level: 'ok', check: 'newest snapshot of app', detail: '70 min ago (schedule 02:00)' });
    expect(await newest({ snapshots: [0, snaps({ service: 'app', time: ago(4201) })] })).toEqual({
      level: 'warn', check: 'newest snapshot of app', detail: '70 min ago (schedule 02:00): the last scheduled run made no snapshot', fix: 'journalctl -u atelier-backup-app.service',
    });
  });

  it('the delay is read from systemd-analyze timespan in full', async () => {
    // 3900 s is within 3600 + 600; with the delay misread it would be late.
    expect((await newest({ snapshots: [0, snaps({ service: 'app', time: ago(3900) })] }))?.level).toBe('ok');
  });

  it('up to two intervals plus the delay is a warning; a second more is a failure', async () => {
    expect((await newest({ snapshots: [0, snaps({ service: 'app', time: ago(7800) })] }))?.level).toBe('warn');
    expect((await newest({ snapshots: [0, snaps({ service: 'app', time: ago(7500) })] }))?.level).toBe('warn');
    expect(await newest({ snapshots: [0, snaps({ service: 'app', time: ago(7801) })] })).toEqual({
      level: 'fail', check: 'newest snapshot of app', detail: '2 h ago (schedule 02:00): two or more scheduled runs made no snapshot',
      fix: 'journalctl -u atelier-backup-app.service; systemctl list-timers atelier-backup-app.timer',
    });
  });

  it.each([
    ['systemd-analyze calendar fails', { calendar: [1, calendar(3600)] }],
    ['the calendar has fewer than two elapses', { calendar: [0, '  Original form: x\nNormalized form: x\n    Next elapse: Mon 2026-11-30 13:00:00 UTC\n'] }],
    ['the calendar never elapses', { calendar: [0, '  Original form: x\nNormalized form: x\n    Next elapse: never\n'] }],
    ['systemd-analyze timespan fails', { timespan: [1, timespan(600)] }],
  ] as [string, Answers][])('%s: ok, saying the interval could not be computed', async (_name, answers) => {
    expect(await newest({ ...answers, snapshots: [0, snaps({ service: 'app', time: ago(90_000) })] })).toEqual({
      level: 'ok', check: 'newest snapshot of app', detail: "25 h ago (schedule 02:00); the schedule's interval could not be computed",
    });
  });
});
