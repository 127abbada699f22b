// Issue 12's property: declarations generated from the whole schema (every
// service and host field, extraConfig with any directive) are either refused,
// or the emitted tree gives no service user more than its own folder: it owns
// and may write nothing outside its data folder, runs nothing as root, and
// reaches no group beyond its own and the services group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { documentSchema, hostSchema, serviceSchema, type Field } from '../src/declarations/schema.js';
import { ownFolders } from '../src/declarations/unit-policy.js';
import { emitAll } from '../src/emitters/index.js';
import type { Model } from '../src/model.js';
import { directives, parseUnit, splitWords } from './support/unit-reader.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Values an attacker would try, by what the field names. */
const HOSTILE_PATHS = ['/', '/etc', '/tmp', '/var/lib', '/srv', '/root', '/home/alice', '/etc/sudoers.d', '/var/lib/dpkg', '/var/lib/app:x', '/srv/app/../../etc', '/srv//x', '/run/x', '/var/lib/postgresql/x'];
const GOOD_PATHS = ['/var/lib/app', '/srv/app', '/srv/apps/one', '/var/lib/x-1/data'];
const PROGRAMS = ['+/usr/bin/node', '!node', '!!bun', '-node', '@node', ':node', '|sh', '/usr/bin/*', 'node', 'bun', '/usr/local/bin/bun', '/opt/node 20/bin/node'];
const NAMES = ['app', 'web', 'worker', 'api2', 'shadow', 'root', 'docker', 'ssl-cert', 'disk', 'kmem', 'tty', 'video', 'sudo', 'caddy', 'systemd-x', 'atelier-x', 'services', 'www-data'];
const DIRECTIVES = [
  'User', 'Group', 'DynamicUser', 'SupplementaryGroups', 'AmbientCapabilities', 'CapabilityBoundingSet', 'NoNewPrivileges', 'PermissionsStartOnly', 'ReadWritePaths', 'BindPaths',
  'StateDirectory', 'LoadCredential', 'StandardOutput', 'EnvironmentFile', 'PAMName', 'RootDirectory', 'ProtectSystem', 'SystemCallFilter', 'UMask', 'OnFailure', 'Alias', 'Conflicts',
  'Wants', 'Requires', 'BindsTo', 'WantedBy', 'RequiredBy', 'After', 'LimitNOFILE', 'TimeoutStartSec', 'ExecStartPre', 'ExecStartPost', 'ExecStop', 'Environment', 'Restart', 'Nice', 'MemoryMax',
];
const DIRECTIVE_VALUES = ['root', 'shadow', '/etc', '+/bin/sh -c id', '!/bin/true', '-/bin/true', '/bin/true', 'CAP_SYS_ADMIN', 'no', 'yes', '0000', '0027', 'poweroff.target', 'debug-shell.service', 'postgresql.service', 'multi-user.target', 'app.service', 'sshd.service', 'truncate:/etc/shadow', '65536', 'X=1', '/var/cache/app', '-/run/web/x'];
const GENERIC = ['', 'x', 'root', '/etc', '${name}', '${dataDir}/x', '%n', '$HOME', 'a b', 'évé', '*', 'yes'];

/** Mostly valid values (so that cases reach the emitters), sometimes what an attacker would write. */
const mostly = (valid: string[], hostile: string[]) => fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 150 }, { arbitrary: fc.constantFrom(...hostile), weight: 1 });

