// What `systemd-analyze security` does not score, read back from the emitted
// units: the low priority (Nice=, I/O scheduling), restic's cache and
// environment, the timeouts, the timers (Persistent=, schedules), the
// descriptions an administrator sees in `systemctl list-timers`, and the
// backup manifest's schedule entries. The backup emitter is called directly.
import { describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup/index.js';
import type { HostModel } from '../src/model.js';
import { content, dataService, emitBackup } from './support/backup.js';
import { makeHost, makeModel } from './support/model-builders.js';
import { directives, parseUnit, readEnvironment, type ParsedUnit } from './support/unit-reader.js';

/** Distinct values everywhere, so a value written under the wrong key shows. */
const host = (over: Partial<HostModel['backup']> = {}): HostModel => {
  const base = makeHost();
  return makeHost({
    backup: {
      ...base.backup,
      repositoryFile: '/etc/atelier/restic/repo-file',
      passwordFile: '/etc/atelier/restic/pass-file',
      environmentFile: '/etc/atelier/restic/env-file',
      schedule: '03:15',
      randomizedDelay: '40min',
      prune: { ...base.backup.prune, schedule: 'Sat *-*-* 04:00:00', randomizedDelay: '25min' },
      check: { ...base.backup.check, schedule: 'Thu *-*-* 06:30:00', randomizedDelay: '35min', readDataSubset: '1/7' },
      onFailure: 'mail -s failed root',
      ...over,
    },
  });
};
const emit = (h: HostModel = host()) => emitBackup(makeModel([dataService('app', { sqlite: '/var/lib/app/app.db' })], h));
const unit = (name: string, h?: HostModel): ParsedUnit => parseUnit(content(emit(h), `systemd/system/${name}`));
const one = (u: ParsedUnit, section: string, key: string) => directives(u, section, key);

const RESTIC_UNITS = ['atelier-backup-app.service', 'atelier-prune.service', 'atelier-check.service'];

describe('every restic unit: low priority, restic\'s cache and environment', () => {
  it.each(RESTIC_UNITS)('%s yields to the services: Nice=10, best-effort I/O at priority 7, once each', (name) => {
    const u = unit(name);
    expect(one(u, 'Service', 'Nice')).toEqual(['10']);
    expect(one(u, 'Service', 'IOSchedulingClass')).toEqual(['best-effort']);
    expect(one(u, 'Service', 'IOSchedulingPriority')).toEqual(['7']);
  });

  it.each(RESTIC_UNITS)('%s: restic finds its repository, password and cache, and the cache folder is systemd\'s', (name) => {
    const u = unit(name);
    expect(Object.fromEntries(one(u, 'Service', 'Environment').flatMap(readEnvironment))).toEqual({
      RESTIC_REPOSITORY_FILE: '/etc/atelier/restic/repo-file',
      RESTIC_PASSWORD_FILE: '/etc/atelier/restic/pass-file',
      RESTIC_CACHE_DIR: '/var/cache/atelier-restic',
    });
    expect(one(u, 'Service', 'EnvironmentFile')).toEqual(['/etc/atelier/restic/env-file']);
    expect(one(u, 'Service', 'CacheDirectory')).toEqual(['atelier-restic']);
  });

  it.each(RESTIC_UNITS)('%s without an environment file has no EnvironmentFile=', (name) => {
    expect(one(unit(name, host({ environmentFile: null })), 'Service', 'EnvironmentFile')).toEqual([]);
  });

  it.each(RESTIC_UNITS)('%s may write the local repository root (optional, "-"), fails denied calls with EPERM, and says how to add a repository elsewhere', (name) => {
    const text = content(emit(), `systemd/system/${name}`);
    const u = parseUnit(text);
    expect(one(u, 'Service', 'ReadWritePaths')[0].split(' ')[0]).toBe('-/var/backups');
    expect(one(u, 'Service', 'SystemCallErrorNumber')).toEqual(['EPERM']);
    const service = text.slice(text.indexOf('[Service]'));
    expect(service).toContain('\n# A local repository must be under /var/backups; elsewhere, add ReadWritePaths= in a drop-in.\nReadWritePaths=');
  });

  it('the repository-wide jobs write only the local repository root; a backup job also its service\'s data folder', () => {
    expect(one(unit('atelier-prune.service'), 'Service', 'ReadWritePaths')).toEqual(['-/var/backups']);
    expect(one(unit('atelier-check.service'), 'Service', 'ReadWritePaths')).toEqual(['-/var/backups']);
    expect(one(unit('atelier-backup-app.service'), 'Service', 'ReadWritePaths')).toEqual(['-/var/backups -/var/lib/app']);
  });
});

describe('the repository-wide jobs: description, network, timeout', () => {
  it.each([
    ['atelier-prune.service', 'restic forget and prune of the whole atelier repository', '4h'],
    ['atelier-check.service', 'restic check of the atelier repository, reading part of its data', '6h'],
  ])('%s: "%s", after the network is up, at most %s', (name, description, timeout) => {
    const u = unit(name);
    expect(one(u, 'Unit', 'Description')).toEqual([description]);
    expect(one(u, 'Unit', 'Wants')).toEqual(['network-online.target']);
    expect(one(u, 'Unit', 'After')).toEqual(['network-online.target']);
    expect(one(u, 'Service', 'TimeoutStartSec')).toEqual([timeout]);
    expect(one(u, 'Service', 'Type')).toEqual(['oneshot']);
  });

  it('the backup job waits for the network too, and runs at most 6h', () => {
    const u = unit('atelier-backup-app.service');
    expect(one(u, 'Unit', 'Wants')).toEqual(['network-online.target']);
    expect(one(u, 'Unit', 'After')).toEqual(['network-online.target']);
    expect(one(u, 'Service', 'TimeoutStartSec')).toEqual(['6h']);
  });
});

describe('the timers: their schedule, a missed run caught up at boot', () => {
  it.each([
    ['atelier-backup-app.timer', 'Schedule of the restic backup of app', '03:15', '40min'],
    ['atelier-prune.timer', 'Weekly prune of the atelier restic repository', 'Sat *-*-* 04:00:00', '25min'],
    ['atelier-check.timer', 'Weekly restic check of the atelier repository', 'Thu *-*-* 06:30:00', '35min'],
  ])('%s: "%s", OnCalendar=%s, RandomizedDelaySec=%s, Persistent=true, wanted by timers.target', (name, description, calendar, delay) => {
    const u = unit(name);
    expect(one(u, 'Unit', 'Description')).toEqual([description]);
    expect(one(u, 'Timer', 'OnCalendar')).toEqual([calendar]);
    expect(one(u, 'Timer', 'RandomizedDelaySec')).toEqual([delay]);
    expect(one(u, 'Timer', 'Persistent')).toEqual(['true']);
    expect(one(u, 'Install', 'WantedBy')).toEqual(['timers.target']);
  });

  it('the check runs restic check on the declared subset (a % written as %% for systemd)', () => {
    expect(one(unit('atelier-check.service', host({ check: { ...host().backup.check, readDataSubset: '5%' } })), 'Service', 'ExecStart')).toEqual(['restic check --read-data-subset=5%%']);
  });
});

describe('the failure unit: what systemd-analyze does not score', () => {
  it('names the failed unit in its description and gives the command at most 5 minutes', () => {
    const u = unit('atelier-backup-failed@.service');
    expect(one(u, 'Unit', 'Description')).toEqual(['Report the failure of %i (host.backup.onFailure)']);
    expect(one(u, 'Service', 'TimeoutStartSec')).toEqual(['5min']);
    expect(one(u, 'Service', 'Type')).toEqual(['oneshot']);
  });

  it('every restic unit names it as OnFailure=, with the failed unit as instance', () => {
    for (const name of RESTIC_UNITS) expect(one(unit(name), 'Unit', 'OnFailure')).toEqual(['atelier-backup-failed@%n.service']);
  });
});

describe('the backup manifest: the schedules and the repository-wide units', () => {
  const manifestOf = (h: HostModel) => JSON.parse(content(emit(h), 'atelier/backup-manifest.json')) as Record<string, unknown>;

  it('gives the backup schedule, the prune and the check with their units, timers and schedules', () => {
    const m = manifestOf(host());
    expect(m.schedule).toEqual({ calendar: '03:15', randomizedDelay: '40min' });
    expect(m.prune).toEqual({ unit: 'atelier-prune.service', timer: 'atelier-prune.timer', calendar: 'Sat *-*-* 04:00:00', randomizedDelay: '25min', groupBy: 'host,tags', keepLast: 3, keepDaily: 7, keepWeekly: 5, keepMonthly: 12 });
    expect(m.check).toEqual({ unit: 'atelier-check.service', timer: 'atelier-check.timer', calendar: 'Thu *-*-* 06:30:00', randomizedDelay: '35min', readDataSubset: '1/7' });
    expect([m.repositoryFile, m.passwordFile, m.environmentFile, m.host]).toEqual(['/etc/atelier/restic/repo-file', '/etc/atelier/restic/pass-file', '/etc/atelier/restic/env-file', 'atelier']);
  });

  it('the units and timers it names are the ones emitted', () => {
    const files = emit().map((f) => f.path);
    const m = manifestOf(host()) as { prune: { unit: string; timer: string }; check: { unit: string; timer: string } };
    for (const name of [m.prune.unit, m.prune.timer, m.check.unit, m.check.timer]) expect(files).toContain(`systemd/system/${name}`);
  });

  it('with the check disabled: check is null, and no check unit or timer is written', () => {
    const h = host({ check: { ...host().backup.check, enable: false } });
    expect(manifestOf(h).check).toBeNull();
    expect(backupEmitter.emit(makeModel([dataService('app', { files: ['/srv/a'] })], h)).files.map((f) => f.path).filter((p) => p.includes('atelier-check'))).toEqual([]);
  });
});
