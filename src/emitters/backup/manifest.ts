// The machine-readable backup manifest: every job, its paths, tags and hooks.
import type { Model } from '../../model.js';
import { generatedNotice } from '../header.js';
import type { EmittedFile } from '../types.js';
import type { BackupJob } from './job.js';
import { BACKUP_MANIFEST_PATH, SNAPSHOT_HOST } from './layout.js';

export function manifest(model: Model, jobs: BackupJob[]): EmittedFile {
  const { backup } = model.host;
  const data = {
    generated: generatedNotice(),
    repositoryFile: backup.repositoryFile,
    passwordFile: backup.passwordFile,
    environmentFile: backup.environmentFile,
    host: SNAPSHOT_HOST,
    schedule: { calendar: backup.schedule, randomizedDelay: backup.randomizedDelay },
    prune: { unit: 'atelier-prune.service', timer: 'atelier-prune.timer', calendar: backup.prune.schedule, randomizedDelay: backup.prune.randomizedDelay, groupBy: 'host,tags', keepLast: backup.prune.keepLast, keepDaily: backup.prune.keepDaily, keepWeekly: backup.prune.keepWeekly, keepMonthly: backup.prune.keepMonthly },
    check: backup.check.enable ? { unit: 'atelier-check.service', timer: 'atelier-check.timer', calendar: backup.check.schedule, randomizedDelay: backup.check.randomizedDelay, readDataSubset: backup.check.readDataSubset } : null,
    jobs: jobs.map((j) => ({
      service: j.service,
      unit: j.unit,
      timer: j.timer,
      tags: j.tags,
      // `restic restore latest --host <host> --tag <tag>`: the newest snapshot of this service.
      snapshotFilter: { host: SNAPSHOT_HOST, tags: [`service:${j.service}`] },
      filesList: j.filesList,
      excludeList: j.excludeList,
      paths: j.paths,
      exclude: j.exclude,
      stopsService: j.stopsService,
      stopUnits: j.stopUnits,
      hooks: j.hooks,
      commands: j.commands,
      schedule: j.schedule,
      keep: j.keep,
    })),
  };
  return { path: BACKUP_MANIFEST_PATH, mode: 0o644, content: `${JSON.stringify(data, null, 2)}\n` };
}
