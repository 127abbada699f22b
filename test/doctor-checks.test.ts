// What each of doctor's checks tells the administrator (level, check, detail, fix) on a
// host whose programs answer as the test says (an injected runner) and whose files are
// in a temporary root: systemd, Caddy and its modules, version and environment file,
// the backup tools and repository, the runtimes, the services group, the names and
// folders --apply would refuse, and the printed verdict.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { doctor, formatFindings, type Finding } from '../src/doctor.js';
import { modelOf, tempDirs } from './support/emit.js';

const temp = tempDirs();

/** Answers of a host where every program is there, by the command line asked. */
const READY: Record<string, string> = {
  'systemctl --version': 'systemd 252 (252.30-1~deb12u2)\n+PAM +AUDIT\n',
  'caddy list-modules': 'http.handlers.reverse_proxy\nhttp.handlers.rate_limit\ndns.providers.cloudflare\n\n  Standard modules: 120\n',
  'caddy version': 'v2.8.4 h1:q3pe0wpBj1OcHFZ3n/1nl4V4bxBrYoSoab7rL9BMYNk=\n',
  'restic version': 'restic 0.16.4 compiled with go1.21.6 on linux/amd64\n',
  'sqlite3 --version': '3.40.1 2022-12-28 14:03:47\n',
  'pg_dump --version': 'pg_dump (PostgreSQL) 15.5\n',
  'git --version': 'git version 2.39.2\n',
  'node --version': 'v20.11.1\n',
  'bun --version': '1.1.8\n',
  'getent group services': 'services:x:990:\n',
};

/** A runner answering READY with `answers` over it: [code, output], or a string (code 0); anything else is not found. */
const host =
  (answers: Record<string, string | [number, string]> = {}): CommandRunner =>
  async (command) => {
    const answer = { ...READY, ...answers }[command.join(' ')];
    if (answer === undefined) return { command, code: 127, output: '' };
    const [code, output] = typeof answer === 'string' ? [0, answer] : answer;
    return { command, code, output };
  };

/** A root with /etc (root's, 0755) and the given files. */
function rootWith(files: Record<string, string> = {}): string {
  const root = temp('doctor-checks');
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, 'etc'), { mode: 0o755 });
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

let nextPort = 3000;
/** A service without a site nor data, on node. */
const plain = (name: string, more = '') => `  ${name}:\n    description: ${name}\n    runtime: node\n    enable: true\n    port: ${nextPort++}\n    caddy:\n      enable: false\n${more}`;
/** A service with a site at <name>.example.com. */
const site = (name: string, caddy = '', more = '') =>
  `  ${name}:\n    description: ${name}\n    runtime: node\n    enable: true\n    port: ${nextPort++}\n    domain: ${name}.example.com\n    caddy:\n      enable: true\n${caddy}${more}`;

const modelFrom = (text: string) => modelOf([{ file: 'atelier.yaml', text }]);

async function run(text: string, answers: Record<string, string | [number, string]> = {}, files: Record<string, string> = {}, root = rootWith(files)): Promise<Finding[]> {
  return doctor({ model: modelFrom(text), run: host(answers), fs, root });
}
/** The findings of the checks whose name passes `pick`, in order. */
const only = (findings: Finding[], pick: (check: string) => boolean) => findings.filter((f) => pick(f.check));
const named = (findings: Finding[], ...checks: string[]) => only(findings, (c) => checks.includes(c));

const NO_SITES = `services:\n${plain('api')}`;

describe('doctor: distribution', () => {
  it('names the distribution by PRETTY_NAME, else by ID, else "unknown"', async () => {
    const of = async (osRelease: string) => named(await run(NO_SITES, {}, { 'etc/os-release': osRelease }), 'distribution');
    expect(await of('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')).toEqual([{ level: 'ok', check: 'distribution', detail: 'Debian GNU/Linux 12 (bookworm)' }]);
    expect(await of('ID=debian\nVERSION_ID="12"\n')).toEqual([{ level: 'ok', check: 'distribution', detail: 'debian' }]);
    expect(await of('VERSION_ID="12"\n')).toEqual([{ level: 'ok', check: 'distribution', detail: 'unknown' }]);
  });
});

