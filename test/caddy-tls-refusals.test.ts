// host.caddy's TLS values that the Caddy emitter refuses, in a hand-built host:
// each refusal names the value's path, sits at its own line, and says why (and,
// where there is one, what to write instead). Also the two facts doctor reads
// from the TLS settings: the environment variables the sites read at Caddy's
// start, and the Go module to build Caddy with for a DNS provider.
import { describe, expect, it } from 'vitest';
import { caddyEmitter } from '../src/emitters/caddy.js';
import { dnsEnvironment, dnsProviderModule } from '../src/emitters/caddy-tls.js';
import type { Diagnostic, HostModel } from '../src/model.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const at = (line: number) => ({ file: 'host.yaml', line, column: 5 });
const hostWith = (caddy: Partial<HostModel['caddy']>, origins: HostModel['origins'] = {}) =>
  makeHost({ caddy: { ...makeHost().caddy, ...caddy }, origins: { '': at(1), 'caddy': at(2), ...origins } });

/** Diagnostics as [line, message (hint)]. */
const said = (ds: Diagnostic[]) => ds.map((d): [number, string] => [d.line, `${d.message}${d.hint ? ` (${d.hint})` : ''}`]);

function emit(host: HostModel) {
  const r = caddyEmitter.emit(makeModel([makeService('app', { port: 3001 })], host));
  return { site: r.files.find((f) => f.path === 'caddy/sites/app.caddy')?.content, said: said(r.diagnostics) };
}

const refusal = (path: string, message: string) => `\`host.${path}\` cannot be written into a Caddyfile: ${message}`;

describe('DNS values without the DNS challenge', () => {
  it('resolvers under tls: acme are refused at caddy.dnsResolvers: they answer the DNS challenge only', () => {
    expect(emit(hostWith({ tls: 'acme', dnsResolvers: ['192.0.2.53'] }, { 'caddy.dnsResolvers': at(6) }))).toEqual({
      site: undefined,
      said: [[6, refusal('caddy.dnsResolvers', 'only used with tls: dns (the resolvers answer the DNS challenge)')]],
    });
  });

  it("settings under tls: internal are refused at caddy.dnsSettings: they are the DNS provider's", () => {
    expect(emit(hostWith({ tls: 'internal', dnsSettings: { api_token: { env: 'CF_TOKEN' } } }, { 'caddy.dnsSettings': at(7) }))).toEqual({
      site: undefined,
      said: [[7, refusal('caddy.dnsSettings', "only used with tls: dns (the settings are the DNS provider's)")]],
    });
  });
});

