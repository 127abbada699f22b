// The bundle's lazily compiled dependencies (src/lazy.ts), in process: the bundle
// defines __LAZY_MODULES__ (scripts/build.mjs), which a test can define as well.
import { afterEach, describe, expect, it } from 'vitest';
import type { lazyRequire as LazyRequire } from '../src/lazy.js';

/**
 * A new instance of the module, with an empty cache, whatever other test files
 * loaded before (the mutation run keeps modules between files): the query names it apart.
 */
let instances = 0;
async function freshLazy(): Promise<typeof LazyRequire> {
  const specifier = `../src/lazy.js?instance=${++instances}`;
  return ((await import(specifier)) as { lazyRequire: typeof LazyRequire }).lazyRequire;
}

const globals = globalThis as { __LAZY_MODULES__?: Record<string, string>; compiledTimes?: number };

afterEach(() => {
  delete globals.__LAZY_MODULES__;
  delete globals.compiledTimes;
});

describe('lazily compiled modules, as the bundle carries them', () => {
  it('a module text is compiled on first use, once, as CommonJS with the bundle’s require', async () => {
    const lazyRequire = await freshLazy();
    globals.compiledTimes = 0;
    globals.__LAZY_MODULES__ = {
      ini: `globalThis.compiledTimes++; exports.viaExports = true; module.exports.sep = require('node:path').sep;`,
    };
    expect(globals.compiledTimes).toBe(0);
    const first = lazyRequire<{ viaExports: boolean; sep: string }>('ini');
    expect(first).toEqual({ viaExports: true, sep: '/' });
    const second = lazyRequire<{ viaExports: boolean; sep: string }>('ini');
    expect(second).toBe(first);
    expect(globals.compiledTimes).toBe(1);
  });

  it('a module that replaces module.exports is what callers get', async () => {
    const lazyRequire = await freshLazy();
    globals.__LAZY_MODULES__ = { diff: `module.exports = function diffLines() { return 'replaced'; };` };
    expect(lazyRequire<() => string>('diff')()).toBe('replaced');
  });

  it('from the sources (no bundle), a dependency comes from node_modules', async () => {
    const lazyRequire = await freshLazy();
    const toml = lazyRequire<{ parse: (text: string) => unknown }>('@iarna/toml');
    expect(toml.parse('a = 1')).toEqual({ a: 1 });
  });
});
