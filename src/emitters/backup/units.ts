// What every restic unit shares: the repository's environment, the sandbox,
// a low priority, the system-call filter, the timer; and the guard that turns
// a value the unit format refuses into a diagnostic.
import type { Diagnostic, HostModel, Origin } from '../../model.js';
import { UnsafeValueError } from '../../formats/errors.js';
import { COMMENT, escapeEnvironment, escapeText, escapeWord, renderUnit, type Directive } from '../../formats/unit-file.js';
import { ISOLATION, RESTRICTIONS } from '../hardening.js';
import { hashCommentHeader } from '../header.js';
import { LOCAL_REPOSITORY_ROOT, RESTIC_CACHE } from './layout.js';
import { notify } from './notify.js';

// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Runs `build`; a value the unit format refuses becomes a diagnostic instead of a throw. */
export function guard(origin: Origin, build: () => void): Diagnostic[] {
  try {
    build();
    return [];
  } catch (e) {
    if (e instanceof UnsafeValueError) return [{ ...origin, message: `cannot be written into a backup unit: ${e.message}` }];
    throw e;
  }
}

export function resticEnvironment(host: HostModel): Directive[] {
  return [
    ['Environment', escapeEnvironment('RESTIC_REPOSITORY_FILE', host.backup.repositoryFile)],
    ['Environment', escapeEnvironment('RESTIC_PASSWORD_FILE', host.backup.passwordFile)],
    ['Environment', escapeEnvironment('RESTIC_CACHE_DIR', `/var/cache/${RESTIC_CACHE}`)],
    ...(host.backup.environmentFile ? [['EnvironmentFile', escapeText(host.backup.environmentFile)] as Directive] : []),
    ['CacheDirectory', RESTIC_CACHE],
  ];
}

/** Sandboxing shared by backup and prune: the whole system read-only, no devices, no kernel knobs. */
export function sandbox(writable: readonly string[], home: 'read-only' | 'yes', runsAppCode = false): Directive[] {
  return [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    [COMMENT, `A local repository must be under ${LOCAL_REPOSITORY_ROOT}; elsewhere, add ReadWritePaths= in a drop-in.`],
    ['ReadWritePaths', [LOCAL_REPOSITORY_ROOT, ...writable].map((p) => escapeWord(`-${p}`)).join(' ')],
    ['ProtectHome', home],
    ...ISOLATION,
    ...RESTRICTIONS,
    ['PrivateIPC', 'yes'],
    ['PrivateMounts', 'yes'],
    // An app's own backup command (data.preBackup/postBackup) may be Node or Bun: their JIT needs
    // writable code pages, and os.cpus() needs /proc/cpuinfo, as in the app's unit.
    ...(runsAppCode ? [] : ([['ProcSubset', 'pid'], ['MemoryDenyWriteExecute', 'yes']] as Directive[])),
    ['KeyringMode', 'private'],
    ['UMask', '0077'],
    // Remote repositories: sftp/rest/s3 need IP; AF_UNIX for systemctl and PostgreSQL's socket.
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
    ['SystemCallArchitectures', 'native'],
    ['SystemCallErrorNumber', 'EPERM'],
  ];
}

/**
 * Yields to the services, but never starves: "idle" I/O could wait forever on
 * a busy disk, and with stopForBackup the service is down during the copy.
 */
export function lowPriority(): Directive[] {
  return [
    ['Nice', '10'],
    ['IOSchedulingClass', 'best-effort'],
    ['IOSchedulingPriority', '7'],
  ];
}

/**
 * @resources is denied (Go's start-up setrlimit then fails harmlessly);
 * @privileged only where no step changes identity or ownership.
 */
export function systemCalls(changesIdentity: boolean): Directive[] {
  return [
    ['SystemCallFilter', '@system-service'],
    ['SystemCallFilter', changesIdentity ? '~@resources' : '~@privileged @resources'],
  ];
}

export function timer(sources: readonly string[], description: string, calendar: string, delay: string): string {
  return renderUnit(hashCommentHeader(sources), [
    { name: 'Unit', directives: [['Description', escapeText(description)]] },
    {
      name: 'Timer',
      directives: [
        ['OnCalendar', escapeText(calendar)],
        ['RandomizedDelaySec', escapeText(delay)],
        // A run missed while the host was off happens at the next boot.
        ['Persistent', 'true'],
      ],
    },
    { name: 'Install', directives: [['WantedBy', 'timers.target']] },
  ]);
}

/**
 * A repository-wide job (prune, check): its own steps between the pings, with
 * what both share: the repository's environment, a low priority, the whole
 * system read-only and no capability at all (it reads and writes only the
 * repository and restic's cache, which root owns).
 */
export function repositoryJob(host: HostModel, unit: string, description: string, steps: Directive[], timeout: string): string {
  const loud = notify(host, unit);
  return renderUnit(hashCommentHeader(), [
    {
      name: 'Unit',
      directives: [['Description', description], ['Wants', 'network-online.target'], ['After', 'network-online.target'], ...loud.unit],
    },
    {
      name: 'Service',
      directives: [
        ['Type', 'oneshot'],
        ...resticEnvironment(host),
        ...loud.start,
        ...steps,
        ...loud.finish,
        ['TimeoutStartSec', timeout],
        ...lowPriority(),
        ...sandbox([], 'yes'),
        ['CapabilityBoundingSet', ''],
        ...systemCalls(false),
      ],
    },
  ]);
}
