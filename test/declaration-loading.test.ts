// Reading one declaration file (src/declarations/load.ts): which reader a file name
// chooses, the tree each format gives with the line and column of every value, and
// the positioned refusals: syntax errors, nesting deeper than MAX_DEPTH, aliases that
// copy more than MAX_ALIAS_NODES values, duplicate keys, TOML integers beyond 2^53.
import { describe, expect, it } from 'vitest';
import { composeYaml, isDeclarationFile, MAX_ALIAS_NODES, MAX_DEPTH, parseDeclaration } from '../src/declarations/load.js';
import type { PNode } from '../src/declarations/tree.js';
import type { Diagnostic } from '../src/model.js';
import { shape } from './support/tree-shape.js';


/** Every file name in a tree's positions. */
function filesIn(node: PNode): string[] {
  if (node.kind === 'map') return [node.at.file, ...[...node.entries.values()].flatMap((e) => [e.key.file, ...filesIn(e.value)])];
  if (node.kind === 'list') return [node.at.file, ...node.items.flatMap(filesIn)];
  return [node.at.file];
}

function load(file: string, text: string) {
  const diagnostics: Diagnostic[] = [];
  const loaded = parseDeclaration(file, text, diagnostics);
  expect(loaded.file).toBe(file);
  return { root: loaded.root, diagnostics };
}

/** A text that must load without a word; its tree's shape. */
function loads(file: string, text: string): unknown {
  const { root, diagnostics } = load(file, text);
  expect(diagnostics).toEqual([]);
  expect(root).not.toBeNull();
  expect(new Set(filesIn(root!))).toEqual(new Set([file]));
  return shape(root);
}

/** A text that must be refused; its diagnostics. */
function refused(file: string, text: string): Diagnostic[] {
  const { root, diagnostics } = load(file, text);
  expect(root).toBeNull();
  expect(diagnostics.length).toBeGreaterThan(0);
  return diagnostics;
}

function composed(text: string, json = false) {
  const diagnostics: Diagnostic[] = [];
  const root = composeYaml('x.yaml', text, json, diagnostics);
  return { root, tree: shape(root), diagnostics };
}

const DEEP = `tables or lists are nested more than ${MAX_DEPTH} deep here`;
const DEEP_HINT = 'a declaration needs a few levels; this is not one';
const ALIASES = `aliases here expand to more than ${MAX_ALIAS_NODES} values`;
const ALIAS_HINT = 'write the value out, or split the file';

describe('which files are declarations', () => {
  it('.yaml, .yml, .toml and .json, in any case', () => {
    for (const name of ['a.yaml', 'a.yml', 'a.toml', 'a.json', 'dir/A.YAML', 'b.Toml', 'c.JSON']) expect(isDeclarationFile(name), name).toBe(true);
  });

  it('no other name, nor a name that only ends in those letters', () => {
    for (const name of ['a.txt', 'yaml', 'a.yaml.bak', 'a.yaml~', 'a-toml', 'README.md']) expect(isDeclarationFile(name), name).toBe(false);
  });
});

describe('the reader follows the file name’s extension, in any case', () => {
  it('a .TOML file is read as TOML', () => {
    expect(loads('X.TOML', 'a = 1\n')).toEqual({ at: '1:1', entries: { a: { key: '1:5', value: { at: '1:5', value: 1, text: null } } } });
  });

  it('a .JSON file is held to JSON (a trailing comma YAML would take is refused)', () => {
    expect(refused('X.JSON', '{"a": 1,}')).toEqual([{ file: 'X.JSON', line: 1, column: 9, message: 'JSON syntax error: Expected double-quoted property name' }]);
  });

  it('a .yaml file is not held to JSON (a comment is fine)', () => {
    expect(loads('x.yaml', '# note\n{"a": 1}\n')).toEqual({ at: '2:1', entries: { a: { key: '2:2', value: { at: '2:7', value: 1, text: '1' } } } });
  });
});

