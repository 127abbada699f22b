// What a plan means for the running host (activationOf), rule by rule, on
// hand-made plans: which units start, restart, reload, stop or must be
// running, what an unfinished earlier run adds, and how the plans say it.
import { describe, expect, it } from 'vitest';
import { activationOf, CADDY_UNIT, describeActivation, isLongRunning, pendingOf } from '../src/activation.js';
import { emptyPending, type Pending } from '../src/pending.js';
import type { Action, Plan, PlannedFile } from '../src/plan.js';
import { emptyState } from '../src/state.js';

const f = (path: string, action: Action): PlannedFile => ({ path, action, current: action === 'create' ? null : 'old', desired: action === 'delete' ? null : 'new', mode: 0o644, emitter: 'systemd' });
const plan = (files: PlannedFile[], pending: Pending | null = null): Plan => ({ outDir: '/out', files, stale: [], nextState: emptyState(), aheadState: emptyState(), pending });

describe('which units a plan starts, restarts, stops and keeps running', () => {
  it('a new service starts, a changed one restarts, a deleted one stops; one-shot jobs and drop-ins are never started', () => {
    const a = activationOf(plan([
      f('systemd/system/new.service', 'create'),
      f('systemd/system/changed.service', 'update'),
      f('systemd/system/gone.service', 'delete'),
      f('systemd/system/same.service', 'unchanged'),
      f('systemd/system/atelier-backup-x.service', 'create'),
      f('systemd/system/atelier-backup-x.timer', 'create'),
      f('systemd/system/new.service.d/override.conf', 'create'),
      f('systemd/system/theirs.service', 'conflict'),
    ]));
    expect(a.start).toEqual(['new.service', 'atelier-backup-x.timer']);
    expect(a.restart).toEqual(['changed.service']);
    expect(a.stop).toEqual(['gone.service']);
    expect(a.ensure).toEqual(['atelier-backup-x.timer', 'changed.service', 'new.service', 'same.service']);
    expect(a.daemonReload).toBe(true);
    expect(a.reload).toEqual([]);
  });

  it('users and folders are made sure of from every declared file, not deleted or conflicting ones', () => {
    const a = activationOf(plan([f('sysusers.d/a.conf', 'unchanged'), f('sysusers.d/b.conf', 'delete'), f('tmpfiles.d/a.conf', 'create'), f('tmpfiles.d/c.conf', 'conflict'), f('x/sysusers.d/d.conf', 'create')]));
    expect(a.sysusers).toEqual(['sysusers.d/a.conf']);
    expect(a.tmpfiles).toEqual(['tmpfiles.d/a.conf']);
    expect(a.daemonReload).toBe(false);
  });

  it('no daemon-reload when no unit file changed, unless an unfinished run owes one', () => {
    expect(activationOf(plan([f('systemd/system/a.service', 'unchanged'), f('caddy/sites/a.caddy', 'update')])).daemonReload).toBe(false);
    expect(activationOf(plan([f('systemd/system/a.service', 'unchanged')], { ...emptyPending(), daemonReload: true })).daemonReload).toBe(true);
  });

  it('Caddy: a changed site reloads it; a changed drop-in (its token) restarts it instead; it must run while sites are declared', () => {
    const site = activationOf(plan([f('caddy/sites/a.caddy', 'update')]));
    expect(site.reload).toEqual([CADDY_UNIT]);
    expect(site.restart).toEqual([]);
    expect(site.ensure).toEqual([CADDY_UNIT]);
    const token = activationOf(plan([f('caddy/sites/a.caddy', 'update'), f('systemd/system/caddy.service.d/token.conf', 'update')]));
    expect(token.restart).toEqual([CADDY_UNIT]);
    expect(token.reload).toEqual([]);
    // The last site deleted: nothing to reload, and Caddy is not ensured.
    const none = activationOf(plan([f('caddy/sites/a.caddy', 'delete')]));
    expect(none.reload).toEqual([]);
    expect(none.ensure).toEqual([]);
  });

  it('an unfinished run\'s restarts are done for units still declared (and Caddy), not for new or deleted ones', () => {
    const pending = { daemonReload: false, restart: ['kept.service', 'gone.service', 'new.service', 'undeclared.service', CADDY_UNIT], reload: [] };
    const a = activationOf(plan([f('systemd/system/kept.service', 'unchanged'), f('systemd/system/gone.service', 'delete'), f('systemd/system/new.service', 'create')], pending));
    expect(a.restart).toEqual([CADDY_UNIT, 'kept.service']);
    expect(a.fromPending).toEqual({ daemonReload: false, restart: [CADDY_UNIT, 'kept.service'], reload: [] });
  });

  it('an unfinished run\'s Caddy reload is done while sites are declared', () => {
    const pending = { daemonReload: true, restart: [], reload: [CADDY_UNIT] };
    const a = activationOf(plan([f('caddy/sites/a.caddy', 'unchanged')], pending));
    expect(a.reload).toEqual([CADDY_UNIT]);
    expect(a.fromPending).toEqual({ daemonReload: true, restart: [], reload: [CADDY_UNIT] });
    // No sites left: no reload, and none is recorded as done for the unfinished run.
    expect(activationOf(plan([], pending)).reload).toEqual([]);
    expect(activationOf(plan([], pending)).fromPending.reload).toEqual([]);
  });

  it('records what it is about to do, so a run cut short is finished', () => {
    const a = activationOf(plan([f('systemd/system/a.service', 'update'), f('caddy/sites/a.caddy', 'create')]));
    expect(pendingOf(a)).toEqual({ daemonReload: true, restart: ['a.service'], reload: [CADDY_UNIT] });
  });

  it('timers and app services run continuously; atelier- services and other units do not', () => {
    expect(isLongRunning('atelier-backup-x.timer')).toBe(true);
    expect(isLongRunning('web.service')).toBe(true);
    expect(isLongRunning('atelier-backup-x.service')).toBe(false);
    expect(isLongRunning('web.socket')).toBe(false);
    expect(isLongRunning('web.service.d')).toBe(false);
  });
});

describe('how the plans say it', () => {
  it('in the order --apply takes the steps, naming what an unfinished run left', () => {
    const a = activationOf(plan([f('systemd/system/gone.service', 'delete'), f('systemd/system/new.service', 'create'), f('systemd/system/kept.service', 'update'), f('caddy/sites/a.caddy', 'update')], { daemonReload: false, restart: ['kept.service'], reload: [] }));
    expect(describeActivation(a)).toEqual([
      'stop and disable: gone.service',
      'systemctl daemon-reload',
      'enable and start: new.service',
      'restart: kept.service  (kept.service left by an unfinished run)',
      `reload: ${CADDY_UNIT}`,
    ]);
    expect(describeActivation(activationOf(plan([])))).toEqual([]);
  });

  it('cuts long lists after maxNames and counts the rest', () => {
    const a = activationOf(plan(['a', 'b', 'c'].map((n) => f(`systemd/system/${n}.service`, 'create'))));
    expect(describeActivation(a, 2)).toEqual(['systemctl daemon-reload', 'enable and start: a.service b.service … and 1 more (3 units)']);
    expect(describeActivation(a, 3)).toEqual(['systemctl daemon-reload', 'enable and start: a.service b.service c.service']);
    expect(describeActivation({ ...a, restart: ['x.service'] })).toContain('restart: x.service');
  });
});
