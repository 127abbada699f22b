#!/usr/bin/env node
// Thin entry: everything else is importable and testable without a process.
import { main } from '../dist/atelier-emit.mjs';

process.exitCode = await main(process.argv.slice(2));
