// The declaration reference (docs/declarations.md), derived from schema.ts like
// the JSON Schema: every key with its type, default, meaning and an example.
// A new option appears here by being added to the schema; a test keeps the
// checked-in document equal to this output.
import { stringify } from 'yaml';
import { hostSchema, serviceSchema, type DefaultContext, type Field, type ObjectField, type StringFormat } from './schema.js';

export const GENERATED_BEGIN = '<!-- BEGIN GENERATED from src/declarations/schema.ts by `npm run docs:update`: do not edit by hand -->';
export const GENERATED_END = '<!-- END GENERATED -->';

/** The generated part of docs/declarations.md: one table per section of the format. */
export function declarationReference(): string {
  const blocks = [
    section('`services.<name>`', 'One service; the key is its name (user, group and unit name).', 'services.myapp', serviceSchema),
    section('`host`', 'Host-wide settings; every key is optional.', 'host', hostSchema),
  ];
  return `${GENERATED_BEGIN}\n\n${blocks.join('\n\n')}\n\n${GENERATED_END}`;
}

interface Row {
  key: string;
  field: Field;
}

function section(title: string, intro: string, prefix: string, schema: ObjectField): string {
  const rows = flatten(schema, '');
  const lines = [`### ${title}`, '', intro, '', '| key | type | default | meaning | example |', '|---|---|---|---|---|'];
  for (const { key, field } of rows) {
    lines.push(`| \`${key}\` | ${typeOf(field)} | ${defaultOf(field)} | ${cell(field.description)} | ${exampleOf(prefix, key, field)} |`);
  }
  return lines.join('\n');
}

/** One row per key: tables with fixed keys open into dotted rows; a list of tables into `list[].key` rows. */
function flatten(object: ObjectField, prefix: string): Row[] {
  const rows: Row[] = [];
  for (const [name, field] of Object.entries(object.fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (field.kind === 'object') rows.push(...flatten(field, key));
    else if (field.kind === 'list' && field.items.kind === 'object') {
      rows.push({ key, field });
      rows.push(...flatten(field.items, `${key}[]`));
    } else if (field.kind === 'record' && field.values.kind === 'object') {
      rows.push({ key, field });
      rows.push(...flatten(field.values, `${key}.<name>`));
    } else rows.push({ key, field });
  }
  return rows;
}

const FORMAT_NAMES: Record<StringFormat, string> = {
  'absolute-path': 'absolute path',
  domain: 'DNS name',
  duration: 'duration (`30s`, `1m`, `1h`)',
  timespan: 'systemd time span (`2h`, `30min`)',
  calendar: 'systemd calendar event (`02:00`, `Sun *-*-* 05:00:00`)',
  cidr: 'CIDR range',
  'env-name': 'environment variable name',
  'user-name': 'user or group name',
  'module-name': 'Caddy module name',
  'setting-name': 'setting name (`api_token`)',
  'acme-ca': '`production`, `staging` or an `https://` ACME directory URL',
  'dns-resolver': 'DNS server (an IP address, optional `:port`)',
  command: 'command line',
  glob: 'restic exclude pattern',
  'http-url': '`http://` or `https://` URL',
  'restic-subset': 'restic data subset (`1/5`, `5%`, `500M`)',
  'single-line': 'string (one line)',
  'data-dir': 'a folder of its own under /var/lib or /srv',
  'login-shell': 'absolute path (no `:`)',
  'root-config-path': 'absolute path root reads (not under /home, /var/lib, /srv)',
  program: 'command name or absolute path (not starting with an Exec prefix such as `+` or `!`)',
  'sudoers-command': 'plain path ending in /systemctl',
  'group-name': 'group name (not a system group)',
};

/** The type column of a key's row. */
export function typeOf(field: Field): string {
  switch (field.kind) {
    case 'string': {
      const base = field.format ? FORMAT_NAMES[field.format] : 'string';
      const coerced = field.coerce ? `${base} (numbers and booleans are written as text, a number as written)` : base;
      return field.nullable ? `${coerced} or null` : coerced;
    }
    case 'int': {
      const range = field.min === 1 && field.max === 65535 ? 'port (1–65535)' : field.min !== undefined && field.max !== undefined ? `integer ${field.min}–${field.max}` : field.min !== undefined ? `integer ≥ ${field.min}` : 'integer';
      return field.nullable ? `${range} or null` : range;
    }
    case 'bool':
      return 'bool';
    case 'enum':
      return field.values.map((v) => `\`"${v}"\``).join(' \\| ');
    case 'list':
      return `list of ${field.items.kind === 'object' ? 'tables' : plural(typeOf(field.items))}${field.acceptSingle ? ' (one value alone is a one-item list)' : ''}`;
    case 'record':
      return `table: ${field.keyFormat ? FORMAT_NAMES[field.keyFormat] : 'name'} → ${typeOf(field.values)}`;
    case 'object':
      return 'table';
    case 'any':
      return 'any value';
    case 'oneOf':
      return field.expected.replace(/\{[^}]*\}/g, (m) => `\`${m}\``);
  }
}