describe('doctor: systemd', () => {
  const systemd = async (answer: string | [number, string]) => named(await run(NO_SITES, { 'systemctl --version': answer }), 'systemd');
  const notFound = { level: 'fail', check: 'systemd', detail: 'systemctl not found', fix: 'atelier-emit targets systemd hosts; install systemd (>= 247)' };

  it('accepts systemd 247, the first with ProtectProc= and ProcSubset=', async () => {
    expect(await systemd('systemd 247 (247.3-7)\n')).toEqual([{ level: 'ok', check: 'systemd', detail: 'systemd 247' }]);
  });

  it('refuses systemd 246, saying which directives need 247', async () => {
    expect(await systemd('systemd 246 (246.6-1)\n')).toEqual([
      { level: 'fail', check: 'systemd', detail: 'systemd 246', fix: 'the units use directives from systemd 247 (ProtectProc=, ProcSubset=); upgrade systemd' },
    ]);
  });

  it('a systemctl that fails, or that prints no version, is no systemd', async () => {
    expect(await systemd([1, 'systemd 252 (252.30-1~deb12u2)\n'])).toEqual([notFound]);
    expect(await systemd('System has not been booted with systemd as init system (PID 1).\n')).toEqual([notFound]);
  });
});

describe('doctor: Caddy', () => {
  const SEED = (caddy = '') => `host:\n  caddy:\n    tls: internal\n${caddy}services:\n${site('web')}`;

  it('with no site, Caddy is not asked about', async () => {
    const findings = await run(NO_SITES, { 'caddy list-modules': [127, ''] });
    expect(only(findings, (c) => c.startsWith('caddy') || c === 'main Caddyfile')).toEqual([]);
  });

  it('a missing caddy is one failure saying how to install it, and nothing else about Caddy', async () => {
    const findings = await run(SEED(), { 'caddy list-modules': [127, ''] }, { 'etc/caddy/Caddyfile': 'import /etc/caddy/atelier.caddy\n' });
    expect(only(findings, (c) => c.startsWith('caddy') || c === 'main Caddyfile')).toEqual([
      { level: 'fail', check: 'caddy', detail: 'caddy not found', fix: 'install Caddy (Debian: apt install caddy; for DNS challenge and rate limits a custom build, see the README)' },
    ]);
  });

  it('names the version Caddy prints (first word), or "present" when it prints none', async () => {
    const caddy = async (version: string) => named(await run(SEED(), { 'caddy version': version }), 'caddy');
    expect(await caddy('  v2.7.6 h1:abc=\n')).toEqual([{ level: 'ok', check: 'caddy', detail: 'caddy v2.7.6' }]);
    expect(await caddy('\n')).toEqual([{ level: 'ok', check: 'caddy', detail: 'caddy present' }]);
  });

  it('every finding of a ready host with a plain site, in order', async () => {
    const findings = await run(SEED(), {}, { 'etc/caddy/Caddyfile': 'import /etc/caddy/atelier.caddy\n', 'var/log/caddy/.keep': '' });
    expect(only(findings, (c) => c.startsWith('caddy') || c === 'main Caddyfile')).toEqual([
      { level: 'ok', check: 'caddy', detail: 'caddy v2.8.4' },
      { level: 'ok', check: 'caddy access logs', detail: '/var/log/caddy exists' },
      { level: 'ok', check: 'main Caddyfile', detail: 'imports atelier.caddy' },
    ]);
  });

  describe('version: trusted proxies and {client_ip} need Caddy 2.7', () => {
    const TOO_OLD = (v: string) => ({
      level: 'fail',
      check: 'caddy version',
      detail: `caddy ${v} has no servers/trusted_proxies option and no {client_ip} placeholder (both from Caddy 2.7)`,
      fix: 'install Caddy 2.7 or newer, or drop host.caddy.trustedProxies and key rate limits by {remote_host}',
    });
    const PROXIES = '    trustedProxies: [173.245.48.0/20]\n';
    const versionFinding = async (text: string, version: string) => named(await run(text, { 'caddy version': version }), 'caddy version');

    it('trusted proxies on Caddy 2.6 (printed with or without a "v"), 1.x, or a version it cannot read', async () => {
      expect(await versionFinding(SEED(PROXIES), 'v2.6.2 h1:abc=\n')).toEqual([TOO_OLD('2.6')]);
      expect(await versionFinding(SEED(PROXIES), '2.6.2\n')).toEqual([TOO_OLD('2.6')]);
      expect(await versionFinding(SEED(PROXIES), 'v1.0.4\n')).toEqual([TOO_OLD('1.0')]);
      expect(await versionFinding(SEED(PROXIES), '(devel)\n')).toEqual([TOO_OLD('0.0')]);
    });

    it('trusted proxies are fine from 2.7 on, with any major version beyond 2', async () => {
      expect(await versionFinding(SEED(PROXIES), 'v2.7.0\n')).toEqual([]);
      expect(await versionFinding(SEED(PROXIES), 'v3.1.0\n')).toEqual([]);
      expect(await versionFinding(SEED(PROXIES), 'v10.1.0\n')).toEqual([]);
    });

    it('Caddy 2.6 without trusted proxies nor rate limits is fine', async () => {
      expect(await versionFinding(SEED(), 'v2.6.2\n')).toEqual([]);
    });

    it('a rate limit keyed by {client_ip} on 2.6 needs 2.7; one keyed by {remote_host} does not', async () => {
      const limited = (key: string) => `host:\n  caddy:\n    tls: internal\nservices:\n${site('web', `      rateLimit:\n        enable: true\n        key: "${key}"\n`)}`;
      expect(await versionFinding(limited('{client_ip}'), 'v2.6.2\n')).toEqual([TOO_OLD('2.6')]);
      expect(await versionFinding(limited('{remote_host}'), 'v2.6.2\n')).toEqual([]);
    });

    it('a site without a rate limit does not count: its default {client_ip} key is never written (regression)', async () => {
      const text = `host:\n  caddy:\n    tls: internal\nservices:\n${site('api')}${site('web', '      rateLimit:\n        enable: true\n        key: "{remote_host}"\n')}`;
      expect(await versionFinding(text, 'v2.6.2\n')).toEqual([]);
      const both = `host:\n  caddy:\n    tls: internal\nservices:\n${site('api', '      rateLimit:\n        enable: true\n')}${site('web', '      rateLimit:\n        enable: true\n        key: "{remote_host}"\n')}`;
      expect(await versionFinding(both, 'v2.6.2\n')).toEqual([TOO_OLD('2.6')]);
    });
  });

  describe('rate limits', () => {
    const ORDER = (v: string) => ({
      level: 'ok',
      check: 'rate_limit order',
      detail: `caddy ${v} < 2.8: the sites place rate_limit inside a route block, so no global \`order rate_limit before basicauth\` is needed`,
    });
    const LIMITED = `host:\n  caddy:\n    tls: internal\nservices:\n${site('web', '      rateLimit:\n        enable: true\n        key: "{remote_host}"\n')}`;
    const ROUTES_ONLY = `host:\n  caddy:\n    tls: internal\nservices:\n${site('web', '      rateLimit:\n        key: "{remote_host}"\n        routes:\n          - { path: /auth/*, events: 10, window: 1m }\n')}`;
    const order = async (text: string, version: string) => named(await run(text, { 'caddy version': version }), 'rate_limit order');

    it('before 2.8 says why no global order is needed; from 2.8 (or 3) says nothing', async () => {
      expect(await order(LIMITED, 'v2.7.6\n')).toEqual([ORDER('2.7')]);
      expect(await order(LIMITED, 'v1.9.0\n')).toEqual([ORDER('1.9')]);
      expect(await order(LIMITED, 'v2.8.0\n')).toEqual([]);
      expect(await order(LIMITED, 'v3.0.0\n')).toEqual([]);
    });

    it('per-route limits alone are rate limits; a site with neither is not', async () => {
      expect(await order(ROUTES_ONLY, 'v2.7.6\n')).toEqual([ORDER('2.7')]);
      expect(await order(SEED(), 'v2.7.6\n')).toEqual([]);
    });

    it('the rate_limit module: present, or missing with the plugin to build Caddy with', async () => {
      const module = async (text: string, modules: string) => named(await run(text, { 'caddy list-modules': modules }), 'caddy module http.handlers.rate_limit');
      expect(await module(ROUTES_ONLY, '  http.handlers.rate_limit  \nhttp.handlers.reverse_proxy\n')).toEqual([{ level: 'ok', check: 'caddy module http.handlers.rate_limit', detail: 'present' }]);
      expect(await module(ROUTES_ONLY, 'http.handlers.reverse_proxy\n')).toEqual([
        {
          level: 'fail',
          check: 'caddy module http.handlers.rate_limit',
          detail: 'missing (a service has caddy.rateLimit)',
          fix: 'build Caddy with it: xcaddy build --with github.com/mholt/caddy-ratelimit',
        },
      ]);
      expect(await module(SEED(), 'http.handlers.reverse_proxy\n')).toEqual([]);
    });
  });

  describe('DNS challenge', () => {
    const DNS = (caddy: string) => `host:\n  caddy:\n${caddy}services:\n${site('web')}`;

    it('the provider\'s module: missing, with why and the module to build Caddy with', async () => {
      const findings = await run(DNS('    environmentFile: /etc/caddy/dns.env\n'), { 'caddy list-modules': 'http.handlers.rate_limit\n' });
      expect(only(findings, (c) => c.startsWith('caddy module'))).toEqual([
        {
          level: 'fail',
          check: 'caddy module dns.providers.cloudflare',
          detail: 'missing (host.caddy.tls is "dns" with provider cloudflare)',
          fix: 'build Caddy with it: xcaddy build --with github.com/caddy-dns/cloudflare',
        },
      ]);
    });

    it('with tls internal no module and no environment is needed', async () => {
      const findings = await run(SEED(), { 'caddy list-modules': '' });
      expect(only(findings, (c) => c.startsWith('caddy module') || c === 'caddy environment')).toEqual([]);
    });

    const ROUTE53 = '    dnsProvider: route53\n    dnsSettings:\n      region: eu-west-1\n      secret_access_key: { env: AWS_SECRET_ACCESS_KEY }\n      access_key_id: { env: AWS_ACCESS_KEY_ID }\n';
    const environment = async (caddy: string, files: Record<string, string> = {}) => named(await run(DNS(caddy), {}, files), 'caddy environment');

    it('no environment file set: a warning naming every variable Caddy reads', async () => {
      expect(await environment(ROUTE53)).toEqual([
        {
          level: 'warn',
          check: 'caddy environment',
          detail: 'Caddy reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY from its environment, and host.caddy.environmentFile is not set',
          fix: 'set host.caddy.environmentFile to a file (mode 0600) of NAME=value lines, or give caddy.service the variables another way',
        },
      ]);
    });

    const FILE = `${ROUTE53}    environmentFile: /etc/caddy/aws.env\n`;

    it('the environment file missing: a failure listing the lines to write', async () => {
      expect(await environment(FILE)).toEqual([
        { level: 'fail', check: 'caddy environment', detail: 'no /etc/caddy/aws.env', fix: 'create it (mode 0600) with the lines AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=…' },
      ]);
    });

    it('the environment file without the variables: a failure naming each missing one', async () => {
      expect(await environment(FILE, { 'etc/caddy/aws.env': '# AWS_ACCESS_KEY_ID=old\nAWS_SECRET_ACCESS_KEY=\nREGION=x\n' })).toEqual([
        {
          level: 'fail',
          check: 'caddy environment',
          detail: '/etc/caddy/aws.env does not set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
          fix: 'add AWS_ACCESS_KEY_ID=…, AWS_SECRET_ACCESS_KEY=… to /etc/caddy/aws.env, then restart caddy.service',
        },
      ]);
    });

    it('reads the file as systemd does: `export`, spaces around `=`, indentation', async () => {
      const sets = { level: 'ok', check: 'caddy environment', detail: '/etc/caddy/aws.env sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY' };
      expect(await environment(FILE, { 'etc/caddy/aws.env': 'export  AWS_ACCESS_KEY_ID=AKIA\n  AWS_SECRET_ACCESS_KEY = s3cret\n' })).toEqual([sets]);
      expect(await environment(FILE, { 'etc/caddy/aws.env': 'export AWS_ACCESS_KEY_ID=AKIA\nAWS_SECRET_ACCESS_KEY= s3cret\n' })).toEqual([sets]);
    });
  });

  describe('files Caddy needs', () => {
    it('the access log folder: missing, with what makes it', async () => {
      expect(named(await run(SEED()), 'caddy access logs')).toEqual([
        {
          level: 'fail',
          check: 'caddy access logs',
          detail: 'no /var/log/caddy (sites with caddy.accessLog write there; Caddy will not start without it)',
          fix: "install Debian's caddy package (it creates the folder), or add LogsDirectory=caddy to caddy.service in a drop-in, or set caddy.accessLog: false",
        },
      ]);
    });

    it('one site with an access log is enough to need the folder', async () => {
      const text = `host:\n  caddy:\n    tls: internal\nservices:\n${site('api', '      accessLog: false\n')}${site('web')}`;
      expect(named(await run(text), 'caddy access logs').map((f) => f.level)).toEqual(['fail']);
    });

    it('the main Caddyfile: missing, or without the import line (an indented one counts)', async () => {
      const main = async (files: Record<string, string>) => named(await run(SEED(), {}, files), 'main Caddyfile');
      expect(await main({})).toEqual([{ level: 'fail', check: 'main Caddyfile', detail: 'no /etc/caddy/Caddyfile', fix: 'create it with the line: import /etc/caddy/atelier.caddy' }]);
      expect(await main({ 'etc/caddy/Caddyfile': ':80 {\n\trespond ok\n}\n' })).toEqual([
        { level: 'fail', check: 'main Caddyfile', detail: '/etc/caddy/Caddyfile does not import the sites', fix: 'add the line: import /etc/caddy/atelier.caddy' },
      ]);
      expect(await main({ 'etc/caddy/Caddyfile': '{\n}\n  import /etc/caddy/atelier.caddy\n' })).toEqual([{ level: 'ok', check: 'main Caddyfile', detail: 'imports atelier.caddy' }]);
    });
  });
});

