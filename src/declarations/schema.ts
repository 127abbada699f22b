// The declaration format, written once as data. Validation, defaults, "did you
// mean" suggestions and the JSON Schema (`atelier-emit schema`) all derive from it.

/** Checks applied to a string after placeholders are resolved. */
export type StringFormat =
  | 'absolute-path'
  | 'domain'
  | 'duration'
  | 'timespan'
  | 'calendar'
  | 'cidr'
  | 'env-name'
  | 'user-name'
  | 'module-name'
  | 'setting-name'
  | 'acme-ca'
  | 'dns-resolver'
  | 'command'
  | 'data-dir'
  | 'login-shell'
  | 'root-config-path'
  | 'program'
  | 'sudoers-command'
  | 'group-name'
  | 'glob'
  | 'http-url'
  | 'restic-subset'
  | 'single-line';

/** Context for defaults that depend on other values (`dataDir` on the name, …). */
export interface DefaultContext {
  name: string;
  /** The already-validated sibling values of the object being filled. */
  siblings: Record<string, unknown>;
  host: { sysconfdir: string };
}

type Default<T> = T | ((ctx: DefaultContext) => T);

interface Common {
  description: string;
}

export interface StringField extends Common {
  kind: 'string';
  nullable?: boolean;
  format?: StringFormat;
  /** Numbers and booleans are accepted and turned into strings (environment values: YAML reads `DEBUG: true` as a boolean). */
  coerce?: boolean;
  default?: Default<string | null>;
}
export interface IntField extends Common {
  kind: 'int';
  min?: number;
  max?: number;
  nullable?: boolean;
  default?: Default<number | null>;
}
export interface BoolField extends Common {
  kind: 'bool';
  default?: boolean;
}
export interface EnumField extends Common {
  kind: 'enum';
  values: readonly string[];
  default?: string;
}
export interface ListField extends Common {
  kind: 'list';
  items: Field;
  default?: readonly unknown[];
  /** A single string is accepted as a one-item list (`preStart`, directive values). */
  acceptSingle?: boolean;
}
/** A table whose keys the user chooses (environment variables, extra options). */
export interface RecordField extends Common {
  kind: 'record';
  values: Field;
  keyFormat?: StringFormat;
  /** An extra `table` option's declared default; the schema's own tables start empty. */
  default?: Readonly<Record<string, unknown>> | null;
}
/** A table with fixed keys. */
export interface ObjectField extends Common {
  kind: 'object';
  fields: Record<string, Field>;
  /** Takes keys declared elsewhere too (a service's extra options). */
  open?: boolean;
}
/** Any scalar or structure; checked elsewhere (an extra option's default, checked against its type). */
export interface AnyField extends Common {
  kind: 'any';
}
/** One of several shapes, told apart by the value's own shape: a scalar, a table or a list. */
export interface OneOfField extends Common {
  kind: 'oneOf';
  /** At most one option per shape (scalar, table, list), so the value picks its option. */
  options: readonly Field[];
  /** What a message says was expected, e.g. "a string or {env: NAME}". */
  expected: string;
}

export type Field = StringField | IntField | BoolField | EnumField | ListField | RecordField | ObjectField | AnyField | OneOfField;

const port = (description: string, extra: Pick<IntField, 'default'> = {}) => ({ kind: 'int', min: 1, max: 65535, description, ...extra }) as const satisfies IntField;

export const EXTRA_OPTION_TYPES = ['port', 'int', 'string', 'bool', 'list', 'table'] as const;

const directiveTable = (section: string) => ({
  kind: 'record',
  description: `[${section}] directives: a list directive (Environment, After, ReadWritePaths, …) adds to the generated lines, "" first resets it; others replace (systemd syntax)`,
  values: { kind: 'list', acceptSingle: true, items: { kind: 'string', format: 'single-line', description: 'a directive value' }, description: 'values' },
}) as const satisfies RecordField;

export const DEFAULT_EXCLUDES = ['*.log', 'node_modules', '.git', 'cache', 'tmp'] as const;

