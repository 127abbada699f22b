// The test run's one preparation step, run by vitest before any worker starts:
// the bundle every process-level test runs, and (as root) the Debian root file
// system the booted-host tests boot. Everything here is awaited child
// processes, so nothing blocks; a failure to build the root file system is
// handed to the host tests, which fail with it (the other tests still run).
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';
import { run } from '../support/process.js';
import { ensureRootfs } from '../host/rootfs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built root file system, or null when it could not be built (see rootfsError). */
    rootfs: string | null;
    rootfsError: string | null;
  }
}

const ROOT = path.resolve(__dirname, '../..');

export default async function setup(project: TestProject): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT });
  const log = (line: string) => console.log(`[global set-up] ${line}`);
  let rootfs: string | null = null;
  let rootfsError: string | null = null;
  if (process.getuid?.() !== 0) rootfsError = 'the booted-host test needs root (systemd-nspawn)';
  else {
    const started = Date.now();
    try {
      rootfs = await ensureRootfs(log);
      log(`root file system ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${rootfs}`);
    } catch (err) {
      rootfsError = err instanceof Error ? err.message : String(err);
      log(`root file system NOT built: ${rootfsError}`);
    }
  }
  project.provide('rootfs', rootfs);
  project.provide('rootfsError', rootfsError);
}
