// The structure pass: checks each value's type against the schema, reports
// unknown keys with a suggestion, and fills in defaults. String formats are
// checked later, once placeholders are resolved (see value-formats.ts).
import type { Diagnostic, Origin } from '../model.js';
import type { DefaultContext, Field, ObjectField } from './schema.js';
import { closest } from './suggest.js';
import { describeNode, type PNode } from './tree.js';

export interface StructureContext {
  diagnostics: Diagnostic[];
  /** Value positions by dotted path (relative to the service or host being validated). */
  origins: Record<string, Origin>;
  defaults: Omit<DefaultContext, 'siblings'>;
  /** Used for a defaulted value's messages and for keys missing entirely. */
  at: Origin;
}

export function expectation(field: Field): string {
  switch (field.kind) {
    case 'string':
      return field.nullable ? 'a string or null' : 'a string';
    case 'int': {
      const range =
        field.min !== undefined && field.max !== undefined
          ? ` from ${field.min} to ${field.max}`
          : field.min !== undefined
            ? ` of at least ${field.min}`
            : '';
      return `${field.max === 65535 ? 'a port (an integer' : 'an integer'}${range}${field.max === 65535 ? ')' : ''}${field.nullable ? ' or null' : ''}`;
    }
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${field.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'list':
      return field.acceptSingle ? 'a string or a list of strings' : 'a list';
    case 'record':
    case 'object':
      return 'a table';
    case 'any':
      return 'a value';
    case 'oneOf':
      return field.expected;
  }
}

/** The option of `field` whose shape is the node's: a scalar, a table or a list. */
export function optionFor(field: Field & { kind: 'oneOf' }, shape: 'scalar' | 'map' | 'list'): Field | undefined {
  const shapeOf = (f: Field) => (f.kind === 'object' || f.kind === 'record' ? 'map' : f.kind === 'list' ? 'list' : 'scalar');
  return field.options.find((f) => shapeOf(f) === shape);
}

/** Validates `node` (undefined: not given) against `field`; returns the value with defaults, or undefined after an error. */
export function validateField(
  field: Field,
  node: PNode | undefined,
  path: string,
  ctx: StructureContext,
  siblings: Record<string, unknown> = {},
  parentAt: Origin = ctx.at,
): unknown {
  if (node === undefined) return defaultOf(field, path, ctx, siblings, parentAt);
  ctx.origins[path] = node.at;
  const wrong = (): undefined => {
    ctx.diagnostics.push({ ...node.at, message: `\`${path}\` must be ${expectation(field)}, not ${describeNode(node)}` });
    return undefined;
  };
  switch (field.kind) {
    case 'any':
      return plain(node);
    case 'string':
      if (node.kind !== 'scalar') return wrong();
      if (node.value === null) return field.nullable ? null : wrong();
      if (typeof node.value === 'string') return node.value;
      if (!field.coerce) return wrong();
      if (typeof node.value === 'number' && node.text === null) {
        ctx.diagnostics.push({ ...node.at, message: `\`${path}\` is a string: write this number in quotes`, hint: 'TOML keeps no text of a number (1.10 would become 1.1), so the value must be a string' });
        return undefined;
      }
      // The text as written: YAML's 1.10 is "1.10" and 01234 "01234", not 1.1 and 1234.
      return typeof node.value === 'number' && typeof node.text === 'string' ? node.text : String(node.value);
    case 'int':
      if (node.kind !== 'scalar') return wrong();
      if (node.value === null) return field.nullable ? null : wrong();
      if (typeof node.value !== 'number' || !Number.isInteger(node.value)) return wrong();
      if ((field.min !== undefined && node.value < field.min) || (field.max !== undefined && node.value > field.max)) return wrong();
      return node.value;
    case 'bool':
      return node.kind === 'scalar' && typeof node.value === 'boolean' ? node.value : wrong();
    case 'enum':
      return node.kind === 'scalar' && typeof node.value === 'string' && field.values.includes(node.value) ? node.value : wrong();
    case 'list': {
      if (field.acceptSingle && node.kind === 'scalar' && typeof node.value === 'string') {
        ctx.origins[`${path}.0`] = node.at;
        return [node.value];
      }
      if (node.kind !== 'list') return wrong();
      return node.items.map((item, i) => validateField(field.items, item, `${path}.${i}`, ctx));
    }
    case 'record': {
      if (node.kind !== 'map') return wrong();
      const out: Record<string, unknown> = {};
      // defineProperty: a key `__proto__` is an environment variable like any other, not the object's prototype.
      for (const [key, entry] of node.entries) Object.defineProperty(out, key, { value: validateField(field.values, entry.value, `${path}.${key}`, ctx), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case 'object':
      if (node.kind !== 'map') return wrong();
      return validateObject(field, node, path, ctx);
    case 'oneOf': {
      const option = optionFor(field, node.kind);
      return option ? validateField(option, node, path, ctx) : wrong();
    }
  }
}

/** Validates a table with fixed keys. */
export function validateObject(field: ObjectField, node: PNode & { kind: 'map' }, path: string, ctx: StructureContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of node.entries) {
    if (!(key in field.fields)) {
      const suggestion = closest(key, Object.keys(field.fields));
      ctx.diagnostics.push({
        ...entry.key,
        message: `unknown key \`${key}\`${path ? ` in \`${path}\`` : ''}`,
        hint: suggestion ? `did you mean \`${suggestion}\`?` : `known keys: ${Object.keys(field.fields).join(', ')}`,
      });
    }
  }
  for (const [key, child] of Object.entries(field.fields)) {
    out[key] = validateField(child, node.entries.get(key)?.value, path ? `${path}.${key}` : key, ctx, out, node.at);
  }
  return out;
}

function defaultOf(field: Field, path: string, ctx: StructureContext, siblings: Record<string, unknown>, at: Origin): unknown {
  switch (field.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(field.fields)) out[key] = defaultOf(child, `${path}.${key}`, ctx, out, at);
      return out;
    }
    case 'record':
      // A copy: each service that leaves the option unset gets a table of its own.
      return field.default ? { ...field.default } : {};
    case 'any':
      return undefined;
    case 'list':
      return field.default ? [...field.default] : [];
    default: {
      const d = field.kind === 'oneOf' ? undefined : field.default;
      if (d === undefined) {
        ctx.diagnostics.push({ ...at, message: `\`${path}\` is required: ${expectation(field)}` });
        return undefined;
      }
      return typeof d === 'function' ? d({ ...ctx.defaults, siblings }) : d;
    }
  }
}

/** A positioned node as a plain value (for `any` fields). */
export function plain(node: PNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'list') return node.items.map(plain);
  return Object.fromEntries([...node.entries].map(([k, e]) => [k, plain(e.value)]));
}
