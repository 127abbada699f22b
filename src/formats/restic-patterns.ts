// restic's exclude files and patterns, and the limits of the line-based lists.
import * as path from 'node:path';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

// restic's exclude files and patterns (restic 0.14, checked against restic in
// test/restic-patterns-oracle.test.ts). Lines are trimmed, `#` lines skipped, `$VAR` expanded
// (`$$` is a literal `$`); a pattern is matched component by component with
// Go's filepath.Match, `**` spans components, a pattern without a leading `/`
// matches any run of components, a leading `!` negates, the last match wins.

/**
 * What restic trims from each exclude-file line: Go's strings.TrimSpace, that is
 * unicode.IsSpace (Latin-1 \t \n \v \f \r space U+0085 U+00A0, and every Z
 * category character). Not JavaScript's \s, which lacks U+0085 and adds U+FEFF.
 */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`, 'u');
export const isGoSpace = (c: string): boolean => LEADING_SPACE.test(c);

/** One exclude-file line that restic reads back as exactly `pattern`. */
export function excludeLine(pattern: string): string {
  let line = pattern.includes('$') ? pattern.replaceAll('$', '$$$$') : pattern;
  // Leading or trailing white space would be trimmed: a one-character class keeps it.
  // (Every Go space is a control character, the space itself, or beyond ASCII.)
  if (mayBeSpace(line.charCodeAt(0)) || mayBeSpace(line.charCodeAt(line.length - 1))) {
    line = line.replace(LEADING_SPACE, (ws) => [...ws].map((c) => `[${c}]`).join('')).replace(TRAILING_SPACE, (ws) => [...ws].map((c) => `[${c}]`).join(''));
  }
  return line.startsWith('#') ? `\\${line}` : line;
}

const mayBeSpace = (code: number): boolean => code <= 0x20 || code >= 0x7f;

/** A path as a pattern that matches only itself. */
export function globEscape(p: string): string {
  return p.replace(/[\\*?[]/g, '\\$&');
}

function splitNegation(pattern: string): { negated: boolean; glob: string } {
  return pattern.startsWith('!') ? { negated: true, glob: pattern.slice(1) } : { negated: false, glob: pattern };
}

/** The first declared pattern that leaves `target` excluded, or null when restic keeps it. */
export function excludingPattern(patterns: readonly string[], target: string): string | null {
  let excludedBy: string | null = null;
  const components = ['/', ...target.split('/').filter(Boolean)];
  for (const pattern of patterns) {
    const { negated, glob } = splitNegation(pattern);
    if (!matches(compiledPattern(glob), components)) continue;
    excludedBy = negated ? null : (excludedBy ?? pattern);
  }
  return excludedBy;
}

// A fleet shares its exclude patterns: each is compiled once per run (a tenth of the render time at 10,000 services).
const compiled = new Map<string, Part[]>();
function compiledPattern(glob: string): Part[] {
  let parts = compiled.get(glob);
  if (parts === undefined) {
    parts = patternParts(glob).map(componentRegExp);
    compiled.set(glob, parts);
  }
  return parts;
}

function patternParts(glob: string): string[] {
  // Go's filepath.Clean, then split on "/"; a leading "/" anchors the pattern.
  const cleaned = path.posix.normalize(glob).replace(/(.)\/+$/, '$1');
  const parts = cleaned.split('/');
  if (parts[0] === '') parts[0] = '/';
  return parts;
}

/** A component matcher: `**`, the anchoring `/`, a RegExp, or a literal (no glob character: compared as text). */
type Part = RegExp | '**' | '/' | { literal: string };

/** Go's filepath.Match for one component, as a RegExp; throws where Go returns ErrBadPattern. */
function componentRegExp(part: string): Part {
  if (part === '**' || part === '/') return part;
  // Most patterns name paths (a service's live database files): no RegExp to build or run.
  if (!/[*?[\\]/.test(part)) return { literal: part };
  const chars = [...part];
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const cls = characterClass(chars, i + 1);
      re += cls.re;
      i = cls.end;
    } else {
      if (c === '\\' && ++i >= chars.length) throw new Error('trailing backslash');
      re += literal(chars[i]);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}

const literal = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** `[...]` from just after the `[`: Go's ranges, `^` negation, `\\` escapes; returns the index of the closing `]`. */
function characterClass(chars: string[], start: number): { re: string; end: number } {
  let i = start;
  const negated = chars[i] === '^';
  if (negated) i++;
  const escaped = () => {
    if (i >= chars.length || chars[i] === '-' || chars[i] === ']') throw new Error('malformed class');
    if (chars[i] === '\\') i++;
    if (i >= chars.length) throw new Error('malformed class');
    return chars[i++];
  };
  let ranges = '';
  for (let n = 0; ; n++) {
    if (chars[i] === ']' && n > 0) break;
    const lo = escaped();
    let hi = lo;
    if (chars[i] === '-') {
      i++;
      hi = escaped();
    }
    // Go accepts a reversed range that matches nothing; a RegExp would throw.
    if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges += `${literal(lo)}-${literal(hi)}`;
  }
  return { re: `[${negated ? '^' : ''}${ranges}]`, end: i };
}

/** restic's filter.match: `**` expands to any number of components; unanchored patterns float. */
function matches(pattern: Part[], components: string[]): boolean {
  const star = pattern.indexOf('**');
  if (star >= 0) {
    for (let n = 0; n <= components.length - pattern.length + 1; n++) {
      const expanded = [...pattern.slice(0, star), ...Array<Part>(n).fill(/^.*$/su), ...pattern.slice(star + 1)];
      if (matches(expanded, components)) return true;
    }
    return false;
  }
  if (pattern.length === 0 || pattern.length > components.length) return pattern.length === components.length;
  const anchored = pattern[0] === '/';
  const first = anchored ? 0 : 1;
  const last = anchored ? 0 : components.length - pattern.length;
  for (let offset = last; offset >= first; offset--) {
    if (pattern.every((p, i) => (p === '/' ? components[offset + i] === '/' : p !== '**' && (p instanceof RegExp ? p.test(components[offset + i]) : p.literal === components[offset + i])))) return true;
  }
  return false;
}


/** Why restic cannot read `pattern` as written, or null. */
export function excludeProblem(pattern: string): string | null {
  if (CONTROL.test(pattern)) return 'must be one line without control characters (the exclude file holds one pattern a line)';
  const trimmed = pattern.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
  if (trimmed === '' || trimmed === '!') return 'must not be empty';
  if (/\\$/.test(pattern.replace(TRAILING_SPACE, '')) && TRAILING_SPACE.test(pattern)) return 'must not end with a backslash followed by white space';
  try {
    const { glob } = splitNegation(pattern);
    patternParts(glob).forEach(componentRegExp);
  } catch {
    return 'is not a valid restic pattern (an unclosed `[` or a trailing `\\`)';
  }
  return null;
}
