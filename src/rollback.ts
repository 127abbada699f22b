// `--rollback-on-failure`: the plan that puts back the files a run replaced,
// created or deleted, with the ownership record as it was. The forward plan
// holds every previous content (it was read to diff against), so nothing but
// the plan is needed; the record's write-ahead entries keep both versions owned
// while the files are renamed back.
import type { Plan, PlannedFile } from './plan.js';
import { emptyState, parseState, serializeState, sha256, type State } from './state.js';

export function reversePlan(plan: Plan): Plan {
  const parsed = plan.stateText ? parseState(plan.stateText) : emptyState();
  const previous: State = 'error' in parsed ? emptyState() : parsed;
  const files: PlannedFile[] = [];
  const ahead: State = { files: { ...previous.files, ...plan.nextState.files } };
  // Only created, deleted and updated files have a way back; the rest are left as they are.
  for (const f of plan.files) {
    const back = (action: PlannedFile['action'], current: string | null, desired: string | null, mode: number, currentMode?: number): PlannedFile => ({
      path: f.path,
      action,
      current,
      currentMode,
      desired,
      mode,
      emitter: f.emitter,
      service: f.service,
      reason: 'rolled back',
    });
    if (f.action === 'create') files.push(back('delete', f.desired, null, f.mode));
    else if (f.action === 'delete' && f.current !== null) files.push(back('create', null, f.current, f.mode));
    else if (f.action === 'update' && f.current !== null) {
      files.push(back('update', f.desired, f.current, f.currentMode ?? f.mode, f.mode));
      const entry = previous.files[f.path] ?? plan.nextState.files[f.path];
      if (entry && f.desired !== null) ahead.files[f.path] = { ...entry, previous: sha256(f.desired) };
    }
  }
  return {
    outDir: plan.outDir,
    files,
    stale: [],
    nextState: previous,
    aheadState: ahead,
    stateText: serializeState(plan.nextState),
    pending: null,
  };
}
