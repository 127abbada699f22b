// A declaration document as a tree that remembers where each value was written.
import type { Origin } from '../model.js';

export type Scalar = string | number | boolean | null;

export type PNode = PMap | PList | PScalar;

export interface PMap {
  kind: 'map';
  /** Insertion-ordered; each entry keeps its key's position. */
  entries: Map<string, { key: Origin; value: PNode }>;
  at: Origin;
}

export interface PList {
  kind: 'list';
  items: PNode[];
  at: Origin;
}

export interface PScalar {
  kind: 'scalar';
  value: Scalar;
  at: Origin;
  /** A number's text as written (YAML, JSON); null when the format keeps none (TOML). */
  text?: string | null;
}

export function describeNode(node: PNode): string {
  if (node.kind === 'map') return 'a table';
  if (node.kind === 'list') return 'a list';
  if (node.value === null) return 'null';
  if (typeof node.value === 'string') return `the string ${JSON.stringify(truncate(node.value))}`;
  return `${typeof node.value === 'number' ? 'the number' : 'the boolean'} ${String(node.value)}`;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export function formatOrigin(o: Origin): string {
  return `${o.file}:${o.line}:${o.column}`;
}
