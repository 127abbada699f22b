// `atelier-emit restore`: what a restore does, as a list of commands, computed
// from the same model and the same job plan (planJob) the backup units are
// emitted from, so the paths a restore reads are the paths a backup wrote.
// Pure: nothing here runs; src/restore/run.ts carries the steps out.
import * as path from 'node:path';
import type { Diagnostic, HostModel, Model, ServiceModel } from '../model.js';
import { hasData, PLAIN_DATABASE, planJob, RESTIC_CACHE, SNAPSHOT_HOST, type BackupJob } from '../emitters/backup/index.js';

export interface RestoreOptions {
  service: string;
  /** `latest` or a snapshot ID (restic's short or full form). */
  snapshot: string;
  /** Restore into this folder only; the service is not touched. */
  target: string | null;
  /** Restore the PostgreSQL dump into this new database; the service is not touched. */
  into: string | null;
  /** Names the restore folder and the moved-aside copies (`20261130T163000`). */
  stamp: string;
}

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  tags?: string[];
  paths: string[];
}

export interface RestoreStep {
  /** What an administrator reads: one line. */
  say: string;
  argv: string[];
  /** The step fails unless its output (trimmed) is exactly this. */
  expect?: string;
  /** Moves the live `from` to `aside`: after it ran, the previous data is there. */
  aside?: { from: string; to: string };
  /** Its output is worth a reader's time (a path that was not there). */
  tell?: boolean;
  /** Stops units: until the matching start ran, a failure starts them again. */
  stops?: string[];
  starts?: string[];
}

export interface RestorePlan {
  service: string;
  mode: 'in-place' | 'target' | 'into';
  /** Where restic writes the snapshot (the --target folder, or a private work folder). */
  workDir: string;
  systemctl: string;
  steps: RestoreStep[];
  /** Said at the end of a successful run. */
  afterwards: string[];
}

/** The restic command line as the backup units run it: same repository, password, cache and environment file. */
export function restic(host: HostModel, ...args: string[]): string[] {
  const env = ['env', `RESTIC_REPOSITORY_FILE=${host.backup.repositoryFile}`, `RESTIC_PASSWORD_FILE=${host.backup.passwordFile}`, `RESTIC_CACHE_DIR=/var/cache/${RESTIC_CACHE}`, 'restic', ...args];
  if (!host.backup.environmentFile) return env;
  // The environment file as systemd's EnvironmentFile= reads it (KEY=value lines), exported for restic.
  return ['sh', '-c', 'set -a; . "$1"; set +a; shift; exec "$@"', 'sh', host.backup.environmentFile, ...env];
}

/** restic's filter for one service's snapshots, as the job tags them (manifest: snapshotFilter). */
export function snapshotFilter(service: string): string[] {
  return ['--host', SNAPSHOT_HOST, '--tag', `service:${service}`];
}

/** The command that resolves `--snapshot` to one snapshot (restic prints a JSON list). */
export function findSnapshot(host: HostModel, service: string, snapshot: string): string[] {
  return snapshot === 'latest' ? restic(host, 'snapshots', '--json', '--latest', '1', ...snapshotFilter(service)) : restic(host, 'snapshots', '--json', snapshot);
}

/** Which declared service the restore is for, and whether it has anything to restore. */
export function checkRestore(model: Model, o: RestoreOptions): { service: ServiceModel; job: BackupJob } | Diagnostic[] {
  const at = { file: model.sources[0] ?? '<declarations>', line: 1, column: 1 };
  const fail = (message: string, hint?: string): Diagnostic[] => [{ ...at, message, ...(hint ? { hint } : {}) }];
  if (!model.host.backup.enable) return fail('host.backup.enable is false: there are no backups to restore from');
  const service = model.services.find((s) => s.name === o.service);
  if (!service) return fail(`no enabled service named "${o.service}" in the declarations`, `declared: ${model.services.map((s) => s.name).join(', ') || 'none'}`);
  if (!hasData(service)) return fail(`services.${service.name} declares no data (data.sqlite, data.postgres or data.files): nothing is backed up`);
  if (o.target !== null && o.into !== null) return fail('--target and --into exclude each other (--target restores files into a folder, --into a PostgreSQL database)');
  if (o.target !== null && !o.target.startsWith('/')) return fail('--target must be an absolute path');
  if (o.into !== null && !service.data.postgres) return fail(`--into restores a PostgreSQL database; services.${service.name} declares no data.postgres`);
  if (o.into !== null && (!PLAIN_DATABASE.test(o.into) || o.into === service.data.postgres)) return fail(`--into must name a new database (letters, digits, \`_\`, \`.\`, \`-\`), not the live one`);
  return { service, job: planJob(model.host, service) };
}

