// One service's backup job: what it copies, the checks on what it declares,
// and its files (unit, timer, path and exclude lists).
//
// A job runs as steps a journal reader can follow, in an order chosen so the
// service is down as briefly as possible and never left down:
//   open-repository → [pre-backup] → check-paths → [stop-units → copy-sqlite
//   → start-units → verify-sqlite] → [dump-postgres] → backup (ExecStart)
//   → [post-backup] (ExecStartPost) → start-units (ExecStopPost)
// The repository is opened before anything runs or is stopped, so an
// unreachable repository fails the job with the service untouched; paths are
// checked after pre-backup, which may be what creates them.
import * as path from 'node:path';
import { originOf, type Diagnostic, type HostModel, type ServiceModel } from '../../model.js';
import { excludeLine, excludeProblem, excludingPattern, globEscape } from '../../formats/restic-patterns.js';
import { COMMENT, escapeText, renderUnit, type Directive } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import { backupUnit, SNAPSHOT_HOST, stagingDir } from './layout.js';
import { notify } from './notify.js';
import { step } from './scripts.js';
import { CONTROL, lowPriority, resticEnvironment, sandbox, systemCalls, timer } from './units.js';

/**
 * Upper bound of the SQLite copy, in seconds. VACUUM INTO ends by itself (it
 * is one read transaction), but with stopForBackup the service is down while
 * it runs: a copy slower than this is a failed backup, not an outage.
 */
export const SQLITE_COPY_TIMEOUT = 600;
/** What SQLite keeps beside a database; never backed up raw. */
const SQLITE_SIDE_FILES = ['', '-wal', '-shm', '-journal'];
/** A unit name systemctl takes as one (systemd.unit(5): `[a-zA-Z0-9:-_.\\@]`, at most 255); never an option. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]{0,254}$/;
/** PostgreSQL names pg_dump reads as a name, never as a connection string. */
export const PLAIN_DATABASE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export type BackupHook =
  /** `folder` (the database's, as mkService backs up) is in the snapshot without the live files; `staged` is the consistent copy. */
  | { kind: 'sqlite'; source: string; folder: string; staged: string; restoreTo: string; owner: string }
  | { kind: 'postgres'; database: string; staged: string; format: 'custom'; restoreTo: string };

export interface BackupJob {
  service: string;
  unit: string;
  timer: string;
  tags: string[];
  filesList: string;
  excludeList: string;
  /** Exactly the lines restic backs up: staged copies first, then declared files. */
  paths: string[];
  /** Patterns as restic applies them: declared, then the live SQLite files (last, so a declared `!` cannot re-include them). */
  exclude: string[];
  stopsService: boolean;
  /** Every unit stopped around the SQLite copy: the service (with stopForBackup), then data.stopUnits. */
  stopUnits: string[];
  hooks: BackupHook[];
  /** data.preBackup / data.postBackup, run as the service's user. */
  commands: { preBackup: string | null; postBackup: string | null };
  /** OnCalendar of the timer: data.schedule, else the host's. */
  schedule: string;
  /** Retention of this service's snapshots: data.keep, each unset value the host's. */
  keep: Retention;
}

export interface Retention {
  last: number;
  daily: number;
  weekly: number;
  monthly: number;
}


