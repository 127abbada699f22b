// doctor's checks of the secret files the units read (EnvironmentFile=, restic's
// password) and of the tools the declarations need besides the runtimes. A
// secret must exist before the first start, be root's (systemd reads it as root;
// another owner could rewrite what a service runs with), and not be readable or
// writable by others. Each fix is a command that makes exactly what is accepted.
import * as path from 'node:path';
import type { CommandRunner } from './apply.js';
import { hasData } from './emitters/backup/index.js';
import { dnsEnvironment } from './emitters/caddy-tls.js';
import type { FsLike } from './fs.js';
import type { Model } from './model.js';

/** The shape of doctor's findings (doctor.ts re-uses it). */
export interface FileFinding {
  level: 'ok' | 'warn' | 'fail';
  check: string;
  detail: string;
  fix?: string;
}

interface Secret {
  file: string;
  /** Who reads it, for the message. */
  usedBy: string;
  /** Reported missing elsewhere (the restic password has its own check). */
  missingReportedElsewhere?: boolean;
  /** A command that creates it with the right owner and mode. */
  create: string;
}

/** Commands doctor suggests; a test runs them and checks doctor then accepts the result. */
export const createSecretCommand = (file: string) => `install -m 0600 -o root -g root /dev/null ${file}   # then write its KEY=value lines`;
export const createPasswordCommand = (file: string) => `(umask 077 && head -c 32 /dev/urandom | base64 > ${file})`;

export function secretFileChecks(model: Model, fs: FsLike, root: string): FileFinding[] {
  const secrets: Secret[] = [];
  for (const s of model.services) if (s.secretsFile) secrets.push({ file: s.secretsFile, usedBy: `${s.name}.service (secretsFile)`, create: createSecretCommand(s.secretsFile) });
  const { caddy, backup } = model.host;
  if (caddy.environmentFile && model.services.some((s) => s.caddy.enable)) {
    // A missing file is already a failure of the "caddy environment" check when the sites read from it.
    const readBySites = dnsEnvironment(model.host).length > 0;
    secrets.push({ file: caddy.environmentFile, usedBy: 'caddy.service (host.caddy.environmentFile)', missingReportedElsewhere: readBySites, create: createSecretCommand(caddy.environmentFile) });
  }
  if (backup.enable && model.services.some(hasData)) {
    if (backup.environmentFile) secrets.push({ file: backup.environmentFile, usedBy: 'the backup units (host.backup.environmentFile)', create: createSecretCommand(backup.environmentFile) });
    secrets.push({ file: backup.passwordFile, usedBy: 'restic (host.backup.passwordFile)', missingReportedElsewhere: true, create: createPasswordCommand(backup.passwordFile) });
  }
  const seen = new Set<string>();
  const findings: FileFinding[] = [];
  for (const secret of secrets) {
    if (seen.has(secret.file)) continue;
    seen.add(secret.file);
    const check = `secret ${secret.file}`;
    let stat: { mode: number; uid: number };
    try {
      const s = fs.statSync(path.join(root, secret.file));
      stat = { mode: Number(s.mode) & 0o7777, uid: Number(s.uid) };
    } catch {
      if (!secret.missingReportedElsewhere) findings.push({ level: 'fail', check, detail: `missing (read by ${secret.usedBy}; the unit fails to start without it)`, fix: `create it: ${secret.create}` });
      continue;
    }
    const mode = `0${stat.mode.toString(8)}`;
    const problems: string[] = [];
    if (stat.uid !== 0) problems.push(`owned by uid ${stat.uid}, not root`);
    if (stat.mode & 0o007) problems.push(`mode ${mode} lets every user ${stat.mode & 0o002 ? 'change' : 'read'} it`);
    else if (stat.mode & 0o020) problems.push(`mode ${mode} lets its group change it`);
    findings.push(
      problems.length === 0
        ? { level: 'ok', check, detail: `mode ${mode}, owner root` }
        : { level: 'fail', check, detail: `${problems.join('; ')} (read by ${secret.usedBy})`, fix: `chown root:root ${secret.file} && chmod 0600 ${secret.file}` },
    );
  }
  return findings;
}

/** git, when a service clones its repository on first start. */
export async function gitCheck(model: Model, run: CommandRunner): Promise<FileFinding[]> {
  const cloning = model.services.filter((s) => s.repository !== null);
  if (cloning.length === 0) return [];
  const r = await run(['git', '--version']);
  return r.code === 0
    ? [{ level: 'ok', check: 'git', detail: r.output.trim() }]
    : [{ level: 'fail', check: 'git', detail: `not found (${cloning.map((s) => s.name).join(', ')} clone their repository on first start)`, fix: 'apt install git' }];
}

/** The oldest runtime versions the emitted units are tested with. */
export const MIN_RUNTIME: Record<'node' | 'bun', [number, number]> = { node: [18, 0], bun: [1, 0] };

/** `v20.11.1` / `1.1.8` → ok, or why not. */
export function runtimeVersionProblem(runtime: 'node' | 'bun', output: string): string | null {
  const m = /(\d+)\.(\d+)/.exec(output);
  if (!m) return `cannot read a version from "${output.trim()}"`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const [wantMajor, wantMinor] = MIN_RUNTIME[runtime];
  return major > wantMajor || (major === wantMajor && minor >= wantMinor) ? null : `${major}.${minor} is older than ${wantMajor}.${wantMinor}`;
}
