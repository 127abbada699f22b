// The systemd emitter: per service a hardened unit, its user (sysusers.d), its
// folders (tmpfiles.d) and its deploy rights (sudoers.d). Pure: model in, files out.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { originOf, type Diagnostic, type HostModel, type Model, type ServiceModel } from '../model.js';
import { nopasswdRule } from '../formats/sudoers.js';
import { sysusers } from '../formats/sysusers.js';
import { directory } from '../formats/tmpfiles.js';
import { UnsafeValueError } from '../formats/errors.js';
import { isListDirective } from '../formats/unit-directives.js';
import { COMMENT, escapeEnvironment, escapeExec, escapeText, escapeWord, renderUnit, type Directive, type Section } from '../formats/unit-file.js';
import { ISOLATION, RESTRICTIONS } from './hardening.js';
import { hashCommentHeader } from './header.js';
import type { EmitResult, EmittedFile, Emitter } from './types.js';

export const unitPath = (name: string) => `systemd/system/${name}.service`;
export const tmpfilesPath = (name: string) => `tmpfiles.d/atelier-${name}.conf`;

/** The systemctl verbs a service user may run on its own unit, and nothing else. */
export const DEPLOY_VERBS = ['restart', 'stop', 'start', 'status'] as const;

export const systemdEmitter: Emitter = {
  name: 'systemd',
  emit(model: Model): EmitResult {
    const files: EmittedFile[] = [];
    const diagnostics: Diagnostic[] = [];
    for (const service of model.services) {
      const guard = new Guard(service, diagnostics);
      const before = diagnostics.length;
      const firstStart = firstStartFile(service);
      const serviceFiles = [
        unitFile(model.host, service, guard, firstStart),
        firstStart,
        sysusersFile(model.host, service, guard),
        tmpfilesFile(model.host, service, guard),
        sudoersFile(model.host, service, guard),
      ];
      if (diagnostics.length === before) files.push(...serviceFiles);
    }
    return { files, diagnostics };
  },
};

