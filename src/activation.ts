// What a plan means for the running host: which units to start, restart, reload
// or stop. Pure: the JSON report prints it and `--apply` carries it out.
import { isChange, type Plan, type PlannedFile } from './plan.js';

export interface Activation {
  /** sysusers.d and tmpfiles.d files (relative to --out) that changed and must be applied. */
  sysusers: string[];
  tmpfiles: string[];
  daemonReload: boolean;
  /** New units to enable and start. */
  start: string[];
  /** Units whose definition changed. */
  restart: string[];
  /** Units that re-read their configuration without a restart. */
  reload: string[];
  /** Units whose files are deleted: stopped and disabled before the files go. */
  stop: string[];
}

const UNIT_DIR = 'systemd/system/';
const CADDY_DROP_IN = `${UNIT_DIR}caddy.service.d/`;

export function activationOf(plan: Plan): Activation {
  const changed = plan.files.filter((f) => isChange(f.action));
  const sysusers = changed.filter((f) => f.action !== 'delete' && f.path.startsWith('sysusers.d/')).map((f) => f.path);
  const tmpfiles = changed.filter((f) => f.action !== 'delete' && f.path.startsWith('tmpfiles.d/')).map((f) => f.path);
  const daemonReload = changed.some((f) => f.path.startsWith(UNIT_DIR));
  const start: string[] = [];
  const restart: string[] = [];
  const stop: string[] = [];
  for (const file of changed) {
    const unit = unitName(file);
    if (!unit || !isLongRunning(unit)) continue;
    if (file.action === 'create') start.push(unit);
    else if (file.action === 'update') restart.push(unit);
    else stop.push(unit);
  }
  // Caddy reads its token's environment only at start; its sites on reload.
  const caddyRestart = changed.some((f) => f.path.startsWith(CADDY_DROP_IN));
  if (caddyRestart) restart.push('caddy.service');
  const reload = !caddyRestart && changed.some((f) => f.path.startsWith('caddy/')) ? ['caddy.service'] : [];
  return { sysusers, tmpfiles, daemonReload, start, restart, reload, stop };
}

/** `systemd/system/x.service` → `x.service`; drop-ins and other files → null. */
function unitName(file: PlannedFile): string | null {
  if (!file.path.startsWith(UNIT_DIR)) return null;
  const name = file.path.slice(UNIT_DIR.length);
  return name.includes('/') ? null : name;
}

/**
 * Timers and app services run continuously; the backup and prune `.service`
 * units are one-shot jobs their timers start, so they are never started here.
 */
function isLongRunning(unit: string): boolean {
  if (unit.endsWith('.timer')) return true;
  return unit.endsWith('.service') && !unit.startsWith('atelier-');
}
