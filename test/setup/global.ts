// The test run's one preparation step, run by vitest before any worker starts:
// the bundle every process-level test runs, (as root) the Debian root file
// system the booted-host tests boot, and, in parallel, the plugin-built Caddy
// and Pebble (test/setup/caddy-build.ts). Everything here is awaited child
// processes, so nothing blocks; a failure to build is handed to the tests
// that need the result, which fail with it (the other tests still run).
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { run } from '../support/process.js';
import { ensureRootfs } from '../host/rootfs.js';
import { ensurePebble, ensurePluginCaddy } from './caddy-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built root file system, or null when it could not be built (see rootfsError). */
    rootfs: string | null;
    rootfsError: string | null;
    /** The Caddy built with the plugins, or null when it could not be built (see pluginCaddyError). */
    pluginCaddy: string | null;
    pluginCaddyError: string | null;
    /** Pebble, the local ACME CA, or null (see pebbleError). */
    pebble: string | null;
    pebbleError: string | null;
  }
}

const ROOT = path.resolve(__dirname, '../..');

export default async function setup(project: TestProject): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  const log = (line: string) => console.log(`[global set-up] ${line}`);
  const timed = async (what: string, build: () => Promise<string>): Promise<[string | null, string | null]> => {
    const started = Date.now();
    try {
      const built = await build();
      log(`${what} ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${built}`);
      return [built, null];
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`${what} NOT built: ${message}`);
      return [null, message];
    }
  };
  const [[rootfs, rootfsError], [pluginCaddy, pluginCaddyError], [pebble, pebbleError]] = await Promise.all([
    process.getuid?.() !== 0
      ? Promise.resolve<[null, string]>([null, 'the booted-host test needs root (systemd-nspawn)'])
      : timed('root file system', () => ensureRootfs(log)),
    timed('plugin-built Caddy', () => ensurePluginCaddy(log)),
    timed('Pebble', () => ensurePebble(log)),
  ]);
  project.provide('rootfs', rootfs);
  project.provide('rootfsError', rootfsError);
  project.provide('pluginCaddy', pluginCaddy);
  project.provide('pluginCaddyError', pluginCaddyError);
  project.provide('pebble', pebble);
  project.provide('pebbleError', pebbleError);
}
