// The backup emitter called directly on a hand-built model: which host values
// it refuses (each reported at its own key, with its own words), the options
// that mean nothing without data, when the once-per-host files are written at
// all, and where a refusal is reported when no declaration names the value.
import { describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup/index.js';
import type { Diagnostic, HostModel, Model, Origin, ServiceModel } from '../src/model.js';
import { dataService } from './support/backup.js';
import { makeHost, makeService } from './support/model-builders.js';
import { directives, parseUnit, readExec } from './support/unit-reader.js';

/** A model as given: services in this order, these sources (makeModel sorts and names a source). */
const model = (services: ServiceModel[], host: HostModel = makeHost(), sources = ['atelier.yaml']): Model => ({ host, services, sources, disabled: [] });
const at = (d: Diagnostic) => `${d.file}:${d.line}:${d.column} ${d.message}`;
const paths = (m: Model) => backupEmitter.emit(m).files.map((f) => f.path);

/** Every host key the emitter checks, each declared on its own line of host.yaml. */
const HOST_KEYS = [
  'sysconfdir', 'systemctl', 'backup.repositoryFile', 'backup.passwordFile', 'backup.environmentFile',
  'backup.schedule', 'backup.randomizedDelay', 'backup.prune.schedule', 'backup.prune.randomizedDelay',
  'backup.check.schedule', 'backup.check.randomizedDelay',
];
const lineOf = (key: string) => 10 + HOST_KEYS.indexOf(key);
const hostOrigins = (): Record<string, Origin> => ({
  '': { file: 'host.yaml', line: 1, column: 1 },
  backup: { file: 'host.yaml', line: 2, column: 3 },
  ...Object.fromEntries(HOST_KEYS.map((k) => [k, { file: 'host.yaml', line: lineOf(k), column: 5 }])),
});

type Backup = HostModel['backup'];
/** A host with one value changed (a top-level key, or a path under backup). */
function hostWith(key: string, value: string): HostModel {
  const host = makeHost({ origins: hostOrigins() });
  if (!key.startsWith('backup.')) return { ...host, [key]: value };
  const [, first, second] = key.split('.');
  const backup: Backup = second === undefined
    ? { ...host.backup, [first]: value }
    : { ...host.backup, [first]: { ...(host.backup[first as 'prune' | 'check']), [second]: value } };
  return { ...host, backup };
}

const app = () => dataService('app', { files: ['/srv/app'] });

describe('host values the backup units cannot use are refused at their own key', () => {
  const ABSOLUTE = 'must be an absolute path without control characters';
  it.each([
    ['sysconfdir', 'etc'],
    ['systemctl', 'systemctl'],
    ['backup.repositoryFile', 'restic/repository'],
    ['backup.passwordFile', '/etc/atelier/restic/pass\nword'],
    ['backup.environmentFile', 'restic.env'],
  ])('%s = %j: not an absolute path, and nothing is written', (key, value) => {
    const result = backupEmitter.emit(model([app()], hostWith(key, value)));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map(at)).toEqual([`host.yaml:${lineOf(key)}:5 \`host.${key}\` ${ABSOLUTE}`]);
  });

  const SPACE = 'cannot be written into a backup unit: this value must not begin or end with white space (systemd strips it)';
  it.each([
    ['backup.environmentFile', '/etc/atelier/restic.env '],
    ['backup.schedule', '02:00 '],
    ['backup.randomizedDelay', ' 2h'],
    ['backup.prune.schedule', 'Sun *-*-* 05:00:00 '],
    ['backup.prune.randomizedDelay', '1h '],
    ['backup.check.schedule', ' Wed *-*-* 05:00:00'],
    ['backup.check.randomizedDelay', '1h '],
  ])('%s = %j: a value systemd would strip, and nothing is written', (key, value) => {
    const result = backupEmitter.emit(model([app()], hostWith(key, value)));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map(at)).toEqual([`host.yaml:${lineOf(key)}:5 \`host.${key}\` ${SPACE}`]);
  });

  it('a line break in a schedule is refused as a control character', () => {
    const result = backupEmitter.emit(model([app()], hostWith('backup.schedule', '02:00\n[Service]')));
    expect(result.diagnostics.map(at)).toEqual([
      'host.yaml:15:5 `host.backup.schedule` cannot be written into a backup unit: this value must not contain a newline or other control character',
    ]);
  });

  it('reports every bad host value at once, paths first', () => {
    const host = hostWith('backup.schedule', '02:00 ');
    const result = backupEmitter.emit(model([app()], { ...host, systemctl: 'systemctl' }));
    expect(result.diagnostics.map((d) => d.line)).toEqual([lineOf('systemctl'), lineOf('backup.schedule')]);
  });

  it('a host value with no declaration of its own is reported at the first declaration file, line 1', () => {
    const host = { ...makeHost(), systemctl: 'systemctl' };
    expect(backupEmitter.emit(model([app()], host, ['first.yaml', 'second.yaml'])).diagnostics.map(at)).toEqual([`first.yaml:1:1 \`host.systemctl\` ${ABSOLUTE}`]);
    expect(backupEmitter.emit(model([app()], host, [])).diagnostics.map(at)).toEqual([`<unknown>:1:1 \`host.systemctl\` ${ABSOLUTE}`]);
  });

  it('a null environment file is no refusal (no EnvironmentFile= is written)', () => {
    const result = backupEmitter.emit(model([app()], makeHost({ origins: hostOrigins() })));
    expect(result.diagnostics).toEqual([]);
    expect(result.files.some((f) => f.content.includes('EnvironmentFile='))).toBe(false);
  });
});