describe('doctor: backups', () => {
  const SQLITE = (name: string) => plain(name, '    data:\n      sqlite: ${dataDir}/app.db\n');
  const POSTGRES = (name: string) => plain(name, `    data:\n      postgres: ${name}\n`);
  const FILES = (name: string) => plain(name, '    data:\n      files:\n        - ${dataDir}/uploads\n');
  const TOOLS = (c: string) => ['restic', 'sqlite3', 'pg_dump'].includes(c);
  const tools = async (text: string, answers: Record<string, string | [number, string]> = {}) => only(await run(text, answers), TOOLS);

  it('restic only, when no service has a database', async () => {
    expect(await tools(`services:\n${FILES('api')}${plain('web')}`)).toEqual([{ level: 'ok', check: 'restic', detail: 'restic 0.16.4 compiled with go1.21.6 on linux/amd64' }]);
  });

  it('sqlite3 and pg_dump when some service has each, named by the first line of their version', async () => {
    expect(await tools(`services:\n${SQLITE('api')}${POSTGRES('ledger')}${plain('web')}`, { 'sqlite3 --version': '\n3.40.1 2022-12-28\nzlib 1.2\n' })).toEqual([
      { level: 'ok', check: 'restic', detail: 'restic 0.16.4 compiled with go1.21.6 on linux/amd64' },
      { level: 'ok', check: 'sqlite3', detail: '3.40.1 2022-12-28' },
      { level: 'ok', check: 'pg_dump', detail: 'pg_dump (PostgreSQL) 15.5' },
    ]);
  });

  it('each tool missing is a failure with the package to install', async () => {
    const missing = { 'restic version': [127, ''], 'sqlite3 --version': [127, 'sqlite3: not found'], 'pg_dump --version': [1, ''] } as Record<string, [number, string]>;
    expect(await tools(`services:\n${POSTGRES('ledger')}${SQLITE('web')}`, missing)).toEqual([
      { level: 'fail', check: 'restic', detail: 'not found (backups need it)', fix: 'apt install restic' },
      { level: 'fail', check: 'sqlite3', detail: 'not found (backups need it)', fix: 'apt install sqlite3' },
      { level: 'fail', check: 'pg_dump', detail: 'not found (backups need it)', fix: 'apt install postgresql-client' },
    ]);
  });

  it('nothing about backups when they are off, or when no service has data', async () => {
    const backupChecks = (c: string) => TOOLS(c) || c.startsWith('restic ');
    expect(only(await run(`host:\n  backup:\n    enable: false\nservices:\n${SQLITE('api')}`), backupChecks)).toEqual([]);
    expect(only(await run(`services:\n${plain('api')}${plain('web')}`), backupChecks)).toEqual([]);
  });

  describe('the repository', () => {
    const TEXT = `services:\n${plain('api')}${FILES('web')}`;
    const repository = async (content: string | null, password = true) => {
      const files: Record<string, string> = {};
      if (content !== null) files['etc/atelier/restic/repository'] = content;
      if (password) files['etc/atelier/restic/password'] = 'secret\n';
      return only(await run(TEXT, {}, files), (c) => c.startsWith('restic '));
    };
    const ok = (detail: string) => [{ level: 'ok', check: 'restic repository', detail }];
    const outside = (local: string) => [
      {
        level: 'fail',
        check: 'restic repository',
        detail: `${local} is outside /var/backups, the only folder the backup units may write`,
        fix: `move it under /var/backups, or add a drop-in to every atelier-backup-*.service and atelier-prune.service with [Service] ReadWritePaths=${local}`,
      },
    ];

    it('a local one under /var/backups (bare or local:, spaces around ignored)', async () => {
      expect(await repository('  /var/backups/atelier-restic\n')).toEqual(ok('local, under /var/backups'));
      expect(await repository('local:/var/backups/restic\n')).toEqual(ok('local, under /var/backups'));
      // A folder whose name starts with two dots is still inside.
      expect(await repository('/var/backups/..restic\n')).toEqual(ok('local, under /var/backups'));
    });

    it('another backend is named by its scheme', async () => {
      expect(await repository('sftp:backup@example.com:/atelier\n')).toEqual(ok('sftp backend'));
    });

    it('a local one elsewhere: the units cannot write it; the fix names the path', async () => {
      expect(await repository('/srv/restic\n')).toEqual(outside('/srv/restic'));
      expect(await repository('local:/srv/restic\n')).toEqual(outside('/srv/restic'));
      expect(await repository('/var/backups/../srv\n')).toEqual(outside('/var/backups/../srv'));
      // The folder above it.
      expect(await repository('/var\n')).toEqual(outside('/var'));
    });

    it('no repository file, no password file: each a failure with what to write', async () => {
      expect(await repository(null)).toEqual([
        { level: 'fail', check: 'restic repository', detail: 'no /etc/atelier/restic/repository', fix: 'write the repository into it, e.g. /var/backups/atelier-restic or sftp:backup@host:/atelier' },
      ]);
      expect(await repository('/var/backups/r\n', false)).toEqual([
        ...ok('local, under /var/backups'),
        {
          level: 'fail',
          check: 'restic password',
          detail: 'no /etc/atelier/restic/password',
          fix: 'create it (mode 0600): (umask 077 && head -c 32 /dev/urandom | base64 > /etc/atelier/restic/password); keep a copy off this host',
        },
      ]);
    });
  });
});

