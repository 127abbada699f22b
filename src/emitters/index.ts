// The emitter registry: the one place that knows which emitters exist.
import type { Diagnostic, Model } from '../model.js';
import { STATE_PATH } from '../state.js';
import { backupEmitter } from './backup/index.js';
import { caddyEmitter } from './caddy.js';
import { servicesManifest } from './manifest.js';
import { systemdEmitter } from './systemd.js';
import type { DesiredFile, EmittedFile, Emitter, EmitterName } from './types.js';

export const EMITTERS: readonly Emitter[] = [systemdEmitter, caddyEmitter, backupEmitter];
export const EMITTER_NAMES: readonly EmitterName[] = ['systemd', 'caddy', 'backup', 'manifest'];

export interface EmitAllResult {
  files: DesiredFile[];
  diagnostics: Diagnostic[];
}

/**
 * Runs every emitter (they are pure and cheap, and services.json lists all of
 * their files whatever `only` says), then keeps the files of the selected ones.
 */
export function emitAll(model: Model, only: readonly EmitterName[] = EMITTER_NAMES): EmitAllResult {
  const files: DesiredFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const emitter of EMITTERS) {
    const result = emitter.emit(model);
    diagnostics.push(...result.diagnostics);
    for (const file of result.files) files.push(desiredFile(file, emitter.name));
  }
  files.push(desiredFile(servicesManifest(model, files), 'manifest'));
  for (const file of files) assertSafePath(file.path);
  assertUnique(files);
  return { files: files.filter((f) => only.includes(f.emitter)), diagnostics };
}

/** An emitter bug must never become a write outside --out or over the state file. */
function assertSafePath(p: string): void {
  const parts = p.split('/');
  if (p.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..') || p === STATE_PATH) {
    throw new Error(`internal error: an emitter produced the unsafe path ${JSON.stringify(p)}`);
  }
}

function assertUnique(files: readonly DesiredFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`internal error: two emitters produced ${f.path}`);
    seen.add(f.path);
  }
}

/**
 * One literal of one shape for every file: a spread (`{ ...file, emitter }`)
 * of tens of thousands of objects gave each its own hidden class in V8 (36 MB at 10,000 services).
 */
function desiredFile(file: EmittedFile, emitter: EmitterName): DesiredFile {
  return { path: file.path, mode: file.mode, content: file.content, service: file.service, emitter };
}