const service = {
  kind: 'object',
  description: 'One service; the key is its name (user, group and unit name).',
  open: true,
  fields: {
    // Factory parameters (mkService).
    description: { kind: 'string', format: 'single-line', description: 'Human-readable description', default: ({ name }) => `${name} service` },
    defaultPort: port('Default port if not overridden in config', { default: 3000 }),
    runtime: { kind: 'enum', values: ['bun', 'node', 'custom'], default: 'bun', description: '"bun", "node", or "custom"' },
    entryPoint: { kind: 'string', default: 'src/index.ts', description: 'Script to run, relative to <dataDir>/app (ignored if startCommand is set)' },
    startCommand: {
      kind: 'string',
      nullable: true,
      format: 'command',
      default: null,
      description: 'Override the full start command, for every runtime: a command line run with bash -c (required for runtime "custom")',
    },
    extraOptions: {
      kind: 'record',
      keyFormat: 'env-name',
      description: 'Additional options of this service: option → {type, default, description}',
      values: {
        kind: 'object',
        description: 'An extra option',
        fields: {
          type: { kind: 'enum', values: EXTRA_OPTION_TYPES, description: 'port, int, string, bool, list or table' },
          default: { kind: 'any', description: 'Value when the service does not set it' },
          description: { kind: 'string', default: '', description: 'What the option is for' },
        },
      },
    },
    extraConfig: {
      kind: 'object',
      description: 'Additional output when enabled',
      fields: {
        systemd: {
          kind: 'object',
          description: 'Directives added to, or replacing, the generated unit',
          fields: { Unit: directiveTable('Unit'), Service: directiveTable('Service'), Install: directiveTable('Install') },
        },
        preStart: {
          kind: 'list',
          acceptSingle: true,
          default: [],
          items: { kind: 'string', description: 'a shell line' },
          description: 'Shell lines run after the generated first-start steps',
        },
      },
    },
    // Options (atelier.services.<name>).
    enable: { kind: 'bool', default: false, description: 'Enable the service' },
    domain: { kind: 'string', nullable: true, format: 'domain', default: null, description: 'Domain for Caddy reverse proxy' },
    port: port('Port the service listens on', { default: ({ siblings }) => siblings.defaultPort as number }),
    dataDir: { kind: 'string', format: 'data-dir', default: ({ name }) => `/var/lib/${name}`, description: 'Data storage directory' },
    secretsFile: { kind: 'string', nullable: true, format: 'absolute-path', default: null, description: 'Secrets environment file' },
    repository: { kind: 'string', nullable: true, format: 'single-line', default: null, description: 'Git repo URL, cloned once on first start' },
    repositoryRef: { kind: 'string', nullable: true, format: 'single-line', default: null, description: 'Branch or tag to clone (default: the remote HEAD)' },
    healthUrl: { kind: 'string', nullable: true, format: 'single-line', default: null, description: 'Health check URL for monitoring' },
    environment: {
      kind: 'record',
      keyFormat: 'env-name',
      values: { kind: 'string', coerce: true, description: 'value' },
      description: 'Additional environment variables',
    },
    data: {
      kind: 'object',
      description: 'What the backup system backs up',
      fields: {
        sqlite: { kind: 'string', nullable: true, format: 'absolute-path', default: null, description: 'SQLite database path' },
        stopForBackup: { kind: 'bool', default: true, description: 'Stop the service during its backup' },
        stopUnits: { kind: 'list', default: [], items: { kind: 'string', format: 'single-line', description: 'a unit name' }, description: 'Other units stopped around the SQLite copy and started again' },
        preBackup: { kind: 'string', nullable: true, format: 'command', default: null, description: 'Command run as the service user before the snapshot (bash -c, in <dataDir>/app); failure fails the job' },
        postBackup: { kind: 'string', nullable: true, format: 'command', default: null, description: 'Command run as the service user after the snapshot; failure fails the job' },
        postgres: { kind: 'string', nullable: true, format: 'single-line', default: null, description: 'PostgreSQL database name (pg_dump during backup)' },
        files: { kind: 'list', default: [], items: { kind: 'string', format: 'absolute-path', description: 'a path' }, description: 'Additional file paths to back up' },
        exclude: { kind: 'list', default: DEFAULT_EXCLUDES, items: { kind: 'string', format: 'glob', description: 'a glob' }, description: 'Glob patterns to exclude' },
        schedule: { kind: 'string', nullable: true, format: 'calendar', default: null, description: "This service's backup timer (OnCalendar); null: host.backup.schedule" },
        keep: {
          kind: 'object',
          description: "This service's retention; each null: host.backup.prune's",
          fields: {
            last: { kind: 'int', min: 0, nullable: true, default: null, description: 'restic --keep-last' },
            daily: { kind: 'int', min: 0, nullable: true, default: null, description: 'restic --keep-daily' },
            weekly: { kind: 'int', min: 0, nullable: true, default: null, description: 'restic --keep-weekly' },
            monthly: { kind: 'int', min: 0, nullable: true, default: null, description: 'restic --keep-monthly' },
          },
        },
      },
    },
    caddy: {
      kind: 'object',
      description: 'Caddy virtual host',
      fields: {
        enable: { kind: 'bool', default: true, description: 'Enable Caddy reverse proxy' },
        extraConfig: { kind: 'string', default: '', description: 'Additional Caddy directives' },
        accessLog: { kind: 'bool', default: true, description: 'Per-site access log /var/log/caddy/access-<domain>.log, as NixOS writes by default' },
        rateLimit: {
          kind: 'object',
          description: 'Rate limiting',
          fields: {
            enable: { kind: 'bool', default: false, description: 'Enable rate limiting' },
            events: { kind: 'int', min: 1, default: 60, description: 'Requests per window' },
            window: { kind: 'string', format: 'duration', default: '1m', description: 'Rate limit time window' },
            key: { kind: 'string', format: 'single-line', default: '{client_ip}', description: 'What a bucket is keyed by' },
            routes: {
              kind: 'list',
              default: [],
              description: 'Separate limits for path matchers',
              items: {
                kind: 'object',
                description: 'A per-route limit',
                fields: {
                  path: { kind: 'string', format: 'single-line', description: 'Path matcher, e.g. /auth/*' },
                  events: { kind: 'int', min: 1, description: 'Requests per window' },
                  window: { kind: 'string', format: 'duration', description: 'Window, e.g. 1m' },
                },
              },
            },
          },
        },
      },
    },
  },
} as const satisfies ObjectField;
export const serviceSchema: ObjectField = service;

