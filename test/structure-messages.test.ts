// The structure pass (src/declarations/validate.ts) as a user reads it: what a
// value of the wrong type is told it must be, at the value's own line and
// column; range limits inclusive at both ends; unknown keys with the table
// they are in; missing required keys; and the defaults a service gets.
import { describe, expect, it } from 'vitest';
import { parseDeclaration } from '../src/declarations/load.js';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import type { Field } from '../src/declarations/schema.js';
import { expectation, optionFor, plain, validateField, type StructureContext } from '../src/declarations/validate.js';
import type { Diagnostic } from '../src/model.js';

const svc = (fields: string) => `services:\n  app:\n    enable: true\n    domain: app.example.com\n${fields}`;
function errors(text: string, file = 'a.yaml'): string[] {
  return resolveDeclarations([{ file, text }]).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}${d.hint ? ` | ${d.hint}` : ''}`);
}
function service(text: string, file = 'a.yaml') {
  const result = resolveDeclarations([{ file, text }]);
  expect(result.diagnostics).toEqual([]);
  return result.model!.services[0];
}

describe('a value of the wrong type', () => {
  it('is told what a string field takes, nullable or not', () => {
    expect(errors(svc('    entryPoint: 5\n'))).toEqual(['5:17 `entryPoint` must be a string, not the number 5']);
    expect(errors('services:\n  app:\n    enable: true\n    domain: 5\n')).toEqual(['4:13 `domain` must be a string or null, not the number 5']);
  });

  it('is told the range of an integer: a port, a minimum, or none', () => {
    expect(errors(svc('    port: 0\n'))).toEqual(['5:11 `port` must be a port (an integer from 1 to 65535), not the number 0']);
    expect(errors(svc('    caddy:\n      rateLimit:\n        events: 0\n'))).toEqual(['7:17 `caddy.rateLimit.events` must be an integer of at least 1, not the number 0']);
    expect(errors(svc('    data:\n      keep:\n        last: -1\n'))).toEqual(['7:15 `data.keep.last` must be an integer of at least 0 or null, not the number -1']);
    expect(errors(svc('    extraOptions:\n      WORKERS:\n        type: int\n    WORKERS: "many"\n'))).toEqual(['8:14 `WORKERS` must be an integer or null, not the string "many"']);
    expect(errors(svc('    extraOptions:\n      METRICS:\n        type: port\n    METRICS: "x"\n'))).toEqual(['8:14 `METRICS` must be a port (an integer from 1 to 65535) or null, not the string "x"']);
  });

  it('is told true or false, a list, a table, or one of the values', () => {
    expect(errors('services:\n  app:\n    enable: "yes"\n    domain: a.example.com\n')).toEqual(['3:13 `enable` must be true or false, not the string "yes"']);
    expect(errors(svc('    data:\n      files: /srv/x\n'))).toEqual(['6:14 `data.files` must be a list, not the string "/srv/x"']);
    expect(errors(svc('    extraConfig:\n      preStart: 5\n'))).toEqual(['6:17 `extraConfig.preStart` must be a string or a list of strings, not the number 5']);
    expect(errors(svc('    data: 5\n'))).toEqual(['5:11 `data` must be a table, not the number 5']);
    expect(errors(svc('    environment: 5\n'))).toEqual(['5:18 `environment` must be a table, not the number 5']);
    expect(errors(svc('    runtime: deno\n'))).toEqual(['5:14 `runtime` must be one of "bun", "node", "custom", not the string "deno"']);
    expect(errors('host:\n  caddy:\n    dnsSettings:\n      key: [1]\n')).toEqual(['4:12 `caddy.dnsSettings.key` must be a string or {env: NAME}, not a list']);
  });

  it('names the words for every kind of field', () => {
    const d = { description: '' };
    const cases: [Field, string][] = [
      [{ kind: 'string', ...d }, 'a string'],
      [{ kind: 'string', nullable: true, ...d }, 'a string or null'],
      [{ kind: 'int', ...d }, 'an integer'],
      [{ kind: 'int', min: 2, max: 9, ...d }, 'an integer from 2 to 9'],
      [{ kind: 'int', min: 1, max: 65535, nullable: true, ...d }, 'a port (an integer from 1 to 65535) or null'],
      [{ kind: 'bool', ...d }, 'true or false'],
      [{ kind: 'list', items: { kind: 'string', ...d }, ...d }, 'a list'],
      [{ kind: 'list', acceptSingle: true, items: { kind: 'string', ...d }, ...d }, 'a string or a list of strings'],
      [{ kind: 'record', values: { kind: 'string', ...d }, ...d }, 'a table'],
      [{ kind: 'object', fields: {}, ...d }, 'a table'],
      [{ kind: 'any', ...d }, 'a value'],
    ];
    for (const [field, words] of cases) expect(expectation(field), JSON.stringify(field)).toBe(words);
  });
});

describe('integer ranges', () => {
  it('take both ends', () => {
    expect(errors(svc('    port: 1\n'))).toEqual([]);
    expect(errors(svc('    port: 65535\n'))).toEqual([]);
    expect(errors(svc('    data:\n      keep:\n        last: 0\n'))).toEqual([]);
    expect(errors(svc('    port: 65536\n'))).toEqual(['5:11 `port` must be a port (an integer from 1 to 65535), not the number 65536']);
  });
});

describe('strings that may be written as numbers or booleans', () => {
  it('a string-only field refuses a number rather than turn it into text', () => {
    expect(errors(svc('    entryPoint: 1.10\n'))).toEqual(['5:17 `entryPoint` must be a string, not the number 1.1']);
  });

  it('an environment value keeps the number as written in YAML, and a boolean as true/false', () => {
    const s = service(svc('    environment:\n      VERSION: 1.10\n      CODE: 01234\n      DEBUG: true\n      OFF: false\n'));
    expect(s.environment).toEqual({ VERSION: '1.10', CODE: '01234', DEBUG: 'true', OFF: 'false' });
  });

  it('a TOML number in an environment value must be quoted; a TOML boolean is taken as true/false', () => {
    const toml = (env: string) => `[services.app]\nenable = true\ndomain = "a.example.com"\n\n[services.app.environment]\n${env}`;
    expect(resolveDeclarations([{ file: 'a.toml', text: toml('RATE = 1.10\n') }]).diagnostics).toEqual([
      { file: 'a.toml', line: 6, column: 8, message: '`environment.RATE` is a string: write this number in quotes', hint: 'TOML keeps no text of a number (1.10 would become 1.1), so the value must be a string' },
    ]);
    expect(service(toml('DEBUG = true\nRATE = "1.10"\n'), 'a.toml').environment).toEqual({ DEBUG: 'true', RATE: '1.10' });
  });
});

describe('lists', () => {
  it('reports a bad item at the item, with its index', () => {
    expect(errors(svc('    data:\n      files: ["/srv/a", "rel"]\n'))).toEqual(['6:25 `services.app.data.files.1` must be an absolute path (starting with /)']);
    expect(errors(svc('    data:\n      files:\n        - /srv/a\n        - rel\n'))).toEqual(['8:11 `services.app.data.files.1` must be an absolute path (starting with /)']);
  });

  it('a single string where a list is accepted is a one-item list, placed at the string', () => {
    const s = service(svc('    extraConfig:\n      preStart: "echo hi"\n'));
    expect(s.extraConfig.preStart).toEqual(['echo hi']);
    expect(s.origins['extraConfig.preStart.0']).toEqual({ file: 'a.yaml', line: 6, column: 17 });
  });

  it('an extra list option not set and without a default is an empty list, and a table one an empty table', () => {
    const s = service(svc('    extraOptions:\n      HOSTS:\n        type: list\n      TAGS:\n        type: table\n'));
    expect(s.extraOptions).toEqual({ HOSTS: { type: 'list', description: '', value: [] }, TAGS: { type: 'table', description: '', value: {} } });
  });

  it('an extra table or list option not set takes the default its declaration gives, and one set keeps its own value', () => {
    const options = '    extraOptions:\n      LABELS:\n        type: table\n        default: {tier: gold, size: 3}\n      HOSTS:\n        type: list\n        default: [a, b]\n';
    expect(service(svc(options)).extraOptions).toEqual({
      HOSTS: { type: 'list', description: '', value: ['a', 'b'] },
      LABELS: { type: 'table', description: '', value: { tier: 'gold', size: '3' } },
    });
    expect(service(svc(`${options}    LABELS: {tier: silver}\n`)).extraOptions.LABELS.value).toEqual({ tier: 'silver' });
  });

  it('a list default is copied, not shared between services', () => {
    const result = resolveDeclarations([{ file: 'a.yaml', text: 'services:\n  a:\n    enable: true\n    domain: a.example.com\n  b:\n    enable: true\n    port: 3001\n    domain: b.example.com\n' }]);
    const [a, b] = result.model!.services;
    expect(a.data.exclude).toEqual(['*.log', 'node_modules', '.git', 'cache', 'tmp']);
    expect(a.data.exclude).not.toBe(b.data.exclude);
  });
});

describe('keys', () => {
  it('an unknown key names the table it is in and suggests the closest known key', () => {
    expect(errors(svc('    data:\n      sqlit: /x\n'))).toEqual(['6:7 unknown key `sqlit` in `data` | did you mean `sqlite`?']);
    expect(errors(svc('    domian: a.example.com\n'))).toEqual(['5:5 unknown key `domian` | did you mean `domain`?']);
  });

  it('an unknown key like none of the known ones lists them all', () => {
    expect(errors(svc('    data:\n      zzzzzzzz: 1\n'))).toEqual([
      '6:7 unknown key `zzzzzzzz` in `data` | known keys: sqlite, stopForBackup, stopUnits, preBackup, postBackup, postgres, files, exclude, schedule, keep',
    ]);
  });

  it('a key without default that is missing is required, at the table that misses it', () => {
    expect(errors(svc('    caddy:\n      rateLimit:\n        routes:\n          - events: 5\n            window: 1m\n'))).toEqual(['8:13 `caddy.rateLimit.routes.0.path` is required: a string']);
    expect(errors(svc('    extraOptions:\n      FOO: {}\n'))).toEqual(['6:12 `extraOptions.FOO.type` is required: one of "port", "int", "string", "bool", "list", "table"']);
  });

  it('a required key in a table left out entirely is named by its full path', () => {
    const diagnostics: Diagnostic[] = [];
    const at = { file: 'a.yaml', line: 3, column: 5 };
    const ctx: StructureContext = { diagnostics, origins: {}, defaults: { name: 'app', host: { sysconfdir: '/etc' } }, at };
    const field: Field = {
      kind: 'object',
      description: '',
      fields: { inner: { kind: 'object', description: '', fields: { name: { kind: 'string', description: '' }, size: { kind: 'int', default: 2, description: '' } } } },
    };
    expect(validateField(field, undefined, 'outer', ctx)).toEqual({ inner: { name: undefined, size: 2 } });
    expect(diagnostics).toEqual([{ ...at, message: '`outer.inner.name` is required: a string' }]);
  });
});

describe('a value of one of several shapes', () => {
  it('takes the option of its own shape: a scalar, a table or a list', () => {
    const d = { description: '' };
    const scalar: Field = { kind: 'string', ...d };
    const record: Field = { kind: 'record', values: scalar, ...d };
    const list: Field = { kind: 'list', items: scalar, ...d };
    const field = { kind: 'oneOf', expected: 'x', options: [scalar, record, list], ...d } as const;
    expect(optionFor(field, 'scalar')).toBe(scalar);
    expect(optionFor(field, 'map')).toBe(record);
    expect(optionFor(field, 'list')).toBe(list);
    expect(optionFor({ ...field, options: [scalar] }, 'list')).toBeUndefined();
  });
});

describe('a value of any shape', () => {
  it('is kept as written: tables, lists and scalars', () => {
    const root = parseDeclaration('a.yaml', 'a: {b: [1, "x", null], c: {d: true}}\n', []).root!;
    expect(plain(root)).toEqual({ a: { b: [1, 'x', null], c: { d: true } } });
  });
});