describe('doctor: runtimes', () => {
  const TEXT = `host:\n  runtimes:\n    bun: /opt/bun/bin/bun\nservices:\n${plain('api')}  web:\n    description: web\n    runtime: bun\n    enable: true\n    port: ${nextPort++}\n    caddy:\n      enable: false\n`;
  const runtimes = async (answers: Record<string, string | [number, string]>) => only(await run(TEXT, answers), (c) => c.startsWith('runtime '));

  it('each runtime used, in name order, with the version it prints', async () => {
    expect(await runtimes({ '/opt/bun/bin/bun --version': '1.1.8\n' })).toEqual([
      { level: 'ok', check: 'runtime bun', detail: '/opt/bun/bin/bun 1.1.8' },
      { level: 'ok', check: 'runtime node', detail: 'node v20.11.1' },
    ]);
  });

  it('a runtime missing, or too old', async () => {
    expect(await runtimes({ '/opt/bun/bin/bun --version': [127, '1.1.8\n'], 'node --version': 'v16.20.2\n' })).toEqual([
      { level: 'fail', check: 'runtime bun', detail: '/opt/bun/bin/bun not found', fix: 'install bun, or set host.runtimes.bun to its absolute path' },
      { level: 'fail', check: 'runtime node', detail: 'node v16.20.2: 16.20 is older than 18.0', fix: 'install a newer node, or set host.runtimes.node to one' },
    ]);
  });
});

