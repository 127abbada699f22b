// The ownership record and the --out lock at their edges: exact refusals of a
// damaged record, the size bounds of a path and of a cached stat, the empty
// record's text, the hash on a Node without crypto.hash, whether a lock's file
// shows an unfinished run, and a holder record not to be believed.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LOCK_PATH } from '../src/lock.js';
import { parseState, serializeState, sha256, STATE_PATH } from '../src/state.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const HASH = 'a'.repeat(64);
const recordWith = (files: Record<string, object>) => JSON.stringify({ files });

describe('the ownership record: exact refusals and bounds', () => {
  it('a record that is not JSON is refused with the character where reading stopped', () => {
    expect(parseState('{"files": {"a": 1,}}')).toEqual({ error: 'it is not valid JSON (at character 18)' });
  });

  it('a path of plain names longer than PATH_MAX (4,095) is refused, shown cut at 80 characters', () => {
    const long = Array.from({ length: 21 }, () => 'a'.repeat(200)).join('/');
    expect(long.length).toBeGreaterThan(4095);
    expect(parseState(recordWith({ [long]: { sha256: HASH, mode: 0o644, emitter: 'systemd' } }))).toEqual({
      error: `the path ${JSON.stringify(`${long.slice(0, 77)}...`)} is empty or longer than PATH_MAX`,
    });
    const longest = `${'a/'.repeat(2047)}b`;
    expect(longest.length).toBe(4095);
    expect(parseState(recordWith({ [longest]: { sha256: HASH, mode: 0o644, emitter: 'systemd' } }))).not.toHaveProperty('error');
  });

  it.each([STATE_PATH, LOCK_PATH])('the record may not own %s', (p) => {
    expect(parseState(recordWith({ [p]: { sha256: HASH, mode: 0o644, emitter: 'systemd' } }))).toEqual({ error: `the path ${JSON.stringify(p)} names the record or the lock itself` });
  });

  it('a cached stat of up to 100 characters is kept; a longer one is dropped, not an error', () => {
    const stat = (s: string) => {
      const parsed = parseState(recordWith({ 'a.service': { sha256: HASH, mode: 0o644, emitter: 'systemd', stat: s } }));
      if ('error' in parsed) throw new Error(parsed.error);
      return parsed.files['a.service'].stat;
    };
    expect(stat('1'.repeat(100))).toBe('1'.repeat(100));
    expect(stat('1'.repeat(101))).toBeUndefined();
  });

  it('an empty record is written as an empty files table', () => {
    const text = serializeState({ files: {} });
    expect(text).toBe('{\n  "generator": "atelier-emit",\n  "note": "Ownership record of atelier-emit: do not edit.",\n  "version": 1,\n  "files": {}\n}\n');
    expect(parseState(text)).toEqual({ files: {} });
  });
});

describe('the hash on a Node without crypto.hash (before 20.12)', () => {
  it('falls back to a Hash object and gives the same SHA-256', () => {
    const saved = (crypto as { hash?: unknown }).hash;
    (crypto as { hash?: unknown }).hash = undefined;
    syncBuiltinESMExports();
    try {
      // sha256 looks for crypto.hash at each call (not once, when loaded): a test that loaded a second
      // instance of state.ts would run its module-level code inside the test, which StrykerJS then credits to it.
      expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    } finally {
      (crypto as { hash?: unknown }).hash = saved;
      syncBuiltinESMExports();
    }
  });
});

describe('the lock', () => {
  function outDir(): string {
    const out = temp('lock-edges');
    fs.mkdirSync(path.join(out, 'atelier'));
    return out;
  }

  it('a new or empty lock file is a finished run; one still holding a record is a run killed while writing', async () => {
    const out = outDir();
    const fresh = await acquireLock(fs, out, { waitMs: 0 });
    expect(fresh.unfinished).toBe(false);
    await fresh.release();
    fs.writeFileSync(path.join(out, LOCK_PATH), '');
    const empty = await acquireLock(fs, out, { waitMs: 0 });
    expect(empty.unfinished).toBe(false);
    // A holder killed while writing leaves its record behind (a finished run removes the file).
    const file = path.join(out, LOCK_PATH);
    const record = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(record).pid).toBe(process.pid);
    await empty.release();
    fs.writeFileSync(file, record);
    const after = await acquireLock(fs, out, { waitMs: 0 });
    expect(after.unfinished).toBe(true);
    await after.release();
  });

  it('a run whose wait has already run out is refused at once, as busy', async () => {
    const out = outDir();
    const held = await acquireLock(fs, out, { waitMs: 0 });
    try {
      await expect(acquireLock(fs, out, { waitMs: -1000 })).rejects.toThrow(`another atelier-emit is writing to ${out}`);
    } finally {
      await held.release();
    }
  });

  it('a holder record naming a process that is gone is not believed, whatever its start field says', async () => {
    const out = outDir();
    const held = await acquireLock(fs, out, { waitMs: 0 });
    try {
      const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
      const file = path.join(out, LOCK_PATH);
      fs.writeFileSync(file, JSON.stringify({ pid: Number(gone), start: null, command: 'atelier-emit --out x', since: 'then' }));
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(`it is held by a process that did not record itself (see: fuser -v ${file})`);
    } finally {
      await held.release();
    }
  });
});
