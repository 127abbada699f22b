import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the bundle and the booted host's root file system once, before any worker starts.
    globalSetup: ['test/setup/global.ts'],
    // Bounds against a hang, not speed targets: they must hold on a 2-core
    // machine whose cores are busy with other work (speed is measured by
    // `npm run bench`). Tests that boot a host or wait for a service set
    // their own, larger bounds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
