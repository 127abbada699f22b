// One service's backup job: what it copies, the checks on what it declares,
// and its files (unit, timer, path and exclude lists).
//
// A job runs as steps a journal reader can follow, in an order chosen so the
// service is down as briefly as possible and never left down:
//   check-paths → open-repository → [stop-service → copy-sqlite → start-service
//   → verify-sqlite] → [dump-postgres] → backup (ExecStart) → start-service (ExecStopPost)
// The repository is opened before anything is stopped, so an unreachable
// repository fails the job with the service untouched.
import * as path from 'node:path';
import { originOf, type Diagnostic, type HostModel, type ServiceModel } from '../../model.js';
import { excludeLine, excludeProblem, excludingPattern, globEscape } from '../../formats/restic-patterns.js';
import { COMMENT, escapeText, renderUnit, type Directive } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import { backupUnit, SNAPSHOT_HOST, stagingDir } from './layout.js';
import { SCRIPTS, sh } from './scripts.js';
import { CONTROL, lowPriority, resticEnvironment, sandbox, systemCalls, timer } from './units.js';

/**
 * Upper bound of the SQLite copy, in seconds. VACUUM INTO ends by itself (it
 * is one read transaction), but with stopForBackup the service is down while
 * it runs: a copy slower than this is a failed backup, not an outage.
 */
export const SQLITE_COPY_TIMEOUT = 600;
/** What SQLite keeps beside a database; never backed up raw. */
const SQLITE_SIDE_FILES = ['', '-wal', '-shm', '-journal'];
/** PostgreSQL names pg_dump reads as a name, never as a connection string. */
const PLAIN_DATABASE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export type BackupHook =
  | { kind: 'sqlite'; source: string; staged: string; restoreTo: string; owner: string }
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
  hooks: BackupHook[];
}


export function planJob(host: HostModel, s: ServiceModel): BackupJob {
  const hooks: BackupHook[] = [];
  const staging = stagingDir(s.name);
  if (s.data.sqlite) {
    hooks.push({ kind: 'sqlite', source: s.data.sqlite, staged: `${staging}/sqlite/${path.posix.basename(s.data.sqlite)}`, restoreTo: s.data.sqlite, owner: s.name });
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
    paths: [...hooks.map((h) => h.staged), ...s.data.files],
    exclude: [...s.data.exclude, ...liveSqlite],
    // Only the SQLite copy needs a quiet database; pg_dump reads one MVCC
    // snapshot and files are read as they are, so nothing else stops the service.
    stopsService: s.data.sqlite !== null && s.data.stopForBackup,
    hooks,
  };
}

function listPaths(host: HostModel, name: string) {
  const dir = path.posix.join(host.sysconfdir, 'atelier/backup');
  return { files: `${dir}/${name}.files`, exclude: `${dir}/${name}.exclude` };
}

export function checkService(s: ServiceModel, job: BackupJob): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fail = (valuePath: string, message: string, hint?: string) =>
    out.push({ ...originOf(s, valuePath), message: `\`services.${s.name}.${valuePath}\` ${message}`, ...(hint ? { hint } : {}) });
  const badPath = (p: string) => !p.startsWith('/') || CONTROL.test(p);
  if (s.data.sqlite !== null && (badPath(s.data.sqlite) || s.data.sqlite.endsWith('/'))) {
    fail('data.sqlite', 'must be the absolute path of a file, without control characters (the backup lists hold one path a line)');
  }
  s.data.files.forEach((p, i) => {
    if (badPath(p)) fail(`data.files.${i}`, 'must be an absolute path without control characters (the backup list holds one path a line)');
  });
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
    else fail(`data.files.${s.data.files.indexOf(p)}`, 'is the live SQLite database or one of its side files: it is backed up as a consistent copy; declare its folder instead');
  }
}

/** What this job's root may do beyond an unprivileged user: read everything, and become the data's owner. */
function jobCapabilities(job: BackupJob): string[] {
  const caps = ['CAP_DAC_READ_SEARCH'];
  if (job.hooks.some((h) => h.kind === 'sqlite')) caps.push('CAP_CHOWN');
  if (job.hooks.length > 0) caps.push('CAP_SETUID', 'CAP_SETGID');
  return caps;
}

