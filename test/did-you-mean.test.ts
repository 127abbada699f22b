// "Did you mean" ignores case: a key or placeholder written in another case
// (DATADIR, ${DATADIR}) is the likeliest typo of all, and the one a
// case-sensitive edit distance (6 here) would not suggest. Through the CLI's
// validate, which runs the emit run's own checks.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { closest } from '../src/declarations/suggest.js';
import { runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');

async function validate(yaml: string) {
  const r = await runCli(['validate', '--config', '-', '--json'], { cwd: ROOT, stdin: yaml });
  expect(r.code).toBe(2);
  return JSON.parse(r.stdout).errors as { line: number; column: number; message: string; hint?: string }[];
}

describe('did you mean, whatever the case', () => {
  it('an unknown key in capitals suggests the known key (DATADIR → dataDir, STARTCOMMAND → startCommand)', async () => {
    const errors = await validate('services:\n  app:\n    enable: true\n    runtime: custom\n    startCommand: sleep 1\n    DATADIR: /srv/app\n    STARTCOMMAND: sleep 2\n');
    expect(errors).toContainEqual(expect.objectContaining({ line: 6, column: 5, message: 'unknown key `DATADIR`', hint: 'did you mean `dataDir`?' }));
    expect(errors).toContainEqual(expect.objectContaining({ line: 7, column: 5, message: 'unknown key `STARTCOMMAND`', hint: 'did you mean `startCommand`?' }));
  });

  it('an unknown placeholder in capitals suggests the known one (${DATADIR} → ${dataDir})', async () => {
    const errors = await validate('services:\n  app:\n    enable: true\n    runtime: custom\n    startCommand: sleep 1\n    environment:\n      X: ${DATADIR}/x\n');
    expect(errors).toContainEqual(expect.objectContaining({ line: 7, hint: 'did you mean `${dataDir}`?' }));
  });
});

describe('the closest known name', () => {
  it('of two at the same distance, suggests the one listed first (the schema order), whichever it is', () => {
    expect(closest('dataDor', ['dataDir', 'dataDar'])).toBe('dataDir');
    expect(closest('dataDor', ['dataDar', 'dataDir'])).toBe('dataDar');
  });
});