/** Keys of a route entry that must be given (no defaults). */
export const REQUIRED_ROUTE_KEYS = ['path', 'events', 'window'] as const;

const host = {
  kind: 'object',
  description: 'Host-wide settings',
  fields: {
    servicesGroup: { kind: 'string', format: 'group-name', default: 'services', description: 'The group every service user joins' },
    sysconfdir: { kind: 'string', format: 'root-config-path', default: '/etc', description: 'Where the emitted tree is installed' },
    systemctl: { kind: 'string', format: 'sudoers-command', default: '/usr/bin/systemctl', description: 'systemctl path used in sudoers rules' },
    userShell: { kind: 'string', format: 'login-shell', default: '/bin/bash', description: 'Login shell of service users' },
    runtimes: {
      kind: 'object',
      description: 'Command name or absolute path of each runtime',
      fields: {
        bun: { kind: 'string', format: 'program', default: 'bun', description: 'bun command' },
        node: { kind: 'string', format: 'program', default: 'node', description: 'node command' },
      },
    },
    caddy: {
      kind: 'object',
      description: 'Caddy settings',
      fields: {
        tls: { kind: 'enum', values: ['dns', 'internal', 'acme'], default: 'dns', description: 'dns, internal or acme' },
        dnsProvider: { kind: 'string', format: 'module-name', default: 'cloudflare', description: 'libdns provider module name' },
        dnsTokenEnv: { kind: 'string', format: 'env-name', default: 'CLOUDFLARE_API_TOKEN', description: "Environment variable holding the provider's token (when dnsSettings is empty)" },
        dnsSettings: {
          kind: 'record',
          keyFormat: 'setting-name',
          description: "The DNS provider's settings by name (rfc2136: server, key_name, key_alg, key); secrets as {env: NAME}",
          values: {
            kind: 'oneOf',
            expected: 'a string or {env: NAME}',
            description: 'A literal value, or {env: NAME} to read it from Caddy\'s environment at start',
            options: [
              { kind: 'string', format: 'single-line', description: 'A literal value, written into the Caddyfile (never a secret)' },
              {
                kind: 'object',
                description: "Read from Caddy's environment at start (put NAME in host.caddy.environmentFile)",
                fields: { env: { kind: 'string', format: 'env-name', description: 'Environment variable name' } },
              },
            ],
          },
        },
        dnsResolvers: {
          kind: 'list',
          default: [],
          items: { kind: 'string', format: 'dns-resolver', description: 'an IP address, with an optional :port' },
          description: 'DNS servers the DNS challenge asks for the zone and its propagation (default: the system resolvers)',
        },
        acmeCA: {
          kind: 'string',
          format: 'acme-ca',
          default: 'production',
          description: "ACME CA: production (Caddy's default issuers), staging (Let's Encrypt staging) or a private CA's https:// directory URL",
        },
        acmeCARoot: { kind: 'string', nullable: true, format: 'root-config-path', default: null, description: "PEM root certificate a private ACME CA's https endpoint is signed by" },
        environmentFile: { kind: 'string', nullable: true, format: 'root-config-path', default: null, description: "File with the DNS provider's secrets (Caddy's environment)" },
        trustedProxies: { kind: 'list', default: [], items: { kind: 'string', format: 'cidr', description: 'a CIDR range' }, description: 'Proxies in front of Caddy' },
      },
    },
    backup: {
      kind: 'object',
      description: 'restic backups',
      fields: {
        enable: { kind: 'bool', default: true, description: 'Emit backups for services with data declarations' },
        repositoryFile: {
          kind: 'string',
          format: 'root-config-path',
          default: ({ host }) => `${host.sysconfdir}/atelier/restic/repository`,
          description: 'restic repository file',
        },
        passwordFile: {
          kind: 'string',
          format: 'root-config-path',
          default: ({ host }) => `${host.sysconfdir}/atelier/restic/password`,
          description: 'restic password file',
        },
        environmentFile: { kind: 'string', nullable: true, format: 'root-config-path', default: null, description: 'restic environment (cloud credentials)' },
        schedule: { kind: 'string', format: 'calendar', default: '02:00', description: 'Per-service backup timer (OnCalendar)' },
        randomizedDelay: { kind: 'string', format: 'timespan', default: '2h', description: 'Timer randomized delay' },
        prune: {
          kind: 'object',
          description: 'One repository-wide prune',
          fields: {
            schedule: { kind: 'string', format: 'calendar', default: 'Sun *-*-* 05:00:00', description: 'OnCalendar of the prune' },
            randomizedDelay: { kind: 'string', format: 'timespan', default: '1h', description: 'Randomized delay' },
            keepLast: { kind: 'int', min: 0, default: 3, description: 'restic --keep-last' },
            keepDaily: { kind: 'int', min: 0, default: 7, description: 'restic --keep-daily' },
            keepWeekly: { kind: 'int', min: 0, default: 5, description: 'restic --keep-weekly' },
            keepMonthly: { kind: 'int', min: 0, default: 12, description: 'restic --keep-monthly' },
          },
        },
        check: {
          kind: 'object',
          description: 'A scheduled `restic check --read-data-subset` of the repository',
          fields: {
            enable: { kind: 'bool', default: true, description: 'Emit the check timer' },
            schedule: { kind: 'string', format: 'calendar', default: 'Wed *-*-* 05:00:00', description: 'OnCalendar of the check' },
            randomizedDelay: { kind: 'string', format: 'timespan', default: '1h', description: 'Randomized delay' },
            readDataSubset: { kind: 'string', format: 'restic-subset', default: '5%', description: 'restic --read-data-subset: n/t with t at most 256 (1/5), a percentage (5%) or a size with its unit (500M)' },
          },
        },
        onFailure: { kind: 'string', nullable: true, format: 'command', default: null, description: 'Run (bash -c, as root) when a backup, prune or check fails; $1 the failed unit, $2 its last journal lines' },
        healthcheckUrl: { kind: 'string', nullable: true, format: 'http-url', default: null, description: 'healthchecks.io-style base URL: each job pings <url>/<unit>/start, <url>/<unit>, <url>/<unit>/fail' },
      },
    },
  },
} as const satisfies ObjectField;
export const hostSchema: ObjectField = host;

