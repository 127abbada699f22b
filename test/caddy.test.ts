// The Caddy emitter, checked by Caddy itself (Debian's caddy 2.6: `caddy fmt`,
// `caddy adapt`, `caddy run`) and, for the plugin directives stock Caddy lacks,
// against the plugins' documented grammar.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { caddyEmitter } from '../src/emitters/caddy.js';
import type { EmittedFile } from '../src/emitters/types.js';
import { lex, token } from '../src/formats/caddyfile.js';
import type { HostModel, Model, RateLimit, ServiceModel } from '../src/model.js';
import { emitTexts, fixtureTexts, tempDirs, writeFiles } from './support/emit.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const temp = tempDirs();
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const CADDY_VERSION = (/v?(\d+)\.(\d+)\.(\d+)/.exec(spawnSync('caddy', ['version'], { encoding: 'utf8' }).stdout) ?? []).slice(1).map(Number);
const caddyAtLeast = (...v: number[]) => {
  for (const [i, n] of v.entries()) if ((CADDY_VERSION[i] ?? 0) !== n) return (CADDY_VERSION[i] ?? 0) > n;
  return true;
};

const limit = (overrides: Partial<RateLimit> = {}): RateLimit => ({ enable: true, events: 60, window: '1m', key: '{client_ip}', routes: [], ...overrides });
const withCaddy = (name: string, caddy: Partial<ServiceModel['caddy']>, rest: Partial<ServiceModel> = {}) =>
  makeService(name, { ...rest, caddy: { ...makeService(name).caddy, ...caddy } });
const hostWith = (caddy: Partial<HostModel['caddy']>, rest: Partial<HostModel> = {}) => makeHost({ ...rest, caddy: { ...makeHost().caddy, ...caddy } });

/** Models beyond the fixtures: every branch of the emitter that writes a file. */
const MODELS: Record<string, Model> = {
  'rate limits, routes, trusted proxies, dns': makeModel(
    [
      withCaddy('indiko', { rateLimit: limit({ routes: [{ path: '/auth/*', events: 10, window: '1m' }, { path: '/api/*', events: 30, window: '30s' }] }) }, { port: 3010 }),
      withCaddy('routes-only', { rateLimit: limit({ enable: false, key: '{http.request.header.X-Api-Key}', routes: [{ path: '/with space/*', events: 5, window: '1h30m' }] }) }, { port: 3011 }),
      withCaddy('site-only', { rateLimit: limit({ events: 1000, window: '1.5s' }) }, { port: 3012, domain: '*.Wild.example.com' }),
    ],
    hostWith({ trustedProxies: ['173.245.48.0/20', '2400:cb00::/32'], environmentFile: '/etc/caddy/token env' }),
  ),
  'internal tls, extraConfig': makeModel(
    [withCaddy('shop', { extraConfig: 'encode gzip\n\n\n  header   {\n    X-Frame-Options DENY   # no frames\n  }\n@api path /api/*\nrespond @api "a # b }" 503' }, { port: 3001 })],
    hostWith({ tls: 'internal' }),
  ),
  'acme, several sites': makeModel(
    [withCaddy('a', {}, { port: 3001 }), withCaddy('b', {}, { port: 3002 }), withCaddy('c', { enable: false }, { port: 3003 })],
    hostWith({ tls: 'acme' }),
  ),
};

const caddyFiles = (files: { path: string; content: string }[]) => files.filter((f) => f.path.endsWith('.caddy'));