const plural = (t: string) => t.replace(/^(string|absolute path|DNS name|DNS server|CIDR range|command line|restic exclude pattern|integer)/, '$1s');

/** Function defaults are shown with the names they depend on: `/var/lib/<name>`, `<sysconfdir>/atelier/...`. */
const SYMBOLIC: DefaultContext = { name: '<name>', siblings: { defaultPort: '`defaultPort`' }, host: { sysconfdir: '<sysconfdir>' } };

/** The default column of a key's row. */
export function defaultOf(field: Field): string {
  if (field.kind === 'object' || field.kind === 'any') return '';
  if (field.kind === 'record') return '`{}`';
  if (!('default' in field) || field.default === undefined) return field.kind === 'list' ? '`[]`' : '—';
  const value = typeof field.default === 'function' ? field.default(SYMBOLIC) : field.default;
  if (typeof value === 'string' && value.startsWith('`')) return value;
  return `\`${JSON.stringify(value)}\``;
}

/** Examples the type alone cannot suggest well, by key. */
const EXAMPLES: Record<string, unknown> = {
  'services.myapp.description': 'My application',
  'services.myapp.entryPoint': 'src/server.ts',
  'services.myapp.startCommand': 'cd web && bun run src/server/index.ts',
  'services.myapp.extraOptions': { WORKERS: { type: 'int', default: 2, description: 'worker processes' } },
  'services.myapp.extraOptions.<name>.type': 'int',
  'services.myapp.extraOptions.<name>.default': 2,
  'services.myapp.extraOptions.<name>.description': 'worker processes',
  'services.myapp.extraConfig.systemd.Unit': { Wants: ['redis.service'] },
  'services.myapp.extraConfig.systemd.Service': { LimitNOFILE: '65536', Environment: ['DATABASE_PATH=/var/lib/myapp/data/app.db'] },
  'services.myapp.extraConfig.systemd.Install': { Alias: 'myapp-web.service' },
  'services.myapp.extraConfig.preStart': ['bun run migrate'],
  'services.myapp.domain': 'myapp.example.com',
  'services.myapp.port': 3010,
  'services.myapp.defaultPort': 3000,
  'services.myapp.dataDir': '/var/lib/myapp',
  'services.myapp.secretsFile': '/run/agenix/myapp',
  'services.myapp.repository': 'https://github.com/example/myapp',
  'services.myapp.repositoryRef': 'v1.4.0',
  'services.myapp.healthUrl': 'https://myapp.example.com/health',
  'services.myapp.environment': { DATABASE_PATH: '${dataDir}/data/app.db', ORIGIN: 'https://${domain}' },
  'services.myapp.data.sqlite': '${dataDir}/data/app.db',
  'services.myapp.data.stopUnits': ['myapp-worker.service'],
  'services.myapp.data.preBackup': 'bun run export --out ../data/export',
  'services.myapp.data.postBackup': 'rm -rf ../data/export',
  'services.myapp.data.postgres': 'myapp',
  'services.myapp.data.files': ['${dataDir}/data/uploads'],
  'services.myapp.data.exclude': ['*.log', 'node_modules', 'cache'],
  'services.myapp.caddy.extraConfig': 'encode zstd gzip',
  'services.myapp.caddy.rateLimit.routes': [{ path: '/auth/*', events: 10, window: '1m' }],
  'services.myapp.caddy.rateLimit.routes[].path': '/auth/*',
  'services.myapp.caddy.rateLimit.routes[].events': 10,
  'services.myapp.caddy.rateLimit.routes[].window': '1m',
  'host.servicesGroup': 'services',
  'host.sysconfdir': '/etc',
  'host.runtimes.bun': '/usr/local/bin/bun',
  'host.runtimes.node': '/usr/bin/node',
  'host.caddy.environmentFile': '/etc/caddy/dns.env',
  'host.backup.repositoryFile': '/etc/atelier/restic/repository',
  'host.backup.passwordFile': '/etc/atelier/restic/password',
  'host.backup.prune.keepLast': 5,
  'host.userShell': '/usr/sbin/nologin',
  'host.caddy.trustedProxies': ['173.245.48.0/20'],
  'host.caddy.dnsSettings': { key_name: 'caddy-acme', key: { env: 'RFC2136_TSIG_SECRET' } },
  'host.caddy.dnsResolvers': ['192.0.2.53'],
  'host.caddy.acmeCA': 'staging',
  'host.caddy.acmeCARoot': '/etc/caddy/internal-root.pem',
  'host.backup.environmentFile': '/etc/atelier/restic/env',
};

