import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { excludeLine, excludingPattern } from '../src/formats/restic-patterns.js';
import { tempDirs } from './support/emit.js';
import { missingProgram, requirement, titled } from './support/oracles.js';

const temp = tempDirs();
const execFileAsync = promisify(execFile);

// restic's reading of exclude files and its pattern matching, with restic as the oracle.
const resticHere = requirement(missingProgram('restic', 'restic'));
describe.skipIf(resticHere.skip !== null)(titled('exclude patterns, as restic 0.14 reads and applies them', resticHere), () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const tree = ['app.log', 'keep.txt', 'node_modules/x.js', 'sub/cache/y', 'sub/z.txt', '$HOME', '#hash', ' lead', 'trail ', 'star*', 'st-ar', '[b]', 'back\\slash', 'a$b', 'tab\tin'];

  beforeAll(() => {
    resticHere.assert();
    root = temp('bk-patterns');
    for (const f of tree) {
      fs.mkdirSync(path.dirname(path.join(root, 'd', f)), { recursive: true });
      fs.writeFileSync(path.join(root, 'd', f), f);
    }
    env = { ...process.env, RESTIC_REPOSITORY: path.join(root, 'repo'), RESTIC_PASSWORD: 'x', RESTIC_CACHE_DIR: path.join(root, 'cache') };
    execFileSync('restic', ['init', '-q'], { env });
  });

  /** Every path under d/ (and d/ itself). */
  const everything = () => [...new Set(['', ...tree.flatMap((f) => f.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')))])].map((p) => path.join(root, 'd', p).replace(/\/$/, ''));

  // Concurrent (restic's key derivation makes each call slow), one snapshot host per case.
  it.concurrent.each([
    [['*.log']], [['node_modules']], [['cache']], [['$HOME']], [['#hash']], [[' lead']], [['trail ']], [['star\\*']], [['st[^x]ar']], [['\\[b]']],
    [['back\\\\slash']], [['a$b']], [['tab\tin']], [['sub/cache']], [['**/z.txt']], [['/d/keep.txt']], [['*.txt', '!keep.txt']], [['!keep.txt']], [['[a-c]pp.log']], [['[z-a]pp.log']],
  ])('%j', async (patterns) => {
    const anchored = patterns.map((p) => (p.startsWith('/d/') ? path.join(root, p) : p));
    const host = `case-${Buffer.from(JSON.stringify(patterns)).toString('hex')}`;
    const file = path.join(root, `${host}.exclude`);
    fs.writeFileSync(file, `# header with $HOME and a \\ backslash\n${anchored.map(excludeLine).join('\n')}\n`);
    const { stdout } = await execFileAsync('restic', ['backup', '-q', '--host', host, '--exclude-file', file, path.join(root, 'd')], { env });
    expect(stdout).toBe('');
    const listing = await execFileAsync('restic', ['ls', 'latest', '--host', host], { env });
    const kept = listing.stdout.split('\n').slice(1).filter((p) => p.startsWith(path.join(root, 'd')));
    // restic checks every item on its way down: kept when neither it nor a folder between it and the target is excluded.
    const predicted = everything().filter((p) => {
      const rel = path.relative(path.join(root, 'd'), p);
      const chain = ['', ...(rel === '' ? [] : rel.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')))].map((x) => path.join(root, 'd', x).replace(/\/$/, ''));
      return chain.every((c) => excludingPattern(anchored, c) === null);
    });
    expect(kept.sort()).toEqual(predicted.sort());
  });
});