export function jobFiles(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile[] {
  return [serviceUnit(host, s, job), timerUnit(host, s), filesList(job, s), excludeList(job, s)];
}

function jobSteps(host: HostModel, s: ServiceModel, job: BackupJob): Directive[] {
  const unit = `${s.name}.service`;
  const declared = [...(s.data.sqlite ? [s.data.sqlite] : []), ...s.data.files];
  const steps: Directive[] = [];
  if (declared.length > 0) steps.push(['ExecStartPre', sh(SCRIPTS.checkPaths, 'check-paths', ...declared)]);
  steps.push(['ExecStartPre', sh(SCRIPTS.openRepository, 'open-repository')]);
  for (const hook of job.hooks) {
    if (hook.kind === 'sqlite') {
      if (job.stopsService) {
        steps.push([COMMENT, 'A failed stop never prevents the backup ("-"); the copy is consistent either way.']);
        steps.push(['ExecStartPre', `-${sh(SCRIPTS.stopService, 'stop-service', host.systemctl, unit)}`]);
      }
      steps.push(['ExecStartPre', sh(SCRIPTS.copySqlite, 'copy-sqlite', hook.source, hook.owner, hook.staged, String(SQLITE_COPY_TIMEOUT))]);
      if (job.stopsService) {
        steps.push([COMMENT, 'Started again right after the copy; if that fails, ExecStopPost= tries again and fails the job.']);
        steps.push(['ExecStartPre', `-${sh(SCRIPTS.startService, 'start-service', host.systemctl, unit)}`]);
      }
      steps.push(['ExecStartPre', sh(SCRIPTS.verifySqlite, 'verify-sqlite', hook.owner, hook.staged)]);
    } else {
      steps.push(['ExecStartPre', sh(SCRIPTS.dumpPostgres, 'dump-postgres', hook.database, hook.staged)]);
    }
  }
  const tags = job.tags.flatMap((t) => ['--tag', t]);
  steps.push(['ExecStart', sh(SCRIPTS.backup, 'backup', job.filesList, '--host', SNAPSHOT_HOST, ...tags, '--exclude-file', job.excludeList)]);
  if (job.stopsService) {
    steps.push([COMMENT, 'Runs even when an earlier step failed: a service this job stopped is always started again.']);
    steps.push(['ExecStopPost', sh(SCRIPTS.startService, 'start-service', host.systemctl, unit)]);
  }
  return steps;
}

function serviceUnit(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile {
  // The copy is made as the service's user next to a WAL database: SQLite writes its -shm there.
  const sqliteDirs = job.hooks.flatMap((h) => (h.kind === 'sqlite' ? [path.posix.dirname(h.source)] : []));
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
    ...sandbox(sqliteDirs, 'read-only'),
    ['CapabilityBoundingSet', jobCapabilities(job).join(' ')],
    ...systemCalls(job.hooks.length > 0),
  ];
  const content = renderUnit(hashCommentHeader(s.sources), [
    {
      name: 'Unit',
      directives: [
        ['Description', escapeText(`restic backup of ${s.name}`)],
        ['Wants', 'network-online.target'],
        ['After', after.join(' ')],
      ],
    },
    { name: 'Service', directives: service },
  ]);
  return { path: `systemd/system/${backupUnit(s.name)}.service`, mode: 0o644, content, service: s.name };
}

function timerUnit(host: HostModel, s: ServiceModel): EmittedFile {
  const content = timer(s.sources, `Schedule of the restic backup of ${s.name}`, host.backup.schedule, host.backup.randomizedDelay);
  return { path: `systemd/system/${backupUnit(s.name)}.timer`, mode: 0o644, content, service: s.name };
}

/**
 * Read with `--files-from-verbatim`: every line is a path, literally (no
 * globs, no `$VAR`, no trimming). The header comment is dropped by the job
 * before restic reads the list (see SCRIPTS.backup).
 */
function filesList(job: BackupJob, s: ServiceModel): EmittedFile {
  return { path: `atelier/backup/${s.name}.files`, mode: 0o644, content: `${hashCommentHeader(s.sources)}${job.paths.join('\n')}\n`, service: s.name };
}

function excludeList(job: BackupJob, s: ServiceModel): EmittedFile {
  const content = `${hashCommentHeader(s.sources)}${job.exclude.map(excludeLine).join('\n')}\n`;
  return { path: `atelier/backup/${s.name}.exclude`, mode: 0o644, content, service: s.name };
}
