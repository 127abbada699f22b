// The backup emitter: per service with data, a restic job (unit, timer, file
// lists) with SQLite and PostgreSQL hooks; once per host, a repository-wide
// prune and the backup manifest. Pure: model in, files out.
import { hostOriginOf, originOf, type Diagnostic, type Model, type Origin, type ServiceModel } from '../../model.js';
import { escapeText } from '../../formats/unit-file.js';
import type { EmitResult, EmittedFile, Emitter } from '../types.js';
import { checkService as checkJob, jobFiles, planJob, type BackupJob } from './job.js';
import { checkService, checkTimer } from './check.js';
import { failureUnit } from './notify.js';
import { hasData } from './layout.js';
import { manifest } from './manifest.js';
import { pruneService, pruneTimer } from './prune.js';
import { scriptFiles } from './scripts.js';
import { CONTROL, guard } from './units.js';

export { BACKUP_MANIFEST_PATH, hasData, LOCAL_REPOSITORY_ROOT, RESTIC_CACHE, SNAPSHOT_HOST } from './layout.js';
export { PLAIN_DATABASE, planJob, type BackupHook, type BackupJob } from './job.js';
export { SCRIPTS, SCRIPTS_DIR, STEP_NAMES } from './scripts.js';

export const backupEmitter: Emitter = {
  name: 'backup',
  emit(model: Model): EmitResult {
    const files: EmittedFile[] = [];
    const diagnostics: Diagnostic[] = [];
    if (!model.host.backup.enable) return { files, diagnostics };
    const hostProblems = checkHost(model);
    if (hostProblems.length > 0) return { files, diagnostics: hostProblems };
    const jobs: BackupJob[] = [];
    for (const service of model.services.filter((s) => !hasData(s))) diagnostics.push(...withoutData(service));
    for (const service of [...model.services].sort(byName).filter(hasData)) {
      const job = planJob(model.host, service);
      const problems = checkJob(service, job);
      if (problems.length === 0) problems.push(...guard(originOf(service, 'data'), () => files.push(...jobFiles(model.host, service, job))));
      if (problems.length === 0) jobs.push(job);
      diagnostics.push(...problems);
    }
    // Host values were checked above: what is left to refuse here is an emitter bug, reported at `host.backup`.
    const hostOrigin = hostOriginOf(model.host, 'backup', { file: model.sources[0] ?? '<unknown>', line: 1, column: 1 });
    if (jobs.length > 0 && diagnostics.length === 0) diagnostics.push(...guard(hostOrigin, () => files.push(...hostFiles(model, jobs))));
    return { files, diagnostics };
  },
};

/** Once per host (their headers name no declaration file): prune, check, the failure unit, the manifest, the step scripts. */
function hostFiles(model: Model, jobs: BackupJob[]): EmittedFile[] {
  const { backup } = model.host;
  return [
    pruneService(model, jobs),
    pruneTimer(model),
    ...(backup.check.enable ? [checkService(model), checkTimer(model)] : []),
    ...(backup.onFailure !== null ? [failureUnit(model.host)] : []),
    manifest(model, jobs),
    ...scriptFiles([]),
  ];
}

/** Backup options that mean nothing without data to back up: an error, not a silent no-op. */
function withoutData(s: ServiceModel): Diagnostic[] {
  const given = (['preBackup', 'postBackup', 'stopUnits'] as const).filter((k) => (k === 'stopUnits' ? s.data.stopUnits.length > 0 : s.data[k] !== null));
  return given.map((k) => ({
    ...originOf(s, `data.${k}`),
    message: `\`services.${s.name}.data.${k}\` is set, but the service declares nothing to back up`,
    hint: 'declare data.sqlite, data.postgres or data.files (for an export written by preBackup: its folder in data.files)',
  }));
}

const byName = (a: ServiceModel, b: ServiceModel) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function checkHost(model: Model): Diagnostic[] {
  const { host } = model;
  const fallback: Origin = { file: model.sources[0] ?? '<unknown>', line: 1, column: 1 };
  const at = (key: string, message: string): Diagnostic => ({ ...hostOriginOf(host, key, fallback), message: `\`host.${key}\` ${message}` });
  const paths: [string, string | null][] = [
    ['sysconfdir', host.sysconfdir],
    ['systemctl', host.systemctl],
    ['backup.repositoryFile', host.backup.repositoryFile],
    ['backup.passwordFile', host.backup.passwordFile],
    ['backup.environmentFile', host.backup.environmentFile],
  ];
  const texts: [string, string][] = [
    ['backup.environmentFile', host.backup.environmentFile ?? '/'],
    ['backup.schedule', host.backup.schedule],
    ['backup.randomizedDelay', host.backup.randomizedDelay],
    ['backup.prune.schedule', host.backup.prune.schedule],
    ['backup.prune.randomizedDelay', host.backup.prune.randomizedDelay],
    ['backup.check.schedule', host.backup.check.schedule],
    ['backup.check.randomizedDelay', host.backup.check.randomizedDelay],
  ];
  return [
    ...paths.filter(([, v]) => v !== null && (CONTROL.test(v) || !v.startsWith('/'))).map(([key]) => at(key, 'must be an absolute path without control characters')),
    ...texts.flatMap(([key, v]) => guard(hostOriginOf(host, key, fallback), () => escapeText(v)).map((d) => ({ ...d, message: `\`host.${key}\` ${d.message}` }))),
  ];
}
