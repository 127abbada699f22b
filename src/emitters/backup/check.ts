// The scheduled repository check: `restic check --read-data-subset` reads a
// part of the packs back each run (a different part each time for n/t and
// percentages), so a pack lost or damaged on the storage side fails a check
// before it fails a restore.
import type { Model } from '../../model.js';
import { escapeExec, type Directive } from '../../formats/unit-file.js';
import type { EmittedFile } from '../types.js';
import { repositoryJob, timer } from './units.js';

export const CHECK_UNIT = 'atelier-check.service';

export function checkService(model: Model): EmittedFile {
  const { host } = model;
  const steps: Directive[] = [['ExecStart', escapeExec(['restic', 'check', `--read-data-subset=${host.backup.check.readDataSubset}`])]];
  const content = repositoryJob(host, CHECK_UNIT, 'restic check of the atelier repository, reading part of its data', steps, '6h');
  return { path: `systemd/system/${CHECK_UNIT}`, mode: 0o644, content };
}

export function checkTimer(model: Model): EmittedFile {
  const { check } = model.host.backup;
  return { path: 'systemd/system/atelier-check.timer', mode: 0o644, content: timer([], 'Weekly restic check of the atelier repository', check.schedule, check.randomizedDelay) };
}