describe('JSON syntax errors are placed at the character JSON.parse names', () => {
  it('on a later line', () => {
    expect(refused('x.json', '{\n  "a": 1,\n}\n')).toEqual([{ file: 'x.json', line: 3, column: 1, message: 'JSON syntax error: Expected double-quoted property name' }]);
  });

  it('after the value', () => {
    expect(refused('x.json', '{"a": 1} x')).toEqual([{ file: 'x.json', line: 1, column: 10, message: 'JSON syntax error: Unexpected non-whitespace character after JSON' }]);
  });

  it('an unexpected token: at that token, named without the text JSON.parse quotes around it', () => {
    expect(refused('x.json', '{"a": x}')).toEqual([{ file: 'x.json', line: 1, column: 7, message: "JSON syntax error: Unexpected token 'x'" }]);
    expect(refused('x.json', '{\n  "a": 1,\n  "b": ]\n}\n')).toEqual([{ file: 'x.json', line: 3, column: 8, message: "JSON syntax error: Unexpected token ']'" }]);
    expect(refused('x.json', `{"a": 1, "b": "x", "c": 'y'}`)).toEqual([{ file: 'x.json', line: 1, column: 25, message: "JSON syntax error: Unexpected token '''" }]);
    expect(refused('x.json', '{"a": tru, "long enough to be quoted in part": 1}')).toEqual([{ file: 'x.json', line: 1, column: 10, message: "JSON syntax error: Unexpected token ','" }]);
    expect(refused('x.json', 'x')).toEqual([{ file: 'x.json', line: 1, column: 1, message: "JSON syntax error: Unexpected token 'x'" }]);
  });

  it('an unexpected end: at the end of the text', () => {
    expect(refused('x.json', '\n\n')).toEqual([{ file: 'x.json', line: 3, column: 1, message: 'JSON syntax error: Unexpected end of JSON input' }]);
  });
});

