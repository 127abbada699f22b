// Where backups live: the names, folders and paths that the job, the prune,
// the manifest and doctor all have to agree on.
import type { ServiceModel } from '../../model.js';

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
 * The one place outside its own folders where a job may write: a local
 * repository must live under it (Debian's folder for local backups).
 * Anywhere else needs a drop-in with ReadWritePaths= (see the README).
 */
export const LOCAL_REPOSITORY_ROOT = '/var/backups';
/** restic's cache, under /var/cache (systemd's CacheDirectory=). */
export const RESTIC_CACHE = 'atelier-restic';

export const backupUnit = (name: string) => `atelier-backup-${name}`;
export const stagingDir = (name: string) => `/run/${backupUnit(name)}`;


export function hasData(s: ServiceModel): boolean {
  return s.data.sqlite !== null || s.data.postgres !== null || s.data.files.length > 0;
}
