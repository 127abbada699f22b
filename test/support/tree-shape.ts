// A declaration tree as plain data, for exact comparisons of what a reader built.
import type { PNode } from '../../src/declarations/tree.js';

/** A tree as plain data: positions as `line:column`, a scalar's `text` only when the node has one. */
export function shape(node: PNode | null | undefined): unknown {
  if (node == null) return node;
  const at = `${node.at.line}:${node.at.column}`;
  if (node.kind === 'map') return { at, entries: Object.fromEntries([...node.entries].map(([k, e]) => [k, { key: `${e.key.line}:${e.key.column}`, value: shape(e.value) }])) };
  if (node.kind === 'list') return { at, items: node.items.map(shape) };
  const kind: string = node.kind; // what is neither a table nor a list must say it is a scalar
  if (kind !== 'scalar') return { at, kind };
  return 'text' in node ? { at, value: node.value, text: node.text } : { at, value: node.value };
}
