// The job's steps. Each is a fixed script, emitted once per host as a file of
// its own under <sysconfdir>/atelier/scripts/backup/ (root's, 0755: readable
// diffs, shellcheck, one copy for every job). Declared values arrive only as
// positional parameters ("$1"), never inside the script text, so no value is
// ever parsed as shell (shellQuote is not needed: there is nothing to quote).
import * as path from 'node:path';
import type { HostModel } from '../../model.js';
import { escapeExec } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';

const SQLITE_BUSY_TIMEOUT_MS = 10_000;
/** What a failure report carries: the last lines of the log, at most healthchecks.io's body limit (100 kB) with room to spare. */
const PING_LOG_LINES = 100;
const PING_LOG_BYTES = 10_000;

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
  // The marker makes "started again" mean "restored to how it was": only units this job stopped are started.
  // Each is recorded before its stop, so a stop that fails half-way still gets its start.
  stopUnits: `set -u
systemctl=$1
shift
marker=$RUNTIME_DIRECTORY/stopped-units
failed=0
for unit in "$@"; do
  if "$systemctl" is-active --quiet "$unit"; then
    printf '%s\\n' "$unit" >>"$marker"
    "$systemctl" stop "$unit" || failed=1
  else
    echo "$unit is not active: copying without stopping it"
  fi
done
exit "$failed"`,
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
  // Every recorded unit is started, even after one fails; the marker stays until all are up,
  // so ExecStopPost= tries again.
  startUnits: `set -u
systemctl=$1
marker=$RUNTIME_DIRECTORY/stopped-units
if [ ! -e "$marker" ]; then
  exit 0
fi
failed=0
while IFS= read -r unit; do
  "$systemctl" start "$unit" </dev/null || failed=1
done <"$marker"
if [ "$failed" = 0 ]; then
  rm "$marker"
fi
exit "$failed"`,
  // data.preBackup / data.postBackup: the declared command line, run by bash as mkService's
  // hosts ran theirs, but as the service's user, in its app folder, with its declared environment
  // (NODE_ENV, PORT, environment; not secretsFile). Output goes to the job's journal; a failure fails the job.
  runHook: `set -eu
label=$1 user=$2 dir=$3 command=$4
shift 4
cd "$dir"
echo "$label as $user: $command"
exec setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- env "$@" /bin/bash -c "$command"`,
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
  // healthchecks.io's protocol: <url>/start, <url> (success), <url>/fail with
  // the log as the body. Run as ExecStartPre=/ExecStopPost=; systemd sets
  // SERVICE_RESULT and INVOCATION_ID, so the body is this run's journal only.
  // A ping that cannot be sent is said in the journal and never fails the job.
  ping: `set -u
url=$1 event=$2
case $event in
  start) url=$url/start body= ;;
  finish)
    if [ "\${SERVICE_RESULT:-}" = success ]; then
      body=
    else
      url=$url/fail
      body=$(journalctl _SYSTEMD_INVOCATION_ID="\${INVOCATION_ID:-}" --no-pager --output=cat --lines=${PING_LOG_LINES} 2>&1 | tail -c ${PING_LOG_BYTES})
    fi ;;
  *) echo "unknown ping event: $event" >&2; exit 0 ;;
esac
if ! printf '%s' "$body" | curl --silent --show-error --fail --output /dev/null --max-time 10 --retry 3 --retry-connrefused --data-binary @- "$url"; then
  echo "healthcheck ping to $url could not be sent (the job goes on)" >&2
fi
exit 0`,
  // host.backup.onFailure: run by the OnFailure= unit with the failed unit's
  // name and the last lines of its journal, as $1 and $2 (and in the environment).
  onFailure: `set -u
unit=$1 command=$2
log=$(journalctl --unit="$unit" --no-pager --output=short-iso --lines=${PING_LOG_LINES} 2>&1 | tail -c ${PING_LOG_BYTES})
export ATELIER_FAILED_UNIT="$unit" ATELIER_FAILED_LOG="$log"
echo "$unit failed: running host.backup.onFailure"
exec /bin/bash -c "$command" on-failure "$unit" "$log"`,
} as const;

/** Each step's file name: what `ps` and the journal show for the step. */
export const STEP_NAMES: Record<keyof typeof SCRIPTS, string> = {
  checkPaths: 'check-paths',
  openRepository: 'open-repository',
  stopUnits: 'stop-units',
  copySqlite: 'copy-sqlite',
  verifySqlite: 'verify-sqlite',
  dumpPostgres: 'dump-postgres',
  startUnits: 'start-units',
  runHook: 'run-hook',
  backup: 'backup',
  ping: 'ping',
  onFailure: 'on-failure',
};

/** Under --out; `backup` cannot be a service's name (reserved), so this folder never meets a service's own. */
export const SCRIPTS_DIR = 'atelier/scripts/backup';

/** A step's command line: its script file, values as positional parameters. */
export const step = (host: HostModel, script: keyof typeof SCRIPTS, ...args: string[]) =>
  escapeExec([path.posix.join(host.sysconfdir, SCRIPTS_DIR, STEP_NAMES[script]), ...args]);

/** The step scripts as files: read by root only, written by nobody else. */
export function scriptFiles(sources: readonly string[]): EmittedFile[] {
  return (Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]).map((key) => ({
    path: `${SCRIPTS_DIR}/${STEP_NAMES[key]}`,
    mode: 0o755,
    content: `#!/bin/sh\n${hashCommentHeader(sources)}${SCRIPTS[key]}\n`,
  }));
}
