// The resolved model: the only thing emitters read. Every value is merged,
// defaulted and placeholder-resolved; every service here is enabled.

/** Where a value was written: used for every message about that value. */
export interface Origin {
  file: string;
  line: number;
  column: number;
}

/** A problem found in the declarations (or refused by an emitter), with its position. */
export interface Diagnostic extends Origin {
  message: string;
  hint?: string;
}

export type Runtime = 'bun' | 'node' | 'custom';
export type ExtraOptionType = 'port' | 'int' | 'string' | 'bool' | 'list' | 'table';
export type TlsMode = 'dns' | 'internal' | 'acme';
/** A DNS provider setting: a literal, or the name of an environment variable Caddy reads at start. */
export type DnsSetting = string | { env: string };

export interface RateLimitRoute {
  path: string;
  events: number;
  window: string;
}

export interface RateLimit {
  enable: boolean;
  events: number;
  window: string;
  key: string;
  routes: RateLimitRoute[];
}

export interface ExtraOption {
  type: ExtraOptionType;
  description: string;
  value: unknown;
}

/** `extraConfig.systemd.<Section>`: directive → values; added to list directives, replacing single-valued ones. */
export type UnitOverrides = Record<string, string[]>;

export interface ServiceModel {
  name: string;
  description: string;
  runtime: Runtime;
  entryPoint: string;
  startCommand: string | null;
  port: number;
  /** Extra options of type `port`, sorted by option name. */
  extraPorts: { option: string; port: number }[];
  /** All extra options with their resolved values, by option name. */
  extraOptions: Record<string, ExtraOption>;
  domain: string | null;
  dataDir: string;
  secretsFile: string | null;
  repository: string | null;
  repositoryRef: string | null;
  healthUrl: string | null;
  /** Declared environment only (NODE_ENV and PORT are the systemd emitter's job); keys sorted. */
  environment: Record<string, string>;
  data: {
    sqlite: string | null;
    stopForBackup: boolean;
    /** Other units stopped around the SQLite copy, with the service. */
    stopUnits: string[];
    /** Command lines run as the service user before / after the snapshot. */
    preBackup: string | null;
    postBackup: string | null;
    postgres: string | null;
    files: string[];
    exclude: string[];
  };
  caddy: {
    enable: boolean;
    extraConfig: string;
    accessLog: boolean;
    rateLimit: RateLimit;
  };
  extraConfig: {
    systemd: { Unit: UnitOverrides; Service: UnitOverrides; Install: UnitOverrides };
    /** Shell lines run after the generated first-start steps. */
    preStart: string[];
  };
  /** Declaration files that defined this service, in merge order (as given on the command line). */
  sources: string[];
  /**
   * Position of each declared value, by its dotted path inside the service
   * (`description`, `environment.FOO`, `caddy.rateLimit.routes.0.path`,
   * `extraConfig.systemd.Service.LimitNOFILE.0`). Use `originOf` to read it.
   */
  origins: Record<string, Origin>;
}

export interface HostModel {
  servicesGroup: string;
  sysconfdir: string;
  systemctl: string;
  userShell: string;
  runtimes: { bun: string; node: string };
  caddy: {
    tls: TlsMode;
    dnsProvider: string;
    dnsTokenEnv: string;
    /** The provider's settings by name, sorted where they are written. */
    dnsSettings: Record<string, DnsSetting>;
    dnsResolvers: string[];
    /** `production`, `staging` or a private CA's https:// directory URL. */
    acmeCA: string;
    acmeCARoot: string | null;
    environmentFile: string | null;
    trustedProxies: string[];
  };
  backup: {
    enable: boolean;
    repositoryFile: string;
    passwordFile: string;
    environmentFile: string | null;
    schedule: string;
    randomizedDelay: string;
    prune: {
      schedule: string;
      randomizedDelay: string;
      keepLast: number;
      keepDaily: number;
      keepWeekly: number;
      keepMonthly: number;
    };
  };
  /** Position of each declared host value, by dotted path inside `host`. */
  origins: Record<string, Origin>;
}

export interface Model {
  host: HostModel;
  /** Enabled services only, sorted by name. */
  services: ServiceModel[];
  /** Every declaration file read, in merge order. */
  sources: string[];
}

/**
 * The position of a service value, or of the nearest declared parent
 * (a defaulted value has none of its own, so the service's key stands in).
 */
export function originOf(service: ServiceModel, path: string): Origin {
  let p = path;
  for (;;) {
    const o = service.origins[p];
    if (o) return o;
    const dot = p.lastIndexOf('.');
    if (dot < 0) break;
    p = p.slice(0, dot);
  }
  return service.origins[''] ?? { file: service.sources[0] ?? '<unknown>', line: 1, column: 1 };
}

export function hostOriginOf(host: HostModel, path: string, fallback: Origin): Origin {
  let p = path;
  for (;;) {
    const o = host.origins[p];
    if (o) return o;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return host.origins[''] ?? fallback;
    p = p.slice(0, dot);
  }
}
