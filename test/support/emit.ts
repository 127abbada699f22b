// Emitting a fixture (or declarations given as text) in-process, and writing
// the files into a temporary folder for the real programs to read.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { resolveDeclarations, type DeclarationText } from '../../src/declarations/resolve.js';
import { emitAll } from '../../src/emitters/index.js';
import type { Model } from '../../src/model.js';
import type { DesiredFile, EmittedFile } from '../../src/emitters/types.js';

const ROOT = path.resolve(__dirname, '../..');

export function fixtureTexts(name: string): DeclarationText[] {
  const dir = path.join(ROOT, 'fixtures', name);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.(ya?ml|toml|json)$/.test(f))
    .sort()
    .map((f) => ({ file: `fixtures/${name}/${f}`, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

export function modelOf(texts: DeclarationText[]): Model {
  const result = resolveDeclarations(texts);
  if (!result.model) throw new Error(`invalid declarations: ${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.model;
}

export function emitTexts(texts: DeclarationText[]): DesiredFile[] {
  const result = emitAll(modelOf(texts));
  if (result.diagnostics.length > 0) throw new Error(`emitters refused: ${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.files;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `atelier-${prefix}-`));
}

/** A temp-folder maker for one test file; every folder it made is removed after the file's tests. */
export function tempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  return (prefix) => {
    const d = tempDir(prefix);
    made.push(d);
    return d;
  };
}

/** Writes files under `dir` with their modes; returns `dir`. */
export function writeFiles(dir: string, files: readonly EmittedFile[]): string {
  for (const f of files) {
    const target = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: f.mode });
  }
  return dir;
}
