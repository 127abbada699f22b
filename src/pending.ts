// `atelier/.pending.json`: host actions an `--apply` decided on and has not yet
// seen through. Written before the tree changes, removed once the activation
// (and its health checks) succeeded: a run cut short (a crash, exit 3) leaves it,
// and the next `--apply` restarts and reloads what is listed even though the
// files are by then unchanged. Like `nixos-rebuild switch`, every run converges.

export const PENDING_PATH = 'atelier/.pending.json';

export interface Pending {
  daemonReload: boolean;
  /** Units to restart (their definition changed). */
  restart: string[];
  /** Units to reload (Caddy's sites changed). */
  reload: string[];
}

export function emptyPending(): Pending {
  return { daemonReload: false, restart: [], reload: [] };
}

export function isEmptyPending(p: Pending): boolean {
  return !p.daemonReload && p.restart.length === 0 && p.reload.length === 0;
}

/**
 * A damaged record cannot say what was left undone: the next run then restarts
 * nothing extra but says so (`problem`), rather than refusing to converge.
 */
export function parsePending(text: string): { pending: Pending; problem?: string } {
  try {
    const data = JSON.parse(text) as Partial<Pending>;
    const list = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);
    const restart = list(data?.restart);
    const reload = list(data?.reload);
    if (!restart || !reload || typeof data.daemonReload !== 'boolean') return { pending: emptyPending(), problem: `${PENDING_PATH} is malformed; it is replaced` };
    return { pending: { daemonReload: data.daemonReload, restart, reload } };
  } catch {
    return { pending: emptyPending(), problem: `${PENDING_PATH} is not valid JSON; it is replaced` };
  }
}

export function mergePending(a: Pending, b: Pending): Pending {
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  return { daemonReload: a.daemonReload || b.daemonReload, restart: union(a.restart, b.restart), reload: union(a.reload, b.reload) };
}

export function serializePending(p: Pending): string {
  return `${JSON.stringify({ generator: 'atelier-emit', note: 'Host actions of an --apply not yet completed: the next --apply carries them out.', ...p }, null, 2)}\n`;
}
