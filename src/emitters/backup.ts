// The backup emitter: per service with data, a restic job (unit, timer, file
// lists) with SQLite and PostgreSQL hooks; once per host, a repository-wide
// prune and the backup manifest. Pure: model in, files out.
import * as path from 'node:path';
import { originOf, type Diagnostic, type HostModel, type Model, type ServiceModel } from '../model.js';
import { escapeEnvironment, escapeExec, escapeText, renderUnit, type Directive } from '../formats/unit-file.js';
import { ISOLATION, RESTRICTIONS } from './hardening.js';
import { generatedNotice, hashCommentHeader } from './header.js';
import type { EmitResult, EmittedFile, Emitter } from './types.js';

/** A constant snapshot host: grouping survives a hostname change. */
export const SNAPSHOT_HOST = 'atelier';
export const BACKUP_MANIFEST_PATH = 'atelier/backup-manifest.json';
/** An upper bound for the consistent SQLite copy; VACUUM INTO itself always ends (see below). */
export const SQLITE_COPY_TIMEOUT = '600';

export const backupUnit = (name: string) => `atelier-backup-${name}`;
export const stagingDir = (name: string) => `/run/${backupUnit(name)}`;

export function hasData(s: ServiceModel): boolean {
  return s.data.sqlite !== null || s.data.postgres !== null || s.data.files.length > 0;
}

export interface BackupJob {
  service: string;
  unit: string;
  timer: string;
  tags: string[];
  /** What restic is given (live paths and staged copies). */
  paths: string[];
  exclude: string[];
  stopsService: boolean;
  hooks: { kind: 'sqlite' | 'postgres'; source: string; staged: string; restoreTo: string }[];
}

export const backupEmitter: Emitter = {
  name: 'backup',
  emit(model: Model): EmitResult {
    const files: EmittedFile[] = [];
    const diagnostics: Diagnostic[] = [];
    if (!model.host.backup.enable) return { files, diagnostics };
    const jobs: BackupJob[] = [];
    for (const service of model.services.filter(hasData)) {
      const before = diagnostics.length;
      const job = planJob(service);
      checkValues(service, diagnostics);
      const jobFiles = [serviceUnit(model.host, service, job), timerUnit(model.host, service), filesList(job, service), excludeList(job, service)];
      if (diagnostics.length === before) {
        files.push(...jobFiles);
        jobs.push(job);
      }
    }
    if (jobs.length > 0) files.push(pruneService(model), pruneTimer(model), manifest(model, jobs));
    return { files, diagnostics };
  },
};

function planJob(s: ServiceModel): BackupJob {
  const hooks: BackupJob['hooks'] = [];
  if (s.data.sqlite) hooks.push({ kind: 'sqlite', source: s.data.sqlite, staged: `${stagingDir(s.name)}/sqlite/${path.posix.basename(s.data.sqlite)}`, restoreTo: s.data.sqlite });
  if (s.data.postgres) hooks.push({ kind: 'postgres', source: s.data.postgres, staged: `${stagingDir(s.name)}/postgres/${s.data.postgres}.dump`, restoreTo: `database ${s.data.postgres}` });
  const tags = [`service:${s.name}`, ...hooks.map((h) => `type:${h.kind}`), ...(s.data.files.length > 0 ? ['type:files'] : [])];
  return {
    service: s.name,
    unit: `${backupUnit(s.name)}.service`,
    timer: `${backupUnit(s.name)}.timer`,
    tags,
    paths: [...hooks.map((h) => h.staged), ...s.data.files],
    exclude: s.data.exclude,
    stopsService: s.data.sqlite !== null && s.data.stopForBackup,
    hooks,
  };
}

/** Values restic or the shell would read differently than written become diagnostics. */
function checkValues(s: ServiceModel, diagnostics: Diagnostic[]): void {
  const fail = (valuePath: string, message: string) => diagnostics.push({ ...originOf(s, valuePath), message: `\`services.${s.name}.${valuePath}\` ${message}` });
  s.data.exclude.forEach((pattern, i) => {
    // restic expands $VAR in exclude files and offers no escape for `$`.
    if (pattern.includes('$')) fail(`data.exclude.${i}`, 'cannot hold `$`: restic expands environment variables in exclude patterns');
    if (pattern !== pattern.trim() || pattern.startsWith('#') || pattern === '') fail(`data.exclude.${i}`, 'must not be empty, start with `#`, or begin or end with white space (restic trims and skips such lines)');
  });
  if (s.data.postgres !== null && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s.data.postgres)) {
    fail('data.postgres', 'must be a plain database name (letters, digits, `_`, `.`, `-`)');
  }
}

/**
 * Each step is a fixed script; declared values arrive as positional parameters.
 * The service is only restarted if this job stopped it (a marker in the staging folder).
 */
