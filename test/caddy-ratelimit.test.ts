// Rate limits for real: the emitted tree run by the plugin-built Caddy on
// loopback, asked by distinct loopback peers (127.0.0.x). Caddy is started from
// the JSON it adapts the emitted Caddyfiles to, changed only in where it listens
// and keeps its state (127.0.0.1 and a temporary folder, not :443 and $HOME):
// every handler, matcher and zone is Caddy's own reading of the emitted files.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from './support/process.js';
import { tempDirs } from './support/emit.js';
import { freePort, installEmitted, need, oracle, Running, waitFor } from './support/oracles.js';

const temp = tempDirs();
const caddy = oracle('pluginCaddy');
const DOMAIN = 'app.atelier.test';
const PROXY = '127.0.0.2';

const declarations = (upstream: number) => `
host:
  caddy:
    tls: internal
    trustedProxies: [${PROXY}/32]
services:
  app:
    enable: true
    domain: ${DOMAIN}
    port: ${upstream}
    runtime: node
    caddy:
      rateLimit:
        enable: true
        events: 5
        window: 1m
        routes:
          - { path: /auth/*, events: 2, window: 1m }
          - { path: /api/*, events: 3, window: 10s }
`;

interface Reply {
  status: number;
  retryAfter?: string;
}

describe.skipIf(caddy.skip !== null)(`rate limits in the plugin-built Caddy, on loopback${caddy.skip ? ` (skipped: ${caddy.skip})` : ''}`, () => {
  let upstream: http.Server;
  let server: Running | undefined;
  let port = 0;
  let ca = '';
  const log: string[] = [];

  /** One request from `peer` (a loopback address) for `p`, with an optional X-Forwarded-For. */
  const get = (peer: string, p: string, forwardedFor?: string) =>
    new Promise<Reply>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: p, servername: DOMAIN, localAddress: peer, ca, agent: false, headers: { host: DOMAIN, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) }, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end();
    });
  /** `count` requests in a row; their statuses, logged for the record. */
  const statuses = async (count: number, peer: string, p: string, forwardedFor?: string) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await get(peer, p, forwardedFor)).status);
    log.push(`${peer}${forwardedFor ? ` (X-Forwarded-For: ${forwardedFor})` : ''} GET ${p} ×${count}: ${out.join(' ')}`);
    return out;
  };

  beforeAll(async () => {
    const bin = need(caddy);
    upstream = http.createServer((_req, res) => res.end('ok\n'));
    const upstreamPort = await freePort();
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
    const root = temp('ratelimit');
    const importLine = installEmitted(root, [{ file: 'app.yaml', text: declarations(upstreamPort) }]);
    const main = path.join(root, 'Caddyfile');
    fs.writeFileSync(main, `${importLine}\n`);
    const env = { ...process.env, HOME: root, XDG_CONFIG_HOME: root, XDG_DATA_HOME: root };
    const adapted = await exec(bin, ['adapt', '--config', main, '--adapter', 'caddyfile'], { env, timeoutMs: 60_000 });
    expect(adapted.code, adapted.stderr).toBe(0);
    port = await freePort();
    const config = loopbackOnly(JSON.parse(adapted.stdout), port, path.join(root, 'data'));
    fs.writeFileSync(path.join(root, 'caddy.json'), JSON.stringify(config, null, 2));
    server = Running.start(bin, ['run', '--config', path.join(root, 'caddy.json')], { env });
    // Caddy's local CA issues the site's certificate at start; the client trusts only that root.
    const rootCert = path.join(root, 'data/pki/authorities/local/root.crt');
    await waitFor('Caddy to serve the site', async () => {
      if (!server!.alive) throw new Error(`caddy exited:\n${server!.output}`);
      if (!fs.existsSync(rootCert)) return undefined;
      ca = fs.readFileSync(rootCert, 'utf8');
      return (await get('127.0.0.1', '/health-probe-not-counted-elsewhere')).status === 200 ? true : undefined;
    }, 60_000);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (upstream) await new Promise((r) => upstream.close(r));
    if (log.length > 0) console.log(`rate limit sequences observed:\n${log.join('\n')}`);
  });

  it('each route zone answers 429 after exactly its events, per client; other paths are not counted in it', async () => {
    const peer = '127.0.0.3';
    expect(await statuses(3, peer, '/auth/login')).toEqual([200, 200, 429]);
    // The site-wide zone has counted none of those: five, then 429.
    expect(await statuses(6, peer, '/')).toEqual([200, 200, 200, 200, 200, 429]);
    // Nor has the /api/* zone.
    expect(await statuses(4, peer, '/api/items')).toEqual([200, 200, 200, 429]);
    expect(await statuses(1, peer, '/auth/other')).toEqual([429]);
    // Another client has buckets of its own.
    expect(await statuses(3, '127.0.0.4', '/auth/login')).toEqual([200, 200, 429]);
    expect(await statuses(1, '127.0.0.4', '/')).toEqual([200]);
  });

  it('a zone lets requests through again once its window has passed, and says when', async () => {
    const peer = '127.0.0.7';
    const first = Date.now();
    expect(await statuses(4, peer, '/api/x')).toEqual([200, 200, 200, 429]);
    const refused = await get(peer, '/api/x');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10);
    const started = Date.now();
    // A 10 s window, not shorter: on a busy machine the five requests must all fall inside it.
    await waitFor('the 10 s window to pass', async () => ((await get(peer, '/api/x')).status === 200 ? true : undefined), 60_000);
    // Not before the window has passed since the first counted request.
    expect(Date.now() - first).toBeGreaterThanOrEqual(10_000);
    log.push(`${peer} GET /api/x: 200 again ${((Date.now() - started) / 1000).toFixed(1)} s after a 429 (Retry-After: ${refused.retryAfter})`);
  });

  it('{client_ip} behind a trusted proxy is the forwarded client; an untrusted peer cannot choose its key', async () => {
    // Through the trusted proxy, each forwarded client has its own bucket.
    expect(await statuses(3, PROXY, '/auth/login', '203.0.113.7')).toEqual([200, 200, 429]);
    expect(await statuses(3, PROXY, '/auth/login', '203.0.113.8')).toEqual([200, 200, 429]);
    // The proxy's own requests (no header) are the proxy's.
    expect(await statuses(1, PROXY, '/auth/login')).toEqual([200]);
    // An untrusted peer's X-Forwarded-For is ignored: a new header each time does not give a new bucket…
    const spoofer = '127.0.0.5';
    expect([...(await statuses(2, spoofer, '/auth/login', '198.51.100.1')), ...(await statuses(1, spoofer, '/auth/login', '198.51.100.2'))]).toEqual([200, 200, 429]);
    // …and naming a client that is limited does not limit it either.
    expect(await statuses(2, '127.0.0.6', '/auth/login', '203.0.113.7')).toEqual([200, 200]);
  });
});

/**
 * The adapted configuration, listening on 127.0.0.1:<port> only (no :80 redirect server),
 * with its admin endpoint off, its state in `storage`, and Caddy's local CA kept out of the system trust store.
 */
function loopbackOnly(config: any, port: number, storage: string): any {
  config.admin = { disabled: true };
  config.storage = { module: 'file_system', root: storage };
  config.apps.http.https_port = port;
  for (const server of Object.values<any>(config.apps.http.servers)) {
    server.listen = [`127.0.0.1:${port}`];
    server.automatic_https = { ...server.automatic_https, disable_redirects: true };
  }
  config.apps.pki = { certificate_authorities: { local: { install_trust: false } } };
  return config;
}
