// After `--apply` starts or restarts services: are they up? A service with a
// healthUrl must answer 2xx within the timeout; one without must stay active
// (same process, no restart) for a settle time. The clock, the sleep and the
// HTTP probe are injected, so the rule is testable without a host or a network.
import type { CommandRunner } from './apply.js';

export interface HealthOptions {
  /** The longest wait for a healthUrl to answer 2xx. */
  timeoutMs: number;
  /** How long a service without a healthUrl must stay active. */
  settleMs: number;
  /** The HTTP status of a GET (null: no answer). */
  probe?: (url: string) => Promise<number | null>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Lines of the journal shown for a service that did not come up. */
  journalLines?: number;
}

export interface Unhealthy {
  unit: string;
  why: string;
  journal: string;
}

const POLL_MS = 500;

export const fetchProbe = async (url: string): Promise<number | null> => {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null;
  }
};

interface Watch {
  unit: string;
  url: string | null;
  /** The process and restart count first seen: a change means it crashed in between. */
  first?: string;
  done: boolean;
  why?: string;
}

export async function waitHealthy(targets: readonly { unit: string; url: string | null }[], run: CommandRunner, options: HealthOptions): Promise<Unhealthy[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const probe = options.probe ?? fetchProbe;
  const start = now();
  const watches: Watch[] = targets.map((t) => ({ ...t, done: false }));
  for (;;) {
    const open = watches.filter((w) => !w.done);
    if (open.length === 0) break;
    const elapsed = now() - start;
    const states = await showStates(run, open.map((w) => w.unit));
    await Promise.all(
      open.map(async (w) => {
        const s = states.get(w.unit);
        const identity = s ? `${s.MainPID}/${s.NRestarts}/${s.ExecMainStartTimestampMonotonic}` : undefined;
        w.first ??= identity;
        if (!s || (s.ActiveState !== 'active' && s.ActiveState !== 'activating' && s.ActiveState !== 'reloading')) {
          return finish(w, `is ${s ? `${s.ActiveState} (${s.SubState})` : 'unknown to systemd'}`);
        }
        if (w.url === null) {
          if (s.ActiveState !== 'active' || identity !== w.first) return finish(w, `did not stay up: it ${s.SubState === 'auto-restart' ? 'crashed and is waiting to restart' : `is ${s.ActiveState} (${s.SubState}) after a restart`}`);
          if (elapsed >= Math.min(options.settleMs, options.timeoutMs)) w.done = true;
          return;
        }
        const status = await probe(w.url);
        if (status !== null && status >= 200 && status < 300) {
          w.done = true;
          return;
        }
        if (elapsed >= options.timeoutMs) finish(w, `its healthUrl ${w.url} ${status === null ? 'did not answer' : `answered ${status}`} within ${Math.round(options.timeoutMs / 1000)} s`);
      }),
    );
    if (watches.every((w) => w.done)) break;
    await sleep(POLL_MS);
  }
  const bad = watches.filter((w) => w.why !== undefined);
  const out: Unhealthy[] = [];
  for (const w of bad) {
    const journal = await run(['journalctl', '-u', w.unit, '-n', String(options.journalLines ?? 20), '--no-pager', '-o', 'short-iso']);
    out.push({ unit: w.unit, why: w.why!, journal: journal.output.trimEnd() });
  }
  return out;
}

function finish(w: Watch, why: string): void {
  w.done = true;
  w.why = why;
}

async function showStates(run: CommandRunner, units: string[]): Promise<Map<string, Record<string, string>>> {
  const result = await run(['systemctl', 'show', '--property=Id,ActiveState,SubState,MainPID,NRestarts,ExecMainStartTimestampMonotonic', '--', ...units]);
  const states = new Map<string, Record<string, string>>();
  if (result.code !== 0) return states;
  result.output
    .split(/\n\s*\n/)
    .filter((b) => b.trim() !== '')
    .forEach((block, i) => {
      const props = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      states.set(units.includes(props.Id) ? props.Id : units[i], props);
    });
  return states;
}
