// sysusers.d(5) lines. Fields are separated by white space; a field with white
// space or quotes is double-quoted with C escapes; `%` is a specifier.
import { UnsafeValueError } from './errors.js';

function field(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeValueError('a sysusers field must be one line');
  const escaped = value.replace(/%/g, '%%');
  if (escaped !== '' && !/[\s"'\\]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** GECOS may not hold `:` (the passwd field separator); it is a comment, so `:` becomes ` -`. */
export function gecos(description: string): string {
  return description.replace(/:/g, ' -');
}

export const sysusers = {
  group: (name: string) => `g ${field(name)} -`,
  user: (name: string, description: string, home: string, shell: string) => `u ${field(name)} - ${field(gecos(description))} ${field(home)} ${field(shell)}`,
  member: (user: string, group: string) => `m ${field(user)} ${field(group)}`,
};
