// The bundle's entry: exports main() for bin/ and for tests that run the bundle.
export { main } from './cli.js';
