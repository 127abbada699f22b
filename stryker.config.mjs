// npm run mutate: StrykerJS over src/ with the tests of vitest.mutation.config.ts,
// then scripts/mutation-report.mjs writes docs/mutation.md.
// scripts/mutate.mjs runs it once per part of src/ (ATELIER_MUTATE_PART), each with its own files.
const part = process.env.ATELIER_MUTATE_PART ?? 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: ['src/**/*.ts'],
  coverageAnalysis: 'perTest',
  // Mutants in module-level code run the whole suite each; leaving them out keeps a run in hours, not a day.
  ignoreStatic: true,
  // Results of unchanged code and tests are reused: a re-run costs the mutants of what changed.
  incremental: true,
  incrementalFile: `reports/mutation/${part}.incremental.json`,
  // Two cores, shared.
  concurrency: 2,
  timeoutMS: 20_000,
  reporters: ['progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${part}.json` },
  htmlReporter: { fileName: `reports/mutation/${part}.html` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