export const SCRIPTS = {
  checkPaths: ['set -eu', 'missing=0', 'for p in "$@"; do', '  if [ ! -e "$p" ]; then echo "declared path does not exist: $p" >&2; missing=1; fi', 'done', 'exit "$missing"'].join('\n'),
  stopService: ['set -u', 'if systemctl is-active --quiet "$1"; then', '  touch "$RUNTIME_DIRECTORY/restart-service"', '  systemctl stop "$1"', 'fi'].join('\n'),
  // VACUUM INTO is one read transaction: unlike the online .backup API, which restarts
  // whenever the service writes, it ends under constant writes. It runs as the
  // service's user, so WAL files it creates stay the service's.
  copySqlite: [
    'set -eu',
    'db=$1; user=$2; dest=$3',
    'install -d -o "$user" -m 0700 "$(dirname "$dest")"',
    'sql_dest=$(printf "%s" "$dest" | sed "s/\'/\'\'/g")',
    'timeout "$4" setpriv --reuid="$user" --regid="$user" --init-groups sqlite3 -bail -cmd ".timeout 10000" "$db" "VACUUM INTO \'$sql_dest\'"',
    'sqlite3 -readonly "$dest" "PRAGMA integrity_check" | grep -qx ok',
  ].join('\n'),
  // The dump is written by this root shell into the private staging folder, so it is among the snapshot's paths.
  dumpPostgres: ['set -eu', 'install -d -m 0700 "$(dirname "$2")"', 'setpriv --reuid=postgres --regid=postgres --init-groups pg_dump --format=custom --dbname="$1" > "$2"'].join('\n'),
  backup: [
    'set -eu',
    'if ! restic cat config >/dev/null 2>&1; then',
    '  echo "initialising the restic repository"',
    '  restic init',
    'fi',
    'exec restic backup --host "$@"',
  ].join('\n'),
  startService: ['set -u', 'if [ -e "$RUNTIME_DIRECTORY/restart-service" ]; then', '  systemctl start "$1"', 'fi'].join('\n'),
} as const;

const sh = (script: string, name: string, ...args: string[]) => escapeExec(['/bin/sh', '-c', script, name, ...args]);

function resticEnvironment(host: HostModel): Directive[] {
  return [
    ['Environment', escapeEnvironment('RESTIC_REPOSITORY_FILE', host.backup.repositoryFile)],
    ['Environment', escapeEnvironment('RESTIC_PASSWORD_FILE', host.backup.passwordFile)],
    ['Environment', escapeEnvironment('RESTIC_CACHE_DIR', '/var/cache/atelier-restic')],
    ['CacheDirectory', 'atelier-restic'],
    ...(host.backup.environmentFile ? [['EnvironmentFile', escapeText(host.backup.environmentFile)] as Directive] : []),
  ];
}

