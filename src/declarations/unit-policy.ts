// What `extraConfig.systemd` may add to a unit. A declaration's author is not
// trusted with root: a directive that changes who the service runs as, what it
// may reach, what PID 1 opens or runs on its behalf as root, or which units it
// pulls in or replaces, is refused at its line. An allowlist, not a denylist:
// systemd grows new directives every release, and an unknown one is refused
// until someone has read what it does.

/** Directives that only tune the service's own process or order it among others, by section. */
const ALLOWED: Record<'Unit' | 'Service' | 'Install', ReadonlySet<string>> = {
  Unit: new Set(['Description', 'Documentation', 'After', 'Before', 'Wants', 'Requires', 'Requisite', 'BindsTo', 'PartOf', 'StartLimitIntervalSec', 'StartLimitBurst', 'JobTimeoutSec']),
  Service: new Set([
    'Type', 'RemainAfterExit', 'Environment', 'UnsetEnvironment',
    'ExecStartPre', 'ExecStartPost', 'ExecCondition', 'ExecReload', 'ExecStop', 'ExecStopPost',
    'Restart', 'RestartSec', 'RestartPreventExitStatus', 'RestartForceExitStatus', 'SuccessExitStatus',
    'TimeoutSec', 'TimeoutStartSec', 'TimeoutStopSec', 'TimeoutAbortSec', 'RuntimeMaxSec', 'WatchdogSec',
    'KillMode', 'KillSignal', 'RestartKillSignal', 'FinalKillSignal', 'SendSIGKILL', 'SendSIGHUP',
    'UMask', 'Nice', 'CPUWeight', 'CPUQuota', 'IOWeight', 'MemoryLow', 'MemoryHigh', 'MemoryMax', 'MemorySwapMax', 'TasksMax',
    'LimitCPU', 'LimitFSIZE', 'LimitDATA', 'LimitSTACK', 'LimitCORE', 'LimitRSS', 'LimitNOFILE', 'LimitAS', 'LimitNPROC', 'LimitMEMLOCK',
    'LimitLOCKS', 'LimitSIGPENDING', 'LimitMSGQUEUE', 'LimitNICE', 'LimitRTPRIO', 'LimitRTTIME',
    'SyslogIdentifier', 'SyslogLevel', 'LogLevelMax', 'LogRateLimitIntervalSec', 'LogRateLimitBurst',
    // Not in the generated unit; setting them only takes more away.
    'MemoryDenyWriteExecute', 'ProcSubset', 'PrivateNetwork', 'IPAddressDeny', 'ReadOnlyPaths', 'InaccessiblePaths',
    // Lifts ProtectSystem=strict only for the service's own folders (checked below); Unix permissions still apply.
    'ReadWritePaths',
  ]),
  Install: new Set(['WantedBy', 'RequiredBy']),
};

/** Units a service may start along with itself: the network targets and the usual databases; any declared service is added. */
const PULLABLE = /^((network|network-online|nss-lookup|time-sync|remote-fs|local-fs)\.target|(postgresql(@[A-Za-z0-9.-]+)?|mariadb|mysql|redis(-server)?(@[A-Za-z0-9.-]+)?|memcached|caddy)\.service)$/;
const PULLS_IN = new Set(['Wants', 'Requires', 'Requisite', 'BindsTo']);

/** Targets that stop, reboot or isolate the host. */
const HOST_STATE_TARGET = /^(poweroff|reboot|halt|kexec|soft-reboot|shutdown|rescue|emergency|exit|ctrl-alt-del|sleep|suspend|hibernate|hybrid-sleep|suspend-then-hibernate|final|umount)\.target$/;

const YES = /^(yes|true|on|1)$/i;

/** The folders a service may make writable: its data folder and its own cache, log and runtime folders. */
export function ownFolders(own: { name: string; dataDir: string }): string[] {
  return [own.dataDir, `/var/cache/${own.name}`, `/var/log/${own.name}`, `/run/${own.name}`];
}

const isInside = (p: string, folder: string) => p === folder || p.startsWith(`${folder}/`);

/**
 * Why `[section] directive=value` may not come from a declaration, or null.
 * `services`: the declared service names; `own`: the service the directive is for.
 */
export function directiveProblem(section: string, directive: string, value: string, services: ReadonlySet<string>, own?: { name: string; dataDir: string }): string | null {
  const allowed = ALLOWED[section as keyof typeof ALLOWED];
  if (!allowed?.has(directive)) {
    return `\`${directive}\` is not among the directives extraConfig may set in [${section}] (it could change who the service runs as, what it may reach, or what systemd does as root for it)`;
  }
  const v = value.trim();
  if (directive.startsWith('Exec')) {
    // Read before any quoting: `+`, `!` and `!!` give the command root's privileges, `|` (systemd 256) a shell.
    const prefix = /^[-@:+!|]*/.exec(v)?.[0] ?? '';
    if (/[+!|]/.test(prefix)) return `a command must not start with \`${prefix}\`: systemd would run it with root's privileges`;
  }
  if (PULLS_IN.has(directive)) {
    const unit = v.split(/\s+/).find((u) => u !== '' && !PULLABLE.test(u) && !services.has(u.replace(/\.service$/, '')));
    if (unit) return `a service may pull in only the network targets, a database or another declared service, not \`${unit}\` (starting a unit is done as root)`;
  }
  if (directive === 'WantedBy' || directive === 'RequiredBy') {
    const unit = v.split(/\s+/).find((u) => u !== '' && (!u.endsWith('.target') || HOST_STATE_TARGET.test(u)));
    if (unit) return `a service may be installed only into a target, not \`${unit}\` (its failure would stop that unit, or it would run at shutdown)`;
  }
  if (directive === 'ReadWritePaths' && own) {
    // `-` (ignore a missing path) is the only prefix; a path must be plain and absolute, inside a folder of the service's own.
    const outside = v.split(/\s+/).filter(Boolean).map((w) => w.replace(/^-/, '')).find((p) => !p.startsWith('/') || p.split('/').includes('..') || !ownFolders(own).some((f) => isInside(p.replace(/\/+$/, ''), f)));
    if (outside !== undefined) return `a service may make writable only its own folders (${ownFolders(own).join(', ')}), not \`${outside}\``;
  }
  if (directive === 'UMask' && !/^0?[0-7]{0,2}[2367]$/.test(v)) return 'the umask must keep files from being written by others (its last digit 2, 3, 6 or 7)';
  if (directive === 'PrivateNetwork' && !YES.test(v)) return 'PrivateNetwork may only be turned on';
  return null;
}
