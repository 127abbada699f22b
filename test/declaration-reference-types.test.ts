// The type and default columns of docs/declarations.md (typeOf, defaultOf) and
// the example synthesized for a key the reference has none for (sampleOf), for every shape a schema
// field can take, including those the current schema does not use yet (an
// integer bounded on both sides, or not at all).
import { describe, expect, it } from 'vitest';
import { cell, defaultOf, exampleOf, sampleOf, typeOf } from '../src/declarations/reference.js';

const d = { description: 'x' };

describe('the type of an integer states its range', () => {
  it('1 to 65535 is a port', () => {
    expect(typeOf({ kind: 'int', min: 1, max: 65535, ...d })).toBe('port (1–65535)');
    expect(typeOf({ kind: 'int', min: 1, max: 65535, nullable: true, ...d })).toBe('port (1–65535) or null');
  });

  it('other bounds on both sides are written as a range', () => {
    expect(typeOf({ kind: 'int', min: 1, max: 10, ...d })).toBe('integer 1–10');
    expect(typeOf({ kind: 'int', min: 0, max: 65535, ...d })).toBe('integer 0–65535');
  });

  it('a lower bound alone, an upper bound alone, or none', () => {
    expect(typeOf({ kind: 'int', min: 0, ...d })).toBe('integer ≥ 0');
    expect(typeOf({ kind: 'int', max: 9, ...d })).toBe('integer');
    expect(typeOf({ kind: 'int', ...d })).toBe('integer');
    expect(typeOf({ kind: 'int', nullable: true, ...d })).toBe('integer or null');
  });
});

describe('the type of other fields', () => {
  it('a table of tables, and a table of a scalar type', () => {
    expect(typeOf({ kind: 'record', values: { kind: 'object', fields: {}, ...d }, ...d })).toBe('table: name → table');
    expect(typeOf({ kind: 'record', keyFormat: 'env-name', values: { kind: 'bool', ...d }, ...d })).toBe('table: environment variable name → bool');
  });

  it('a list of integers is plural; of tables, "tables"', () => {
    expect(typeOf({ kind: 'list', items: { kind: 'int', ...d }, ...d })).toBe('list of integers');
    expect(typeOf({ kind: 'list', items: { kind: 'string', format: 'absolute-path', ...d }, ...d })).toBe('list of absolute paths');
    expect(typeOf({ kind: 'list', items: { kind: 'object', fields: {}, ...d }, ...d })).toBe('list of tables');
  });

  it('a table with fixed keys, and any value', () => {
    expect(typeOf({ kind: 'object', fields: {}, ...d })).toBe('table');
    expect(typeOf({ kind: 'any', ...d })).toBe('any value');
  });
});

describe('only the first words of an item type are made plural', () => {
  it('a list of command names keeps "absolute path" later in the text singular', () => {
    expect(typeOf({ kind: 'list', items: { kind: 'string', format: 'program', ...d }, ...d })).toBe('list of command name or absolute path (not starting with an Exec prefix such as `+` or `!`)');
  });
});

describe('the default column', () => {
  it('a table with fixed keys or any value shows none; a table of names shows {}', () => {
    expect(defaultOf({ kind: 'object', fields: {}, ...d })).toBe('');
    expect(defaultOf({ kind: 'any', ...d })).toBe('');
    expect(defaultOf({ kind: 'record', values: { kind: 'bool', ...d }, ...d })).toBe('`{}`');
  });

  it('no default: an empty list for a list, a dash otherwise', () => {
    expect(defaultOf({ kind: 'list', items: { kind: 'int', ...d }, ...d })).toBe('`[]`');
    expect(defaultOf({ kind: 'string', ...d })).toBe('—');
    expect(defaultOf({ kind: 'string', default: undefined, ...d })).toBe('—');
  });

  it('a value as JSON; a computed one with the names it depends on', () => {
    expect(defaultOf({ kind: 'int', default: 3, ...d })).toBe('`3`');
    expect(defaultOf({ kind: 'string', nullable: true, default: null, ...d })).toBe('`null`');
    expect(defaultOf({ kind: 'string', default: (c) => `/var/lib/${c.name}`, ...d })).toBe('`"/var/lib/<name>"`');
    expect(defaultOf({ kind: 'int', default: (c) => c.siblings.defaultPort as never, ...d })).toBe('`defaultPort`');
    // Only a text starting with a backtick is already written as code.
    expect(defaultOf({ kind: 'string', default: 'say `hi`', ...d })).toBe('`"say `hi`"`');
  });
});