describe('doctor: the services group', () => {
  it('exists, or will be made by the first --apply', async () => {
    expect(named(await run(NO_SITES), 'services group')).toEqual([{ level: 'ok', check: 'services group', detail: 'services exists' }]);
    expect(named(await run(NO_SITES, { 'getent group services': [2, ''] }), 'services group')).toEqual([
      { level: 'warn', check: 'services group', detail: 'services does not exist yet', fix: 'it is created by systemd-sysusers on the first --apply' },
    ]);
  });
});

describe('doctor: names and folders (--apply\'s own checks)', () => {
  const TEXT = `services:\n${plain('api')}`;

  it('one ok finding when nothing is taken', async () => {
    expect(named(await run(TEXT), 'names and folders')).toEqual([
      { level: 'ok', check: 'names and folders', detail: "no service name, group or data folder is already taken; what root trusts is root's alone" },
    ]);
  });

  it('each problem a failure at its declaration, with its hint or "change the declaration"', async () => {
    const root = rootWith({ 'etc/sudoers': '%services ALL=(ALL) NOPASSWD: ALL\n' });
    fs.writeFileSync(path.join(root, 'var'), 'not a folder\n');
    expect(named(await run(TEXT, {}, {}, root), 'names and folders')).toEqual([
      { level: 'fail', check: 'names and folders', detail: 'sudoers grants rights to %services: every service user would get them (atelier.yaml:1:1)', fix: 'choose another host.servicesGroup' },
      { level: 'fail', check: 'names and folders', detail: '/var is not a folder on this host (atelier.yaml:2:3)', fix: 'change the declaration' },
    ]);
  });
});