export const documentSchema: ObjectField = {
  kind: 'object',
  description: 'An atelier-emit declaration file',
  fields: {
    host: hostSchema,
    services: { kind: 'record', keyFormat: 'user-name', values: serviceSchema, description: 'Services by name' },
  },
};

// ---------------------------------------------------------------------------
// The types of declared values, derived from the fields above: a new option is
// added in one place, and the model (src/model.ts) gets its type from here.

/** The value a field holds once validated and defaulted. */
export type Value<F> = F extends { kind: 'string' }
  ? F extends { nullable: true } ? string | null : string
  : F extends { kind: 'int' }
    ? F extends { nullable: true } ? number | null : number
    : F extends { kind: 'bool' }
      ? boolean
      : F extends { kind: 'enum'; values: readonly (infer V)[] }
        ? V
        : F extends { kind: 'list'; items: infer I }
          ? Value<I>[]
          : F extends { kind: 'record'; values: infer V }
            ? Record<string, Value<V>>
            : F extends { kind: 'object'; fields: infer Fields }
              ? { -readonly [K in keyof Fields]: Value<Fields[K]> }
              : F extends { kind: 'oneOf'; options: readonly (infer O)[] }
                ? Value<O>
                : unknown;

/** A service's options as declared (before the model adds what it derives: name, extra ports, sources, positions). */
export type DeclaredService = Value<typeof service>;
/** The host settings as declared. */
export type DeclaredHost = Value<typeof host>;
