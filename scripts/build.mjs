// Bundles the CLI into one file that runs with nothing but Node ≥ 18.19 (dist/atelier-emit.mjs).
// Also npm's `prepare`: `npm pack` and installs from a clone or a git URL build the bundle
// first, and fail here, loudly, when they cannot (never a package without dist/).
import { readFileSync } from 'node:fs';

let build;
try {
  ({ build } = await import('esbuild'));
} catch (err) {
  console.error(`atelier-emit: cannot build dist/atelier-emit.mjs: esbuild is not installed (${err.code ?? err.message}). Run \`npm ci\` first (it installs the dev dependencies), then \`npm run build\`.`);
  process.exit(1);
}

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Dependencies most runs never call (src/lazy.ts): each is bundled apart as CommonJS text,
// kept as a string in the one file and compiled on first use, not at every start.
const LAZY = ['yaml', '@iarna/toml', 'diff', 'ini'];
const lazyModules = {};
for (const name of LAZY) {
  const result = await build({
    stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: new URL('..', import.meta.url).pathname },
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    write: false,
    legalComments: 'none',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
  lazyModules[name] = result.outputFiles[0].text;
}

/**
 * Node's built-ins through the bundle's CommonJS `require`: an ESM `import` of one
 * builds a facade that reads every export (fs's streams and all), at every start.
 */
const builtinsAsCommonJs = {
  name: 'builtins-as-commonjs',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  // Debian 12 and Ubuntu 24.04 ship Node 18: the bundle must run there (the booted-host tests run it with Debian's nodejs).
  target: 'node18',
  format: 'esm',
  outfile: 'dist/atelier-emit.mjs',
  define: { __VERSION__: JSON.stringify(version), __LAZY_MODULES__: JSON.stringify(lazyModules) },
  plugins: [builtinsAsCommonJs],
  // CommonJS dependencies (@iarna/toml) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'none',
  // Whitespace and syntax only: about 10 ms less parsing at start-up; names are kept for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
