// The bad-declaration corpus: each case under fixtures/bad/ must fail with exit
// code 2, name file:line:column of every problem, and write nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDeclarationFile } from '../src/declarations/load.js';
import { runCli } from './support/cli.js';

const BAD = path.resolve(__dirname, '../fixtures/bad');

interface Expectation {
  exit: number;
  /** [file, line, column (0: any), message fragment] */
  errors: [string, number, number, string][];
  hint?: string;
}

const cases = fs.readdirSync(BAD).sort();

describe('bad declarations', () => {
  it('has at least 15 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(cases)('%s', async (name) => {
    const dir = path.join(BAD, name);
    const expectation = JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expectation;
    const configs = fs.readdirSync(dir).filter((f) => isDeclarationFile(f) && f !== 'expect.json');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `atelier-bad-${name}-`));
    try {
      const result = await runCli([...configs.flatMap((c) => ['--config', c]), '--out', out], { cwd: dir });
      expect(result.code).toBe(expectation.exit);
      for (const [file, line, column, fragment] of expectation.errors) {
        const located = result.stderr.split('\n').filter((l) => l.startsWith(`${file}:${line}:${column === 0 ? '' : `${column}:`}`));
        expect(located.some((l) => l.includes(fragment)), `${file}:${line}:${column} ${fragment}\n--- stderr:\n${result.stderr}`).toBe(true);
      }
      if (expectation.hint) expect(result.stderr).toContain(`hint: ${expectation.hint}`);
      expect(result.stderr).toMatch(/\d+ errors?; nothing was written\.\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
      expect(fs.readdirSync(out)).toEqual([]);
      // `validate` runs every check an emit run does: the same problems, word for word.
      const validated = await runCli(['validate', ...configs.flatMap((c) => ['--config', c])], { cwd: dir });
      expect(validated.code).toBe(2);
      expect(validated.stderr.replace(/the declarations are invalid\.\n$/, '')).toBe(result.stderr.replace(/nothing was written\.\n$/, ''));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