function caddyFmt(text: string): string {
  const r = spawnSync('caddy', ['fmt', '-'], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('every emitted Caddy file is exactly what caddy fmt prints', () => {
  type Emit = () => { path: string; content: string }[];
  const sets: [string, Emit][] = [
    ...['seed', 'fleet', 'hostile', 'split', 'rfc2136'].map((f): [string, Emit] => [`fixture ${f}`, () => emitTexts(fixtureTexts(f))]),
    ...Object.entries(MODELS).map(([name, model]): [string, Emit] => [
      name,
      () => {
        const r = caddyEmitter.emit(model);
        expect(r.diagnostics).toEqual([]);
        return r.files;
      },
    ]),
  ];
  // The files are emitted once here to name the tests, and again in each test, so that
  // mutation testing credits the test with the emitter code it checks (docs/architecture.md).
  const cases = sets.flatMap(([set, emit]) => caddyFiles(emit()).map((f): [string, Emit, string] => [`${set}: ${f.path}`, emit, f.path]));
  it.each(cases)('%s', (_name, emit, file) => {
    const content = caddyFiles(emit()).find((f) => f.path === file)!.content;
    expect(caddyFmt(content)).toBe(content);
  });

  it('is deterministic', () => {
    for (const model of Object.values(MODELS)) expect(caddyEmitter.emit(model)).toEqual(caddyEmitter.emit(structuredClone(model)));
  });
});

/** Writes the tree for `sysconfdir` = a temp dir, and a main Caddyfile that imports atelier.caddy (`before` goes first). */
function installTree(model: Model, before = ''): { root: string; main: string } {
  const root = temp('adapt');
  const result = caddyEmitter.emit({ ...model, host: { ...model.host, sysconfdir: root } });
  expect(result.diagnostics).toEqual([]);
  writeFiles(root, result.files);
  const main = path.join(root, 'Caddyfile');
  fs.writeFileSync(main, `${before}import ${root}/caddy/atelier.caddy\n`);
  return { root, main };
}

function adapt(main: string) {
  const r = spawnSync('caddy', ['adapt', '--config', main, '--adapter', 'caddyfile'], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : null };
}

/** host → the upstreams its route proxies to, from the adapted JSON. */
function upstreams(json: any): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const dials = (handlers: any[]): string[] =>
    handlers.flatMap((h) => (h.handler === 'reverse_proxy' ? h.upstreams.map((u: any) => u.dial) : (h.routes ?? []).flatMap((r: any) => dials(r.handle))));
  for (const server of Object.values<any>(json.apps.http.servers)) {
    for (const route of server.routes) {
      const hosts: string[] = route.match.flatMap((m: any) => m.host);
      expect(hosts).toHaveLength(1);
      expect(out[hosts[0]], `a second route for ${hosts[0]}`).toBeUndefined();
      out[hosts[0]] = dials(route.handle);
    }
  }
  return out;
}

describe('caddy adapt (stock Caddy) reads the whole tree through atelier.caddy', () => {
  it.each(['internal', 'acme'] as const)('tls %s: one route per site, to its port on localhost', (tls) => {
    const model = makeModel(
      [
        withCaddy('shop', { extraConfig: 'encode gzip\nheader {\n\tX-Frame-Options DENY\n}' }, { port: 3001 }),
        withCaddy('blog', {}, { port: 3002, domain: 'Blog.Example.com' }),
        withCaddy('worker', { enable: false }, { port: 3003 }),
        makeService('nodomain', { port: 3004, domain: null }),
      ],
      hostWith({ tls }),
    );
    const { main } = installTree(model);
    const r = adapt(main);
    expect(r.status, r.stderr).toBe(0);
    expect(upstreams(r.json)).toEqual({ 'blog.example.com': ['localhost:3002'], 'shop.example.com': ['localhost:3001'] });
    const policies = r.json.apps.tls?.automation?.policies ?? [];
    if (tls === 'internal') expect(policies.map((p: any) => [p.subjects, p.issuers[0].module])).toEqual([[['blog.example.com', 'shop.example.com'], 'internal']]);
    else expect(policies).toEqual([]);
    // extraConfig stays inside its own site.
    expect(JSON.stringify(r.json)).toContain('"X-Frame-Options":["DENY"]');
  });

  it('writes each site its own access log, /var/log/caddy/access-<domain>.log as NixOS does, unless accessLog is false', () => {
    const model = makeModel(
      [withCaddy('shop', {}, { port: 3001, domain: 'Shop.Example.com' }), withCaddy('quiet', { accessLog: false }, { port: 3002 }), withCaddy('star', {}, { port: 3003, domain: '*.apps.example.com' })],
      hostWith({ tls: 'internal' }),
    );
    const r = adapt(installTree(model).main);
    expect(r.status, r.stderr).toBe(0);
    // Caddy's adapted JSON: one logger a logged site, writing to its file, and the server routing each logged host to it.
    const logs = r.json.logging.logs;
    const files = Object.values<any>(logs).filter((l) => l.writer?.output === 'file').map((l) => l.writer.filename).sort();
    expect(files).toEqual(['/var/log/caddy/access-_.apps.example.com.log', '/var/log/caddy/access-shop.example.com.log']);
    const loggerNames = Object.values<any>(r.json.apps.http.servers).map((sv) => sv.logs?.logger_names ?? {});
    expect(Object.keys(Object.assign({}, ...loggerNames)).sort()).toEqual(['*.apps.example.com', 'shop.example.com']);
  });

  it('the hostile fixture', () => {
    const texts = fixtureTexts('hostile');
    const root = temp('hostile');
    const files = emitTexts([...texts, { file: 'test-host.yaml', text: `host:\n  sysconfdir: ${root}\n` }]);
    writeFiles(root, files);
    fs.writeFileSync(path.join(root, 'Caddyfile'), `import ${root}/caddy/atelier.caddy\n`);
    const r = adapt(path.join(root, 'Caddyfile'));
    expect(r.status, r.stderr).toBe(0);
    expect(upstreams(r.json)).toEqual({ 'hostile.example.com': ['localhost:3100'] });
  });

  it('with trusted proxies the global options block is read as such when atelier.caddy is the first import', () => {
    const model = makeModel([withCaddy('a', {}, { port: 3001 })], hostWith({ tls: 'internal', trustedProxies: ['173.245.48.0/20', '2400:cb00::/32'] }));
    const first = installTree(model, '# the main Caddyfile\n\n');
    const r = adapt(first.main);
    if (caddyAtLeast(2, 6, 3)) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.json.apps.http.servers.srv0.trusted_proxies).toEqual({ source: 'static', ranges: ['173.245.48.0/20', '2400:cb00::/32'] });
    } else {
      // Caddy 2.6.2 reached the `servers` global option: the block was taken as the global options.
      expect(r.stderr).toMatch(/atelier\.caddy:\d+ - Error during parsing: unrecognized servers option 'trusted_proxies'/);
    }
    // Anywhere but first, Caddy refuses the file outright: never a silent misconfiguration.
    const late = installTree(model, ':8080 {\n\trespond hi\n}\n');
    expect(adapt(late.main).stderr).toMatch(/server block without any key is global configuration, and if used, it must be first/);
  });
});

