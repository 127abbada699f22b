// The systemd emitter's unit, first-start script and refusals, read directive by directive
// with the project's unit reader (test/support/unit-reader.ts): what each generated line says,
// where an override lands, and which declared value a refusal names. Every emit happens inside
// a test, so that mutation testing credits the test with the code it reads.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FIRST_START_SCRIPT, systemdEmitter } from '../src/emitters/systemd.js';
import { isListDirective } from '../src/formats/unit-directives.js';
import type { EmitResult, EmittedFile } from '../src/emitters/types.js';
import type { HostModel, Origin, ServiceModel } from '../src/model.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { directives, parseUnit, readExec, type ParsedUnit } from './support/unit-reader.js';

const emit = (service: ServiceModel, host: HostModel = makeHost()): EmitResult => systemdEmitter.emit(makeModel([service], host));
const fileOf = (result: EmitResult, path: string): EmittedFile => {
  const file = result.files.find((f) => f.path === path);
  if (!file) throw new Error(`no ${path} among ${result.files.map((f) => f.path).join(', ')}; diagnostics: ${JSON.stringify(result.diagnostics)}`);
  return file;
};
const unitText = (service: ServiceModel, host?: HostModel): string => fileOf(emit(service, host), `systemd/system/${service.name}.service`).content;
const unitOf = (service: ServiceModel, host?: HostModel): ParsedUnit => parseUnit(unitText(service, host));
const keys = (unit: ParsedUnit, section: string): string[] => unit.sections.find((s) => s.name === section)!.directives.map(([k]) => k);
/** The `# ` comment lines of a unit, without the `# `. */
const comments = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('# ')).map((l) => l.slice(2));
const script = (service: ServiceModel): string => fileOf(emit(service), `atelier/scripts/${service.name}/first-start`).content;
const firstStartArgv = (service: ServiceModel, host?: HostModel): string[] => readExec(directives(unitOf(service, host), 'Service', 'ExecStartPre')[1]).argv;

describe('the generated unit, directive by directive', () => {
  it('wants network-online.target (the first start clones and installs) and works in <dataDir>/app', () => {
    const unit = unitOf(makeService('shop', { dataDir: '/srv/shop' }));
    expect(directives(unit, 'Unit', 'Wants')).toEqual(['network-online.target']);
    expect(directives(unit, 'Service', 'WorkingDirectory')).toEqual(['/srv/shop/app']);
  });

  it("creates the service's folders first, as root (+), from its own tmpfiles.d file under sysconfdir", () => {
    const unit = unitOf(makeService('shop'), makeHost({ sysconfdir: '/opt/etc' }));
    expect(readExec(directives(unit, 'Service', 'ExecStartPre')[0])).toEqual({ prefix: '+', argv: ['systemd-tmpfiles', '--create', '/opt/etc/tmpfiles.d/atelier-shop.conf'] });
  });

  it("names the first 16 hex digits of the first-start script's sha256", () => {
    const result = emit(makeService('shop', { extraConfig: { systemd: { Unit: {}, Service: {}, Install: {} }, preStart: ['bun run migrate'] } }));
    const digest = createHash('sha256').update(fileOf(result, 'atelier/scripts/shop/first-start').content).digest('hex');
    const named = comments(fileOf(result, 'systemd/system/shop.service').content)
      .map((c) => /^first-start script sha256:(\S+) /.exec(c)?.[1])
      .filter((h) => h !== undefined);
    expect(named).toEqual([digest.slice(0, 16)]);
  });

  it('reads the secrets file as EnvironmentFile= when one is declared, and has none otherwise', () => {
    expect(directives(unitOf(makeService('shop', { secretsFile: '/etc/atelier/secrets/shop.env' })), 'Service', 'EnvironmentFile')).toEqual(['/etc/atelier/secrets/shop.env']);
    expect(directives(unitOf(makeService('shop')), 'Service', 'EnvironmentFile')).toEqual([]);
  });

  it('empties both capability sets and answers a refused system call with EPERM', () => {
    const unit = unitOf(makeService('shop'));
    expect(directives(unit, 'Service', 'CapabilityBoundingSet')).toEqual(['']);
    expect(directives(unit, 'Service', 'AmbientCapabilities')).toEqual(['']);
    expect(directives(unit, 'Service', 'SystemCallErrorNumber')).toEqual(['EPERM']);
  });

  it('says in the unit why ProcSubset= and PrivateUsers= are left out', () => {
    const said = comments(unitText(makeService('shop')));
    expect(said.filter((c) => c.startsWith('ProcSubset=pid is left out: ') && c.includes('os.cpus()'))).toHaveLength(1);
    expect(said.filter((c) => c.startsWith('PrivateUsers= is left out: ') && c.includes('SupplementaryGroups='))).toHaveLength(1);
  });

  it.each([
    ['bun', 'the JavaScript JIT needs writable code pages'],
    ['node', 'the JavaScript JIT needs writable code pages'],
    ['custom', 'a custom start command may run a JIT runtime'],
  ] as const)('says, right above MemoryDenyWriteExecute=no of a %s unit, why: %s', (runtime, reason) => {
    const lines = unitText(makeService('shop', { runtime, startCommand: runtime === 'custom' ? './run' : null })).split('\n');
    const at = lines.indexOf('MemoryDenyWriteExecute=no');
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe(`# MemoryDenyWriteExecute=no: ${reason} (V8 aborts, Bun loses its JIT).`);
  });
});

