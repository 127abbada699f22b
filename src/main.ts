// The bundle's entry: exports main() for bin/ and for tests, and runs it when
// the bundle itself is the program (`node atelier-emit.mjs …`, the one file to copy).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { main } from './cli.js';

export { main };

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  process.exitCode = await main(process.argv.slice(2));
}
