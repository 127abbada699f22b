// `atelier/.state.json`: what atelier-emit wrote, by path, with a content hash.
// It is how a hand edit or a foreign file is told apart from our own output.
import { createHash } from 'node:crypto';
import type { EmitterName } from './emitters/types.js';

export const STATE_PATH = 'atelier/.state.json';

export interface StateEntry {
  sha256: string;
  mode: number;
  emitter: EmitterName;
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

/** Parses the state file; a damaged one is reported, never silently replaced. */
export function parseState(text: string): State | { error: string } {
  try {
    const data = JSON.parse(text) as { files?: Record<string, StateEntry> };
    if (!data || typeof data !== 'object' || typeof data.files !== 'object' || data.files === null) return { error: 'it has no `files` table' };
    for (const [path, entry] of Object.entries(data.files)) {
      if (typeof entry?.sha256 !== 'string' || typeof entry.mode !== 'number' || typeof entry.emitter !== 'string' || !['undefined', 'string'].includes(typeof entry.previous)) {
        return { error: `its entry for ${path} is malformed` };
      }
    }
    return { files: data.files };
  } catch (err) {
    return { error: `it is not valid JSON (${(err as Error).message})` };
  }
}

export function serializeState(state: State): string {
  const files = Object.fromEntries(
    Object.keys(state.files)
      .sort()
      .map((p) => [p, state.files[p]]),
  );
  return `${JSON.stringify({ generator: 'atelier-emit', note: 'Ownership record of atelier-emit: do not edit.', version: 1, files }, null, 2)}\n`;
}
