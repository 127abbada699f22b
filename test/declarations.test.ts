import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DeclarationText } from '../src/declarations/resolve.js';
import type { Model } from '../src/model.js';
import { errors, model, yaml } from './support/resolve.js';

const fixture = (p: string): DeclarationText => ({ file: p, text: readFileSync(new URL(`../${p}`, import.meta.url), 'utf8') });

/** The model without positions and file names, which legitimately differ between formats. */
function comparable(m: Model) {
  return m.services.map(({ origins: _o, sources: _s, ...rest }) => rest);
}

describe('loading the three formats', () => {
  it('YAML, TOML and JSON versions of the seed example give the same model', () => {
    const fromYaml = model(fixture('fixtures/seed/atelier.yaml'));
    const fromToml = model(fixture('fixtures/seed-toml/atelier.toml'));
    const fromJson = model(fixture('fixtures/seed-json/atelier.json'));
    expect(comparable(fromToml)).toEqual(comparable(fromYaml));
    expect(comparable(fromJson)).toEqual(comparable(fromYaml));
    expect(fromYaml.services[0].environment.DATABASE_PATH).toBe('/var/lib/myapp/data/app.db');
  });

  it('keeps the line and column of TOML values for messages', () => {
    const m = model(fixture('fixtures/seed-toml/atelier.toml'));
    expect(m.services[0].origins.domain).toEqual({ file: 'fixtures/seed-toml/atelier.toml', line: 8, column: 10 });
    expect(m.services[0].origins['environment.DATABASE_PATH']).toMatchObject({ line: 14, column: 17 });
    expect(m.services[0].origins['data.sqlite']).toMatchObject({ line: 17, column: 10 });
  });

  it('keeps positions of YAML and JSON values', () => {
    const y = model(fixture('fixtures/seed/atelier.yaml'));
    expect(y.services[0].origins.domain).toMatchObject({ line: 10, column: 13 });
    const j = model(fixture('fixtures/seed-json/atelier.json'));
    expect(j.services[0].origins.domain).toMatchObject({ line: 10, column: 17 });
  });
});

describe('defaults', () => {
  it('fills in the seed defaults', () => {
    const [s] = model(yaml('services:\n  app:\n    enable: true\n    domain: app.example.com\n')).services;
    expect(s).toMatchObject({
      description: 'app service',
      runtime: 'bun',
      entryPoint: 'src/index.ts',
      port: 3000,
      dataDir: '/var/lib/app',
      secretsFile: null,
      data: { sqlite: null, stopForBackup: true, postgres: null, files: [], exclude: ['*.log', 'node_modules', '.git', 'cache', 'tmp'] },
      caddy: { enable: true, extraConfig: '', rateLimit: { enable: false, events: 60, window: '1m', key: '{client_ip}', routes: [] } },
    });
  });

  it('takes port from defaultPort unless port is set', () => {
    const m = model(yaml('services:\n  a:\n    enable: true\n    caddy: {enable: false}\n    defaultPort: 4000\n  b:\n    enable: true\n    caddy: {enable: false}\n    defaultPort: 4000\n    port: 4001\n'));
    expect(m.services.map((s) => s.port)).toEqual([4000, 4001]);
  });

  it('derives backup file defaults from host.sysconfdir', () => {
    const m = model(yaml('host:\n  sysconfdir: /opt/etc\nservices: {}\n'));
    expect(m.host.backup.repositoryFile).toBe('/opt/etc/atelier/restic/repository');
    expect(m.host.backup.passwordFile).toBe('/opt/etc/atelier/restic/password');
  });

  it('reports a bad host.sysconfdir once, not again for the defaults derived from it', () => {
    const found = errors(yaml('host:\n  sysconfdir: etc\nservices: {}\n'));
    expect(found.map((e) => e.message)).toEqual(['`host.sysconfdir` must be an absolute path (starting with /)']);
    const declared = errors(yaml('host:\n  sysconfdir: etc\n  backup:\n    passwordFile: relative\nservices: {}\n'));
    expect(declared.map((e) => `${e.line}: ${e.message}`)).toEqual([
      '2: `host.sysconfdir` must be an absolute path (starting with /)',
      '4: `host.backup.passwordFile` must be an absolute path (starting with /)',
    ]);
  });

  it('emits only enabled services', () => {
    const m = model(yaml('services:\n  on:\n    enable: true\n    domain: on.example.com\n  off:\n    domain: off.example.com\n'));
    expect(m.services.map((s) => s.name)).toEqual(['on']);
  });
});

