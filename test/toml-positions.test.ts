// Where each TOML value was written (src/declarations/toml-positions.ts): the scan
// maps every key path to the line and column of its value, so that a message about a
// TOML value points at it as YAML and JSON messages do. Each case gives the whole map:
// a key path read wrong, or read where there is none (in a string, a comment, a
// multi-line array), shows up as a difference.
import { describe, expect, it } from 'vitest';
import { tomlPositions } from '../src/declarations/toml-positions.js';

/** The scan's map as `path/of/keys` → `line:column`. */
function positions(text: string): Record<string, string> {
  return Object.fromEntries([...tomlPositions(text)].map(([keyPath, p]) => [keyPath.split('\u0000').join('/'), `${p.line}:${p.column}`]));
}

describe('a `key = value` line is placed at its value', () => {
  it('whatever the spaces around `=` and before the key', () => {
    expect(positions('a = 1\nb=2\n  c   =   "x"\nd =\t3\n')).toEqual({ a: '1:5', b: '2:3', c: '3:11', d: '4:5' });
  });

  it('a key path joins its parts with NUL (not with nothing or a dot)', () => {
    const map = tomlPositions('[t]\nab = 1\n');
    expect([...map.keys()]).toEqual(['t', 't\u0000ab']);
  });

  it('dotted keys are split at dots outside quotes, each part trimmed', () => {
    expect(positions(`a . "b.c" . 'd' = 1\n"x=y" = 2\n'p=q' = 3\n"s p" .t= 4\n`)).toEqual({ 'a/b.c/d': '1:19', 'x=y': '2:9', 'p=q': '3:9', 's p/t': '4:11' });
  });

  it('a line without `=` outside quotes holds no key', () => {
    expect(positions('"a=b"\nplain words\nc = 1\n')).toEqual({ c: '3:5' });
  });
});

describe('table headers', () => {
  it('a header is placed at its `[`, and prefixes the keys below it', () => {
    expect(positions('top = 1\n[t]\nx = 2\n  [ u.v ]\n  y = 3\n')).toEqual({ top: '1:7', t: '2:1', 't/x': '3:5', 'u/v': '4:3', 'u/v/y': '5:7' });
  });

  it('a header followed by a comment that holds brackets names only the table', () => {
    expect(positions('[t] # see [x]\na = 1\n[[u]] # [[y]]\nb = 2\n')).toEqual({ t: '1:1', 't/a': '2:5', 'u/0': '3:1', 'u/0/b': '4:5' });
  });

  it('each `[[array]]` table counts from 0, per array', () => {
    const text = '[[srv]]\nname = "a"\n[[srv]]\nname = "b"\n[[other]]\nname = "c"\n[[srv]]\n';
    expect(positions(text)).toEqual({ 'srv/0': '1:1', 'srv/0/name': '2:8', 'srv/1': '3:1', 'srv/1/name': '4:8', 'other/0': '5:1', 'other/0/name': '6:8', 'srv/2': '7:1' });
  });

  it('arrays of tables are counted by their whole dotted name', () => {
    expect(positions('[[a.b]]\n[[ab]]\n[[a.b]]\n')).toEqual({ 'a/b/0': '1:1', 'ab/0': '2:1', 'a/b/1': '3:1' });
  });

  it('an inline array value is no header, even when it is the whole rest of the line', () => {
    expect(positions('a = [1]\nb = [[2], [3]]\nc = 4\n')).toEqual({ a: '1:5', b: '2:5', c: '3:5' });
  });
});

describe('what is not a key', () => {
  it('a comment line, indented or not, even one that looks like a key or a header', () => {
    expect(positions('# a = 1\n  # [t]\n#b=2\nc = 3\n')).toEqual({ c: '4:5' });
  });

  it('the lines of a multi-line basic string, up to its closing `"""`', () => {
    expect(positions('a = """\nb = 1\n[t]\n"""\nc = 2\n')).toEqual({ a: '1:5', c: '5:5' });
  });

  it('the lines of a multi-line literal string, up to its closing `\'\'\'`', () => {
    expect(positions("a = '''\nb = 1\n[t]\n'''\nc = 2\n")).toEqual({ a: '1:5', c: '5:5' });
  });

  it('a multi-line string that starts right after the quotes, and one after spaces', () => {
    expect(positions('a =   """first\nb = 1\nlast"""\nc = 2\n')).toEqual({ a: '1:7', c: '4:5' });
  });

  it('a triple-quoted string closed on its own line ends there: the next line is a key', () => {
    expect(positions('a = """one line"""\nb = 1\nc = \'\'\'x\'\'\'\nd = 2\n')).toEqual({ a: '1:5', b: '2:5', c: '3:5', d: '4:5' });
  });

  it('brackets and quotes inside a multi-line string do not open an array', () => {
    expect(positions('a = """x"[\n"""\nb = 1\n')).toEqual({ a: '1:5', b: '3:5' });
  });

  it('the lines of a multi-line array, up to the bracket that closes it', () => {
    expect(positions('a = [\n  [1, 2],\n  3,\n]\nb = 4\n')).toEqual({ a: '1:5', b: '5:5' });
  });

  it('the lines of nested multi-line arrays and inline tables', () => {
    expect(positions('a = [\n  {x = [\n    1,\n  ]},\n  [\n  ],\n]\nb = 2\n')).toEqual({ a: '1:5', b: '8:5' });
  });

  it('an inline table opened on the line of its key: its lines until `}`', () => {
    expect(positions('a = {\n  x = 1,\n}\nb = 2\n')).toEqual({ a: '1:5', b: '4:5' });
    expect(positions('a = [{x = [1,\n  2]}, 3]\nb = 2\n')).toEqual({ a: '1:5', b: '3:5' });
  });

  it('an array closed on its own line ends there: the next line is a key', () => {
    expect(positions('a = [1, [2], {x = 3}]\nb = 2\n')).toEqual({ a: '1:5', b: '2:5' });
  });
});

describe('brackets that do not count', () => {
  it('in a basic string, with an escaped quote before them', () => {
    expect(positions('a = [\n  "x\\"]",\n  [1],\n]\nb = 1\n')).toEqual({ a: '1:5', b: '5:5' });
    expect(positions('a = ["\\\\", "[",\n  1]\nb = 1\n')).toEqual({ a: '1:5', b: '3:5' });
  });

  it('in a literal string, where a backslash escapes nothing', () => {
    expect(positions("a = [\n  'C:\\'] \nb = 1\n")).toEqual({ a: '1:5', b: '3:5' });
    expect(positions("a = [ '[', '{',\n  1]\nb = 1\n")).toEqual({ a: '1:5', b: '3:5' });
  });

  it('in a comment after the value', () => {
    expect(positions('a = [ # [[ {\n  1,\n]\nb = 2\n')).toEqual({ a: '1:5', b: '4:5' });
  });

  it('a closing bracket too many does not make the next array end early', () => {
    expect(positions('a = 1 ]\nb = [\n  [c = 1],\n]\nd = 2\n')).toEqual({ a: '1:5', b: '2:5', d: '5:5' });
  });
});
