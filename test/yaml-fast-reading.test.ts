// The fast reading of YAML and JSON (src/declarations/yaml-events.ts) on its own:
// offsets turned into lines and columns, the exact tree of a document in the subset
// it reads (every value and every position), its duplicate-key diagnostics, what it
// hands over to `yaml` (undefined), and plain scalars resolved as YAML 1.2 core.
// test/yaml-events.test.ts holds it to `yaml`'s reading on many documents; these
// cases name the outcome itself.
import { describe, expect, it } from 'vitest';
import { lineLocator, resolvePlain, treeFromEvents } from '../src/declarations/yaml-events.js';
import type { Diagnostic } from '../src/model.js';
import { shape } from './support/tree-shape.js';

const FILE = 'x.yaml';


function fast(text: string, maxDepth = 64) {
  const diagnostics: Diagnostic[] = [];
  const tree = treeFromEvents(text, lineLocator(FILE, text), maxDepth, diagnostics);
  return { tree, shape: shape(tree), diagnostics };
}

/** The tree of a text the fast reading must read without a word. */
function read(text: string): unknown {
  const r = fast(text);
  expect(r.tree, JSON.stringify(text)).toBeDefined();
  expect(r.diagnostics).toEqual([]);
  return r.shape;
}

function handedOver(text: string, maxDepth?: number): void {
  const r = fast(text, maxDepth);
  expect(r.tree, JSON.stringify(text)).toBeUndefined();
  expect(r.diagnostics, JSON.stringify(text)).toEqual([]);
}

describe('lineLocator: offsets to 1-based lines and columns', () => {
  it('at the start, middle and end of each line, on blank lines and past the last newline', () => {
    const locate = lineLocator('f.yaml', 'ab\ncd\n\nef');
    const where = (offset: number) => { const o = locate(offset); return `${o.file}:${o.line}:${o.column}`; };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(where)).toEqual(['f.yaml:1:1', 'f.yaml:1:2', 'f.yaml:1:3', 'f.yaml:2:1', 'f.yaml:2:2', 'f.yaml:2:3', 'f.yaml:3:1', 'f.yaml:4:1', 'f.yaml:4:2', 'f.yaml:4:3']);
  });

  it('a text of one line', () => {
    const locate = lineLocator('f.yaml', 'abc');
    expect([0, 3].map((o) => locate(o))).toEqual([{ file: 'f.yaml', line: 1, column: 1 }, { file: 'f.yaml', line: 1, column: 4 }]);
  });

  it('every offset of a text of many lines of many lengths, as counting newlines gives it', () => {
    const text = Array.from({ length: 57 }, (_, i) => 'x'.repeat((i * 7) % 11)).join('\n');
    const locate = lineLocator('f.yaml', text);
    for (let offset = 0; offset <= text.length; offset++) {
      const before = text.slice(0, offset);
      expect(locate(offset), `offset ${offset}`).toEqual({ file: 'f.yaml', line: before.split('\n').length, column: offset - (before.lastIndexOf('\n') + 1) + 1 });
    }
  });
});