export function planRestore(model: Model, service: ServiceModel, job: BackupJob, o: RestoreOptions, snapshot: Snapshot): RestorePlan {
  const host = model.host;
  const mode = o.target !== null ? 'target' : o.into !== null ? 'into' : 'in-place';
  const workDir = o.target ?? `/var/tmp/atelier-restore-${service.name}-${o.stamp}`;
  const inWork = (p: string) => path.posix.join(workDir, p);
  const steps: RestoreStep[] = [];
  if (mode !== 'target') steps.push({ say: `create the private restore folder ${workDir}`, argv: ['mkdir', '-m', '0700', workDir] });
  steps.push({ say: `restore snapshot ${snapshot.short_id} (${snapshot.time}) into ${workDir}`, argv: restic(host, 'restore', snapshot.id, '--target', workDir) });
  const sqlite = job.hooks.find((h) => h.kind === 'sqlite');
  const postgres = job.hooks.find((h) => h.kind === 'postgres');
  const afterwards: string[] = [];

  if (mode === 'target') {
    if (sqlite) {
      steps.push({ say: `check the SQLite copy ${inWork(sqlite.staged)}`, argv: ['sqlite3', '-bail', inWork(sqlite.staged), 'PRAGMA integrity_check'], expect: 'ok' });
      steps.push({ say: `put the SQLite copy at ${inWork(sqlite.restoreTo)}`, argv: ['mv', '-T', '--', inWork(sqlite.staged), inWork(sqlite.restoreTo)] });
    }
    if (postgres) afterwards.push(`the PostgreSQL dump is ${inWork(postgres.staged)} (pg_restore --format=custom)`);
    afterwards.push(`the service was not touched; the files are under ${workDir}`);
    return { service: service.name, mode, workDir, systemctl: host.systemctl, steps, afterwards };
  }

  if (mode === 'into' && postgres) {
    steps.push(...restorePostgres(postgres.database, o.into!, inWork(postgres.staged), null));
    steps.push(removeWork(workDir));
    afterwards.push(`database ${o.into} holds the snapshot; ${postgres.database} and the service were not touched`);
    return { service: service.name, mode, workDir, systemctl: host.systemctl, steps, afterwards };
  }

  // In place: everything is checked before anything is stopped.
  if (sqlite) steps.push({ say: `check the SQLite copy in the snapshot`, argv: ['sqlite3', '-bail', inWork(sqlite.staged), 'PRAGMA integrity_check'], expect: 'ok' });
  if (postgres) steps.push({ say: `check the PostgreSQL dump in the snapshot`, argv: ['pg_restore', '--list', inWork(postgres.staged)] });
  const units = [`${service.name}.service`, ...service.data.stopUnits];
  steps.push({ say: `stop ${units.join(', ')}`, argv: [host.systemctl, 'stop', ...units], stops: units });

  const aside = (p: string) => `${p}.before-restore-${o.stamp}`;
  const tops = topPaths(job.paths.filter((p) => !job.hooks.some((h) => h.staged === p)));
  for (const p of tops) {
    steps.push({ say: `move ${p} aside to ${aside(p)}`, argv: ['sh', '-c', MOVE_ASIDE, 'sh', p, aside(p)], tell: true, aside: { from: p, to: aside(p) } });
    steps.push({ say: `put the snapshot's ${p} in its place`, argv: ['sh', '-c', PUT_BACK, 'sh', inWork(p), p], tell: true });
  }
  if (sqlite) {
    const top = tops.find((t) => sqlite.restoreTo === t || sqlite.restoreTo.startsWith(`${t}/`));
    // The previous database (moved aside with its folder) gives the owner and mode; without it, the service's own user.
    const previous = top ? aside(top) + sqlite.restoreTo.slice(top.length) : aside(sqlite.restoreTo);
    if (!top) steps.push({ say: `move ${sqlite.restoreTo} aside to ${previous}`, argv: ['sh', '-c', MOVE_ASIDE, 'sh', sqlite.restoreTo, previous], tell: true, aside: { from: sqlite.restoreTo, to: previous } });
    steps.push({ say: `put the consistent SQLite copy at ${sqlite.restoreTo} (owner and mode of the previous one), no -wal/-shm/-journal`, argv: ['sh', '-c', PLACE_SQLITE, 'sh', inWork(sqlite.staged), sqlite.restoreTo, previous, sqlite.owner] });
    steps.push({ say: `integrity check of ${sqlite.restoreTo} as ${sqlite.owner}`, argv: ['runuser', '-u', sqlite.owner, '--', 'sqlite3', '-bail', sqlite.restoreTo, 'PRAGMA integrity_check'], expect: 'ok' });
  }
  if (postgres) steps.push(...restorePostgres(postgres.database, postgres.database, inWork(postgres.staged), aside(postgres.database).replace('.before-restore-', '_before_restore_')));
  steps.push({ say: `start ${units.join(', ')}`, argv: [host.systemctl, 'start', ...units], starts: units });
  steps.push({ say: `check that ${service.name}.service is running`, argv: [host.systemctl, 'is-active', `${service.name}.service`], expect: 'active' });
  steps.push(removeWork(workDir));
  return { service: service.name, mode, workDir, systemctl: host.systemctl, steps, afterwards };
}

