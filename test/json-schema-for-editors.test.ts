// The JSON Schema as an editor sees it (`atelier-emit schema`): its identity,
// each field's description and static default (never a computed one), the
// patterns that let a placeholder through where a value may start with one,
// and the shapes of lists and either-or values, checked both as text and by
// validating declarations against it with Ajv.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { jsonSchema } from '../src/declarations/json-schema.js';

type Json = Record<string, any>;
const serviceOf = (s: Json): Json => s.properties.services.additionalProperties.properties;
const hostOf = (s: Json): Json => s.properties.host.properties;

function errors(doc: unknown): string[] {
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(jsonSchema());
  return validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`);
}
const app = { enable: true, runtime: 'node', port: 3000, domain: 'app.example.com' };
const withService = (extra: Json) => ({ services: { app: { ...app, ...extra } } });

describe('the schema document', () => {
  it('names itself and the draft it is written in', () => {
    const s = jsonSchema();
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe('https://atelier-emit.invalid/atelier.schema.json');
    expect(s.title).toBe('atelier-emit declarations');
    expect(s.description).toBe('An atelier-emit declaration file');
    expect(Object.keys(s.properties as Json)).toEqual(['host', 'services', '$schema']);
  });

  it('lets a file name its schema with a string $schema, and only a string', () => {
    expect((jsonSchema().properties as Json).$schema).toEqual({ type: 'string', description: 'Path or URL of this schema, for editors' });
    expect(errors({ $schema: 'https://atelier-emit.invalid/atelier.schema.json', ...withService({}) })).toEqual([]);
    expect(errors({ $schema: 5, ...withService({}) })).toEqual(['/$schema type']);
  });
});

describe('what an editor shows for a field', () => {
  it('each field carries its description', () => {
    const svc = serviceOf(jsonSchema());
    expect(svc.port.description).toBe('Port the service listens on');
    expect(svc.data.description).toBe('What the backup system backs up');
    expect(svc.data.properties.keep.properties.last.description).toBe('restic --keep-last');
    expect(svc.environment.description).toBe('Additional environment variables');
    expect(svc.environment.additionalProperties.description).toBe('value');
    expect(hostOf(jsonSchema()).caddy.properties.dnsSettings.additionalProperties.description).toBe("A literal value, or {env: NAME} to read it from Caddy's environment at start");
  });

  it('a static default is shown, null and false and empty lists included', () => {
    const svc = serviceOf(jsonSchema());
    expect(svc.enable.default).toBe(false);
    expect(svc.runtime.default).toBe('bun');
    expect(svc.startCommand.default).toBeNull();
    expect(svc.data.properties.exclude.default).toEqual(['*.log', 'node_modules', '.git', 'cache', 'tmp']);
    expect(svc.data.properties.keep.properties.last.default).toBeNull();
    expect(hostOf(jsonSchema()).backup.properties.prune.properties.keepDaily.default).toBe(7);
  });

  it('a default computed from other values is not shown at all', () => {
    const s = jsonSchema();
    for (const field of [serviceOf(s).port, serviceOf(s).dataDir, serviceOf(s).description, hostOf(s).backup.properties.repositoryFile, hostOf(s).backup.properties.passwordFile]) {
      expect(Object.keys(field)).not.toContain('default');
    }
    // A field with no default at all has no key for one either.
    expect(Object.keys(serviceOf(s).extraOptions.additionalProperties.properties.type)).toEqual(['description', 'enum']);
  });

  it('an integer shows the bounds it has, and no bound it has not', () => {
    const svc = serviceOf(jsonSchema());
    expect(svc.port).toEqual({ description: 'Port the service listens on', type: 'integer', minimum: 1, maximum: 65535 });
    expect(Object.keys(svc.data.properties.keep.properties.last)).toEqual(['description', 'type', 'minimum', 'default']);
    expect(Object.keys(svc.caddy.properties.rateLimit.properties.events)).toEqual(['description', 'type', 'minimum', 'default']);
  });
});

describe('patterns', () => {
  it('a path lets a leading placeholder through; other forms are anchored as they are', () => {
    const s = jsonSchema();
    expect(serviceOf(s).dataDir.pattern).toBe('^(?:\\$\\{|/(var/lib|srv)/[^/:])');
    expect(serviceOf(s).data.properties.files.items.pattern).toBe('^(?:\\$\\{|/)');
    expect(hostOf(s).systemctl.pattern).toBe('^(?:\\$\\{|/[A-Za-z0-9._/+-]*/systemctl$)');
    expect(hostOf(s).runtimes.properties.node.pattern).toBe('^[^-@:+!|]');
    expect(hostOf(s).servicesGroup.pattern).toBe('^[a-z][a-z0-9-]{0,30}$');
    expect(hostOf(s).caddy.properties.dnsTokenEnv.pattern).toBe('^[A-Za-z_][A-Za-z0-9_]*$');
  });

  it('a name is not let through by a placeholder', () => {
    expect(errors({ host: { servicesGroup: '${name}' } })).toEqual(['/host/servicesGroup pattern']);
    expect(errors({ host: { caddy: { dnsTokenEnv: '${TOKEN}' } } })).toEqual(['/host/caddy/dnsTokenEnv pattern']);
    expect(errors(withService({ data: { files: ['${dataDir}/uploads', '/srv/shared'] } }))).toEqual([]);
    expect(errors(withService({ data: { files: ['uploads'] } }))).toEqual(['/services/app/data/files/0 pattern']);
  });
});

describe('lists and either-or values', () => {
  it('a list is an array of its items, with its default', () => {
    expect(serviceOf(jsonSchema()).data.properties.files).toEqual({
      description: 'Additional file paths to back up',
      type: 'array',
      items: { description: 'a path', type: 'string', pattern: '^(?:\\$\\{|/)' },
      default: [],
    });
    expect(errors(withService({ data: { files: '/srv/x' } }))).toEqual(['/services/app/data/files type']);
  });

  it('a list that takes a single string is either one', () => {
    expect(serviceOf(jsonSchema()).extraConfig.properties.preStart).toEqual({
      description: 'Shell lines run after the generated first-start steps',
      anyOf: [
        { description: 'a shell line', type: 'string' },
        { type: 'array', items: { description: 'a shell line', type: 'string' }, default: [] },
      ],
    });
    expect(errors(withService({ extraConfig: { preStart: 'echo one' } }))).toEqual([]);
    expect(errors(withService({ extraConfig: { preStart: ['echo one', 'echo two'] } }))).toEqual([]);
    expect(errors(withService({ extraConfig: { preStart: 5 } }))).toEqual(['/services/app/extraConfig/preStart type', '/services/app/extraConfig/preStart type', '/services/app/extraConfig/preStart anyOf']);
  });

  it('a DNS setting is a string or {env: NAME}, nothing else', () => {
    const setting = hostOf(jsonSchema()).caddy.properties.dnsSettings.additionalProperties;
    expect(setting.anyOf.map((o: Json) => o.type)).toEqual(['string', 'object']);
    const caddy = (key: unknown) => ({ host: { caddy: { tls: 'dns', dnsProvider: 'rfc2136', dnsSettings: { key } } } });
    expect(errors(caddy('literal'))).toEqual([]);
    expect(errors(caddy({ env: 'TSIG_KEY' }))).toEqual([]);
    expect(errors(caddy(5))).toContain('/host/caddy/dnsSettings/key anyOf');
    expect(errors(caddy({ env: 'TSIG_KEY', file: '/x' }))).toContain('/host/caddy/dnsSettings/key anyOf');
  });
});