describe('a document in the subset: its exact tree', () => {
  it('tables, lists and plain values at their first character; numbers keep their text', () => {
    expect(read('name: app\nport: 8080\non: true\nnone: null\nratio: 1.10\nlist:\n  - a\n  - - 1\n    - b\n  - k: v\n    l: 2\n')).toEqual({
      at: '1:1',
      entries: {
        name: { key: '1:1', value: { at: '1:7', value: 'app' } },
        port: { key: '2:1', value: { at: '2:7', value: 8080, text: '8080' } },
        on: { key: '3:1', value: { at: '3:5', value: true } },
        none: { key: '4:1', value: { at: '4:7', value: null } },
        ratio: { key: '5:1', value: { at: '5:8', value: 1.1, text: '1.10' } },
        list: {
          key: '6:1',
          value: {
            at: '7:3',
            items: [
              { at: '7:5', value: 'a' },
              { at: '8:5', items: [{ at: '8:7', value: 1, text: '1' }, { at: '9:7', value: 'b' }] },
              { at: '10:5', entries: { k: { key: '10:5', value: { at: '10:8', value: 'v' } }, l: { key: '11:5', value: { at: '11:8', value: 2, text: '2' } } } },
            ],
          },
        },
      },
    });
  });

  it('quoted values and keys at their opening quote', () => {
    expect(read('"a b": \'x\'\nc: "y"\n\'d\': "1"\n')).toEqual({
      at: '1:1',
      entries: {
        'a b': { key: '1:1', value: { at: '1:8', value: 'x' } },
        c: { key: '2:1', value: { at: '2:4', value: 'y' } },
        d: { key: '3:1', value: { at: '3:6', value: '1' } },
      },
    });
  });

  it('flow tables and lists at their bracket', () => {
    expect(read('{a: [1, x], b: {c: d}}\n')).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:2', value: { at: '1:5', items: [{ at: '1:6', value: 1, text: '1' }, { at: '1:9', value: 'x' }] } },
        b: { key: '1:13', value: { at: '1:16', entries: { c: { key: '1:17', value: { at: '1:20', value: 'd' } } } } },
      },
    });
  });

  it('block scalars at their `|` or `>`, on the first line or later, with indicators or trailing spaces', () => {
    expect(read('a: |\n  one\nb: >-  \n  two\n  lines\nc: |2-\n   three\nd: >+\n  four\n')).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:1', value: { at: '1:4', value: 'one\n' } },
        b: { key: '3:1', value: { at: '3:4', value: 'two lines' } },
        c: { key: '6:1', value: { at: '6:4', value: ' three' } },
        d: { key: '8:1', value: { at: '8:4', value: 'four\n' } },
      },
    });
  });

  it('a block scalar on the line after one that ends in a quote, and as a list item', () => {
    expect(read('a: "q"\nb: >\n  x\nc:\n- |\n  y\n')).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:1', value: { at: '1:4', value: 'q' } },
        b: { key: '2:1', value: { at: '2:4', value: 'x\n' } },
        c: { key: '4:1', value: { at: '5:1', items: [{ at: '5:3', value: 'y\n' }] } },
      },
    });
  });

  it('a block scalar whose key holds `|` or `>`: at the header, not in the key', () => {
    expect(read('a>b: |\n  x\nc|d: >-\n  y\n')).toEqual({
      at: '1:1',
      entries: { 'a>b': { key: '1:1', value: { at: '1:6', value: 'x\n' } }, 'c|d': { key: '3:1', value: { at: '3:6', value: 'y' } } },
    });
  });

  it('a key is named as `yaml` names it: a number by its value, `~` as null', () => {
    expect(read('1.10: a\n~: b\n0x1F: c\n')).toEqual({
      at: '1:1',
      entries: { '1.1': { key: '1:1', value: { at: '1:7', value: 'a' } }, null: { key: '2:1', value: { at: '2:4', value: 'b' } }, '31': { key: '3:1', value: { at: '3:7', value: 'c' } } },
    });
  });

  it('a document of one scalar or one list; a `---` before the only document', () => {
    expect(read('hello\n')).toEqual({ at: '1:1', value: 'hello' });
    expect(read('- a\n')).toEqual({ at: '1:1', items: [{ at: '1:3', value: 'a' }] });
    expect(read('---\na: 1\n')).toEqual({ at: '2:1', entries: { a: { key: '2:1', value: { at: '2:4', value: 1, text: '1' } } } });
  });
});

describe('duplicate keys', () => {
  it('each repeat is reported at itself, naming the first; the document is then null', () => {
    const r = fast('a: 1\nb:\n  a: x\na: 2\nc: 3\na: [4]\n');
    expect(r.tree).toBeNull();
    const hint = 'merge the two entries, or split them across files';
    expect(r.diagnostics).toEqual([
      { file: FILE, line: 4, column: 1, message: 'the key `a` appears twice in one table (first at line 1)', hint },
      { file: FILE, line: 6, column: 1, message: 'the key `a` appears twice in one table (first at line 1)', hint },
    ]);
  });

  it('nothing is reported by a document handed over after a repeat was seen', () => {
    handedOver('a: 1\na: 2\nb: &x 1\n');
  });

  it('diagnostics given before stay, and a good document is still read', () => {
    const diagnostics: Diagnostic[] = [{ file: 'o.yaml', line: 1, column: 1, message: 'earlier' }];
    expect(shape(treeFromEvents('a: 1\n', lineLocator(FILE, 'a: 1\n'), 64, diagnostics))).toEqual({ at: '1:1', entries: { a: { key: '1:1', value: { at: '1:4', value: 1, text: '1' } } } });
    expect(diagnostics).toHaveLength(1);
  });
});

