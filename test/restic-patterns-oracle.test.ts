// restic's exclude patterns (src/formats/restic-patterns.ts) against restic 0.14 itself:
// which patterns it refuses, and what each exclude file leaves out of a backup.
// One `restic backup --dry-run` a case, run one after another: restic reports what it
// would save, and the prediction is made in the same test (so a mutant of the
// prediction is seen by the test that runs it).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { excludeLine, excludeProblem, excludingPattern, globEscape } from '../src/formats/restic-patterns.js';
import { tempDirs } from './support/emit.js';
import { missingProgram, requirement, titled } from './support/oracles.js';

const temp = tempDirs();
const execFileAsync = promisify(execFile);

// Names chosen next to decoys: each case below excludes some and must keep the others.
const TREE = [
  'app.log', 'bpp.log', 'pp.log', 'keep.txt', 'node_modules/x.js', 'a/b/c', 'a/x', 'b/a/c', 'sub/cache/y', 'sub/z.txt', 'q/r/s/t', 'uu',
  '?', '-', ']', '[b]', 'star*', 'starx', 'st-ar', 'back\\slash', 'backslash', '$HOME', 'a$b', '#hash', 'tab\tin',
  ' lead', 'lead', 'trail ', 'trail', '  two', 'two  ', 'two', ' both ', 'both', '\u00a0nb\u00a0', 'nb', '\u3000w\u3000', 'w',
];

// Each case: patterns as declared ('/d/…' is anchored at the tree). The prediction
// (excludingPattern) must equal what restic leaves out.
const CASES: string[][] = [
  // Reading: trimmed ends kept, `$` and `#` taken literally.
  [' lead'], ['trail '], ['  two'], ['two  '], [' both '], ['\u00a0nb\u00a0'], ['\u3000w\u3000'], ['$HOME'], ['a$b'], ['#hash'], ['tab\tin'],
  // Cleaning: a trailing slash names the folder.
  ['cache'], ['cache/'], ['sub//cache//'], ['node_modules'],
  // `**` spans any number of components, anchored or floating.
  ['/d/**/y'], ['/d/**'], ['sub/**/y'], ['a/**/c'], ['**/c'], ['**/z.txt'], ['/**/t'],
  // A component of only glob characters; patterns longer than the path they are tried on.
  ['sub/*'], ['u*/*'], ['/d/a/*'], ['*.log'], ['/d/q/r'], ['q/r/s'], ['/d/keep.txt'], ['sub/cache'],
  // Single characters and classes: negation, one character, several, ranges, escapes, a reversed range.
  ['?pp.log'], ['a/?'], ['[^a]pp.log'], ['st[^x]ar'], ['[a]pp.log'], ['[ba]pp.log'], ['[a-c]pp.log'], ['[a-a]pp.log'], ['[z-a]pp.log'],
  ['[\\]]'], ['[\\-]'], ['\\[b]'], ['star\\*'], ['back\\\\slash'],
  // Negation: the last match wins; a negation alone excludes nothing.
  ['*.log', '!app.log'], ['*.txt', '!keep.txt'], ['!keep.txt'], ['a', '!a'],
];

// Paths that must each exclude exactly themselves (with what lies under them), written by globEscape.
const LITERAL = ['star*', '[b]', '?', 'back\\slash', 'a$b'];

// Patterns whose reading restic refuses or accepts: classes, escapes, ranges (Go's filepath.Match).
const SYNTAX = [
  'a/[', '[]', '[]a]', '[-]', '[a-]', '[-a]', '[^]', '[^-]', '[^a]', '[a]', '[\\]]', '[\\-]', '[\\', '[a\\]', '[a\\', 'x\\', '\\', '\\\\', '\\*',
  '[a-b-c]', '[a-\\b]', '[\\a-c]', '[]-a]', '[!]', '[^^]', '[[]', '[*]', 'a[b', 'a]b', '*[', '?[', '!b[', '!\\', '**/[', 'a/**/\\', '[z-a]', '[a-a]',
];

/** A seeded generator (mulberry32): the same patterns every run, many shapes no list would think of. */
function generatedPatterns(seed: number, count: number): string[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const alphabet = ['a', 'b', '-', '^', ']', '[', '\\', '*', '?', '/'];
  const out = new Set<string>();
  while (out.size < count) {
    const length = 1 + Math.floor(next() * 6);
    const p = Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    out.add(next() < 0.1 ? `!${p}` : p);
  }
  return [...out];
}

