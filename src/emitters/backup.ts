// The backup emitter: per service with data, a restic job (unit, timer, file
// lists) with SQLite and PostgreSQL hooks; once per host, a repository-wide
// prune and the backup manifest. Pure: model in, files out.
//
// A job runs as steps a journal reader can follow, in an order chosen so the
// service is down as briefly as possible and never left down:
//   check-paths → open-repository → [stop-service → copy-sqlite → start-service
//   → verify-sqlite] → [dump-postgres] → backup (ExecStart) → start-service (ExecStopPost)
// The repository is opened before anything is stopped, so an unreachable
// repository fails the job with the service untouched.
import * as path from 'node:path';
import { hostOriginOf, originOf, type Diagnostic, type HostModel, type Model, type Origin, type ServiceModel } from '../model.js';
import { COMMENT, UnsafeValueError, escapeEnvironment, escapeExec, escapeText, escapeWord, renderUnit, type Directive } from '../formats/unit-file.js';
import { ISOLATION, RESTRICTIONS } from './hardening.js';
import { generatedNotice, hashCommentHeader } from './header.js';
import type { EmitResult, EmittedFile, Emitter } from './types.js';

/**
 * Every snapshot's `--host`. A constant, not the machine's name: retention
 * groups (`--group-by host,tags`) survive a hostname change, and after a
 * disaster the snapshots restore on a new machine with the same filter.
 * The price: one repository per host (two hosts sharing one would merge
 * same-named services' snapshot groups).
 */
export const SNAPSHOT_HOST = 'atelier';
export const BACKUP_MANIFEST_PATH = 'atelier/backup-manifest.json';
/**
 * Upper bound of the SQLite copy, in seconds. VACUUM INTO ends by itself (it
 * is one read transaction), but with stopForBackup the service is down while
 * it runs: a copy slower than this is a failed backup, not an outage.
 */
export const SQLITE_COPY_TIMEOUT = 600;
/**
 * The one place outside its own folders where a job may write: a local
 * repository must live under it (Debian's folder for local backups).
 * Anywhere else needs a drop-in with ReadWritePaths= (see the README).
 */
export const LOCAL_REPOSITORY_ROOT = '/var/backups';
const CACHE = 'atelier-restic';
const SQLITE_BUSY_TIMEOUT_MS = 10_000;
/** What SQLite keeps beside a database; never backed up raw. */
const SQLITE_SIDE_FILES = ['', '-wal', '-shm', '-journal'];
/** PostgreSQL names pg_dump reads as a name, never as a connection string. */
const PLAIN_DATABASE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export const backupUnit = (name: string) => `atelier-backup-${name}`;
export const stagingDir = (name: string) => `/run/${backupUnit(name)}`;

export function hasData(s: ServiceModel): boolean {
  return s.data.sqlite !== null || s.data.postgres !== null || s.data.files.length > 0;
}

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

export const backupEmitter: Emitter = {
  name: 'backup',
  emit(model: Model): EmitResult {
    const files: EmittedFile[] = [];
    const diagnostics: Diagnostic[] = [];
    if (!model.host.backup.enable) return { files, diagnostics };
    const hostProblems = checkHost(model);
    if (hostProblems.length > 0) return { files, diagnostics: hostProblems };
    const jobs: BackupJob[] = [];
    for (const service of [...model.services].sort(byName).filter(hasData)) {
      const job = planJob(model.host, service);
      const problems = checkService(service, job);
      if (problems.length === 0) problems.push(...guard(originOf(service, 'data'), () => files.push(...jobFiles(model.host, service, job))));
      if (problems.length === 0) jobs.push(job);
      diagnostics.push(...problems);
    }
    // Host values were checked above: what is left to refuse here is an emitter bug, reported at `host.backup`.
    const hostOrigin = hostOriginOf(model.host, 'backup', { file: model.sources[0] ?? '<unknown>', line: 1, column: 1 });
    if (jobs.length > 0 && diagnostics.length === 0) diagnostics.push(...guard(hostOrigin, () => files.push(pruneService(model), pruneTimer(model), manifest(model, jobs))));
    return { files, diagnostics };
  },
};

const byName = (a: ServiceModel, b: ServiceModel) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Runs `build`; a value the unit format refuses becomes a diagnostic instead of a throw. */
function guard(origin: Origin, build: () => void): Diagnostic[] {
  try {
    build();
    return [];
  } catch (e) {
    if (e instanceof UnsafeValueError) return [{ ...origin, message: `cannot be written into a backup unit: ${e.message}` }];
    throw e;
  }
}