function stringFor(field: Extract<Field, { kind: 'string' }>): fc.Arbitrary<string> {
  switch (field.format) {
    case 'absolute-path': return mostly(['/run/secrets/x', ...GOOD_PATHS.map((p) => `${p}/f`)], HOSTILE_PATHS);
    // Distinct folders (two services sharing one is refused, and would hide every other check).
    case 'data-dir': return fc.oneof({ arbitrary: fc.stringMatching(/^\/(var\/lib|srv)\/d-[a-z0-9]{6}$/), weight: 40 }, { arbitrary: fc.constantFrom(...HOSTILE_PATHS, ...GOOD_PATHS), weight: 1 });
    case 'root-config-path': return mostly(['/etc', '/etc/atelier/x', '/etc/caddy/env'], HOSTILE_PATHS);
    case 'login-shell': return mostly(['/bin/bash', '/bin/sh'], ['/bin/ba:sh', ...HOSTILE_PATHS]);
    case 'sudoers-command':
      return mostly(['/usr/bin/systemctl', '/bin/systemctl'], ['/usr/bin/*', '/usr/bin/bash', '/usr/bin/sys"temctl', '/usr/bin/sys\\temctl', '/usr/bin/sys\u00a0temctl', '/tmp/systemctl', '/usr/bin/systemctl,/bin/sh']);
    case 'program': return mostly(['node', 'bun', '/usr/local/bin/bun'], PROGRAMS);
    case 'user-name': case 'group-name': return mostly(['services', 'apps'], NAMES);
    case 'domain': return mostly(['app.example.com'], ['x y']);
    case 'duration': return mostly(['1m', '30s'], GENERIC);
    case 'timespan': return mostly(['2h', '1h 30min'], GENERIC);
    case 'calendar': return mostly(['02:00'], GENERIC);
    case 'cidr': return mostly(['10.0.0.0/8'], GENERIC);
    case 'env-name': return mostly(['TOKEN'], GENERIC);
    case 'module-name': return mostly(['cloudflare'], GENERIC);
    case 'glob': return mostly(['*.log', 'cache'], GENERIC);
    case 'setting-name': return mostly(['api_token', 'server'], GENERIC);
    case 'acme-ca': return mostly(['production', 'staging'], ['http://x', ...GENERIC]);
    case 'dns-resolver': return mostly(['1.1.1.1', '127.0.0.1:5353'], GENERIC);
    case 'http-url': return mostly(['https://hc-ping.com/key'], ['ftp://x', 'http://x/%n', ...GENERIC]);
    case 'restic-subset': return mostly(['5%', '1/5', '500M'], ['0/5', '101%', ...GENERIC]);
    default: return mostly(['x', 'sleep 1', 'a b'], GENERIC);
  }
}

/** An arbitrary value for a schema field: valid and hostile alike. */
function arb(field: Field, depth = 0): fc.Arbitrary<unknown> {
  switch (field.kind) {
    case 'string': return field.nullable ? fc.option(stringFor(field), { nil: null, freq: 5 }) : stringFor(field);
    case 'int': return fc.oneof({ arbitrary: fc.integer({ min: field.min ?? 0, max: field.max ?? 100_000 }), weight: 150 }, { arbitrary: fc.constantFrom(-1, 0, 65536), weight: 1 });
    case 'bool': return fc.boolean();
    case 'enum': return fc.constantFrom(...field.values);
    case 'any': return fc.constantFrom(null, 1, 'x', true);
    case 'list': return fc.array(arb(field.items, depth + 1), { maxLength: 2 });
    case 'record':
      // A DNS provider's settings are checked against what its module accepts: mostly none, sometimes any.
      if (field.keyFormat === 'setting-name') return fc.oneof({ arbitrary: fc.constant({}), weight: 10 }, { arbitrary: fc.dictionary(fc.constantFrom('api_token', 'server', 'x'), arb(field.values, depth + 1), { maxKeys: 2 }), weight: 1 });
      return fc.dictionary(fc.constantFrom('A', 'B_2', 'PATH', 'opt'), arb(field.values, depth + 1), { maxKeys: 2 });
    // extraOptions: typed options with a default of their type.
    case 'oneOf': return fc.oneof(...field.options.map((o) => arb(o, depth + 1)));
    case 'object': {
      const entries = Object.entries(field.fields).map(([k, f]) => [k, k === 'systemd' ? unitOverrides : k === 'extraOptions' ? extraOptions : arb(f, depth + 1)] as const);
      // Keys without a default (a rate-limit route's path, events, window) are given when the table is.
      const required = Object.entries(field.fields).filter(([, f]) => !('default' in f) && ['string', 'int', 'enum'].includes(f.kind)).map(([k]) => k);
      return fc.record(Object.fromEntries(entries), { requiredKeys: required });
    }
  }
}

const extraOptions = fc.dictionary(
  fc.constantFrom('metricsPort', 'mode', 'flag'),
  fc.oneof(fc.record({ type: fc.constant('port'), default: fc.integer({ min: 4000, max: 4100 }) }), fc.record({ type: fc.constant('string'), default: fc.constantFrom('x', '${dataDir}/y') }), fc.record({ type: fc.constant('bool'), default: fc.boolean() })),
  { maxKeys: 2 },
);
const overrideTable = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  { arbitrary: fc.dictionary(fc.constantFrom(...DIRECTIVES), fc.oneof(fc.constantFrom(...DIRECTIVE_VALUES), fc.array(fc.constantFrom(...DIRECTIVE_VALUES), { maxLength: 2 })), { minKeys: 1, maxKeys: 2 }), weight: 1 },
);
const unitOverrides = fc.record({ Unit: overrideTable, Service: overrideTable, Install: overrideTable }, { requiredKeys: [] });

