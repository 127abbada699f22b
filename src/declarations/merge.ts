// Merging several declaration files the way NixOS merges module definitions:
// tables key by key, lists concatenated in file order, and one scalar given two
// different values is an error naming both places.
import type { Diagnostic } from '../model.js';
import { describeNode, formatOrigin, type PNode } from './tree.js';

export function mergeTrees(trees: PNode[], diagnostics: Diagnostic[]): PNode | null {
  let merged: PNode | null = null;
  for (const tree of trees) merged = merged === null ? tree : mergeNode(merged, tree, '', diagnostics);
  return merged;
}

function mergeNode(a: PNode, b: PNode, path: string, diagnostics: Diagnostic[]): PNode {
  if (a.kind === 'map' && b.kind === 'map') {
    const entries = new Map(a.entries);
    for (const [key, entry] of b.entries) {
      const existing = entries.get(key);
      entries.set(
        key,
        existing ? { key: existing.key, value: mergeNode(existing.value, entry.value, join(path, key), diagnostics) } : entry,
      );
    }
    return { kind: 'map', entries, at: a.at };
  }
  if (a.kind === 'list' && b.kind === 'list') return { kind: 'list', items: [...a.items, ...b.items], at: a.at };
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (a.value !== b.value) {
      diagnostics.push({
        ...b.at,
        message: `\`${path}\` is defined twice with different values: ${describeNode(a)} at ${formatOrigin(a.at)} and ${describeNode(b)} at ${formatOrigin(b.at)}`,
        hint: 'give the value in one file only, or the same value in both',
      });
    }
    return a;
  }
  diagnostics.push({
    ...b.at,
    message: `\`${path}\` is ${describeNode(b)} here but ${describeNode(a)} at ${formatOrigin(a.at)}; they cannot be merged`,
  });
  return a;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