describe('YAML syntax errors are `yaml`’s, at its positions', () => {
  it('one error', () => {
    expect(refused('x.yaml', 'a: [1, 2\n')).toEqual([{ file: 'x.yaml', line: 2, column: 1, message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]' }]);
  });

  it('several errors, each at its place', () => {
    expect(refused('x.yaml', 'a: 1\n b: 2\nc')).toEqual([
      { file: 'x.yaml', line: 1, column: 4, message: 'YAML syntax error: Nested mappings are not allowed in compact mappings' },
      { file: 'x.yaml', line: 1, column: 4, message: 'YAML syntax error: Implicit keys need to be on a single line' },
      { file: 'x.yaml', line: 3, column: 1, message: 'YAML syntax error: Implicit map keys need to be followed by map values' },
    ]);
  });

  it('read as JSON, the same errors are called JSON syntax errors', () => {
    const r = composed('{"a": [1, 2}', true);
    expect(r.root).toBeNull();
    expect(r.diagnostics.map((d) => d.message)).toContain('JSON syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]');
    expect(r.diagnostics.every((d) => d.message.startsWith('JSON syntax error: '))).toBe(true);
  });
});

describe('TOML syntax errors', () => {
  it('are placed at the line and column @iarna/toml names, in its words without its own copy of the place', () => {
    expect(refused('x.toml', 'a = 1\nb = \n')).toEqual([{ file: 'x.toml', line: 2, column: 5, message: 'TOML syntax error: Unexpected character, expecting string, number, datetime, boolean, inline array or inline table' }]);
    expect(refused('x.toml', 'a = 1\na = 2\n')).toEqual([{ file: 'x.toml', line: 2, column: 6, message: "TOML syntax error: Can't redefine existing key" }]);
    const nine = Array.from({ length: 9 }, (_, i) => `k${i} = ${i}\n`).join('');
    expect(refused('x.toml', `${nine}abcdefghij = \n`)).toEqual([{ file: 'x.toml', line: 10, column: 14, message: 'TOML syntax error: Unexpected character, expecting string, number, datetime, boolean, inline array or inline table' }]);
  });
});

describe('a TOML file’s tree', () => {
  it('every value at its position; a value inside an inline table or array at its key’s value; the root at 1:1', () => {
    const text = [
      'title = "x"',
      'port = 8080',
      'on = true',
      'pi = 1.5',
      'when = 1979-05-27T07:32:00Z',
      'day = 1979-05-27',
      'list = [[1], ["two"], [[3]]]',
      'inline = { a = 1, b = { c = 2 } }',
      '',
      '[[srv]]',
      'name = "a"',
      '[[srv]]',
      '  name = "b"',
      '',
    ].join('\n');
    expect(loads('x.toml', text)).toEqual({
      at: '1:1',
      entries: {
        title: { key: '1:9', value: { at: '1:9', value: 'x' } },
        port: { key: '2:8', value: { at: '2:8', value: 8080, text: null } },
        on: { key: '3:6', value: { at: '3:6', value: true } },
        pi: { key: '4:6', value: { at: '4:6', value: 1.5, text: null } },
        when: { key: '5:8', value: { at: '5:8', value: '1979-05-27T07:32:00.000Z' } },
        day: { key: '6:7', value: { at: '6:7', value: '1979-05-27' } },
        list: {
          key: '7:8',
          value: { at: '7:8', items: [{ at: '7:8', items: [{ at: '7:8', value: 1, text: null }] }, { at: '7:8', items: [{ at: '7:8', value: 'two' }] }, { at: '7:8', items: [{ at: '7:8', items: [{ at: '7:8', value: 3, text: null }] }] }] },
        },
        inline: { key: '8:10', value: { at: '8:10', entries: { a: { key: '8:10', value: { at: '8:10', value: 1, text: null } }, b: { key: '8:10', value: { at: '8:10', entries: { c: { key: '8:10', value: { at: '8:10', value: 2, text: null } } } } } } } },
        srv: {
          key: '1:1',
          value: {
            at: '1:1',
            items: [
              { at: '10:1', entries: { name: { key: '11:8', value: { at: '11:8', value: 'a' } } } },
              { at: '12:1', entries: { name: { key: '13:10', value: { at: '13:10', value: 'b' } } } },
            ],
          },
        },
      },
    });
  });

  it('a table header places its table', () => {
    expect(loads('x.toml', 'a = 1\n\n[t.u]\nv = 2\n')).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:5', value: { at: '1:5', value: 1, text: null } },
        t: { key: '1:1', value: { at: '1:1', entries: { u: { key: '3:1', value: { at: '3:1', entries: { v: { key: '4:5', value: { at: '4:5', value: 2, text: null } } } } } } } },
      },
    });
  });

  it('an integer beyond 2^53 is refused at its value, each of them', () => {
    expect(refused('x.toml', 'a = 1\nport = 18446744073709551617\n[t]\nn = 9007199254740993\n')).toEqual([
      { file: 'x.toml', line: 2, column: 8, message: 'this integer is too large (beyond 2^53); no setting takes one', hint: 'a port is 1 to 65535' },
      { file: 'x.toml', line: 4, column: 5, message: 'this integer is too large (beyond 2^53); no setting takes one', hint: 'a port is 1 to 65535' },
    ]);
  });
});

