// `atelier/.state.json`: what atelier-emit wrote, by path, with a content hash.
// It is how a hand edit or a foreign file is told apart from our own output.
import { createHash } from 'node:crypto';
import type { EmitterName } from './emitters/types.js';

export const STATE_PATH = 'atelier/.state.json';

export interface StateEntry {
  sha256: string;
  mode: number;
  emitter: EmitterName;
  /** The service the file belongs to (absent for host-wide files, and in records older than this field). */
  service?: string;
  /**
   * Only in the record written before a run's first rename: the hash of the
   * content being replaced, so that a run killed mid-rename leaves every file
   * recognisably ours, old or new.
   */
  previous?: string;
}

export interface State {
  files: Record<string, StateEntry>;
}

export function emptyState(): State {
  return { files: {} };
}

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The largest ownership record read (74,000 files make about 15 MB). */
export const MAX_STATE_BYTES = 128 * 1024 * 1024;

const EMITTERS: readonly string[] = ['systemd', 'caddy', 'backup', 'manifest'] satisfies readonly EmitterName[];
const HASH = /^[0-9a-f]{64}$/;
/** A recorded file's service: a valid user name (what the declarations accept). */
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/**
 * Why a path in the record cannot be one of ours: the record is input like any
 * other, and a path in it is later read, shown and deleted. Only a normalized
 * relative path inside --out qualifies (no `..`, no absolute path, no control
 * character), and never the record or the lock themselves.
 */
export function statePathProblem(p: string): string | null {
  if (p === '' || p.length > 4095) return 'is empty or longer than PATH_MAX';
  if (p.startsWith('/')) return 'is absolute';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(p)) return 'holds a control character or a backslash';
  if (p.split('/').some((part) => part === '' || part === '.' || part === '..' || Buffer.byteLength(part) > 255)) return 'is not a normalized relative path inside --out';
  if (p === STATE_PATH || p.startsWith('atelier/.lock')) return 'names the record or the lock itself';
  return null;
}

/** Parses the state file; a damaged one is reported, never silently replaced. */
export function parseState(text: string): State | { error: string } {
  let data: { files?: Record<string, StateEntry> };
  try {
    data = JSON.parse(text) as { files?: Record<string, StateEntry> };
  } catch (err) {
    // Not the parser's message: it quotes the text, which need not be ours to show.
    return { error: `it is not valid JSON${/position (\d+)/.test((err as Error).message) ? ` (at character ${/position (\d+)/.exec((err as Error).message)![1]})` : ''}` };
  }
  if (!data || typeof data !== 'object' || typeof data.files !== 'object' || data.files === null || Array.isArray(data.files)) return { error: 'it has no `files` table' };
  // No prototype: a path named `__proto__` is a key like any other.
  const files: Record<string, StateEntry> = Object.create(null) as Record<string, StateEntry>;
  for (const [path, entry] of Object.entries(data.files)) {
    const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 77)}...` : path);
    const problem = statePathProblem(path);
    if (problem) return { error: `the path ${shown} ${problem}` };
    if (
      typeof entry?.sha256 !== 'string' || !HASH.test(entry.sha256) ||
      !Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777 ||
      !EMITTERS.includes(entry.emitter) ||
      !(entry.previous === undefined || (typeof entry.previous === 'string' && HASH.test(entry.previous))) ||
      !(entry.service === undefined || (typeof entry.service === 'string' && SERVICE_NAME.test(entry.service)))
    ) {
      return { error: `its entry for ${shown} is malformed` };
    }
    files[path] = {
      sha256: entry.sha256,
      mode: entry.mode,
      emitter: entry.emitter,
      ...(entry.service ? { service: entry.service } : {}),
      ...(entry.previous ? { previous: entry.previous } : {}),
    };
  }
  return { files };
}

export function serializeState(state: State): string {
  const files = Object.fromEntries(
    Object.keys(state.files)
      .sort()
      .map((p) => [p, state.files[p]]),
  );
  return `${JSON.stringify({ generator: 'atelier-emit', note: 'Ownership record of atelier-emit: do not edit.', version: 1, files }, null, 2)}\n`;
}
