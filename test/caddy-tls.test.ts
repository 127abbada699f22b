// host.caddy's TLS settings, from the host file to the `tls` directive: the DNS
// provider's settings by name (literal or {env: NAME}), the resolvers, the ACME
// CA. Each refused value is reported at its own line. Whether Caddy's plugins
// read the result is proven by test/caddy-real.test.ts and test/caddy-dns.test.ts.
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { caddyEmitter } from '../src/emitters/caddy.js';
import { STAGING_CA } from '../src/emitters/caddy-tls.js';
import type { Diagnostic } from '../src/model.js';

const SERVICE = `services:\n  app:\n    enable: true\n    domain: app.example.com\n    port: 3001\n`;

/** The site file for a host block (YAML, indented under `host:`), or every diagnostic with its line. */
function emit(hostYaml: string): { site?: string; diagnostics: [number, string][] } {
  const text = `host:\n${hostYaml}${SERVICE}`;
  const resolved = resolveDeclarations([{ file: 'host.yaml', text }]);
  const lines = (ds: Diagnostic[]) => ds.map((d): [number, string] => [d.line, `${d.message}${d.hint ? ` (${d.hint})` : ''}`]);
  if (!resolved.model) return { diagnostics: lines(resolved.diagnostics) };
  const result = caddyEmitter.emit(resolved.model);
  return { site: result.files.find((f) => f.path === 'caddy/sites/app.caddy')?.content, diagnostics: lines(result.diagnostics) };
}

/** The lines of the site's `tls` directive, tabs kept. */
const tlsOf = (site: string) => {
  const lines = site.split('\n');
  const start = lines.findIndex((l) => /^\ttls\b/.test(l));
  if (start < 0) return [];
  if (!lines[start].endsWith('{')) return [lines[start]];
  const end = lines.findIndex((l, i) => i > start && l === '\t}');
  return lines.slice(start, end + 1);
};

describe('the tls directive', () => {
  it('Cloudflare with one token stays the default, in one line of the host file', () => {
    expect(tlsOf(emit('  caddy:\n    environmentFile: /etc/caddy/cloudflare.env\n').site!)).toEqual(['\ttls {', '\t\tdns cloudflare {env.CLOUDFLARE_API_TOKEN}', '\t}']);
    expect(tlsOf(emit('  caddy:\n    dnsTokenEnv: CF_TOKEN\n').site!)).toEqual(['\ttls {', '\t\tdns cloudflare {env.CF_TOKEN}', '\t}']);
  });

  it('RFC 2136: settings by name, sorted; the secret as an {env.*} placeholder; resolvers; a private CA and its root', () => {
    const { site, diagnostics } = emit(`  caddy:
    dnsProvider: rfc2136
    dnsSettings:
      server: 192.0.2.53:53
      key_name: caddy-acme
      key_alg: hmac-sha256
      key: { env: TSIG_SECRET }
    dnsResolvers: [192.0.2.53, "[2001:db8::53]:5353"]
    acmeCA: https://ca.internal.example/acme/directory
    acmeCARoot: /etc/caddy/internal-root.pem
`);
    expect(diagnostics).toEqual([]);
    expect(tlsOf(site!)).toEqual([
      '\ttls {',
      '\t\tdns rfc2136 {',
      '\t\t\tkey {env.TSIG_SECRET}',
      '\t\t\tkey_alg hmac-sha256',
      '\t\t\tkey_name caddy-acme',
      '\t\t\tserver 192.0.2.53:53',
      '\t\t}',
      '\t\tresolvers 192.0.2.53 [2001:db8::53]:5353',
      '\t\tca https://ca.internal.example/acme/directory',
      '\t\tca_root /etc/caddy/internal-root.pem',
      '\t}',
    ]);
  });

  it('Cloudflare with a zone token as well: both secrets from the environment', () => {
    const { site } = emit('  caddy:\n    dnsSettings:\n      api_token: { env: CF_DNS }\n      zone_token: { env: CF_ZONE }\n');
    expect(tlsOf(site!)).toEqual(['\ttls {', '\t\tdns cloudflare {', '\t\t\tapi_token {env.CF_DNS}', '\t\t\tzone_token {env.CF_ZONE}', '\t\t}', '\t}']);
  });

  it('a literal with spaces or braces is one quoted token', () => {
    const { site } = emit('  caddy:\n    dnsProvider: route53\n    dnsSettings:\n      profile: "} evil.example {"\n');
    expect(tlsOf(site!)).toEqual(['\ttls {', '\t\tdns route53 {', '\t\t\tprofile "} evil.example {"', '\t\t}', '\t}']);
  });

  it('Route 53 takes no token: without settings it is `dns route53` (the AWS credential chain)', () => {
    expect(tlsOf(emit('  caddy:\n    dnsProvider: route53\n').site!)).toEqual(['\ttls {', '\t\tdns route53', '\t}']);
  });

  it('the ACME CA for the HTTP challenge: production is Caddy\'s default, staging is Let\'s Encrypt\'s', () => {
    expect(tlsOf(emit('  caddy:\n    tls: acme\n').site!)).toEqual([]);
    expect(tlsOf(emit('  caddy:\n    tls: acme\n    acmeCA: staging\n').site!)).toEqual(['\ttls {', `\t\tca ${STAGING_CA}`, '\t}']);
  });
});

