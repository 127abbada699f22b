// The fast way through a YAML (or JSON) declaration: js-yaml's flat event stream
// (offsets into the text, no node objects) turned straight into a positioned tree.
// It is about five times faster than composing a `yaml` Document, which at 10,000
// services was most of a run. It takes only the plain subset declarations are
// written in; anything else (an error, a tag, an anchor or alias, an empty value, a
// directive, several documents) returns `undefined` and the caller composes the
// document with `yaml`, whose messages and positions stay the ones users see.
// test/yaml-events.test.ts holds the two paths to the same tree on every fixture
// and on generated documents.
import { EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE, type Event, type ScalarEvent } from 'js-yaml';
import type { Diagnostic, Origin } from '../model.js';
import type { PMap, PNode, Scalar } from './tree.js';

/** Offsets → 1-based line and column, as `yaml`'s LineCounter gives them. */
export function lineLocator(file: string, text: string): (offset: number) => Origin {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    // The line is the number of line starts at or before the offset: those below `lo` are, those from `hi` on are not.
    let lo = 1;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= offset) lo = mid + 1;
      else hi = mid;
    }
    return { file, line: lo, column: offset - starts[lo - 1] + 1 };
  };
}

const LONE_CR = /\r(?!\n)/;
// A document end marker before any content: js-yaml reads it as nothing, `yaml` as an
// empty document followed by another (and refuses the file).
const LEADING_DOCUMENT_END = /^(?:[ ]*(?:#[^\n]*)?\r?\n)*\.\.\.(?![^\s])/;

type Frame = { node: PMap; key: { name: string; at: Origin; duplicate: boolean } | null } | { node: Extract<PNode, { kind: 'list' }> };

/**
 * The tree, `null` for a document with diagnostics (duplicate keys, reported
 * here as the composed path reports them), or `undefined` when the text is
 * outside the subset this path reads.
 */
export function treeFromEvents(text: string, at: (offset: number) => Origin, maxDepth: number, diagnostics: Diagnostic[]): PNode | null | undefined {
  // Tabs, lone carriage returns and `...` are where the two parsers were seen to disagree (js-yaml
  // accepting what `yaml` refuses): such a text is left to `yaml`.
  if (text.includes('\t') || LONE_CR.test(text) || LEADING_DOCUMENT_END.test(text)) return undefined;
  let events: Event[];
  try {
    // Two levels short of the composed path's bound: a document near it is left to that path to judge.
    events = parseEvents(text, { maxDepth: maxDepth - 2 });
  } catch {
    return undefined;
  }
  const stack: Frame[] = [];
  let root: PNode | undefined;
  let documents = 0;
  // Kept apart until the end: a document handed to the composed path is reported by it alone.
  const found: Diagnostic[] = [];

  /** Places a finished node in its parent; false when it cannot be read here (a key that is not a scalar). */
  const place = (node: PNode, keyText?: string): boolean => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      root = node;
      return true;
    }
    if (!('key' in parent)) {
      parent.node.items.push(node);
      return true;
    }
    if (parent.key === null) {
      if (keyText === undefined) return false;
      const earlier = parent.node.entries.get(keyText);
      if (earlier) found.push({ ...node.at, message: `the key \`${keyText}\` appears twice in one table (first at line ${earlier.key.line})`, hint: 'merge the two entries, or split them across files' });
      // A repeated key's value is not kept: the first one stays, for the next repeat's message.
      parent.key = { name: keyText, at: node.at, duplicate: earlier !== undefined };
    } else {
      if (!parent.key.duplicate) parent.node.entries.set(parent.key.name, { key: parent.key.at, value: node });
      parent.key = null;
    }
    return true;
  };

  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1 || event.directives.length > 0) return undefined;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (event.anchorStart !== -1 || event.tagStart !== -1) return undefined;
        const here = at(event.start);
        const frame: Frame = event.type === EVENT_ID.MAPPING ? { node: { kind: 'map', entries: new Map(), at: here }, key: null } : { node: { kind: 'list', items: [], at: here } };
        // A collection as a key (`? [a, b]`) is not in the subset: `place` refuses it where it ends.
        stack.push(frame);
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (frame === undefined) break; // the document's end
        if (!place(frame.node)) return undefined;
        break;
      }
      case EVENT_ID.SCALAR: {
        const scalar = scalarNode(text, event, at);
        if (scalar === undefined) return undefined;
        place(scalar.node, scalar.keyText); // a scalar always has a place
        break;
      }
      default:
        // An alias: `yaml` resolves it and counts what it copies.
        return undefined;
    }
  }
  // No document (an empty text) leaves `root` undefined, and `found` empty.
  diagnostics.push(...found);
  return found.length > 0 ? null : root;
}

function scalarNode(text: string, event: ScalarEvent, at: (offset: number) => Origin): { node: PNode; keyText: string } | undefined {
  // An empty value's position is where `yaml` says it is: left to it.
  if (event.anchorStart !== -1 || event.tagStart !== -1 || event.valueStart === -1) return undefined;
  const raw = getScalarValue(text, event);
  switch (event.style) {
    case SCALAR_STYLE.PLAIN: {
      const value = resolvePlain(raw);
      const node: PNode = { kind: 'scalar', value, at: at(event.valueStart), ...(typeof value === 'number' ? { text: raw } : {}) };
      return { node, keyText: String(value) };
    }
    case SCALAR_STYLE.SINGLE_QUOTED:
    case SCALAR_STYLE.DOUBLE_QUOTED:
      // `yaml` places a quoted scalar at its opening quote.
      return { node: { kind: 'scalar', value: raw, at: at(event.valueStart - 1) }, keyText: raw };
    default: {
      const header = blockHeaderOffset(text, event.valueStart);
      if (header === undefined) return undefined;
      return { node: { kind: 'scalar', value: raw, at: at(header) }, keyText: raw };
    }
  }
}

/**
 * A block scalar is placed at its `|` or `>`, on the line before its content.
 * Only an unambiguous header line is read here (no quote, no comment).
 */
function blockHeaderOffset(text: string, contentStart: number): number | undefined {
  const end = contentStart - 1;
  if (text[end] !== '\n') return undefined;
  const start = text.lastIndexOf('\n', end - 1) + 1;
  const line = text.slice(start, end);
  if (/["'#]/.test(line)) return undefined;
  const match = /[|>][1-9+-]{0,2}[ \t]*$/.exec(line);
  return match ? start + match.index : undefined;
}

// The first characters a scalar of any other type than a string can start with.
const MAYBE_SPECIAL = /^[~.+\-0-9nNtTfF]/;
// YAML 1.2's core schema, exactly as `yaml` resolves a plain scalar (its schema/core tags, in its order).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

export function resolvePlain(raw: string): Scalar {
  // Most plain scalars are words: one character test settles them.
  if (!MAYBE_SPECIAL.test(raw)) return raw;
  if (NULL.test(raw)) return null;
  if (BOOL.test(raw)) return raw[0] === 't' || raw[0] === 'T';
  if (INT_OCT.test(raw)) return parseInt(raw.substring(2), 8);
  // A decimal integer is read by FLOAT below: parseFloat gives what parseInt(raw, 10) gives.
  if (INT_HEX.test(raw)) return parseInt(raw, 16); // parseInt drops the `0x` itself
  if (FLOAT_NAN.test(raw)) return raw.slice(-3).toLowerCase() === 'nan' ? NaN : raw[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT.test(raw)) return parseFloat(raw);
  return raw;
}
