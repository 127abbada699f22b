// Each hardening directive by name, as systemd reads it: the verdicts of
// `systemd-analyze security --offline=true --json=short` on the emitted units
// (the fleet fixture: a bun, a node and a custom app; backup, prune and check jobs).
// A golden file says the text did not change; these say each protection is in
// force, so one directive dropped or relaxed fails a test that names it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { emitTexts, fixtureTexts, tempDirs, writeFiles } from './support/emit.js';
import { APP_DIRECTIVES, APP_GAPS, gaps, type Verdict } from './support/hardening.js';

const temp = tempDirs();
// Emitted afresh for every test (beforeEach), so that mutation testing credits each test
// with the emitter code it reads (docs/architecture.md); systemd-analyze is asked once per unit text.
let dir = '';
beforeEach(() => {
  dir = writeFiles(temp('hardening'), emitTexts(fixtureTexts('fleet')));
});
const analysed = new Map<string, { verdicts: Map<string, Verdict>; exposure: number }>();

function security(unit: string): { verdicts: Map<string, Verdict>; exposure: number } {
  const file = path.join(dir, 'systemd/system', unit);
  const text = fs.readFileSync(file, 'utf8');
  const known = analysed.get(text);
  if (known) return known;
  const json = spawnSync('systemd-analyze', ['security', '--offline=true', '--json=short', file], { encoding: 'utf8' });
  if (json.status !== 0) throw new Error(`systemd-analyze security --json failed on ${unit}: ${json.stderr}`);
  const report = spawnSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(report.stdout + report.stderr);
  if (!m) throw new Error(`no exposure score for ${unit}:\n${report.stdout}${report.stderr}`);
  const verdicts = new Map((JSON.parse(json.stdout) as Verdict[]).map((v) => [v.json_field, v]));
  const read = { verdicts, exposure: Number(m[1]) };
  analysed.set(text, read);
  return read;
}

// Measured on Debian 12 (systemd 252); a directive dropped adds at least 0.1.
const APPS = [
  ['bun', 'indiko.service', 1.3],
  ['node', 'ledger.service', 1.3],
  ['custom', 'worker.service', 1.3],
] as const;

describe('the app units: each hardening directive in force, read by systemd-analyze security', () => {
  const read = (runtime: string) => security(APPS.find(([r]) => r === runtime)![1]);

  it.each(APP_DIRECTIVES)('%s: in force for the bun, node and custom units', (_directive, fields) => {
    for (const [runtime] of APPS) {
      for (const field of fields) {
        const v = read(runtime).verdicts.get(field);
        expect(v, `${runtime}: systemd-analyze has a verdict ${field}`).toBeDefined();
        expect(v!.set, `${runtime}: ${field}`).toBe(true);
      }
    }
  });

  it.each(APPS)('the %s unit (%s) has only the gaps kept on purpose, and its exposure is the measured %s (±0.05)', (runtime, _unit, measured) => {
    expect(gaps(read(runtime).verdicts)).toEqual(Object.keys(APP_GAPS).sort());
    expect(Math.abs(read(runtime).exposure - measured)).toBeLessThanOrEqual(0.05);
  });
});

/** Backup jobs run as root with the capabilities restic needs; the repository-wide jobs with none. */
const JOBS: { what: string; unit: string; gaps: string[]; measured: number }[] = [
  { what: 'a backup job with SQLite (copies as the service user)', unit: 'atelier-backup-indiko.service', measured: 2.4, gaps: [
    'CapabilityBoundingSet_CAP_CHOWN_FSETID_SETFCAP', 'CapabilityBoundingSet_CAP_DAC_FOWNER_IPC_OWNER', 'CapabilityBoundingSet_CAP_SET_UID_GID_PCAP',
    'DeviceAllow', 'IPAddressDeny', 'PrivateNetwork', 'PrivateUsers', 'ProtectHome', 'RemoveIPC', 'RestrictAddressFamilies_AF_INET_INET6',
    'RestrictAddressFamilies_AF_UNIX', 'RootDirectoryOrRootImage', 'SupplementaryGroups', 'SystemCallFilter_privileged', 'UserOrDynamicUser',
  ] },
  { what: 'a backup job with PostgreSQL', unit: 'atelier-backup-ledger.service', measured: 2.2, gaps: [
    'CapabilityBoundingSet_CAP_DAC_FOWNER_IPC_OWNER', 'CapabilityBoundingSet_CAP_SET_UID_GID_PCAP',
    'DeviceAllow', 'IPAddressDeny', 'PrivateNetwork', 'PrivateUsers', 'ProtectHome', 'RemoveIPC', 'RestrictAddressFamilies_AF_INET_INET6',
    'RestrictAddressFamilies_AF_UNIX', 'RootDirectoryOrRootImage', 'SupplementaryGroups', 'SystemCallFilter_privileged', 'UserOrDynamicUser',
  ] },
  ...['atelier-prune.service', 'atelier-check.service'].map((unit) => ({ what: 'a repository-wide job', unit, measured: 1.6, gaps: [
      'DeviceAllow', 'IPAddressDeny', 'PrivateNetwork', 'PrivateUsers', 'RemoveIPC', 'RestrictAddressFamilies_AF_INET_INET6',
      'RestrictAddressFamilies_AF_UNIX', 'RootDirectoryOrRootImage', 'SupplementaryGroups', 'UserOrDynamicUser',
  ] })),
];

describe('the backup and repository jobs, read by systemd-analyze security', () => {
  it.each(JOBS)('$what ($unit): every other verdict in force, exposure the measured $measured (±0.05)', ({ unit, gaps: expectedGaps, measured }) => {
    const { verdicts, exposure } = security(unit);
    expect(gaps(verdicts)).toEqual([...expectedGaps].sort());
    expect(Math.abs(exposure - measured)).toBeLessThanOrEqual(0.05);
  });
});
