// The checkers of declaration values, each at its boundaries: a value just
// inside is accepted, one just outside is refused with the exact message the
// user reads. Where a checker stands for a program's own parser (systemd's
// time spans and calendar events, restic's --read-data-subset), the values were
// tried with that program (systemd-analyze 252, restic 0.14 of Debian 12).
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';
import { RESERVED_PREFIXES, reservedName } from '../src/declarations/reserved.js';
import type { StringFormat } from '../src/declarations/schema.js';
import { formatProblem } from '../src/declarations/value-formats.js';

type Row = readonly [value: string, problem: string | null];

/** One test per row: `formatProblem(format, value)` is exactly `problem` (null: accepted). */
function table(format: StringFormat, rows: readonly Row[]): void {
  it.each(rows.map(([value, problem]) => [problem === null ? 'accepts' : 'refuses', value, problem] as const))(`${format}: %s %j`, (_verb, value, problem) => {
    expect(formatProblem(format, value)).toBe(problem);
  });
}

describe('any string', () => {
  it('refuses a NUL character even without a format', () => {
    expect(formatProblem(undefined, 'a\u0000b')).toBe('must not contain a NUL character');
    expect(formatProblem(undefined, 'a\nb')).toBeNull();
  });
  table('single-line', [
    ['a\tb', null],
    ['a\nb', 'must be a single line without control characters'],
    ['a\u007fb', 'must be a single line without control characters'],
    ['a\u001fb', 'must be a single line without control characters'],
  ]);
});

describe('names', () => {
  const GROUP = 'must match ^[a-z][a-z0-9-]{0,30}$ (a Linux group name)';
  const GROUP_TAKEN = 'is a group the system or its packages already use (it may grant access to devices, keys or root)';
  table('group-name', [
    ['services', null],
    ['a', null],
    [`a${'b'.repeat(30)}`, null],
    [`a${'b'.repeat(31)}`, GROUP],
    ['web-apps2', null],
    ['Apps', GROUP],
    ['1apps', GROUP],
    ['!apps', GROUP],
    ['apps!', GROUP],
    ['apps_x', GROUP],
    ['sudo', GROUP_TAKEN],
    ['docker', GROUP_TAKEN],
    ['systemd-apps', GROUP_TAKEN],
    ['atelier-apps', GROUP_TAKEN],
    ['debian-apps', GROUP_TAKEN],
    ['apps-systemd-', null],
  ]);

  const USER = 'must match ^[a-z][a-z0-9-]{0,30}$ (a Linux user name and unit name)';
  table('user-name', [
    ['app', null],
    [`a${'b'.repeat(30)}`, null],
    [`a${'b'.repeat(31)}`, USER],
    ['app!', USER],
    ['!app', USER],
    ['App', USER],
  ]);

  const MODULE = 'must be a Caddy module name such as cloudflare or route53';
  table('module-name', [
    ['cloudflare', null],
    ['route53', null],
    ['2fa_dns', null],
    ['Cloudflare', MODULE],
    ['-cloudflare', MODULE],
    ['cloudflare-', MODULE],
    ['', MODULE],
  ]);

  const SETTING = 'must be a setting name such as api_token (lowercase letters, digits and _)';
  table('setting-name', [
    ['api_token', null],
    ['a', null],
    ['api_token-', SETTING],
    ['-api_token', SETTING],
    ['1token', SETTING],
    ['_token', SETTING],
  ]);

  const ENV = 'must be a name of letters, digits and underscores, not starting with a digit';
  table('env-name', [
    ['CLOUDFLARE_API_TOKEN', null],
    ['_x', null],
    ['1X', ENV],
    ['X-Y', ENV],
    ['X ', ENV],
  ]);
});

describe('reserved names', () => {
  it.each(['systemd-x', 'atelier-x', 'debian-x', '_x'])('refuses %s for its prefix', (name) => {
    expect(reservedName(name)).toBe(true);
  });
  it.each(['x-systemd-', 'x_', 'xdebian-', 'app', 'systemdx'])('accepts %s (a reserved prefix elsewhere, or none)', (name) => {
    expect(reservedName(name)).toBe(false);
  });
  it('refuses every listed prefix and the listed names', () => {
    for (const p of RESERVED_PREFIXES) expect(reservedName(`${p}app`)).toBe(true);
    expect(['root', 'www-data', 'caddy', 'restic', 'multi-user'].filter((n) => !reservedName(n))).toEqual([]);
  });
});

