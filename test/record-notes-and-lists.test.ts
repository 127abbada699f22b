// The two records atelier-emit keeps in atelier/, as an administrator opening
// them meets them: the ownership record says whose it is and not to edit it;
// the pending-actions record reads back with a list left empty, and is refused
// whole when any entry of a list is not a unit name.
import { describe, expect, it } from 'vitest';
import { parsePending, PENDING_PATH, serializePending } from '../src/pending.js';
import { parseState, serializeState, stateEntry, type StateEntry } from '../src/state.js';

describe('the ownership record as written', () => {
  it('names its generator and says not to edit it, empty or not', () => {
    const tables: Record<string, StateEntry>[] = [{}, { 'systemd/system/web.service': stateEntry('a'.repeat(64), 0o644, 'systemd', 'web') }];
    for (const files of tables) {
      const text = serializeState({ files });
      expect(JSON.parse(text)).toMatchObject({ generator: 'atelier-emit', note: 'Ownership record of atelier-emit: do not edit.', version: 1 });
      expect(parseState(text)).toEqual({ files });
    }
  });
});

describe('the pending-actions record', () => {
  it('reads back with nothing to restart or reload, only a daemon-reload', () => {
    const p = { daemonReload: true, restart: [], reload: [] };
    expect(parsePending(serializePending(p))).toEqual({ pending: p });
  });

  it('is refused whole when one entry of a list is not a name, whatever the others', () => {
    const text = JSON.stringify({ daemonReload: false, restart: ['web.service', 7], reload: ['caddy.service'] });
    expect(parsePending(text)).toEqual({ pending: { daemonReload: false, restart: [], reload: [] }, problem: `${PENDING_PATH} is malformed; it is replaced` });
  });
});
