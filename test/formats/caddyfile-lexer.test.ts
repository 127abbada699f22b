// src/formats/caddyfile.ts read directly: the lexer against Caddy 2.6's own reading
// (`caddy adapt` of the same tokens), the refusals of extraConfig with their words,
// the re-indenting of accepted text, and the writer's guards.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockContentProblem, formatBlockContent, lex, renderCaddyfile, scan, token, UnsafeCaddyValue } from '../../src/formats/caddyfile.js';
import { tempDirs } from '../support/emit.js';
import { missingProgram, requirement, titled } from '../support/oracles.js';

const temp = tempDirs();

/** The bodies of every static_response handler in adapted JSON, wherever it nests. */
function staticBodies(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(staticBodies);
  if (node === null || typeof node !== 'object') return [];
  const own = (node as { handler?: string; body?: string }).handler === 'static_response' ? [(node as { body: string }).body] : [];
  return [...own, ...Object.values(node).flatMap(staticBodies)];
}
const caddy = requirement(missingProgram('caddy', 'caddy'));

describe.skipIf(caddy.skip)(titled('the lexer reads a token as Caddy 2.6 does (caddy adapt)', caddy), () => {
  beforeAll(caddy.assert);

  // Each is one response body; Caddy's reading is the body in the adapted JSON.
  const bodies = [
    ['an escaped quote and a doubled backslash inside double quotes', '"x\\"y\\\\z"'],
    ['a backslash inside backticks, which escapes nothing', '`p\\q`'],
    ['a carriage return inside a word, which Caddy drops', 'a\rb'],
    ['a quote inside a word, which opens nothing', 'a"b'],
    ['a # inside a word, which starts no comment', 'a#b'],
    ['a backslash before an opening backtick', '\\`pq`'],
    ['<< inside a word, which is no heredoc', 'a<<b'],
    ['an escaped letter outside quotes', 'a\\qb'],
  ];

  it.each(bodies)('%s', (_what, written) => {
    const file = path.join(temp('lexer'), 'Caddyfile');
    fs.writeFileSync(file, `:8080 {\n\trespond /t ${written}\n}\n`);
    const r = spawnSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const bodies = staticBodies(JSON.parse(r.stdout));
    expect(bodies, r.stdout).toHaveLength(1);
    const { tokens, error } = lex(written);
    expect(error).toBeUndefined();
    expect(tokens.map((t) => t.text)).toEqual(bodies);
  });
});

