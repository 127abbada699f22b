// Sandboxing directives every emitted service shares, the app units and the
// backup jobs alike; each emitter adds what its own job allows on top.
import type { Directive } from '../formats/unit-file.js';

/** No devices, no kernel knobs, no view of other processes, a private /tmp. */
export const ISOLATION: readonly Directive[] = [
  ['PrivateTmp', 'yes'],
  ['PrivateDevices', 'yes'],
  ['ProtectKernelTunables', 'yes'],
  ['ProtectKernelModules', 'yes'],
  ['ProtectKernelLogs', 'yes'],
  ['ProtectControlGroups', 'yes'],
  ['ProtectClock', 'yes'],
  ['ProtectHostname', 'yes'],
  ['ProtectProc', 'invisible'],
];

/** No new namespaces, realtime scheduling, set-id files or personality changes. */
export const RESTRICTIONS: readonly Directive[] = [
  ['RestrictNamespaces', 'yes'],
  ['RestrictRealtime', 'yes'],
  ['RestrictSUIDSGID', 'yes'],
  ['LockPersonality', 'yes'],
];
