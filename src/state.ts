// `atelier/.state.json`: what atelier-emit wrote, by path, with a content hash.
// It is how a hand edit or a foreign file is told apart from our own output.
import * as crypto from 'node:crypto';
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
  /**
   * The file's inode, size, mtime and ctime (`ino:size:mtimeMs:ctimeMs`) when
   * its content was known to hash to `sha256`: while lstat still says exactly
   * this, the file is not read again (git's index does the same). Noted only
   * once the file system's clock has moved past the ctime, so an edit in the
   * same clock tick cannot go unseen (see docs/outputs.md, "Hand edits").
   */
  stat?: string;
}

export interface State {
  files: Record<string, StateEntry>;
}

export function emptyState(): State {
  return { files: {} };
}

export function sha256(content: string | Uint8Array): string {
  // Node ≥ 20.12's one-shot hash: three times faster than a Hash object per file (84,000 of them at 10,000 services).
  const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;
  return oneShot ? oneShot('sha256', content, 'hex') : crypto.createHash('sha256').update(content).digest('hex');
}

/** The largest ownership record read (74,000 files make about 15 MB). */
export const MAX_STATE_BYTES = 128 * 1024 * 1024;

const EMITTERS: readonly string[] = ['systemd', 'caddy', 'backup', 'manifest'] satisfies readonly EmitterName[];
const HASH = /^[0-9a-f]{64}$/;
/** A recorded file's service: a valid user name (what the declarations accept). */
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/**
 * The paths every emitter writes: plain names, no dot-names, nothing special.
 * One test of this takes the place of statePathProblem's several for almost every entry.
 */
const PLAIN_PATH = /^[A-Za-z0-9_@+-][A-Za-z0-9_@+.-]{0,254}(?:\/[A-Za-z0-9_@+-][A-Za-z0-9_@+.-]{0,254})*$/;

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
    const at = /position (\d+)/.exec((err as Error).message);
    return { error: `it is not valid JSON${at ? ` (at character ${at[1]})` : ''}` };
  }
  if (!data || typeof data !== 'object' || typeof data.files !== 'object' || data.files === null || Array.isArray(data.files)) return { error: 'it has no `files` table' };
  // No prototype: a path named `__proto__` is a key like any other.
  const files: Record<string, StateEntry> = Object.create(null) as Record<string, StateEntry>;
  const table = data.files as Record<string, StateEntry>;
  // Object.keys, not Object.entries: tens of thousands of entries, no array per entry.
  for (const path of Object.keys(table)) {
    const entry = table[path];
    // PLAIN_PATH has no dot-names, so neither the record nor the lock passes it.
    const problem = PLAIN_PATH.test(path) && path.length <= 4095 ? null : statePathProblem(path);
    const shown = () => JSON.stringify(path.length > 80 ? `${path.slice(0, 77)}...` : path);
    if (problem) return { error: `the path ${shown()} ${problem}` };
    if (
      typeof entry?.sha256 !== 'string' || !HASH.test(entry.sha256) ||
      !Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o7777 ||
      !EMITTERS.includes(entry.emitter) ||
      !(entry.previous === undefined || (typeof entry.previous === 'string' && HASH.test(entry.previous))) ||
      !(entry.service === undefined || (typeof entry.service === 'string' && SERVICE_NAME.test(entry.service)))
    ) {
      return { error: `its entry for ${shown()} is malformed` };
    }
    // A malformed `stat` is dropped, not an error: it only means the file is read and hashed again.
    const stat = typeof entry.stat === 'string' && entry.stat.length <= 100 ? entry.stat : undefined;
    files[path] = stateEntry(entry.sha256, entry.mode, entry.emitter, entry.service || undefined, entry.previous || undefined, stat);
  }
  return { files };
}

/** Every entry is built here, with one shape (one hidden class for tens of thousands of entries). */
export function stateEntry(sha256: string, mode: number, emitter: EmitterName, service?: string, previous?: string, stat?: string): StateEntry {
  const entry: StateEntry = { sha256, mode, emitter };
  if (service) entry.service = service;
  if (previous) entry.previous = previous;
  if (stat) entry.stat = stat;
  return entry;
}

/** One entry a line, sorted by path: short to write, read and diff (any JSON reader reads it). */
export function serializeState(state: State): string {
  const lines = Object.keys(state.files)
    .sort()
    .map((p) => {
      const e = state.files[p];
      // Fields in a fixed order, whatever order the entry's object has them in.
      const fields = [`"sha256":"${e.sha256}"`, `"mode":${e.mode}`, `"emitter":${JSON.stringify(e.emitter)}`];
      if (e.service !== undefined) fields.push(`"service":${JSON.stringify(e.service)}`);
      if (e.previous !== undefined) fields.push(`"previous":${JSON.stringify(e.previous)}`);
      if (e.stat !== undefined) fields.push(`"stat":${JSON.stringify(e.stat)}`);
      return `    ${JSON.stringify(p)}: {${fields.join(',')}}`;
    });
  const head = '{\n  "generator": "atelier-emit",\n  "note": "Ownership record of atelier-emit: do not edit.",\n  "version": 1,\n  "files": {';
  return lines.length === 0 ? `${head}}\n}\n` : `${head}\n${lines.join(',\n')}\n  }\n}\n`;
}
