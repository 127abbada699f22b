// The bundle's entry: exports main() for bin/ and for tests, and runs it when
// the bundle itself is the program (`node atelier-emit.mjs …`, the one file to copy).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { main } from './cli.js';

export { main };

/** Whether `script` (process.argv[1]) is this module itself, reached through any symlink (bin/, npm's .bin). */
export function invokedDirectly(script: string | undefined, moduleUrl: string): boolean {
  try {
    // realpathSync refuses undefined as it refuses a path that does not exist: then this is not the program.
    return moduleUrl === pathToFileURL(realpathSync(script as string)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly(process.argv[1], import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
