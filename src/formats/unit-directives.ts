// How systemd reads a directive given more than once: a list it adds to, or a
// single value the last line replaces. Taken from systemd's own manuals
// (systemd 252, Debian 12: systemd.unit(5), systemd.service(5), systemd.exec(5),
// systemd.resource-control(5)): each directive below "may be specified more than
// once", each line adding to the list, and (where the manual says so) "if the
// empty string is assigned, the list is reset". Every other directive is
// single-valued: a later line replaces an earlier one.

const LISTS: readonly string[] = [
  // systemd.unit(5) [Unit]: dependencies and ordering (space-separated lists, "may be specified more than once").
  'Documentation', 'Wants', 'Requires', 'Requisite', 'BindsTo', 'PartOf', 'Upholds', 'Conflicts', 'Before', 'After',
  'OnFailure', 'OnSuccess', 'PropagatesReloadTo', 'ReloadPropagatedFrom', 'PropagatesStopTo', 'StopPropagatedFrom',
  'JoinsNamespaceOf', 'RequiresMountsFor',
  // systemd.unit(5) [Install].
  'Alias', 'WantedBy', 'RequiredBy', 'Also',
  // systemd.service(5): command lists run one after the other, exit status lists.
  'ExecCondition', 'ExecStartPre', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost',
  'SuccessExitStatus', 'RestartPreventExitStatus', 'RestartForceExitStatus', 'Sockets',
  // systemd.exec(5).
  'ExecSearchPath', 'BindPaths', 'BindReadOnlyPaths', 'MountImages', 'ExtensionImages', 'ExtensionDirectories',
  'SupplementaryGroups', 'CapabilityBoundingSet', 'AmbientCapabilities', 'SecureBits', 'CoredumpFilter', 'CPUAffinity',
  'ReadWritePaths', 'ReadOnlyPaths', 'InaccessiblePaths', 'ExecPaths', 'NoExecPaths', 'TemporaryFileSystem',
  'RestrictAddressFamilies', 'RestrictFileSystems', 'RestrictNamespaces', 'SystemCallFilter', 'SystemCallLog',
  'Environment', 'EnvironmentFile', 'PassEnvironment', 'UnsetEnvironment', 'LogExtraFields',
  'LoadCredential', 'LoadCredentialEncrypted', 'SetCredential', 'SetCredentialEncrypted',
  'RuntimeDirectory', 'StateDirectory', 'CacheDirectory', 'LogsDirectory', 'ConfigurationDirectory',
  // systemd.resource-control(5).
  'DeviceAllow', 'IPAddressAllow', 'IPAddressDeny', 'IPIngressFilterPath', 'IPEgressFilterPath', 'BPFProgram',
  'SocketBindAllow', 'SocketBindDeny', 'RestrictNetworkInterfaces', 'DisableControllers',
  'IODeviceWeight', 'IOReadBandwidthMax', 'IOWriteBandwidthMax', 'IOReadIOPSMax', 'IOWriteIOPSMax', 'IODeviceLatencyTargetSec',
];

const LIST_SET = new Set(LISTS);

/**
 * Whether systemd adds each line of `directive` to a list. Condition…= and
 * Assert…= lines each add a check (systemd.unit(5): an empty assignment resets them all).
 *
 * ExecStart= is the one exception kept single-valued here: systemd accumulates it only for
 * Type=oneshot, and every unit that takes extraConfig is Type=exec, which allows exactly one.
 */
export function isListDirective(directive: string): boolean {
  return LIST_SET.has(directive) || /^(Condition|Assert)[A-Z]/.test(directive);
}

export const LIST_DIRECTIVES: readonly string[] = LISTS;
