// The Caddy emitter: one site per service (TLS, rate limits, reverse proxy),
// the file that imports them all, and the drop-in that gives Caddy its DNS token.
import * as path from 'node:path';
import { originOf, type Diagnostic, type HostModel, type Model, type RateLimit, type ServiceModel } from '../model.js';
import { blockContentProblem, formatBlockContent, renderCaddy, renderCaddyBlocks, token, UnsafeCaddyValue, type CaddyItem, type CaddyNode } from '../formats/caddyfile.js';
import { escapeText, renderUnit } from '../formats/unit-file.js';
import { hashCommentHeader } from './header.js';
import type { EmitResult, EmittedFile, Emitter } from './types.js';

export const sitePath = (name: string) => `caddy/sites/${name}.caddy`;
export const CADDY_INDEX_PATH = 'caddy/atelier.caddy';
export const CADDY_DROP_IN_PATH = 'systemd/system/caddy.service.d/atelier.conf';

export const caddyEmitter: Emitter = {
  name: 'caddy',
  emit(model: Model): EmitResult {
    const files: EmittedFile[] = [];
    const diagnostics: Diagnostic[] = [];
    const sites = model.services.filter((s) => s.caddy.enable && s.domain !== null);
    for (const service of sites) {
      const before = diagnostics.length;
      const file = siteFile(model.host, service, diagnostics);
      if (diagnostics.length === before) files.push(file);
    }
    if (sites.length > 0) files.push(indexFile(model, sites));
    if (model.host.caddy.environmentFile !== null) files.push(dropIn(model));
    return { files, diagnostics };
  },
};

function siteFile(host: HostModel, s: ServiceModel, diagnostics: Diagnostic[]): EmittedFile {
  const fail = (valuePath: string, message: string) =>
    diagnostics.push({ ...originOf(s, valuePath), message: `\`services.${s.name}.${valuePath}\` cannot be written into a Caddyfile: ${message}` });
  const guarded = <T>(valuePath: string, make: () => T, fallback: T): T => {
    try {
      return make();
    } catch (err) {
      if (!(err instanceof UnsafeCaddyValue)) throw err;
      fail(valuePath, err.message);
      return fallback;
    }
  };
  const body: CaddyItem[] = [...tls(host)];
  const upstream: CaddyNode = { tokens: ['reverse_proxy', `127.0.0.1:${s.port}`] };
  const limits = guarded('caddy.rateLimit', () => rateLimit(s.name, s.caddy.rateLimit), null);
  // Inside `route`, directives run in the order written: the limit before the proxy on
  // any Caddy version, without the global `order` the plugin needs before Caddy 2.8.
  body.push(limits ? { tokens: ['route'], block: [limits, upstream] } : upstream);
  if (s.caddy.extraConfig.trim() !== '') {
    const problem = blockContentProblem(s.caddy.extraConfig);
    if (problem) fail('caddy.extraConfig', problem);
    else body.push({ raw: ['', ...formatBlockContent(s.caddy.extraConfig)] });
  }
  const site: CaddyNode = { tokens: [guarded('domain', () => siteAddress(s.domain!), '')], block: body };
  return { path: sitePath(s.name), mode: 0o644, content: renderCaddy(hashCommentHeader(s.sources), [site]), service: s.name };
}

/** A site address must be a plain DNS name: anything else could name another site. */
function siteAddress(domain: string): string {
  const name = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) throw new UnsafeCaddyValue('not a DNS name');
  return domain.toLowerCase();
}

function tls(host: HostModel): CaddyItem[] {
  switch (host.caddy.tls) {
    case 'dns':
      return [{ tokens: ['tls'], block: [{ tokens: ['dns', token(host.caddy.dnsProvider), `{env.${host.caddy.dnsTokenEnv}}`] }] }];
    case 'internal':
      return [{ tokens: ['tls', 'internal'] }];
    case 'acme':
      return []; // Caddy's default: ACME with the HTTP and TLS-ALPN challenges.
  }
}

/**
 * The caddy-ratelimit `rate_limit` handler: one zone for the whole site, named
 * after the service, that skips the route paths; one zone per route. A request
 * is counted in exactly one zone.
 */
function rateLimit(name: string, limit: RateLimit): CaddyNode | null {
  const zones: CaddyNode[] = [];
  const key = token(limit.key);
  const routePaths = limit.routes.map((r) => token(r.path));
  if (limit.enable) {
    const match: CaddyNode[] = routePaths.length > 0 ? [{ tokens: ['match'], block: [{ tokens: ['not', 'path', ...routePaths] }] }] : [];
    zones.push(zone(name, key, limit.events, limit.window, match));
  }
  limit.routes.forEach((route, i) => {
    zones.push(zone(`${name}_route${i + 1}`, key, route.events, route.window, [{ tokens: ['match'], block: [{ tokens: ['path', routePaths[i]] }] }]));
  });
  return zones.length > 0 ? { tokens: ['rate_limit'], block: zones } : null;
}

function zone(name: string, key: string, events: number, window: string, match: CaddyNode[]): CaddyNode {
  return {
    tokens: ['zone', name.replace(/-/g, '_')],
    block: [{ tokens: ['key', key] }, { tokens: ['events', String(events)] }, { tokens: ['window', token(window)] }, ...match],
  };
}

/**
 * Imports every site by its own path (a glob would pick up stray files). When
 * proxies are trusted, the file starts with the global options block, so the
 * main Caddyfile must import it on its first line.
 */
function indexFile(model: Model, sites: ServiceModel[]): EmittedFile {
  const { host } = model;
  const blocks: CaddyItem[][] = [];
  if (host.caddy.trustedProxies.length > 0) {
    blocks.push([{ tokens: [], block: [{ tokens: ['servers'], block: [{ tokens: ['trusted_proxies', 'static', ...host.caddy.trustedProxies.map(token)] }] }] }]);
  }
  blocks.push(sites.map((s) => ({ tokens: ['import', token(path.posix.join(host.sysconfdir, sitePath(s.name)))] })));
  return { path: CADDY_INDEX_PATH, mode: 0o644, content: renderCaddyBlocks(hashCommentHeader(model.sources), blocks) };
}

/** Caddy reads its DNS token's file only at start: the drop-in adds it to caddy.service. */
function dropIn(model: Model): EmittedFile {
  const content = renderUnit(hashCommentHeader(model.sources), [{ name: 'Service', directives: [['EnvironmentFile', escapeText(model.host.caddy.environmentFile!)]] }]);
  return { path: CADDY_DROP_IN_PATH, mode: 0o644, content };
}