/** Blocks as nested {tokens, children}, from Caddy's tokens (the same lexer as the writer's checks). */
interface Node {
  tokens: string[];
  children?: Node[];
}
function tree(text: string): Node[] {
  const { tokens, error } = lex(text);
  expect(error).toBeUndefined();
  let i = 0;
  const block = (): Node[] => {
    const items: Node[] = [];
    let current: Node | null = null;
    let line = -1;
    while (i < tokens.length) {
      const t = tokens[i++];
      if (!t.quoted && t.text === '}') break;
      if (!t.quoted && t.text === '{') {
        if (current === null) items.push((current = { tokens: [] }));
        current.children = block();
        current = null;
        continue;
      }
      if (current === null || t.line !== line) items.push((current = { tokens: [] }));
      current.tokens.push(t.text);
      line = t.line;
    }
    return items;
  };
  return block();
}
const find = (nodes: Node[] | undefined, name: string) => (nodes ?? []).filter((n) => n.tokens[0] === name);

/** caddy.ParseDuration: Go's time.ParseDuration plus `d`. */
const isCaddyDuration = (s: string) => /^(\d+(\.\d+)?(ns|us|µs|μs|ms|s|m|h|d))+$/.test(s) && /[1-9]/.test(s);

/**
 * The caddy-ratelimit grammar, from its README:
 *   rate_limit { zone <name> { match { <matchers> } key <string> window <duration> events <max_events> } … }
 * and, since it is not a standard directive, it must sit in a `route` block (or be ordered globally).
 * Returns the zones, by name, with their match lines.
 */
