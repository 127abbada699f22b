// npm run mutate: StrykerJS over src/ with the tests of vitest.mutation.config.ts,
// then scripts/mutation-report.mjs writes docs/mutation.md.
// scripts/mutate.mjs runs it once per part of src/ (ATELIER_MUTATE_PART), each with its own files,
// and keeps each part's incremental file in mutation/<part>.json.gz.
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
  // Two cores: while the type checker still has mutants to check, one checker and one
  // test runner; then two test runners.
  concurrency: 2,
  // A mutant counts as detected when its tests run past netTime × timeoutFactor + timeoutMS.
  // Generous, so that a loaded machine (helpers, a test run beside it) does not pass a slow
  // survivor off as a hang: a real hang costs a minute.
  timeoutFactor: 3,
  timeoutMS: 60_000,
  // The first, unmutated run of the whole test set (about 5 minutes idle, more with a fresh module
  // graph per test file or on a busy machine) must not be mistaken for a hang: Stryker's default is 5.
  dryRunTimeoutMinutes: 30,
  // The results kept (mutation/<part>.json.gz) are the incremental file; the HTML report is for browsing.
  reporters: ['progress-append-only', 'html'],
  htmlReporter: { fileName: `reports/mutation/${part}.html` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
