// Loud failures, the scheduled check and per-service schedule and retention,
// checked by the programs that read them: systemd-analyze (verify, security),
// and restic itself for the retention the prune unit applies. The booted-host
// test (test/host/restore.test.ts) runs them under systemd.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../src/declarations/value-formats.js';
import { backupEmitter, SNAPSHOT_HOST } from '../src/emitters/backup/index.js';
import type { Model, ServiceModel } from '../src/model.js';
import { tempDirs, writeFiles } from './support/emit.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { directives, parseUnit, readExec } from './support/unit-reader.js';

const temp = tempDirs();

function emit(model: Model) {
  const result = backupEmitter.emit(model);
  if (result.diagnostics.length > 0) throw new Error(`refused: ${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.files;
}

const withData = (name: string, data: Partial<ServiceModel['data']>) => makeService(name, { data: { ...makeService(name).data, ...data } });
const busy = withData('busy', { sqlite: '/var/lib/busy/data/app.db', schedule: 'hourly', keep: { last: 48, daily: 30, weekly: null, monthly: null } });
const media = withData('media', { files: ['/var/lib/media/data'], schedule: 'weekly' });
const ledger = withData('ledger', { postgres: 'ledger' });

function loudModel(sysconfdir: string, overrides: Partial<ReturnType<typeof makeHost>['backup']> = {}) {
  const host = makeHost({ sysconfdir });
  return makeModel([busy, media, ledger], makeHost({ sysconfdir, backup: { ...host.backup, onFailure: 'mail -s "backup failed: $1" root', healthcheckUrl: 'https://hc-ping.com/ping-key', ...overrides } }));
}

const unitOf = (files: ReturnType<typeof emit>, name: string) => parseUnit(files.find((f) => f.path === `systemd/system/${name}`)!.content);
const execs = (unit: ReturnType<typeof parseUnit>, key: string) => directives(unit, 'Service', key).map(readExec);

describe('failure is loud: OnFailure= and healthcheck pings on every restic unit', () => {
  const dir = temp('bk-loud');
  // Emitted and installed afresh for every test (beforeEach), so that mutation testing credits each
  // test with the emitter code it checks (docs/architecture.md).
  let files: ReturnType<typeof emit> = [];
  beforeEach(() => {
    files = emit(loudModel(dir));
    writeFiles(dir, files);
  });
  const ping = path.join(dir, 'atelier/scripts/backup/ping');
  const scores: Record<string, number> = {};

  it.each(['atelier-backup-busy.service', 'atelier-backup-ledger.service', 'atelier-prune.service', 'atelier-check.service'])('%s: OnFailure=, the start ping first, the finish ping last, neither can fail the job', (name) => {
    const unit = unitOf(files, name);
    expect(directives(unit, 'Unit', 'OnFailure')).toEqual(['atelier-backup-failed@%n.service']);
    const first = execs(unit, 'ExecStartPre')[0];
    const last = execs(unit, 'ExecStopPost').at(-1)!;
    const url = `https://hc-ping.com/ping-key/${name.replace('.service', '')}`;
    expect([first.prefix, ...first.argv]).toEqual(['-', ping, url, 'start']);
    expect([last.prefix, ...last.argv]).toEqual(['-', ping, url, 'finish']);
  });

  it('the failure unit runs the command with the failed unit (%i) and its journal', () => {
    const unit = unitOf(files, 'atelier-backup-failed@.service');
    // The specifier is systemd's to resolve: read the line as if it were a literal `%i`.
    const start = readExec(directives(unit, 'Service', 'ExecStart')[0].replace(' %i ', ' %%i '));
    expect(start.argv).toEqual([path.join(dir, 'atelier/scripts/backup/on-failure'), '%i', 'mail -s "backup failed: $1" root']);
  });

  // The tests' names only, which vitest needs before any test runs; each test reads what its beforeEach emitted.
  const units = emit(loudModel(dir)).filter((f) => /^systemd\/system\/.*\.(service|timer)$/.test(f.path) && !f.path.includes('@.')).map((f) => f.path);
  it.each(units)('systemd-analyze verify accepts %s', (unit) => {
    const r = spawnSync('systemd-analyze', ['verify', path.join(dir, unit)], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('systemd-analyze verify accepts an instance of the failure template', () => {
    const instance = writeFiles(temp('bk-failed'), [{ path: 'atelier-backup-failed@atelier-backup-busy.service.service', mode: 0o644, content: files.find((f) => f.path.endsWith('@.service'))!.content }]);
    writeFiles(instance, files.filter((f) => f.path.startsWith('atelier/scripts/')));
    const r = spawnSync('systemd-analyze', ['verify', path.join(instance, 'atelier-backup-failed@atelier-backup-busy.service.service')], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    // The administrator's own command, as root, with the network (mail, webhooks): medium, not more.
    scores['atelier-backup-failed@.service'] = exposure(path.join(instance, 'atelier-backup-failed@atelier-backup-busy.service.service'));
    expect(scores['atelier-backup-failed@.service']).toBeLessThanOrEqual(5.5);
  });

  // The same limits as without notification (test/backup-units.test.ts): a ping and an OnFailure= cost no exposure.
  const emitQuiet = () => emit(makeModel([busy, media, ledger], makeHost({ sysconfdir: dir })));
  it.each(['atelier-backup-busy.service', 'atelier-backup-media.service', 'atelier-backup-ledger.service', 'atelier-prune.service', 'atelier-check.service'])('%s scores the same in systemd-analyze security with and without notification', (name) => {
    const quietDir = writeFiles(temp('bk-quiet'), emitQuiet());
    scores[name] = exposure(path.join(dir, 'systemd/system', name));
    expect(scores[name]).toBe(exposure(path.join(quietDir, 'systemd/system', name)));
    expect(scores[name]).toBeLessThanOrEqual(2.4);
  });
  afterAll(() => console.log(`loud backup exposure (systemd-analyze security --offline=true): ${JSON.stringify(scores)}`));

  it('without onFailure or healthcheckUrl, no failure unit, no ping, no OnFailure=', () => {
    const quiet = emitQuiet();
    expect(quiet.some((f) => f.path.includes('atelier-backup-failed@'))).toBe(false);
    expect(quiet.some((f) => /OnFailure=|\/ping /.test(f.content))).toBe(false);
  });
});

describe('the scheduled check', () => {
  it('reads the configured data subset, weekly by default, and can be turned off', () => {
    const files = emit(loudModel('/etc', { check: { enable: true, schedule: 'Sat 04:00', randomizedDelay: '30min', readDataSubset: '1/10' } }));
    expect(execs(unitOf(files, 'atelier-check.service'), 'ExecStart').map((e) => e.argv)).toEqual([['restic', 'check', '--read-data-subset=1/10']]);
    const timer = unitOf(files, 'atelier-check.timer');
    expect([directives(timer, 'Timer', 'OnCalendar'), directives(timer, 'Timer', 'RandomizedDelaySec')]).toEqual([['Sat 04:00'], ['30min']]);
    // A percentage reaches restic as written (systemd's `%` specifiers are escaped once).
    expect(execs(unitOf(emit(loudModel('/etc')), 'atelier-check.service'), 'ExecStart').map((e) => e.argv)).toEqual([['restic', 'check', '--read-data-subset=5%']]);
    const off = emit(loudModel('/etc', { check: { enable: false, schedule: 'Sat 04:00', randomizedDelay: '30min', readDataSubset: '1/10' } }));
    expect(off.some((f) => f.path.includes('atelier-check'))).toBe(false);
  });
});

describe('per-service schedule and retention', () => {
  // Emitted for every test, so that mutation testing credits each test with the emitter code it checks.
  let files: ReturnType<typeof emit> = [];
  beforeEach(() => {
    files = emit(loudModel('/etc'));
  });

  it("a service's data.schedule is its timer's; the others keep the host's", () => {
    const onCalendar = (name: string) => directives(unitOf(files, `atelier-backup-${name}.timer`), 'Timer', 'OnCalendar');
    expect([onCalendar('busy'), onCalendar('media'), onCalendar('ledger')]).toEqual([['hourly'], ['weekly'], ['02:00']]);
  });

  it('the prune forgets per service, each with data.keep over the host retention, then prunes once', () => {
    const starts = execs(unitOf(files, 'atelier-prune.service'), 'ExecStart').map((e) => e.argv);
    const keep = (argv: string[]) => Object.fromEntries(argv.flatMap((w, i) => (w.startsWith('--keep-') ? [[w.slice(7), argv[i + 1]]] : [])));
    expect(starts.map((a) => (a.includes('--tag') ? a[a.indexOf('--tag') + 1] : a.join(' ')))).toEqual(['service:busy', 'service:ledger', 'service:media', 'restic prune']);
    expect(keep(starts[0])).toEqual({ last: '48', daily: '30', weekly: '5', monthly: '12' });
    expect(keep(starts[1])).toEqual({ last: '3', daily: '7', weekly: '5', monthly: '12' });
    expect(starts.at(-1)).toEqual(['restic', 'prune']);
  });

  it('restic applies each policy to its own service only (a real repository)', () => {
    const repo = temp('bk-retention');
    const data = temp('bk-retention-data');
    const env = { ...process.env, RESTIC_REPOSITORY: path.join(repo, 'repo'), RESTIC_PASSWORD: 'test', RESTIC_CACHE_DIR: path.join(repo, 'cache') };
    const restic = (...args: string[]) => {
      const r = spawnSync('restic', args, { env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`restic ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    restic('init');
    // Snapshots as the jobs tag them, five of each.
    for (let i = 0; i < 5; i++) for (const s of ['busy', 'ledger']) restic('backup', '--quiet', '--host', SNAPSHOT_HOST, '--tag', `service:${s}`, '--tag', 'type:x', data);
    const model = makeModel([withData('busy', { files: [data], exclude: [], keep: { last: 4, daily: 0, weekly: 0, monthly: 0 } }), withData('ledger', { files: [data], exclude: [] })]);
    model.host.backup.prune = { ...model.host.backup.prune, keepLast: 2, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 };
    const prune = execs(parseUnit(emit(model).find((f) => f.path === 'systemd/system/atelier-prune.service')!.content), 'ExecStart');
    for (const step of prune) restic(...step.argv.slice(1), '--quiet');
    const count = (tag: string) => JSON.parse(restic('snapshots', '--json', '--tag', tag)).length;
    expect([count('service:busy'), count('service:ledger')]).toEqual([4, 2]);
  }, 120_000);
});

describe('the new value formats', () => {
  it.each(['https://hc-ping.com/key', 'http://127.0.0.1:8080/ping'])('accepts the healthcheck URL %s', (v) => expect(formatProblem('http-url', v)).toBeNull());
  it.each(['ftp://x/y', 'hc-ping.com/key', 'https://x/a b', 'https://x/%41', 'https://x/$HOME'])('refuses the healthcheck URL %s', (v) => expect(formatProblem('http-url', v)).toMatch(/URL/));
  it.each(['1/5', '5%', '2.5%', '100%', '500M', '1G'])('accepts the data subset %s', (v) => expect(formatProblem('restic-subset', v)).toBeNull());
  it.each(['0/5', '6/5', '0%', '101%', '5 %', 'all', '-1'])('refuses the data subset %s', (v) => expect(formatProblem('restic-subset', v)).toMatch(/read-data-subset/));
});

function exposure(unitFile: string): number {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unitFile], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(r.stdout + r.stderr);
  if (!m) throw new Error(`no exposure score:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}
