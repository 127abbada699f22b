// The scheduled repository check: `restic check --read-data-subset` reads a
// part of the packs back each run (a different part each time for n/t and
// percentages), so a pack lost or damaged on the storage side fails a check
// before it fails a restore.
import type { Model } from '../../model.js';
import { escapeExec, renderUnit } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import { notify } from './notify.js';
import { lowPriority, resticEnvironment, sandbox, systemCalls, timer } from './units.js';

export const CHECK_UNIT = 'atelier-check.service';

export function checkService(model: Model): EmittedFile {
  const { host } = model;
  const loud = notify(host, CHECK_UNIT);
  const content = renderUnit(hashCommentHeader(), [
    {
      name: 'Unit',
      directives: [
        ['Description', 'restic check of the atelier repository, reading part of its data'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
        ...loud.unit,
      ],
    },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(host),
        ...loud.start,
        ['ExecStart', escapeExec(['restic', 'check', `--read-data-subset=${host.backup.check.readDataSubset}`])],
        ...loud.finish,
        ['TimeoutStartSec', '6h'],
        ...lowPriority(),
        ...sandbox([], 'yes'),
        // It reads the repository and writes only restic's cache and lock: no capability at all.
        ['CapabilityBoundingSet', ''],
        ...systemCalls(false),
      ],
    },
  ]);
  return { path: `systemd/system/${CHECK_UNIT}`, mode: 0o644, content };
}

export function checkTimer(model: Model): EmittedFile {
  const { check } = model.host.backup;
  return { path: 'systemd/system/atelier-check.timer', mode: 0o644, content: timer([], 'Weekly restic check of the atelier repository', check.schedule, check.randomizedDelay) };
}
