// systemd unit syntax and escaping, in one place (systemd.syntax(7), systemd.unit(5)
// "Specifiers", systemd.service(5) "Command lines"). Emitters pass raw values;
// every value leaves here either escaped for its directive or rejected.

import { UnsafeValueError } from './errors.js';

/** [key, value]; the value is already escaped for its directive. */
export type Directive = [key: string, value: string];

export interface Section {
  name: string;
  directives: Directive[];
}

/** `# comment` lines are allowed between directives; they are rendered as given (one line, no newline). */
export const COMMENT = '#';

export function renderUnit(headerComment: string, sections: Section[]): string {
  const blocks = sections
    .filter((s) => s.directives.length > 0)
    .map((s) => [`[${s.name}]`, ...s.directives.map(([key, value]) => (key === COMMENT ? `# ${value}` : `${key}=${value}`))].join('\n'));
  return `${headerComment}${blocks.join('\n\n')}\n`;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * systemd reads unit lines up to LONG_LINE_MAX (1 MiB, src/basic/fileio.h) and
 * refuses the file beyond it; a value leaves room for its key.
 */
export const LONG_LINE_MAX = 1024 * 1024;
const VALUE_MAX = LONG_LINE_MAX - 64;

function limit(value: string): string {
  // A UTF-16 unit is at most 3 bytes of UTF-8: most values need no count (Buffer.byteLength crosses into C++).
  if (value.length * 3 > VALUE_MAX && Buffer.byteLength(value) > VALUE_MAX) throw new UnsafeValueError(`this value is longer than systemd reads on one unit line (${VALUE_MAX} bytes)`);
  return value;
}

/** Characters systemd reads as an Exec*= prefix before any quoting (systemd.service(5) "Command lines"). */
export const EXEC_PREFIXES = '-@:+!|';

function rejectControl(value: string, what: string): void {
  if (CONTROL.test(value)) throw new UnsafeValueError(`${what} must not contain a newline or other control character`);
}

/** `%` starts a specifier everywhere in a unit; `%%` is a literal `%`. */
function escapeSpecifiers(value: string): string {
  return value.includes('%') ? value.replaceAll('%', '%%') : value;
}

/**
 * A plain value taken as the rest of the line (Description=, WorkingDirectory=, EnvironmentFile=):
 * no quoting exists there, so what the parser would change is rejected instead.
 */
export function escapeText(value: string): string {
  rejectControl(value, 'this value');
  if (value !== value.trim()) throw new UnsafeValueError('this value must not begin or end with white space (systemd strips it)');
  if (value.endsWith('\\')) throw new UnsafeValueError('this value must not end with a backslash (systemd reads it as a line continuation)');
  return limit(escapeSpecifiers(value));
}

/** C-style escapes for a double-quoted word: backslash, quote, and control characters. */
function cQuote(value: string): string {
  return `"${value.replace(C_ESCAPED, cEscape)}"`;
}

// eslint-disable-next-line no-control-regex
const C_ESCAPED = /[\\"\u0000-\u001f\u007f]/g;
const C_NAMED: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r' };
const cEscape = (ch: string): string => C_NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** Whether a word survives systemd's word splitting as it is. */
function isBareWord(word: string): boolean {
  return word.length > 0 && !/[\s"'\\;]/.test(word) && !CONTROL.test(word);
}

/**
 * One word of a space-separated list directive (ReadWritePaths=, SupplementaryGroups=):
 * quoted when it holds white space, quotes or backslashes.
 */
export function escapeWord(word: string): string {
  if (word.includes('\u0000')) throw new UnsafeValueError('a NUL character cannot be written');
  const specified = escapeSpecifiers(word);
  return isBareWord(specified) ? specified : cQuote(specified);
}

/**
 * One Exec*= command line. `%` is a specifier and `$` an environment
 * expansion in every word, so both are doubled; words with white space,
 * quotes or backslashes are double-quoted with C escapes.
 */
export function escapeExec(argv: readonly string[], prefix = ''): string {
  if (argv.length === 0) throw new UnsafeValueError('a command line needs a program');
  if (!/^[-@:+!]*$/.test(prefix)) throw new Error(`internal error: bad Exec prefix ${prefix}`);
  const words = argv.map((word, i) => {
    if (word.includes('\u0000')) throw new UnsafeValueError('a NUL character cannot be written');
    if (i === 0 && word.length === 0) throw new UnsafeValueError('the program name is empty');
    // Prefixes are read before quoting: a program written `+/bin/x` or `"!x"` would run as root.
    if (i === 0 && EXEC_PREFIXES.includes(word[0])) throw new UnsafeValueError(`the program must not start with \`${word[0]}\`, which systemd reads as a command prefix`);
    const specified = escapeSpecifiers(word);
    // `$$$$` is the replacement pattern for a literal `$$`: systemd reads `$$` as one `$`.
    const escaped = specified.includes('$') ? specified.replaceAll('$', '$$$$') : specified;
    // A lone ";" separates commands; "\;" passes it as an argument.
    if (escaped === ';') return '\\;';
    return isBareWord(escaped) ? escaped : cQuote(escaped);
  });
  return limit(`${prefix}${words.join(' ')}`);
}

/** One Environment= assignment as a single quoted word: `"NAME=value"`. */
export function escapeEnvironment(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UnsafeValueError(`${JSON.stringify(name)} is not a valid environment variable name`);
  if (value.includes('\u0000')) throw new UnsafeValueError('an environment value cannot hold a NUL character');
  // systemd unquotes and unescapes the word first, then resolves specifiers: so %% inside quotes.
  return limit(cQuote(`${name}=${escapeSpecifiers(value)}`));
}
