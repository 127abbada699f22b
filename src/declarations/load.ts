// Reading declaration files (YAML, TOML, JSON) into positioned trees.
import * as path from 'node:path';
import type { Node as YamlNode } from 'yaml';
import { lazyRequire } from '../lazy.js';
import type { Diagnostic, Origin } from '../model.js';
import type { PMap, PNode, Scalar } from './tree.js';
import { tomlPositions } from './toml-positions.js';
import { lineLocator, treeFromEvents } from './yaml-events.js';

export const DECLARATION_EXTENSIONS = ['.yaml', '.yml', '.toml', '.json'] as const;

export interface LoadedFile {
  /** The name used in messages and headers. */
  file: string;
  root: PNode | null;
}

export function isDeclarationFile(name: string): boolean {
  return (DECLARATION_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

/** Tables and lists inside each other, at most (a declaration needs about six). */
export const MAX_DEPTH = 64;
/** Nodes an alias may copy in all (a "billion laughs" file is a few lines). */
export const MAX_ALIAS_NODES = 100_000;

/** Parses one declaration file's text; `file` is the display name. */
export function parseDeclaration(file: string, text: string, diagnostics: Diagnostic[]): LoadedFile {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.toml') return { file, root: tooDeep(file, text, diagnostics) ? null : parseToml(file, text, diagnostics) };
  return { file, root: parseYamlOrJson(file, text, ext === '.json', diagnostics) };
}

/**
 * Before a recursive parser sees the text (the TOML parser, the composed YAML reading):
 * one recursing into 3,000 nested brackets runs out of stack (or memory). The fast YAML
 * reading needs no such scan: it counts its own depth and hands a deeper text over.
 */
function tooDeep(file: string, text: string, diagnostics: Diagnostic[]): boolean {
  const deep = flowDepthProblem(text);
  if (deep) diagnostics.push({ file, ...deep, message: `tables or lists are nested more than ${MAX_DEPTH} deep here`, hint: 'a declaration needs a few levels; this is not one' });
  return deep !== null;
}

/**
 * The first place where `[` and `{` open more than MAX_DEPTH levels, outside
 * quoted strings and comments. Conservative: an unquoted bracket in a plain
 * YAML scalar counts too, which no real declaration has 64 of.
 */
function flowDepthProblem(text: string): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  // Character codes, not one-character strings: this loop sees every character of the file.
  const NEWLINE = 10, DOUBLE = 34, SINGLE = 39, HASH = 35, BACKSLASH = 92, OPEN_LIST = 91, OPEN_TABLE = 123, CLOSE_LIST = 93, CLOSE_TABLE = 125;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      line++;
      lineStart = i + 1;
    } else if (c === DOUBLE || c === SINGLE) {
      // Skip the string; a double-quoted one has backslash escapes. An unclosed one ends at the line (the parser reports it).
      for (i++; i < text.length && text.charCodeAt(i) !== c && text.charCodeAt(i) !== NEWLINE; i++) if (c === DOUBLE && text.charCodeAt(i) === BACKSLASH) i++;
      if (text.charCodeAt(i) === NEWLINE) i--;
    } else if (c === HASH) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end - 1;
    } else if (c === OPEN_LIST || c === OPEN_TABLE) {
      if (++depth > MAX_DEPTH) return { line, column: i - lineStart + 1 };
    } else if ((c === CLOSE_LIST || c === CLOSE_TABLE) && depth > 0) {
      depth--;
    }
  }
  return null;
}

function parseYamlOrJson(file: string, text: string, json: boolean, diagnostics: Diagnostic[]): PNode | null {
  // YAML accepts what JSON does not (trailing commas, comments): JSON is checked by JSON's own parser first.
  if (json) {
    const problem = jsonSyntaxError(text);
    if (problem) {
      diagnostics.push({ file, ...problem });
      return null;
    }
  }
  const fast = treeFromEvents(text, lineLocator(file, text), MAX_DEPTH, diagnostics);
  if (fast !== undefined) return fast;
  return tooDeep(file, text, diagnostics) ? null : composeYaml(file, text, json, diagnostics);
}