/** A synthesized example where none is listed: the default when it says something, else a value of the type. */
export function sampleOf(field: Field): unknown {
  switch (field.kind) {
    case 'string':
      if (typeof field.default === 'string' && field.default !== '') return field.default;
      return field.format === 'absolute-path' ? '/srv/example' : field.format === 'domain' ? 'example.com' : field.format === 'duration' ? '1m' : field.format === 'env-name' ? 'EXAMPLE' : 'text';
    case 'int':
      return typeof field.default === 'number' ? field.default : field.min ?? 1;
    case 'bool':
      return !field.default; // the other value than the default (false when none)
    case 'enum':
      return field.values.find((v) => v !== field.default) ?? field.values[0];
    case 'list':
      return field.default && field.default.length > 0 ? [...field.default] : [sampleOf(field.items)];
    case 'record':
      return { EXAMPLE: sampleOf(field.values) };
    case 'object':
    case 'any':
      return null;
    case 'oneOf':
      return sampleOf(field.options[0]);
  }
}

/** The example column of a key's row: the key's YAML on one line, from the section's top. */
export function exampleOf(prefix: string, key: string, field: Field): string {
  const full = `${prefix}.${key}`;
  const value = full in EXAMPLES ? EXAMPLES[full] : sampleOf(field);
  // No example: a table with fixed keys or any value, with none listed (sampleOf gives null for nothing else).
  if (value === null) return '';
  // The example as the YAML a declaration would hold, on one line: `data: { sqlite: /var/lib/myapp/data/app.db }`.
  const [first, ...rest] = key.split('.');
  const nested = rest.reduceRight<unknown>((inner, part) => wrap(part, inner), value);
  const [head, wrapped] = first.endsWith('[]') ? [first.slice(0, -2), [nested]] : [first, nested];
  const yaml = `${head}: ${stringify(wrapped, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`;
  return `\`${yaml.replace(/\|/g, '\\|')}\``;
}

/** `{part: inner}`, where `list[]` is a one-item list and `<name>` an example name. */
function wrap(part: string, inner: unknown): unknown {
  if (part.endsWith('[]')) return { [part.slice(0, -2)]: [inner] };
  return { [part === '<name>' ? 'WORKERS' : part]: inner };
}

/** A description as one table cell: `|` escaped, line breaks as spaces. */
export const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