describe('what the fast reading hands over to `yaml`', () => {
  it('a text with a tab, a lone carriage return or a leading `...`', () => {
    for (const text of ['a: "x\ty"\n', 'a: 1\rb: 2\n', '...\na: 1\n']) handedOver(text);
  });

  it('a text js-yaml cannot read', () => {
    handedOver('a: [1, 2\n');
  });

  it('no document at all', () => {
    for (const text of ['', '# only a note\n']) handedOver(text);
  });

  it('a second document, or a directive', () => {
    handedOver('a: 1\n---\nb: 2\n');
    handedOver('%YAML 1.2\n---\na: 1\n');
  });

  it('an anchor or a tag on a table, a list or a scalar; an alias', () => {
    for (const text of ['a: &x [1]\n', 'a: &x {b: 1}\n', 'a: !!seq [1]\n', 'a: !!map {b: 1}\n', 'a: &x 1\n', 'a: !!str 1\n', 'a: 1\nb: *x\n']) handedOver(text);
  });

  it('an empty value', () => {
    handedOver('a:\nb: 1\n');
  });

  it('a table or a list as a key', () => {
    for (const text of ['? [a, b]\n: 1\n', '{[a]: 1, b: 2}\n', '? {a: 1}\n: x\n', 'top:\n  ? - a\n  : 1\n']) handedOver(text);
  });

  it('a block scalar whose header line holds a quote or a comment, or that ends the text', () => {
    for (const text of ['a: | # note\n  x\n', '"k": |\n  x\n', "'k': >\n  x\n", 'a: |-']) handedOver(text);
  });

  it('a block scalar whose header line ends in a carriage return (CRLF)', () => {
    handedOver('a: |\r\n  x\r\n');
  });

  it(`nesting beyond the depth it is given less two: js-yaml's own bound`, () => {
    const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(fast(block(2), 5).tree).toBeDefined();
    handedOver(block(3), 5);
  });
});

describe('resolvePlain: a plain scalar as YAML 1.2 core resolves it', () => {
  it('null', () => {
    for (const word of ['~', 'null', 'Null', 'NULL']) expect(resolvePlain(word), word).toBeNull();
  });

  it('booleans', () => {
    for (const word of ['true', 'True', 'TRUE']) expect(resolvePlain(word), word).toBe(true);
    for (const word of ['false', 'False', 'FALSE']) expect(resolvePlain(word), word).toBe(false);
  });

  it('integers, octal and hexadecimal', () => {
    expect(['0', '9', '-5', '+5', '007', '0o17', '0x1F', '0xff'].map(resolvePlain)).toEqual([0, 9, -5, 5, 7, 15, 31, 255]);
    expect(Object.is(resolvePlain('-0'), -0)).toBe(true);
  });

  it('floats, infinities and not-a-number', () => {
    expect(['.5', '1.', '1.5e3', '-2.5E-1', '+.inf', '.Inf', '-.INF'].map(resolvePlain)).toEqual([0.5, 1, 1500, -0.25, Infinity, Infinity, -Infinity]);
    for (const word of ['.nan', '.NaN', '.NAN']) expect(resolvePlain(word), word).toBeNaN();
  });

  it('strings: words, and words that only start like a number, a null or a boolean', () => {
    const words = ['app', 'x1', 'nope', 'n', 'nULL', 'tx', 't', 'f', 'Fa', 'T', 'N', '-', '+', '.', '~x', '0o8', '0x', '1x', '.nanx', '1.2.3', 'yes', 'on'];
    expect(words.map(resolvePlain)).toEqual(words);
  });
});