describe('the DNS provider and its resolvers', () => {
  it('a provider name that is not a Caddy module name is refused, saying what one is', () => {
    const r = emit(hostWith({ dnsProvider: 'Cloud-Flare' }, { 'caddy.dnsProvider': at(4) }));
    expect(r.site).toBeUndefined();
    expect(r.said).toEqual([[4, refusal('caddy.dnsProvider', 'not a Caddy module name (lowercase letters, digits, _)')]]);
  });

  it('a resolver Caddy could not read as one token is refused at its own entry', () => {
    const r = emit(hostWith({ dnsResolvers: ['192.0.2.53', '192.0.2.54\t53'] }, { 'caddy.dnsResolvers': at(5), 'caddy.dnsResolvers.1': at(7) }));
    expect(r.site).toBeUndefined();
    expect(r.said).toEqual([[7, refusal('caddy.dnsResolvers.1', 'must be one line without control, invisible or unusual white-space characters')]]);
  });

  it('dnsTokenEnv must be an environment variable name, from its first character to its last', () => {
    for (const name of ['1TOKEN', 'CF-TOKEN', 'CF TOKEN']) {
      const r = emit(hostWith({ dnsTokenEnv: name }, { 'caddy.dnsTokenEnv': at(3) }));
      expect(r.site, name).toBeUndefined();
      expect(r.said, name).toEqual([[3, refusal('caddy.dnsTokenEnv', 'not an environment variable name')]]);
    }
    expect(emit(hostWith({ dnsTokenEnv: '_CF_TOKEN2' })).site).toContain('dns cloudflare {env._CF_TOKEN2}');
  });

  it('RFC 2136 with no settings: refused, with an example that gives its secret from the environment and the rest as values', () => {
    expect(emit(hostWith({ dnsProvider: 'rfc2136' }, { 'caddy.dnsProvider': at(4) }))).toEqual({
      site: undefined,
      said: [[4, refusal('caddy.dnsProvider', 'the rfc2136 provider needs the settings key, key_alg, key_name, server (e.g. dnsSettings: { key: {env: NAME}, key_alg: …, key_name: …, server: … })')]],
    });
  });

  it('route53 with a declared dnsTokenEnv: refused, since it takes its settings only in dnsSettings', () => {
    expect(emit(hostWith({ dnsProvider: 'route53', dnsTokenEnv: 'AWS_TOKEN' }, { 'caddy.dnsTokenEnv': at(3) }))).toEqual({
      site: undefined,
      said: [[3, refusal('caddy.dnsTokenEnv', 'the route53 provider takes no token argument; give its settings in dnsSettings')]],
    });
  });

  it('a setting the provider does not have, and resembling none: the hint lists its settings', () => {
    expect(emit(hostWith({ dnsSettings: { api_token: { env: 'CF_TOKEN' }, zzzzzzzz: { env: 'Z' } } }, { 'caddy.dnsSettings.zzzzzzzz': at(8) }))).toEqual({
      site: undefined,
      said: [[8, refusal('caddy.dnsSettings.zzzzzzzz', 'the cloudflare provider has no setting `zzzzzzzz` (its settings: api_token, zone_token)')]],
    });
  });

  it('{env: NAME} must name an environment variable, from its first character to its last; refused at the setting\'s .env', () => {
    for (const env of ['1CF', 'CF-1', 'CF TOKEN']) {
      const r = emit(hostWith({ dnsSettings: { api_token: { env } } }, { 'caddy.dnsSettings.api_token': at(8), 'caddy.dnsSettings.api_token.env': at(9) }));
      expect(r.site, env).toBeUndefined();
      expect(r.said, env).toEqual([[9, refusal('caddy.dnsSettings.api_token.env', 'not an environment variable name')]]);
    }
  });

  it('for a provider atelier does not know, a setting is a secret when its name ends like one, not when it merely contains one', () => {
    const r = emit(hostWith({ dnsProvider: 'gandi', dnsSettings: { keyring_dir: '/etc/gandi', tokens_used: '2', bearer_token: { env: 'GANDI_TOKEN' } } }));
    expect(r.said).toEqual([]);
    expect(r.site).toContain('\t\tdns gandi {\n\t\t\tbearer_token {env.GANDI_TOKEN}\n\t\t\tkeyring_dir /etc/gandi\n\t\t\ttokens_used 2\n\t\t}\n');
    const secret = emit(hostWith({ dnsProvider: 'gandi', dnsSettings: { api_key: 'abc123' } }, { 'caddy.dnsSettings.api_key': at(8) }));
    expect(secret.said).toEqual([
      [8, refusal('caddy.dnsSettings.api_key', "the gandi provider's api_key is a secret, which only Caddy's environment may hold (give it as {env: NAME} and put NAME=… in host.caddy.environmentFile)")],
    ]);
  });
});