describe('TOML nesting deeper than MAX_DEPTH is refused before the parser recurses', () => {
  const lists = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it(`${MAX_DEPTH} nested lists load; ${MAX_DEPTH + 1} are refused at the last \`[\``, () => {
    expect(load('x.toml', `a = ${lists(MAX_DEPTH)}\n`).diagnostics).toEqual([]);
    expect(refused('x.toml', `a = ${lists(MAX_DEPTH + 1)}\n`)).toEqual([{ file: 'x.toml', line: 1, column: 4 + MAX_DEPTH + 1, message: DEEP, hint: DEEP_HINT }]);
  });

  it('on a later line, at its column there', () => {
    expect(refused('x.toml', `x = 1\ny = "a"\na = ${lists(70)}\n`)).toEqual([{ file: 'x.toml', line: 3, column: 69, message: DEEP, hint: DEEP_HINT }]);
  });

  it('inline tables count as `{`', () => {
    const text = `a = ${'{b = '.repeat(70)}1${'}'.repeat(70)}\n`;
    expect(refused('x.toml', text)).toEqual([{ file: 'x.toml', line: 1, column: 5 + 64 * 5, message: DEEP, hint: DEEP_HINT }]);
  });

  it('closed lists and tables give their levels back, `]` and `}` alike', () => {
    const tables = (n: number) => `${'{b = '.repeat(n)}1${'}'.repeat(n)}`;
    expect(load('x.toml', `a = ${lists(40)}\nb = ${lists(40)}\nc = ${tables(40)}\nd = ${lists(40)}\n`).diagnostics).toEqual([]);
  });

  it('closing brackets before any opening one do not hide a deep nesting', () => {
    expect(load('x.toml', `]]]\na = ${lists(65)}\n`).diagnostics[0]).toEqual({ file: 'x.toml', line: 2, column: 69, message: DEEP, hint: DEEP_HINT });
  });

  it('brackets in strings and comments do not count', () => {
    const many = '['.repeat(70);
    expect(loads('x.toml', `a = "${many}"\nb = '${many}'\n# ${many}\nc = "\\"${many}" # ${many}`)).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:5', value: { at: '1:5', value: many } },
        b: { key: '2:5', value: { at: '2:5', value: many } },
        c: { key: '4:5', value: { at: '4:5', value: `"${many}` } },
      },
    });
  });

  it('a backslash escapes only in a double-quoted string: a literal string ends at its quote', () => {
    expect(load('x.toml', `a = ['x\\', ${lists(65)}]\n`).diagnostics[0]).toEqual({ file: 'x.toml', line: 1, column: 75, message: DEEP, hint: DEEP_HINT });
  });

  it('an unclosed string ends at its line; the lines after it are counted', () => {
    expect(refused('x.toml', `a = "x\nb = ${lists(65)}\n`)).toEqual([{ file: 'x.toml', line: 2, column: 69, message: DEEP, hint: DEEP_HINT }]);
    expect(refused('x.toml', `a = 'x\nb = ${lists(65)}\n`)).toEqual([{ file: 'x.toml', line: 2, column: 69, message: DEEP, hint: DEEP_HINT }]);
  });

  it('a string still open at the end of a file without a final newline ends there: the parser refuses it', () => {
    expect(refused('x.toml', 'a = "x')).toEqual([expect.objectContaining({ file: 'x.toml', line: 1 })]);
    expect(refused('x.yaml', "a: 'x")).toEqual([expect.objectContaining({ file: 'x.yaml', line: 1 })]);
  });

  it('a comment ends at its line; the lines after it are counted', () => {
    expect(refused('x.toml', `# note\nb = ${lists(65)}\n`)).toEqual([{ file: 'x.toml', line: 2, column: 69, message: DEEP, hint: DEEP_HINT }]);
  });
});

