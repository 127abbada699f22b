// A certificate through a real DNS-01 challenge, with nothing outside this
// machine: BIND (Debian's named) is authoritative for atelier.test and takes
// TSIG-signed dynamic updates; Pebble, a local ACME CA, validates the challenge
// by asking that BIND; the plugin-built Caddy runs the emitted site (its RFC 2136
// provider, resolvers and CA as the host file declares them) and serves HTTPS
// with the certificate it obtained. Everything listens on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/process.js';
import { tempDirs } from './support/emit.js';
import { freePort, installEmitted, missingProgram, need, oracle, oraclesRequired, Running, waitFor, writeFile } from './support/oracles.js';

const temp = tempDirs();
const caddy = oracle('pluginCaddy');
const pebble = oracle('pebble');
const named = missingProgram('named', 'bind9');
const skip = caddy.skip ?? pebble.skip ?? (named && !oraclesRequired ? named : null);
const ZONE = 'atelier.test';
const KEY_NAME = 'atelier-acme';

interface Dns {
  port: number;
  server: Running;
}

/** BIND, authoritative for ZONE on 127.0.0.1:<port>, taking updates signed with `secret` (hmac-sha256). */
async function startBind(dir: string, secret: string): Promise<Dns> {
  const port = await freePort();
  writeFile(path.join(dir, `${ZONE}.zone`), ['$TTL 60', `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. 1 60 60 600 60`, `@ IN NS ns.${ZONE}.`, 'ns IN A 127.0.0.1', ''].join('\n'));
  const conf = writeFile(
    path.join(dir, 'named.conf'),
    `options {
	directory "${dir}";
	listen-on port ${port} { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file none;
	session-keyfile none;
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
key "${KEY_NAME}" { algorithm hmac-sha256; secret "${secret}"; };
zone "${ZONE}" { type primary; file "${dir}/${ZONE}.zone"; allow-update { key "${KEY_NAME}"; }; };
`,
  );
  const server = Running.start('named', ['-g', '-c', conf]);
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  await waitFor('BIND to answer for the zone', async () => {
    if (!server.alive) throw new Error(`named exited:\n${server.output}`);
    return (await resolver.resolveSoa(ZONE)).nsname === `ns.${ZONE}` ? true : undefined;
  }, 30_000).catch(async (err: Error) => {
    await server.stop();
    throw new Error(`${err.message}\n--- named ---\n${server.output}`);
  });
  return { port, server };
}