describe('backup options on a service with nothing to back up', () => {
  const HINT = 'declare data.sqlite, data.postgres or data.files (for an export written by preBackup: its folder in data.files)';
  const noData = (data: Partial<ServiceModel['data']>) => {
    const base = makeService('web');
    return makeService('web', {
      data: { ...base.data, ...data },
      origins: { '': { file: 'web.yaml', line: 1, column: 1 }, data: { file: 'web.yaml', line: 4, column: 3 }, 'data.preBackup': { file: 'web.yaml', line: 5, column: 5 }, 'data.postBackup': { file: 'web.yaml', line: 6, column: 5 }, 'data.stopUnits': { file: 'web.yaml', line: 7, column: 5 } },
    });
  };

  it.each([
    ['preBackup', { preBackup: 'bun run export' }, 5],
    ['postBackup', { postBackup: 'rm -rf export' }, 6],
    ['stopUnits', { stopUnits: ['web-worker.service'] }, 7],
  ] as [string, Partial<ServiceModel['data']>, number][])('data.%s is an error at its own line, with a hint, and nothing is written', (key, data, line) => {
    const result = backupEmitter.emit(model([noData(data), app()]));
    expect(result.files.map((f) => f.path).filter((p) => /atelier-(prune|check)|manifest|scripts|-web/.test(p))).toEqual([]);
    expect(result.diagnostics).toEqual([{ file: 'web.yaml', line, column: 5, message: `\`services.web.data.${key}\` is set, but the service declares nothing to back up`, hint: HINT }]);
  });

  it('all three set: three errors, in the order preBackup, postBackup, stopUnits', () => {
    const result = backupEmitter.emit(model([noData({ preBackup: 'a', postBackup: 'b', stopUnits: ['x.service'] })]));
    expect(result.diagnostics.map((d) => d.line)).toEqual([5, 6, 7]);
  });

  it('a service without data and without backup options is simply not backed up', () => {
    const result = backupEmitter.emit(model([noData({}), app()]));
    expect(result.diagnostics).toEqual([]);
    expect(result.files.map((f) => f.path).filter((p) => p.includes('web'))).toEqual([]);
    expect(result.files.map((f) => f.path)).toContain('systemd/system/atelier-backup-app.service');
  });
});

