// atelier/.pending.json: the host actions an --apply left undone. A damaged
// record is replaced and said to be, never trusted in part.
import { describe, expect, it } from 'vitest';
import { emptyPending, isEmptyPending, mergePending, parsePending, PENDING_PATH, serializePending } from '../src/pending.js';

describe('the pending-actions record', () => {
  it('reads back what was written', () => {
    const p = { daemonReload: true, restart: ['a.service'], reload: ['caddy.service'] };
    expect(parsePending(serializePending(p))).toEqual({ pending: p });
    // What an administrator opening the file reads.
    expect(JSON.parse(serializePending(p))).toMatchObject({ generator: 'atelier-emit', note: 'Host actions of an --apply not yet completed: the next --apply carries them out.' });
  });

  it('replaces a malformed one and says so', () => {
    const malformed = { pending: emptyPending(), problem: `${PENDING_PATH} is malformed; it is replaced` };
    for (const data of [
      { daemonReload: true, restart: 'a.service', reload: [] },
      { daemonReload: true, restart: [], reload: [1] },
      { daemonReload: true, restart: [2], reload: [] },
      { daemonReload: true, restart: ['a.service', 2], reload: [] },
      { daemonReload: 'yes', restart: [], reload: [] },
      { restart: [], reload: [] },
      { daemonReload: false, reload: [] },
      null,
    ]) {
      expect(parsePending(JSON.stringify(data)), JSON.stringify(data)).toEqual(malformed);
    }
    expect(parsePending('{')).toEqual({ pending: emptyPending(), problem: `${PENDING_PATH} is not valid JSON; it is replaced` });
  });

  it('is empty only with nothing to do', () => {
    expect(isEmptyPending(emptyPending())).toBe(true);
    expect(isEmptyPending({ ...emptyPending(), daemonReload: true })).toBe(false);
    expect(isEmptyPending({ ...emptyPending(), restart: ['a.service'] })).toBe(false);
    expect(isEmptyPending({ ...emptyPending(), reload: ['caddy.service'] })).toBe(false);
  });

  it('merges two records: each unit once, sorted, a daemon-reload if either asks', () => {
    const a = { daemonReload: false, restart: ['b.service', 'a.service'], reload: [] };
    const b = { daemonReload: true, restart: ['a.service', 'c.service'], reload: ['caddy.service'] };
    expect(mergePending(a, b)).toEqual({ daemonReload: true, restart: ['a.service', 'b.service', 'c.service'], reload: ['caddy.service'] });
    expect(mergePending(b, a).daemonReload).toBe(true);
    expect(mergePending(a, a).daemonReload).toBe(false);
  });
});
