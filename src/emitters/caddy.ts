// The Caddy emitter: one site per service (TLS from caddy-tls.ts, rate limits,
// reverse proxy), the file that imports them all, and the drop-in that gives
// Caddy the DNS provider's secrets. It builds directive trees; src/formats/caddyfile.ts turns them into
// text. Every value is checked here first, so that a value Caddy would read
// differently becomes a diagnostic at its declaration, never a thrown error.
import { isIP } from 'node:net';
import * as path from 'node:path';
import { hostOriginOf, originOf, type Diagnostic, type HostModel, type Model, type Origin, type RateLimit, type ServiceModel } from '../model.js';
import {
  blockContentProblem,
  formatBlockContent,
  renderCaddyfile,
  tokenProblem,
  type CaddyDirective,
  type CaddyItem,
  type CaddyTopLevel,
} from '../formats/caddyfile.js';
import { UnsafeValueError } from '../formats/errors.js';
import { escapeText, renderUnit } from '../formats/unit-file.js';
import { tlsItems } from './caddy-tls.js';
import { hashCommentHeader } from './header.js';
import type { EmitResult, EmittedFile, Emitter } from './types.js';

export const sitePath = (name: string) => `caddy/sites/${name}.caddy`;
export const CADDY_INDEX_PATH = 'caddy/atelier.caddy';
export const CADDY_DROP_IN_PATH = 'systemd/system/caddy.service.d/atelier.conf';
/**
 * NixOS's services.caddy.logDir. Debian's caddy package creates it (caddy:caddy,
 * 0755) and its unit's ProtectSystem=full leaves /var writable, so Caddy writes
 * there under its own unit; no drop-in (which would restart Caddy) is needed.
 */
export const CADDY_LOG_DIR = '/var/log/caddy';

/** NixOS's default per-site log, `access-<host>.log`; a wildcard's `*` becomes `_` (no glob character in a file name). */
export const accessLogPath = (domain: string) => `${CADDY_LOG_DIR}/access-${domain.toLowerCase().replace('*', '_')}.log`;

export const caddyEmitter: Emitter = {
  name: 'caddy',
  emit(model: Model): EmitResult {
    const diagnostics: Diagnostic[] = [];
    const files: EmittedFile[] = [];
    const tls = sharedTls(model, diagnostics);
    const sites: ServiceModel[] = [];
    for (const service of model.services.filter((s) => s.caddy.enable && s.domain !== null)) {
      const file = siteFile(model.host, service, tls, diagnostics);
      if (file) {
        files.push(file);
        sites.push(service);
      }
    }
    const index = indexFile(model, sites, diagnostics);
    if (index) files.push(index);
    const dropIn = dropInFile(model, diagnostics);
    if (dropIn) files.push(dropIn);
    return { files, diagnostics };
  },
};

/** Collects problems of one file; the file is omitted when it has any. */
class Problems {
  count = 0;
  constructor(
    private readonly diagnostics: Diagnostic[],
    private readonly subject: string,
    private readonly into = 'a Caddyfile',
  ) {}

  /** Records `message` (when not null) at `origin`; returns whether there was one. */
  check(origin: Origin, valuePath: string, message: string | null, hint?: string): boolean {
    if (message === null) return false;
    this.count++;
    this.diagnostics.push({ ...origin, message: `\`${this.subject}.${valuePath}\` cannot be written into ${this.into}: ${message}`, ...(hint ? { hint } : {}) });
    return true;
  }
}

const hostOrigin = (model: Model, valuePath: string) => hostOriginOf(model.host, valuePath, { file: model.sources[0] ?? '<unknown>', line: 1, column: 1 });

/** The `tls` directive shared by every site (caddy-tls.ts), or null when a host value cannot be written. */
function sharedTls(model: Model, diagnostics: Diagnostic[]): CaddyItem[] | null {
  const problems = new Problems(diagnostics, 'host');
  return tlsItems(model.host, (valuePath, message, hint) => problems.check(hostOrigin(model, valuePath), valuePath, message, hint));
}

