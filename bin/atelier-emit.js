#!/usr/bin/env node
// Thin entry: everything else is importable and testable without a process.
let main;
try {
  ({ main } = await import('../dist/atelier-emit.mjs'));
} catch (err) {
  // A copy that was never built (a clone without `npm run build`): one sentence, not a stack trace.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('atelier-emit.mjs')) throw err;
  process.stderr.write('atelier-emit: dist/atelier-emit.mjs is missing: this copy was not built (run `npm ci && npm run build` in it)\n');
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2));