/** The full reading: `yaml` composes a Document (every construct, its own messages and positions). */
export function composeYaml(file: string, text: string, json: boolean, diagnostics: Diagnostic[]): PNode | null {
  const { LineCounter, parseDocument, isMap, isSeq, isAlias } = lazyRequire<typeof import('yaml')>('yaml');
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2; the yaml parser keeps positions for both. Keys must be unique in
  // either; the parser's own check compares every key with every other (quadratic in a
  // table of 10,000 services), so duplicates are found below, with a set per table.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false, version: '1.2' });
  const at = (offset: number): Origin => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const nullAt = (offset: number): PNode => ({ kind: 'scalar', value: null, at: at(offset) });
  for (const err of doc.errors) {
    const { line, col: column } = lineCounter.linePos(err.pos[0]);
    diagnostics.push({ file, line, column, message: `${json ? 'JSON' : 'YAML'} syntax error: ${firstLine(err.message)}` });
  }
  if (doc.errors.length > 0) return null;
  let aliasNodes = 0;
  let reported = false;
  // What it returns is never seen: the diagnostic makes the whole reading null.
  const tooMuch = (start: number, message: string): PNode => {
    if (!reported) diagnostics.push({ ...at(start), message, hint: 'write the value out, or split the file' });
    reported = true;
    return nullAt(start);
  };
  // `inAlias`: nodes copied by an alias count against MAX_ALIAS_NODES, so a few lines cannot expand to millions.
  const convert = (node: YamlNode | null | undefined, fallback: number, depth = 0, inAlias = false): PNode => {
    // A missing value (`{a, b: 1}`) is null at its key; every node `yaml` composes has a range.
    if (node == null) return nullAt(fallback);
    const start = node.range![0];
    if (depth > MAX_DEPTH) return tooMuch(start, `tables or lists are nested more than ${MAX_DEPTH} deep here`);
    if (inAlias && ++aliasNodes > MAX_ALIAS_NODES) return tooMuch(start, `aliases here expand to more than ${MAX_ALIAS_NODES} values`);
    if (isAlias(node)) return convert(node.resolve(doc) as YamlNode, start, depth + 1, true);
    const child = (n: YamlNode | null | undefined, f: number) => convert(n, f, depth + 1, inAlias);
    if (isMap(node)) {
      const entries: PMap['entries'] = new Map();
      for (const pair of node.items) {
        // `yaml` composes every key as a node, an empty one too (`: x`).
        const keyNode = pair.key as YamlNode;
        const keyStart = keyNode.range![0];
        // A scalar key is named by its value (`yaml`'s Scalar.toString), a table or list by its text.
        const key = String(keyNode);
        const earlier = entries.get(key);
        if (earlier) {
          diagnostics.push({ ...at(keyStart), message: `the key \`${key}\` appears twice in one table (first at line ${earlier.key.line})`, hint: 'merge the two entries, or split them across files' });
          continue;
        }
        entries.set(key, { key: at(keyStart), value: child(pair.value as YamlNode, keyStart) });
      }
      return { kind: 'map', entries, at: at(start) };
    }
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => child(item as YamlNode, start)), at: at(start) };
    // What is left is a scalar (`yaml` composes aliases, maps, sequences and scalars only).
    // A number keeps the text it was written as: an environment value `1.10` stays "1.10", not 1.1.
    const value = (node as { value: unknown }).value;
    const text = typeof value === 'number' ? (node as { source?: string }).source : undefined;
    return { kind: 'scalar', value: toScalar(value), at: at(start), ...(text !== undefined ? { text } : {}) };
  };
  const before = diagnostics.length;
  const root = doc.contents == null ? null : convert(doc.contents as YamlNode, 0);
  return diagnostics.length > before ? null : root;
}

