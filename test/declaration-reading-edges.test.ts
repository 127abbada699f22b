// Reading declaration files (readDeclarations) at its edges: the working folder
// itself given as --config, errors other than a missing file, a file that goes
// away or cannot be opened between listing and reading, and U+FEFF.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeclarations } from '../src/declarations/discover.js';
import type { FsLike } from '../src/fs.js';
import type { Diagnostic } from '../src/model.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();

function tree(files: Record<string, string | Buffer>): string {
  const dir = temp('reading');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

async function read(cwd: string, configs: string[], via: FsLike = fs) {
  const diagnostics: Diagnostic[] = [];
  const texts = await readDeclarations(via, cwd, configs, diagnostics);
  return { texts, diagnostics };
}

/** The real file system, except that opening `file` fails with `code`. */
function failingOpen(file: string, code: string, text: string): FsLike {
  return {
    ...fs,
    openSync: ((p: fs.PathLike, ...rest: unknown[]) => {
      if (p === file) throw Object.assign(new Error(text), { code });
      return (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
    }) as FsLike['openSync'],
  };
}

describe('names in messages', () => {
  it('the working folder itself, given as --config, is named by its full path', async () => {
    const dir = tree({});
    expect(await read(dir, ['.'])).toEqual({ texts: [], diagnostics: [{ file: dir, line: 1, column: 1, message: 'this folder holds no .yaml, .yml, .toml or .json file' }] });
  });

  it('a folder given by a relative path names its files under that path', async () => {
    const dir = tree({ 'conf/a.yaml': 'a' });
    expect((await read(dir, ['./conf'])).texts).toEqual([{ file: 'conf/a.yaml', text: 'a' }]);
  });
});

describe('a folder', () => {
  it('is read in name order whatever order the system lists it in', async () => {
    const dir = tree({ 'conf/a.yaml': 'a', 'conf/b.yaml': 'b', 'conf/c.yaml': 'c' });
    const listing = ['b.yaml', 'c.yaml', 'a.yaml'];
    const unsorted: FsLike = { ...fs, readdirSync: (() => listing) as unknown as FsLike['readdirSync'] };
    expect((await read(dir, ['conf'], unsorted)).texts.map((t) => t.file)).toEqual(['conf/a.yaml', 'conf/b.yaml', 'conf/c.yaml']);
  });
});

describe('errors other than a missing file', () => {
  it('a path through a regular file: the system message as it is', async () => {
    const dir = tree({ 'good.yaml': 'g' });
    const r = await read(dir, ['good.yaml/inner.yaml']);
    expect(r.texts).toEqual([]);
    expect(r.diagnostics).toEqual([{ file: 'good.yaml/inner.yaml', line: 1, column: 1, message: `cannot read: ENOTDIR: not a directory, stat '${path.join(dir, 'good.yaml/inner.yaml')}'` }]);
  });

  it('a file gone between listing and reading: no such file, with what a declaration is', async () => {
    const dir = tree({ 'a.yaml': 'a', 'b.yaml': 'b' });
    const r = await read(dir, ['a.yaml', 'b.yaml'], failingOpen(path.join(dir, 'a.yaml'), 'ENOENT', 'ENOENT: gone'));
    expect(r).toEqual({
      texts: [{ file: 'b.yaml', text: 'b' }],
      diagnostics: [{ file: 'a.yaml', line: 1, column: 1, message: 'cannot read: no such file', hint: 'a declaration is a regular UTF-8 text file' }],
    });
  });

  it('a file that cannot be opened: the system message', async () => {
    const dir = tree({ 'a.yaml': 'a' });
    const r = await read(dir, ['a.yaml'], failingOpen(path.join(dir, 'a.yaml'), 'EACCES', 'EACCES: permission denied'));
    expect(r.diagnostics).toEqual([{ file: 'a.yaml', line: 1, column: 1, message: 'cannot read: EACCES: permission denied', hint: 'a declaration is a regular UTF-8 text file' }]);
  });
});

describe('U+FEFF', () => {
  it('a byte-order mark is dropped only at the start; one inside the text is kept', async () => {
    const r = await read(tree({ 'a.yaml': '\uFEFFkey: a\uFEFFb' }), ['a.yaml']);
    expect(r.texts).toEqual([{ file: 'a.yaml', text: 'key: a\uFEFFb' }]);
  });

  it('a doubled byte-order mark at the start is dropped whole', async () => {
    const r = await read(tree({ 'a.yaml': '\uFEFF\uFEFFkey: 1' }), ['a.yaml']);
    expect(r.texts).toEqual([{ file: 'a.yaml', text: 'key: 1' }]);
  });
});
