// The test set Stryker runs against each mutant (npm run mutate; docs/mutation.md).
// Left out, so the score says what behaviour tests catch and what can see a mutant:
// - test/golden.test.ts: byte comparisons that `npm run golden:update` waves through;
// - test/host/**: boot a Debian under systemd-nspawn from the bundled dist/ (no mutant reaches it);
// - test/crash.test.ts, test/package.test.ts, test/cli-flags.test.ts: run only the bundle or the
//   package, as processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/golden.test.ts', 'test/host/**', 'test/crash.test.ts', 'test/package.test.ts', 'test/cli-flags.test.ts', '**/node_modules/**'],
    globalSetup: ['test/setup/mutation-global.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Stryker runs one test worker per process; between its runs the worker keeps src/'s
    // modules loaded instead of importing them again for every test file (half the time
    // of a run). Safe because mutants are switched at run time, not compiled in, and no
    // test mocks a module. scripts/mutate.mjs isolates the two modules whose caches would
    // keep a mutant's result (ATELIER_MUTATE_ISOLATE=1).
    isolate: process.env.ATELIER_MUTATE_ISOLATE === '1',
  },
});
