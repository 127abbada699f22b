// What restic trims from an exclude-file line, for every white-space-like
// character (JavaScript's \s, Go's unicode.IsSpace, and the format characters
// either might be thought to include), asked of restic itself: a pattern ending
// or starting in the character must exclude exactly the file of that name.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { excludeLine, excludeProblem, isGoSpace } from '../src/formats/restic-patterns.js';
import { tempDirs } from './support/emit.js';
import { missingProgram, requirement, titled } from './support/oracles.js';

const temp = tempDirs();
const CANDIDATES = [
  0x09, 0x20, 0x85, 0xa0, 0x1680, 0x180e, ...Array.from({ length: 11 }, (_, i) => 0x2000 + i), 0x200b, 0x200c, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x2060, 0x3000, 0xfeff,
].map((c) => String.fromCodePoint(c));

const resticHere = requirement(missingProgram('restic', 'restic'));
describe.skipIf(resticHere.skip !== null)(titled('exclude lines, trimmed as restic trims them', resticHere), () => {
  beforeAll(resticHere.assert);
  it('every candidate at either end of a pattern excludes exactly its own file', () => {
    const root = temp('trim');
    const names = CANDIDATES.flatMap((c, i) => [`t${i}${c}`, `${c}l${i}`]);
    fs.mkdirSync(path.join(root, 'd'));
    for (const n of [...names, ...CANDIDATES.map((_, i) => `t${i}`), ...CANDIDATES.map((_, i) => `l${i}`)]) fs.writeFileSync(path.join(root, 'd', n), n);
    for (const n of names) expect(excludeProblem(n), JSON.stringify(n)).toBeNull();
    const file = path.join(root, 'exclude');
    fs.writeFileSync(file, `${names.map(excludeLine).join('\n')}\n`);
    const env = { ...process.env, RESTIC_REPOSITORY: path.join(root, 'repo'), RESTIC_PASSWORD: 'x', RESTIC_CACHE_DIR: path.join(root, 'cache') };
    execFileSync('restic', ['init', '-q'], { env });
    execFileSync('restic', ['backup', '-q', '--exclude-file', file, path.join(root, 'd')], { env });
    const kept = execFileSync('restic', ['ls', 'latest'], { env, encoding: 'utf8' })
      .split('\n')
      .filter((p) => p.startsWith(path.join(root, 'd/')))
      .map((p) => path.basename(p))
      .sort();
    // Only the names without the character are kept: no pattern lost its edge character to restic's trim.
    expect(kept).toEqual([...CANDIDATES.map((_, i) => `t${i}`), ...CANDIDATES.map((_, i) => `l${i}`)].sort());
  });

  it('the trim set is Go’s unicode.IsSpace: U+0085 in, U+FEFF and U+200B out', () => {
    expect(isGoSpace('\u0085')).toBe(true);
    expect(isGoSpace('\ufeff')).toBe(false);
    expect(isGoSpace('\u200b')).toBe(false);
  });
});