function checkRateLimit(site: Node): Map<string, string[][]> {
  const zones = new Map<string, string[][]>();
  const routes = find(site.children, 'route');
  expect(find(site.children, 'rate_limit'), 'rate_limit outside route needs a global order').toEqual([]);
  for (const route of routes) {
    const names = route.children!.map((c) => c.tokens[0]);
    // Inside route, handlers run in the written order: the limit must come before the proxy.
    expect(names.indexOf('rate_limit')).toBeLessThan(names.indexOf('reverse_proxy'));
    for (const rl of find(route.children, 'rate_limit')) {
      expect(rl.tokens).toEqual(['rate_limit']);
      for (const child of rl.children!) {
        expect(['zone', 'distributed', 'storage', 'jitter', 'sweep_interval', 'log_key']).toContain(child.tokens[0]);
        if (child.tokens[0] !== 'zone') continue;
        expect(child.tokens).toHaveLength(2);
        const seen = child.children!.map((c) => c.tokens[0]);
        for (const sub of child.children!) {
          const [name, ...args] = sub.tokens;
          expect(['match', 'key', 'window', 'events']).toContain(name);
          if (name !== 'match') expect(seen.filter((s) => s === name), `${name} given twice`).toHaveLength(1);
          if (name === 'key') expect(args).toHaveLength(1);
          if (name === 'window') expect(args.length === 1 && isCaddyDuration(args[0]), `window ${args}`).toBe(true);
          if (name === 'events') expect(args.length === 1 && /^\d+$/.test(args[0]) && Number(args[0]) > 0, `events ${args}`).toBe(true);
          if (name === 'match') expect(args.length === 0 && sub.children!.length > 0).toBe(true);
        }
        expect(seen).toEqual(expect.arrayContaining(['key', 'window', 'events']));
        expect(zones.has(child.tokens[1]), `zone ${child.tokens[1]} defined twice`).toBe(false);
        zones.set(child.tokens[1], find(child.children, 'match').flatMap((m) => m.children!.map((c) => c.tokens)));
      }
    }
  }
  return zones;
}

