// What the Caddy emitter refuses in a hand-built model, and what it says: the
// value's path in the message, the line of its own declaration, the reason.
// The declaration loader refuses many of these values first; the emitter is
// the last word for any model (its checks are the ones that keep a value Caddy
// would read differently out of the file), so they are tested here directly.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { caddyEmitter, CADDY_INDEX_PATH } from '../src/emitters/caddy.js';
import type { Diagnostic, HostModel, Model, RateLimit, ServiceModel } from '../src/model.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const at = (line: number) => ({ file: 'atelier.yaml', line, column: 5 });
const limit = (overrides: Partial<RateLimit> = {}): RateLimit => ({ enable: true, events: 60, window: '1m', key: '{client_ip}', routes: [], ...overrides });
const service = (caddy: Partial<ServiceModel['caddy']> = {}, rest: Partial<ServiceModel> = {}) =>
  makeService('app', { ...rest, caddy: { ...makeService('app').caddy, ...caddy } });
const hostWith = (caddy: Partial<HostModel['caddy']>, rest: Partial<HostModel> = {}) => makeHost({ ...rest, caddy: { ...makeHost().caddy, ...caddy } });

/** Diagnostics as [line, message], hint appended in parentheses. */
const said = (ds: Diagnostic[]) => ds.map((d): [number, string] => [d.line, `${d.message}${d.hint ? ` (${d.hint})` : ''}`]);

function emitOne(s: ServiceModel, host: HostModel = makeHost()) {
  const r = caddyEmitter.emit(makeModel([s], host));
  return { site: r.files.find((f) => f.path === 'caddy/sites/app.caddy')?.content, diagnostics: r.diagnostics, files: r.files };
}

/** The site's diagnostics for one value of `field`, declared at line 7. */
function refusalsOf(field: string, s: ServiceModel, host?: HostModel) {
  const r = emitOne({ ...s, origins: { ...s.origins, [field]: at(7) } }, host);
  return { written: r.site !== undefined, said: said(r.diagnostics) };
}

describe('the port a site proxies to', () => {
  it.each([1, 3000, 65535])('port %d is proxied to on localhost', (port) => {
    const r = emitOne(service({}, { port }));
    expect(r.diagnostics).toEqual([]);
    expect(r.site).toContain(`\treverse_proxy localhost:${port}\n`);
  });

  it.each([0, -1, 65536, 70000, 3000.5, Number.NaN])('port %d is refused at services.app.port, and no site is written', (port) => {
    expect(refusalsOf('port', service({}, { port }))).toEqual({
      written: false,
      said: [[7, '`services.app.port` cannot be written into a Caddyfile: not a port (1-65535)']],
    });
  });
});

