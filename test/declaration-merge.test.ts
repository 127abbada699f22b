// Merging declaration trees (mergeTrees) as NixOS merges module definitions,
// and how a clash is worded: both places, both values, each described by kind.
import { describe, expect, it } from 'vitest';
import { mergeTrees } from '../src/declarations/merge.js';
import { describeNode, type PNode, type Scalar } from '../src/declarations/tree.js';
import type { Diagnostic } from '../src/model.js';

const at = (file: string, line = 1, column = 1) => ({ file, line, column });
const scalar = (value: Scalar, file: string, line = 1): PNode => ({ kind: 'scalar', value, at: at(file, line, 5) });
const list = (items: PNode[], file: string): PNode => ({ kind: 'list', items, at: at(file) });
const map = (entries: Record<string, PNode>, file: string): PNode => ({ kind: 'map', entries: new Map(Object.entries(entries).map(([k, v]) => [k, { key: at(file), value: v }])), at: at(file) });

function merge(...trees: PNode[]) {
  const diagnostics: Diagnostic[] = [];
  return { merged: mergeTrees(trees, diagnostics), diagnostics };
}

describe('merging declaration files', () => {
  it('nothing to merge is nothing', () => {
    expect(merge()).toEqual({ merged: null, diagnostics: [] });
  });

  it('tables key by key, lists in file order, equal scalars once', () => {
    const { merged, diagnostics } = merge(
      map({ services: map({ a: map({ port: scalar(1, 'one'), files: list([scalar('/x', 'one')], 'one') }, 'one') }, 'one') }, 'one'),
      map({ services: map({ a: map({ port: scalar(1, 'two'), files: list([scalar('/y', 'two')], 'two') }, 'two'), b: map({}, 'two') }, 'two') }, 'two'),
    );
    expect(diagnostics).toEqual([]);
    const services = (merged as Extract<PNode, { kind: 'map' }>).entries.get('services')!.value as Extract<PNode, { kind: 'map' }>;
    expect([...services.entries.keys()]).toEqual(['a', 'b']);
    const a = services.entries.get('a')!.value as Extract<PNode, { kind: 'map' }>;
    expect((a.entries.get('files')!.value as Extract<PNode, { kind: 'list' }>).items.map((i) => (i as { value: Scalar }).value)).toEqual(['/x', '/y']);
    expect(a.entries.get('port')!.value).toMatchObject({ value: 1, at: { file: 'one' } });
  });

  it('two values for one scalar: an error at the second, naming both by their full key', () => {
    const { diagnostics } = merge(map({ host: map({ name: scalar('a', 'one.yaml', 3) }, 'one.yaml') }, 'one.yaml'), map({ host: map({ name: scalar('b', 'two.yaml', 7) }, 'two.yaml') }, 'two.yaml'));
    expect(diagnostics).toEqual([
      { file: 'two.yaml', line: 7, column: 5, message: '`host.name` is defined twice with different values: the string "a" at one.yaml:3:5 and the string "b" at two.yaml:7:5', hint: 'give the value in one file only, or the same value in both' },
    ]);
  });

  it('a table against a list, or a scalar against a table, cannot be merged', () => {
    const { diagnostics } = merge(map({ x: list([], 'one.yaml'), y: scalar(true, 'one.yaml') }, 'one.yaml'), map({ x: map({}, 'two.yaml'), y: list([], 'two.yaml') }, 'two.yaml'));
    expect(diagnostics.map((d) => d.message)).toEqual(['`x` is a table here but a list at one.yaml:1:1; they cannot be merged', '`y` is a list here but the boolean true at one.yaml:1:5; they cannot be merged']);
    expect(diagnostics[0].hint).toBeUndefined();
  });
});

describe('how a value is described', () => {
  it('by kind, a long string cut at 40 characters', () => {
    expect(describeNode(scalar(null, 'f'))).toBe('null');
    expect(describeNode(scalar(false, 'f'))).toBe('the boolean false');
    expect(describeNode(scalar(3.5, 'f'))).toBe('the number 3.5');
    expect(describeNode(scalar('x'.repeat(40), 'f'))).toBe(`the string "${'x'.repeat(40)}"`);
    expect(describeNode(scalar('x'.repeat(41), 'f'))).toBe(`the string "${'x'.repeat(37)}..."`);
    expect(describeNode(scalar('say "hi"', 'f'))).toBe('the string "say \\"hi\\""');
  });
});

describe('the merged tree', () => {
  it("is a table at the first file's position, lists joined, for any number of files", () => {
    const { merged, diagnostics } = merge(
      map({ t: map({ a: scalar(1, 'one') }, 'one'), l: list([scalar('x', 'one')], 'one') }, 'one'),
      map({ t: map({ b: scalar(2, 'two') }, 'two'), l: list([scalar('y', 'two')], 'two') }, 'two'),
      map({ t: map({ c: scalar(3, 'three') }, 'three'), l: list([scalar('z', 'three')], 'three') }, 'three'),
    );
    expect(diagnostics).toEqual([]);
    expect(merged).toStrictEqual({
      kind: 'map',
      at: at('one'),
      entries: new Map([
        ['t', { key: at('one'), value: { kind: 'map', at: at('one'), entries: new Map([['a', { key: at('one'), value: scalar(1, 'one') }], ['b', { key: at('two'), value: scalar(2, 'two') }], ['c', { key: at('three'), value: scalar(3, 'three') }]]) } }],
        ['l', { key: at('one'), value: { kind: 'list', at: at('one'), items: [scalar('x', 'one'), scalar('y', 'two'), scalar('z', 'three')] } }],
      ]),
    });
  });

  it('one file is itself, unchanged', () => {
    const only = map({ a: scalar(1, 'one') }, 'one');
    expect(merge(only)).toEqual({ merged: only, diagnostics: [] });
  });

  it('a clash at the top level is named by its key alone', () => {
    const { diagnostics } = merge(map({ port: scalar(1, 'one.yaml', 2) }, 'one.yaml'), map({ port: scalar(2, 'two.yaml', 4) }, 'two.yaml'));
    expect(diagnostics.map((d) => d.message)).toEqual(['`port` is defined twice with different values: the number 1 at one.yaml:2:5 and the number 2 at two.yaml:4:5']);
  });

  it('a list against a table, or a list against a scalar, cannot be merged either, with no hint', () => {
    const { diagnostics } = merge(map({ x: map({}, 'one.yaml'), y: list([], 'one.yaml') }, 'one.yaml'), map({ x: list([], 'two.yaml'), y: scalar('s', 'two.yaml', 3) }, 'two.yaml'));
    expect(diagnostics).toStrictEqual([
      { file: 'two.yaml', line: 1, column: 1, message: '`x` is a list here but a table at one.yaml:1:1; they cannot be merged' },
      { file: 'two.yaml', line: 3, column: 5, message: '`y` is the string "s" here but a list at one.yaml:1:1; they cannot be merged' },
    ]);
  });

  it('the first value is kept after a clash', () => {
    const { merged } = merge(map({ a: scalar('first', 'one') }, 'one'), map({ a: scalar('second', 'two') }, 'two'), map({ a: scalar('first', 'three') }, 'three'));
    expect((merged as Extract<PNode, { kind: 'map' }>).entries.get('a')!.value).toEqual(scalar('first', 'one'));
  });
});