describe('DNS names', () => {
  const DOMAIN = 'must be a DNS name such as app.example.com (letters, digits, hyphens; an optional leading `*.`)';
  const label63 = 'a'.repeat(63);
  const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
  const name254 = `${label63}.${label63}.${label63}.${'b'.repeat(62)}`;
  it('the test names are 253 and 254 characters long', () => {
    expect([name253.length, name254.length]).toEqual([253, 254]);
  });
  table('domain', [
    ['app.example.com', null],
    ['*.example.com', null],
    ['localhost', null],
    ['a-b.example.com', null],
    [`${label63}.example.com`, null],
    [`${label63}a.example.com`, DOMAIN],
    [name253, null],
    [name254, DOMAIN],
    [`*.${name253}`, null],
    ['', DOMAIN],
    ['*.', DOMAIN],
    ['example.com*.', DOMAIN],
    ['-app.example.com', DOMAIN],
    ['app-.example.com', DOMAIN],
    ['app.-example.com', DOMAIN],
    ['app..example.com', DOMAIN],
    ['app_1.example.com', DOMAIN],
    ['*.*.example.com', DOMAIN],
  ]);
});

describe('durations and systemd time spans', () => {
  const DURATION = 'must be a duration such as 30s, 1m or 1h';
  table('duration', [
    ['30s', null],
    ['1m', null],
    ['1h30m', null],
    ['1.25s', null],
    ['1.5h', null],
    ['100ns', null],
    ['5us', null],
    ['5µs', null],
    ['10ms', null],
    ['2d', null],
    ['30', DURATION],
    ['x30s', DURATION],
    ['30sx', DURATION],
    ['1.s', DURATION],
    ['1.xs', DURATION],
    ['30 s', DURATION],
    ['', DURATION],
  ]);

  // Each accepted span is accepted by `systemd-analyze timespan`, each refused one refused
  // by it too, except where this is stricter (`.5s`, `1y`, `1ns`: systemd reads them).
  const SPAN = 'must be a systemd time span such as 30s, 2h or 1h 30min';
  table('timespan', [
    ['2h', null],
    ['1h 30min', null],
    ['1h30min', null],
    [' 2h', null],
    ['2h ', null],
    ['2 h', null],
    ['1.5h', null],
    ['1.25s', null],
    ['1.5', null],
    ['12', null],
    ['1 2', null],
    ['1s1', null],
    ['1 second', null],
    ['2 seconds', null],
    ['1sec', null],
    ['1 minute', null],
    ['2minutes', null],
    ['1 hour', null],
    ['2 hours', null],
    ['5hr', null],
    ['1 day', null],
    ['3 days', null],
    ['1 week', null],
    ['3 weeks', null],
    ['1w', null],
    ['10usec', null],
    ['10msec', null],
    ['2µs', null],
    ['', SPAN],
    [' ', SPAN],
    ['h', SPAN],
    ['2x', SPAN],
    ['x 2h', SPAN],
    ['2h x', SPAN],
    ['2h!', SPAN],
    ['1.', SPAN],
    ['1,5s', SPAN],
    ['1e3', SPAN],
    ['1.51.5', SPAN],
    ['0.25.12', SPAN],
  ]);

  it('refuses a long run of digits at once (the check does not backtrack exponentially)', () => {
    // 30 characters took minutes with a pattern whose repetitions could split a digit run.
    expect(formatProblem('timespan', `${'1'.repeat(40)}x`)).toBe(SPAN);
    expect(formatProblem('timespan', `${'1 '.repeat(40)}x`)).toBe(SPAN);
    expect(formatProblem('timespan', `${'1'.repeat(40)}s`)).toBeNull();
  });
});