const removeWork = (workDir: string): RestoreStep => ({ say: `remove the restore folder ${workDir}`, argv: ['rm', '-rf', '--', workDir] });

/** A path that is missing is nothing to keep; one that is there is renamed, never deleted. */
const MOVE_ASIDE = 'if [ -e "$1" ] || [ -L "$1" ]; then mv -T -- "$1" "$2"; else echo "$1 was not there"; fi';
/** A declared path the snapshot does not hold (it did not exist at backup time) is said, not invented. */
const PUT_BACK = 'if [ -e "$1" ]; then mv -T -- "$1" "$2"; else echo "not in the snapshot: $2"; fi';
const PLACE_SQLITE = `set -e
cp -- "$1" "$2.restoring"
if [ -e "$3" ]; then
  chown --reference="$3" -- "$2.restoring"
  chmod --reference="$3" -- "$2.restoring"
else
  chown -- "$4:$4" "$2.restoring"
  chmod 0640 -- "$2.restoring"
fi
rm -f -- "$2-wal" "$2-shm" "$2-journal"
mv -T -- "$2.restoring" "$2"`;

/**
 * The live database is renamed aside (connections ended first: the service
 * is stopped, anything else connected is cut) and the dump recreates it with
 * its owner (pg_restore --create). Into a new database: created empty, owned
 * by postgres, objects keep their owners.
 */
function restorePostgres(live: string, into: string, dump: string, aside: string | null): RestoreStep[] {
  const psql = (sql: string) => ['runuser', '-u', 'postgres', '--', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', sql];
  // The dump is in root's private folder: it reaches pg_restore on its standard input.
  const pgRestore = (...args: string[]) => ['sh', '-c', 'dump=$1; shift; exec runuser -u postgres -- pg_restore --exit-on-error "$@" <"$dump"', 'sh', dump, ...args];
  if (aside === null) {
    return [
      { say: `create the new database ${into}`, argv: ['runuser', '-u', 'postgres', '--', 'createdb', '--template=template0', '--', into] },
      { say: `restore the dump of ${live} into ${into}`, argv: pgRestore(`--dbname=${into}`, '--no-owner', '--role=postgres') },
    ];
  }
  // Names are PLAIN_DATABASE (checked at the declaration): safe inside quotes.
  return [
    { say: `end the remaining connections to ${live}`, argv: psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${live}' AND pid <> pg_backend_pid()`) },
    { say: `rename database ${live} aside to ${aside}`, argv: psql(`ALTER DATABASE "${live}" RENAME TO "${aside}"`), aside: { from: `database ${live}`, to: `database ${aside}` } },
    { say: `recreate ${live} from the dump, with its owner`, argv: pgRestore('--create', '--dbname=postgres') },
  ];
}

/** The paths to replace: each declared one, unless a folder above it is replaced anyway. */
function topPaths(paths: string[]): string[] {
  return paths.filter((p) => !paths.some((q) => q !== p && p.startsWith(`${q}/`)));
}

export function describePlan(plan: RestorePlan): string {
  const lines = [`restore of ${plan.service} (${plan.mode === 'in-place' ? 'in place' : plan.mode === 'target' ? `into ${plan.workDir}, service untouched` : 'into a new database, service untouched'}):`];
  plan.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.say}`, `     $ ${s.argv.map(shellWord).join(' ')}`));
  return `${lines.join('\n')}\n`;
}

/** For display only: a command line as a shell would need it typed. */
export function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