function siteFile(host: HostModel, s: ServiceModel, tls: CaddyItem[] | null, diagnostics: Diagnostic[]): EmittedFile | null {
  const problems = new Problems(diagnostics, `services.${s.name}`);
  const at = (valuePath: string) => originOf(s, valuePath);
  problems.check(at('domain'), 'domain', domainProblem(s.domain!, host));
  problems.check(at('port'), 'port', Number.isInteger(s.port) && s.port >= 1 && s.port <= 65535 ? null : 'not a port (1-65535)');
  const limiter = rateLimitDirective(s, problems);
  const extra = s.caddy.extraConfig.trim() === '' ? null : blockContentProblem(s.caddy.extraConfig);
  problems.check(at('caddy.extraConfig'), 'caddy.extraConfig', extra, 'extraConfig holds directives of this site only: balanced braces, double quotes, no import or {$ENV}');
  if (problems.count > 0 || tls === null) return null;

  // `localhost`, not 127.0.0.1: Caddy's dialer tries every address localhost resolves to,
  // so the app is reached whether it binds 127.0.0.1, ::1, 0.0.0.0 or ::.
  const upstream: CaddyDirective = { name: 'reverse_proxy', args: [`localhost:${s.port}`] };
  const body: CaddyItem[] = [...tls];
  if (limiter) {
    body.push(
      { comment: 'rate_limit needs a Caddy built with http.handlers.rate_limit (github.com/mholt/caddy-ratelimit);' },
      { comment: 'inside route it runs before reverse_proxy, as written, on any Caddy version.' },
      { name: 'route', block: [limiter, upstream] },
    );
  } else {
    body.push(upstream);
  }
  if (s.caddy.accessLog) body.push({ name: 'log', block: [{ name: 'output', args: ['file', accessLogPath(s.domain!)] }] });
  if (s.caddy.extraConfig.trim() !== '') body.push({ raw: ['', ...formatBlockContent(s.caddy.extraConfig)] });
  const site: CaddyDirective = { name: s.domain!.toLowerCase(), block: body };
  return { path: sitePath(s.name), mode: 0o644, content: renderCaddyfile(hashCommentHeader(s.sources), [[site]]), service: s.name };
}

/** Why `domain` cannot be this site's address: it must be a plain DNS name, so it cannot name another site. */
function domainProblem(domain: string, host: HostModel): string | null {
  const wildcard = domain.startsWith('*.');
  const name = wildcard ? domain.slice(2) : domain;
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) {
    return 'not a DNS name (letters, digits and inner hyphens in dot-separated labels of at most 63 characters; an optional leading `*.`)';
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return 'not a DNS name (the last label is numeric, as in an IP address)';
  if (wildcard && host.caddy.tls === 'acme') return 'a wildcard certificate needs the DNS challenge (host.caddy.tls: dns) or tls internal';
  return null;
}

/** Go durations as caddy.ParseDuration reads them, plus `d`; a zone needs a window above zero. */
function windowProblem(window: string): string | null {
  if (!/^(\d+(\.\d+)?(ns|us|µs|μs|ms|s|m|h|d))+$/.test(window)) return 'not a duration such as 30s, 1m or 1h';
  return /[1-9]/.test(window) ? null : 'a window must be longer than zero';
}

/**
 * The caddy-ratelimit `rate_limit` handler (grammar from its README:
 * `zone <name> { match { <matchers> } key … window … events … }`).
 * Every request is counted in at most one zone: a route's zone matches its
 * path and none of the paths listed before it (the first listed route wins),
 * and the site-wide zone, named after the service, matches none of them.
 * Zone names must be unique across all of Caddy (the plugin keeps zones in
 * one global pool): service names are unique and never contain `_`.
 */
function rateLimitDirective(s: ServiceModel, problems: Problems): CaddyDirective | null {
  const limit: RateLimit = s.caddy.rateLimit;
  const at = (valuePath: string) => originOf(s, valuePath);
  if (!limit.enable && limit.routes.length === 0) return null;
  problems.check(at('caddy.rateLimit.key'), 'caddy.rateLimit.key', tokenProblem(limit.key));
  if (limit.enable) {
    problems.check(at('caddy.rateLimit.window'), 'caddy.rateLimit.window', windowProblem(limit.window));
    problems.check(at('caddy.rateLimit.events'), 'caddy.rateLimit.events', eventsProblem(limit.events));
  }
  limit.routes.forEach((route, i) => {
    const p = `caddy.rateLimit.routes.${i}`;
    const first = limit.routes.findIndex((r) => r.path === route.path);
    problems.check(at(`${p}.path`), `${p}.path`, routePathProblem(route.path) ?? (first < i ? `the same path as routes.${first}, whose zone already counts it` : null));
    problems.check(at(`${p}.window`), `${p}.window`, windowProblem(route.window));
    problems.check(at(`${p}.events`), `${p}.events`, eventsProblem(route.events));
  });
  if (problems.count > 0) return null;

  const paths = limit.routes.map((r) => r.path);
  const zones: CaddyDirective[] = [];
  if (limit.enable) zones.push(zone(s.name, limit.key, limit.events, limit.window, paths.length > 0 ? [{ name: 'not', args: ['path', ...paths] }] : []));
  limit.routes.forEach((route, i) => {
    const match: CaddyDirective[] = [{ name: 'path', args: [route.path] }];
    if (i > 0) match.push({ name: 'not', args: ['path', ...paths.slice(0, i)] });
    zones.push(zone(`${s.name}_route${i + 1}`, limit.key, route.events, route.window, match));
  });
  return zones.length > 0 ? { name: 'rate_limit', block: zones } : null;
}

