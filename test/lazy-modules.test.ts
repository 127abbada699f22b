// The bundle's lazily compiled dependencies (src/lazy.ts), in process: the bundle
// defines __LAZY_MODULES__ (scripts/build.mjs), which a test can define as well.
// vitest gives each test file its own module graph, so the cache starts empty here.
import { afterEach, describe, expect, it } from 'vitest';
import { lazyRequire } from '../src/lazy.js';

const globals = globalThis as { __LAZY_MODULES__?: Record<string, string>; compiledTimes?: number };

afterEach(() => {
  delete globals.__LAZY_MODULES__;
  delete globals.compiledTimes;
});

describe('lazily compiled modules, as the bundle carries them', () => {
  it('a module text is compiled on first use, once, as CommonJS with the bundle’s require', () => {
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

  it('a module that replaces module.exports is what callers get', () => {
    globals.__LAZY_MODULES__ = { diff: `module.exports = function diffLines() { return 'replaced'; };` };
    expect(lazyRequire<() => string>('diff')()).toBe('replaced');
  });

  it('from the sources (no bundle), a dependency comes from node_modules', () => {
    const toml = lazyRequire<{ parse: (text: string) => unknown }>('@iarna/toml');
    expect(toml.parse('a = 1')).toEqual({ a: 1 });
  });
});
