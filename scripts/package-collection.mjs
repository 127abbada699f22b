// npm run package:collection → dist/atelier-emit-<version>.tar.gz: the tarball
// `ansible-galaxy collection build` makes, with the collection's version set to
// package.json's first, so the CLI and the collection are released together.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const collection = path.join(ROOT, 'ansible_collections/atelier/emit');
const galaxy = path.join(collection, 'galaxy.yml');
const text = fs.readFileSync(galaxy, 'utf8');
const versioned = text.replace(/^version: .*$/m, `version: ${version}`);
if (versioned !== text) fs.writeFileSync(galaxy, versioned);
fs.mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
execFileSync('ansible-galaxy', ['collection', 'build', '--force', '--output-path', path.join(ROOT, 'dist'), collection], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`dist/atelier-emit-${version}.tar.gz`);