function eventsProblem(events: number): string | null {
  return Number.isSafeInteger(events) && events >= 1 ? null : 'not a whole number of at least 1';
}

/** A path matcher pattern: one token, starting with `/` or `*` (any other never matches a request path). */
function routePathProblem(routePath: string): string | null {
  if (!/^[/*]/.test(routePath)) return 'a path pattern starts with `/` or `*`, such as /auth/*';
  return tokenProblem(routePath);
}

function zone(name: string, key: string, events: number, window: string, match: CaddyDirective[]): CaddyDirective {
  const block: CaddyItem[] = match.length > 0 ? [{ name: 'match', block: match }] : [];
  block.push({ name: 'key', args: [key] }, { name: 'window', args: [window] }, { name: 'events', args: [String(events)] });
  return { name: 'zone', args: [name], block };
}

/**
 * Imports every site by its own path (a glob would pick up stray files).
 * With trusted proxies it starts with the global options block; a Caddyfile
 * has one, and only as its first block, so the main Caddyfile must then
 * import this file on its first line (comments aside) and have no global
 * options block of its own.
 */
function indexFile(model: Model, sites: ServiceModel[], diagnostics: Diagnostic[]): EmittedFile | null {
  const { host } = model;
  const problems = new Problems(diagnostics, 'host');
  host.caddy.trustedProxies.forEach((cidr, i) =>
    problems.check(hostOrigin(model, `caddy.trustedProxies.${i}`), `caddy.trustedProxies.${i}`, isCidr(cidr) ? null : 'not a CIDR range such as 173.245.48.0/20'),
  );
  // Checked even when no site is written, so that the problem is reported once, at sysconfdir.
  problems.check(hostOrigin(model, 'sysconfdir'), 'sysconfdir', importPathProblem(path.posix.join(host.sysconfdir, sitePath('site'))));
  const imports = sites.map((s) => path.posix.join(host.sysconfdir, sitePath(s.name)));
  if (problems.count > 0 || (sites.length === 0 && host.caddy.trustedProxies.length === 0)) return null;

  const paragraphs: CaddyTopLevel[][] = [];
  if (host.caddy.trustedProxies.length > 0) {
    paragraphs.push([
      { comment: 'Global options: valid only as the first block of the whole Caddyfile, so the main' },
      { comment: `Caddyfile must import this file on its first line. trusted_proxies needs Caddy 2.7+.` },
      { globalOptions: [{ name: 'servers', block: [{ name: 'trusted_proxies', args: ['static', ...host.caddy.trustedProxies] }] }] },
    ]);
  }
  if (imports.length > 0) paragraphs.push(imports.map((p) => ({ name: 'import', args: [p] })));
  return { path: CADDY_INDEX_PATH, mode: 0o644, content: renderCaddyfile(hashCommentHeader(), paragraphs) };
}

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  const family = isIP(address);
  return rest.length === 0 && family !== 0 && bits !== undefined && /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** An import path is a glob for Caddy: one that could match other files is refused. */
function importPathProblem(importPath: string): string | null {
  if (/[*?[\]]/.test(importPath)) return 'the import path would be a glob (`*`, `?` or `[`)';
  return tokenProblem(importPath);
}

/** Caddy reads its DNS token's file only at start: the drop-in adds it to caddy.service. */
function dropInFile(model: Model, diagnostics: Diagnostic[]): EmittedFile | null {
  const file = model.host.caddy.environmentFile;
  if (file === null) return null;
  let value: string;
  try {
    value = escapeText(file);
  } catch (err) {
    if (!(err instanceof UnsafeValueError)) throw err;
    new Problems(diagnostics, 'host', 'a systemd drop-in').check(hostOrigin(model, 'caddy.environmentFile'), 'caddy.environmentFile', err.message);
    return null;
  }
  const content = renderUnit(hashCommentHeader(), [{ name: 'Service', directives: [['EnvironmentFile', value]] }]);
  return { path: CADDY_DROP_IN_PATH, mode: 0o644, content };
}
