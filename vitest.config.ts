import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Host tests boot a container: they get their own long timeouts inside.
    testTimeout: 30_000,
    pool: 'forks',
  },
});
