// The JSON report's fields a caller acts on (the Ansible collection, CI): changed
// for a damaged record alone, inSync for a tree that matches, each file's reason,
// each conflict's reason even when none was given, and the refusal counted in files.
import { describe, expect, it } from 'vitest';
import { jsonReport, refusal } from '../src/report.js';
import { planned, planOf } from './support/plans.js';

describe('the JSON report', () => {
  it('a tree that matches: not changed, in sync, no differences', () => {
    const report = jsonReport(planOf([planned({ action: 'unchanged', current: 'a\nb\n' })]));
    expect([report.changed, report.inSync, report.differences]).toEqual([false, true, []]);
  });

  it('a damaged record alone counts as a change (the run is refused), and is not in sync', () => {
    const report = jsonReport(planOf([planned({ action: 'unchanged', current: 'a\nb\n' })], { stateProblem: 'atelier/.state.json is damaged: not JSON; fix or remove it, or use --force' }));
    expect(report).toMatchObject({ changed: true, inSync: false, differences: ['state: atelier/.state.json is damaged: not JSON; fix or remove it, or use --force'] });
  });

  it("each file's reason is carried; a conflict without one has an empty reason", () => {
    const p = planOf([
      planned({ action: 'update', current: 'a\nb\n', mode: 0o640, reason: 'mode 0644 → 0640' }),
      planned({ path: 'caddy/sites/app.caddy', emitter: 'caddy', action: 'conflict', current: 'x\n', desired: 'y\n' }),
    ]);
    const report = jsonReport(p);
    expect(report.files).toEqual([
      { path: 'systemd/system/app.service', action: 'update', service: 'app', reason: 'mode 0644 → 0640' },
      { path: 'caddy/sites/app.caddy', action: 'conflict', service: 'app' },
    ]);
    expect(report.conflicts).toEqual([{ path: 'caddy/sites/app.caddy', reason: '' }]);
  });

  it('two conflicts refuse the run as two files', () => {
    const p = planOf([planned({ action: 'conflict', current: 'x\n' }), planned({ path: 'caddy/sites/app.caddy', action: 'conflict', current: 'y\n' })]);
    expect(refusal(p)).toBe('2 files would overwrite or delete what atelier-emit does not own; use --force to allow');
    expect(jsonReport(p).refused).toBe(refusal(p));
  });
});
