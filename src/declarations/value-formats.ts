// String formats, checked after placeholders are resolved: a path is only a
// path once `${dataDir}` has been replaced.
import { isIP } from 'node:net';
import type { StringFormat } from './schema.js';

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
      if (!value.startsWith('/')) return 'must be an absolute path (starting with /)';
      if (value !== value.trim() || value.endsWith('\\')) return 'must not begin or end with white space or end with a backslash';
      if (value.split('/').some((part) => part === '..' || part === '.')) return 'must not contain `.` or `..` segments';
      if (value.length > 1 && (value.endsWith('/') || value.includes('//'))) return 'must be a normalized path (no trailing or doubled /)';
      return null;
    case 'domain':
      return isDomain(value) ? null : 'must be a DNS name such as app.example.com (letters, digits, hyphens; an optional leading `*.`)';
    case 'duration':
      return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(value) ? null : 'must be a duration such as 30s, 1m or 1h';
    case 'timespan':
      return /^(\s*\d+(\.\d+)?\s*(usec|us|µs|msec|ms|seconds?|sec|s|minutes?|min|m|hours?|hr|h|days?|d|weeks?|w)?)+\s*$/.test(value)
        ? null
        : 'must be a systemd time span such as 30s, 2h or 1h 30min';
    case 'calendar':
      return /^[A-Za-z0-9*,:./~ +-]+$/.test(value) ? null : 'must be a systemd calendar expression such as 02:00 or Sun *-*-* 05:00:00';
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

function isResolver(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!m) return false;
  const address = m[1] ?? m[2];
  return isIP(address) === (m[1] !== undefined ? 6 : 4) && Number(m[3]) >= 1 && Number(m[3]) <= 65535;
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
