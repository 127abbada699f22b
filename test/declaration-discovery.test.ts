// Which declaration files a run reads (readDeclarations): the default file,
// --config files and folders, each read once, named as the user gave them,
// and every way of getting it wrong reported at once, as a diagnostic.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeclarations } from '../src/declarations/discover.js';
import type { Diagnostic } from '../src/model.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();

function tree(files: Record<string, string | Buffer>): string {
  const dir = temp('discover');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

async function read(cwd: string, configs: string[]) {
  const diagnostics: Diagnostic[] = [];
  const texts = await readDeclarations(fs, cwd, configs, diagnostics);
  return { texts, diagnostics };
}

describe('the default declaration file', () => {
  it('is read when exactly one of atelier.yaml, .toml, .json is here', async () => {
    for (const name of ['atelier.yaml', 'atelier.toml', 'atelier.json']) {
      const r = await read(tree({ [name]: 'x' }), []);
      expect(r).toEqual({ texts: [{ file: name, text: 'x' }], diagnostics: [] });
    }
  });

  it('missing: says which files were looked for and how to name one', async () => {
    expect(await read(tree({ 'other.yaml': 'x' }), [])).toEqual({
      texts: [],
      diagnostics: [{ file: 'atelier.yaml', line: 1, column: 1, message: 'no declarations: none of atelier.yaml, atelier.toml, atelier.json exists here', hint: 'pass --config FILE or FOLDER' }],
    });
  });

  it('two of them: refused, naming both', async () => {
    expect(await read(tree({ 'atelier.yaml': 'x', 'atelier.json': '{}' }), [])).toEqual({
      texts: [],
      diagnostics: [{ file: 'atelier.json', line: 1, column: 1, message: 'both atelier.yaml and atelier.json exist; which one is meant is unclear', hint: 'pass --config to choose, or remove one' }],
    });
  });
});

describe('--config', () => {
  it('a folder means its declaration files in name order, other files left alone', async () => {
    const dir = tree({ 'conf/b.toml': 'b', 'conf/a.yaml': 'a', 'conf/C.YML': 'c', 'conf/README.md': 'no', 'conf/notes.txt': 'no' });
    const r = await read(dir, ['conf']);
    expect(r.diagnostics).toEqual([]);
    expect(r.texts).toEqual([{ file: 'conf/C.YML', text: 'c' }, { file: 'conf/a.yaml', text: 'a' }, { file: 'conf/b.toml', text: 'b' }]);
  });

  it('a file or folder given twice, or a folder and a file in it, is read once', async () => {
    const dir = tree({ 'conf/a.yaml': 'a', 'conf/b.yaml': 'b' });
    const r = await read(dir, ['conf', 'conf/a.yaml', path.join(dir, 'conf/b.yaml')]);
    expect(r.texts.map((t) => t.text)).toEqual(['a', 'b']);
  });

  it('reports every problem at once, each under the name the user gave', async () => {
    const dir = tree({ 'empty/README.md': 'no', 'service.conf': 'x', 'latin1.yaml': Buffer.from('a: caf\xe9\n', 'latin1'), 'good.yaml': 'g' });
    const outside = tree({ 'x.yaml': 'x' });
    const r = await read(dir, ['empty', 'service.conf', 'missing.yaml', 'latin1.yaml', 'good.yaml', path.join(outside, 'nope.yaml')]);
    expect(r.texts).toEqual([{ file: 'good.yaml', text: 'g' }]);
    expect(r.diagnostics).toEqual([
      { file: 'empty', line: 1, column: 1, message: 'this folder holds no .yaml, .yml, .toml or .json file' },
      { file: 'service.conf', line: 1, column: 1, message: 'a declaration file must end in .yaml, .yml, .toml or .json' },
      { file: 'missing.yaml', line: 1, column: 1, message: 'cannot read: no such file or folder' },
      // Outside the working folder, a path is shown whole.
      { file: path.join(outside, 'nope.yaml'), line: 1, column: 1, message: 'cannot read: no such file or folder' },
      { file: 'latin1.yaml', line: 1, column: 7, message: 'this byte is not UTF-8', hint: 'declarations are UTF-8 text; convert the file, e.g. iconv -f latin1 -t utf-8' },
    ]);
  });

  it('a declaration that is not a regular file is named for what it is', async () => {
    const dir = tree({});
    fs.mkdirSync(path.join(dir, 'folder.yaml'));
    fs.mkdirSync(path.join(dir, 'conf'));
    fs.symlinkSync('/dev/null', path.join(dir, 'conf/null.yaml'));
    const r = await read(dir, ['conf']);
    expect(r.diagnostics).toEqual([{ file: 'conf/null.yaml', line: 1, column: 1, message: 'cannot read: this is not a regular file (a device)', hint: 'a declaration is a regular UTF-8 text file' }]);
  });

  it('drops a byte-order mark', async () => {
    expect((await read(tree({ 'a.yaml': '\uFEFFkey: 1' }), ['a.yaml'])).texts).toEqual([{ file: 'a.yaml', text: 'key: 1' }]);
  });
});
