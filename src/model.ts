// The resolved model: the only thing emitters read. Every value is merged,
// defaulted and placeholder-resolved; every service here is enabled.
import type { DeclaredHost, DeclaredService, EXTRA_OPTION_TYPES } from './declarations/schema.js';

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

/** A service's options and the host settings take their types from the schema: a new option is added there, once. */
type Declared = DeclaredService;

export type Runtime = Declared['runtime'];
export type ExtraOptionType = (typeof EXTRA_OPTION_TYPES)[number];
export type TlsMode = DeclaredHost['caddy']['tls'];
/** A DNS provider setting: a literal, or the name of an environment variable Caddy reads at start. */
export type DnsSetting = DeclaredHost['caddy']['dnsSettings'][string];
export type RateLimit = Declared['caddy']['rateLimit'];
export type RateLimitRoute = RateLimit['routes'][number];

export interface ExtraOption {
  type: ExtraOptionType;
  description: string;
  value: unknown;
}

/** `extraConfig.systemd.<Section>`: directive → values; added to list directives, replacing single-valued ones. */
export type UnitOverrides = Declared['extraConfig']['systemd']['Unit'];

/**
 * An enabled service: its declared options, resolved (placeholders, defaults),
 * plus what the model derives. `enable` and `defaultPort` are consumed by
 * resolution (only enabled services reach the model; `port` holds the port).
 */
export interface ServiceModel extends Omit<Declared, 'enable' | 'defaultPort' | 'extraOptions'> {
  name: string;
  /** Extra options of type `port`, sorted by option name. */
  extraPorts: { option: string; port: number }[];
  /** All extra options with their resolved values, by option name. */
  extraOptions: Record<string, ExtraOption>;
  /** Declaration files that defined this service, in merge order (as given on the command line). */
  sources: string[];
  /**
   * Position of each declared value, by its dotted path inside the service
   * (`description`, `environment.FOO`, `caddy.rateLimit.routes.0.path`,
   * `extraConfig.systemd.Service.LimitNOFILE.0`). Use `originOf` to read it.
   */
  origins: Record<string, Origin>;
}

export interface HostModel extends DeclaredHost {
  /** Position of each declared host value, by dotted path inside `host`. */
  origins: Record<string, Origin>;
}

export interface Model {
  host: HostModel;
  /** Enabled services only, sorted by name. */
  services: ServiceModel[];
  /** Every declaration file read, in merge order. */
  sources: string[];
  /**
   * Services declared with `enable: false` (or no `enable`), sorted: an explicit
   * decision, so `--apply` stops them and their files go, without `--prune`.
   */
  disabled: string[];
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
  return serviceOrigin(service);
}

/** Where the service is declared: its key (its first file's start when it has none). */
export function serviceOrigin(service: ServiceModel): Origin {
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