export function planJob(host: HostModel, s: ServiceModel): BackupJob {
  const hooks: BackupHook[] = [];
  const staging = stagingDir(s.name);
  if (s.data.sqlite) {
    const folder = path.posix.dirname(s.data.sqlite);
    hooks.push({ kind: 'sqlite', source: s.data.sqlite, folder, staged: `${staging}/sqlite/${path.posix.basename(s.data.sqlite)}`, restoreTo: s.data.sqlite, owner: s.name });
  }
  if (s.data.postgres) {
    hooks.push({ kind: 'postgres', database: s.data.postgres, staged: `${staging}/postgres/${s.data.postgres}.dump`, format: 'custom', restoreTo: s.data.postgres });
  }
  const liveSqlite = s.data.sqlite ? SQLITE_SIDE_FILES.map((suffix) => globEscape(s.data.sqlite + suffix)) : [];
  const lists = listPaths(host, s.name);
  return {
    service: s.name,
    unit: `${backupUnit(s.name)}.service`,
    timer: `${backupUnit(s.name)}.timer`,
    tags: [`service:${s.name}`, ...hooks.map((h) => `type:${h.kind}`), ...(s.data.files.length > 0 ? ['type:files'] : [])],
    filesList: lists.files,
    excludeList: lists.exclude,
    // The SQLite database's folder, as mkService backs up (dirOf): what the app keeps beside its
    // database is in the snapshot; the live files are excluded, the consistent copy stands in for them.
    paths: unique([...hooks.map((h) => h.staged), ...hooks.flatMap((h) => (h.kind === 'sqlite' ? [h.folder] : [])), ...s.data.files]),
    exclude: [...s.data.exclude, ...liveSqlite],
    // Only the SQLite copy needs a quiet database; pg_dump reads one MVCC
    // snapshot and files are read as they are, so nothing else stops the service.
    stopsService: s.data.sqlite !== null && s.data.stopForBackup,
    stopUnits: s.data.sqlite === null ? [] : unique([...(s.data.stopForBackup ? [`${s.name}.service`] : []), ...s.data.stopUnits]),
    hooks,
    commands: { preBackup: s.data.preBackup, postBackup: s.data.postBackup },
    schedule: s.data.schedule ?? host.backup.schedule,
    keep: {
      last: s.data.keep.last ?? host.backup.prune.keepLast,
      daily: s.data.keep.daily ?? host.backup.prune.keepDaily,
      weekly: s.data.keep.weekly ?? host.backup.prune.keepWeekly,
      monthly: s.data.keep.monthly ?? host.backup.prune.keepMonthly,
    },
  };
}

const unique = (list: string[]) => [...new Set(list)];

function listPaths(host: HostModel, name: string) {
  const dir = path.posix.join(host.sysconfdir, 'atelier/backup');
  return { files: `${dir}/${name}.files`, exclude: `${dir}/${name}.exclude` };
}

export function checkService(s: ServiceModel, job: BackupJob): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fail = (valuePath: string, message: string, hint?: string) =>
    out.push({ ...originOf(s, valuePath), message: `\`services.${s.name}.${valuePath}\` ${message}`, ...(hint ? { hint } : {}) });
  const badPath = (p: string) => !p.startsWith('/') || CONTROL.test(p);
  // The job's own staging folder: systemd creates it empty for each run and removes it after.
  const staging = stagingDir(s.name);
  const inStaging = (p: string) => p === staging || p.startsWith(`${staging}/`);
  const stagingProblem = `must not be inside ${staging}, the backup job's staging folder (systemd empties it for every run)`;
  if (s.data.sqlite !== null && (badPath(s.data.sqlite) || s.data.sqlite.endsWith('/'))) {
    fail('data.sqlite', 'must be the absolute path of a file, without control characters (the backup lists hold one path a line)');
  } else if (s.data.sqlite !== null && inStaging(s.data.sqlite)) fail('data.sqlite', stagingProblem);
  s.data.files.forEach((p, i) => {
    if (badPath(p)) fail(`data.files.${i}`, 'must be an absolute path without control characters (the backup list holds one path a line)');
    else if (inStaging(p)) fail(`data.files.${i}`, stagingProblem);
  });
  s.data.stopUnits.forEach((unit, i) => {
    if (!UNIT_NAME.test(unit)) fail(`data.stopUnits.${i}`, 'must be a unit name such as worker.service (letters, digits, `:-_.@\\`, not starting with `-`)');
    else if (unit === s.name || unit === `${s.name}.service`) fail(`data.stopUnits.${i}`, 'is this service itself, which data.stopForBackup stops');
  });
  if (s.data.stopUnits.length > 0 && s.data.sqlite === null) fail('data.stopUnits', 'needs data.sqlite: the units are stopped around the SQLite copy');
  if (s.data.postgres !== null && !PLAIN_DATABASE.test(s.data.postgres)) {
    fail('data.postgres', 'must be a plain database name (letters, digits, `_`, `.`, `-`)', 'pg_dump would read anything else as a connection string');
  }
  s.data.exclude.forEach((pattern, i) => {
    const problem = excludeProblem(pattern);
    if (problem) fail(`data.exclude.${i}`, problem);
  });
  if (out.length === 0) checkNothingExcluded(s, job, fail);
  return out;
}

