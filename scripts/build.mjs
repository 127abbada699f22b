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

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  // Debian 12 and Ubuntu 24.04 ship Node 18: the bundle must run there (the booted-host tests run it with Debian's nodejs).
  target: 'node18',
  format: 'esm',
  outfile: 'dist/atelier-emit.mjs',
  define: { __VERSION__: JSON.stringify(version) },
  // CommonJS dependencies (@iarna/toml) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  legalComments: 'none',
  // Whitespace and syntax only: about 10 ms less parsing at start-up; names are kept for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