const serviceArb = (arb(serviceSchema) as fc.Arbitrary<Record<string, unknown>>).map((s) => ({
  ...s,
  enable: true,
  domain: 'app.example.com',
  caddy: { ...(s.caddy as object), enable: false },
  ...(s.runtime === 'custom' && !s.startCommand ? { startCommand: 'sleep 1' } : {}),
}));
const document = fc.record({
  host: arb(hostSchema),
  services: fc.dictionary(fc.oneof({ arbitrary: fc.constantFrom('app', 'web', 'worker', 'api2'), weight: 20 }, { arbitrary: fc.constantFrom(...NAMES), weight: 1 }), serviceArb, { minKeys: 1, maxKeys: 3 }),
});
void documentSchema;

const baseNames = ['/usr/share/base-passwd/passwd.master', '/usr/share/base-passwd/group.master'].flatMap((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => l.split(':')[0]) : []));
const PULLABLE = /^((network|network-online|nss-lookup|time-sync|remote-fs|local-fs)\.target|(postgresql(@[A-Za-z0-9.-]+)?|mariadb|mysql|redis(-server)?(@[A-Za-z0-9.-]+)?|memcached|caddy)\.service)$/;
/** Directives that decide identity, privileges, reach or what PID 1 does as root: only the generated value is allowed. */
const PRIVILEGED = ['User', 'Group', 'DynamicUser', 'SupplementaryGroups', 'AmbientCapabilities', 'CapabilityBoundingSet', 'NoNewPrivileges', 'SecureBits', 'PermissionsStartOnly', 'RootDirectory', 'BindPaths', 'BindReadOnlyPaths', 'StateDirectory', 'CacheDirectory', 'LogsDirectory', 'ConfigurationDirectory', 'RuntimeDirectory', 'LoadCredential', 'StandardInput', 'StandardOutput', 'StandardError', 'EnvironmentFile', 'PAMName', 'ProtectSystem', 'ProtectHome', 'PrivateDevices', 'DevicePolicy', 'DeviceAllow', 'SystemCallFilter', 'RestrictSUIDSGID', 'OnFailure', 'OnSuccess', 'Alias', 'Also', 'Conflicts'];

const reasons = new Map<string, number>();
const figures = { cases: 0, accepted: 0, services: 0, refused: 0 };

