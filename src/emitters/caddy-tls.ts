// The `tls` directive every site shares: Caddy's local CA, ACME with the HTTP
// challenge, or ACME with a DNS challenge through a caddy-dns provider; which
// ACME CA; the provider's settings. What each provider accepts is read from
// its module's Caddyfile unmarshaler at the version the tests build and load
// (README, Caddy), so a setting the module would refuse at start is refused here,
// at its line.
import type { DnsSetting, HostModel } from '../model.js';
import { tokenProblem, type CaddyDirective, type CaddyItem } from '../formats/caddyfile.js';
import { closest } from '../declarations/suggest.js';

export interface DnsProviderInfo {
  /** The Go module that registers dns.providers.<name>, for xcaddy. */
  module: string;
  /** Accepts `dns <name> <token>`, its one secret as the only argument. */
  token: boolean;
  /** Every setting its Caddyfile block takes; a secret is never written as a literal. */
  settings: Record<string, 'secret' | 'plain'>;
  required: readonly string[];
}

export const DNS_PROVIDERS: Readonly<Record<string, DnsProviderInfo>> = {
  // caddy-dns/cloudflare v0.2.4, cloudflare.go: `cloudflare <api_token>`, or a block with api_token and zone_token.
  cloudflare: { module: 'github.com/caddy-dns/cloudflare', token: true, settings: { api_token: 'secret', zone_token: 'secret' }, required: ['api_token'] },
  // caddy-dns/rfc2136 v1.0.0, module.go: a block only, and all four are required.
  rfc2136: {
    module: 'github.com/caddy-dns/rfc2136',
    token: false,
    settings: { key: 'secret', key_alg: 'plain', key_name: 'plain', server: 'plain' },
    required: ['key', 'key_alg', 'key_name', 'server'],
  },
  // caddy-dns/route53 v1.6.2, route53.go: a block only, nothing required (else the AWS SDK's own credential chain).
  route53: {
    module: 'github.com/caddy-dns/route53',
    token: false,
    settings: {
      access_key_id: 'plain', secret_access_key: 'secret', session_token: 'secret', token: 'secret', region: 'plain', profile: 'plain', aws_profile: 'plain',
      hosted_zone_id: 'plain', max_retries: 'plain', route53_max_wait: 'plain', max_wait_dur: 'plain', wait_for_route53_sync: 'plain',
      wait_for_propagation: 'plain', skip_route53_sync_on_delete: 'plain', debug_logging: 'plain',
    },
    required: [],
  },
};

/** The module to build Caddy with for a provider (caddy-dns's naming for one we do not know). */
export const dnsProviderModule = (name: string) => DNS_PROVIDERS[name]?.module ?? `github.com/caddy-dns/${name}`;

/** For a provider we do not know, a setting named like a secret is treated as one. */
const isSecret = (provider: string, setting: string) =>
  DNS_PROVIDERS[provider] ? DNS_PROVIDERS[provider].settings[setting] === 'secret' : /(token|secret|password|passwd|key)$/.test(setting);

export const STAGING_CA = 'https://acme-staging-v02.api.letsencrypt.org/directory';

type Check = (valuePath: string, message: string | null, hint?: string) => boolean;

/**
 * The `tls` items of every site, or null when a host value cannot be written
 * (each problem reported through `check`, at its declaration).
 */
export function tlsItems(host: HostModel, check: Check): CaddyItem[] | null {
  const { caddy } = host;
  let problems = 0;
  const report: Check = (valuePath, message, hint) => {
    const found = check(valuePath, message, hint);
    if (found) problems++;
    return found;
  };
  const notFor = (what: string) => `only used with tls: dns (${what})`;
  if (caddy.tls !== 'dns') {
    report('caddy.dnsResolvers', caddy.dnsResolvers.length > 0 ? notFor('the resolvers answer the DNS challenge') : null);
    report('caddy.dnsSettings', Object.keys(caddy.dnsSettings).length > 0 ? notFor("the settings are the DNS provider's") : null);
  }
  const ca = caItems(host, report);
  if (caddy.tls === 'internal') return problems > 0 ? null : [{ name: 'tls', args: ['internal'] }];
  if (caddy.tls === 'acme') {
    // Caddy's default without a block: ACME with the HTTP and TLS-ALPN challenges.
    return problems > 0 ? null : ca.length > 0 ? [{ name: 'tls', block: ca }] : [];
  }
  report('caddy.dnsProvider', /^[a-z0-9_]+$/.test(caddy.dnsProvider) ? null : 'not a Caddy module name (lowercase letters, digits, _)');
  const dns = dnsDirective(host, report);
  caddy.dnsResolvers.forEach((r, i) => report(`caddy.dnsResolvers.${i}`, tokenProblem(r)));
  if (problems > 0 || dns === null) return null;
  const block: CaddyItem[] = [dns];
  // certmagic asks these for the zone and, instead of the zone's authoritative servers, for propagation.
  if (caddy.dnsResolvers.length > 0) block.push({ name: 'resolvers', args: caddy.dnsResolvers });
  block.push(...ca);
  return [{ comment: `DNS challenge: needs a Caddy built with dns.providers.${caddy.dnsProvider}` }, { name: 'tls', block }];
}