describe('the first start: its install command and script', () => {
  it('installs with npm beside node: plain `npm` for a node found on PATH, the sibling npm for a node given as a path', () => {
    expect(firstStartArgv(makeService('shop', { runtime: 'node' })).slice(4)).toEqual(['npm', 'ci', '--omit=dev']);
    const host = makeHost({ runtimes: { bun: 'bun', node: '/opt/node-22/bin/node' } });
    expect(firstStartArgv(makeService('shop', { runtime: 'node' }), host).slice(4)).toEqual(['/opt/node-22/bin/npm', 'ci', '--omit=dev']);
  });

  it('installs nothing for a custom runtime: the script gets only its three values', () => {
    expect(firstStartArgv(makeService('shop', { runtime: 'custom', startCommand: './run' }))).toEqual(['/etc/atelier/scripts/shop/first-start', '/var/lib/shop/app', '', '']);
  });

  it('documents its arguments, in the order the unit passes them', () => {
    expect(script(makeService('shop')).split('\n')).toContain('# Arguments: <app folder> <repository or ""> <branch or tag or ""> [dependency install command...]');
  });

  it('without extraConfig.preStart, ends with the shared script: no preStart part, no `set +u`', () => {
    const text = script(makeService('shop'));
    expect(text.endsWith(`\n${FIRST_START_SCRIPT}\n`)).toBe(true);
    expect(text).not.toContain('extraConfig.preStart');
    expect(text).not.toContain('set +u');
  });

  it('with extraConfig.preStart, appends its lines after `set +u`', () => {
    const text = script(makeService('shop', { extraConfig: { systemd: { Unit: {}, Service: {}, Install: {} }, preStart: ['bun run migrate', 'echo done'] } }));
    expect(text.endsWith(`\n${FIRST_START_SCRIPT}\n# extraConfig.preStart\nset +u\nbun run migrate\necho done\n`)).toBe(true);
  });
});

