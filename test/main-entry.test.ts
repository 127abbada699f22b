// The bundle runs main() only when it is the program itself: `node atelier-emit.mjs`
// or a symlink to it (bin/, npm's .bin), never when another module imports it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { invokedDirectly } from '../src/main.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();

describe('the entry decides whether it is the program', () => {
  const dir = temp('entry');
  const bundle = path.join(dir, 'atelier-emit.mjs');
  fs.writeFileSync(bundle, '');
  const url = pathToFileURL(fs.realpathSync(bundle)).href;

  it('is, when run by its own path or through a symlink to it', () => {
    expect(invokedDirectly(bundle, url)).toBe(true);
    const link = path.join(dir, 'atelier-emit');
    fs.symlinkSync(bundle, link);
    expect(invokedDirectly(link, url)).toBe(true);
  });

  it('is not, when the program is another script, a missing path or none', () => {
    const other = path.join(dir, 'other.mjs');
    fs.writeFileSync(other, '');
    expect(invokedDirectly(other, url)).toBe(false);
    expect(invokedDirectly(path.join(dir, 'missing.mjs'), url)).toBe(false);
    expect(invokedDirectly(undefined, url)).toBe(false);
  });
});

describe('the entry run as the program', () => {
  it('runs main with the words after the script and leaves its exit status in process.exitCode', async () => {
    const saved = { argv: process.argv, exitCode: process.exitCode };
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    try {
      process.argv = [process.execPath, fileURLToPath(new URL('../src/main.ts', import.meta.url)), '--version'];
      process.exitCode = undefined;
      // A second instance of this one module (the query names it apart); what it imports stays loaded. Resetting
      // every module instead would run all of src/'s module-level code inside this test, which StrykerJS would
      // then credit to it (docs/mutation.md).
      const asTheProgram = '../src/main.js?as-the-program';
      await import(asTheProgram);
      expect(process.exitCode).toBe(0);
      // The version (0.0.0-dev from the sources, the package's in the bundle): the words reached main.
      expect(printed.join('')).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    } finally {
      write.mockRestore();
      process.argv = saved.argv;
      process.exitCode = saved.exitCode;
    }
  });
});
