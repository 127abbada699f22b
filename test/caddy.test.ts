// The Caddy emitter, checked by Caddy itself (Debian's caddy 2.6: `caddy fmt`,
// `caddy adapt`) and, for plugin directives that stock Caddy lacks, by the
// plugins' documented grammar.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caddyEmitter } from '../src/emitters/caddy.js';
import { lex } from '../src/formats/caddyfile.js';
import { emitTexts, fixtureTexts, tempDirs, writeFiles } from './support/emit.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const temp = tempDirs();

const caddyFiles = (files: { path: string }[]) => files.filter((f) => f.path.endsWith('.caddy'));

describe.each(['seed', 'fleet', 'hostile'])('fixture %s', (fixture) => {
  const files = emitTexts(fixtureTexts(fixture));

  it.each(caddyFiles(files).map((f) => f.path))('%s is exactly what caddy fmt prints', (p) => {
    const file = files.find((f) => f.path === p)!;
    const r = spawnSync('caddy', ['fmt', '-'], { input: file.content, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(file.content);
  });
});

/** Writes the tree for `sysconfdir` = a temp dir, a main Caddyfile importing it, and adapts it. */
function adapt(texts: { file: string; text: string }[]) {
  const root = temp('adapt');
  const files = emitTexts([...texts, { file: 'test-host.yaml', text: `host:\n  sysconfdir: ${root}\n` }]);
  writeFiles(root, files);
  const main = path.join(root, 'Caddyfile');
  fs.writeFileSync(main, `import ${root}/caddy/atelier.caddy\n`);
  const r = spawnSync('caddy', ['adapt', '--config', main, '--adapter', 'caddyfile'], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : null };
}

/** host → upstream dial, from the adapted JSON config. */
function routes(json: any): Record<string, string> {
  const out: Record<string, string> = {};
  for (const server of Object.values<any>(json.apps.http.servers)) {
    for (const route of server.routes) {
      const host = route.match[0].host[0];
      const find = (handlers: any[]): string | undefined => {
        for (const h of handlers) {
          if (h.handler === 'reverse_proxy') return h.upstreams[0].dial;
          for (const r of h.routes ?? []) {
            const d = find(r.handle);
            if (d) return d;
          }
        }
        return undefined;
      };
      out[host] = find(route.handle)!;
    }
  }
  return out;
}

describe('caddy adapt (stock Caddy, settings that need no plugin)', () => {
  const twoApps = `services:
  shop:
    enable: true
    domain: shop.example.com
    port: 3001
    caddy:
      extraConfig: |
        encode gzip
        header {
          X-Frame-Options DENY
        }
  blog:
    enable: true
    domain: blog.example.com
    port: 3002
  worker:
    enable: true
    port: 3003
    caddy: {enable: false}
`;
  it.each(['internal', 'acme'])('accepts the whole tree with tls %s: one site per service, at its port', (tls) => {
    const r = adapt([{ file: 'apps.yaml', text: `host:\n  caddy:\n    tls: ${tls}\n${twoApps}` }]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(routes(r.json)).toEqual({ 'blog.example.com': '127.0.0.1:3002', 'shop.example.com': '127.0.0.1:3001' });
    const policies = r.json.apps.tls?.automation?.policies ?? [];
    if (tls === 'internal') expect(policies[0].issuers[0].module).toBe('internal');
    else expect(policies).toEqual([]);
  });

  it('accepts the hostile fixture', () => {
    const r = adapt(fixtureTexts('hostile'));
    expect(r.status, r.stderr).toBe(0);
    expect(routes(r.json)).toEqual({ 'hostile.example.com': '127.0.0.1:3100' });
  });
});

describe('plugin directives, against the plugins\' documented grammar', () => {
  const files = emitTexts(fixtureTexts('fleet'));
  const site = files.find((f) => f.path === 'caddy/sites/indiko.caddy')!.content;

  /** Blocks as nested [directive tokens, children] from the real lexer's tokens. */
  function tree(text: string) {
    const tokens = lex(text).tokens;
    let i = 0;
    const block = (): any[] => {
      const items: any[] = [];
      let current: string[] = [];
      let line = -1;
      while (i < tokens.length) {
        const t = tokens[i++];
        if (!t.quoted && t.text === '}') break;
        if (!t.quoted && t.text === '{') {
          items.push({ tokens: current, children: block() });
          current = [];
          line = -1;
          continue;
        }
        if (t.line !== line && current.length > 0) {
          items.push({ tokens: current });
          current = [];
        }
        current.push(t.text);
        line = t.line;
      }
      if (current.length > 0) items.push({ tokens: current });
      return items;
    };
    return block();
  }

  it('tls uses the DNS provider module with the token from the environment (caddy-dns/cloudflare)', () => {
    const tlsBlock = tree(site)[0].children.find((c: any) => c.tokens[0] === 'tls');
    expect(tlsBlock.tokens).toEqual(['tls']);
    expect(tlsBlock.children).toEqual([{ tokens: ['dns', 'cloudflare', '{env.CLOUDFLARE_API_TOKEN}'] }]);
  });

  it('rate_limit follows caddy-ratelimit: zone <name> { key, events, window, match }, before reverse_proxy in a route', () => {
    const route = tree(site)[0].children.find((c: any) => c.tokens[0] === 'route');
    expect(route.children.map((c: any) => c.tokens[0])).toEqual(['rate_limit', 'reverse_proxy']);
    const zones = route.children[0].children;
    for (const zone of zones) {
      expect(zone.tokens).toHaveLength(2);
      expect(zone.tokens[0]).toBe('zone');
      expect(zone.tokens[1]).toMatch(/^[a-z0-9_]+$/);
      const keys = zone.children.map((c: any) => c.tokens[0]);
      expect(keys).toEqual(['key', 'events', 'window', 'match']);
      const [, events] = zone.children[1].tokens;
      expect(Number.isInteger(Number(events)) && Number(events) > 0).toBe(true);
      expect(zone.children[2].tokens[1]).toMatch(/^\d+(ms|s|m|h)$/);
    }
    // Each request lands in exactly one zone: the site-wide one excludes the route paths.
    expect(zones.map((z: any) => [z.tokens[1], z.children[3].children[0].tokens])).toEqual([
      ['indiko', ['not', 'path', '/auth/*', '/api/*']],
      ['indiko_route1', ['path', '/auth/*']],
      ['indiko_route2', ['path', '/api/*']],
    ]);
  });

  it('trusted proxies go to the global servers options of atelier.caddy', () => {
    const index = files.find((f) => f.path === 'caddy/atelier.caddy')!.content;
    expect(tree(index)[0]).toEqual({ tokens: [], children: [{ tokens: ['servers'], children: [{ tokens: ['trusted_proxies', 'static', '173.245.48.0/20', '2400:cb00::/32'] }] }] });
  });

  it('the drop-in gives caddy.service the token file', () => {
    expect(files.find((f) => f.path === 'systemd/system/caddy.service.d/atelier.conf')!.content).toContain('[Service]\nEnvironmentFile=/etc/caddy/cloudflare.env\n');
  });
});

describe('injection', () => {
  const origin = { file: 'evil.yaml', line: 9, column: 20 };
  const evil = (extraConfig: string) =>
    caddyEmitter.emit(makeModel([makeService('evil', { caddy: { enable: true, extraConfig, rateLimit: makeService('x').caddy.rateLimit }, origins: { '': origin, 'caddy.extraConfig': origin } })], makeHost()));

  it.each([
    ['closing the site and opening another', '}\nattacker.example.com {\n\treverse_proxy 10.0.0.1:80\n'],
    ['an unbalanced block', 'header {\n'],
    ['a brace glued to a token', 'header X}'],
    ['an import', 'import /etc/passwd'],
    ['a snippet definition', '(snip) {\n}'],
    ['a multi-line quoted token', 'respond "a\n}\nevil.com {"'],
  ])('refuses %s in extraConfig, at its position', (_what, extraConfig) => {
    const result = evil(extraConfig);
    expect(result.files.filter((f) => f.path.startsWith('caddy/sites/'))).toEqual([]);
    expect(result.diagnostics).toEqual([expect.objectContaining({ ...origin, message: expect.stringContaining('cannot be written into a Caddyfile') })]);
  });

  it('keeps a balanced extraConfig inside the site block', () => {
    const result = evil('encode gzip\n  header   {\n  X-A "b }"\n}\n# a comment with }');
    expect(result.diagnostics).toEqual([]);
    const r = spawnSync('caddy', ['fmt', '-'], { input: result.files[0].content, encoding: 'utf8' });
    expect(r.stdout).toBe(result.files[0].content);
  });
});
