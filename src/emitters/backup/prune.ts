// The one repository-wide prune: one `restic forget` per service, filtered by
// its tag, with its own retention (data.keep over the host's), then one
// `restic prune` for the whole repository. Snapshots of a service no longer
// declared are never forgotten here: nothing decides their retention any more.
import type { Model } from '../../model.js';
import { escapeExec, renderUnit, type Directive } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import type { BackupJob } from './job.js';
import { SNAPSHOT_HOST } from './layout.js';
import { notify } from './notify.js';
import { lowPriority, resticEnvironment, sandbox, systemCalls, timer } from './units.js';

export const PRUNE_UNIT = 'atelier-prune.service';

export function pruneService(model: Model, jobs: readonly BackupJob[]): EmittedFile {
  const loud = notify(model.host, PRUNE_UNIT);
  // Within a service, groups stay host + tags (a service whose hooks change starts a new group, as before).
  const forgets = jobs.map((j): Directive => ['ExecStart', escapeExec([
    'restic', 'forget', '--host', SNAPSHOT_HOST, '--tag', `service:${j.service}`, '--group-by', 'host,tags',
    '--keep-last', String(j.keep.last), '--keep-daily', String(j.keep.daily),
    '--keep-weekly', String(j.keep.weekly), '--keep-monthly', String(j.keep.monthly),
  ])]);
  const content = renderUnit(hashCommentHeader(), [
    {
      name: 'Unit',
      directives: [
        ['Description', 'restic forget and prune of the whole atelier repository'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
        ...loud.unit,
      ],
    },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(model.host),
        ...loud.start,
        // `restic unlock` removes only stale locks (of dead processes); a running backup keeps its lock.
        ['ExecStartPre', escapeExec(['restic', 'unlock'])],
        // Each service's own retention, then one repack for the whole repository.
        ...forgets,
        ['ExecStart', escapeExec(['restic', 'prune'])],
        ...loud.finish,
        ['TimeoutStartSec', '4h'],
        ...lowPriority(),
        ...sandbox([], 'yes'),
        // It reads and writes only the repository and the cache, which root owns: no capability at all.
        ['CapabilityBoundingSet', ''],
        ...systemCalls(false),
      ],
    },
  ]);
  return { path: `systemd/system/${PRUNE_UNIT}`, mode: 0o644, content };
}

export function pruneTimer(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  return { path: 'systemd/system/atelier-prune.timer', mode: 0o644, content: timer([], 'Weekly prune of the atelier restic repository', prune.schedule, prune.randomizedDelay) };
}
