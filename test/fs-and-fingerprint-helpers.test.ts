// The small file-system helpers under the planner and the writer: how an input
// that is not a regular file is named, where the first non-UTF-8 byte is, what
// counts as "missing", and when a fingerprint may be noted (the fence).
import * as nodeFs from 'node:fs';
import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, errorCode, InputFileError, isMissing, readInputFile, type FsLike } from '../src/fs.js';
import { canNote, fenceAfter, lstatOrNull } from '../src/fingerprint.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('readInputFile names what is there instead of a regular file', () => {
  /** An fs whose one descriptor is something of the given kind. */
  const fsOf = (kind: 'socket' | 'char' | 'block'): FsLike =>
    ({
      openSync: () => 42,
      closeSync: () => undefined,
      fstatSync: () => ({
        isFile: () => false,
        isDirectory: () => false,
        isFIFO: () => false,
        isCharacterDevice: () => kind === 'char',
        isBlockDevice: () => kind === 'block',
        isSocket: () => kind === 'socket',
        size: 0,
      }),
    }) as unknown as FsLike;

  it('a socket is "a special file"', () => {
    expect(() => readInputFile(fsOf('socket'), '/run/x.sock', 100)).toThrow(new InputFileError('is not a regular file (a special file)'));
  });

  it('a character or block device is "a device" (/dev/null for real)', () => {
    expect(() => readInputFile(fsOf('block'), '/dev/sda', 100)).toThrow(new InputFileError('is not a regular file (a device)'));
    expect(() => readInputFile(nodeFs, '/dev/null', 100)).toThrow(new InputFileError('is not a regular file (a device)'));
  });
});

describe('decodeUtf8', () => {
  it('finds the first bad byte after multi-byte characters (line 2, column 6)', () => {
    const bytes = Buffer.concat([Buffer.from('a\néééééx', 'utf8').subarray(0, -1), Buffer.from([0xff])]);
    expect(decodeUtf8(bytes)).toEqual({ line: 2, column: 6 });
  });

  it('counts characters, not bytes, before the bad byte (three-byte €)', () => {
    const bytes = Buffer.concat([Buffer.from('ab€cd', 'utf8'), Buffer.from([0xff])]);
    expect(decodeUtf8(bytes)).toEqual({ line: 1, column: 6 });
  });
});

describe('isMissing and errorCode', () => {
  it('take anything thrown, even undefined or null', () => {
    expect(isMissing(undefined)).toBe(false);
    expect(isMissing(null)).toBe(false);
    expect(isMissing(errno('ENOENT'))).toBe(true);
    expect(isMissing(errno('ENOTDIR'))).toBe(false);
    expect(errorCode(undefined)).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode(errno('EACCES'))).toBe('EACCES');
  });
});

describe('the fence', () => {
  it('a fingerprint is noted only for a ctime strictly before the fence, on the same device', () => {
    const fence = { ctimeMs: 1000, dev: 7 };
    expect(canNote({ ctimeMs: 999, dev: 7 }, fence)).toBe(true);
    expect(canNote({ ctimeMs: 1000, dev: 7 }, fence)).toBe(false);
    expect(canNote({ ctimeMs: 1001, dev: 7 }, fence)).toBe(false);
    expect(canNote({ ctimeMs: 999, dev: 8 }, fence)).toBe(false);
    expect(canNote({ ctimeMs: 999, dev: 7 }, null)).toBe(false);
  });

  it('is null on a file system whose clock does not move (it gives up instead of spinning)', () => {
    const started = performance.now();
    let chmods = 0;
    const frozen = {
      lstatSync: () => {
        // A bound against the mutant that never gives up, far above the 50 ms the fence waits.
        if (performance.now() - started > 10_000) throw new Error('still spinning after 10 s');
        return { mode: 0o40755, ctimeMs: 5, dev: 1 };
      },
      chmodSync: () => void chmods++,
    } as unknown as FsLike;
    expect(fenceAfter(frozen, '/out/atelier')).toBeNull();
    expect(chmods).toBeGreaterThan(1);
  });
});

describe('lstatOrNull', () => {
  it('is null for a missing path, whether the fs returns undefined (memfs, node) or throws ENOENT', () => {
    const mem = createFsFromVolume(new Volume()) as unknown as FsLike;
    expect(lstatOrNull(mem, '/missing')).toBeNull();
    expect(lstatOrNull(nodeFs, '/nonexistent-atelier-path')).toBeNull();
    const throwing = {
      lstatSync: () => {
        throw errno('ENOENT');
      },
    } as unknown as FsLike;
    expect(lstatOrNull(throwing, '/missing')).toBeNull();
  });

  it('throws any other error (a path through a file, a folder it may not read)', () => {
    expect(() => lstatOrNull(nodeFs, '/etc/passwd/x')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    const denied = {
      lstatSync: () => {
        throw errno('EACCES');
      },
    } as unknown as FsLike;
    expect(() => lstatOrNull(denied, '/secret/x')).toThrow('EACCES');
  });
});
