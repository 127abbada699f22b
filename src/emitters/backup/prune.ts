// The one repository-wide prune: one `restic forget` per service, filtered by
// its tag, with its own retention (data.keep over the host's), then one
// `restic prune` for the whole repository. Snapshots of a service no longer
// declared are never forgotten here: nothing decides their retention any more.
import type { Model } from '../../model.js';
import { escapeExec, type Directive } from '../../formats/unit-file.js';
import type { EmittedFile } from '../types.js';
import type { BackupJob } from './job.js';
import { SNAPSHOT_HOST } from './layout.js';
import { repositoryJob, timer } from './units.js';

export const PRUNE_UNIT = 'atelier-prune.service';

export function pruneService(model: Model, jobs: readonly BackupJob[]): EmittedFile {
  // Within a service, groups stay host + tags (a service whose hooks change starts a new group, as before).
  const forgets = jobs.map((j): Directive => ['ExecStart', escapeExec([
    'restic', 'forget', '--host', SNAPSHOT_HOST, '--tag', `service:${j.service}`, '--group-by', 'host,tags',
    '--keep-last', String(j.keep.last), '--keep-daily', String(j.keep.daily),
    '--keep-weekly', String(j.keep.weekly), '--keep-monthly', String(j.keep.monthly),
  ])]);
  const steps: Directive[] = [
    // `restic unlock` removes only stale locks (of dead processes); a running backup keeps its lock.
    ['ExecStartPre', escapeExec(['restic', 'unlock'])],
    // Each service's own retention, then one repack for the whole repository.
    ...forgets,
    ['ExecStart', escapeExec(['restic', 'prune'])],
  ];
  const content = repositoryJob(model.host, PRUNE_UNIT, 'restic forget and prune of the whole atelier repository', steps, '4h');
  return { path: `systemd/system/${PRUNE_UNIT}`, mode: 0o644, content };
}

export function pruneTimer(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  return { path: 'systemd/system/atelier-prune.timer', mode: 0o644, content: timer([], 'Weekly prune of the atelier restic repository', prune.schedule, prune.randomizedDelay) };
}