describe('systemd calendar events', () => {
  // test/calendar.test.ts holds the reading to `systemd-analyze calendar`; these are the message's cases.
  const CALENDAR = 'must be a systemd calendar expression such as 02:00 or Sun *-*-* 05:00:00 (see systemd.time(7); `systemd-analyze calendar` checks one)';
  table('calendar', [
    ['02:00', null],
    ['Sun *-*-* 05:00:00', null],
    ['Mon..Fri 02:00', null],
    ['*:0/15', null],
    ['*-02~03', null],
    ['Sat,Sun 02:00 Etc/GMT+1', null],
    ['Sun 05:00 America/New_York', null],
    ['weekly', null],
    ['', CALENDAR],
    ['!02:00', CALENDAR],
    ['02:00!', CALENDAR],
    ['02:00;reboot', CALENDAR],
    ['"02:00"', CALENDAR],
    ['banana', CALENDAR],
    ['25:00', CALENDAR],
  ]);
});

describe('CIDR ranges', () => {
  const CIDR = 'must be a CIDR range such as 173.245.48.0/20 or 2400:cb00::/32';
  table('cidr', [
    ['173.245.48.0/20', null],
    ['2400:cb00::/32', null],
    ['0.0.0.0/0', null],
    ['10.0.0.1/32', null],
    ['::/128', null],
    ['10.0.0.0/33', CIDR],
    ['::/129', CIDR],
    ['10.0.0.0', CIDR],
    ['10.0.0.0/', CIDR],
    ['10.0.0.0/8/8', CIDR],
    ['10.0.0.0/ 8', CIDR],
    ['10.0.0.0/8 ', CIDR],
    ['10.0.0.0/0x10', CIDR],
    ['10.0.0.0/1234', CIDR],
    ['example.com/8', CIDR],
    ['10.0.0/8', CIDR],
  ]);
});

describe('DNS resolvers', () => {
  const RESOLVER = 'must be an IP address with an optional port, such as 1.1.1.1, 127.0.0.1:5353 or [2606:4700::1111]:53';
  table('dns-resolver', [
    ['1.1.1.1', null],
    ['2606:4700::1111', null],
    ['127.0.0.1:5353', null],
    ['[2606:4700::1111]:53', null],
    ['1.1.1.1:1', null],
    ['1.1.1.1:65535', null],
    ['1.1.1.1:0', RESOLVER],
    ['1.1.1.1:65536', RESOLVER],
    ['1.1.1.1:123456', RESOLVER],
    ['1.1.1.1:53x', RESOLVER],
    ['a:1.1.1.1:53', RESOLVER],
    ['[1.1.1.1]:53', RESOLVER],
    ['[2606:4700::1111]', RESOLVER],
    ['example.com:53', RESOLVER],
    ['example.com', RESOLVER],
    ['1.1.1.1:', RESOLVER],
  ]);
});

describe('restic --read-data-subset', () => {
  // As restic 0.14 (Debian 12) reads it: `500` alone and `1/257` are refused by restic check.
  const SUBSET = 'must be a restic --read-data-subset: n/t (1/5), a percentage (5%) or a size (500M)';
  table('restic-subset', [
    ['1/5', null],
    ['5/5', null],
    ['1/10', null],
    ['10/20', null],
    ['01/5', null],
    ['1/256', null],
    ['1/257', SUBSET],
    ['0/5', SUBSET],
    ['6/5', SUBSET],
    ['x1/5', SUBSET],
    ['1/5x', SUBSET],
    ['5%', null],
    ['2.55%', null],
    ['100%', null],
    ['0.5%', null],
    ['0%', SUBSET],
    ['100.5%', SUBSET],
    ['x5%', SUBSET],
    ['5%x', SUBSET],
    ['5 %', SUBSET],
    ['500M', null],
    ['1G', null],
    ['2T', null],
    ['500K', null],
    ['500', SUBSET],
    ['0M', SUBSET],
    ['1P', SUBSET],
    ['500MB', SUBSET],
    ['x5M', SUBSET],
  ]);
});

