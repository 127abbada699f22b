// From declaration texts to a model (resolveDeclarations): what each file must
// hold, which service files are named as sources, how services and extra
// options are ordered, and the exact wording and place of each refusal.
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { errors, model, yaml } from './support/resolve.js';

describe('what a declaration file holds', () => {
  it('a list or a scalar at the top of a file is refused, naming what it is', () => {
    expect(errors(yaml('- a\n- b\n'))).toStrictEqual([{ file: 'atelier.yaml', line: 1, column: 1, message: 'a declaration file must hold a table with `host` and/or `services`, not a list' }]);
    expect(errors(yaml('42\n', 'n.yaml'))).toStrictEqual([{ file: 'n.yaml', line: 1, column: 1, message: 'a declaration file must hold a table with `host` and/or `services`, not the number 42' }]);
  });

  it('no files, or only empty ones, give an empty model that still names the files read', () => {
    expect(resolveDeclarations([])).toEqual({ model: { host: expect.any(Object), services: [], sources: [], disabled: [] }, diagnostics: [] });
    const m = model(yaml('', 'a.yaml'), yaml('# nothing yet\n', 'b.yaml'));
    expect(m.sources).toEqual(['a.yaml', 'b.yaml']);
    expect(m.services).toEqual([]);
  });

  it('$schema (an editor hint in JSON files) is accepted and carries nothing', () => {
    const m = model({ file: 'atelier.json', text: '{"$schema": "https://example.com/schema.json", "services": {}}' });
    expect(m.services).toEqual([]);
  });

  it('an unknown top-level key: the close one suggested, else the known keys listed, each at its key', () => {
    expect(errors(yaml('servces: {}\nzzzzzzzzz: 1\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 1, column: 1, message: 'unknown top-level key `servces`', hint: 'did you mean `services`?' },
      { file: 'atelier.yaml', line: 2, column: 1, message: 'unknown top-level key `zzzzzzzzz`', hint: 'known keys: host, services' },
    ]);
  });

  it('a file that cannot be read as a declaration stops the run before the other files are checked', () => {
    const found = errors(yaml('a: [\n', 'one.yaml'), yaml('servces: {}\n', 'two.yaml'));
    expect(found.map((d) => d.file)).toEqual(['one.yaml']);
    expect(found[0].message).toMatch(/^YAML syntax error/);
    expect(errors(yaml('- a\n', 'one.yaml'), yaml('servces: {}\n', 'two.yaml')).map((d) => d.file)).toEqual(['one.yaml']);
  });

  it('`services` that is not a table is refused at its value', () => {
    expect(errors(yaml('services: [a]\n'))).toStrictEqual([{ file: 'atelier.yaml', line: 1, column: 11, message: '`services` must be a table of services by name, not a list' }]);
  });

  it('a service that is not a table is refused at its value', () => {
    expect(errors(yaml('services:\n  app: 3\n'))).toStrictEqual([{ file: 'atelier.yaml', line: 2, column: 8, message: 'service `app` must be a table of options, not the number 3' }]);
  });

  it('a host that is not a table is the only error: services are not checked against it', () => {
    const found = errors(yaml('host: 3\nservices:\n  Bad: {}\n'));
    expect(found).toStrictEqual([{ file: 'atelier.yaml', line: 1, column: 7, message: '`host` must be a table of host settings, not the number 3' }]);
  });
});

describe('the host', () => {
  it('without a host table: every default, sysconfdir /etc, and no origins', () => {
    const m = model(yaml('services: {}\n'));
    expect(m.host.sysconfdir).toBe('/etc');
    expect(m.host.backup.repositoryFile).toBe('/etc/atelier/restic/repository');
    expect(m.host.origins).toEqual({});
  });

  it('records where the host table and each of its keys are declared', () => {
    const m = model(yaml('services: {}\n', 'app.yaml'), yaml('host:\n  servicesGroup: svc\n', 'host.yaml'));
    expect(m.host.servicesGroup).toBe('svc');
    expect(m.host.origins).toEqual({ '': { file: 'host.yaml', line: 2, column: 3 }, servicesGroup: { file: 'host.yaml', line: 2, column: 18 } });
    expect(m.host.sysconfdir).toBe('/etc');
  });

  it('has no placeholders: one is an unknown name, reported at its value', () => {
    expect(errors(yaml('host:\n  backup:\n    passwordFile: /x/${nope}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 3, column: 19, message: 'unknown placeholder `${nope}`', hint: 'no placeholders are available here' },
    ]);
  });

  it('a placeholder in sysconfdir is reported once, at sysconfdir, not again at the backup files whose defaults are made from it', () => {
    // repositoryFile and passwordFile default to <sysconfdir>/atelier/restic/…: same text, no line of their own.
    expect(errors(yaml('host:\n  sysconfdir: /etc/${x}\n  backup:\n    onFailure: "true"\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 2, column: 15, message: 'unknown placeholder `${x}`', hint: 'no placeholders are available here' },
    ]);
  });

  it('writes $${ as a literal ${ in host values', () => {
    expect(model(yaml('host:\n  caddy:\n    environmentFile: /etc/caddy/$${x}.env\n')).host.caddy.environmentFile).toBe('/etc/caddy/${x}.env');
  });
});

describe('which services become the model', () => {
  it('services are in name order, disabled ones listed by name in order', () => {
    const m = model(yaml('services:\n  zed: {}\n  mid: {enable: true, caddy: {enable: false}}\n  alpha: {enable: false}\n  beta: {enable: true, caddy: {enable: false}, port: 3001}\n'));
    expect(m.services.map((s) => s.name)).toEqual(['beta', 'mid']);
    expect(m.disabled).toEqual(['alpha', 'zed']);
  });

  it("a service's sources are only the files that declare it", () => {
    const m = model(
      yaml('services:\n  app:\n    enable: true\n    caddy: {enable: false}\n', 'app.yaml'),
      yaml('host:\n  servicesGroup: svc\n', 'host.yaml'),
      yaml('services:\n  other: {}\n', 'other.yaml'),
    );
    expect(m.services.map((s) => [s.name, s.sources])).toEqual([['app', ['app.yaml']]]);
    expect(m.disabled).toEqual(['other']);
    expect(m.sources).toEqual(['app.yaml', 'host.yaml', 'other.yaml']);
  });

  it('environment variables are in name order', () => {
    const [s] = model(yaml('services:\n  app:\n    enable: true\n    caddy: {enable: false}\n    environment:\n      Z: "1"\n      A: "2"\n')).services;
    expect(Object.keys(s.environment)).toEqual(['A', 'Z']);
  });

  it('a disabled service is still checked', () => {
    expect(errors(yaml('services:\n  app:\n    dataDir: relative\n'))).toStrictEqual([{ file: 'atelier.yaml', line: 3, column: 14, message: '`services.app.dataDir` must be an absolute path (starting with /)' }]);
  });
});

describe('refusals of a service', () => {
  it('enabled with caddy but no domain: at the service name, with what to set', () => {
    expect(errors(yaml('services:\n  app:\n    enable: true\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 2, column: 3, message: 'service `app` is enabled with caddy.enable but has no `domain`', hint: 'set `domain`, or `caddy.enable: false`' },
    ]);
  });

  it('no domain is fine when the service is disabled or caddy is off', () => {
    expect(model(yaml('services:\n  app: {caddy: {enable: true}}\n  web: {enable: true, caddy: {enable: false}}\n')).services.map((s) => s.name)).toEqual(['web']);
  });

  it('a name holding ${…}: its placeholder, carried into the default description and dataDir, is reported at the name too', () => {
    expect(errors(yaml('services:\n  a${b}:\n    port: 3000\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 2, column: 3, message: 'service name `a${b}` must match ^[a-z][a-z0-9-]{0,30}$ (a Linux user name and unit name)' },
      { file: 'atelier.yaml', line: 2, column: 3, message: 'unknown placeholder `${b}`', hint: 'known: name, port, dataDir, domain, description' },
    ]);
  });

  it("a placeholder mistake in an extra option's default is reported at that default, also when the option is used elsewhere", () => {
    const text = 'services:\n  app:\n    extraOptions:\n      greeting:\n        type: string\n        default: "hi ${zzzzzz}"\n    environment:\n      G: "${greeting}"\n';
    expect(errors(yaml(text))).toStrictEqual([
      { file: 'atelier.yaml', line: 6, column: 18, message: 'unknown placeholder `${zzzzzz}`', hint: 'known: name, port, dataDir, domain, description, greeting' },
    ]);
  });

  it('caddy given as a scalar is one structure error, not a crash', () => {
    expect(errors(yaml('services:\n  app:\n    enable: true\n    caddy: 3\n'))).toStrictEqual([{ file: 'atelier.yaml', line: 4, column: 12, message: '`caddy` must be a table, not the number 3' }]);
  });

  it('runtime "custom" without startCommand: at the runtime value', () => {
    expect(errors(yaml('services:\n  app:\n    enable: true\n    caddy: {enable: false}\n    runtime: custom\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 5, column: 14, message: 'service `app` has runtime "custom" but no `startCommand`' },
    ]);
    expect(model(yaml('services:\n  app:\n    enable: true\n    caddy: {enable: false}\n    runtime: custom\n    startCommand: ./run\n')).services[0].startCommand).toBe('./run');
  });

  it('a service name that is not a user name, a system name, or the services group: at the name', () => {
    expect(errors(yaml('services:\n  Bad_Name: {}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 2, column: 3, message: 'service name `Bad_Name` must match ^[a-z][a-z0-9-]{0,30}$ (a Linux user name and unit name)' },
    ]);
    expect(errors(yaml('services:\n  root: {}\n'))[0]).toStrictEqual({
      file: 'atelier.yaml',
      line: 2,
      column: 3,
      message: "service name `root` is already used by the system or by atelier-emit's own units",
      hint: 'it would be the name of the service user and group: a system group grants access to devices, keys or root; choose another name',
    });
    expect(errors(yaml('services:\n  services: {}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 2, column: 3, message: 'service name `services` is the name of the services group', hint: 'rename the service or set host.servicesGroup' },
    ]);
  });

  it('a value of the wrong format after placeholders: named by its full key, at the value', () => {
    expect(errors(yaml('services:\n  app:\n    dataDir: ${name}/data\n    environment:\n      bad-name: x\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 3, column: 14, message: '`services.app.dataDir` must be an absolute path (starting with /)' },
      { file: 'atelier.yaml', line: 5, column: 17, message: '`services.app.environment.bad-name` key must be a name of letters, digits and underscores, not starting with a digit' },
    ]);
  });

  it('a systemd directive extraConfig may not set: named by its full key, at the directive', () => {
    const found = errors(yaml('services:\n  app:\n    extraConfig:\n      systemd:\n        Service:\n          Bogus: [x]\n'));
    expect(found).toStrictEqual([
      {
        file: 'atelier.yaml',
        line: 6,
        column: 18,
        message: '`services.app.extraConfig.systemd.Service.Bogus` `Bogus` is not among the directives extraConfig may set in [Service] (it could change who the service runs as, what it may reach, or what systemd does as root for it)',
      },
    ]);
  });

  it('extraConfig, its systemd table or a section given as a scalar is one structure error, not a crash', () => {
    const at = (text: string) => errors(yaml(`services:\n  app:\n${text}`)).map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(at('    extraConfig: 3\n')).toEqual(['3:18 `extraConfig` must be a table, not the number 3']);
    expect(at('    extraConfig:\n      systemd: 3\n')).toEqual(['4:16 `extraConfig.systemd` must be a table, not the number 3']);
    expect(at('    extraConfig:\n      systemd:\n        Service: 3\n')).toEqual(['5:18 `extraConfig.systemd.Service` must be a table, not the number 3']);
    expect(at('    extraConfig:\n      systemd:\n        Service:\n          Nice: 5\n')).toEqual(['6:17 `extraConfig.systemd.Service.Nice` must be a string or a list of strings, not the number 5']);
  });

  it('checks across services wait until every service is valid: a port shared beside a broken service is not reported yet', () => {
    const found = errors(yaml('services:\n  a: {enable: true, caddy: {enable: false}, port: 3000}\n  b: {enable: true, caddy: {enable: false}, port: 3000}\n  c: {dataDir: relative}\n'));
    expect(found.map((d) => d.message)).toEqual(['`services.c.dataDir` must be an absolute path (starting with /)']);
  });

  it('a mistake inside a value that other values use is reported at that value only, not at the service', () => {
    const found = errors(
      yaml('services:\n  app:\n    dataDir: /srv/${nope1}\n    domain: ${nope2}.example.com\n    extraOptions:\n      opt: {type: string}\n    opt: x${nope3}\n    environment:\n      A: ${dataDir}\n      B: ${domain}\n      C: ${opt}\n'),
    );
    expect(found.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '4:13 unknown placeholder `${nope2}`',
      '3:14 unknown placeholder `${nope1}`',
      '7:10 unknown placeholder `${nope3}`',
      '4:13 `services.app.domain` must be a DNS name such as app.example.com (letters, digits, hyphens; an optional leading `*.`)',
    ]);
  });

  it('one mistake reached twice (a value and a placeholder using it) is said once', () => {
    expect(errors(yaml('services:\n  app:\n    description: ${nope}\n    environment:\n      X: ${description}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 3, column: 18, message: 'unknown placeholder `${nope}`', hint: 'did you mean `${name}`?' },
    ]);
  });
});

describe('extra options', () => {
  it('are placeholders after the built-in ones, in name order', () => {
    const found = errors(
      yaml('services:\n  app:\n    extraOptions:\n      zport: {type: port, default: 9200}\n      aport: {type: port, default: 9100}\n      count: {type: int}\n    environment:\n      A: "${zzzzzzzzzzzz}"\n'),
    );
    expect(found).toStrictEqual([{ file: 'atelier.yaml', line: 8, column: 10, message: 'unknown placeholder `${zzzzzzzzzzzz}`', hint: 'known: name, port, dataDir, domain, description, aport, count, zport' }]);
  });

  it('port options with a value are extra ports in name order, no other option; without a default a value is null, a bool false', () => {
    const [s] = model(
      yaml(
        'services:\n  app:\n    enable: true\n    caddy: {enable: false}\n    extraOptions:\n      zport: {type: port, default: 9200}\n      aport: {type: port, default: 9100}\n      nport: {type: port}\n      count: {type: int, default: 3}\n      flag: {type: bool}\n      label: {type: string, description: A label}\n',
      ),
    ).services;
    expect(s.extraPorts).toEqual([{ option: 'aport', port: 9100 }, { option: 'zport', port: 9200 }]);
    expect(Object.keys(s.extraOptions)).toEqual(['aport', 'count', 'flag', 'label', 'nport', 'zport']);
    // An integer option is not a port, whatever its value.
    expect(s.extraOptions.count).toEqual({ type: 'int', description: '', value: 3 });
    expect(s.extraOptions.nport).toEqual({ type: 'port', description: '', value: null });
    expect(s.extraOptions.flag).toEqual({ type: 'bool', description: '', value: false });
    expect(s.extraOptions.label).toEqual({ type: 'string', description: 'A label', value: null });
  });

  it('an extra option named like a core option: at its name, with a hint', () => {
    expect(errors(yaml('services:\n  app:\n    extraOptions:\n      port: {type: port}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 4, column: 7, message: 'extra option `port` has the name of a core option', hint: 'choose another name' },
    ]);
  });

  it('a definition that is not a table, has no type or an unknown type: structure errors, not a crash', () => {
    expect(errors(yaml('services:\n  app:\n    extraOptions:\n      w: {default: 1}\n      v: 3\n      u: {type: nonsense}\n')).map((d) => [d.line, d.column, d.message])).toEqual([
      [4, 10, '`extraOptions.w.type` is required: one of "port", "int", "string", "bool", "list", "table"'],
      [5, 10, '`extraOptions.v` must be a table, not the number 3'],
      [6, 17, '`extraOptions.u.type` must be one of "port", "int", "string", "bool", "list", "table", not the string "nonsense"'],
    ]);
  });

  it('a default of the wrong type is reported once, at the default, named by its full key (not again as a missing value)', () => {
    expect(errors(yaml('services:\n  app:\n    extraOptions:\n      w: {type: int, default: abc}\n      b: {type: bool, default: 3}\n'))).toStrictEqual([
      { file: 'atelier.yaml', line: 4, column: 31, message: '`extraOptions.w.default` must be an integer or null, not the string "abc"' },
      { file: 'atelier.yaml', line: 5, column: 32, message: '`extraOptions.b.default` must be true or false, not the number 3' },
    ]);
  });

  it('a default of null is kept for an option that may be null', () => {
    const [s] = model(yaml('services:\n  app:\n    enable: true\n    caddy: {enable: false}\n    extraOptions:\n      w: {type: int, default: null}\n')).services;
    expect(s.extraOptions.w).toEqual({ type: 'int', description: '', value: null });
  });
});
