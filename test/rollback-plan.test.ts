// --rollback-on-failure: the plan that undoes a run, built from the run's own
// plan. Each kind of change is undone by its opposite, with the mode it had,
// and the record goes back to what it was, keeping both versions owned while
// the files are renamed back.
import { describe, expect, it } from 'vitest';
import type { Plan, PlannedFile } from '../src/plan.js';
import { reversePlan } from '../src/rollback.js';
import { emptyState, serializeState, sha256, type State } from '../src/state.js';

const entry = (content: string, mode = 0o644) => ({ sha256: sha256(content), mode, emitter: 'systemd' as const, service: 'web' });
const file = (f: Partial<PlannedFile> & Pick<PlannedFile, 'path' | 'action'>): PlannedFile => ({ current: null, desired: null, mode: 0o644, emitter: 'systemd', service: 'web', ...f });

function forward(files: PlannedFile[], before: State | null): Plan {
  const nextState: State = { files: { 'new.service': entry('new'), 'changed.service': entry('changed, new', 0o600), 'same.service': entry('same') } };
  return { outDir: '/out', files, stale: ['stale.conf'], nextState, aheadState: nextState, stateText: before ? serializeState(before) : null, pending: { daemonReload: true, restart: ['web.service'], reload: [] } };
}

const before: State = { files: { 'changed.service': entry('changed, old'), 'gone.service': entry('gone'), 'same.service': entry('same') } };
const files = [
  file({ path: 'new.service', action: 'create', desired: 'new', mode: 0o640 }),
  file({ path: 'changed.service', action: 'update', current: 'changed, old', currentMode: 0o644, desired: 'changed, new', mode: 0o600 }),
  file({ path: 'gone.service', action: 'delete', current: 'gone', mode: 0o644, service: 'old' }),
  file({ path: 'same.service', action: 'unchanged', current: 'same', desired: 'same' }),
  file({ path: 'theirs.conf', action: 'conflict', current: 'hand edit', desired: 'ours' }),
];

describe('the plan that rolls a run back', () => {
  // Built in each test, not once here: Stryker's per-test coverage credits only code run inside a test.
  const rolledBack = () => reversePlan(forward(files, before));

  it('undoes each change by its opposite and leaves the rest alone', () => {
    const back = rolledBack();
    expect(back.files).toEqual([
      { path: 'new.service', action: 'delete', current: 'new', currentMode: undefined, desired: null, mode: 0o640, emitter: 'systemd', service: 'web', reason: 'rolled back' },
      { path: 'changed.service', action: 'update', current: 'changed, new', currentMode: 0o600, desired: 'changed, old', mode: 0o644, emitter: 'systemd', service: 'web', reason: 'rolled back' },
      { path: 'gone.service', action: 'create', current: null, currentMode: undefined, desired: 'gone', mode: 0o644, emitter: 'systemd', service: 'old', reason: 'rolled back' },
    ]);
  });

  it('restores the record as it was, and records what it replaces as the run\'s', () => {
    const back = rolledBack();
    expect(back.nextState).toEqual(before);
    expect(back.stateText).toBe(serializeState(forward(files, before).nextState));
    expect(back.stale).toEqual([]);
    expect(back.pending).toBeNull();
    expect(back.outDir).toBe('/out');
  });

  it('keeps both versions owned while renaming back: the write-ahead record', () => {
    const back = rolledBack();
    // Every entry of both records; the file being put back also accepts the content it replaces.
    expect(Object.keys(back.aheadState.files).sort()).toEqual(['changed.service', 'gone.service', 'new.service', 'same.service']);
    expect(back.aheadState.files['changed.service']).toEqual({ ...before.files['changed.service'], previous: sha256('changed, new') });
    expect(back.aheadState.files['new.service']).toEqual(entry('new'));
    expect(back.aheadState.files['gone.service']).toEqual(before.files['gone.service']);
  });

  it('keeps the mode of an update when the old mode is unknown', () => {
    const r = reversePlan(forward([file({ path: 'changed.service', action: 'update', current: 'old', desired: 'new', mode: 0o600 })], before));
    expect(r.files[0]).toMatchObject({ mode: 0o600, currentMode: 0o600 });
  });

  it('uses the new record\'s entry for a file the old record did not own', () => {
    const r = reversePlan(forward([file({ path: 'changed.service', action: 'update', current: 'adopted', desired: 'changed, new', mode: 0o600 })], null));
    expect(r.nextState).toEqual(emptyState());
    expect(r.aheadState.files['changed.service']).toEqual({ ...entry('changed, new', 0o600), previous: sha256('changed, new') });
  });

  it('cannot put back what was never read: a delete or update of an unreadable file is left out', () => {
    const r = reversePlan(forward([file({ path: 'a', action: 'delete', current: null }), file({ path: 'b', action: 'update', current: null, desired: 'x' })], before));
    expect(r.files).toEqual([]);
  });

  it('starts from an empty record when the old one was damaged', () => {
    const plan = { ...forward(files, before), stateText: '{ damaged' };
    expect(reversePlan(plan).nextState).toEqual(emptyState());
  });
});