describe('YAML and JSON nesting', () => {
  it('a JSON text the fast reading hands over (a tab) is refused at its 64th `[` (the `{` is the first level)', () => {
    expect(refused('x.json', `{"a":\t${'['.repeat(65)}${']'.repeat(65)}}`)).toEqual([{ file: 'x.json', line: 1, column: 70, message: DEEP, hint: DEEP_HINT }]);
  });

  it('a JSON text the fast reading hands over, within the bound, is read by `yaml`', () => {
    expect(loads('x.json', '{"a":\t[[1]]}')).toEqual({ at: '1:1', entries: { a: { key: '1:2', value: { at: '1:7', items: [{ at: '1:8', items: [{ at: '1:9', value: 1, text: '1' }] }] } } } });
  });

  it('a plain YAML scalar the fast reading takes may hold many brackets', () => {
    const word = `x${'['.repeat(70)}`;
    expect(loads('x.yaml', `a: ${word}\n`)).toEqual({ at: '1:1', entries: { a: { key: '1:1', value: { at: '1:4', value: word } } } });
  });

  const flow = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
  it(`\`yaml\`’s reading takes a value ${MAX_DEPTH} levels down and refuses one ${MAX_DEPTH + 1} down, at that value`, () => {
    expect(composed(flow(MAX_DEPTH)).diagnostics).toEqual([]);
    const r = composed(flow(MAX_DEPTH + 1));
    expect(r.root).toBeNull();
    expect(r.diagnostics).toEqual([{ file: 'x.yaml', line: 1, column: MAX_DEPTH + 2, message: DEEP, hint: ALIAS_HINT }]);
  });

  it('block tables nested too deep are refused once, at the first value too deep', () => {
    const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(load('x.yaml', block(MAX_DEPTH)).diagnostics).toEqual([]);
    const r = composed(`${block(MAX_DEPTH + 1)}z: ${flow(70)}\n`);
    expect(r.root).toBeNull();
    expect(r.diagnostics).toEqual([{ file: 'x.yaml', line: MAX_DEPTH + 1, column: MAX_DEPTH + 4, message: DEEP, hint: ALIAS_HINT }]);
  });

  it('a value reached through an alias is one level below the alias', () => {
    // The alias is the value 64 levels down; what it names is then 65 down.
    const text = (inner: string) => `a: &x ${inner}\nb: ${'['.repeat(MAX_DEPTH - 1)}*x${']'.repeat(MAX_DEPTH - 1)}\n`;
    expect(composed(text('1')).diagnostics).toEqual([{ file: 'x.yaml', line: 1, column: 7, message: DEEP, hint: ALIAS_HINT }]);
    expect(composed(text('[1]')).diagnostics).toEqual([{ file: 'x.yaml', line: 1, column: 7, message: DEEP, hint: ALIAS_HINT }]);
    expect(composed(`a: &x 1\nb: ${'['.repeat(MAX_DEPTH - 2)}*x${']'.repeat(MAX_DEPTH - 2)}\n`).diagnostics).toEqual([]);
  });
});

describe(`aliases may copy ${MAX_ALIAS_NODES} values in all`, () => {
  // `x` is a list of 999 values: each `*x` copies 1,000 nodes (the list and its values).
  const x = `a: &x [${Array(999).fill('1').join(', ')}]\n`;
  const copies = (n: number) => `b: [${Array(n).fill('*x').join(', ')}]\n`;

  it(`exactly ${MAX_ALIAS_NODES} copied values are read (the 1,000 written out do not count), each copy where its original is`, () => {
    const r = composed(x + copies(100));
    expect(r.diagnostics).toEqual([]);
    const b = (r.root as Extract<PNode, { kind: 'map' }>).entries.get('b')!.value as Extract<PNode, { kind: 'list' }>;
    expect(b.items).toHaveLength(100);
    expect(shape(b.items[99])).toEqual(shape((r.root as Extract<PNode, { kind: 'map' }>).entries.get('a')!.value));
  });

  it('one more is refused, once, at the value that went over', () => {
    const r = composed(`${x}${copies(100)}c: &y 2\nd: *y\ne: *x\n`);
    expect(r.root).toBeNull();
    expect(r.diagnostics).toEqual([{ file: 'x.yaml', line: 3, column: 7, message: ALIASES, hint: ALIAS_HINT }]);
  });
});

