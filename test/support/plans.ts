// Plans built by hand for the report tests: one planned file with defaults
// (a create of app's unit) and a plan around a list of them.
import type { Plan, PlannedFile } from '../../src/plan.js';

export const planned = (over: Partial<PlannedFile>): PlannedFile => ({ path: 'systemd/system/app.service', action: 'create', current: null, desired: 'a\nb\n', mode: 0o644, emitter: 'systemd', service: 'app', ...over });

export const planOf = (files: PlannedFile[], over: Partial<Plan> = {}): Plan => ({ outDir: '/out', files, stale: [], nextState: { files: {} }, aheadState: { files: {} }, pending: null, ...over });
