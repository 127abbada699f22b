// The failure unit (host.backup.onFailure), verdict by verdict, as
// `systemd-analyze security --offline=true --json=short` reads an instance of
// it: each protection it sets in force, and only the gaps kept on purpose (an
// administrator's own command, as root, with the network: mail, a webhook).
// Like test/hardening.test.ts for the other units; the emitter is called directly.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup/index.js';
import { dataService } from './support/backup.js';
import { tempDirs, writeFiles } from './support/emit.js';
import { gaps, type Verdict } from './support/hardening.js';
import { makeHost, makeModel } from './support/model-builders.js';

const temp = tempDirs();
const INSTANCE = 'atelier-backup-failed@atelier-backup-app.service.service';

// Emitted afresh for every test, so that mutation testing credits each test with the emitter code it reads.
let file = '';
beforeEach(() => {
  const host = makeHost({ backup: { ...makeHost().backup, onFailure: 'mail -s "backup failed" root' } });
  const template = backupEmitter.emit(makeModel([dataService('app', { files: ['/srv/app'] })], host)).files.find((f) => f.path === 'systemd/system/atelier-backup-failed@.service');
  if (!template) throw new Error('no failure unit emitted');
  file = path.join(writeFiles(temp('bk-failed-sec'), [{ path: INSTANCE, mode: 0o644, content: template.content }]), INSTANCE);
});

const analysed = new Map<string, Map<string, Verdict>>();
function verdicts(): Map<string, Verdict> {
  const known = analysed.get(file);
  if (known) return known;
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--json=short', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`systemd-analyze security --json failed: ${r.stderr}`);
  const read = new Map((JSON.parse(r.stdout) as Verdict[]).map((v) => [v.json_field, v]));
  analysed.set(file, read);
  return read;
}

/** The failure unit's directives and the verdicts each one puts in force. */
const IN_FORCE: [directive: string, fields: string[]][] = [
  ['NoNewPrivileges=yes', ['NoNewPrivileges']],
  ['PrivateTmp=yes', ['PrivateTmp']],
  ['PrivateDevices=yes', ['PrivateDevices', 'CapabilityBoundingSet_CAP_MKNOD', 'CapabilityBoundingSet_CAP_SYS_RAWIO']],
  ['ProtectKernelTunables=yes', ['ProtectKernelTunables']],
  ['ProtectKernelModules=yes', ['ProtectKernelModules', 'CapabilityBoundingSet_CAP_SYS_MODULE']],
  ['ProtectControlGroups=yes', ['ProtectControlGroups']],
  ['ProtectKernelLogs=yes', ['ProtectKernelLogs', 'CapabilityBoundingSet_CAP_SYSLOG']],
  ['ProtectClock=yes', ['ProtectClock', 'CapabilityBoundingSet_CAP_SYS_TIME', 'CapabilityBoundingSet_CAP_WAKE_ALARM']],
  ['ProtectHostname=yes', ['ProtectHostname']],
  ['RestrictNamespaces=yes', ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'].map((n) => `RestrictNamespaces_${n}`)],
  ['RestrictRealtime=yes', ['RestrictRealtime']],
  ['RestrictSUIDSGID=yes', ['RestrictSUIDSGID']],
  ['LockPersonality=yes', ['LockPersonality']],
  ['SystemCallArchitectures=native', ['SystemCallArchitectures']],
  ['RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', ['RestrictAddressFamilies_AF_PACKET', 'RestrictAddressFamilies_AF_NETLINK', 'RestrictAddressFamilies_OTHER']],
];

/** Counted against the unit, each on purpose: the command is the administrator's own, run as root with the network. */
const GAPS = [
  // Root with its capabilities: mail or a webhook client may need any of them (spool files, sockets).
  ...['AUDIT', 'BLOCK_SUSPEND', 'BPF', 'CHOWN_FSETID_SETFCAP', 'DAC_FOWNER_IPC_OWNER', 'IPC_LOCK', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC', 'NET_ADMIN',
    'NET_BIND_SERVICE_BROADCAST_RAW)', 'SET_UID_GID_PCAP', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_NICE_RESOURCE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_TTY_CONFIG',
  ].map((c) => `CapabilityBoundingSet_CAP_${c}`),
  'UserOrDynamicUser', 'SupplementaryGroups', 'PrivateUsers', 'RemoveIPC', 'UMask',
  // It needs the network and the host's file system (a spool under /var).
  'PrivateNetwork', 'IPAddressDeny', 'RestrictAddressFamilies_AF_INET_INET6', 'RestrictAddressFamilies_AF_UNIX', 'RootDirectoryOrRootImage',
  'PrivateMounts', 'ProtectProc', 'ProcSubset', 'DeviceAllow',
  // ProtectSystem=full and ProtectHome=read-only: partly in force (below), not the strictest setting.
  'ProtectSystem', 'ProtectHome',
  // A JIT runtime may run it; no system-call filter, any command may be given.
  'MemoryDenyWriteExecute',
  ...['clock', 'cpu_emulation', 'debug', 'module', 'mount', 'obsolete', 'privileged', 'raw_io', 'reboot', 'resources', 'swap'].map((g) => `SystemCallFilter_${g}`),
].sort();

describe('the failure unit, read by systemd-analyze security', () => {
  it.each(IN_FORCE)('%s: in force', (_directive, fields) => {
    for (const field of fields) {
      const v = verdicts().get(field);
      expect(v, `systemd-analyze has a verdict ${field}`).toBeDefined();
      expect(v!.set, field).toBe(true);
    }
  });

  it.each([['ProtectSystem=full', 'ProtectSystem'], ['ProtectHome=read-only', 'ProtectHome']])('%s: partly in force (exposure 0.1 of 0.2)', (_directive, field) => {
    expect(Number(verdicts().get(field)!.exposure)).toBe(0.1);
  });

  it('only the gaps kept on purpose: every other verdict in force', () => {
    expect(gaps(verdicts())).toEqual(GAPS);
  });
});