function planJob(host: HostModel, s: ServiceModel): BackupJob {
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

// ---------------------------------------------------------------------------
// Values restic or the line-based lists cannot carry, as diagnostics.

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function checkHost(model: Model): Diagnostic[] {
  const { host } = model;
  const fallback: Origin = { file: model.sources[0] ?? '<unknown>', line: 1, column: 1 };
  const at = (key: string, message: string): Diagnostic => ({ ...hostOriginOf(host, key, fallback), message: `\`host.${key}\` ${message}` });
  const paths: [string, string | null][] = [
    ['sysconfdir', host.sysconfdir],
    ['systemctl', host.systemctl],
    ['backup.repositoryFile', host.backup.repositoryFile],
    ['backup.passwordFile', host.backup.passwordFile],
    ['backup.environmentFile', host.backup.environmentFile],
  ];
  const texts: [string, string][] = [
    ['backup.environmentFile', host.backup.environmentFile ?? '/'],
    ['backup.schedule', host.backup.schedule],
    ['backup.randomizedDelay', host.backup.randomizedDelay],
    ['backup.prune.schedule', host.backup.prune.schedule],
    ['backup.prune.randomizedDelay', host.backup.prune.randomizedDelay],
  ];
  return [
    ...paths.filter(([, v]) => v !== null && (CONTROL.test(v) || !v.startsWith('/'))).map(([key]) => at(key, 'must be an absolute path without control characters')),
    ...texts.flatMap(([key, v]) => guard(hostOriginOf(host, key, fallback), () => escapeText(v)).map((d) => ({ ...d, message: `\`host.${key}\` ${d.message}` }))),
  ];
}

function checkService(s: ServiceModel, job: BackupJob): Diagnostic[] {
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

function excludeProblem(pattern: string): string | null {
  if (CONTROL.test(pattern)) return 'must be one line without control characters (the exclude file holds one pattern a line)';
  if (pattern.trim() === '' || pattern.trim() === '!') return 'must not be empty';
  if (/\\\s+$/.test(pattern)) return 'must not end with a backslash followed by white space';
  try {
    const { glob } = splitNegation(pattern);
    patternParts(glob).forEach(componentRegExp);
  } catch {
    return 'is not a valid restic pattern (an unclosed `[` or a trailing `\\`)';
  }
  return null;
}

// ---------------------------------------------------------------------------
// restic's exclude files and patterns (restic 0.14, checked against restic in
// test/backup.test.ts). Lines are trimmed, `#` lines skipped, `$VAR` expanded
// (`$$` is a literal `$`); a pattern is matched component by component with
// Go's filepath.Match, `**` spans components, a pattern without a leading `/`
// matches any run of components, a leading `!` negates, the last match wins.

/** One exclude-file line that restic reads back as exactly `pattern`. */
export function excludeLine(pattern: string): string {
  let line = pattern.replace(/\$/g, '$$$$');
  // Leading or trailing white space would be trimmed: a one-character class keeps it.
  line = line.replace(/^\s+/, (ws) => [...ws].map((c) => `[${c}]`).join('')).replace(/\s+$/, (ws) => [...ws].map((c) => `[${c}]`).join(''));
  return line.startsWith('#') ? `\\${line}` : line;
}

/** A path as a pattern that matches only itself. */
export function globEscape(p: string): string {
  return p.replace(/[\\*?[]/g, '\\$&');
}

function splitNegation(pattern: string): { negated: boolean; glob: string } {
  return pattern.startsWith('!') ? { negated: true, glob: pattern.slice(1) } : { negated: false, glob: pattern };
}

/** The first declared pattern that leaves `target` excluded, or null when restic keeps it. */
export function excludingPattern(patterns: readonly string[], target: string): string | null {
  let excludedBy: string | null = null;
  for (const pattern of patterns) {
    const { negated, glob } = splitNegation(pattern);
    if (!matches(compiledPattern(glob), ['/', ...target.split('/').filter(Boolean)])) continue;
    excludedBy = negated ? null : (excludedBy ?? pattern);
  }
  return excludedBy;
}

// A fleet shares its exclude patterns: each is compiled once per run (a tenth of the render time at 10,000 services).
const compiled = new Map<string, Part[]>();
function compiledPattern(glob: string): Part[] {
  let parts = compiled.get(glob);
  if (parts === undefined) {
    parts = patternParts(glob).map(componentRegExp);
    compiled.set(glob, parts);
  }
  return parts;
}

function patternParts(glob: string): string[] {
  // Go's filepath.Clean, then split on "/"; a leading "/" anchors the pattern.
  const cleaned = path.posix.normalize(glob).replace(/(.)\/+$/, '$1');
  const parts = cleaned.split('/');
  if (parts[0] === '') parts[0] = '/';
  return parts;
}

type Part = RegExp | '**' | '/';

/** Go's filepath.Match for one component, as a RegExp; throws where Go returns ErrBadPattern. */
function componentRegExp(part: string): Part {
  if (part === '**' || part === '/') return part;
  const chars = [...part];
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const cls = characterClass(chars, i + 1);
      re += cls.re;
      i = cls.end;
    } else {
      if (c === '\\' && ++i >= chars.length) throw new Error('trailing backslash');
      re += literal(chars[i]);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}

const literal = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** `[...]` from just after the `[`: Go's ranges, `^` negation, `\\` escapes; returns the index of the closing `]`. */
function characterClass(chars: string[], start: number): { re: string; end: number } {
  let i = start;
  const negated = chars[i] === '^';
  if (negated) i++;
  const escaped = () => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') throw new Error('malformed class');
    if (chars[i] === '\\') i++;
    if (i >= chars.length) throw new Error('malformed class');
    return chars[i++];
  };
  let ranges = '';
  for (let n = 0; ; n++) {
    if (chars[i] === ']' && n > 0) break;
    const lo = escaped();
    let hi = lo;
    if (chars[i] === '-') {
      i++;
      hi = escaped();
    }
    // Go accepts a reversed range that matches nothing; a RegExp would throw.
    if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges += `${literal(lo)}-${literal(hi)}`;
  }
  return { re: `[${negated ? '^' : ''}${ranges}]`, end: i };
}

/** restic's filter.match: `**` expands to any number of components; unanchored patterns float. */
function matches(pattern: Part[], components: string[]): boolean {
  const star = pattern.indexOf('**');
  if (star >= 0) {
    for (let n = 0; n <= components.length - pattern.length + 1; n++) {
      const expanded = [...pattern.slice(0, star), ...Array<Part>(n).fill(/^.*$/su), ...pattern.slice(star + 1)];
      if (matches(expanded, components)) return true;
    }
    return false;
  }
  if (pattern.length === 0 || pattern.length > components.length) return pattern.length === components.length;
  const anchored = pattern[0] === '/';
  const first = anchored ? 0 : 1;
  const last = anchored ? 0 : components.length - pattern.length;
  for (let offset = last; offset >= first; offset--) {
    if (pattern.every((p, i) => (p === '/' ? components[offset + i] === '/' : p !== '**' && p.test(components[offset + i])))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// The job's steps. Each is a fixed script: declared values arrive only as
// positional parameters ("$1"), never inside the script text, so no value is
// ever parsed as shell (shellQuote is not needed: there is nothing to quote).

export const SCRIPTS = {
  // restic skips a missing path and still exits 0: fail first, loudly, before anything is stopped.
  checkPaths: `set -u
missing=0
for p in "$@"; do
  if [ ! -e "$p" ]; then
    echo "declared path does not exist: $p" >&2
    missing=1
  fi
done
exit "$missing"`,
  // restic 0.14 has no "does not exist" exit code: any failure to read the
  // config leads to init, which refuses to touch an existing repository.
  openRepository: `set -u
if restic cat config >/dev/null; then
  exit 0
fi
echo "restic cat config failed: trying restic init (it refuses to overwrite an existing repository)" >&2
exec restic init`,
  // The marker makes "started again" mean "restored to how it was": only a service this job stopped is started.
  stopService: `set -u
systemctl=$1 unit=$2
if "$systemctl" is-active --quiet "$unit"; then
  : >"$RUNTIME_DIRECTORY/stopped-service"
  exec "$systemctl" stop "$unit"
fi
echo "$unit is not active: copying without stopping it"`,
  // VACUUM INTO, not the online .backup: .backup restarts whenever another
  // connection writes, so under constant writes it may never end; VACUUM INTO
  // is one read transaction and ends regardless. It runs as the service's
  // user: opening a WAL database creates -wal/-shm files, which must stay
  // the service's. The copy is in rollback-journal mode: WAL is set back so
  // the restored file is a drop-in replacement.
  copySqlite: `set -eu
db=$1 user=$2 dest=$3 seconds=$4
mkdir -m 0700 "\${dest%/*}"
chown "$user" "\${dest%/*}"
mode=$(setpriv --reuid="$user" --regid="$user" --init-groups -- sqlite3 -bail -cmd ".timeout ${SQLITE_BUSY_TIMEOUT_MS}" "$db" "PRAGMA journal_mode")
literal=$(printf '%s' "$dest" | sed "s/'/''/g")
timeout "$seconds" setpriv --reuid="$user" --regid="$user" --init-groups -- sqlite3 -bail -cmd ".timeout ${SQLITE_BUSY_TIMEOUT_MS}" "$db" "VACUUM INTO '$literal'"
if [ "$mode" = wal ]; then
  setpriv --reuid="$user" --regid="$user" --init-groups -- sqlite3 -bail "$dest" "PRAGMA journal_mode=WAL" >/dev/null
fi`,
  verifySqlite: `set -eu
user=$1 dest=$2
result=$(setpriv --reuid="$user" --regid="$user" --init-groups -- sqlite3 -bail "$dest" "PRAGMA integrity_check")
if [ "$result" != ok ]; then
  echo "the SQLite copy failed its integrity check: $result" >&2
  exit 1
fi`,
  // Uncompressed (-Z0): restic compresses and deduplicates; a compressed dump
  // differs entirely from one day to the next. pg_restore --list proves the archive reads back.
  dumpPostgres: `set -eu
database=$1 dest=$2
mkdir -m 0700 "\${dest%/*}"
setpriv --reuid=postgres --regid=postgres --init-groups -- pg_dump --format=custom --compress=0 --dbname="$database" >"$dest"
pg_restore --list "$dest" >/dev/null`,
  startService: `set -eu
systemctl=$1 unit=$2
marker=$RUNTIME_DIRECTORY/stopped-service
if [ -e "$marker" ]; then
  "$systemctl" start "$unit"
  rm "$marker"
fi`,
  // The list's header line is a comment restic --files-from-verbatim would
  // take as a path: it is dropped (every real line is absolute). Every path,
  // staged copies included, is checked right before restic reads it.
  backup: `set -eu
list=$1
shift
paths=$RUNTIME_DIRECTORY/paths
sed '/^#/d' "$list" >"$paths"
missing=0
while IFS= read -r p; do
  if [ ! -e "$p" ]; then
    echo "path to back up does not exist: $p" >&2
    missing=1
  fi
done <"$paths"
if [ "$missing" != 0 ]; then
  exit 1
fi
exec restic backup --files-from-verbatim "$paths" "$@"`,
} as const;

const sh = (script: string, name: string, ...args: string[]) => escapeExec(['/bin/sh', '-c', script, name, ...args]);

// ---------------------------------------------------------------------------
// Units.

function resticEnvironment(host: HostModel): Directive[] {
  return [
    ['Environment', escapeEnvironment('RESTIC_REPOSITORY_FILE', host.backup.repositoryFile)],
    ['Environment', escapeEnvironment('RESTIC_PASSWORD_FILE', host.backup.passwordFile)],
    ['Environment', escapeEnvironment('RESTIC_CACHE_DIR', `/var/cache/${CACHE}`)],
    ...(host.backup.environmentFile ? [['EnvironmentFile', escapeText(host.backup.environmentFile)] as Directive] : []),
    ['CacheDirectory', CACHE],
  ];
}

/** Sandboxing shared by backup and prune: the whole system read-only, no devices, no kernel knobs. */
function sandbox(writable: readonly string[], home: 'read-only' | 'yes'): Directive[] {
  return [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    [COMMENT, `A local repository must be under ${LOCAL_REPOSITORY_ROOT}; elsewhere, add ReadWritePaths= in a drop-in.`],
    ['ReadWritePaths', [LOCAL_REPOSITORY_ROOT, ...writable].map((p) => escapeWord(`-${p}`)).join(' ')],
    ['ProtectHome', home],
    ...ISOLATION,
    ...RESTRICTIONS,
    ['PrivateIPC', 'yes'],
    ['PrivateMounts', 'yes'],
    ['ProcSubset', 'pid'],
    ['MemoryDenyWriteExecute', 'yes'],
    ['KeyringMode', 'private'],
    ['UMask', '0077'],
    // Remote repositories: sftp/rest/s3 need IP; AF_UNIX for systemctl and PostgreSQL's socket.
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ['SystemCallArchitectures', 'native'],
    ['SystemCallErrorNumber', 'EPERM'],
  ];
}

/**
 * Yields to the services, but never starves: "idle" I/O could wait forever on
 * a busy disk, and with stopForBackup the service is down during the copy.
 */
function lowPriority(): Directive[] {
  return [
    ['Nice', '10'],
    ['IOSchedulingClass', 'best-effort'],
    ['IOSchedulingPriority', '7'],
  ];
}

/** What this job's root may do beyond an unprivileged user: read everything, and become the data's owner. */
function jobCapabilities(job: BackupJob): string[] {
  const caps = ['CAP_DAC_READ_SEARCH'];
  if (job.hooks.some((h) => h.kind === 'sqlite')) caps.push('CAP_CHOWN');
  if (job.hooks.length > 0) caps.push('CAP_SETUID', 'CAP_SETGID');
  return caps;
}

/**
 * @resources is denied (Go's start-up setrlimit then fails harmlessly);
 * @privileged only where no step changes identity or ownership.
 */
function systemCalls(changesIdentity: boolean): Directive[] {
  return [
    ['SystemCallFilter', '@system-service'],
    ['SystemCallFilter', changesIdentity ? '~@resources' : '~@privileged @resources'],
  ];
}

function jobFiles(host: HostModel, s: ServiceModel, job: BackupJob): EmittedFile[] {
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

function timer(sources: readonly string[], description: string, calendar: string, delay: string): string {
  return renderUnit(hashCommentHeader(sources), [
    { name: 'Unit', directives: [['Description', escapeText(description)]] },
    {
      name: 'Timer',
      directives: [
        ['OnCalendar', escapeText(calendar)],
        ['RandomizedDelaySec', escapeText(delay)],
        // A run missed while the host was off happens at the next boot.
        ['Persistent', 'true'],
      ],
    },
    { name: 'Install', directives: [['WantedBy', 'timers.target']] },
  ]);
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

function pruneService(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  const forget = [
    'restic', 'forget', '--prune', '--group-by', 'host,tags',
    '--keep-last', String(prune.keepLast), '--keep-daily', String(prune.keepDaily),
    '--keep-weekly', String(prune.keepWeekly), '--keep-monthly', String(prune.keepMonthly),
  ];
  const content = renderUnit(hashCommentHeader(model.sources), [
    {
      name: 'Unit',
      directives: [
        ['Description', 'restic forget and prune of the whole atelier repository'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
      ],
    },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(model.host),
        // `restic unlock` removes only stale locks (of dead processes); a running backup keeps its lock.
        ['ExecStartPre', escapeExec(['restic', 'unlock'])],
        // One repack a week for the whole repository; each service keeps its own retention (groups are host + tags).
        ['ExecStart', escapeExec(forget)],
        ['TimeoutStartSec', '4h'],
        ...lowPriority(),
        ...sandbox([], 'yes'),
        // It reads and writes only the repository and the cache, which root owns: no capability at all.
        ['CapabilityBoundingSet', ''],
        ...systemCalls(false),
      ],
    },
  ]);
  return { path: 'systemd/system/atelier-prune.service', mode: 0o644, content };
}

function pruneTimer(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  return { path: 'systemd/system/atelier-prune.timer', mode: 0o644, content: timer(model.sources, 'Weekly prune of the atelier restic repository', prune.schedule, prune.randomizedDelay) };
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
    prune: { unit: 'atelier-prune.service', timer: 'atelier-prune.timer', calendar: backup.prune.schedule, randomizedDelay: backup.prune.randomizedDelay, groupBy: 'host,tags', keepLast: backup.prune.keepLast, keepDaily: backup.prune.keepDaily, keepWeekly: backup.prune.keepWeekly, keepMonthly: backup.prune.keepMonthly },
    jobs: jobs.map((j) => ({
      service: j.service,
      unit: j.unit,
      timer: j.timer,
      tags: j.tags,
      // `restic restore latest --host <host> --tag <tag>`: the newest snapshot of this service.
      snapshotFilter: { host: SNAPSHOT_HOST, tags: [`service:${j.service}`] },
      filesList: j.filesList,
      excludeList: j.excludeList,
      paths: j.paths,
      exclude: j.exclude,
      stopsService: j.stopsService,
      hooks: j.hooks,
    })),
  };
  return { path: BACKUP_MANIFEST_PATH, mode: 0o644, content: `${JSON.stringify(data, null, 2)}\n` };
}