describe('the ACME CA', () => {
  const internalMessage = "tls: internal issues from Caddy's own local CA, not from an ACME CA";

  it('tls: internal refuses a CA root at caddy.acmeCARoot (and a CA at caddy.acmeCA)', () => {
    expect(emit(hostWith({ tls: 'internal', acmeCARoot: '/etc/caddy/root.pem' }, { 'caddy.acmeCARoot': at(5) }))).toEqual({
      site: undefined,
      said: [[5, refusal('caddy.acmeCARoot', internalMessage)]],
    });
    expect(emit(hostWith({ tls: 'internal', acmeCA: 'staging' }, { 'caddy.acmeCA': at(4) })).said).toEqual([[4, refusal('caddy.acmeCA', internalMessage)]]);
  });

  it("a CA root with Let's Encrypt's production endpoint is refused: that CA is publicly trusted", () => {
    expect(emit(hostWith({ tls: 'acme', acmeCARoot: '/etc/caddy/root.pem' }, { 'caddy.acmeCARoot': at(5) }))).toEqual({
      site: undefined,
      said: [[5, refusal('caddy.acmeCARoot', "only for a private ACME CA (acmeCA: https://…); Let's Encrypt's endpoints are publicly trusted")]],
    });
  });

  it('a CA URL Caddy could not read as one token is refused at caddy.acmeCA, and no site is written', () => {
    expect(emit(hostWith({ tls: 'acme', acmeCA: 'https://ca.example/acme\tdirectory' }, { 'caddy.acmeCA': at(4) }))).toEqual({
      site: undefined,
      said: [[4, refusal('caddy.acmeCA', 'must be one line without control, invisible or unusual white-space characters')]],
    });
  });

  it('a CA root path Caddy could not read as one token is refused at caddy.acmeCARoot', () => {
    expect(emit(hostWith({ tls: 'acme', acmeCA: 'https://ca.example/acme/directory', acmeCARoot: '/etc/caddy/root\u00a0.pem' }, { 'caddy.acmeCARoot': at(5) }))).toEqual({
      site: undefined,
      said: [[5, refusal('caddy.acmeCARoot', 'must be one line without control, invisible or unusual white-space characters')]],
    });
  });
});

describe('what doctor reads from the TLS settings', () => {
  it('the Go module of a DNS provider: the known ones by name, any other by caddy-dns naming', () => {
    expect(dnsProviderModule('cloudflare')).toBe('github.com/caddy-dns/cloudflare');
    expect(dnsProviderModule('route53')).toBe('github.com/caddy-dns/route53');
    expect(dnsProviderModule('gandi')).toBe('github.com/caddy-dns/gandi');
  });

  it('without the DNS challenge, Caddy reads no environment variable for TLS', () => {
    expect(dnsEnvironment(hostWith({ tls: 'acme' }))).toEqual([]);
    expect(dnsEnvironment(hostWith({ tls: 'internal', dnsTokenEnv: 'CF_TOKEN' }))).toEqual([]);
  });

  it('with the one-token form, the token variable; with a provider that takes no token and no settings, none', () => {
    expect(dnsEnvironment(hostWith({}))).toEqual(['CLOUDFLARE_API_TOKEN']);
    expect(dnsEnvironment(hostWith({ dnsProvider: 'gandi', dnsTokenEnv: 'GANDI_TOKEN' }))).toEqual(['GANDI_TOKEN']);
    expect(dnsEnvironment(hostWith({ dnsProvider: 'route53' }))).toEqual([]);
  });

  it('with settings, each {env: NAME} once, sorted by name; literal settings read nothing', () => {
    const host = hostWith({
      dnsProvider: 'rfc2136',
      dnsSettings: { server: '192.0.2.53:53', key_name: { env: 'TSIG_NAME' }, key: { env: 'TSIG_SECRET' }, key_alg: { env: 'TSIG_NAME' } },
    });
    expect(dnsEnvironment(host)).toEqual(['TSIG_NAME', 'TSIG_SECRET']);
    expect(dnsEnvironment(hostWith({ dnsSettings: { zone_token: { env: 'Z_TOKEN' }, api_token: { env: 'A_TOKEN' } } }))).toEqual(['A_TOKEN', 'Z_TOKEN']);
  });
});