describe('URLs', () => {
  table('acme-ca', [
    ['production', null],
    ['staging', null],
    ['https://acme.example.com/directory', null],
    ['http://acme.example.com/directory', 'must be an https:// URL (ACME runs over HTTPS only)'],
    ['acme.example.com', 'must be production, staging, or the https:// directory URL of an ACME CA'],
    ['https://acme.example.com/a b', 'must be a URL without spaces, quotes, braces or backslashes'],
    ['https://acme.example.com/{dir}', 'must be a URL without spaces, quotes, braces or backslashes'],
    ["https://acme.example.com/it's", 'must be a URL without spaces, quotes, braces or backslashes'],
  ]);
  table('http-url', [
    ['https://hc-ping.com/key', null],
    ['ftp://x/y', 'must be an http:// or https:// URL'],
    ['hc-ping.com/key', 'must be an http:// or https:// URL'],
    ['https://x/$HOME', 'must be a URL without spaces, quotes, braces, backslashes, `%` or `$`'],
  ]);
});

describe('paths', () => {
  const ABSOLUTE = 'must be an absolute path (starting with /)';
  const SPACE = 'must not begin or end with white space or end with a backslash';
  const DOTS = 'must not contain `.` or `..` segments';
  const NORMAL = 'must be a normalized path (no trailing or doubled /)';
  const PATH_MAX = "must be at most 4095 bytes long (Linux's PATH_MAX)";
  const NAME_MAX = "must not have a component over 255 bytes (Linux's NAME_MAX)";
  table('absolute-path', [
    ['/etc/app.env', null],
    ['/', null],
    ['/a/.hidden', null],
    ['/a/..b', null],
    ['/a/b..', null],
    ['etc/app.env', ABSOLUTE],
    ['', ABSOLUTE],
    ['/a ', SPACE],
    ['/a\t', SPACE],
    ['/a\\', SPACE],
    ['/a\\b', null],
    ['/a/../b', DOTS],
    ['/a/./b', DOTS],
    ['/..', DOTS],
    ['/a/.', DOTS],
    ['/a/', NORMAL],
    ['/a//b', NORMAL],
    ['//', NORMAL],
  ]);

  it('takes a path up to PATH_MAX bytes and a component up to NAME_MAX bytes', () => {
    const component = 'c'.repeat(255);
    // 15 components of 1 + 255 bytes, then one that brings the whole to exactly 4095 bytes.
    const base = `/${component}`.repeat(15);
    const atMax = `${base}/${'d'.repeat(4095 - base.length - 1)}`;
    expect(Buffer.byteLength(atMax)).toBe(4095);
    expect(formatProblem('absolute-path', atMax)).toBeNull();
    expect(formatProblem('absolute-path', `${atMax}e`)).toBe(PATH_MAX);
    expect(formatProblem('absolute-path', `/srv/${component}`)).toBeNull();
    expect(formatProblem('absolute-path', `/srv/${component}x`)).toBe(NAME_MAX);
    // Bytes, not characters: 128 two-byte letters are 256 bytes.
    expect(formatProblem('absolute-path', `/srv/${'é'.repeat(127)}`)).toBeNull();
    expect(formatProblem('absolute-path', `/srv/${'é'.repeat(128)}`)).toBe(NAME_MAX);
  });

  table('data-dir', [
    ['/var/lib/app', null],
    ['/srv/app', null],
    ['/srv/apt', null],
    ['/srv/systemd-x', null],
    ['/var/lib/app/data', null],
    ['/var/lib/apt', 'must not be inside /var/lib/apt, the state of a system package'],
    ['/var/lib/apt/app', 'must not be inside /var/lib/apt, the state of a system package'],
    ['/var/lib/systemd-x', 'must not be inside /var/lib/systemd-x, the state of a system package'],
    ['/var/lib/sudo', 'must not be inside /var/lib/sudo, the state of a system package'],
    ['/var/lib', 'must be a folder of its own under /var/lib or /srv (such as /var/lib/<name>): tmpfiles hands the folder to the service user'],
    ['/var/library/app', 'must be a folder of its own under /var/lib or /srv (such as /var/lib/<name>): tmpfiles hands the folder to the service user'],
    ['/var/lib/a:b', 'must not contain `:` (it is the home in /etc/passwd, whose fields `:` separates)'],
    ['/var/lib/app/', NORMAL],
  ]);

  table('login-shell', [
    ['/bin/bash', null],
    ['/bin/ba:sh', 'must not contain `:` (it separates /etc/passwd fields)'],
    ['bash', ABSOLUTE],
  ]);

  table('root-config-path', [
    ['/etc', null],
    ['/etc/atelier', null],
    ['/homework/atelier', null],
    ['/srvx', null],
    ['/home', 'must not be under /home, where service users or other accounts can write: root reads it'],
    ['/home/admin/atelier', 'must not be under /home, where service users or other accounts can write: root reads it'],
    ['/run/user/1000/x', 'must not be under /run/user, where service users or other accounts can write: root reads it'],
    ['/var/lib', 'must not be under /var/lib, where service users or other accounts can write: root reads it'],
    ['/srv', 'must not be under /srv, where service users or other accounts can write: root reads it'],
    ['/etc/', NORMAL],
  ]);

  const PLAIN = 'must be a plain path of letters, digits, `.`, `_`, `+`, `-` and `/` (sudoers reads `*`, `?`, `[`, `\\`, quotes and white space specially)';
  table('sudoers-command', [
    ['/usr/bin/systemctl', null],
    ['/bin/systemctl', null],
    ['/usr/bin*/systemctl', PLAIN],
    ['/usr/bin/systemctl*', PLAIN],
    ['/usr/bin/sys temctl', PLAIN],
    ['/usr/bin/systemd-run', 'must be the path of systemctl (the deploy rule runs it as root)'],
    ['/home/admin/systemctl', 'must not be under /home, where service users or other accounts can write: root reads it'],
    ['usr/bin/systemctl', ABSOLUTE],
  ]);
});

