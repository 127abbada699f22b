// Only a file directly under systemd/system/ is a unit: a file elsewhere whose
// name ends in .service or .timer (a copy, a record of an older layout) is
// neither started, restarted, stopped nor kept running by --apply.
import { describe, expect, it } from 'vitest';
import { activationOf } from '../src/activation.js';
import type { Action, Plan, PlannedFile } from '../src/plan.js';
import { emptyState } from '../src/state.js';

const f = (path: string, action: Action): PlannedFile => ({ path, action, current: action === 'create' ? null : 'old', desired: action === 'delete' ? null : 'new', mode: 0o644, emitter: 'systemd' });
const plan = (files: PlannedFile[]): Plan => ({ outDir: '/out', files, stale: [], nextState: emptyState(), aheadState: emptyState(), pending: null });

describe('what is a unit', () => {
  it('a .service or .timer file outside systemd/system/ is no unit', () => {
    const a = activationOf(plan([
      f('atelier/units/web.service', 'create'),
      f('atelier/units/app.service', 'update'),
      f('atelier/units/job.timer', 'delete'),
      f('atelier/units/db.service', 'unchanged'),
    ]));
    expect(a).toMatchObject({ daemonReload: false, start: [], restart: [], stop: [], ensure: [], reload: [] });
  });
});
