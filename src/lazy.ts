// Dependencies most runs never call, loaded on first use. Compiling them at
// start-up was a third of the bundle's load time, which is most of what a small
// run costs beyond Node's own start. scripts/build.mjs bundles each one apart as
// CommonJS text inside the one file (no second file to copy); it is compiled only
// when first asked for. From the sources (vitest), they come from node_modules.
export type LazyName = 'yaml' | '@iarna/toml' | 'diff' | 'ini';

declare const __LAZY_MODULES__: Record<LazyName, string> | undefined;

const loaded = new Map<LazyName, unknown>();

export function lazyRequire<T>(name: LazyName): T {
  let exports = loaded.get(name);
  if (exports === undefined) {
    if (typeof __LAZY_MODULES__ === 'undefined') exports = require(name);
    else {
      const module = { exports: {} as unknown };
      // The bundle's own `require` (its banner) gives these modules Node's built-ins.
      new Function('module', 'exports', 'require', __LAZY_MODULES__[name])(module, module.exports, require);
      exports = module.exports;
    }
    loaded.set(name, exports);
  }
  return exports as T;
}