describe('programs (the first word of an Exec line)', () => {
  const NAME = 'must be a command name (letters, digits, `.`, `_`, `+`, `-`) or an absolute path';
  const prefix = (c: string) => `must not start with \`${c}\` (systemd reads it as a command prefix: \`+\` and \`!\` run the command as root)`;
  table('program', [
    ['node', null],
    ['python3.11', null],
    ['g++', null],
    ['_tool', null],
    ['.tool', null],
    ['my-tool', null],
    ['/usr/bin/node', null],
    ['', 'must not be empty'],
    ['-node', prefix('-')],
    ['+node', prefix('+')],
    ['!node', prefix('!')],
    ['@node', prefix('@')],
    [':node', prefix(':')],
    ['|node', prefix('|')],
    ['#node', NAME],
    ['node#', NAME],
    ['no de', NAME],
    ['node$', NAME],
    ['/usr/bin/my node', 'must not contain white space'],
    ['usr/bin/node', 'must be an absolute path (starting with /)'],
    ['/usr/bin/../node', 'must not contain `.` or `..` segments'],
  ]);
});

describe('where a refused value is reported', () => {
  function diagnostics(text: string) {
    return resolveDeclarations([{ file: 'atelier.yaml', text }]).diagnostics.map((d) => ({ at: `${d.file}:${d.line}:${d.column}`, message: d.message }));
  }

  it('a host value at its own line and column, named by its key', () => {
    expect(diagnostics('host:\n  servicesGroup: sudo\n  backup:\n    randomizedDelay: 2 parsecs\n    check:\n      readDataSubset: "500"\n')).toEqual([
      { at: 'atelier.yaml:2:18', message: '`host.servicesGroup` is a group the system or its packages already use (it may grant access to devices, keys or root)' },
      { at: 'atelier.yaml:4:22', message: '`host.backup.randomizedDelay` must be a systemd time span such as 30s, 2h or 1h 30min' },
      { at: 'atelier.yaml:6:23', message: '`host.backup.check.readDataSubset` must be a restic --read-data-subset: n/t (1/5), a percentage (5%) or a size (500M)' },
    ]);
  });

  it("a service value at its line, named by the service's key", () => {
    expect(diagnostics('services:\n  app:\n    enable: true\n    runtime: node\n    domain: -app.example.com\n    dataDir: /var/lib/apt\n')).toEqual([
      { at: 'atelier.yaml:5:13', message: '`services.app.domain` must be a DNS name such as app.example.com (letters, digits, hyphens; an optional leading `*.`)' },
      { at: 'atelier.yaml:6:14', message: '`services.app.dataDir` must not be inside /var/lib/apt, the state of a system package' },
    ]);
  });

  it('accepts a time zone with `_` in a backup schedule', () => {
    expect(diagnostics('host:\n  backup:\n    schedule: Sun 05:00 America/New_York\n')).toEqual([]);
  });
});
