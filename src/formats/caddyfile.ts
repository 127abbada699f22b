// The Caddyfile writer: tokens, blocks and tab indentation exactly as
// `caddy fmt` prints them, and a tokenizer (as Caddy's lexer reads text) for
// checking the directives a declaration brings in.

/** A directive line: its tokens, and a block when it has one. */
export interface CaddyNode {
  tokens: string[];
  block?: CaddyItem[];
}

/** Raw, already formatted lines (extraConfig), placed at the current depth. */
export interface CaddyRaw {
  raw: string[];
}

export type CaddyItem = CaddyNode | CaddyRaw;

export class UnsafeCaddyValue extends Error {}

/** One token: bare when Caddy reads it back unchanged, double-quoted otherwise. */
export function token(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new UnsafeCaddyValue('a Caddy token must be one line');
  if (value === '{' || value === '}') throw new UnsafeCaddyValue('a lone brace would open or close a block');
  if (value !== '' && !/[\s"`\\]/.test(value) && !value.startsWith('#') && !value.startsWith('<<')) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderCaddy(header: string, items: CaddyItem[]): string {
  const lines: string[] = [];
  const walk = (list: CaddyItem[], depth: number) => {
    const indent = '\t'.repeat(depth);
    for (const item of list) {
      if ('raw' in item) {
        for (const line of item.raw) lines.push(line === '' ? '' : `${indent}${line}`);
        continue;
      }
      const head = item.tokens.join(' ');
      if (item.block === undefined) {
        lines.push(`${indent}${head}`);
      } else {
        lines.push(`${indent}${head}${head ? ' ' : ''}{`);
        walk(item.block, depth + 1);
        lines.push(`${indent}}`);
      }
    }
  };
  walk(items, 0);
  return `${header}${lines.join('\n')}\n`;
}

/** Blocks separated by a blank line, as caddy fmt keeps them. */
export function renderCaddyBlocks(header: string, blocks: CaddyItem[][]): string {
  return `${header}${blocks.map((b) => renderCaddy('', b)).join('\n')}`;
}

export interface LexedToken {
  text: string;
  /** 1-based line within the input. */
  line: number;
  quoted: boolean;
}

/**
 * Splits Caddyfile text into tokens the way Caddy's lexer does: white space
 * separates, "double quotes" and `backticks` group, `#` at a token's start
 * comments out the rest of the line, a backslash escapes inside quotes.
 */
export function lex(text: string): { tokens: LexedToken[]; error?: string } {
  const tokens: LexedToken[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = line;
    if (ch === '"' || ch === '`') {
      const quote = ch;
      let value = '';
      i++;
      while (i < text.length && text[i] !== quote) {
        if (quote === '"' && text[i] === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        value += text[i++];
      }
      if (i >= text.length) return { tokens, error: `line ${start}: unterminated ${quote === '"' ? 'quoted string' : 'backtick string'}` };
      i++;
      tokens.push({ text: value, line: start, quoted: true });
      continue;
    }
    let value = '';
    while (i < text.length && !/\s/.test(text[i])) value += text[i++];
    tokens.push({ text: value, line: start, quoted: false });
  }
  return { tokens };
}

/** Why `text` cannot sit inside a site block, or null: it must stay inside the block that holds it. */
export function blockContentProblem(text: string): string | null {
  const { tokens, error } = lex(text);
  if (error) return error;
  let depth = 0;
  for (const t of tokens) {
    if (t.quoted && t.text.includes('\n')) return `line ${t.line}: a quoted value must stay on one line`;
    if (t.quoted) continue;
    if (t.text.startsWith('<<')) return `line ${t.line}: heredocs are not accepted here`;
    if (t.text === '{') depth++;
    else if (t.text === '}') {
      depth--;
      if (depth < 0) return `line ${t.line}: this \`}\` would close the site block`;
    } else if (/[{}]/.test(t.text.replace(/\{[^{}\s]+\}/g, ''))) {
      // Outside {placeholders}, Caddy's formatter and parser disagree on `a{` or `x}`: refused as ambiguous.
      return `line ${t.line}: a brace must stand alone, separated by spaces`;
    }
    if (depth === 0 && (t.text === 'import' || t.text.startsWith('('))) return `line ${t.line}: \`${t.text}\` is not accepted in extraConfig`;
  }
  if (depth !== 0) return `${depth} unclosed \`{\``;
  return null;
}

/**
 * Re-indents balanced block content as `caddy fmt` would: one token space,
 * one tab per nesting level, at most one blank line in a row, none at the ends.
 */
export function formatBlockContent(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const words = splitLineKeepingQuotes(line);
    const closesFirst = words[0] === '}';
    if (closesFirst) depth = Math.max(0, depth - 1);
    out.push(`${'\t'.repeat(depth)}${words.join(' ')}`);
    for (const [i, w] of words.entries()) {
      if (w === '{') depth++;
      else if (w === '}' && !(i === 0 && closesFirst)) depth = Math.max(0, depth - 1);
    }
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Words of one line, quoted strings and comments kept whole. */
function splitLineKeepingQuotes(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (/\s/.test(line[i])) {
      i++;
      continue;
    }
    if (line[i] === '#') {
      words.push(line.slice(i));
      break;
    }
    let word = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const ch = line[i];
      if (ch === '"' || ch === '`') {
        const end = findClosing(line, i);
        word += line.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      word += ch;
      i++;
    }
    words.push(word);
  }
  return words;
}

function findClosing(line: string, start: number): number {
  const quote = line[start];
  for (let i = start + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') {
      i++;
      continue;
    }
    if (line[i] === quote) return i;
  }
  return line.length - 1;
}
