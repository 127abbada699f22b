// The JSON Schema of the declaration format, derived from schema.ts, for editors
// (`# yaml-language-server: $schema=…`, or `"$schema"` in a JSON file).
import { documentSchema, type Field } from './schema.js';

type Json = Record<string, unknown>;

const PATTERNS: Partial<Record<string, string>> = {
  'absolute-path': '^/',
  'data-dir': '^/(var/lib|srv)/[^/:]',
  'login-shell': '^/[^:]*$',
  'root-config-path': '^/',
  'sudoers-command': '^/[A-Za-z0-9._/+-]*/systemctl$',
  program: '^[^-@:+!|]',
  'group-name': '^[a-z][a-z0-9-]{0,30}$',
  'env-name': '^[A-Za-z_][A-Za-z0-9_]*$',
  'user-name': '^[a-z][a-z0-9-]{0,30}$',
  'module-name': '^[a-z0-9_]+$',
  'setting-name': '^[a-z][a-z0-9_]*$',
  duration: '^(\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h|d))+$',
};

export function jsonSchema(): Json {
  const root = toJsonSchema(documentSchema) as Json;
  (root.properties as Json).$schema = { type: 'string', description: 'Path or URL of this schema, for editors' };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://atelier-emit.invalid/atelier.schema.json',
    title: 'atelier-emit declarations',
    ...root,
  };
}

function toJsonSchema(field: Field): Json {
  const base: Json = { description: field.description };
  const staticDefault = 'default' in field && typeof field.default !== 'function' && field.default !== undefined ? { default: field.default } : {};
  switch (field.kind) {
    case 'string': {
      const format = field.format ? PATTERNS[field.format] : undefined;
      // A service's value may start with a placeholder (`sqlite: ${dataDir}/data/app.db`, the seed's own
      // example): its form is known only once resolved, which the CLI checks; the editor must not flag it.
      const pattern = format?.startsWith('^/') ? `^(?:\\$\\{|${format.slice(1)})` : format;
      const type = field.coerce ? ['string', 'number', 'boolean'] : field.nullable ? ['string', 'null'] : 'string';
      return { ...base, type, ...(pattern ? { pattern } : {}), ...staticDefault };
    }
    case 'int':
      return { ...base, type: field.nullable ? ['integer', 'null'] : 'integer', ...(field.min !== undefined ? { minimum: field.min } : {}), ...(field.max !== undefined ? { maximum: field.max } : {}), ...staticDefault };
    case 'bool':
      return { ...base, type: 'boolean', ...staticDefault };
    case 'enum':
      return { ...base, enum: [...field.values], ...staticDefault };
    case 'list': {
      const list = { type: 'array', items: toJsonSchema(field.items), ...staticDefault };
      return field.acceptSingle ? { ...base, anyOf: [toJsonSchema(field.items), list] } : { ...base, ...list };
    }
    case 'record':
      return {
        ...base,
        type: 'object',
        ...(field.keyFormat && PATTERNS[field.keyFormat] ? { propertyNames: { pattern: PATTERNS[field.keyFormat] } } : {}),
        additionalProperties: toJsonSchema(field.values),
      };
    case 'object':
      return {
        ...base,
        type: 'object',
        properties: Object.fromEntries(Object.entries(field.fields).map(([k, f]) => [k, toJsonSchema(f)])),
        // A service takes its extra options as further keys; every other table is closed.
        additionalProperties: field.open === true,
      };
    case 'any':
      return base;
    case 'oneOf':
      return { ...base, anyOf: field.options.map(toJsonSchema) };
  }
}