const resticHere = requirement(missingProgram('restic', 'restic'));
describe.skipIf(resticHere.skip !== null)(titled('exclude patterns, as restic 0.14 reads and applies them (asked of restic)', resticHere), () => {
  let root: string;
  let tree: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    resticHere.assert();
    root = temp('restic-oracle');
    tree = path.join(root, 'd');
    for (const f of TREE) {
      fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
      fs.writeFileSync(path.join(tree, f), f);
    }
    env = { ...process.env, RESTIC_REPOSITORY: path.join(root, 'repo'), RESTIC_PASSWORD: 'x', RESTIC_CACHE_DIR: path.join(root, 'cache') };
    await execFileAsync('restic', ['init', '-q'], { env });
  });

  /** What restic would save of the tree with these exclude-file lines (a dry run), or its refusal. */
  async function resticKeeps(lines: string[]): Promise<{ kept: string[] } | { refused: string }> {
    const file = path.join(root, 'exclude');
    fs.writeFileSync(file, `# header with $HOME and a \\ backslash\n${lines.join('\n')}\n`);
    try {
      const { stdout } = await execFileAsync('restic', ['backup', '--dry-run', '-vv', '--json', '--exclude-file', file, tree], { env, maxBuffer: 1 << 24 });
      const items = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { message_type: string; action?: string; item?: string })
        .filter((m) => m.message_type === 'verbose_status' && m.action === 'new')
        .map((m) => m.item!.replace(/\/$/, ''));
      return { kept: items.filter((p) => p === tree || p.startsWith(`${tree}/`)).sort() };
    } catch (err) {
      return { refused: String((err as { stderr?: string }).stderr ?? err) };
    }
  }

  /** Every path of the tree (and the tree itself). */
  const everything = () => [...new Set(['', ...TREE.flatMap((f) => f.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')))])].map((p) => (p === '' ? tree : path.join(tree, p)));

  /** restic checks every item on its way down: kept when neither it nor a folder above it (up to the tree) is excluded. */
  const predictedKept = (patterns: string[]) =>
    everything()
      .filter((p) => {
        const chain = [tree, ...path.relative(tree, p).split('/').filter(Boolean).map((_, i, parts) => path.join(tree, ...parts.slice(0, i + 1)))];
        return chain.every((c) => excludingPattern(patterns, c) === null);
      })
      .sort();

  it.each(CASES.map((c) => [c]))('%j excludes what restic excludes', async (declared) => {
    const patterns = declared.map((p) => (p.startsWith('/d/') ? path.join(root, p) : p));
    for (const p of patterns) expect(excludeProblem(p), JSON.stringify(p)).toBeNull();
    const restic = await resticKeeps(patterns.map(excludeLine));
    expect(restic).toEqual({ kept: predictedKept(patterns) });
  });

  it.each(LITERAL)('globEscape of the path %j excludes exactly that path', async (name) => {
    const target = path.join(tree, name);
    const pattern = globEscape(target);
    const restic = await resticKeeps([excludeLine(pattern)]);
    expect(restic).toEqual({ kept: everything().filter((p) => p !== target).sort() });
    expect(predictedKept([pattern])).toEqual(everything().filter((p) => p !== target).sort());
  });

  it('the patterns restic refuses are exactly those called invalid (written and 400 generated)', async () => {
    const candidates = [...new Set([...SYNTAX, ...generatedPatterns(20261201, 400)])];
    const restic = await resticKeeps(candidates);
    const refusedByRestic =
      'refused' in restic
        ? restic.refused
            .split('\n')
            .slice(restic.refused.split('\n').findIndex((l) => l.includes('invalid pattern(s) provided')) + 1)
            .filter((l) => l !== '')
        : [];
    const invalid = candidates.filter((p) => excludeProblem(p) !== null);
    expect(invalid.length).toBeGreaterThan(50);
    expect(invalid.length).toBeLessThan(candidates.length - 50);
    expect([...new Set(refusedByRestic)].sort()).toEqual(invalid.sort());
    for (const p of invalid) expect(excludeProblem(p)).toBe('is not a valid restic pattern (an unclosed `[` or a trailing `\\`)');
  });
});

describe('exclude patterns refused before restic sees them', () => {
  it.each([
    ['', 'must not be empty'],
    ['   ', 'must not be empty'],
    ['\u3000', 'must not be empty'],
    ['!', 'must not be empty'],
    [' ! ', 'must not be empty'],
    ['a\\ ', 'must not end with a backslash followed by white space'],
    ['a\\\u00a0', 'must not end with a backslash followed by white space'],
    ['a\nb', 'must be one line without control characters (the exclude file holds one pattern a line)'],
  ])('%j: %s', (pattern, problem) => {
    expect(excludeProblem(pattern)).toBe(problem);
  });

  it.each(['a\\b ', ' \\a', 'a\\\\', '\\ a'])('%j is read as written (a backslash not before the trimmed end)', (pattern) => {
    expect(excludeProblem(pattern)).toBeNull();
  });
});