/** JSON.parse's complaint, placed at its line and column, in one line of its own words. */
function jsonSyntaxError(text: string): { line: number; column: number; message: string } | null {
  const message = jsonParseFailure(text);
  if (message === '') return null;
  // V8 names the offset of most errors (`... in JSON at position 8`), not of an unexpected token: it quotes
  // the text around that one instead (`Unexpected token 'x', ..."a": x}" is not valid JSON`).
  const named = / at position (\d+)/.exec(message);
  const offset = named ? Number(named[1]) : message.startsWith('Unexpected token') ? unexpectedTokenOffset(text) : text.length;
  const before = text.slice(0, offset).split('\n');
  const words = message.replace(/(?: in JSON)? at position .*/, '').replace(/, (?:\.\.\.)?".*/s, '');
  return { line: before.length, column: before[before.length - 1].length + 1, message: `JSON syntax error: ${words}` };
}

/** JSON.parse's message about `text`; '' when it reads. */
function jsonParseFailure(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** The offset of the unexpected token: the longest start of the text without it reads as an unfinished JSON text. */
function unexpectedTokenOffset(text: string): number {
  let good = 0; // text.slice(0, good) has no unexpected token
  let bad = text.length; // text.slice(0, bad) has it
  while (bad - good > 1) {
    const middle = (good + bad) >> 1;
    if (jsonParseFailure(text.slice(0, middle)).startsWith('Unexpected token')) bad = middle;
    else good = middle;
  }
  return good;
}

/** A parsed value as a scalar: a date (TOML, YAML `!!timestamp`) as its ISO text, anything else (a string, YAML `!!binary`) as its text. */
function toScalar(value: unknown): Scalar {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

function parseToml(file: string, text: string, diagnostics: Diagnostic[]): PNode | null {
  let data: Record<string, unknown>;
  try {
    data = lazyRequire<typeof import('@iarna/toml')>('@iarna/toml').parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as { line?: number; col?: number; message?: string };
    diagnostics.push({
      file,
      line: (e.line ?? 0) + 1,
      column: (e.col ?? 0) + 1,
      message: `TOML syntax error: ${firstLine(e.message ?? String(err))}`,
    });
    return null;
  }
  // @iarna/toml returns plain values; positions come from a scan of the text by key path.
  const positions = tomlPositions(text);
  const at = (keyPath: string[], parent: Origin): Origin => {
    const p = positions.get(keyPath.join('\u0000'));
    return p ? { file, line: p.line, column: p.column } : parent;
  };
  const convert = (value: unknown, keyPath: string[], parent: Origin): PNode => {
    const here = at(keyPath, parent);
    if (Array.isArray(value)) {
      return { kind: 'list', items: value.map((v, i) => convert(v, [...keyPath, String(i)], here)), at: here };
    }
    // TOML has no null: an object is a table or a date.
    if (typeof value === 'object' && !(value instanceof Date)) {
      const entries: PMap['entries'] = new Map();
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const child = [...keyPath, k];
        entries.set(k, { key: at(child, here), value: convert(v, child, here) });
      }
      return { kind: 'map', entries, at: here };
    }
    // @iarna/toml returns a BigInt beyond 2^53, and wraps beyond 64 bits (2^64+1 reads as 1). The diagnostic drops the tree.
    if (typeof value === 'bigint') diagnostics.push({ ...here, message: 'this integer is too large (beyond 2^53); no setting takes one', hint: 'a port is 1 to 65535' });
    // TOML keeps no text of a number: `tomlNumber` lets a string-only field refuse it rather than change it.
    return { kind: 'scalar', value: toScalar(value), at: here, ...(typeof value === 'number' ? { text: null } : {}) };
  };
  const before = diagnostics.length;
  const root = convert(data, [], { file, line: 1, column: 1 });
  return diagnostics.length > before ? null : root;
}

/** The message's first line, without the place @iarna/toml appends (the diagnostic has it already). */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at row \d+, col \d+, pos \d+:/, '');
}