describe('a synthesized example', () => {
  it('a string: its default unless empty, else a value of its format', () => {
    expect(sampleOf({ kind: 'string', default: 'bun', ...d })).toBe('bun');
    expect(sampleOf({ kind: 'string', default: '', format: 'domain', ...d })).toBe('example.com');
    expect(sampleOf({ kind: 'string', format: 'absolute-path', ...d })).toBe('/srv/example');
    expect(sampleOf({ kind: 'string', format: 'domain', ...d })).toBe('example.com');
    expect(sampleOf({ kind: 'string', format: 'duration', ...d })).toBe('1m');
    expect(sampleOf({ kind: 'string', format: 'env-name', ...d })).toBe('EXAMPLE');
    expect(sampleOf({ kind: 'string', format: 'cidr', ...d })).toBe('text');
    expect(sampleOf({ kind: 'string', nullable: true, default: null, ...d })).toBe('text');
  });

  it('an integer: its default, else its lower bound, else 1', () => {
    expect(sampleOf({ kind: 'int', default: 7, min: 0, ...d })).toBe(7);
    expect(sampleOf({ kind: 'int', default: null, nullable: true, min: 0, ...d })).toBe(0);
    expect(sampleOf({ kind: 'int', ...d })).toBe(1);
  });

  it('a bool: the opposite of its default, else true', () => {
    expect(sampleOf({ kind: 'bool', default: true, ...d })).toBe(false);
    expect(sampleOf({ kind: 'bool', default: false, ...d })).toBe(true);
    expect(sampleOf({ kind: 'bool', ...d })).toBe(true);
  });

  it('an enum: a value other than the default, else the first', () => {
    expect(sampleOf({ kind: 'enum', values: ['a', 'b', 'c'], default: 'a', ...d })).toBe('b');
    expect(sampleOf({ kind: 'enum', values: ['a', 'b'], ...d })).toBe('a');
    expect(sampleOf({ kind: 'enum', values: ['only'], default: 'only', ...d })).toBe('only');
  });

  it('a list: a copy of its default when not empty, else one item of its type', () => {
    const list = ['x', 'y'];
    const sample = sampleOf({ kind: 'list', items: { kind: 'string', ...d }, default: list, ...d });
    expect(sample).toEqual(['x', 'y']);
    expect(sample).not.toBe(list);
    expect(sampleOf({ kind: 'list', items: { kind: 'int', ...d }, default: [], ...d })).toEqual([1]);
    expect(sampleOf({ kind: 'list', items: { kind: 'bool', ...d }, ...d })).toEqual([true]);
  });

  it('a table of names: one EXAMPLE entry; a table with fixed keys or any value: none; one of several shapes: the first', () => {
    expect(sampleOf({ kind: 'record', values: { kind: 'int', ...d }, ...d })).toEqual({ EXAMPLE: 1 });
    expect(sampleOf({ kind: 'object', fields: {}, ...d })).toBeNull();
    expect(sampleOf({ kind: 'any', ...d })).toBeNull();
    expect(sampleOf({ kind: 'oneOf', expected: 'x', options: [{ kind: 'string', format: 'env-name', ...d }, { kind: 'bool', ...d }], ...d })).toBe('EXAMPLE');
  });
});

describe('the example column', () => {
  it('a key of a table with fixed keys, or of any value, without an example shows none', () => {
    expect(exampleOf('x', 'open', { kind: 'object', fields: {}, ...d })).toBe('');
    expect(exampleOf('x', 'anything', { kind: 'any', ...d })).toBe('');
  });

  it('a top-level key is written as itself; a dotted one nested from its first part', () => {
    expect(exampleOf('x', 'port', { kind: 'int', min: 1, ...d })).toBe('`port: 1`');
    expect(exampleOf('x', 'a.b', { kind: 'bool', ...d })).toBe('`a: { b: true }`');
  });

  it('a key in a list of tables is one table in a list, at the top or deeper', () => {
    expect(exampleOf('x', 'routes[].path', { kind: 'string', format: 'absolute-path', ...d })).toBe('`routes: [ { path: /srv/example } ]`');
    expect(exampleOf('x', 'a.routes[].path', { kind: 'string', format: 'absolute-path', ...d })).toBe('`a: { routes: [ { path: /srv/example } ] }`');
    expect(exampleOf('x', 'opts.<name>.type', { kind: 'string', ...d })).toBe('`opts: { WORKERS: { type: text } }`');
  });

  it('a `|` in an example is escaped for the table', () => {
    expect(exampleOf('x', 'k', { kind: 'string', default: 'a|b|c', ...d })).toBe('`k: a\\|b\\|c`');
  });
});

describe('a description in its cell', () => {
  it('every `|` is escaped and every line break is a space', () => {
    expect(cell('a|b|c\nd\ne')).toBe('a\\|b\\|c d e');
  });
});