describe('merging several files', () => {
  it('merges an app file and a host file key by key', () => {
    const m = model(
      yaml('services:\n  myapp:\n    runtime: node\n    environment:\n      A: "1"\n    data:\n      files: [/srv/a]\n', 'app.yaml'),
      yaml('services:\n  myapp:\n    enable: true\n    domain: myapp.example.com\n    environment:\n      B: "2"\n    data:\n      files: [/srv/b]\n', 'host.yaml'),
    );
    const [s] = m.services;
    expect(s.runtime).toBe('node');
    expect(s.environment).toEqual({ A: '1', B: '2' });
    expect(s.data.files).toEqual(['/srv/a', '/srv/b']);
    expect(s.sources).toEqual(['app.yaml', 'host.yaml']);
  });

  it('accepts the same scalar given twice with the same value', () => {
    model(yaml('services:\n  a:\n    port: 3000\n', 'one.yaml'), yaml('services:\n  a:\n    port: 3000\n', 'two.yaml'));
  });

  it('names both places when one scalar gets two values', () => {
    const [d] = errors(yaml('services:\n  a:\n    port: 3000\n', 'one.yaml'), yaml('services:\n  a:\n    port: 3001\n', 'two.yaml'));
    expect(d).toMatchObject({ file: 'two.yaml', line: 3, column: 11 });
    expect(d.message).toContain('one.yaml:3:11');
    expect(d.message).toContain('two.yaml:3:11');
  });
});

describe('placeholders', () => {
  it('resolves service values, extra options and the $${ escape', () => {
    const [s] = model(
      yaml(`services:
  app:
    enable: true
    domain: app.example.com
    dataDir: /srv/\${name}
    extraOptions:
      metricsPort: {type: port, default: 9100}
    environment:
      ORIGIN: https://\${domain}
      DB: \${dataDir}/data/app.db
      METRICS: "127.0.0.1:\${metricsPort}"
      LITERAL: "$\${HOME}"
`),
    ).services;
    expect(s.dataDir).toBe('/srv/app');
    expect(s.environment).toEqual({ DB: '/srv/app/data/app.db', LITERAL: '${HOME}', METRICS: '127.0.0.1:9100', ORIGIN: 'https://app.example.com' });
    expect(s.extraPorts).toEqual([{ option: 'metricsPort', port: 9100 }]);
  });

  it('reports an unknown placeholder at the value that uses it', () => {
    const [d] = errors(yaml('services:\n  app:\n    enable: true\n    domain: app.example.com\n    environment:\n      X: ${prot}\n'));
    expect(d).toMatchObject({ line: 6, column: 10, hint: 'did you mean `${port}`?' });
  });

  it('reports a cycle', () => {
    const ds = errors(yaml('services:\n  app:\n    enable: true\n    description: ${domain}\n    domain: ${description}\n'));
    expect(ds.some((d) => d.message.includes('placeholder cycle'))).toBe(true);
  });

  it('checks formats after resolution', () => {
    const [d] = errors(yaml('services:\n  app:\n    enable: true\n    domain: app.example.com\n    dataDir: ${name}/data\n'));
    expect(d.message).toContain('must be an absolute path');
    expect(d).toMatchObject({ line: 5, column: 14 });
  });
});

describe('extra options', () => {
  it('types, defaults and overrides extra options', () => {
    const [s] = model(
      yaml(`services:
  app:
    enable: true
    domain: app.example.com
    extraOptions:
      workers: {type: int, default: 2, description: Worker count}
      debug: {type: bool}
      tags: {type: list, default: [a]}
    workers: 4
`),
    ).services;
    expect(s.extraOptions).toEqual({
      debug: { type: 'bool', description: '', value: false },
      tags: { type: 'list', description: '', value: ['a'] },
      workers: { type: 'int', description: 'Worker count', value: 4 },
    });
  });

  it('rejects an extra option named like a core option', () => {
    const [d] = errors(yaml('services:\n  app:\n    enable: true\n    domain: app.example.com\n    extraOptions:\n      port: {type: port}\n'));
    expect(d.message).toContain('has the name of a core option');
  });
});

describe('cross-service checks', () => {
  it('lists every port in use when two services share one', () => {
    const ds = errors(yaml('services:\n  a: {enable: true, domain: a.example.com, port: 3000}\n  b: {enable: true, domain: b.example.com, port: 3000}\n  c: {enable: true, domain: c.example.com, port: 3002}\n'));
    expect(ds).toHaveLength(1);
    expect(ds[0].message).toBe('port conflict: port 3000 is used by a (atelier.yaml:2:50), b (atelier.yaml:3:50)');
    expect(ds[0]).toMatchObject({ line: 3, column: 50 });
    expect(ds[0].hint).toBe('ports in use: 3000 (a, b), 3002 (c)');
  });

  it('ignores disabled services in cross checks', () => {
    model(yaml('services:\n  a: {enable: true, domain: a.example.com, port: 3000}\n  b: {domain: a.example.com, port: 3000}\n'));
  });

  it('accepts 5,000 services with distinct ports and domains', () => {
    const lines = ['services:'];
    for (let i = 0; i < 5000; i++) lines.push(`  s${i}: {enable: true, domain: s${i}.example.com, port: ${10000 + i}}`);
    const m = model(yaml(`${lines.join('\n')}\n`));
    expect(m.services).toHaveLength(5000);
  });
});
