// The emitter registry (src/emitters/index.ts): which files `emitAll` hands to the planner for a
// selection of emitters, and the two refusals that keep an emitter bug from becoming a write
// outside --out, over the state file, or a file written twice. An emitter bug is stood in for by
// replacing the systemd emitter's output for one test (restored after it).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitAll, EMITTER_NAMES } from '../src/emitters/index.js';
import { SERVICES_MANIFEST_PATH } from '../src/emitters/manifest.js';
import { systemdEmitter } from '../src/emitters/systemd.js';
import type { DesiredFile, EmittedFile } from '../src/emitters/types.js';
import type { Model } from '../src/model.js';
import { STATE_PATH } from '../src/state.js';
import { makeModel, makeService } from './support/model-builders.js';

const model = (): Model =>
  makeModel([makeService('web', { data: { ...makeService('x').data, sqlite: '/var/lib/web/data/web.db' } }), makeService('api', { runtime: 'node' })]);

const paths = (files: readonly DesiredFile[]) => files.map((f) => f.path).sort();

describe('emitAll with a selection of emitters', () => {
  let all: DesiredFile[] = [];
  beforeEach(() => {
    all = emitAll(model()).files;
  });

  it('by default returns the files of every emitter, each marked with the emitter that made it', () => {
    expect([...new Set(all.map((f) => f.emitter))].sort()).toEqual([...EMITTER_NAMES].sort());
    expect(all.filter((f) => f.emitter === 'manifest').map((f) => f.path)).toEqual([SERVICES_MANIFEST_PATH]);
    expect(all.find((f) => f.path === 'systemd/system/web.service')!.emitter).toBe('systemd');
    expect(all.find((f) => f.path === 'caddy/sites/web.caddy')!.emitter).toBe('caddy');
  });

  it.each([['caddy'], ['systemd'], ['backup'], ['manifest']] as const)('with only %s, returns exactly the files of that emitter', (name) => {
    const only = emitAll(model(), [name]).files;
    expect(only.length).toBeGreaterThan(0);
    expect(only.every((f) => f.emitter === name)).toBe(true);
    expect(paths(only)).toEqual(paths(all.filter((f) => f.emitter === name)));
  });

  it('with only the manifest, the manifest still lists the files of every emitter', () => {
    const only = emitAll(model(), ['manifest']).files;
    expect(only.map((f) => f.path)).toEqual([SERVICES_MANIFEST_PATH]);
    expect(only[0].content).toBe(all.find((f) => f.path === SERVICES_MANIFEST_PATH)!.content);
  });
});

describe('emitAll refuses an emitter bug instead of handing it to the writer', () => {
  const emitting = (...extra: string[]) => {
    const real = systemdEmitter.emit.bind(systemdEmitter);
    vi.spyOn(systemdEmitter, 'emit').mockImplementation((m) => {
      const result = real(m);
      const files: EmittedFile[] = [...result.files, ...extra.map((p) => ({ path: p, mode: 0o644, content: 'x\n' }))];
      return { files, diagnostics: result.diagnostics };
    });
  };
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['an absolute path', '/etc/passwd'],
    ['an empty segment', 'systemd//system/x.service'],
    ['a trailing slash', 'systemd/system/'],
    ['a `.` segment', 'systemd/./system/x.service'],
    ['a `..` segment', 'systemd/system/../../../etc/shadow'],
    ['a lone `..`', '..'],
    ['the state file', STATE_PATH],
  ])('a path with %s (%s) is an internal error naming it', (_what, p) => {
    emitting(p);
    expect(() => emitAll(model())).toThrow(`internal error: an emitter produced the unsafe path ${JSON.stringify(p)}`);
  });

  it('a plain relative path is kept (the refusals are not a blanket one)', () => {
    emitting('systemd/system/extra.service');
    expect(emitAll(model()).files.find((f) => f.path === 'systemd/system/extra.service')).toMatchObject({ emitter: 'systemd', content: 'x\n' });
  });

  it('a path two emitters produce is an internal error naming it', () => {
    emitting('caddy/atelier.caddy');
    expect(() => emitAll(model())).toThrow('internal error: two emitters produced caddy/atelier.caddy');
  });

  it('a path one emitter produces twice is an internal error naming it', () => {
    emitting('systemd/system/twice.service', 'systemd/system/twice.service');
    expect(() => emitAll(model())).toThrow('internal error: two emitters produced systemd/system/twice.service');
  });

  it('a path the manifest itself uses is an internal error naming it', () => {
    emitting(SERVICES_MANIFEST_PATH);
    expect(() => emitAll(model())).toThrow(`internal error: two emitters produced ${SERVICES_MANIFEST_PATH}`);
  });
});