describe('the domain a site answers', () => {
  const label = (ch: string, n: number) => ch.repeat(n);
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, the longest DNS name.
  const longest = [label('a', 63), label('b', 63), label('c', 63), label('d', 61)].join('.');

  it('a name of 253 characters is a site; one of 254 is refused at services.app.domain', () => {
    expect(longest).toHaveLength(253);
    expect(refusalsOf('domain', service({}, { domain: longest }))).toEqual({ written: true, said: [] });
    const tooLong = `${longest}d`;
    expect(refusalsOf('domain', service({}, { domain: tooLong }))).toEqual({
      written: false,
      said: [
        [
          7,
          '`services.app.domain` cannot be written into a Caddyfile: not a DNS name (letters, digits and inner hyphens in dot-separated labels of at most 63 characters; an optional leading `*.`)',
        ],
      ],
    });
  });

  it('a wildcard `*.` is read as a wildcard (with the DNS challenge), not as a label `*`', () => {
    const r = emitOne(service({}, { domain: '*.Apps.example.com' }), hostWith({ tls: 'dns' }));
    expect(r.diagnostics).toEqual([]);
    expect(r.site).toMatch(/^\*\.apps\.example\.com \{$/m);
  });

  it('a wildcard under tls: acme is refused, saying the DNS challenge or tls internal is needed', () => {
    expect(refusalsOf('domain', service({}, { domain: '*.example.com' }), hostWith({ tls: 'acme' }))).toEqual({
      written: false,
      said: [[7, '`services.app.domain` cannot be written into a Caddyfile: a wildcard certificate needs the DNS challenge (host.caddy.tls: dns) or tls internal']],
    });
  });

  it.each(['10.0.0.12', '192.0.2.1', 'example.2024'])('%s (its last label all digits) is refused as numeric', (domain) => {
    expect(refusalsOf('domain', service({}, { domain }))).toEqual({
      written: false,
      said: [[7, '`services.app.domain` cannot be written into a Caddyfile: not a DNS name (the last label is numeric, as in an IP address)']],
    });
  });

  it.each(['example.a1', 'example.1a', 'x1.example.com', '1password.com'])('%s (digits in a last label that is not all digits) is a site', (domain) => {
    expect(refusalsOf('domain', service({}, { domain }))).toEqual({ written: true, said: [] });
  });
});

describe('extraConfig', () => {
  it('only white space (a CR, a no-break space, tabs, blank lines) is no extraConfig: the site is written as without it', () => {
    const plain = emitOne(service()).site!;
    for (const extraConfig of [' \r\n\t ', '\u00a0', '\n\n', '  ']) {
      const r = emitOne(service({ extraConfig }));
      expect(r.diagnostics, JSON.stringify(extraConfig)).toEqual([]);
      expect(r.site, JSON.stringify(extraConfig)).toBe(plain);
    }
  });

  it('refused content is reported at caddy.extraConfig, with what extraConfig may hold', () => {
    const r = refusalsOf('caddy.extraConfig', service({ extraConfig: 'header X-A {$SECRET}' }));
    expect(r.written).toBe(false);
    expect(r.said).toHaveLength(1);
    const [line, message] = r.said[0];
    expect(line).toBe(7);
    expect(message).toMatch(/^`services\.app\.caddy\.extraConfig` cannot be written into a Caddyfile: `\{\$NAME\}` is replaced/);
    expect(message).toMatch(/\(extraConfig holds directives of this site only: balanced braces, double quotes, no import or \{\$ENV\}\)$/);
  });
});

describe('rate limit windows and events', () => {
  const windowSaid = (window: string) => refusalsOf('caddy.rateLimit.window', service({ rateLimit: limit({ window }) }));

  it.each(['10s', '1h30m', '1.25s', '250ms', '1d', '100ms1s'])('window %s is a Go duration', (window) => {
    expect(windowSaid(window)).toEqual({ written: true, said: [] });
  });

  it.each(['x1m', '1mx', '1 m', '1', 'm', '.5s', '1.s'])('window %s is refused as not a duration', (window) => {
    expect(windowSaid(window)).toEqual({
      written: false,
      said: [[7, '`services.app.caddy.rateLimit.window` cannot be written into a Caddyfile: not a duration such as 30s, 1m or 1h']],
    });
  });

  it.each(['0s', '0m0s', '0.0h'])('window %s is refused as no longer than zero', (window) => {
    expect(windowSaid(window)).toEqual({
      written: false,
      said: [[7, '`services.app.caddy.rateLimit.window` cannot be written into a Caddyfile: a window must be longer than zero']],
    });
  });

  it.each([0, -3, 1.5])('events %d is refused as not a whole number of at least 1', (events) => {
    expect(refusalsOf('caddy.rateLimit.events', service({ rateLimit: limit({ events }) }))).toEqual({
      written: false,
      said: [[7, '`services.app.caddy.rateLimit.events` cannot be written into a Caddyfile: not a whole number of at least 1']],
    });
  });
});

describe('what a disabled site-wide limit leaves unchecked', () => {
  it('with no limit at all, a key Caddy could not read is not looked at', () => {
    const r = emitOne(service({ rateLimit: limit({ enable: false, key: 'two words\n' }) }));
    expect(r.diagnostics).toEqual([]);
    expect(r.site).not.toContain('rate_limit');
  });

  it('with only route limits, the unused site-wide window and events are not looked at', () => {
    const r = emitOne(service({ rateLimit: limit({ enable: false, window: 'soon', events: 0, routes: [{ path: '/auth/*', events: 5, window: '1m' }] }) }));
    expect(r.diagnostics).toEqual([]);
    expect(r.site).toContain('zone app_route1 {');
    expect(r.site).not.toContain('zone app {');
  });
});

describe('route limits', () => {
  it('a path that does not start with / or * is refused, with an example', () => {
    expect(refusalsOf('caddy.rateLimit.routes.0.path', service({ rateLimit: limit({ routes: [{ path: 'auth/*', events: 5, window: '1m' }] }) }))).toEqual({
      written: false,
      said: [[7, '`services.app.caddy.rateLimit.routes.0.path` cannot be written into a Caddyfile: a path pattern starts with `/` or `*`, such as /auth/*']],
    });
  });

  it('a path listed twice is refused at the second, naming the first', () => {
    const routes = [
      { path: '/auth/*', events: 5, window: '1m' },
      { path: '/api/*', events: 5, window: '1m' },
      { path: '/auth/*', events: 9, window: '1m' },
    ];
    expect(refusalsOf('caddy.rateLimit.routes.2.path', service({ rateLimit: limit({ routes }) }))).toEqual({
      written: false,
      said: [[7, '`services.app.caddy.rateLimit.routes.2.path` cannot be written into a Caddyfile: the same path as routes.0, whose zone already counts it']],
    });
  });
});

describe('host values of the index file and the drop-in', () => {
  const model = (host: HostModel, services: ServiceModel[] = [service()]): Model => makeModel(services, host);

  it('a trusted proxy that is not a CIDR range is refused at its own entry, and no index is written', () => {
    const host = hostWith({ trustedProxies: ['173.245.48.0/20', '10.0.0.0'] }, { origins: { 'caddy.trustedProxies': at(3), 'caddy.trustedProxies.1': at(5) } });
    const r = caddyEmitter.emit(model(host));
    expect(said(r.diagnostics)).toEqual([[5, '`host.caddy.trustedProxies.1` cannot be written into a Caddyfile: not a CIDR range such as 173.245.48.0/20']]);
    expect(r.files.map((f) => f.path)).not.toContain(CADDY_INDEX_PATH);
  });

  const accepted = ['173.245.48.0/20', '10.0.0.0/0', '10.0.0.0/32', '2400:cb00::/32', '2001:db8::/64', '2001:db8::/128'];
  const refused = ['10.0.0.0', '10.0.0.0/8/8', 'example.com/8', '/8', '10.0.0.0/33', '10.0.0.0/+8', '10.0.0.0/0008', '10.0.0.0/8 ', '10.0.0.0/x8', '10.0.0.0/', '2001:db8::/129'];

  it.each(accepted)('%s is a CIDR range', (cidr) => {
    const r = caddyEmitter.emit(model(hostWith({ trustedProxies: [cidr] })));
    expect(r.diagnostics).toEqual([]);
    expect(r.files.find((f) => f.path === CADDY_INDEX_PATH)!.content).toContain(`trusted_proxies static ${cidr}`);
  });

  it.each(refused)('%j is not a CIDR range', (cidr) => {
    const r = caddyEmitter.emit(model(hostWith({ trustedProxies: [cidr] })));
    expect(r.diagnostics.map((d) => d.message)).toEqual(['`host.caddy.trustedProxies.0` cannot be written into a Caddyfile: not a CIDR range such as 173.245.48.0/20']);
  });

  it('trusted proxies with no site still write the index: only the global options, exactly as caddy fmt prints them', () => {
    const r = caddyEmitter.emit(model(hostWith({ trustedProxies: ['173.245.48.0/20'] }), [service({ enable: false })]));
    expect(r.diagnostics).toEqual([]);
    const index = r.files.find((f) => f.path === CADDY_INDEX_PATH)!.content;
    expect(index).toContain('\ttrusted_proxies static 173.245.48.0/20\n');
    expect(index).not.toMatch(/^import /m);
    // Caddy 2.6 (the one installed here) does not know trusted_proxies, so adapt cannot read it; fmt can.
    const fmt = spawnSync('caddy', ['fmt', '-'], { input: index, encoding: 'utf8' });
    expect(fmt.status, fmt.stderr).toBe(0);
    expect(fmt.stdout).toBe(index);
  });

  it('a sysconfdir that would make the import path a glob is refused once, at host.sysconfdir', () => {
    const host = makeHost({ sysconfdir: '/etc/caddy[1]', origins: { sysconfdir: at(4) } });
    const r = caddyEmitter.emit(model(host));
    expect(said(r.diagnostics)).toEqual([[4, '`host.sysconfdir` cannot be written into a Caddyfile: the import path would be a glob (`*`, `?` or `[`)']]);
  });

  it('an environmentFile systemd cannot read is refused at host.caddy.environmentFile, naming the drop-in', () => {
    const host = hostWith({ environmentFile: '/etc/caddy/token.env ' }, { origins: { '': at(1), 'caddy.environmentFile': at(6) } });
    const r = caddyEmitter.emit(model(host));
    expect(said(r.diagnostics)).toEqual([[6, '`host.caddy.environmentFile` cannot be written into a systemd drop-in: this value must not begin or end with white space (systemd strips it)']]);
  });

  it('a host value with no recorded line is reported at line 1 of the first declaration file', () => {
    const host = hostWith({ environmentFile: '/etc/caddy/token.env ' });
    const r = caddyEmitter.emit({ ...model(host), sources: ['hosts/web.yaml', 'atelier.yaml'] });
    expect(r.diagnostics.map((d) => [d.file, d.line, d.column])).toEqual([['hosts/web.yaml', 1, 1]]);
    const none = caddyEmitter.emit({ ...model(host), sources: [] });
    expect(none.diagnostics.map((d) => [d.file, d.line, d.column])).toEqual([['<unknown>', 1, 1]]);
  });
});
