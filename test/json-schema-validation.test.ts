// The JSON Schema for editors (`atelier-emit schema`), read by a JSON Schema
// validator (Ajv, draft 2020-12) as an editor would: every declaration the
// CLI accepts is valid against it, and the mistakes an editor should flag
// (a typo'd key, a value out of range, a bad name) are flagged where they are.
import * as fs from 'node:fs';
import * as path from 'node:path';
import TOML from '@iarna/toml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { jsonSchema } from '../src/declarations/json-schema.js';

const ROOT = path.resolve(__dirname, '..');
// A fresh validator for each check: the schema is built inside the test that uses it (Stryker's
// per-test coverage credits only code run inside a test), and Ajv keeps one schema per $id.
function errors(doc: unknown): string[] {
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(jsonSchema());
  return validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`);
}

function read(file: string): unknown {
  const text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.toml')) return TOML.parse(text);
  if (file.endsWith('.json')) return JSON.parse(text);
  return YAML.parse(text);
}

const base = { services: { app: { enable: true, runtime: 'node', port: 3000, domain: 'app.example.com' } } };
const withService = (extra: Record<string, unknown>) => ({ services: { app: { ...base.services.app, ...extra } } });

describe('the JSON Schema, read by Ajv', () => {
  it('is itself a valid draft 2020-12 schema', () => {
    expect(new Ajv2020({ strict: false }).validateSchema(jsonSchema())).toBe(true);
  });

  it('accepts every declaration of the good fixtures', () => {
    const files = ['seed', 'seed-json', 'seed-toml', 'fleet', 'split', 'hostile', 'rfc2136'].flatMap((f) => fs.readdirSync(path.join(ROOT, 'fixtures', f)).filter((n) => /\.(ya?ml|toml|json)$/.test(n)).map((n) => path.join(ROOT, 'fixtures', f, n)));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) expect(errors(read(file)), path.relative(ROOT, file)).toEqual([]);
    expect(errors({ $schema: './atelier.schema.json', ...base })).toEqual([]);
  });

  it('flags a typo in a closed table, and lets a service take extra options', () => {
    expect(errors({ host: { caddy: { tsl: 'dns' } } })).toEqual(['/host/caddy additionalProperties']);
    expect(errors({ servces: {} })).toEqual([' additionalProperties']);
    expect(errors(withService({ metricsPort: 9100 }))).toEqual([]);
  });

  it('flags values out of their range or set', () => {
    expect(errors(withService({ port: 70000 }))).toEqual(['/services/app/port maximum']);
    expect(errors(withService({ port: 0 }))).toEqual(['/services/app/port minimum']);
    expect(errors(withService({ port: 3.5 }))).toEqual(['/services/app/port type']);
    expect(errors(withService({ runtime: 'deno' }))).toEqual(['/services/app/runtime enum']);
    expect(errors(withService({ enable: 'yes' }))).toEqual(['/services/app/enable type']);
  });

  it('flags a name or path in the wrong form', () => {
    expect(errors({ services: { App: base.services.app } })).toContain('/services propertyNames');
    expect(errors(withService({ dataDir: 'relative/dir' }))).toEqual(['/services/app/dataDir pattern']);
    expect(errors(withService({ dataDir: '/home/app' }))).toEqual(['/services/app/dataDir pattern']);
    expect(errors(withService({ data: { sqlite: 'data/app.db' } }))).toEqual(['/services/app/data/sqlite pattern']);
    // A value that starts with a placeholder takes its form once resolved (the CLI checks it then).
    expect(errors(withService({ dataDir: '/srv/${name}', data: { sqlite: '${dataDir}/data/app.db' } }))).toEqual([]);
    expect(errors(withService({ environment: { 'BAD-NAME': 'x' } }))).toContain('/services/app/environment propertyNames');
  });

  it('knows null where a value may be unset, and only there', () => {
    expect(errors(withService({ domain: null, caddy: { enable: false } }))).toEqual([]);
    expect(errors(withService({ runtime: null }))).toEqual(['/services/app/runtime enum']);
  });
});