/**
 * restic drops a path to back up without a word (exit 0) when an exclude
 * pattern matches it or a folder above it: the job would succeed without the data.
 */
function checkNothingExcluded(s: ServiceModel, job: BackupJob, fail: (valuePath: string, message: string) => void): void {
  for (const p of job.paths) {
    const culprit = excludingPattern(job.exclude, p);
    if (culprit === null) continue;
    const declared = s.data.exclude.indexOf(culprit);
    const hook = job.hooks.find((h) => h.staged === p);
    if (declared >= 0) fail(`data.exclude.${declared}`, `excludes ${hook ? `the ${hook.kind} copy ${p}` : p}, which would be missing from every snapshot`);
    // Otherwise a live SQLite file pattern excludes it, which only a declared file can meet: the
    // database's folder is shorter than the patterns, and the staged copy's folder is refused above.
    else fail(`data.files.${s.data.files.indexOf(p)}`, 'is the live SQLite database or one of its side files: it is backed up as a consistent copy; declare its folder instead');
  }
}

const runsCommands = (job: BackupJob) => job.commands.preBackup !== null || job.commands.postBackup !== null;

/** What this job's root may do beyond an unprivileged user: read everything, and become the data's owner. */
function jobCapabilities(job: BackupJob): string[] {
  const caps = ['CAP_DAC_READ_SEARCH'];
  if (job.hooks.some((h) => h.kind === 'sqlite')) caps.push('CAP_CHOWN');
  if (job.hooks.length > 0 || runsCommands(job)) caps.push('CAP_SETUID', 'CAP_SETGID');
  return caps;
}

