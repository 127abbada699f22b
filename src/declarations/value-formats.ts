// String formats, checked after placeholders are resolved: a path is only a
// path once `${dataDir}` has been replaced.
import { isIP } from 'node:net';
import { isCalendarEvent } from './calendar.js';
import type { StringFormat } from './schema.js';
import { DATA_ROOTS, reservedName, SYSTEM_STATE_FOLDERS } from './reserved.js';

/** Linux limits every program that opens the path enforces: NAME_MAX and PATH_MAX (with its NUL). */
const NAME_MAX = 255;
const PATH_MAX = 4095;

/** Characters systemd reads as an Exec*= prefix before any quoting (systemd.service(5) "Command lines"). */
export const EXEC_PREFIX_CHARS = '-@:+!|';

/**
 * Where service users and people keep what they own: a path root reads must not lie below them.
 * (A folder below /tmp is refused on the host instead, by doctor and --apply: /tmp is writable by
 * everyone, and a review tree under a temporary folder is legitimate.)
 */
const USER_WRITABLE_ROOTS = ['/home', '/run/user', '/var/lib', '/srv'];

/** Why `value` is not of `format`, or null when it is. */
export function formatProblem(format: StringFormat | undefined, value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain a NUL character';
  if (format === undefined) return null;
  if (hasControl(value)) return 'must be a single line without control characters';
  switch (format) {
    case 'single-line':
    case 'command':
    case 'glob':
      return null;
    case 'absolute-path':
      return pathProblem(value);
    case 'data-dir':
      return pathProblem(value) ?? dataDirProblem(value);
    case 'login-shell':
      // sysusers writes it into /etc/passwd, whose fields `:` separates.
      return pathProblem(value) ?? (value.includes(':') ? 'must not contain `:` (it separates /etc/passwd fields)' : null);
    case 'root-config-path':
      return pathProblem(value) ?? rootPathProblem(value);
    case 'program':
      return programProblem(value);
    case 'sudoers-command':
      return pathProblem(value) ?? sudoersCommandProblem(value);
    case 'group-name':
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(value)) return 'must match ^[a-z][a-z0-9-]{0,30}$ (a Linux group name)';
      return reservedName(value) ? 'is a group the system or its packages already use (it may grant access to devices, keys or root)' : null;
    case 'domain':
      return isDomain(value) ? null : 'must be a DNS name such as app.example.com (letters, digits, hyphens; an optional leading `*.`)';
    case 'duration':
      return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(value) ? null : 'must be a duration such as 30s, 1m or 1h';
    case 'timespan':
      // A number takes all its digits (the lookahead): a run of digits that could be split
      // between repetitions made the match exponential (30 characters took minutes), and
      // systemd refuses a number right after a fraction (`1.51.5`) as this does.
      return /^\s*(?:\d+(?:\.\d+)?(?![\d.])\s*(?:(?:usec|us|µs|msec|ms|seconds?|sec|s|minutes?|min|m|hours?|hr|h|days?|d|weeks?|w)\s*)?)+$/.test(value)
        ? null
        : 'must be a systemd time span such as 30s, 2h or 1h 30min';
    case 'calendar':
      return isCalendarEvent(value) ? null : 'must be a systemd calendar expression such as 02:00 or Sun *-*-* 05:00:00 (see systemd.time(7); `systemd-analyze calendar` checks one)';
    case 'cidr':
      return isCidr(value) ? null : 'must be a CIDR range such as 173.245.48.0/20 or 2400:cb00::/32';
    case 'env-name':
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? null : 'must be a name of letters, digits and underscores, not starting with a digit';
    case 'user-name':
      return /^[a-z][a-z0-9-]{0,30}$/.test(value) ? null : 'must match ^[a-z][a-z0-9-]{0,30}$ (a Linux user name and unit name)';
    case 'module-name':
      return /^[a-z0-9_]+$/.test(value) ? null : 'must be a Caddy module name such as cloudflare or route53';
    case 'setting-name':
      return /^[a-z][a-z0-9_]*$/.test(value) ? null : 'must be a setting name such as api_token (lowercase letters, digits and _)';
    case 'acme-ca':
      return acmeCaProblem(value);
    case 'http-url':
      return httpUrlProblem(value);
    case 'restic-subset':
      return resticSubsetProblem(value);
    case 'dns-resolver':
      return isResolver(value) ? null : 'must be an IP address with an optional port, such as 1.1.1.1, 127.0.0.1:5353 or [2606:4700::1111]:53';
  }
}

