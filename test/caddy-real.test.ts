// Every fixture's emitted Caddy tree, loaded by a Caddy that has the plugins
// (built by the global set-up: test/setup/caddy-build.ts): `caddy validate`
// adapts the whole tree through atelier.caddy and provisions every module, so
// a rate_limit block or a DNS provider's settings the real plugin refuses fails here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec } from './support/process.js';
import { fixtureTexts, tempDirs } from './support/emit.js';
import { installEmitted, need, oracle } from './support/oracles.js';

const temp = tempDirs();
const caddy = oracle('pluginCaddy');
const ROOT = path.resolve(__dirname, '..');
const FIXTURES = fs
  .readdirSync(path.join(ROOT, 'fixtures'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(ROOT, 'fixtures', d.name, 'expected/caddy')))
  .map((d) => d.name)
  .sort();

/** Caddy's environment for validation: the secrets the fixtures read with {env.*}, as the environment file would give them. */
const SECRETS = {
  // caddy-dns/cloudflare checks the token's shape when it provisions (35-50 characters of [A-Za-z0-9_-]).
  CLOUDFLARE_API_TOKEN: 'atelier-test-token-not-a-real-one-0123456789',
  RFC2136_TSIG_SECRET: Buffer.alloc(32, 7).toString('base64'),
};

async function caddyRun(args: string[], dir: string) {
  return exec(need(caddy), args, { env: { ...process.env, ...SECRETS, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir }, timeoutMs: 60_000 });
}

/** Every file of a tree, by path relative to it. */
function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else out.set(path.relative(dir, path.join(d, e.name)), fs.readFileSync(path.join(d, e.name), 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(caddy.skip !== null)(`the plugin-built Caddy loads every fixture's tree${caddy.skip ? ` (skipped: ${caddy.skip})` : ''}`, () => {
  it('has the modules the sites use', async () => {
    const r = await caddyRun(['list-modules', '--versions'], temp('modules'));
    expect(r.code, r.stderr).toBe(0);
    for (const module of ['http.handlers.rate_limit', 'dns.providers.cloudflare', 'dns.providers.rfc2136']) expect(r.stdout).toMatch(new RegExp(`^${module.replace(/\./g, '\\.')} `, 'm'));
    console.log(`plugin-built Caddy: ${(await caddyRun(['version'], temp('version'))).stdout.trim()}\n${r.stdout.split('\n').filter((l) => /rate_limit|dns\.providers/.test(l)).join('\n')}`);
  });

  it.each(FIXTURES)('%s: caddy validate on the whole tree', async (name) => {
    const root = temp(`validate-${name}`);
    const importLine = installEmitted(root, fixtureTexts(name));
    // The tree under test is the golden one: only the sysconfdir (in the import paths, and as a source in the header) differs.
    const emitted = readTree(path.join(root, 'etc/caddy'));
    const expected = readTree(path.join(ROOT, 'fixtures', name, 'expected/caddy'));
    expect([...emitted.keys()].sort()).toEqual([...expected.keys()].sort());
    const asGolden = (text: string) => text.replaceAll(path.join(root, 'etc'), '/etc');
    for (const [p, content] of emitted) expect(asGolden(content), p).toBe(expected.get(p));

    const main = path.join(root, 'Caddyfile');
    fs.writeFileSync(main, `${importLine}\n`);
    const validated = await caddyRun(['validate', '--config', main, '--adapter', 'caddyfile'], root);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout + validated.stderr).toContain('Valid configuration');

    // What Caddy made of the plugin directives, from the adapted JSON.
    const adapted = await caddyRun(['adapt', '--config', main, '--adapter', 'caddyfile'], root);
    expect(adapted.code, adapted.stderr).toBe(0);
    const json = JSON.parse(adapted.stdout);
    const limiters = findAll(json, (o) => o.handler === 'rate_limit');
    const texts = fixtureTexts(name).map((t) => t.text).join('\n');
    expect(limiters.length > 0, 'a rate_limit handler exactly when the fixture has rate limits').toBe(/rateLimit:/.test(texts));
    for (const limiter of limiters) {
      for (const zone of Object.values<any>(limiter.rate_limits)) {
        expect(Number.isInteger(zone.max_events) && zone.max_events > 0).toBe(true);
        expect(zone.window).toBeGreaterThan(0);
        expect(zone.key).toBe('{http.vars.client_ip}');
      }
    }
    const providers = findAll(json, (o) => typeof o.provider?.name === 'string').map((o) => o.provider);
    expect(providers.map((p) => p.name)).toEqual(/dnsProvider: rfc2136/.test(texts) ? ['rfc2136'] : /tls: (internal|acme)/.test(texts) ? [] : ['cloudflare']);
    for (const provider of providers) {
      // Secrets stay placeholders in the adapted JSON (and Caddy's autosave): Caddy reads them at start.
      for (const field of SECRET_FIELDS[provider.name]) if (field in provider) expect(provider[field]).toMatch(/^\{env\.[A-Za-z_][A-Za-z0-9_]*\}$/);
    }
  });
});

describe.skipIf(caddy.skip !== null)(`DNS provider settings as the plugin reads them${caddy.skip ? ` (skipped: ${caddy.skip})` : ''}`, () => {
  it('literals arrive unchanged (one token each, spaces and braces included); the secret stays a placeholder', async () => {
    const root = temp('settings');
    const host = `host:\n  caddy:\n    dnsProvider: rfc2136\n    dnsSettings:\n      server: "} evil.example { 127.0.0.1:53"\n      key_name: "name with spaces"\n      key_alg: hmac-sha256\n      key: { env: RFC2136_TSIG_SECRET }\nservices:\n  app:\n    enable: true\n    domain: app.example.com\n`;
    const main = path.join(root, 'Caddyfile');
    fs.writeFileSync(main, `${installEmitted(root, [{ file: 'host.yaml', text: host }])}\n`);
    const adapted = await caddyRun(['adapt', '--config', main, '--adapter', 'caddyfile'], root);
    expect(adapted.code, adapted.stderr).toBe(0);
    const providers = findAll(JSON.parse(adapted.stdout), (o) => o.provider?.name === 'rfc2136').map((o) => o.provider);
    expect(providers).toEqual([{ name: 'rfc2136', server: '} evil.example { 127.0.0.1:53', key_name: 'name with spaces', key_alg: 'hmac-sha256', key: '{env.RFC2136_TSIG_SECRET}' }]);
  });
});

const SECRET_FIELDS: Record<string, string[]> = { cloudflare: ['api_token', 'zone_token'], rfc2136: ['key'] };

/** Every object in a JSON value for which `test` holds. */
function findAll(value: unknown, test: (o: any) => boolean): any[] {
  if (Array.isArray(value)) return value.flatMap((v) => findAll(v, test));
  if (value === null || typeof value !== 'object') return [];
  const here = test(value) ? [value] : [];
  return [...here, ...Object.values(value).flatMap((v) => findAll(v, test))];
}