function check(model: Model, files: Map<string, string>, baseline: Map<string, string>): void {
  const { servicesGroup, systemctl } = model.host;
  expect(baseNames.includes(servicesGroup), servicesGroup).toBe(false);
  expect(systemctl).toMatch(/^\/[A-Za-z0-9._/+-]*\/systemctl$/);
  const declared = new Set(model.services.map((s) => s.name));
  for (const s of model.services) {
    figures.services++;
    const inside = (p: string) => p === s.dataDir || p.startsWith(`${s.dataDir}/`);
    expect(baseNames.includes(s.name), s.name).toBe(false);
    expect(s.dataDir).toMatch(/^\/(var\/lib|srv)\/[^/:]+/);
    // Owns nothing outside its folder: tmpfiles hands over only paths inside it, to it.
    for (const line of files.get(`tmpfiles.d/atelier-${s.name}.conf`)!.split('\n').filter((l) => l && !l.startsWith('#'))) {
      const [, p, , user, group] = splitWords(line);
      expect(inside(p), line).toBe(true);
      expect([user, group]).toEqual([s.name, servicesGroup]);
    }
    // Its account: home is its folder, its groups are its own and the services group.
    const sysusers = files.get(`sysusers.d/atelier-${s.name}.conf`)!.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => splitWords(l));
    expect(sysusers.filter((w) => w[0] === 'm')).toEqual([['m', s.name, servicesGroup]]);
    expect(sysusers.find((w) => w[0] === 'u')![4]).toBe(s.dataDir);
    // Root only through its own unit's four verbs.
    const rule = files.get(`sudoers.d/atelier-${s.name}`)!.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rule).toEqual([`${s.name} ALL=(root) NOPASSWD: ${['restart', 'stop', 'start', 'status'].map((v) => `${systemctl} ${v} ${s.name}.service`).join(', ')}`]);
    // The unit: identity and reach exactly as generated; no command with root's privileges but the generated tmpfiles step.
    const unit = parseUnit(files.get(`systemd/system/${s.name}.service`)!);
    const base = parseUnit(baseline.get(`systemd/system/${s.name}.service`)!);
    for (const section of ['Unit', 'Service', 'Install']) {
      for (const key of PRIVILEGED) expect(directives(unit, section, key), `${s.name} [${section}] ${key}`).toEqual(directives(base, section, key));
      for (const key of ['Wants', 'Requires', 'BindsTo', 'Requisite', 'Upholds']) {
        for (const v of directives(unit, section, key).flatMap((x) => x.split(/\s+/)).filter(Boolean)) {
          expect(PULLABLE.test(v) || declared.has(v.replace(/\.service$/, '')) || directives(base, section, key).join(' ').split(/\s+/).includes(v), `${key}=${v}`).toBe(true);
        }
      }
      for (const key of ['WantedBy', 'RequiredBy']) for (const v of directives(unit, section, key).flatMap((x) => x.split(/\s+/)).filter(Boolean)) expect(v, key).toMatch(/^(?!(poweroff|reboot|halt|rescue|emergency|shutdown)\.)[^ ]+\.target$/);
    }
    expect(directives(unit, 'Service', 'User')).toEqual([s.name]);
    expect(directives(unit, 'Service', 'SupplementaryGroups')).toEqual([servicesGroup]);
    // Writable: the data folder, and nothing beyond the service's own folders (extraConfig may add its cache, log or runtime folder).
    const writable = directives(unit, 'Service', 'ReadWritePaths').flatMap((p) => splitWords(p)).map((w) => w.replace(/^-/, ''));
    for (const p of writable) expect(ownFolders(s).some((f) => p === f || p.startsWith(`${f}/`)), `ReadWritePaths ${p}`).toBe(true);
    for (const umask of directives(unit, 'Service', 'UMask')) expect(Number.parseInt(umask, 8) & 0o002, `UMask=${umask}`).toBe(0o002);
    const privileged = unit.sections.flatMap((sec) => sec.directives).filter(([k, v]) => k.startsWith('Exec') && /^[-@:]*[+!|]/.test(v));
    // At most the generated one (extraConfig may replace ExecStartPre= and drop it: fewer privileges, not more).
    for (const [k, v] of privileged) expect(`${k}=${v}`).toBe(`ExecStartPre=+systemd-tmpfiles --create ${path.posix.join(model.host.sysconfdir, 'tmpfiles.d', `atelier-${s.name}.conf`)}`);
  }
  // What root reads for other units (Caddy's token, restic's environment) is nowhere a service user can write.
  for (const [p, content] of files) {
    if (!p.startsWith('systemd/system/') || declared.has(p.replace(/^systemd\/system\/|\.service$/g, ''))) continue;
    for (const v of directives(parseUnit(content), 'Service', 'EnvironmentFile')) expect(splitWords(v)[0].replace(/^-/, ''), p).not.toMatch(/^\/(var\/lib|srv|tmp|home)\//);
  }
}

describe('no declaration gives a service user more than its own folder', () => {
  it(`holds for ${RUNS} declarations generated from the whole schema (seed ${SEED})`, () => {
    console.log(`privilege property: seed ${SEED} (replay: FUZZ_SEED=${SEED})`);
    fc.assert(
      fc.property(document, (doc) => {
        figures.cases++;
        const result = resolveDeclarations([{ file: 'gen.json', text: JSON.stringify(doc) }]);
        if (!result.model) {
          figures.refused++;
          if (process.env.DEBUG_PROPERTY) reasons.set(result.diagnostics[0].message.slice(0, 120), (reasons.get(result.diagnostics[0].message.slice(0, 120)) ?? 0) + 1);
          expect(result.diagnostics.length).toBeGreaterThan(0);
          return;
        }
        const emitted = emitAll(result.model);
        if (emitted.diagnostics.length > 0) {
          figures.refused++;
          return;
        }
        figures.accepted++;
        // The same declarations without extraConfig.systemd: the generated unit, for comparison.
        const plain = structuredClone(doc) as typeof doc;
        for (const s of Object.values(plain.services) as unknown as { extraConfig?: { systemd?: unknown } }[]) if (s.extraConfig) delete s.extraConfig.systemd;
        const base = resolveDeclarations([{ file: 'gen.json', text: JSON.stringify(plain) }]);
        expect(base.model, JSON.stringify(base.diagnostics)).not.toBeNull();
        check(result.model, new Map(emitted.files.map((f) => [f.path, f.content])), new Map(emitAll(base.model!).files.map((f) => [f.path, f.content])));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`privilege property figures: ${JSON.stringify(figures)}`);
    if (process.env.DEBUG_PROPERTY) console.log(JSON.stringify([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8)));
    // Measured: 5 to 8 % of generated declarations are accepted (49, 54, 75 of 1,000 over three seeds). The
    // bound is well under that, so that a random seed cannot fail it, and still fails if the checks stop being reached.
    expect(figures.accepted).toBeGreaterThan(RUNS / 40);
  }, 600_000);
});
