// The Caddyfile format, in one place: how a value becomes one token (or is
// refused), how blocks are indented (tabs, exactly as `caddy fmt` prints them),
// and how Caddy's lexer reads text, so that a declaration's `extraConfig` can be
// checked and re-indented without changing what Caddy reads.
//
// The lexer below follows Caddy's own (caddyconfig/caddyfile/lexer.go): white
// space as Go's unicode.IsSpace, `#` comments at a token's start, "double" and
// `backtick` quotes, backslash escapes (inside double quotes only before `"`),
// and heredocs (`<<MARKER`, Caddy 2.7+), which are refused rather than modelled.

/** A directive line: its name and arguments (raw values: the writer quotes them), and a block when it has one. */
export interface CaddyDirective {
  name: string;
  args?: readonly string[];
  block?: readonly CaddyItem[];
}

/** A `# comment` line at the current depth (one line; says why, for the administrator). */
export interface CaddyComment {
  comment: string;
}

/** Lines already checked and formatted by `formatBlockContent`, placed at the current depth. */
export interface CaddyRaw {
  raw: readonly string[];
}

export type CaddyItem = CaddyDirective | CaddyComment | CaddyRaw;

/** The global options block `{ … }`: valid only as the first block of the whole Caddyfile. */
export interface CaddyGlobalOptions {
  globalOptions: readonly CaddyItem[];
}

export type CaddyTopLevel = CaddyItem | CaddyGlobalOptions;

/** A value the writer cannot turn into one token. Emitters check `tokenProblem` first; this is a bug guard. */
export class UnsafeCaddyValue extends Error {}

// Go's unicode.IsSpace: what separates tokens for Caddy (JavaScript's \s differs: U+0085 in, U+FEFF out).
// Stryker disable next-line Regex: its \v -> \V mutant is no valid /u pattern and would stop the module loading (a Stryker limit, not a kept mutant).
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
// Characters that would read differently in some consumer (lexer, formatter, terminal): controls, format
// characters (zero-width, bidi overrides), line separators and spaces other than U+0020.
const UNUSUAL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;
/**
 * `{name}` placeholders (`{client_ip}`, `{http.request.header.X-Key}`, `{args[0]}`): the only braces
 * allowed inside a bare token. Narrower than Caddy's own rule, because caddy fmt 2.6 moves a brace
 * that is followed by other characters (such as `{\}`).
 */
const PLACEHOLDER = /\{[\w.:\-[\]]+\}/g;

/**
 * Why `value` cannot be written as one Caddyfile token, or null. The rules
 * hold for Caddy 2.6 (Debian) and the later lexer alike.
 */