describe('a value systemd, sysusers, tmpfiles or sudo cannot carry: a diagnostic naming that value, at its position', () => {
  const at = (line: number): Origin => ({ file: 'shop.yaml', line, column: 3 });
  const service = (overrides: Partial<ServiceModel>) =>
    makeService('shop', {
      ...overrides,
      origins: { '': at(1), description: at(2), dataDir: at(3), repository: at(4), startCommand: at(5), entryPoint: at(6), 'extraConfig.systemd.Unit.Bad-Key': at(7), 'extraConfig.systemd.Service.Bad-Key': at(8), 'extraConfig.systemd.Install.Bad-Key': at(9) },
    });
  const refused = (overrides: Partial<ServiceModel>) => {
    const result = emit(service(overrides));
    expect(result.files).toEqual([]);
    return result.diagnostics.map((d) => ({ line: d.line, names: /^`([^`]*)`/.exec(d.message)?.[1] }));
  };

  it('a description with a newline: in the unit and in the user entry, both at the description', () => {
    expect(refused({ description: 'two\nlines' })).toEqual([
      { line: 2, names: 'services.shop.description' },
      { line: 2, names: 'services.shop.description' },
    ]);
    // The message says which kind of file the value was for.
    expect(emit(service({ description: 'two\nlines' })).diagnostics[0].message).toMatch(/^`services\.shop\.description` cannot be written into a systemd file: /);
  });

  it('a data folder starting with white space (WorkingDirectory= would lose it): at the data folder', () => {
    expect(refused({ dataDir: ' /srv/shop' })).toEqual([{ line: 3, names: 'services.shop.dataDir' }]);
  });

  it('a data folder with a tab: the unit and the tmpfiles.d file both name the data folder', () => {
    expect(refused({ dataDir: '/srv/sh\top' }).filter((d) => d.names === 'services.shop.dataDir')).toEqual([
      { line: 3, names: 'services.shop.dataDir' },
      { line: 3, names: 'services.shop.dataDir' },
    ]);
  });

  it('a repository with a NUL: at the repository', () => {
    expect(refused({ repository: 'https://git.example.com/\u0000' })).toEqual([{ line: 4, names: 'services.shop.repository' }]);
  });

  it('a start command with a NUL: at startCommand', () => {
    expect(refused({ startCommand: 'bun run \u0000' })).toEqual([{ line: 5, names: 'services.shop.startCommand' }]);
  });

  it('an entry point with a NUL, and no start command: at entryPoint', () => {
    expect(refused({ entryPoint: 'src/\u0000.ts' })).toEqual([{ line: 6, names: 'services.shop.entryPoint' }]);
  });

  it.each(['Unit', 'Service', 'Install'])('an override in [%s] whose name is not a directive name: at extraConfig.systemd.%s.<name>', (section) => {
    const systemd = { Unit: {}, Service: {}, Install: {}, [section]: { 'Bad-Key': ['1'] } };
    expect(refused({ extraConfig: { systemd, preStart: [] } })).toEqual([{ line: 7 + ['Unit', 'Service', 'Install'].indexOf(section), names: `services.shop.extraConfig.systemd.${section}.Bad-Key` }]);
  });

  it('a service name sudo cannot take: the sudoers rule names the service itself, at its position', () => {
    const result = emit(makeService('Shop', { origins: { '': at(1) } }));
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ line: 1, message: expect.stringMatching(/^`services\.Shop` cannot be written into a sudoers file: "Shop" is not a plain user name$/) });
  });
});

describe('extraConfig.systemd: where an override lands', () => {
  const withOverrides = (systemd: Partial<ServiceModel['extraConfig']['systemd']>): ServiceModel =>
    makeService('shop', { extraConfig: { systemd: { Unit: {}, Service: {}, Install: {}, ...systemd }, preStart: [] } });

  it('a value may begin with a backslash (systemd syntax, written as given); only one ending in a backslash is refused', () => {
    expect(directives(unitOf(withOverrides({ Service: { SyslogIdentifier: ['\\x73hop'] } })), 'Service', 'SyslogIdentifier')).toEqual(['\\x73hop']);
    const result = emit(withOverrides({ Service: { SyslogIdentifier: ['shop\\'] } }));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map((d) => d.message)).toEqual([expect.stringContaining('not ending in a backslash')]);
  });

  it('a directive the unit does not have goes after every generated line of its section, single-valued or list', () => {
    expect(isListDirective('LimitNOFILE')).toBe(false);
    expect(isListDirective('Requires')).toBe(true);
    const plain = unitOf(makeService('shop'));
    const unit = unitOf(withOverrides({ Unit: { Requires: ['postgresql.service'] }, Service: { LimitNOFILE: ['65536'] } }));
    expect(keys(unit, 'Service')).toEqual([...keys(plain, 'Service'), 'LimitNOFILE']);
    expect(keys(unit, 'Unit')).toEqual([...keys(plain, 'Unit'), 'Requires']);
  });

  it("replaces the section's first directive in place (Type= of [Service], Description= of [Unit])", () => {
    const plain = unitOf(makeService('shop'));
    expect([keys(plain, 'Service')[0], keys(plain, 'Unit')[0]]).toEqual(['Type', 'Description']);
    const unit = unitOf(withOverrides({ Unit: { Description: ['The shop'] }, Service: { Type: ['simple'] } }));
    expect(directives(unit, 'Service', 'Type')).toEqual(['simple']);
    expect(directives(unit, 'Unit', 'Description')).toEqual(['The shop']);
    expect(keys(unit, 'Service')).toEqual(keys(plain, 'Service'));
    expect(keys(unit, 'Unit')).toEqual(keys(plain, 'Unit'));
  });

  it('replacing a single-valued directive keeps every other generated line, in order', () => {
    const plain = unitOf(makeService('shop'));
    const unit = unitOf(withOverrides({ Service: { TimeoutStartSec: ['5min'] } }));
    expect(unit.sections.find((s) => s.name === 'Service')!.directives).toEqual(
      plain.sections.find((s) => s.name === 'Service')!.directives.map(([k, v]) => [k, k === 'TimeoutStartSec' ? '5min' : v]),
    );
  });
});