describe('when the emitter writes nothing, or no host files', () => {
  it('with backup disabled, nothing at all, and no refusal even of bad values', () => {
    const host = makeHost();
    const off = { ...host, systemctl: 'systemctl', backup: { ...host.backup, enable: false } };
    expect(backupEmitter.emit(model([app(), makeService('web', { data: { ...makeService('web').data, preBackup: 'x' } })], off))).toEqual({ files: [], diagnostics: [] });
    expect(backupEmitter.emit(model([app()], { ...host, backup: { ...host.backup, enable: false } }))).toEqual({ files: [], diagnostics: [] });
  });

  it('with no service that has data: no prune, no check, no manifest, no scripts', () => {
    expect(backupEmitter.emit(model([makeService('web'), makeService('api')]))).toEqual({ files: [], diagnostics: [] });
    expect(backupEmitter.emit(model([]))).toEqual({ files: [], diagnostics: [] });
  });

  it('one service refused: the others keep their job files, but no host file is written', () => {
    const bad = dataService('bad', { files: ['relative/path'] });
    const result = backupEmitter.emit(model([bad, app()]));
    expect(result.diagnostics.map(at)).toEqual([expect.stringContaining('app.yaml:10:7 `services.bad.data.files.0` must be an absolute path')]);
    const written = result.files.map((f) => f.path);
    expect(written).toContain('systemd/system/atelier-backup-app.service');
    expect(written.filter((p) => /atelier-(prune|check)|manifest|scripts|failed@/.test(p))).toEqual([]);
    expect(written.some((p) => p.includes('-bad'))).toBe(false);
  });

  it('with one good job, the host files are written: prune, check, failure unit, manifest, scripts', () => {
    const host = makeHost({ backup: { ...makeHost().backup, onFailure: 'mail root' } });
    const written = paths(model([app()], host));
    for (const p of ['systemd/system/atelier-prune.service', 'systemd/system/atelier-prune.timer', 'systemd/system/atelier-check.service', 'systemd/system/atelier-check.timer', 'systemd/system/atelier-backup-failed@.service', 'atelier/backup-manifest.json']) {
      expect(written).toContain(p);
    }
    expect(written.filter((p) => p.startsWith('atelier/scripts/backup/')).length).toBeGreaterThan(0);
  });
});

describe('a value the unit format refuses only when the files are rendered', () => {
  it('a job whose unit cannot be written is reported at the service\'s data, and its files are dropped', () => {
    // A NUL in the ping URL passes the host checks; the job's ExecStartPre= refuses it.
    const host = makeHost({ backup: { ...makeHost().backup, healthcheckUrl: 'https://hc-ping.com/key\u0000x' } });
    const result = backupEmitter.emit(model([app()], host));
    expect(result.files).toEqual([]);
    expect(result.diagnostics.map(at)).toEqual(['app.yaml:2:7 cannot be written into a backup unit: a NUL character cannot be written']);
  });

  const failing = (origins: Record<string, Origin>) => makeHost({ origins, backup: { ...makeHost().backup, onFailure: 'mail root\u0000' } });
  it('a host file that cannot be written is reported at host.backup', () => {
    const result = backupEmitter.emit(model([app()], failing({ '': { file: 'host.yaml', line: 1, column: 1 }, backup: { file: 'host.yaml', line: 2, column: 3 } })));
    expect(result.diagnostics.map(at)).toEqual(['host.yaml:2:3 cannot be written into a backup unit: a NUL character cannot be written']);
    expect(result.files.map((f) => f.path).filter((p) => /atelier-(prune|check)|manifest|failed@/.test(p))).toEqual([]);
  });

  it('…or at the host declaration, or the first declaration file, or <unknown> when there is none', () => {
    expect(backupEmitter.emit(model([app()], failing({ '': { file: 'host.yaml', line: 1, column: 1 } }))).diagnostics.map((d) => `${d.file}:${d.line}`)).toEqual(['host.yaml:1']);
    expect(backupEmitter.emit(model([app()], failing({}), ['a.yaml', 'b.yaml'])).diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual(['a.yaml:1:1']);
    expect(backupEmitter.emit(model([app()], failing({}), [])).diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual(['<unknown>:1:1']);
  });
});

describe('jobs in the order of their names, whatever the order of the services', () => {
  it('the prune forgets, and the manifest lists, services by name', () => {
    const services = ['mid', 'zeta', 'alpha', 'beta'].map((n) => dataService(n, { files: [`/srv/${n}`] }));
    const files = backupEmitter.emit(model(services)).files;
    const prune = parseUnit(files.find((f) => f.path === 'systemd/system/atelier-prune.service')!.content);
    const tags = directives(prune, 'Service', 'ExecStart').map(readExec).filter((e) => e.argv[1] === 'forget').map((e) => e.argv[e.argv.indexOf('--tag') + 1]);
    expect(tags).toEqual(['service:alpha', 'service:beta', 'service:mid', 'service:zeta']);
    const manifest = JSON.parse(files.find((f) => f.path === 'atelier/backup-manifest.json')!.content) as { jobs: { service: string }[] };
    expect(manifest.jobs.map((j) => j.service)).toEqual(['alpha', 'beta', 'mid', 'zeta']);
  });
});