describe('formatFindings', () => {
  it('one line each, the fix under it, and the count of problems in the singular', () => {
    const text = formatFindings([
      { level: 'ok', check: 'systemd', detail: 'systemd 252' },
      { level: 'warn', check: 'services group', detail: 'services does not exist yet', fix: 'it is created by systemd-sysusers on the first --apply' },
      { level: 'fail', check: 'restic', detail: 'not found (backups need it)', fix: 'apt install restic' },
    ]);
    expect(text).toBe(
      [
        'ok    systemd: systemd 252',
        'warn  services group: services does not exist yet',
        '      → it is created by systemd-sysusers on the first --apply',
        'FAIL  restic: not found (backups need it)',
        '      → apt install restic',
        '',
        'doctor: 1 problem to fix.',
        '',
      ].join('\n'),
    );
  });

  it('two failures are "problems"; none is "ready"', () => {
    const fail: Finding = { level: 'fail', check: 'git', detail: 'not found', fix: 'apt install git' };
    expect(formatFindings([fail, fail]).split('\n').slice(-2)).toEqual(['doctor: 2 problems to fix.', '']);
    expect(formatFindings([{ level: 'ok', check: 'git', detail: 'git version 2.39.2' }])).toBe('ok    git: git version 2.39.2\n\ndoctor: this host is ready.\n');
  });
});
