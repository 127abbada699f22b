// What a plan means for the running host: which units to start, restart, reload
// or stop, and which must be running afterwards whatever changed. Pure: the
// reports print it and `--apply` carries it out.
import { emptyPending, mergePending, type Pending } from './pending.js';
import { isChange, type Plan, type PlannedFile } from './plan.js';

export interface Activation {
  /** Every declared sysusers.d and tmpfiles.d file (relative to --out): users and folders are made to exist on every run. */
  sysusers: string[];
  tmpfiles: string[];
  daemonReload: boolean;
  /** New units to enable and start. */
  start: string[];
  /** Units whose definition changed (or whose restart an earlier run left undone). */
  restart: string[];
  /** Units that re-read their configuration without a restart. */
  reload: string[];
  /** Units whose files are deleted: stopped and disabled before the files go. */
  stop: string[];
  /**
   * Every declared long-running unit (and Caddy when sites are declared): after
   * `--apply` each is enabled and active. One stopped, disabled or failed is
   * started; one already running and unchanged is left alone.
   */
  ensure: string[];
  /** What the restart and reload lists owe to an earlier, unfinished run. */
  fromPending: Pending;
}

const UNIT_DIR = 'systemd/system/';
const CADDY_DROP_IN = `${UNIT_DIR}caddy.service.d/`;
export const CADDY_UNIT = 'caddy.service';

export function activationOf(plan: Plan): Activation {
  const changed = plan.files.filter((f) => isChange(f.action));
  const declared = plan.files.filter((f) => f.action !== 'delete' && f.action !== 'conflict');
  const sysusers = declared.filter((f) => f.path.startsWith('sysusers.d/')).map((f) => f.path);
  const tmpfiles = declared.filter((f) => f.path.startsWith('tmpfiles.d/')).map((f) => f.path);
  const pending = plan.pending ?? emptyPending();
  const daemonReload = changed.some((f) => f.path.startsWith(UNIT_DIR)) || pending.daemonReload;
  const start: string[] = [];
  const restart = new Set<string>();
  const stop: string[] = [];
  for (const file of changed) {
    const unit = unitName(file);
    if (!unit || !isLongRunning(unit)) continue;
    if (file.action === 'create') start.push(unit);
    else if (file.action === 'update') restart.add(unit);
    else stop.push(unit);
  }
  const ensure = declared.map(unitName).filter((u): u is string => u !== null && isLongRunning(u));
  const sites = declared.some((f) => f.path.startsWith('caddy/'));
  if (sites) ensure.push(CADDY_UNIT);
  // Caddy reads its token's environment only at start; its sites on reload.
  if (changed.some((f) => f.path.startsWith(CADDY_DROP_IN))) restart.add(CADDY_UNIT);
  const gone = new Set([...stop, ...start]);
  for (const unit of pending.restart) if (!gone.has(unit) && (ensure.includes(unit) || unit === CADDY_UNIT)) restart.add(unit);
  const reloadWanted = changed.some((f) => f.path.startsWith('caddy/')) || pending.reload.includes(CADDY_UNIT);
  const reload = !restart.has(CADDY_UNIT) && reloadWanted && sites ? [CADDY_UNIT] : [];
  const fromPending = mergePending(emptyPending(), {
    daemonReload: pending.daemonReload,
    restart: pending.restart.filter((u) => restart.has(u)),
    reload: pending.reload.filter((u) => reload.includes(u)),
  });
  return { sysusers, tmpfiles, daemonReload, start, restart: [...restart].sort(), reload, stop, ensure: ensure.sort(), fromPending };
}

/** What to record before acting, so that a run cut short is finished by the next one. */
export function pendingOf(activation: Activation): Pending {
  return { daemonReload: activation.daemonReload, restart: [...activation.restart], reload: [...activation.reload] };
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
export function isLongRunning(unit: string): boolean {
  if (unit.endsWith('.timer')) return true;
  return unit.endsWith('.service') && !unit.startsWith('atelier-');
}

/** Host actions in the order `--apply` takes them, as short sentences (the plans print these first). */
export function describeActivation(a: Activation, maxNames = Infinity): string[] {
  const lines: string[] = [];
  const list = (units: string[]) => (units.length <= maxNames ? units.join(' ') : `${units.slice(0, maxNames).join(' ')} … and ${units.length - maxNames} more (${units.length} units)`);
  if (a.stop.length > 0) lines.push(`stop and disable: ${list(a.stop)}`);
  if (a.daemonReload) lines.push('systemctl daemon-reload');
  if (a.start.length > 0) lines.push(`enable and start: ${list(a.start)}`);
  if (a.restart.length > 0) lines.push(`restart: ${list(a.restart)}${a.fromPending.restart.length > 0 ? `  (${list(a.fromPending.restart)} left by an unfinished run)` : ''}`);
  if (a.reload.length > 0) lines.push(`reload: ${list(a.reload)}`);
  return lines;
}
