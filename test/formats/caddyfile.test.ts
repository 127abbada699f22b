// The Caddyfile writer and lexer, checked against Caddy itself (Debian's
// caddy 2.6): what a token is read back as (`caddy adapt`), how text is
// split into tokens, and that formatted text is what `caddy fmt` prints.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockContentProblem, formatBlockContent, lex, renderCaddyfile, scan, token, tokenProblem, UnsafeCaddyValue } from '../../src/formats/caddyfile.js';
import { tempDirs } from '../support/emit.js';

const temp = tempDirs();
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** `caddy fmt` of `text`, as Debian's caddy prints it. */
function caddyFmt(text: string): string {
  const r = spawnSync('caddy', ['fmt', '-'], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** `caddy adapt` of a Caddyfile written to a temp file; env adds to the environment. */
function caddyAdapt(text: string, env: Record<string, string> = {}): { status: number | null; stderr: string; json: any; file: string } {
  const file = path.join(temp('fmt'), 'Caddyfile');
  fs.writeFileSync(file, text);
  const r = spawnSync('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stderr: r.stderr, json: r.status === 0 ? JSON.parse(r.stdout) : null, file };
}

/** Every host that the adapted config serves. */
function hosts(json: any): string[] {
  const out: string[] = [];
  for (const server of Object.values<any>(json?.apps?.http?.servers ?? {})) {
    for (const route of server.routes ?? []) for (const m of route.match ?? []) out.push(...(m.host ?? []));
  }
  return out.sort();
}

/** The handlers of the first route of `host`, flattened through subroutes. */
function handlers(json: any, host: string): any[] {
  const out: any[] = [];
  const walk = (list: any[]) => {
    for (const h of list) {
      if (h.handler === 'subroute') for (const r of h.routes) walk(r.handle);
      else out.push(h);
    }
  };
  for (const server of Object.values<any>(json.apps.http.servers)) {
    for (const route of server.routes) if (route.match?.[0]?.host?.includes(host)) walk(route.handle);
  }
  return out;
}

/** The routes inside the subroute of `host`'s site. */
function subroutes(json: any, host: string): any[] {
  for (const server of Object.values<any>(json.apps.http.servers)) {
    for (const route of server.routes) if (route.match?.[0]?.host?.includes(host)) return route.handle[0].routes;
  }
  return [];
}

/** Characters Caddy's lexer, its formatter or this module treat specially. */
const SPECIAL = [' ', ' ', '\t', '"', '\\', '`', '#', '<', '{', '}', '{x}', '{$', '$', '*', '/', 'a', 'b', 'é', '\u00a0', '\u0085', '\u2028', '\u202e', '\ufeff', '\n'];
const adversarial = fc.string({ unit: fc.constantFrom(...SPECIAL), maxLength: 12 });

describe('token', () => {
  it.each([
    ['cloudflare', 'cloudflare'],
    ['{client_ip}', '{client_ip}'],
    ['/auth/*', '/auth/*'],
    ['*.example.com', '*.example.com'],
    ['{env.CLOUDFLARE_API_TOKEN}', '{env.CLOUDFLARE_API_TOKEN}'],
    ['a{x}b{y}', 'a{x}b{y}'],
    ['a#b', 'a#b'],
    ['a b', '"a b"'],
    ['', '""'],
    ['#x', '"#x"'],
    ['/a}', '"/a}"'],
    ['/a{', '"/a{"'],
    ['a"b', '"a\\"b"'],
    ['a`b', '"a`b"'],
    ['a\\b', '"a\\b"'],
    ['a\\\\b', '"a\\\\b"'],
  ])('writes %j as %s', (value, written) => {
    expect(token(value)).toBe(written);
  });

  it.each([
    ['a lone brace', '{'],
    ['a closing brace', '}'],
    ['an empty block', '{}'],
    ['import', 'import'],
    ['a line break', 'a\nb'],
    ['a tab', 'a\tb'],
    ['an environment placeholder', '{$HOME}'],
    ['a heredoc opener', '<<EOF'],
    ['a backslash before a quote', 'a\\"b'],
    ['a trailing backslash', 'a\\'],
    ['a no-break space', 'a\u00a0b'],
    ['a bidi override', 'a\u202eb'],
    ['a next-line character', 'a\u0085b'],
  ])('refuses %s', (_what, value) => {
    expect(tokenProblem(value)).not.toBeNull();
    expect(() => token(value)).toThrow(UnsafeCaddyValue);
  });

  it('is read back by caddy adapt as the value, and caddy fmt leaves it alone', () => {
    const fixed = ['plain', 'a b', '', '#x', '/a}', '/a{', 'a"b', 'a`b', 'a\\b', 'a\\\\b', '{x}y', '100', 'a  b', '"', '`x`', 'é ✓ 日本'];
    const random = fc.sample(adversarial, { numRuns: 300, seed: SEED });
    const values = [...new Set([...fixed, ...random])].filter((v) => tokenProblem(v) === null);
    const lines = values.map((v, i) => `\trespond /${i} ${token(v)} 200`);
    const text = `site.test {\n${lines.join('\n')}\n}\n`;
    expect(caddyFmt(text)).toBe(text);
    const r = caddyAdapt(text);
    expect(r.status, r.stderr).toBe(0);
    // Caddy sorts the routes by path; each `respond /<i>` keeps its own body.
    const bodies = Object.fromEntries(subroutes(r.json, 'site.test').map((route) => [route.match[0].path[0], route.handle[0].body]));
    expect(values.map((_, i) => bodies[`/${i}`] ?? '')).toEqual(values); // JSON leaves an empty body out
  });
});

describe('scan: tokens as Caddy reads them', () => {
  it('splits like the real lexer: file_server `hide` shows Caddy\'s tokens of a line (seed ' + SEED + ')', () => {
    const fixed = ['a "b c" d\\e', '"x\\"y" "x\\y" "x\\\\"', 'a\\ b', '\\"q x"', 'a#b #c d', '"<<X"', '` a  b `', 'a\u0085b', 'a\u00a0b c', 'x"y z"'];
    const lines = [...new Set([...fixed, ...fc.sample(fc.string({ unit: fc.constantFrom(' ', '\t', '"', '\\', '`', '#', '<', 'a', 'b', '{x}', '\u0085', '\u00a0', '\u3000', '\ufeff'), minLength: 1, maxLength: 14 }), { numRuns: 400, seed: SEED })])];
    // Lines this module reads as plain arguments; the others (errors, continuations, braces) are covered below.
    const cases = lines.flatMap((line) => {
      const { tokens, continuedLine, error } = scan(`${line}\n`);
      const words = tokens.filter((t) => !t.comment);
      if (error || continuedLine || words.length === 0 || words.some((t) => t.text.includes('\n') || /^(\{|\}|\{\}|import)$/.test(t.text))) return [];
      return [{ line, words: words.map((t) => t.text) }];
    });
    expect(cases.length).toBeGreaterThan(50);
    const text = cases.map((c, i) => `s${i}.test {\n\tfile_server {\n\t\thide ${c.line}\n\t}\n}\n`).join('');
    const r = caddyAdapt(text);
    expect(r.status, r.stderr).toBe(0);
    cases.forEach((c, i) => {
      // file_server also hides the Caddyfile itself, last, unless a pattern already hides it.
      const hide: string[] = handlers(r.json, `s${i}.test`).find((h) => h.handler === 'file_server').hide;
      if (hide[hide.length - 1] === r.file) hide.pop();
      expect({ line: c.line, hide }).toEqual({ line: c.line, hide: c.words });
    });
  });

  it('keeps comments, raw text and lines', () => {
    expect(scan('respond "a # b" 200 # note\n\\"q"').tokens).toEqual([
      { text: 'respond', raw: 'respond', line: 1, quote: '', comment: false },
      { text: 'a # b', raw: '"a # b"', line: 1, quote: '"', comment: false },
      { text: '200', raw: '200', line: 1, quote: '', comment: false },
      { text: '', raw: '# note', line: 1, quote: '', comment: true },
      // `\"` at a token's start opens a quoted string whose escape is still pending, as in Caddy.
      { text: '\\q', raw: '\\"q"', line: 2, quote: '"', comment: false },
    ]);
    expect(lex('a "b').error).toMatch(/unterminated/);
    expect(scan('a \\\nb').continuedLine).toBe(true);
    expect(scan('respond "<<EOF"\n').error).toMatch(/heredoc/);
  });
});

describe('blockContentProblem: what a declaration may put inside a site block', () => {
  const evilFile = () => {
    const file = path.join(temp('evil'), 'evil.caddy');
    fs.writeFileSync(file, '}\n}\nevil.test {\n\trespond pwned\n}\nfiller.test {\n\theader {\n');
    return file;
  };
  // Each of these, placed raw in a site block, makes Caddy 2.6 serve another site.
  it.each([
    ['a quoted brace closes the site (Caddy 2.6 ignores the quotes)', () => '"}"\nevil.test {\n\trespond pwned\n}\nfiller.test "{"', {}],
    ['an import inside a nested block reads another file in', () => `header {\n\timport ${evilFile()}\n}`, {}],
    ['{$ENV} is replaced before the file is read', () => 'respond {$ATELIER_TEST_EVIL}', { ATELIER_TEST_EVIL: 'x\n}\nevil.test {\n\trespond pwned' }],
  ])('refuses what really escapes: %s', (_what, make, env) => {
    const extra = make();
    const naive = caddyAdapt(`site.test {\n\treverse_proxy localhost:1\n\n${extra}\n}\n`, env);
    expect(naive.status, naive.stderr).toBe(0);
    expect(hosts(naive.json)).toContain('evil.test');
    expect(blockContentProblem(extra)).not.toBeNull();
  });

  it.each([
    ['closing the site and opening another', '}\nevil.test {\n\treverse_proxy 10.0.0.1:80\n'],
    ['an unbalanced block', 'header {\n'],
    ['a brace glued to a word', 'header X}'],
    ['a brace glued before a word', 'header {X'],
    ['an import', 'import /etc/passwd'],
    ['a quoted import', '"import" /etc/caddy/other.caddy'],
    ['a snippet definition', '(snip) {\n}'],
    ['a multi-line quoted token', 'respond "a\n}\nevil.test {"'],
    ['an escaped quote opening a token', 'respond \\" {\n}\n" 200'],
    ['a heredoc', 'respond <<EOF\n}\nEOF 200'],
    ['a quoted heredoc opener', 'respond "<<X" 200'],
    ['backtick quotes', 'respond `a  b` 200'],
    ['a quote inside a word', 'respond a"b  c" 200'],
    ['a line continuation', 'respond a \\\n}'],
    ['an escaped space', 'respond a\\ b'],
    ['a `{` alone on a line', 'header\n{\nX a\n}'],
    ['a `{` before more tokens', 'header { X a\n}'],
    ['a `}` with more tokens', 'header {\nX a }'],
    ['a comment after a brace', 'header { # c\nX a\n}'],
    ['a next-line character between tokens', 'header {\nX a\u0085}'],
    ['a no-break space', 'encode\u00a0gzip'],
    ['a carriage return', 'encode gzip\r\n'],
    ['a NUL', 'encode\u0000gzip'],
    ['a bidi override', 'respond "\u202e" 200'],
  ])('refuses %s', (_what, extra) => {
    expect(blockContentProblem(extra)).not.toBeNull();
  });

  it.each([
    ['encode gzip'],
    ['header {\n  X-Frame-Options DENY\n  -Server\n}'],
    ['@api path /api/*\nhandle @api {\n\theader X-Api 1\n}'],
    ['respond /x "a # b }" 200 # a note'],
    ['path_regexp \\.php$\nheader X-Host {http.request.host}'],
    ['# only a comment'],
  ])('accepts %j', (extra) => {
    expect(blockContentProblem(extra)).toBeNull();
  });
});

describe('formatBlockContent: as caddy fmt prints it', () => {
  const word = fc.oneof(
    fc.constantFrom('a', 'X-A', '/p/*', '{http.request.host}', '{args[0]}', 'x{http.request.header.X-Key}y', '{a}{b}', '"a  b"', '"}"x', '"a # b"', '"{"', '""', '\\.php$', '#c', 'import', '`t`', '"x\\"y"', '{$E}', 'a}', '<<E'),
    fc.string({ unit: fc.constantFrom('a', '"', '\\', ' ', '#', '{', '}', '`'), minLength: 1, maxLength: 5 }),
  );
  const space = fc.constantFrom(' ', '  ', '\t', ' \t ');
  const indent = fc.constantFrom('', ' ', '\t', '    ', '\t\t');
  const args = fc.array(fc.tuple(space, word).map(([s, w]) => `${s}${w}`), { maxLength: 3 }).map((a) => a.join(''));
  const line = fc.oneof(
    args.map((a) => `header X-A${a}`),
    args.map((a) => `respond /r${a}`),
    fc.constant('header {'),
    fc.constant('}'),
    fc.constant(''),
    args.map((a) => `# note${a}`),
    fc.tuple(args, space).map(([a, s]) => `header X-B v${a}${s}# trailing`),
  );
  const content = fc.array(fc.tuple(indent, line, fc.constantFrom('', ' ', '\t')).map(([i, l, t]) => `${i}${l}${t}`), { minLength: 1, maxLength: 10 }).map((ls) => ls.join('\n'));

  it(`gives exactly what caddy fmt prints, and adapts to one site each (seed ${SEED})`, () => {
    const samples = [...new Set(fc.sample(content, { numRuns: 800, seed: SEED }))];
    const accepted = samples.filter((s) => s.trim() !== '' && blockContentProblem(s) === null);
    // Enough accepted samples for the check to mean something (about 40 on average; seeds vary).
    expect(accepted.length).toBeGreaterThan(10);
    expect(accepted.length).toBeLessThan(samples.length);
    const sites = accepted.map((s, i) => renderCaddyfile('', [[{ name: `s${i}.test`, block: [{ name: 'reverse_proxy', args: ['localhost:1'] }, { raw: ['', ...formatBlockContent(s)] }] }]]));
    const text = sites.join('\n');
    expect(caddyFmt(text)).toBe(text);
    // Each site adapted on its own: Caddy stops at the first error, and `respond` with arbitrary words is
    // refused by its own parser (harmless: inside the site). Every site Caddy reads serves its one host only,
    // and enough of them are read for that to mean something.
    let adapted = 0;
    sites.forEach((site, i) => {
      const r = caddyAdapt(site);
      if (r.status !== 0) {
        expect(r.stderr).not.toMatch(/evil|server block without any key|unrecognized directive: s\d+\.test|must be first/);
        return;
      }
      expect(hosts(r.json)).toEqual([`s${i}.test`]);
      adapted++;
    });
    console.log(`formatBlockContent: ${adapted} of ${accepted.length} accepted samples adapted by caddy, each to its one site (seed ${SEED})`);
    expect(adapted).toBeGreaterThanOrEqual(accepted.length / 2);
    for (const s of accepted) {
      // Re-indenting never changes what Caddy reads.
      expect(lex(formatBlockContent(s).join('\n')).tokens.map((t) => t.text)).toEqual(lex(s).tokens.map((t) => t.text));
    }
  });

  it('re-indents nested blocks with tabs, one blank line at most, none next to braces', () => {
    expect(formatBlockContent('\n\n  header   {\n\n      X-A   "b  c"  # keep  this\n\n\n  -Server\n\n }\n\n\nencode gzip\n\n')).toEqual([
      'header {',
      '\tX-A "b  c" # keep  this',
      '',
      '\t-Server',
      '}',
      '',
      'encode gzip',
    ]);
  });
});

describe('renderCaddyfile', () => {
  it('indents as caddy fmt does, quotes arguments, and keeps the global options block first', () => {
    const text = renderCaddyfile('# header\n', [
      [{ comment: 'why this block' }, { globalOptions: [{ name: 'servers', block: [{ name: 'trusted_proxies', args: ['static', '10.0.0.0/8'] }] }] }],
      [{ name: 'import', args: ['/etc/caddy/sites/a b.caddy'] }],
      [{ name: 'a.test', block: [{ name: 'tls', block: [{ name: 'dns', args: ['cloudflare', '{env.TOKEN}'] }] }, { comment: 'note' }, { name: 'respond', args: ['a "b"', '200'] }] }],
    ]);
    expect(text).toBe(
      '# header\n# why this block\n{\n\tservers {\n\t\ttrusted_proxies static 10.0.0.0/8\n\t}\n}\n\nimport "/etc/caddy/sites/a b.caddy"\n\na.test {\n\ttls {\n\t\tdns cloudflare {env.TOKEN}\n\t}\n\t# note\n\trespond "a \\"b\\"" 200\n}\n',
    );
    expect(caddyFmt(text)).toBe(text);
  });

  it('refuses a directive name that is not a plain word', () => {
    expect(() => renderCaddyfile('', [[{ name: 'a b' }]])).toThrow(UnsafeCaddyValue);
    expect(() => renderCaddyfile('', [[{ comment: 'a\nb' }]])).toThrow(UnsafeCaddyValue);
  });
});
