// How a declared value is named in messages (src/declarations/tree.ts: describeNode)
// and how a position is written (formatOrigin).
import { describe, expect, it } from 'vitest';
import { describeNode, formatOrigin, type PNode } from '../src/declarations/tree.js';

const at = { file: 'a.yaml', line: 1, column: 1 };
const scalar = (value: string | number | boolean | null): PNode => ({ kind: 'scalar', value, at });

describe('describeNode names what was written', () => {
  it('a table, a list, null', () => {
    expect(describeNode({ kind: 'map', entries: new Map(), at })).toBe('a table');
    expect(describeNode({ kind: 'list', items: [], at })).toBe('a list');
    expect(describeNode(scalar(null))).toBe('null');
  });

  it('a string, quoted as JSON quotes it', () => {
    expect(describeNode(scalar('x'))).toBe('the string "x"');
    expect(describeNode(scalar('a "b"\n'))).toBe('the string "a \\"b\\"\\n"');
    expect(describeNode(scalar(''))).toBe('the string ""');
  });

  it('a string of 40 characters whole; a longer one as its first 37 and `...`', () => {
    const forty = 'abcdefghij'.repeat(4);
    expect(describeNode(scalar(forty))).toBe(`the string "${forty}"`);
    expect(describeNode(scalar(`${forty}k`))).toBe(`the string "${forty.slice(0, 37)}..."`);
  });

  it('a number and a boolean', () => {
    expect(describeNode(scalar(1.5))).toBe('the number 1.5');
    expect(describeNode(scalar(0))).toBe('the number 0');
    expect(describeNode(scalar(true))).toBe('the boolean true');
    expect(describeNode(scalar(false))).toBe('the boolean false');
  });
});

describe('formatOrigin', () => {
  it('writes file:line:column', () => {
    expect(formatOrigin({ file: 'dir/a.yaml', line: 3, column: 17 })).toBe('dir/a.yaml:3:17');
  });
});
