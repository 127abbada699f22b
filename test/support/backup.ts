// The backup emitter as the backup tests read it: its files (refusals thrown),
// a unit's steps as systemd would run them, and services with data whose values
// sit at known positions.
import * as path from 'node:path';
import { backupEmitter, SCRIPTS_DIR } from '../../src/emitters/backup/index.js';
import type { Model, ServiceModel } from '../../src/model.js';
import type { DesiredFile } from '../../src/plan.js';
import { makeService } from './model-builders.js';
import { directives, parseUnit, readEnvironment, readExec } from './unit-reader.js';

export function emitBackup(model: Model): DesiredFile[] {
  const result = backupEmitter.emit(model);
  if (result.diagnostics.length > 0) throw new Error(`refused: ${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.files.map((f) => ({ ...f, emitter: 'backup' as const }));
}

export const content = (files: readonly DesiredFile[], p: string) => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p} among ${files.map((x) => x.path).join(', ')}`);
  return f.content;
};

/** The steps of a unit, as systemd would run them. */
export function stepsOf(unitText: string) {
  const unit = parseUnit(unitText);
  const exec = (key: string) => directives(unit, 'Service', key).map(readExec);
  return {
    pre: exec('ExecStartPre'),
    start: exec('ExecStart'),
    startPost: exec('ExecStartPost'),
    post: exec('ExecStopPost'),
    env: Object.fromEntries(directives(unit, 'Service', 'Environment').flatMap(readEnvironment)) as Record<string, string>,
    caps: directives(unit, 'Service', 'CapabilityBoundingSet')[0].split(/\s+/).filter(Boolean),
  };
}

/** `<sysconfdir>/atelier/scripts/backup/<step> args`: the step's name, else the program. */
export const stepName = (argv: string[]) => (argv[0].includes(`/${SCRIPTS_DIR}/`) ? path.basename(argv[0]) : argv.join(' '));

/** A service with data, its values at known positions. */
export function dataService(name: string, data: Partial<ServiceModel['data']>): ServiceModel {
  const base = makeService(name);
  const origins: ServiceModel['origins'] = { '': { file: 'app.yaml', line: 1, column: 1 } };
  const at = (key: string, line: number) => (origins[key] = { file: 'app.yaml', line, column: 7 });
  const merged = { ...base.data, ...data };
  at('data', 2);
  if (merged.sqlite) at('data.sqlite', 3);
  if (merged.postgres) at('data.postgres', 4);
  merged.files.forEach((_, i) => at(`data.files.${i}`, 10 + i));
  merged.exclude.forEach((_, i) => at(`data.exclude.${i}`, 30 + i));
  return makeService(name, { data: merged, origins });
}