describe('`yaml`’s reading of what the fast reading hands over', () => {
  it('scalars: numbers keep their text, other values have none; a date and bytes become text', () => {
    const r = composed('a: 1.10\nb: true\nc: ~\nd: x\ne: 0x1F\nf: !!timestamp 2001-12-14\ng: !!binary aGVsbG8=\nh: FALSE\n');
    // Strictly: a value without a text has no `text` key at all.
    expect(r.tree).toStrictEqual({
      at: '1:1',
      entries: {
        a: { key: '1:1', value: { at: '1:4', value: 1.1, text: '1.10' } },
        b: { key: '2:1', value: { at: '2:4', value: true } },
        c: { key: '3:1', value: { at: '3:4', value: null } },
        d: { key: '4:1', value: { at: '4:4', value: 'x' } },
        e: { key: '5:1', value: { at: '5:4', value: 31, text: '0x1F' } },
        f: { key: '6:1', value: { at: '6:16', value: '2001-12-14T00:00:00.000Z' } },
        g: { key: '7:1', value: { at: '7:13', value: 'hello' } },
        h: { key: '8:1', value: { at: '8:4', value: false } },
      },
    });
  });

  it('an alias gives a copy of what it names, at the places of the original', () => {
    expect(loads('x.yaml', 'a: &x [1, {b: c}]\nd: *x\n')).toEqual({
      at: '1:1',
      entries: {
        a: { key: '1:1', value: { at: '1:7', items: [{ at: '1:8', value: 1, text: '1' }, { at: '1:11', entries: { b: { key: '1:12', value: { at: '1:15', value: 'c' } } } }] } },
        d: { key: '2:1', value: { at: '1:7', items: [{ at: '1:8', value: 1, text: '1' }, { at: '1:11', entries: { b: { key: '1:12', value: { at: '1:15', value: 'c' } } } }] } },
      },
    });
  });

  it('a key without a value is null at its key', () => {
    expect(loads('x.yaml', '{a, b: 1}\n')).toEqual({ at: '1:1', entries: { a: { key: '1:2', value: { at: '1:2', value: null } }, b: { key: '1:5', value: { at: '1:8', value: 1, text: '1' } } } });
  });

  it('a key that is not a scalar is named by its text; an empty key is `null`', () => {
    expect(loads('x.yaml', '? [a, b]\n: 1\n')).toEqual({ at: '1:1', entries: { '["a","b"]': { key: '1:3', value: { at: '2:3', value: 1, text: '1' } } } });
    expect(loads('x.yaml', ': x\n')).toEqual({ at: '1:1', entries: { null: { key: '1:1', value: { at: '1:3', value: 'x' } } } });
  });

  it('a key written twice is refused at the second, naming the first line', () => {
    const r = composed('a: 1\nb: 2\na: 3\nc: {a: 1}\n');
    expect(r.root).toBeNull();
    expect(r.diagnostics).toEqual([{ file: 'x.yaml', line: 3, column: 1, message: 'the key `a` appears twice in one table (first at line 1)', hint: 'merge the two entries, or split them across files' }]);
  });

  it('an empty document, or one of comments only, is nothing', () => {
    for (const text of ['', '# only a note\n', '\n\n']) {
      const { root, diagnostics } = load('x.yaml', text);
      expect(root, JSON.stringify(text)).toBeNull();
      expect(diagnostics).toEqual([]);
    }
  });

  it('diagnostics from before (another file’s) do not make a good document nothing', () => {
    const diagnostics: Diagnostic[] = [{ file: 'other.yaml', line: 1, column: 1, message: 'earlier' }];
    expect(shape(composeYaml('x.yaml', 'a: 1\n', false, diagnostics))).toEqual({ at: '1:1', entries: { a: { key: '1:1', value: { at: '1:4', value: 1, text: '1' } } } });
    expect(diagnostics).toHaveLength(1);
    expect(shape(parseDeclaration('x.toml', 'a = 1\n', diagnostics).root)).toEqual({ at: '1:1', entries: { a: { key: '1:5', value: { at: '1:5', value: 1, text: null } } } });
    expect(diagnostics).toHaveLength(1);
  });
});
