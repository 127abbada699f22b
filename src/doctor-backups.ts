// `doctor`, for backups that run unwatched: the last result of every backup,
// prune and check job (systemd's own record), and whether each service's
// newest snapshot is as recent as its schedule says it should be.
import type { CommandRunner } from './apply.js';
import { hasData, planJob, SNAPSHOT_HOST } from './emitters/backup/index.js';
import type { Model } from './model.js';
import { restic } from './restore/plan.js';
import { parseSnapshots } from './restore/run.js';
import { age } from './restore/snapshots.js';

interface Found {
  level: 'ok' | 'warn' | 'fail';
  check: string;
  detail: string;
  fix?: string;
}

export async function backupHealth(model: Model, run: CommandRunner, now: Date = new Date()): Promise<Found[]> {
  const { backup } = model.host;
  const services = model.services.filter(hasData);
  if (!backup.enable || services.length === 0) return [];
  const jobs = services.map((s) => planJob(model.host, s));
  const units = [...jobs.map((j) => j.unit), 'atelier-prune.service', ...(backup.check.enable ? ['atelier-check.service'] : [])];
  const findings: Found[] = [];
  for (const unit of units) findings.push(await lastRun(model, run, unit));

  const listed = await run(restic(model.host, 'snapshots', '--json', '--host', SNAPSHOT_HOST));
  if (listed.code !== 0) {
    findings.push({ level: 'fail', check: 'snapshots', detail: `restic could not list the repository: ${lastLine(listed.output)}`, fix: 'check the repository and password files (and host.backup.environmentFile)' });
    return findings;
  }
  const snapshots = parseSnapshots(listed.output);
  for (const job of jobs) {
    const check = `newest snapshot of ${job.service}`;
    const newest = snapshots.filter((s) => s.tags?.includes(`service:${job.service}`)).map((s) => s.time).sort().pop();
    if (!newest) {
      findings.push({ level: 'warn', check, detail: 'none yet', fix: `systemctl start ${job.unit} (or wait for its timer: ${job.schedule})` });
      continue;
    }
    const interval = await scheduleInterval(run, job.schedule);
    // A delay longer than the interval still fires once per elapse: it never makes a snapshot later than that.
    const span = await timespan(run, model.host.backup.randomizedDelay);
    const delay = span === null || interval === null ? null : Math.min(span, interval);
    const seconds = (now.getTime() - Date.parse(newest)) / 1000;
    const detail = `${age(now, { time: newest })} (schedule ${job.schedule})`;
    if (interval === null || delay === null) findings.push({ level: 'ok', check, detail: `${detail}; the schedule's interval could not be computed` });
    // One run may be late by its randomized delay; a run missed entirely is a warning, two a failure.
    else if (seconds > 2 * interval + delay) findings.push({ level: 'fail', check, detail: `${detail}: two or more scheduled runs made no snapshot`, fix: `journalctl -u ${job.unit}; systemctl list-timers ${job.timer}` });
    else if (seconds > interval + delay) findings.push({ level: 'warn', check, detail: `${detail}: the last scheduled run made no snapshot`, fix: `journalctl -u ${job.unit}` });
    else findings.push({ level: 'ok', check, detail });
  }
  return findings;
}

async function lastRun(model: Model, run: CommandRunner, unit: string): Promise<Found> {
  const shown = await run([model.host.systemctl, 'show', '-p', 'Result', '-p', 'ExecMainExitTimestamp', '-p', 'ExecMainStatus', '-p', 'LoadState', unit]);
  const props = Object.fromEntries(shown.output.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const check = `last run of ${unit}`;
  if (shown.code !== 0 || props.LoadState !== 'loaded') return { level: 'fail', check, detail: `not installed (${props.LoadState ?? lastLine(shown.output)})`, fix: 'atelier-emit --out /etc --apply' };
  if (!props.ExecMainExitTimestamp) return { level: 'warn', check, detail: 'has not run since boot', fix: `systemctl start ${unit} to try it now` };
  if (props.Result !== 'success') return { level: 'fail', check, detail: `${props.Result} (exit status ${props.ExecMainStatus}) at ${props.ExecMainExitTimestamp}`, fix: `journalctl -u ${unit} -n 50` };
  return { level: 'ok', check, detail: `success at ${props.ExecMainExitTimestamp}` };
}

/** Seconds between the next two elapses of a calendar expression, as systemd computes them. */
async function scheduleInterval(run: CommandRunner, calendar: string): Promise<number | null> {
  // In UTC, so both elapses print as one parsable form (a DST change still counts as systemd counts it).
  const r = await run(['env', 'TZ=UTC', 'systemd-analyze', 'calendar', '--iterations=2', calendar]);
  // With --iterations=2 the second elapse is "Iter. #2".
  const utc = [...r.output.matchAll(/(?:Next elapse|Iter\. #2): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g)].map((m) => Date.parse(`${m[1]}T${m[2]}Z`));
  return r.code === 0 && utc.length >= 2 ? (utc[1] - utc[0]) / 1000 : null;
}

async function timespan(run: CommandRunner, span: string): Promise<number | null> {
  const r = await run(['systemd-analyze', 'timespan', span]);
  const us = /μs: (\d+)/.exec(r.output);
  return r.code === 0 && us ? Number(us[1]) / 1e6 : null;
}

// split() always returns at least one string.
const lastLine = (text: string) => text.trim().split('\n').pop()!;
