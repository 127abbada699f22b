// readInputFile and decodeUtf8, at their edges: the byte bound exactly, each
// kind of file that is not one, a file that grows while it is read, and where
// the first byte that is not UTF-8 is (line and column in characters).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, type FsLike, InputFileError, readInputFile } from '../src/fs.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();

describe('readInputFile', () => {
  it('reads a file of exactly the bound, refuses one byte more', () => {
    const dir = temp('read');
    fs.writeFileSync(path.join(dir, 'ten'), '0123456789');
    expect(readInputFile(fs, path.join(dir, 'ten'), 10).toString()).toBe('0123456789');
    expect(() => readInputFile(fs, path.join(dir, 'ten'), 9)).toThrow(new InputFileError('is 10 bytes, more than the 9 accepted'));
    fs.writeFileSync(path.join(dir, 'empty'), '');
    expect(readInputFile(fs, path.join(dir, 'empty'), 10).length).toBe(0);
  });

  it('names a folder, and a symlink when told not to follow one', () => {
    const dir = temp('read');
    expect(() => readInputFile(fs, dir, 10)).toThrow('is not a regular file (a folder)');
    fs.writeFileSync(path.join(dir, 'target'), 'x');
    fs.symlinkSync(path.join(dir, 'target'), path.join(dir, 'link'));
    expect(readInputFile(fs, path.join(dir, 'link'), 10).toString()).toBe('x');
    expect(() => readInputFile(fs, path.join(dir, 'link'), 10, false)).toThrow(new InputFileError('is a symlink (atelier-emit never reads through one here)'));
    // A missing file is the caller's to word (ENOENT passes through).
    expect(() => readInputFile(fs, path.join(dir, 'missing'), 10, false)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('reads a file that grew since it was measured, but never past the bound, and closes it', () => {
    const dir = temp('read');
    const file = path.join(dir, 'growing');
    fs.writeFileSync(file, 'abc');
    const closed: number[] = [];
    // fstat sees the 3 bytes; by the time of the read the file holds more.
    const growing = (extra: string): FsLike => ({
      ...fs,
      fstatSync: ((fd: number) => {
        const st = fs.fstatSync(fd);
        fs.appendFileSync(file, extra);
        return st;
      }) as FsLike['fstatSync'],
      closeSync: (fd: number) => (closed.push(fd), fs.closeSync(fd)),
    }) as FsLike;
    expect(readInputFile(growing('def'), file, 8).toString()).toBe('abcdef');
    expect(() => readInputFile(growing('ghi'), file, 8)).toThrow(new InputFileError('is more than the 8 bytes accepted'));
    expect(closed.length).toBe(2);
  });
});

describe('decodeUtf8', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  it('decodes UTF-8, dropping a leading byte-order mark', () => {
    expect(decodeUtf8(bytes('a: é\n'))).toEqual({ text: 'a: é\n' });
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a'))).toEqual({ text: 'a' });
    expect(decodeUtf8(bytes(''))).toEqual({ text: '' });
  });

  it('gives the line and the column, in characters, of the first bad byte', () => {
    expect(decodeUtf8(bytes([0xff]))).toEqual({ line: 1, column: 1 });
    expect(decodeUtf8(bytes('ab', [0xe9], 'c'))).toEqual({ line: 1, column: 3 });
    expect(decodeUtf8(bytes('x\ny\nél', [0xc0, 0x80], 'z\n', [0xff]))).toEqual({ line: 3, column: 3 });
    // A character cut off at the end of the file is the bad one.
    expect(decodeUtf8(bytes('ok\n€€', [0xe2, 0x82]))).toEqual({ line: 2, column: 3 });
  });
});
