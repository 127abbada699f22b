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