/** As far as restic allows: it runs as root to read every service's data, but sees the system read-only. */
function backupHardening(): Directive[] {
  return [
    ['NoNewPrivileges', 'yes'],
    // "full", not "strict": the repository may be a local path named only inside the repository file.
    ['ProtectSystem', 'full'],
    ['ProtectHome', 'read-only'],
    ...ISOLATION,
    ...RESTRICTIONS,
    ['MemoryDenyWriteExecute', 'yes'],
    ['KeyringMode', 'private'],
    ['DevicePolicy', 'closed'],
    ['UMask', '0077'],
    // Read anything, write the staging copies as the service's user or postgres, nothing more.
    ['CapabilityBoundingSet', 'CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE CAP_CHOWN CAP_FOWNER CAP_SETUID CAP_SETGID'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ['SystemCallArchitectures', 'native'],
    ['SystemCallFilter', '@system-service'],
    ['SystemCallErrorNumber', 'EPERM'],
  ];
}

function serviceUnit(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile {
  const lists = listPaths(host, s.name);
  const checked = [...job.hooks.filter((h) => h.kind === 'sqlite').map((h) => h.source), ...s.data.files];
  const service: Directive[] = [
    ['Type', 'oneshot'],
    ...resticEnvironment(host),
    // The private staging folder: systemd creates it empty and removes it when the job ends.
    ['RuntimeDirectory', backupUnit(s.name)],
    // Traversable, not listable: the SQLite copy is made by the service's own user into its 0700 subfolder.
    ['RuntimeDirectoryMode', '0711'],
    // restic skips a missing path and exits 0; a missing declared path must fail the job.
    ...(checked.length > 0 ? [['ExecStartPre', sh(SCRIPTS.checkPaths, 'check-paths', ...checked)] as Directive] : []),
    // A failed stop never prevents the backup ("-"); ExecStopPost starts the service again whatever fails.
    ...(job.stopsService ? [['ExecStartPre', `-${sh(SCRIPTS.stopService, 'stop-service', `${s.name}.service`)}`] as Directive] : []),
    ...job.hooks.map((h): Directive => [
      'ExecStartPre',
      h.kind === 'sqlite' ? sh(SCRIPTS.copySqlite, 'copy-sqlite', h.source, s.name, h.staged, SQLITE_COPY_TIMEOUT) : sh(SCRIPTS.dumpPostgres, 'dump-postgres', h.source, h.staged),
    ]),
    [
      'ExecStart',
      sh(SCRIPTS.backup, 'backup', SNAPSHOT_HOST, ...job.tags.flatMap((t) => ['--tag', t]), '--files-from-verbatim', lists.files, '--exclude-file', lists.exclude),
    ],
    ...(job.stopsService ? [['ExecStopPost', sh(SCRIPTS.startService, 'start-service', `${s.name}.service`)] as Directive] : []),
    ['TimeoutStartSec', '6h'],
    ['Nice', '10'],
    ['IOSchedulingClass', 'idle'],
    ...backupHardening(),
  ];
  const content = renderUnit(hashCommentHeader(s.sources), [
    {
      name: 'Unit',
      directives: [
        ['Description', escapeText(`restic backup of ${s.name}`)],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
      ],
    },
    { name: 'Service', directives: service },
  ]);
  return { path: `systemd/system/${backupUnit(s.name)}.service`, mode: 0o644, content, service: s.name };
}

function timerUnit(host: HostModel, s: ServiceModel): EmittedFile {
  const content = renderUnit(hashCommentHeader(s.sources), [
    { name: 'Unit', directives: [['Description', escapeText(`Schedule of the restic backup of ${s.name}`)]] },
    {
      name: 'Timer',
      directives: [
        ['OnCalendar', escapeText(host.backup.schedule)],
        ['RandomizedDelaySec', escapeText(host.backup.randomizedDelay)],
        ['Persistent', 'true'],
      ],
    },
    { name: 'Install', directives: [['WantedBy', 'timers.target']] },
  ]);
  return { path: `systemd/system/${backupUnit(s.name)}.timer`, mode: 0o644, content, service: s.name };
}

function listPaths(host: HostModel, name: string) {
  const dir = path.posix.join(host.sysconfdir, 'atelier/backup');
  return { files: `${dir}/${name}.files`, exclude: `${dir}/${name}.exclude` };
}

/**
 * `--files-from-verbatim` takes every line as a path, literally (no globs, no
 * `$VAR`): so this one file carries no comment; its notice is in the unit.
 */
function filesList(job: BackupJob, s: ServiceModel): EmittedFile {
  return { path: `atelier/backup/${s.name}.files`, mode: 0o644, content: `${job.paths.join('\n')}\n`, service: s.name };
}

function excludeList(job: BackupJob, s: ServiceModel): EmittedFile {
  return { path: `atelier/backup/${s.name}.exclude`, mode: 0o644, content: `${hashCommentHeader(s.sources)}${job.exclude.join('\n')}\n`, service: s.name };
}

function pruneService(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  const forget = [
    'restic', 'forget', '--prune', '--group-by', 'host,tags',
    '--keep-last', String(prune.keepLast), '--keep-daily', String(prune.keepDaily),
    '--keep-weekly', String(prune.keepWeekly), '--keep-monthly', String(prune.keepMonthly),
  ];
  const content = renderUnit(hashCommentHeader(model.sources), [
    { name: 'Unit', directives: [['Description', 'restic forget and prune of the whole atelier repository'], ['Wants', 'network-online.target'], ['After', 'network-online.target']] },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(model.host),
        // `restic unlock` removes only stale locks (of dead processes); a running backup keeps its lock.
        ['ExecStartPre', escapeExec(['restic', 'unlock'])],
        ['ExecStart', escapeExec(forget)],
        ['TimeoutStartSec', '4h'],
        ['Nice', '10'],
        ['IOSchedulingClass', 'idle'],
        ...backupHardening(),
      ],
    },
  ]);
  return { path: 'systemd/system/atelier-prune.service', mode: 0o644, content };
}

function pruneTimer(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  const content = renderUnit(hashCommentHeader(model.sources), [
    { name: 'Unit', directives: [['Description', 'Weekly prune of the atelier restic repository']] },
    { name: 'Timer', directives: [['OnCalendar', escapeText(prune.schedule)], ['RandomizedDelaySec', escapeText(prune.randomizedDelay)], ['Persistent', 'true']] },
    { name: 'Install', directives: [['WantedBy', 'timers.target']] },
  ]);
  return { path: 'systemd/system/atelier-prune.timer', mode: 0o644, content };
}

function manifest(model: Model, jobs: BackupJob[]): EmittedFile {
  const { backup } = model.host;
  const data = {
    generated: generatedNotice(model.sources),
    repositoryFile: backup.repositoryFile,
    passwordFile: backup.passwordFile,
    environmentFile: backup.environmentFile,
    host: SNAPSHOT_HOST,
    schedule: { calendar: backup.schedule, randomizedDelay: backup.randomizedDelay },
    prune: { ...backup.prune, groupBy: 'host,tags', unit: 'atelier-prune.service' },
    jobs: jobs.map((j) => ({
      service: j.service,
      unit: j.unit,
      timer: j.timer,
      tags: j.tags,
      paths: j.paths,
      exclude: j.exclude,
      stopsService: j.stopsService,
      hooks: j.hooks,
    })),
  };
  return { path: BACKUP_MANIFEST_PATH, mode: 0o644, content: `${JSON.stringify(data, null, 2)}\n` };
}