describe('the lexer: lines, raw text, comments and the end of the input', () => {
  it('counts the lines inside a multi-line quoted token', () => {
    expect(lex('"a\nb" c\nd').tokens.map((t) => [t.text, t.line])).toEqual([
      ['a\nb', 1],
      ['c', 2],
      ['d', 3],
    ]);
  });

  it('says which tokens were quoted', () => {
    expect(lex('a "b" `c`').tokens.map((t) => t.quoted)).toEqual([false, true, true]);
  });

  it('joins a line ending in a backslash to the next, without keeping the backslash', () => {
    const r = scan('a \\\nb');
    expect(r.continuedLine).toBe(true);
    expect(r.tokens.map((t) => [t.text, t.line])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('keeps a comment, without its trailing spaces, mid-text and at the end of the input', () => {
    const r = scan('a # one  \nb # two  ');
    expect(r.tokens.map(({ text, raw, quote, comment, line }) => ({ text, raw, quote, comment, line }))).toEqual([
      { text: 'a', raw: 'a', quote: '', comment: false, line: 1 },
      { text: '', raw: '# one', quote: '', comment: true, line: 1 },
      { text: 'b', raw: 'b', quote: '', comment: false, line: 2 },
      { text: '', raw: '# two', quote: '', comment: true, line: 2 },
    ]);
  });

  it('ends the last token at the end of the input, with its own raw text', () => {
    expect(scan('a  bc').tokens.map((t) => [t.text, t.raw, t.quote, t.comment])).toEqual([
      ['a', 'a', '', false],
      ['bc', 'bc', '', false],
    ]);
  });

  it('refuses a heredoc, an escaped < and an unterminated quote, saying which and where', () => {
    expect(scan('a\n<<EOF\nx\nEOF').error).toBe('line 2: heredocs (`<<`) are not accepted');
    expect(scan('a\nb \\<c').error).toBe('line 2: `\\<` is read differently by Caddy 2.6 and 2.7+');
    expect(scan('a\n"bc').error).toBe('line 2: unterminated quoted string');
    expect(scan('a `bc').error).toBe('line 1: unterminated backtick string');
  });
});

describe('extraConfig refusals say what and where', () => {
  it.each([
    ['respond {$X}', '`{$NAME}` is replaced from Caddy\'s environment before the file is read, which could change its structure; use `{env.NAME}`'],
    ['a\nb c\u200b', 'line 2: a control, invisible or unusual white-space character'],
    ['respond a \\\nb', 'a line ending in `\\` continues onto the next one; join the lines'],
    ['a\n{ b', 'line 2: a `{` must end the line of its directive, not start a line'],
    ['header {\nX a', '1 unclosed `{`'],
    ['header {\n} a', 'line 2: a `}` must stand alone on its line'],
    ['respond `a b`', 'line 1: backtick quotes are not accepted (caddy fmt 2.6 changes the spaces inside them); use double quotes'],
    ['respond \\"a b"', 'line 1: a token must not start with `\\"`'],
    ['header {\n\tX a\n} # done', 'line 3: put a comment after a brace on its own line'],
    ['(common) {\n\tX a\n}', 'line 1: `(common)` looks like a snippet definition, which is not accepted here'],
  ])('%j', (text, problem) => {
    expect(blockContentProblem(text)).toBe(problem);
  });

  it.each([
    ['a nested block', 'header {\n\tX-A b\n}'],
    ['a placeholder followed by a comment', 'respond {client_ip} # who asked'],
    ['a quoted value that starts with a brace', 'respond "{x"'],
    ['a quoted value that ends with a brace', 'respond "x}"'],
    ['a word in parentheses inside a nested block, which defines no snippet', 'header {\n\t(X-A) b\n}'],
  ])('accepts %s', (_what, text) => {
    expect(blockContentProblem(text)).toBeNull();
  });
});

describe('formatBlockContent: caddy fmt layout', () => {
  it('keeps one blank line for a run of them, and adds none between adjacent lines', () => {
    expect(formatBlockContent('a\nb\n\nc\n\n\n\nd')).toEqual(['a', 'b', '', 'c', '', 'd']);
  });

  it('drops a comment\'s trailing spaces', () => {
    expect(formatBlockContent('a   # note   \nb')).toEqual(['a # note', 'b']);
  });
});

describe('the writer refuses what it cannot write, naming it', () => {
  it('quotes an empty value rather than dropping the token', () => {
    expect(token('')).toBe('""');
  });

  it('names the value and the reason of an unwritable token', () => {
    expect(() => token('a\nb')).toThrow(new UnsafeCaddyValue('"a\\nb": must be one line without control, invisible or unusual white-space characters'));
  });

  it('refuses a directive name that is not one bare word', () => {
    expect(() => renderCaddyfile('', [[{ name: 'a b' }]])).toThrow(new UnsafeCaddyValue('"a b" cannot be a directive name'));
  });

  it('refuses a comment of several lines', () => {
    expect(() => renderCaddyfile('', [[{ comment: 'a\nb' }]])).toThrow(new UnsafeCaddyValue('a comment must be one line'));
  });

  it('indents raw lines to their depth but leaves blank ones empty', () => {
    expect(renderCaddyfile('', [[{ name: 'site', block: [{ raw: ['a', '', 'b'] }] }]])).toBe('site {\n\ta\n\n\tb\n}\n');
  });
});
