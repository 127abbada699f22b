// The job's steps. Each is a fixed script: declared values arrive only as
// positional parameters ("$1"), never inside the script text, so no value is
// ever parsed as shell (shellQuote is not needed: there is nothing to quote).

import { escapeExec } from '../../formats/unit-file.js';

const SQLITE_BUSY_TIMEOUT_MS = 10_000;

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

/** A step's command line: a fixed script, the step's name as $0, values as positional parameters. */
export const sh = (script: string, name: string, ...args: string[]) => escapeExec(['/bin/sh', '-c', script, name, ...args]);