/** `ca` and `ca_root`: Caddy's default issuers (Let's Encrypt, then ZeroSSL) unless another CA is chosen. */
function caItems(host: HostModel, report: Check): CaddyDirective[] {
  const { acmeCA, acmeCARoot, tls } = host.caddy;
  if (tls === 'internal') {
    report('caddy.acmeCA', acmeCA !== 'production' ? 'tls: internal issues from Caddy\'s own local CA, not from an ACME CA' : null);
    report('caddy.acmeCARoot', acmeCARoot !== null ? 'tls: internal issues from Caddy\'s own local CA, not from an ACME CA' : null);
    return [];
  }
  const isUrl = acmeCA !== 'production' && acmeCA !== 'staging';
  if (report('caddy.acmeCARoot', acmeCARoot !== null && !isUrl ? `only for a private ACME CA (acmeCA: https://…); Let's Encrypt's endpoints are publicly trusted` : null)) return [];
  if (acmeCA === 'production') return [];
  const url = acmeCA === 'staging' ? STAGING_CA : acmeCA;
  if (report('caddy.acmeCA', tokenProblem(url))) return [];
  const items: CaddyDirective[] = [{ name: 'ca', args: [url] }];
  if (acmeCARoot !== null && !report('caddy.acmeCARoot', tokenProblem(acmeCARoot))) items.push({ name: 'ca_root', args: [acmeCARoot] });
  return items;
}

/** `dns <provider> …`: the one-token form, or a block of the provider's settings (sorted by name). */
function dnsDirective(host: HostModel, report: Check): CaddyDirective | null {
  const { dnsProvider: provider, dnsSettings, dnsTokenEnv } = host.caddy;
  const known = DNS_PROVIDERS[provider];
  const names = Object.keys(dnsSettings).sort();
  const tokenForm = `{env.${dnsTokenEnv}}`;
  if (names.length === 0) {
    if (!known || known.token) {
      // The runtime {env.*} placeholder, so the token never lands in the adapted JSON or Caddy's autosave.
      return report('caddy.dnsTokenEnv', /^[A-Za-z_][A-Za-z0-9_]*$/.test(dnsTokenEnv) ? null : 'not an environment variable name') ? null : { name: 'dns', args: [provider, tokenForm] };
    }
    if (known.required.length > 0) {
      report('caddy.dnsProvider', `the ${provider} provider needs the settings ${known.required.join(', ')}`, `e.g. dnsSettings: { ${known.required.map((k) => `${k}: ${known.settings[k] === 'secret' ? '{env: NAME}' : '…'}`).join(', ')} }`);
      return null;
    }
    explicitTokenEnv(host, report, `the ${provider} provider takes no token argument; give its settings in dnsSettings`);
    return { name: 'dns', args: [provider] };
  }
  explicitTokenEnv(host, report, 'not used when dnsSettings is given: give the token as a setting, e.g. api_token: {env: NAME}');
  const lines: CaddyDirective[] = [];
  for (const name of names) {
    const at = `caddy.dnsSettings.${name}`;
    if (known && !(name in known.settings)) {
      const suggestion = closest(name, Object.keys(known.settings));
      report(at, `the ${provider} provider has no setting \`${name}\``, suggestion ? `did you mean \`${suggestion}\`?` : `its settings: ${Object.keys(known.settings).join(', ')}`);
      continue;
    }
    const value: DnsSetting = dnsSettings[name];
    if (typeof value === 'string') {
      if (report(at, isSecret(provider, name) ? `the ${provider} provider's ${name} is a secret, which only Caddy's environment may hold` : null, `give it as {env: NAME} and put NAME=… in host.caddy.environmentFile`)) continue;
      if (report(at, tokenProblem(value))) continue;
      lines.push({ name, args: [value] });
    } else if (!report(`${at}.env`, /^[A-Za-z_][A-Za-z0-9_]*$/.test(value.env) ? null : 'not an environment variable name')) {
      lines.push({ name, args: [`{env.${value.env}}`] });
    }
  }
  const missing = (known?.required ?? []).filter((k) => !(k in dnsSettings));
  report('caddy.dnsSettings', missing.length > 0 ? `the ${provider} provider needs ${missing.join(', ')} too` : null);
  return { name: 'dns', args: [provider], block: lines };
}

/** The environment variables the emitted `tls` reads at Caddy's start (from host.caddy.environmentFile). */
export function dnsEnvironment(host: HostModel): string[] {
  const { tls, dnsProvider, dnsSettings, dnsTokenEnv } = host.caddy;
  if (tls !== 'dns') return [];
  const settings = Object.values(dnsSettings);
  if (settings.length === 0) return !DNS_PROVIDERS[dnsProvider] || DNS_PROVIDERS[dnsProvider].token ? [dnsTokenEnv] : [];
  return [...new Set(settings.flatMap((v) => (typeof v === 'string' ? [] : [v.env])))].sort();
}

/** dnsTokenEnv has a default: only a declared one can be a mistake. */
function explicitTokenEnv(host: HostModel, report: Check, message: string): void {
  if (host.origins['caddy.dnsTokenEnv'] !== undefined) report('caddy.dnsTokenEnv', message);
}