describe('refused TLS settings, each at its line', () => {
  it.each<[string, string, [number, RegExp][]]>([
    ['a literal secret', '    dnsProvider: rfc2136\n    dnsSettings:\n      server: 192.0.2.53\n      key_name: k\n      key_alg: hmac-sha256\n      key: c2VjcmV0\n', [[8, /caddy\.dnsSettings\.key`.*rfc2136 provider's key is a secret, which only Caddy's environment may hold \(give it as \{env: NAME\}/]]],
    ['a setting the provider does not have', '    dnsProvider: rfc2136\n    dnsSettings:\n      server: 192.0.2.53\n      keyname: k\n      key_name: k\n      key_alg: hmac-sha256\n      key: { env: K }\n', [[6, /the rfc2136 provider has no setting `keyname` \(did you mean `key_name`\?\)/]]],
    ['a required setting missing', '    dnsProvider: rfc2136\n    dnsSettings:\n      server: 192.0.2.53\n      key: { env: K }\n', [[5, /the rfc2136 provider needs key_alg, key_name too/]]],
    ['RFC 2136 without settings', '    dnsProvider: rfc2136\n', [[3, /the rfc2136 provider needs the settings key, key_alg, key_name, server/]]],
    ['dnsTokenEnv beside dnsSettings', '    dnsTokenEnv: CF\n    dnsSettings:\n      api_token: { env: CF }\n', [[3, /caddy\.dnsTokenEnv`.*not used when dnsSettings is given/]]],
    ['a root for Let\'s Encrypt', '    acmeCA: staging\n    acmeCARoot: /etc/caddy/root.pem\n', [[4, /caddy\.acmeCARoot`.*only for a private ACME CA/]]],
    ['an ACME CA with tls internal', '    tls: internal\n    acmeCA: staging\n', [[4, /caddy\.acmeCA`.*Caddy's own local CA/]]],
    ['resolvers without the DNS challenge', '    tls: acme\n    dnsResolvers: [1.1.1.1]\n', [[4, /caddy\.dnsResolvers`.*only used with tls: dns/]]],
    ['a literal Caddy would replace from its environment before reading the file', '    dnsProvider: rfc2136\n    dnsSettings:\n      server: "{$DNS_SERVER}"\n      key_name: k\n      key_alg: hmac-sha256\n      key: { env: K }\n', [[5, /caddy\.dnsSettings\.server`.*\{\$NAME\}` is replaced from Caddy's environment/]]],
    ['a secret by its name, for a provider we do not know', '    dnsProvider: gandi\n    dnsSettings:\n      api_key: abc\n', [[5, /caddy\.dnsSettings\.api_key`.*the gandi provider's api_key is a secret/]]],
  ])('%s', (_what, hostYaml, expected) => {
    const { site, diagnostics } = emit(`  caddy:\n${hostYaml}`);
    expect(site).toBeUndefined();
    expect(diagnostics).toHaveLength(expected.length);
    expected.forEach(([line, message], i) => {
      expect(diagnostics[i][0]).toBe(line);
      expect(diagnostics[i][1]).toMatch(message);
    });
  });

  it.each<[string, string, number, RegExp]>([
    ['a list as a setting', '    dnsSettings:\n      api_token: [a]\n', 4, /`caddy\.dnsSettings\.api_token` must be a string or \{env: NAME\}, not a list/],
    ['a misspelt env', '    dnsSettings:\n      api_token: { envv: CF }\n', 4, /unknown key `envv`.*did you mean `env`/],
    ['an environment variable name with a space', '    dnsSettings:\n      api_token: { env: "CF TOKEN" }\n', 4, /caddy\.dnsSettings\.api_token\.env` must be a name of letters/],
    ['a setting name Caddy cannot have', '    dnsSettings:\n      Api-Token: { env: CF }\n', 4, /key must be a setting name/],
    ['an ACME CA over plain HTTP', '    acmeCA: http://ca.example/dir\n', 3, /must be an https:\/\/ URL/],
    ['an ACME CA that is neither', '    acmeCA: letsencrypt\n', 3, /must be production, staging, or the https:\/\/ directory URL/],
    ['a resolver by name', '    dnsResolvers: [ns1.example.com]\n', 3, /must be an IP address with an optional port/],
  ])('the declaration refuses %s', (_what, hostYaml, line, message) => {
    const { site, diagnostics } = emit(`  caddy:\n${hostYaml}`);
    expect(site).toBeUndefined();
    expect(diagnostics.map(([l]) => l)).toContain(line);
    expect(diagnostics.find(([l]) => l === line)![1]).toMatch(message);
  });
});
