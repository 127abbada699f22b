// Failure is loud: every restic unit (backups, prune, check) reports its
// failure through host.backup.onFailure (an OnFailure= unit) and/or pings a
// healthchecks.io-style URL itself (start, success, failure with the log).
import * as path from 'node:path';
import type { HostModel } from '../../model.js';
import { escapeExec, renderUnit, type Directive } from '../../formats/unit-file.js';
import { hashCommentHeader } from '../header.js';
import type { EmittedFile } from '../types.js';
import { SCRIPTS_DIR, step, STEP_NAMES } from './scripts.js';

/** A template: instance = the failed unit's full name (`%n` where it is used). */
export const FAILURE_UNIT = 'atelier-backup-failed@.service';

/** The ping URL of one unit: one check per job (healthchecks.io's slug URLs, `<ping-key>/<slug>`). */
export const pingUrl = (host: HostModel, unit: string) => `${host.backup.healthcheckUrl}/${unit.replace(/\.service$/, '')}`;

export interface Notify {
  /** [Unit] directives. */
  unit: Directive[];
  /** The first ExecStartPre=: the start ping, before anything can fail. */
  start: Directive[];
  /** The last ExecStopPost=: success or failure (with this run's log), after everything else. */
  finish: Directive[];
}

export function notify(host: HostModel, unit: string): Notify {
  const url = host.backup.healthcheckUrl;
  return {
    unit: host.backup.onFailure !== null ? [['OnFailure', FAILURE_UNIT.replace('@.', '@%n.')]] : [],
    // "-": a ping never fails the job (the script exits 0 anyway; this also covers a missing curl).
    start: url !== null ? [['ExecStartPre', `-${step(host, 'ping', pingUrl(host, unit), 'start')}`]] : [],
    finish: url !== null ? [['ExecStopPost', `-${step(host, 'ping', pingUrl(host, unit), 'finish')}`]] : [],
  };
}

/**
 * Runs host.backup.onFailure as root, as an administrator's own command would
 * run (mail, a chat webhook): it may need the network and write a spool, so
 * only the kernel, devices and /usr, /boot, /etc are protected (a JIT
 * runtime may run it: MemoryDenyWriteExecute= stays off).
 */
export function failureUnit(host: HostModel): EmittedFile {
  const script = escapeExec([path.posix.join(host.sysconfdir, SCRIPTS_DIR, STEP_NAMES.onFailure)]);
  const content = renderUnit(hashCommentHeader(), [
    { name: 'Unit', directives: [['Description', 'Report the failure of %i (host.backup.onFailure)']] },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        // %i: the failed unit's name, as systemd passes it; the command is one argument (bash -c).
        ['ExecStart', `${script} %i ${escapeExec([host.backup.onFailure ?? 'true'])}`],
        ['TimeoutStartSec', '5min'],
        ['NoNewPrivileges', 'yes'],
        ['ProtectSystem', 'full'],
        ['ProtectHome', 'read-only'],
        ['PrivateTmp', 'yes'],
        ['PrivateDevices', 'yes'],
        ['ProtectKernelTunables', 'yes'],
        ['ProtectKernelModules', 'yes'],
        ['ProtectControlGroups', 'yes'],
        ['ProtectKernelLogs', 'yes'],
        ['ProtectClock', 'yes'],
        ['ProtectHostname', 'yes'],
        ['RestrictNamespaces', 'yes'],
        ['RestrictRealtime', 'yes'],
        ['RestrictSUIDSGID', 'yes'],
        ['LockPersonality', 'yes'],
        ['SystemCallArchitectures', 'native'],
        ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
      ],
    },
  ]);
  return { path: `systemd/system/${FAILURE_UNIT}`, mode: 0o644, content };
}