export function jobFiles(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile[] {
  return [serviceUnit(host, s, job), timerUnit(host, s, job), filesList(job, s), excludeList(job, s)];
}

function jobSteps(host: HostModel, s: ServiceModel, job: BackupJob): Directive[] {
  const declared = [...(s.data.sqlite ? [s.data.sqlite] : []), ...s.data.files];
  // The app's own commands get what the app gets: its user, folder and declared environment.
  const environment = [`NODE_ENV=production`, `PORT=${s.port}`, ...Object.entries(s.environment).map(([k, v]) => `${k}=${v}`)];
  const hook = (label: string, command: string) => step(host, 'runHook', label, s.name, `${s.dataDir}/app`, command, ...environment);
  const loud = notify(host, job.unit);
  const steps: Directive[] = [...loud.start, ['ExecStartPre', step(host, 'openRepository')]];
  if (job.commands.preBackup !== null) steps.push(['ExecStartPre', hook('pre-backup', job.commands.preBackup)]);
  if (declared.length > 0) steps.push(['ExecStartPre', step(host, 'checkPaths', ...declared)]);
  for (const h of job.hooks) {
    if (h.kind === 'sqlite') {
      if (job.stopUnits.length > 0) {
        steps.push([COMMENT, 'A failed stop never prevents the backup ("-"); the copy is consistent either way.']);
        steps.push(['ExecStartPre', `-${step(host, 'stopUnits', host.systemctl, ...job.stopUnits)}`]);
      }
      steps.push(['ExecStartPre', step(host, 'copySqlite', h.source, h.owner, h.staged, String(SQLITE_COPY_TIMEOUT))]);
      if (job.stopUnits.length > 0) {
        steps.push([COMMENT, 'Started again right after the copy; if that fails, ExecStopPost= tries again and fails the job.']);
        steps.push(['ExecStartPre', `-${step(host, 'startUnits', host.systemctl)}`]);
      }
      steps.push(['ExecStartPre', step(host, 'verifySqlite', h.owner, h.staged)]);
    } else {
      steps.push(['ExecStartPre', step(host, 'dumpPostgres', h.database, h.staged)]);
    }
  }
  const tags = job.tags.flatMap((t) => ['--tag', t]);
  steps.push(['ExecStart', step(host, 'backup', job.filesList, '--host', SNAPSHOT_HOST, ...tags, '--exclude-file', job.excludeList)]);
  if (job.commands.postBackup !== null) steps.push(['ExecStartPost', hook('post-backup', job.commands.postBackup)]);
  if (job.stopUnits.length > 0) {
    steps.push([COMMENT, 'Runs even when an earlier step failed: a unit this job stopped is always started again.']);
    steps.push(['ExecStopPost', step(host, 'startUnits', host.systemctl)]);
  }
  steps.push(...loud.finish);
  return steps;
}

function serviceUnit(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile {
  // The copy is made as the service's user next to a WAL database: SQLite writes its -shm there.
  const sqliteDirs = job.hooks.flatMap((h) => (h.kind === 'sqlite' ? [h.folder] : []));
  // The app's own backup commands write where the app writes.
  const writable = runsCommands(job) ? [...sqliteDirs, s.dataDir] : sqliteDirs;
  const after = ['network-online.target', ...(s.data.postgres ? ['postgresql.service'] : [])];
  const service: Directive[] = [
    ['Type', 'oneshot'],
    ...resticEnvironment(host),
    // The private staging folder: systemd creates it empty and removes it when the job ends.
    // Traversable, not listable: the SQLite copy is made by the service's user in its own 0700 subfolder.
    ['RuntimeDirectory', backupUnit(s.name)],
    ['RuntimeDirectoryMode', '0711'],
    ...jobSteps(host, s, job),
    ['TimeoutStartSec', '6h'],
    ...lowPriority(),
    ...sandbox(writable, 'read-only', runsCommands(job)),
    ['CapabilityBoundingSet', jobCapabilities(job).join(' ')],
    ...systemCalls(job.hooks.length > 0 || runsCommands(job)),
  ];
  const content = renderUnit(hashCommentHeader(s.sources), [
    {
      name: 'Unit',
      directives: [
        ['Description', escapeText(`restic backup of ${s.name}`)],
        ['Wants', 'network-online.target'],
        ['After', after.join(' ')],
        ...notify(host, job.unit).unit,
      ],
    },
    { name: 'Service', directives: service },
  ]);
  return { path: `systemd/system/${backupUnit(s.name)}.service`, mode: 0o644, content, service: s.name };
}

function timerUnit(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile {
  const content = timer(s.sources, `Schedule of the restic backup of ${s.name}`, job.schedule, host.backup.randomizedDelay);
  return { path: `systemd/system/${backupUnit(s.name)}.timer`, mode: 0o644, content, service: s.name };
}

/**
 * Read with `--files-from-verbatim`: every line is a path, literally (no
 * globs, no `$VAR`, no trimming). The header comment is dropped by the job
 * before restic reads the list (see the backup step script).
 */
function filesList(job: BackupJob, s: ServiceModel): EmittedFile {
  return { path: `atelier/backup/${s.name}.files`, mode: 0o644, content: `${hashCommentHeader(s.sources)}${job.paths.join('\n')}\n`, service: s.name };
}

function excludeList(job: BackupJob, s: ServiceModel): EmittedFile {
  const content = `${hashCommentHeader(s.sources)}${job.exclude.map(excludeLine).join('\n')}\n`;
  return { path: `atelier/backup/${s.name}.exclude`, mode: 0o644, content, service: s.name };
}