/** Turns a value the format refuses into a diagnostic at the value's declaration. */
class Guard {
  constructor(
    private readonly service: ServiceModel,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /** `valuePath` '' names the service itself; `into` is the kind of file the value was for. */
  value<T>(valuePath: string, make: () => T, fallback: T, into = 'a systemd file'): T {
    try {
      return make();
    } catch (err) {
      if (!(err instanceof UnsafeValueError)) throw err;
      const named = ['services', this.service.name, ...(valuePath === '' ? [] : [valuePath])].join('.');
      this.diagnostics.push({ ...originOf(this.service, valuePath), message: `\`${named}\` cannot be written into ${into}: ${err.message}` });
      return fallback;
    }
  }
}

function unitFile(host: HostModel, s: ServiceModel, guard: Guard, firstStart: EmittedFile): EmittedFile {
  const app = `${s.dataDir}/app`;
  const unit: Directive[] = [
    ['Description', guard.value('description', () => escapeText(s.description), '')],
    // The first start clones and installs: it needs the network up, not only configured.
    ['Wants', 'network-online.target'],
    ['After', 'network.target network-online.target'],
  ];
  const service: Directive[] = [
    ['Type', 'exec'],
    ['User', s.name],
    ['Group', s.name],
    ['SupplementaryGroups', escapeWord(host.servicesGroup)],
    ['WorkingDirectory', guard.value('dataDir', () => escapeText(app), '')],
    ['Environment', escapeEnvironment('NODE_ENV', 'production')],
    ['Environment', escapeEnvironment('PORT', String(s.port))],
    ...Object.entries(s.environment).map(([key, value]): Directive => ['Environment', guard.value(`environment.${key}`, () => escapeEnvironment(key, value), '')]),
    ...(s.secretsFile ? [['EnvironmentFile', guard.value('secretsFile', () => escapeText(s.secretsFile!), '')] as Directive] : []),
    // Root part of the first start: the folders, with their owner, from this service's tmpfiles.d file.
    ['ExecStartPre', escapeExec(['systemd-tmpfiles', '--create', path.posix.join(host.sysconfdir, tmpfilesPath(s.name))], '+')],
    // The script's hash makes this unit change with it: --apply then restarts the service, as a
    // NixOS switch restarts a unit whose preStart changed.
    [COMMENT, `first-start script sha256:${createHash('sha256').update(firstStart.content).digest('hex').slice(0, 16)} (when it changes, so does this unit: --apply restarts the service)`],
    ['ExecStartPre', guard.value('repository', () => escapeExec(firstStartCommand(host, s)), '')],
    ['ExecStart', guard.value(s.startCommand !== null ? 'startCommand' : 'entryPoint', () => escapeExec(startCommand(host, s)), '')],
    ['Restart', 'on-failure'],
    ['RestartSec', '10s'],
    ['TimeoutStartSec', '60s'],
    ...hardening(s),
  ];
  const install: Directive[] = [['WantedBy', 'multi-user.target']];
  const sections: Section[] = [
    { name: 'Unit', directives: override(unit, s.extraConfig.systemd.Unit, 'Unit', guard) },
    { name: 'Service', directives: override(service, s.extraConfig.systemd.Service, 'Service', guard) },
    { name: 'Install', directives: override(install, s.extraConfig.systemd.Install, 'Install', guard) },
  ];
  return { path: unitPath(s.name), mode: 0o644, content: renderUnit(hashCommentHeader(s.sources), sections), service: s.name };
}

/**
 * `startCommand` for every runtime, as mkService: a command line run by `bash -c`.
 * bash (5.2 on Debian 12, checked on the booted host) execs the last simple command of a
 * `-c` string itself (`cd web && PORT=3022 bun run x`), so the app stays the
 * unit's main process whenever the line allows it. Without one, the runtime
 * runs the entry point directly, as one argument (no shell to re-split it).
 */
function startCommand(host: HostModel, s: ServiceModel): string[] {
  if (s.startCommand !== null) return ['/bin/bash', '-c', s.startCommand];
  if (s.runtime === 'bun') return [host.runtimes.bun, 'run', s.entryPoint];
  return [host.runtimes.node, s.entryPoint];
}

export const firstStartPath = (name: string) => `atelier/scripts/${name}/first-start`;

/**
 * The service user's part of the first start, as mkService's preStart: clone
 * once, install once, then extraConfig.preStart. A file of its own (readable
 * diffs, shellcheck); declared values arrive as positional parameters, never
 * spliced into shell text.
 */
export const FIRST_START_SCRIPT = `set -eu
app=$1
repository=$2
ref=$3
shift 3
if [ -n "$repository" ] && [ ! -d "$app/.git" ]; then
  if [ -n "$ref" ]; then
    git clone --quiet --branch="$ref" -- "$repository" "$app"
  else
    git clone --quiet -- "$repository" "$app"
  fi
fi
cd "$app"
if [ "$#" -gt 0 ] && [ -f package.json ] && [ ! -d node_modules ]; then
  echo "First start: installing dependencies: $*"
  "$@"
fi`;

function firstStartFile(s: ServiceModel): EmittedFile {
  // As NixOS runs preStart: `set -e` only (a line that reads an unset variable is not an error there).
  const preStart = s.extraConfig.preStart.length > 0 ? `\n# extraConfig.preStart\nset +u\n${s.extraConfig.preStart.join('\n')}` : '';
  const usage = '# Arguments: <app folder> <repository or ""> <branch or tag or ""> [dependency install command...]\n';
  const content = `#!/bin/bash\n${hashCommentHeader(s.sources)}# First start of ${s.name}, run by its unit as the service user.\n${usage}${FIRST_START_SCRIPT}${preStart}\n`;
  return { path: firstStartPath(s.name), mode: 0o755, content, service: s.name };
}

function firstStartCommand(host: HostModel, s: ServiceModel): string[] {
  return [path.posix.join(host.sysconfdir, firstStartPath(s.name)), `${s.dataDir}/app`, s.repository ?? '', s.repositoryRef ?? '', ...installCommand(host, s)];
}

/** `bun install` or `npm ci --omit=dev` (npm beside node when node is a path); nothing for custom runtimes. */
export function installCommand(host: HostModel, s: ServiceModel): string[] {
  if (s.runtime === 'bun') return [host.runtimes.bun, 'install'];
  if (s.runtime === 'node') {
    const npm = host.runtimes.node.includes('/') ? path.posix.join(path.posix.dirname(host.runtimes.node), 'npm') : 'npm';
    return [npm, 'ci', '--omit=dev'];
  }
  return [];
}

/**
 * Far beyond the seed's four directives; scored with `systemd-analyze security`.
 * Each directive left out or relaxed says why.
 */
function hardening(s: ServiceModel): Directive[] {
  return [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    // ProtectSystem=strict makes everything read-only: the data directory is the one place to write.
    ['ReadWritePaths', escapeWord(s.dataDir)],
    ['ProtectHome', 'yes'],
    ...ISOLATION,
    // Mounts the service makes (it cannot, without capabilities) stay in its own namespace.
    ['PrivateMounts', 'yes'],
    [COMMENT, "ProcSubset=pid is left out: it hides /proc/cpuinfo, and Node's os.cpus() returns nothing without it."],
    [COMMENT, 'PrivateUsers= is left out: in its user namespace the services group (SupplementaryGroups=) and every owner but this user read as nogroup/nobody, and files cannot be given to the services group.'],
    ...RESTRICTIONS,
    ['RemoveIPC', 'yes'],
    ['KeyringMode', 'private'],
    ['CapabilityBoundingSet', ''],
    ['AmbientCapabilities', ''],
    ['DevicePolicy', 'closed'],
    ['UMask', '0027'],
    ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'],
    ['SystemCallArchitectures', 'native'],
    ['SystemCallFilter', '@system-service'],
    ['SystemCallFilter', '~@privileged @resources'],
    // Refused calls fail with EPERM instead of killing: libuv probes io_uring and falls back.
    ['SystemCallErrorNumber', 'EPERM'],
    [COMMENT, `MemoryDenyWriteExecute=no: ${s.runtime === 'custom' ? 'a custom start command may run a JIT runtime' : 'the JavaScript JIT needs writable code pages'} (V8 aborts, Bun loses its JIT).`],
    ['MemoryDenyWriteExecute', 'no'],
  ];
}

/**
 * extraConfig.systemd, read as systemd reads a directive given twice: a list
 * directive (Environment=, ReadWritePaths=, After=, ExecStartPre=, …) adds its
 * lines after the generated ones, so an empty string resets the list exactly
 * where systemd would; a single-valued one replaces the generated line in place.
 */
function override(generated: Directive[], overrides: Record<string, string[]>, section: string, guard: Guard): Directive[] {
  const out = [...generated];
  for (const [key, values] of Object.entries(overrides)) {
    const valuePath = `extraConfig.systemd.${section}.${key}`;
    const ok = guard.value(
      valuePath,
      () => {
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new UnsafeValueError(`${JSON.stringify(key)} is not a directive name`);
        // Written as the admin typed it (systemd syntax on purpose); only what would end the line is refused.
        for (const v of values) if (/[\u0000-\u001f\u007f]/.test(v) || v.endsWith('\\')) throw new UnsafeValueError('a value must be one line, not ending in a backslash');
        return true;
      },
      false,
    );
    if (!ok) continue;
    const given: Directive[] = values.map((v) => [key, v]);
    const first = out.findIndex(([k]) => k === key);
    if (first < 0) {
      out.push(...given);
    } else if (isListDirective(key)) {
      out.splice(out.map(([k]) => k).lastIndexOf(key) + 1, 0, ...given);
    } else {
      // Nothing before `first` has this key: it is also the replacement's index once the old lines are gone.
      const kept = out.filter(([k]) => k !== key);
      kept.splice(first, 0, ...given);
      out.splice(0, out.length, ...kept);
    }
  }
  return out;
}

function sysusersFile(host: HostModel, s: ServiceModel, guard: Guard): EmittedFile {
  const lines = guard.value(
    'description',
    () => [sysusers.group(host.servicesGroup), sysusers.group(s.name), sysusers.user(s.name, s.description, s.dataDir, host.userShell), sysusers.member(s.name, host.servicesGroup)],
    [],
  );
  return { path: `sysusers.d/atelier-${s.name}.conf`, mode: 0o644, content: `${hashCommentHeader(s.sources)}${lines.join('\n')}\n`, service: s.name };
}

function tmpfilesFile(host: HostModel, s: ServiceModel, guard: Guard): EmittedFile {
  const lines = guard.value(
    'dataDir',
    () => [directory(s.dataDir, 0o755, s.name, host.servicesGroup), directory(`${s.dataDir}/app`, 0o750, s.name, host.servicesGroup), directory(`${s.dataDir}/data`, 0o750, s.name, host.servicesGroup)],
    [],
  );
  return { path: tmpfilesPath(s.name), mode: 0o644, content: `${hashCommentHeader(s.sources)}${lines.join('\n')}\n`, service: s.name };
}

function sudoersFile(host: HostModel, s: ServiceModel, guard: Guard): EmittedFile {
  // No dot in the name: sudo skips files in sudoers.d whose names contain one.
  const rule = guard.value('', () => nopasswdRule(s.name, DEPLOY_VERBS.map((verb) => [host.systemctl, verb, `${s.name}.service`])), '', 'a sudoers file');
  return { path: `sudoers.d/atelier-${s.name}`, mode: 0o440, content: `${hashCommentHeader(s.sources)}${rule}\n`, service: s.name };
}
