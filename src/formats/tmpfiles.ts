// tmpfiles.d(5) lines: a path with white space or quotes is double-quoted with
// C escapes; `%` is a specifier.
import { UnsafeValueError } from './errors.js';

function quotePath(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) throw new UnsafeValueError('a tmpfiles path must be one line');
  const escaped = path.replace(/%/g, '%%');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
}

/** `d` creates a folder, or fixes the mode and owner of an existing one. */
export function directory(path: string, mode: number, user: string, group: string): string {
  return `d ${quotePath(path)} ${mode.toString(8).padStart(4, '0')} ${user} ${group} -`;
}