/** ACME runs over HTTPS only (RFC 8555 §6.1); a directory URL is one Caddyfile token. */
function acmeCaProblem(value: string): string | null {
  if (value === 'production' || value === 'staging') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be production, staging, or the https:// directory URL of an ACME CA';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL (ACME runs over HTTPS only)';
  if (/[\s"'{}\\`]/.test(value)) return 'must be a URL without spaces, quotes, braces or backslashes';
  return null;
}

/**
 * restic check --read-data-subset: n/t with 1 <= n <= t <= 256, a percentage above 0 up to 100,
 * or a size with its unit (restic 0.14, Debian 12's, reads a bare number as a one-value n/t and
 * refuses it, as it refuses t above 256).
 */
function resticSubsetProblem(value: string): string | null {
  const fraction = /^(\d+)\/(\d+)$/.exec(value);
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  const ok = fraction ? Number(fraction[1]) >= 1 && Number(fraction[1]) <= Number(fraction[2]) && Number(fraction[2]) <= 256 : percent ? Number(percent[1]) > 0 && Number(percent[1]) <= 100 : /^[1-9]\d*[KMGT]$/.test(value);
  return ok ? null : 'must be a restic --read-data-subset: n/t (1/5), a percentage (5%) or a size (500M)';
}

/** A URL curl reads as one argument: http(s) only, nothing a unit file or a shell word could read otherwise. */
function httpUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http:// or https:// URL';
  if (/[\s"'{}\\`%$]/.test(value)) return 'must be a URL without spaces, quotes, braces, backslashes, `%` or `$`';
  return null;
}

function isResolver(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!m) return false;
  const address = m[1] ?? m[2];
  return isIP(address) === (m[1] !== undefined ? 6 : 4) && Number(m[3]) >= 1 && Number(m[3]) <= 65535;
}

function pathProblem(value: string): string | null {
  if (!value.startsWith('/')) return 'must be an absolute path (starting with /)';
  if (value !== value.trim() || value.endsWith('\\')) return 'must not begin or end with white space or end with a backslash';
  if (value.split('/').some((part) => part === '..' || part === '.')) return 'must not contain `.` or `..` segments';
  if (value.length > 1 && (value.endsWith('/') || value.includes('//'))) return 'must be a normalized path (no trailing or doubled /)';
  if (Buffer.byteLength(value) > PATH_MAX) return `must be at most ${PATH_MAX} bytes long (Linux's PATH_MAX)`;
  if (value.split('/').some((part) => Buffer.byteLength(part) > NAME_MAX)) return `must not have a component over ${NAME_MAX} bytes (Linux's NAME_MAX)`;
  return null;
}

/**
 * A data folder is handed to the service user by tmpfiles (owner and mode of an
 * existing folder are changed): it must be a folder of its own below a data
 * root, never a system folder or another account's.
 */
function dataDirProblem(value: string): string | null {
  if (value.includes(':')) return 'must not contain `:` (it is the home in /etc/passwd, whose fields `:` separates)';
  const root = DATA_ROOTS.find((r) => value.startsWith(`${r}/`));
  if (root === undefined) return `must be a folder of its own under ${DATA_ROOTS.join(' or ')} (such as /var/lib/<name>): tmpfiles hands the folder to the service user`;
  const first = value.slice(root.length + 1).split('/')[0];
  if (root === '/var/lib' && (SYSTEM_STATE_FOLDERS.has(first) || reservedName(first))) {
    return `must not be inside /var/lib/${first}, the state of a system package`;
  }
  return null;
}

/** A file root reads (a unit's environment file, tmpfiles configuration): no service user may be able to write it. */
function rootPathProblem(value: string): string | null {
  const under = USER_WRITABLE_ROOTS.find((r) => value === r || value.startsWith(`${r}/`));
  return under ? `must not be under ${under}, where service users or other accounts can write: root reads it` : null;
}

/** The first word of an Exec*= line: a command name or an absolute path, never read as a prefix. */
function programProblem(value: string): string | null {
  if (value === '') return 'must not be empty';
  if (EXEC_PREFIX_CHARS.includes(value[0])) return `must not start with \`${value[0]}\` (systemd reads it as a command prefix: \`+\` and \`!\` run the command as root)`;
  if (value.includes('/')) return pathProblem(value) ?? (/\s/.test(value) ? 'must not contain white space' : null);
  return /^[A-Za-z0-9._][A-Za-z0-9._+-]*$/.test(value) ? null : 'must be a command name (letters, digits, `.`, `_`, `+`, `-`) or an absolute path';
}

/**
 * The program of the deploy rule runs as root with the user's arguments: a plain
 * path to systemctl, without a sudoers wildcard, escape or white space.
 */
function sudoersCommandProblem(value: string): string | null {
  if (!/^[A-Za-z0-9._/+-]+$/.test(value)) return 'must be a plain path of letters, digits, `.`, `_`, `+`, `-` and `/` (sudoers reads `*`, `?`, `[`, `\\`, quotes and white space specially)';
  if (!value.endsWith('/systemctl')) return 'must be the path of systemctl (the deploy rule runs it as root)';
  return rootPathProblem(value);
}

function hasControl(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000a-\u001f\u007f]/.test(value);
}

function isDomain(value: string): boolean {
  const name = value.startsWith('*.') ? value.slice(2) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(address);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}
