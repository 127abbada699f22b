// Declarations resolved in memory: a YAML text as a declaration file, and the
// model of valid ones or the diagnostics of invalid ones (each asserted to be so).
import { expect } from 'vitest';
import { resolveDeclarations, type DeclarationText } from '../../src/declarations/resolve.js';
import type { Model } from '../../src/model.js';

export const yaml = (text: string, file = 'atelier.yaml'): DeclarationText => ({ file, text });

export function model(...texts: DeclarationText[]): Model {
  const result = resolveDeclarations(texts);
  expect(result.diagnostics).toEqual([]);
  return result.model!;
}

export function errors(...texts: DeclarationText[]) {
  const result = resolveDeclarations(texts);
  expect(result.model).toBeNull();
  return result.diagnostics;
}
