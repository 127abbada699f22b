// What systemd-analyze security should say of an app unit, verdict by verdict
// (its --json field names): shared by the offline test (test/hardening.test.ts)
// and the booted host's (test/host/unit-reading.test.ts).

export interface Verdict {
  set: boolean;
  json_field: string;
  exposure: number | null;
}

/** The verdicts not in force, sorted. */
export const gaps = (verdicts: Map<string, Verdict>): string[] => [...verdicts.values()].filter((v) => !v.set).map((v) => v.json_field).sort();

const CAPABILITIES = [
  'AUDIT', 'BLOCK_SUSPEND', 'BPF', 'CHOWN_FSETID_SETFCAP', 'DAC_FOWNER_IPC_OWNER', 'IPC_LOCK', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC', 'MKNOD',
  'NET_ADMIN', 'NET_BIND_SERVICE_BROADCAST_RAW)', 'SET_UID_GID_PCAP', 'SYSLOG', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE',
  'SYS_NICE_RESOURCE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO', 'SYS_TIME', 'SYS_TTY_CONFIG', 'WAKE_ALARM',
].map((c) => `CapabilityBoundingSet_CAP_${c}`);

/** The app units' directives, as emitted, and the verdicts of systemd-analyze security each one puts in force. */
export const APP_DIRECTIVES: [directive: string, fields: string[]][] = [
  ['User=<name>', ['UserOrDynamicUser']],
  ['NoNewPrivileges=yes', ['NoNewPrivileges']],
  ['ProtectSystem=strict', ['ProtectSystem']],
  ['ProtectHome=yes', ['ProtectHome']],
  ['PrivateTmp=yes', ['PrivateTmp']],
  ['PrivateDevices=yes', ['PrivateDevices']],
  ['ProtectKernelTunables=yes', ['ProtectKernelTunables']],
  ['ProtectKernelModules=yes', ['ProtectKernelModules']],
  ['ProtectKernelLogs=yes', ['ProtectKernelLogs']],
  ['ProtectControlGroups=yes', ['ProtectControlGroups']],
  ['ProtectClock=yes', ['ProtectClock']],
  ['ProtectHostname=yes', ['ProtectHostname']],
  ['ProtectProc=invisible', ['ProtectProc']],
  ['PrivateMounts=yes', ['PrivateMounts']],
  ['RestrictNamespaces=yes', ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'].map((n) => `RestrictNamespaces_${n}`)],
  ['RestrictRealtime=yes', ['RestrictRealtime']],
  ['RestrictSUIDSGID=yes', ['RestrictSUIDSGID']],
  ['LockPersonality=yes', ['LockPersonality']],
  ['RemoveIPC=yes', ['RemoveIPC']],
  ['KeyringMode=private', ['KeyringMode']],
  ['CapabilityBoundingSet=', CAPABILITIES],
  ['AmbientCapabilities=', ['AmbientCapabilities']],
  ['RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK', ['RestrictAddressFamilies_AF_PACKET', 'RestrictAddressFamilies_OTHER']],
  ['SystemCallArchitectures=native', ['SystemCallArchitectures']],
  ['SystemCallFilter=@system-service', ['clock', 'cpu_emulation', 'debug', 'module', 'mount', 'obsolete', 'raw_io', 'reboot', 'swap'].map((g) => `SystemCallFilter_${g}`)],
  ['SystemCallFilter=~@privileged', ['SystemCallFilter_privileged']],
  ['SystemCallFilter=~@resources', ['SystemCallFilter_resources']],
];

/** What systemd-analyze still counts against an app unit, each on purpose; anything else missing is a dropped directive. */
export const APP_GAPS: Record<string, string> = {
  DeviceAllow: 'PrivateDevices=yes with DevicePolicy=closed still leaves the pseudo-devices (/dev/null, /dev/zero, /dev/urandom, …)',
  IPAddressDeny: 'not set: the app serves HTTP and may call other hosts',
  MemoryDenyWriteExecute: 'off, with a comment in the unit: the JavaScript JIT needs writable code pages',
  PrivateNetwork: 'not set: the app serves HTTP',
  PrivateUsers: 'left out, with a comment in the unit: the services group and other owners would read as nogroup/nobody, and files could not be given to the group',
  ProcSubset: "left out, with a comment in the unit: Node's os.cpus() needs /proc/cpuinfo",
  RestrictAddressFamilies_AF_INET_INET6: 'allowed: the app serves HTTP',
  RestrictAddressFamilies_AF_NETLINK: 'allowed by RestrictAddressFamilies= (README, Hardening)',
  RestrictAddressFamilies_AF_UNIX: 'allowed by RestrictAddressFamilies= (journald, local sockets)',
  RootDirectoryOrRootImage: 'the app runs on the host file system, read-only by ProtectSystem=strict',
  SupplementaryGroups: 'SupplementaryGroups=<servicesGroup>, the group the services share',
  UMask: 'UMask=0027: systemd-analyze counts anything short of 0077',
};