/** A CA and a certificate for 127.0.0.1, for Pebble's HTTPS listener (valid one day). */
async function listenerCertificate(dir: string): Promise<{ root: string; cert: string; key: string }> {
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', f('root.key'), '-out', f('root.pem'), '-days', '1', '-subj', '/CN=atelier test ACME listener root', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  await run('openssl', ['req', ...ec, '-keyout', f('key.pem'), '-out', f('leaf.csr'), '-subj', '/CN=127.0.0.1']);
  writeFile(f('leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('root.pem'), '-CAkey', f('root.key'), '-CAcreateserial', '-days', '1', '-extfile', f('leaf.ext'), '-out', f('cert.pem')]);
  return { root: f('root.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

/** Pebble on 127.0.0.1, validating DNS-01 against `dnsPort`; returns its directory URL and the root of the certificates it issues. */
async function startPebble(dir: string, dnsPort: number): Promise<{ server: Running; directory: string; listenerRoot: string; issuerRoot: () => Promise<string> }> {
  const tls = await listenerCertificate(dir);
  const [acmePort, managementPort, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = writeFile(
    path.join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: tls.cert,
        privateKey: tls.key,
        // Used only for the HTTP-01 and TLS-ALPN-01 challenges, which Caddy does not choose here.
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        retryAfter: { authz: 1, order: 1 },
        profiles: { default: { description: 'default', validityPeriod: 7776000 } },
      },
    }),
  );
  const server = Running.start(need(pebble), ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], {
    // No random sleeps before validating; no nonce rejections (Caddy retries them, but slowly).
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
  });
  const ca = fs.readFileSync(tls.root, 'utf8');
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  await waitFor('Pebble to serve its directory', async () => {
    if (!server.alive) throw new Error(`pebble exited:\n${server.output}`);
    return (await fetchText(directory, ca)).includes('newOrder') ? true : undefined;
  }, 30_000).catch(async (err: Error) => {
    await server.stop();
    throw new Error(`${err.message}\n--- pebble ---\n${server.output}`);
  });
  return { server, directory, listenerRoot: tls.root, issuerRoot: () => fetchText(`https://127.0.0.1:${managementPort}/roots/0`, ca) };
}

function fetchText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Pebble answers a request without a User-Agent with 400, as RFC 8555 §6.1 allows.
    const req = https.get(url, { ca, timeout: 5000, headers: { 'user-agent': 'atelier-emit-test' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
  });
}

/** The host file of an RFC 2136 site: the README's example, pointed at the local BIND and Pebble. */
const hostFile = (o: { dnsPort: number; directory: string; caRoot: string | null; envFile: string; upstream: number; domain: string }) => `
host:
  caddy:
    dnsProvider: rfc2136
    dnsSettings:
      server: 127.0.0.1:${o.dnsPort}
      key_name: ${KEY_NAME}
      key_alg: hmac-sha256
      key: { env: RFC2136_TSIG_SECRET }
    dnsResolvers: [127.0.0.1:${o.dnsPort}]
    acmeCA: ${o.directory}${o.caRoot ? `\n    acmeCARoot: ${o.caRoot}` : ''}
    environmentFile: ${o.envFile}
services:
  app:
    enable: true
    domain: ${o.domain}
    port: ${o.upstream}
    runtime: node
`;

describe.skipIf(skip !== null)(`a certificate through a real DNS-01 challenge${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const secret = randomBytes(32).toString('base64');
  let dns: Dns;
  let acme: Awaited<ReturnType<typeof startPebble>>;
  let upstream: http.Server;
  let upstreamPort = 0;
  const running: Running[] = [];

  beforeAll(async () => {
    if (named) throw new Error(named);
    need(caddy);
    need(pebble);
    dns = await startBind(temp('bind'), secret);
    acme = await startPebble(temp('pebble'), dns.port);
    upstream = http.createServer((_req, res) => res.end('hello from the app\n'));
    upstreamPort = await freePort();
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
  }, 120_000);

  afterAll(async () => {
    for (const r of running) await r.stop();
    await acme?.server.stop();
    await dns?.server.stop();
    if (upstream) await new Promise((r) => upstream.close(r));
  });

  /** Writes the emitted tree for `domain` and runs Caddy on it with `key` in its environment file; returns Caddy and its HTTPS port. */
  async function startCaddy(name: string, domain: string, key: string, caRoot: string | null = acme.listenerRoot): Promise<{ caddy: Running; port: number; root: string }> {
    const root = temp(name);
    const envFile = writeFile(path.join(root, 'caddy.env'), `RFC2136_TSIG_SECRET=${key}\n`, 0o600);
    const importLine = installEmitted(root, [{ file: 'host.yaml', text: hostFile({ dnsPort: dns.port, directory: acme.directory, caRoot, envFile, upstream: upstreamPort, domain }) }]);
    // The drop-in systemd would use: Caddy gets the key from the environment file, never from the Caddyfile.
    expect(fs.readFileSync(path.join(root, 'etc/systemd/system/caddy.service.d/atelier.conf'), 'utf8')).toContain(`EnvironmentFile=${envFile}\n`);
    expect(fs.readFileSync(path.join(root, 'etc/caddy/sites/app.caddy'), 'utf8')).not.toContain(key);
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    // The administrator's main Caddyfile: where Caddy listens and keeps its state, then the emitted sites.
    const main = writeFile(
      path.join(root, 'Caddyfile'),
      `{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n\tstorage file_system ${path.join(root, 'data')}\n}\n\n${importLine}\n`,
    );
    const env = { ...process.env, HOME: root, XDG_CONFIG_HOME: root, XDG_DATA_HOME: root, RFC2136_TSIG_SECRET: key };
    const server = Running.start(need(caddy), ['run', '--config', main, '--adapter', 'caddyfile'], { env });
    running.push(server);
    return { caddy: server, port: httpsPort, root };
  }

  it('the emitted site obtains a certificate from the local CA through BIND and serves HTTPS with it', async () => {
    const domain = `app.${ZONE}`;
    const { caddy: server, port } = await startCaddy('caddy-ok', domain, secret);
    const issuerRoot = await acme.issuerRoot();
    const served = await waitFor(
      'Caddy to obtain the certificate and serve the site',
      () => {
        if (!server.alive) throw new Error(`caddy exited:\n${server.output}`);
        return new Promise<{ body: string; cert: ReturnType<TLSSocket['getPeerCertificate']> }>((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port, path: '/', servername: domain, headers: { host: domain }, ca: issuerRoot, agent: false, timeout: 5000 }, (res) => {
            const cert = (res.socket as TLSSocket).getPeerCertificate();
            let body = '';
            res.setEncoding('utf8').on('data', (d) => (body += d));
            res.on('end', () => resolve({ body, cert }));
          });
          req.on('timeout', () => req.destroy(new Error('timed out')));
          req.on('error', reject);
          req.end();
        });
      },
      150_000,
    ).catch((err) => {
      throw new Error(`${err.message}\n--- caddy ---\n${server.output.slice(-6000)}\n--- pebble ---\n${acme.server.output.slice(-3000)}\n--- named ---\n${dns.server.output.slice(-3000)}`);
    });
    expect(served.body).toBe('hello from the app\n');
    expect(served.cert.subjectaltname).toBe(`DNS:${domain}`);
    expect(served.cert.issuer.CN).toMatch(/^Pebble Intermediate CA /);
    // Issued through the DNS challenge: BIND took the signed TXT record, and Caddy removed it afterwards.
    expect(dns.server.output).toMatch(new RegExp(`signer "${KEY_NAME}" approved`));
    expect(dns.server.output).toMatch(/adding an RR at '_acme-challenge\.app\.atelier\.test' TXT/);
    expect(server.output).toMatch(/"challenge_type":"dns-01"/);
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${dns.port}`]);
    await waitFor('Caddy to remove the challenge record', async () => {
      try {
        await resolver.resolveTxt(`_acme-challenge.${domain}`);
        return undefined;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOTFOUND' || (err as NodeJS.ErrnoException).code === 'ENODATA' ? true : undefined;
      }
    }, 30_000);
    console.log(`issued: subject alt names ${served.cert.subjectaltname}; issuer ${served.cert.issuer.CN}; valid ${served.cert.valid_from} – ${served.cert.valid_to}`);
  }, 200_000);

  it('without acmeCARoot Caddy does not trust the private CA\'s endpoint, and says so', async () => {
    const { caddy: server } = await startCaddy('caddy-noroot', `noroot.${ZONE}`, secret, null);
    const line = await waitFor('Caddy to report the untrusted CA', () => {
      if (!server.alive) throw new Error(`caddy exited:\n${server.output}`);
      return server.output.split('\n').find((l) => /certificate signed by unknown authority/.test(l));
    }, 120_000);
    expect(line).toContain(acme.directory);
  }, 150_000);

  it('a wrong TSIG key fails with Caddy\'s own error naming the refused update', async () => {
    const { caddy: server } = await startCaddy('caddy-badkey', `bad.${ZONE}`, randomBytes(32).toString('base64'));
    const line = await waitFor('Caddy to report the refused update', () => {
      if (!server.alive) throw new Error(`caddy exited:\n${server.output}`);
      return server.output.split('\n').find((l) => /adding temporary record/.test(l));
    }, 120_000);
    expect(line).toMatch(/adding temporary record for zone \\?"atelier\.test\.\\?"/);
    expect(line).toMatch(/dns: bad authentication/);
    expect(dns.server.output).toMatch(/tsig verify failure \(BADSIG\)/);
    console.log(`wrong key: ${JSON.parse(line).error ?? line}`);
  }, 150_000);
});
