// The ownership record (atelier/.state.json) is input: each rule of what a
// record may hold is checked at its edge, with the message the user reads.
import { describe, expect, it } from 'vitest';
import { parseState, serializeState, sha256, statePathProblem } from '../src/state.js';

const HASH = 'a'.repeat(64);
const entry = (extra: Record<string, unknown> = {}) => ({ sha256: HASH, mode: 0o644, emitter: 'systemd', ...extra });
const parse = (files: unknown) => parseState(JSON.stringify({ files }));

describe('a path in the record', () => {
  it('is accepted up to PATH_MAX and a name up to 255 bytes, refused one past', () => {
    const name = 'n'.repeat(255);
    const long = Array.from({ length: 16 }, () => name).join('/').slice(0, 4095);
    expect(statePathProblem(long)).toBeNull();
    expect(statePathProblem(`${long}x`)).toBe('is empty or longer than PATH_MAX');
    expect(statePathProblem(`dir/${name}`)).toBeNull();
    expect(statePathProblem(`dir/${name}n`)).toBe('is not a normalized relative path inside --out');
    // Bytes, not characters: 128 two-byte letters are 256 bytes.
    expect(statePathProblem(`dir/${'é'.repeat(128)}`)).toBe('is not a normalized relative path inside --out');
    expect(statePathProblem(`dir/${'é'.repeat(127)}`)).toBeNull();
  });

  it('names each refusal', () => {
    expect(statePathProblem('')).toBe('is empty or longer than PATH_MAX');
    expect(statePathProblem('/etc/passwd')).toBe('is absolute');
    expect(statePathProblem('a\u007fb')).toBe('holds a control character or a backslash');
    expect(statePathProblem('a\u001fb')).toBe('holds a control character or a backslash');
    expect(statePathProblem('a\\b')).toBe('holds a control character or a backslash');
    expect(statePathProblem('a/./b')).toBe('is not a normalized relative path inside --out');
    expect(statePathProblem('a/')).toBe('is not a normalized relative path inside --out');
    expect(statePathProblem('atelier/.state.json')).toBe('names the record or the lock itself');
    expect(statePathProblem('atelier/.lock')).toBe('names the record or the lock itself');
    expect(statePathProblem('atelier/.lock-old')).toBe('names the record or the lock itself');
    // Neighbours of the record and the lock are ordinary files.
    expect(statePathProblem('atelier/state.json')).toBeNull();
    expect(statePathProblem('systemd/system/web.service')).toBeNull();
  });

  it('is quoted in the error, cut at 80 characters', () => {
    expect(parse({ '/abs': entry() })).toEqual({ error: 'the path "/abs" is absolute' });
    const long = `/${'x'.repeat(100)}`;
    expect(parse({ [long]: entry() })).toEqual({ error: `the path ${JSON.stringify(`${long.slice(0, 77)}...`)} is absolute` });
    const eighty = `/${'x'.repeat(79)}`;
    expect(parse({ [eighty]: entry() })).toEqual({ error: `the path ${JSON.stringify(eighty)} is absolute` });
  });
});

describe('an entry of the record', () => {
  it('accepts modes 0 to 07777 and refuses others', () => {
    for (const mode of [0, 0o7777, 0o644]) expect(parse({ a: entry({ mode }) }), String(mode)).not.toHaveProperty('error');
    for (const mode of [-1, 0o10000, 1.5, '420']) expect(parse({ a: entry({ mode }) }), String(mode)).toEqual({ error: 'its entry for "a" is malformed' });
  });

  it('accepts every emitter and a hash of 64 lowercase hex digits only', () => {
    for (const emitter of ['systemd', 'caddy', 'backup', 'manifest']) expect(parse({ a: entry({ emitter }) })).not.toHaveProperty('error');
    for (const sha of [HASH.toUpperCase(), `${HASH}a`, HASH.slice(1), ` ${HASH.slice(1)}`, 42]) expect(parse({ a: entry({ sha256: sha }) })).toEqual({ error: 'its entry for "a" is malformed' });
  });

  it('keeps a valid previous hash and service, and refuses bad ones', () => {
    const ok = parse({ a: entry({ previous: 'b'.repeat(64), service: 'web-2' }) });
    expect(ok).toEqual({ files: { a: { sha256: HASH, mode: 0o644, emitter: 'systemd', previous: 'b'.repeat(64), service: 'web-2' } } });
    // A one-element list reads as its element in a regular expression: it must still be refused.
    for (const bad of [{ previous: 'nothex' }, { previous: 7 }, { previous: ['b'.repeat(64)] }, { service: 'Web' }, { service: '2web' }, { service: 'a'.repeat(32) }, { service: 3 }, { service: ['web'] }]) {
      expect(parse({ a: entry(bad) }), JSON.stringify(bad)).toEqual({ error: 'its entry for "a" is malformed' });
    }
    expect(parse({ a: entry({ service: 'a'.repeat(31) }) })).not.toHaveProperty('error');
  });

  it('carries only the fields it knows, without empty ones', () => {
    const parsed = parse({ a: entry({ extra: 'x' }) }) as { files: Record<string, object> };
    expect(Object.keys(parsed.files.a).sort()).toEqual(['emitter', 'mode', 'sha256']);
  });

  it('refuses an entry that is not an object', () => {
    expect(parse({ a: null })).toEqual({ error: 'its entry for "a" is malformed' });
    expect(parse({ a: 'x' })).toEqual({ error: 'its entry for "a" is malformed' });
  });
});

describe('the record as a whole', () => {
  it('says where it stops being JSON, without quoting it', () => {
    expect(parseState('{"files" {"SECRET": 1}}')).toEqual({ error: 'it is not valid JSON (at character 9)' });
    expect(parseState('{"files": {"a" 1}}')).toEqual({ error: 'it is not valid JSON (at character 15)' });
    // Where the parser gives no position, none is made up; the text is never quoted.
    expect(parseState('{"files": {"a": SECRET}}')).toEqual({ error: 'it is not valid JSON' });
  });

  it('needs a files table', () => {
    for (const text of ['null', '[]', '{}', '{"files": null}', '{"files": []}', '{"files": 3}']) expect(parseState(text), text).toEqual({ error: 'it has no `files` table' });
    expect(parseState('{"files": {}}')).toEqual({ files: {} });
  });

  it('is written sorted by path and reads back the same', () => {
    const state = { files: { 'b/x': { sha256: sha256('x'), mode: 0o600, emitter: 'caddy' as const, service: 'web' }, a: { sha256: sha256(''), mode: 0o644, emitter: 'systemd' as const } } };
    const text = serializeState(state);
    expect(Object.keys(JSON.parse(text).files)).toEqual(['a', 'b/x']);
    expect(JSON.parse(text)).toMatchObject({ generator: 'atelier-emit', version: 1 });
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseState(text)).toEqual(state);
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
