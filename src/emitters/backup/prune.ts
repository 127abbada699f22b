// The one repository-wide prune: each service keeps its own retention, since
// snapshots are grouped by host and tags.
import type { Model } from '../../model.js';
import { escapeExec, renderUnit } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import { lowPriority, resticEnvironment, sandbox, systemCalls, timer } from './units.js';

export function pruneService(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  const forget = [
    'restic', 'forget', '--prune', '--group-by', 'host,tags',
    '--keep-last', String(prune.keepLast), '--keep-daily', String(prune.keepDaily),
    '--keep-weekly', String(prune.keepWeekly), '--keep-monthly', String(prune.keepMonthly),
  ];
  const content = renderUnit(hashCommentHeader(), [
    {
      name: 'Unit',
      directives: [
        ['Description', 'restic forget and prune of the whole atelier repository'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
      ],
    },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(model.host),
        // `restic unlock` removes only stale locks (of dead processes); a running backup keeps its lock.
        ['ExecStartPre', escapeExec(['restic', 'unlock'])],
        // One repack a week for the whole repository; each service keeps its own retention (groups are host + tags).
        ['ExecStart', escapeExec(forget)],
        ['TimeoutStartSec', '4h'],
        ...lowPriority(),
        ...sandbox([], 'yes'),
        // It reads and writes only the repository and the cache, which root owns: no capability at all.
        ['CapabilityBoundingSet', ''],
        ...systemCalls(false),
      ],
    },
  ]);
  return { path: 'systemd/system/atelier-prune.service', mode: 0o644, content };
}

export function pruneTimer(model: Model): EmittedFile {
  const { prune } = model.host.backup;
  return { path: 'systemd/system/atelier-prune.timer', mode: 0o644, content: timer([], 'Weekly prune of the atelier restic repository', prune.schedule, prune.randomizedDelay) };
}