/** Serves `zones`' matchers with stock Caddy (a header per matching zone) and asks which zones each path lands in. */
async function zonesOfPaths(zones: Map<string, string[][]>, paths: string[]): Promise<Record<string, string[]>> {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
  const lines = [...zones.entries()].flatMap(([name, match], i) => {
    const matcher = match.length > 0 ? [`\t@z${i} {`, ...match.map((m) => `\t\t${m.map(token).join(' ')}`), '\t}'] : [];
    return [...matcher, `\theader ${match.length > 0 ? `@z${i} ` : ''}+X-Zone ${name}`];
  });
  const dir = temp('serve');
  const file = path.join(dir, 'Caddyfile');
  fs.writeFileSync(file, `{\n\tadmin off\n\tauto_https off\n}\n\nhttp://127.0.0.1:${port} {\n${lines.join('\n')}\n\trespond ok 200\n}\n`);
  const caddy = spawn('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], {
    env: { ...process.env, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, HOME: dir },
    stdio: 'ignore',
  });
  const get = (p: string) =>
    new Promise<string[]>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: p }, (res) => {
          res.resume();
          const zone = res.headers['x-zone'];
          resolve((Array.isArray(zone) ? zone.join(',') : (zone ?? '')).split(',').map((z) => z.trim()).filter(Boolean).sort());
        })
        .on('error', reject);
    });
  try {
    // Caddy answers once it has loaded the config; bounded generously for a busy machine.
    const started = Date.now();
    for (;;) {
      try {
        await get('/');
        break;
      } catch (err) {
        if (Date.now() - started > 60_000) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const out: Record<string, string[]> = {};
    for (const p of paths) out[p] = await get(p);
    return out;
  } finally {
    caddy.kill();
  }
}

describe('plugin directives, against the plugins\' documented grammar', () => {
  // Emitted for every test, so that mutation testing credits it (docs/architecture.md).
  let files: EmittedFile[] = [];
  beforeEach(() => {
    files = caddyEmitter.emit(MODELS['rate limits, routes, trusted proxies, dns']).files;
  });
  const site = (name: string) => tree(files.find((f) => f.path === `caddy/sites/${name}.caddy`)!.content)[0];

  it('tls dns: `dns <provider> <token>` (caddy-dns/cloudflare: `cloudflare [<api_token>]`), token from the environment', () => {
    const tls = find(site('indiko').children, 'tls');
    expect(tls).toEqual([{ tokens: ['tls'], children: [{ tokens: ['dns', 'cloudflare', '{env.CLOUDFLARE_API_TOKEN}'] }] }]);
  });

  it('stock Caddy reads the nesting up to the plugins, and names exactly the modules a production build needs', () => {
    const dns = installTree(makeModel([withCaddy('a', {}, { port: 3001 })], hostWith({ tls: 'dns' })));
    expect(adapt(dns.main).stderr).toMatch(/caddy\/sites\/a\.caddy:\d+ - Error during parsing: getting module named 'dns\.providers\.cloudflare': module not registered: dns\.providers\.cloudflare/);
    const rl = installTree(makeModel([withCaddy('a', { rateLimit: limit() }, { port: 3001 })], hostWith({ tls: 'internal' })));
    expect(adapt(rl.main).stderr).toMatch(/parsing caddyfile tokens for 'route': .*a\.caddy:\d+ - Error during parsing: unrecognized directive: rate_limit/);
  });

  it('rate_limit: zones as the README gives them, inside route before reverse_proxy, names unique across all sites', () => {
    const all = new Map<string, string[][]>();
    for (const name of ['indiko', 'routes-only', 'site-only']) {
      for (const [zone, match] of checkRateLimit(site(name))) {
        expect(all.has(zone)).toBe(false);
        all.set(zone, match);
      }
    }
    expect([...all.keys()]).toEqual(['indiko', 'indiko_route1', 'indiko_route2', 'routes-only_route1', 'site-only']);
    expect(find(find(find(site('routes-only').children, 'route')[0].children, 'rate_limit')[0].children, 'zone')[0].children).toContainEqual({ tokens: ['key', '{http.request.header.X-Api-Key}'] });
  });

  it('each zone\'s match block is what Caddy\'s own matcher parser reads (the plugin calls caddyhttp.ParseCaddyfileNestedMatcherSet)', () => {
    const zones = checkRateLimit(site('indiko'));
    // `not { … }` parses its block with that same function; stock Caddy shows the resulting matcher set.
    const lines = [...zones.values()].flatMap((match, i) => [`\t@z${i} {`, '\t\tnot {', ...match.map((m) => `\t\t\t${m.map(token).join(' ')}`), '\t\t}', '\t}', `\trespond @z${i} ${i}`]);
    const file = path.join(temp('match'), 'Caddyfile');
    fs.writeFileSync(file, `m.test {\n${lines.join('\n')}\n}\n`);
    const r = adapt(file);
    expect(r.status, r.stderr).toBe(0);
    const sets = r.json.apps.http.servers.srv0.routes[0].handle[0].routes.map((route: any) => [route.handle[0].body, route.match[0].not[0]]);
    expect(Object.fromEntries(sets)).toEqual({
      0: { not: [{ path: ['/auth/*', '/api/*'] }] },
      1: { path: ['/auth/*'] },
      2: { path: ['/api/*'], not: [{ path: ['/auth/*'] }] },
    });
  });

  it('a request is counted in exactly one zone (stock Caddy evaluates the zones\' matchers)', async () => {
    const overlapping = makeModel([
      withCaddy('app', { rateLimit: limit({ routes: [{ path: '/api/admin/*', events: 5, window: '1m' }, { path: '/api/*', events: 30, window: '1m' }, { path: '/auth/*', events: 10, window: '1m' }] }) }),
    ]);
    const zones = checkRateLimit(tree(caddyEmitter.emit(overlapping).files.find((f) => f.path === 'caddy/sites/app.caddy')!.content)[0]);
    const seen = await zonesOfPaths(zones, ['/', '/x', '/auth/login', '/AUTH/login', '/api/v1/x', '/api/admin/users', '/api/admin', '/apix', '/auth']);
    expect(seen).toEqual({
      '/': ['app'],
      '/x': ['app'],
      '/auth/login': ['app_route3'],
      '/AUTH/login': ['app_route3'],
      '/api/v1/x': ['app_route2'],
      // The first listed route wins where paths overlap.
      '/api/admin/users': ['app_route1'],
      '/api/admin': ['app_route2'],
      '/apix': ['app'],
      '/auth': ['app'],
    });
  });

  it('trusted proxies go to the global servers option of atelier.caddy', () => {
    const index = tree(files.find((f) => f.path === 'caddy/atelier.caddy')!.content);
    expect(index[0]).toEqual({ tokens: [], children: [{ tokens: ['servers'], children: [{ tokens: ['trusted_proxies', 'static', '173.245.48.0/20', '2400:cb00::/32'] }] }] });
    expect(index.slice(1).map((n) => n.tokens)).toEqual(['indiko', 'routes-only', 'site-only'].map((n) => ['import', `/etc/caddy/sites/${n}.caddy`]));
  });

  it('the drop-in gives caddy.service the token file', () => {
    expect(files.find((f) => f.path === 'systemd/system/caddy.service.d/atelier.conf')!.content).toMatch(/^# Generated by atelier-emit .*\n\[Service\]\nEnvironmentFile=\/etc\/caddy\/token env\n$/);
  });
});

describe('injection: nothing a declaration holds can add a site', () => {
  const origin = { file: 'evil.yaml', line: 9, column: 20 };
  const evil = (service: Partial<ServiceModel>, host: HostModel = makeHost()) =>
    caddyEmitter.emit(makeModel([makeService('evil', { origins: { '': { file: 'evil.yaml', line: 2, column: 3 }, 'caddy.extraConfig': origin, domain: origin, 'caddy.rateLimit.routes.0.path': origin }, ...service }), makeService('good')], host));
  const expectRefused = (result: ReturnType<typeof evil>, at = origin) => {
    expect(result.files.map((f) => f.path)).not.toContain('caddy/sites/evil.caddy');
    expect(result.files.map((f) => f.path)).toContain('caddy/sites/good.caddy');
    // atelier.caddy never imports a site that was not written.
    expect(result.files.find((f) => f.path === 'caddy/atelier.caddy')!.content).not.toContain('evil.caddy');
    expect(result.diagnostics).toEqual([expect.objectContaining({ ...at, message: expect.stringContaining('cannot be written into a Caddyfile') })]);
  };

  it.each([
    ['closing the site and opening another', '}\nevil.com {\n\treverse_proxy 10.0.0.1:80\n'],
    ['a quoted brace, which Caddy 2.6 reads as a brace', '"}"\nevil.com {\n\trespond pwned\n}\nfiller.com "{"'],
    ['an import in a nested block', 'header {\n\timport /var/lib/other/data/x.caddy\n}'],
    ['an environment placeholder, replaced before parsing', 'respond {$EVIL}'],
    ['an escaped quote that opens a string', 'respond \\" {\n}\n" 200\n}\nevil.com {'],
    ['an unbalanced block', 'header {\n'],
    ['a multi-line quoted token', 'respond "a\n}\nevil.com {"'],
  ])('refuses %s in extraConfig, at its position', (_what, extraConfig) => {
    expectRefused(evil({ caddy: { ...makeService('x').caddy, extraConfig } }));
  });

  it.each([
    ['a second site address', 'a.com b.com'],
    ['a brace', 'a.com {'],
    ['a newline', 'a.com\nevil.com'],
    ['a path', 'a.com/x'],
    ['a port', 'a.com:8443'],
    ['a scheme', 'http://a.com'],
    ['an IP address', '10.0.0.1'],
    ['an empty label', 'a..com'],
    ['a long label', `${'a'.repeat(64)}.com`],
    ['a placeholder', '{env.HOST}'],
  ])('refuses %s as a domain', (_what, domain) => {
    expectRefused(evil({ domain }));
  });

  it('refuses a wildcard with the HTTP challenge, which cannot issue it', () => {
    expectRefused(evil({ domain: '*.example.com' }, hostWith({ tls: 'acme' })));
  });

  it.each([
    ['a path not starting with / or *', 'auth/*'],
    ['an environment placeholder', '/{$HOME}'],
    ['a backslash before a quote', '/a\\"'],
    ['a newline', '/a\n}'],
  ])('refuses %s as a route path', (_what, p) => {
    expectRefused(evil({ caddy: { ...makeService('x').caddy, rateLimit: limit({ routes: [{ path: p, events: 1, window: '1m' }] }) } }));
  });

  it('reports every bad rate-limit value, at its own position', () => {
    const at = (line: number) => ({ file: 'rl.yaml', line, column: 5 });
    const s = makeService('rl', {
      caddy: { ...makeService('x').caddy, rateLimit: { enable: true, events: 0, window: '1 m', key: 'a\nb', routes: [{ path: '/a/*', events: 1, window: '0s' }, { path: '/a/*', events: 1.5, window: '1m' }] } },
      origins: { '': at(1), 'caddy.rateLimit.key': at(2), 'caddy.rateLimit.window': at(3), 'caddy.rateLimit.events': at(4), 'caddy.rateLimit.routes.0.window': at(5), 'caddy.rateLimit.routes.1.path': at(6), 'caddy.rateLimit.routes.1.events': at(7) },
    });
    const result = caddyEmitter.emit(makeModel([s]));
    expect(result.files.map((f) => f.path)).toEqual([]);
    expect(result.diagnostics.map((d) => [d.line, d.message.replace(/ cannot be written into a Caddyfile: .*/, '')])).toEqual([
      [2, '`services.rl.caddy.rateLimit.key`'],
      [3, '`services.rl.caddy.rateLimit.window`'],
      [4, '`services.rl.caddy.rateLimit.events`'],
      [5, '`services.rl.caddy.rateLimit.routes.0.window`'],
      [6, '`services.rl.caddy.rateLimit.routes.1.path`'],
      [7, '`services.rl.caddy.rateLimit.routes.1.events`'],
    ]);
  });

  it('host values that cannot be written become diagnostics at their positions, never exceptions', () => {
    const at = (line: number) => ({ file: 'host.yaml', line, column: 3 });
    const host = hostWith(
      { dnsProvider: 'cloud flare', dnsTokenEnv: 'TOKEN}', trustedProxies: ['10.0.0.0/8 }'], environmentFile: '/etc/caddy/env\n[Service]' },
      { sysconfdir: '/etc/*', origins: { 'caddy.dnsProvider': at(2), 'caddy.dnsTokenEnv': at(3), 'caddy.trustedProxies.0': at(4), sysconfdir: at(5), 'caddy.environmentFile': at(6) } },
    );
    const result = caddyEmitter.emit(makeModel([makeService('a')], host));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map((d) => d.line)).toEqual([2, 3, 4, 5, 6]);
    expect(result.diagnostics[4].message).toContain('cannot be written into a systemd drop-in');
  });

  it(`random extraConfig is either refused or stays inside its one site (seed ${SEED})`, () => {
    const piece = fc.constantFrom('}', '{', '"}"', '"{"', '\n', ' ', '\t', 'evil.com', 'import', '/tmp/x', '#', '"', '\\', '`', '{$E}', '<<E', 'header', 'respond', 'X-A', '{x}', 'a}', '\u0085');
    const samples = fc.sample(fc.array(piece, { minLength: 1, maxLength: 14 }).map((p) => p.join('')), { numRuns: 500, seed: SEED });
    const emitted = samples.flatMap((extraConfig, i) => {
      const r = caddyEmitter.emit(makeModel([withCaddy(`s${i}`, { extraConfig }, { port: 1000 + i })], hostWith({ tls: 'internal' })));
      return r.diagnostics.length === 0 ? [r.files.find((f) => f.path.startsWith('caddy/sites/'))!.content] : [];
    });
    expect(emitted.length).toBeGreaterThan(5);
    expect(emitted.length).toBeLessThan(samples.length);
    for (const text of emitted) {
      const top = tree(text);
      expect(top).toHaveLength(1);
      expect(top[0].tokens).toHaveLength(1);
    }
    // And Caddy agrees. It stops at the first error, so a site whose own directives it refuses (an
    // unknown directive, wrong arguments: inside the site, harmless; the structure is proven above) is
    // taken out and the rest adapted again, until every site left adapts to exactly its own route.
    // A misplaced global block, or an error outside every site's lines, fails the test.
    const file = path.join(temp('fuzz'), 'Caddyfile');
    let sites = emitted;
    for (let attempt = 0; attempt < emitted.length; attempt++) {
      fs.writeFileSync(file, sites.join('\n'));
      const r = adapt(file);
      if (r.status === 0) break;
      expect(r.stderr).not.toMatch(/must be first/);
      const line = /Caddyfile:(\d+)/.exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      let start = 1;
      const culprit = sites.findIndex((text) => {
        const lines = text.split('\n').length;
        if (Number(line![1]) < start + lines) return true;
        start += lines;
        return false;
      });
      expect(culprit).toBeGreaterThanOrEqual(0);
      // Inside the block: after the header comment and the address line, before the closing brace.
      const offset = Number(line![1]) - start;
      expect(offset > 1 && offset < sites[culprit].trimEnd().split('\n').length - 1, `${r.stderr}\n${sites[culprit]}`).toBe(true);
      sites = sites.filter((_, i) => i !== culprit);
    }
    const r = adapt(file);
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(upstreams(r.json)).length).toBe(sites.length);
    expect(sites.length).toBeGreaterThan(5);
    console.log(`caddy adapt: ${sites.length} of ${emitted.length} accepted sites adapt as one file; ${emitted.length - sites.length} refused by Caddy for their own directives`);
  });
});