export function tokenProblem(value: string): string | null {
  if (/[\t\n\r]/.test(value) || UNUSUAL.test(value)) return 'must be one line without control, invisible or unusual white-space characters';
  // Caddy replaces {$NAME} from its own environment in the raw text, before reading any token.
  if (value.includes('{$')) return '`{$NAME}` is replaced from Caddy\'s environment before the file is read; use `{env.NAME}`';
  // A quoted "<<" still starts a heredoc in Caddy 2.7+ (its lexer checks before quotes).
  if (value.startsWith('<<')) return 'must not start with `<<` (a heredoc in Caddy 2.7+)';
  if (value === '{' || value === '}' || value === '{}') return 'a lone brace opens or closes a block, quoted or not (Caddy 2.6)';
  if (value === 'import') return '`import` is read as a directive';
  if (isBareToken(value)) return null;
  // Inside double quotes only \" is an escape: \\ stays two backslashes, so a
  // backslash before a quote or at the end cannot be written.
  if (/\\"/.test(value) || value.endsWith('\\')) return 'must not contain a backslash before a double quote or at the end';
  return null;
}

/** Whether Caddy (and `caddy fmt`) read `value` back unchanged when written without quotes. */
function isBareToken(value: string): boolean {
  if (value === '' || /[\s"`\\]/.test(value) || value.startsWith('#')) return false;
  // Outside {placeholders}, caddy fmt treats a brace glued to a word as a block brace.
  return !/[{}]/.test(value.replace(PLACEHOLDER, ''));
}

const PLAIN_WORD = /^[A-Za-z0-9._:/*@+=,%-]+$/;

/** One token: bare when Caddy reads it back unchanged, double-quoted otherwise. */
export function token(value: string): string {
  // Most tokens are words, paths, hosts and numbers: none of these characters is special to Caddy.
  if (PLAIN_WORD.test(value) && value !== 'import') return value;
  const problem = tokenProblem(value);
  if (problem) throw new UnsafeCaddyValue(`${JSON.stringify(value)}: ${problem}`);
  return isBareToken(value) ? value : `"${value.replace(/"/g, '\\"')}"`;
}

/** A directive name or site address, written as is: the emitter's own words, never quoted. */
function directiveName(name: string): string {
  if (!isBareToken(name) || UNUSUAL.test(name)) throw new UnsafeCaddyValue(`${JSON.stringify(name)} cannot be a directive name`);
  return name;
}

/**
 * Renders top-level paragraphs separated by one blank line (as caddy fmt
 * separates blocks), after the header comment, with one tab per depth.
 */
export function renderCaddyfile(header: string, paragraphs: readonly (readonly CaddyTopLevel[])[]): string {
  const lines: string[] = [];
  for (const [i, paragraph] of paragraphs.entries()) {
    if (i > 0) lines.push('');
    for (const item of paragraph) {
      if ('globalOptions' in item) renderBlock(lines, '{', item.globalOptions, 0);
      else renderItem(lines, item, 0);
    }
  }
  return `${header}${lines.join('\n')}\n`;
}

function renderItem(lines: string[], item: CaddyItem, depth: number): void {
  const indent = '\t'.repeat(depth);
  if ('raw' in item) {
    for (const line of item.raw) lines.push(line === '' ? '' : `${indent}${line}`);
  } else if ('comment' in item) {
    if (/[\r\n]/.test(item.comment)) throw new UnsafeCaddyValue('a comment must be one line');
    lines.push(`${indent}# ${item.comment}`);
  } else {
    const head = [directiveName(item.name), ...(item.args ?? []).map(token)].join(' ');
    if (item.block === undefined) lines.push(`${indent}${head}`);
    else renderBlock(lines, `${head} {`, item.block, depth);
  }
}

function renderBlock(lines: string[], opening: string, body: readonly CaddyItem[], depth: number): void {
  const indent = '\t'.repeat(depth);
  lines.push(`${indent}${opening}`);
  for (const item of body) renderItem(lines, item, depth + 1);
  lines.push(`${indent}}`);
}

/** A token as Caddy's lexer reads it, with its source text (comments kept, for formatting). */
export interface ScannedToken {
  /** What Caddy reads. */
  text: string;
  /** As written, quotes and escapes included. */
  raw: string;
  /** 1-based line of its first character. */
  line: number;
  /** The enclosing quote, '' for none. */
  quote: '' | '"' | '`';
  comment: boolean;
}

export interface ScanResult {
  tokens: ScannedToken[];
  /** A `\` at the end of a line joined it to the next (Caddy's line continuation). */
  continuedLine: boolean;
  error?: string;
}

/** Splits text into tokens exactly as Caddy's lexer does (see the file comment), comments included. */
export function scan(text: string): ScanResult {
  const tokens: ScannedToken[] = [];
  const chars = Array.from(text);
  let line = 1;
  let continuedLine = false;
  let i = 0;
  while (i < chars.length) {
    // One token, mirroring lexer.next(): its flags start fresh for every token.
    let val = '';
    let start = -1;
    let tokenLine = line;
    let comment = false;
    let quote: '' | '"' | '`' = '';
    let escaped = false;
    let done = false;
    for (; i < chars.length && !done; i++) {
      const ch = chars[i];
      if (val.length > 1 && val.startsWith('<<')) return { tokens, continuedLine, error: `line ${tokenLine}: heredocs (\`<<\`) are not accepted` };
      if (start < 0 && !GO_SPACE.test(ch)) start = i;
      if (!escaped && quote !== '`' && ch === '\\') {
        escaped = true;
        continue;
      }
      if (quote !== '') {
        if (quote === '"' && escaped) {
          if (ch !== '"') val += '\\';
          escaped = false;
        } else if (ch === quote) {
          tokens.push({ text: val, raw: chars.slice(start, i + 1).join(''), line: tokenLine, quote, comment: false });
          done = true;
          continue;
        }
        if (ch === '\n') line++;
        val += ch;
        continue;
      }
      if (GO_SPACE.test(ch)) {
        if (ch === '\r') continue;
        if (ch === '\n') {
          if (escaped) {
            continuedLine = true;
            escaped = false;
          } else line++;
          if (comment) {
            tokens.push({ text: '', raw: chars.slice(start, i).join('').trimEnd(), line: tokenLine, quote: '', comment: true });
            comment = false;
            start = -1;
          }
        }
        if (val.length > 0) {
          tokens.push({ text: val, raw: chars.slice(start, i).join(''), line: tokenLine, quote: '', comment: false });
          done = true;
        }
        continue;
      }
      if (ch === '#' && val.length === 0 && !comment) {
        comment = true;
        tokenLine = line;
      }
      if (comment) continue;
      if (val.length === 0) {
        tokenLine = line;
        if (ch === '"' || ch === '`') {
          quote = ch;
          continue;
        }
      }
      if (escaped) {
        // Caddy 2.7+ reads an escaped `<` as `<` (no heredoc); 2.6 keeps the backslash.
        if (ch === '<') return { tokens, continuedLine, error: `line ${tokenLine}: \`\\<\` is read differently by Caddy 2.6 and 2.7+` };
        val += '\\';
        escaped = false;
      }
      val += ch;
    }
    if (done) continue;
    // End of input inside this token.
    if (quote !== '') return { tokens, continuedLine, error: `line ${tokenLine}: unterminated ${quote === '"' ? 'quoted string' : 'backtick string'}` };
    if (comment) tokens.push({ text: '', raw: chars.slice(start).join('').trimEnd(), line: tokenLine, quote: '', comment: true });
    else if (val.length > 0) tokens.push({ text: val, raw: chars.slice(start).join(''), line: tokenLine, quote: '', comment: false });
  }
  return { tokens, continuedLine };
}

export interface LexedToken {
  text: string;
  /** 1-based line within the input. */
  line: number;
  quoted: boolean;
}

/** Caddy's tokens of `text`, comments left out. */
export function lex(text: string): { tokens: LexedToken[]; error?: string } {
  const { tokens, error } = scan(text);
  return { tokens: tokens.filter((t) => !t.comment).map((t) => ({ text: t.text, line: t.line, quoted: t.quote !== '' })), error };
}

/** The scanned tokens of one source line (comments included), in order. */
function byLine(tokens: ScannedToken[]): ScannedToken[][] {
  const lines: ScannedToken[][] = [];
  for (const t of tokens) {
    const last = lines[lines.length - 1];
    if (last && last[0].line === t.line) last.push(t);
    else lines.push([t]);
  }
  return lines;
}

/**
 * Why `text` cannot be placed inside a block (a site block), or null. Accepted
 * text is read by Caddy 2.6 and later exactly as this module reads it: it
 * stays inside the block that holds it, cannot reach another file or the
 * environment, and comes out of `formatBlockContent` as `caddy fmt` prints it.
 */
export function blockContentProblem(text: string): string | null {
  if (text.includes('{$')) return '`{$NAME}` is replaced from Caddy\'s environment before the file is read, which could change its structure; use `{env.NAME}`';
  const unusual = text.split('\n').findIndex((l) => /[\r]/.test(l) || UNUSUAL.test(l.replace(/\t/g, ' ')));
  if (unusual >= 0) return `line ${unusual + 1}: a control, invisible or unusual white-space character`;
  // Scanned as it will sit in the file: followed by a line break.
  const { tokens, continuedLine, error } = scan(`${text}\n`);
  if (error) return error;
  if (continuedLine) return 'a line ending in `\\` continues onto the next one; join the lines';
  let depth = 0;
  for (const words of byLine(tokens)) {
    const problem = lineProblem(words, depth);
    if (problem) return `line ${words[0].line}: ${problem}`;
    for (const w of words) {
      if (w.quote === '' && !w.comment && w.text === '{') depth++;
      if (w.quote === '' && !w.comment && w.text === '}') depth--;
    }
  }
  if (depth !== 0) return `${depth} unclosed \`{\``;
  return null;
}

/** Why one line of block content is refused, given the depth it starts at. */
function lineProblem(words: ScannedToken[], depth: number): string | null {
  const code = words.filter((w) => !w.comment);
  for (const [i, w] of words.entries()) {
    if (w.comment) {
      if (i > 0 && words[i - 1].quote === '' && /^[{}]$/.test(words[i - 1].text)) return 'put a comment after a brace on its own line';
      continue;
    }
    const problem = wordProblem(w);
    if (problem) return problem;
  }
  const opens = code.findIndex((w) => w.quote === '' && w.text === '{');
  if (opens === 0) return 'a `{` must end the line of its directive, not start a line';
  if (opens > 0 && opens !== code.length - 1) return 'a `{` must be the last token of its line';
  const closes = code.findIndex((w) => w.quote === '' && w.text === '}');
  if (closes >= 0 && code.length !== 1) return 'a `}` must stand alone on its line';
  if (closes >= 0 && depth === 0) return 'this `}` would close the site block';
  if (depth === 0 && code[0]?.text.startsWith('(')) return `\`${code[0].text}\` looks like a snippet definition, which is not accepted here`;
  return null;
}

/** Why one token is refused: the forms Caddy versions or caddy fmt read differently. */
function wordProblem(w: ScannedToken): string | null {
  if (w.text === 'import') return '`import` is not accepted (it would read another file into the site)';
  if (w.quote === '`') return 'backtick quotes are not accepted (caddy fmt 2.6 changes the spaces inside them); use double quotes';
  if (w.quote === '"') {
    if (!w.raw.startsWith('"')) return 'a token must not start with `\\"`';
    if (w.text.includes('\n')) return 'a quoted value must stay on one line';
    if (/^(\{|\}|\{\})$/.test(w.text)) return 'a quoted brace is read as a block brace by Caddy 2.6';
    return null;
  }
  if (w.raw !== w.text) return `\`${w.raw}\`: a backslash before white space or \`<\` is read differently by Caddy versions`;
  if (/["`]/.test(w.text)) return `\`${w.text}\`: a quote inside a word is read differently by Caddy and caddy fmt`;
  if (w.text === '{' || w.text === '}') return null;
  if (/[{}]/.test(w.text.replace(PLACEHOLDER, ''))) return `\`${w.text}\`: a brace must stand alone, separated by spaces (or be part of a {placeholder})`;
  return null;
}

/**
 * Re-indents block content accepted by `blockContentProblem` as `caddy fmt`
 * prints it: tokens as written, one space apart, one tab per depth, at most
 * one blank line in a row and none at the ends or next to a brace.
 */
export function formatBlockContent(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let previous: { line: number; opens: boolean } | null = null;
  for (const words of byLine(scan(`${text}\n`).tokens)) {
    const closes = !words[0].comment && words[0].quote === '' && words[0].text === '}';
    if (closes) depth--;
    if (previous && words[0].line - previous.line >= 2 && !previous.opens && !closes) out.push('');
    out.push(`${'\t'.repeat(depth)}${words.map((w) => w.raw).join(' ')}`);
    const last = words[words.length - 1];
    const opens = !last.comment && last.quote === '' && last.text === '{';
    if (opens) depth++;
    previous = { line: words[0].line, opens };
  }
  return out;
}
