// The mutation run's preparation (vitest.mutation.config.ts): only what the
// tests Stryker runs need. The bundle, for the few tests that start the CLI as
// a process (they see no mutant; see docs/mutation.md), and the plugin-built
// Caddy and Pebble from the tests' cache (built once by test/setup/global.ts).
// No root file system: the booted-host tests are not part of the mutation run.
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { run } from '../support/process.js';
import { ensurePebble, ensurePluginCaddy } from './caddy-build.js';

const ROOT = path.resolve(__dirname, '../..');

export default async function setup(project: TestProject): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  const built = async (build: () => Promise<string>): Promise<[string | null, string | null]> => {
    try {
      return [await build(), null];
    } catch (err) {
      return [null, err instanceof Error ? err.message : String(err)];
    }
  };
  const [[pluginCaddy, pluginCaddyError], [pebble, pebbleError]] = await Promise.all([built(() => ensurePluginCaddy()), built(() => ensurePebble())]);
  project.provide('rootfs', null);
  project.provide('rootfsError', 'the mutation run does not boot hosts');
  project.provide('pluginCaddy', pluginCaddy);
  project.provide('pluginCaddyError', pluginCaddyError);
  project.provide('pebble', pebble);
  project.provide('pebbleError', pebbleError);
}
