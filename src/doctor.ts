// `atelier-emit doctor`: is this host ready for the tree the declarations make?
// Each finding says what to do. Programs are asked through the injected runner.
import * as path from 'node:path';
import { lazyRequire } from './lazy.js';
import type { CommandRunner } from './apply.js';
import { exists, type FsLike } from './fs.js';
import { hasData, LOCAL_REPOSITORY_ROOT } from './emitters/backup/index.js';
import { backupHealth } from './doctor-backups.js';
import { CADDY_LOG_DIR } from './emitters/caddy.js';
import type { Model } from './model.js';
import { dnsEnvironment, dnsProviderModule } from './emitters/caddy-tls.js';
import { hostProblems } from './host-checks.js';
import { createPasswordCommand, gitCheck, runtimeVersionProblem, secretFileChecks } from './doctor-files.js';

export type Level = 'ok' | 'warn' | 'fail';

export interface Finding {
  level: Level;
  check: string;
  detail: string;
  /** What to do about it (absent when ok). */
  fix?: string;
}

/** The newest directive the emitted units rely on (ProtectProc=, ProcSubset= need systemd 247). */
export const MIN_SYSTEMD = 247;

export interface DoctorContext {
  model: Model;
  run: CommandRunner;
  fs: FsLike;
  /** Root of the host's file system (tests point it elsewhere). */
  root: string;
}

export async function doctor(ctx: DoctorContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  findings.push(await distribution(ctx));
  findings.push(await systemdVersion(ctx));
  findings.push(...(await caddyChecks(ctx)));
  findings.push(...(await backupTools(ctx)));
  findings.push(...backupRepository(ctx));
  findings.push(...secretFileChecks(ctx.model, ctx.fs, ctx.root));
  findings.push(...(await gitCheck(ctx.model, ctx.run)));
  findings.push(...(await backupHealth(ctx.model, ctx.run)));
  findings.push(...(await runtimes(ctx)));
  findings.push(await servicesGroup(ctx));
  findings.push(...hostSafety(ctx));
  return findings;
}

/** The checks --apply makes before writing (src/host-checks.ts), one finding each. */
function hostSafety(ctx: DoctorContext): Finding[] {
  const problems = hostProblems(ctx.fs, ctx.root, ctx.model);
  if (problems.length === 0) return [{ level: 'ok', check: 'names and folders', detail: 'no service name, group or data folder is already taken; what root trusts is root\'s alone' }];
  return problems.map((p) => ({ level: 'fail', check: 'names and folders', detail: `${p.message} (${p.file}:${p.line}:${p.column})`, fix: p.hint ?? 'change the declaration' }));
}

async function distribution(ctx: DoctorContext): Promise<Finding> {
  try {
    // os-release is KEY=value lines, which the ini parser reads as one section.
    const release = lazyRequire<typeof import('ini')>('ini').parse(String(ctx.fs.readFileSync(path.join(ctx.root, 'etc/os-release'), 'utf8'))) as Record<string, string>;
    return { level: 'ok', check: 'distribution', detail: release.PRETTY_NAME ?? release.ID ?? 'unknown' };
  } catch {
    return { level: 'warn', check: 'distribution', detail: 'no /etc/os-release', fix: 'nothing to do unless other checks fail' };
  }
}

async function systemdVersion(ctx: DoctorContext): Promise<Finding> {
  const result = await ctx.run(['systemctl', '--version']);
  const version = Number(/systemd (\d+)/.exec(result.output)?.[1]);
  if (result.code !== 0 || !Number.isFinite(version)) {
    return { level: 'fail', check: 'systemd', detail: 'systemctl not found', fix: 'atelier-emit targets systemd hosts; install systemd (>= 247)' };
  }
  if (version < MIN_SYSTEMD) {
    return { level: 'fail', check: 'systemd', detail: `systemd ${version}`, fix: `the units use directives from systemd ${MIN_SYSTEMD} (ProtectProc=, ProcSubset=); upgrade systemd` };
  }
  return { level: 'ok', check: 'systemd', detail: `systemd ${version}` };
}

async function caddyChecks(ctx: DoctorContext): Promise<Finding[]> {
  const { model } = ctx;
  const sites = model.services.filter((s) => s.caddy.enable);
  if (sites.length === 0) return [];
  const modules = await ctx.run(['caddy', 'list-modules']);
  if (modules.code !== 0) {
    return [{ level: 'fail', check: 'caddy', detail: 'caddy not found', fix: 'install Caddy (Debian: apt install caddy; for DNS challenge and rate limits a custom build, see the README)' }];
  }
  const findings: Finding[] = [];
  const version = await ctx.run(['caddy', 'version']);
  const release = /v?(\d+)\.(\d+)/.exec(version.output);
  const [major, minor] = release ? [Number(release[1]), Number(release[2])] : [0, 0];
  findings.push({ level: 'ok', check: 'caddy', detail: `caddy ${version.output.trim().split(/\s/)[0] || 'present'}` });
  // Only a limited site's key reaches the Caddyfile (the default key of the others is not emitted).
  const limiting = sites.filter((s) => s.caddy.rateLimit.enable || s.caddy.rateLimit.routes.length > 0);
  const limited = limiting.length > 0;
  const older = major < 2 || (major === 2 && minor < 7);
  if (older && (model.host.caddy.trustedProxies.length > 0 || limiting.some((s) => s.caddy.rateLimit.key.includes('{client_ip}')))) {
    findings.push({
      level: 'fail',
      check: 'caddy version',
      detail: `caddy ${major}.${minor} has no servers/trusted_proxies option and no {client_ip} placeholder (both from Caddy 2.7)`,
      fix: 'install Caddy 2.7 or newer, or drop host.caddy.trustedProxies and key rate limits by {remote_host}',
    });
  }
  if (limited && (major < 2 || (major === 2 && minor < 8))) {
    // Before 2.8 the plugin registers no directive order; the emitted sites put rate_limit inside `route`, which needs none.
    findings.push({ level: 'ok', check: 'rate_limit order', detail: `caddy ${major}.${minor} < 2.8: the sites place rate_limit inside a route block, so no global \`order rate_limit before basicauth\` is needed` });
  }
  const have = new Set(modules.output.split('\n').map((l) => l.trim()));
  const needed: [string, string][] = [];
  if (model.host.caddy.tls === 'dns') needed.push([`dns.providers.${model.host.caddy.dnsProvider}`, `host.caddy.tls is "dns" with provider ${model.host.caddy.dnsProvider}`]);
  if (limited) needed.push(['http.handlers.rate_limit', 'a service has caddy.rateLimit']);
  for (const [module, why] of needed) {
    findings.push(
      have.has(module)
        ? { level: 'ok', check: `caddy module ${module}`, detail: 'present' }
        : {
            level: 'fail',
            check: `caddy module ${module}`,
            detail: `missing (${why})`,
            fix: `build Caddy with it: xcaddy build --with ${module === 'http.handlers.rate_limit' ? 'github.com/mholt/caddy-ratelimit' : dnsProviderModule(model.host.caddy.dnsProvider)}`,
          },
    );
  }
  findings.push(...caddyEnvironment(ctx));
  if (sites.some((s) => s.caddy.accessLog)) findings.push(accessLogFolder(ctx));
  const main = path.join(ctx.root, 'etc/caddy/Caddyfile');
  const importLine = `import ${model.host.sysconfdir}/caddy/atelier.caddy`;
  try {
    const text = String(ctx.fs.readFileSync(main, 'utf8'));
    const imported = text.split('\n').some((l) => l.trim() === importLine);
    findings.push(imported ? { level: 'ok', check: 'main Caddyfile', detail: `imports atelier.caddy` } : { level: 'fail', check: 'main Caddyfile', detail: '/etc/caddy/Caddyfile does not import the sites', fix: `add the line: ${importLine}` });
  } catch {
    findings.push({ level: 'fail', check: 'main Caddyfile', detail: 'no /etc/caddy/Caddyfile', fix: `create it with the line: ${importLine}` });
  }
  return findings;
}

/** The DNS provider's secrets reach Caddy only through its environment: each must be in the environment file. */
function caddyEnvironment(ctx: DoctorContext): Finding[] {
  const names = dnsEnvironment(ctx.model.host);
  const file = ctx.model.host.caddy.environmentFile;
  if (names.length === 0) return [];
  const check = 'caddy environment';
  if (file === null) {
    return [{ level: 'warn', check, detail: `Caddy reads ${names.join(', ')} from its environment, and host.caddy.environmentFile is not set`, fix: 'set host.caddy.environmentFile to a file (mode 0600) of NAME=value lines, or give caddy.service the variables another way' }];
  }
  let text: string;
  try {
    text = String(ctx.fs.readFileSync(path.join(ctx.root, file), 'utf8'));
  } catch {
    return [{ level: 'fail', check, detail: `no ${file}`, fix: `create it (mode 0600) with the lines ${names.map((n) => `${n}=…`).join(', ')}` }];
  }
  // systemd's EnvironmentFile= syntax: NAME=value lines, `#` and `;` comments, an optional `export`.
  const defined = new Set(text.split('\n').map((l) => /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*\S/.exec(l)?.[1]));
  const missing = names.filter((n) => !defined.has(n));
  return missing.length > 0
    ? [{ level: 'fail', check, detail: `${file} does not set ${missing.join(', ')}`, fix: `add ${missing.map((n) => `${n}=…`).join(', ')} to ${file}, then restart caddy.service` }]
    : [{ level: 'ok', check, detail: `${file} sets ${names.join(', ')}` }];
}

/** Caddy refuses to start when it cannot open a site's log file: the folder must be there (Debian's package makes it). */
function accessLogFolder(ctx: DoctorContext): Finding {
  const check = 'caddy access logs';
  if (exists(ctx.fs, path.join(ctx.root, CADDY_LOG_DIR))) return { level: 'ok', check, detail: `${CADDY_LOG_DIR} exists` };
  return {
    level: 'fail',
    check,
    detail: `no ${CADDY_LOG_DIR} (sites with caddy.accessLog write there; Caddy will not start without it)`,
    fix: `install Debian's caddy package (it creates the folder), or add LogsDirectory=caddy to caddy.service in a drop-in, or set caddy.accessLog: false`,
  };
}

async function backupTools(ctx: DoctorContext): Promise<Finding[]> {
  const { model } = ctx;
  if (!model.host.backup.enable) return [];
  const jobs = model.services.filter(hasData);
  if (jobs.length === 0) return [];
  const tools: [string, string[], string][] = [['restic', ['restic', 'version'], 'apt install restic']];
  if (jobs.some((s) => s.data.sqlite)) tools.push(['sqlite3', ['sqlite3', '--version'], 'apt install sqlite3']);
  if (jobs.some((s) => s.data.postgres)) tools.push(['pg_dump', ['pg_dump', '--version'], 'apt install postgresql-client']);
  const findings: Finding[] = [];
  for (const [name, command, fix] of tools) {
    const result = await ctx.run(command);
    findings.push(result.code === 0 ? { level: 'ok', check: name, detail: result.output.trim().split('\n')[0] } : { level: 'fail', check: name, detail: 'not found (backups need it)', fix });
  }
  return findings;
}

/**
 * The backup units see the file system read-only except LOCAL_REPOSITORY_ROOT:
 * a local repository elsewhere makes every job fail on its first write.
 */
function backupRepository(ctx: DoctorContext): Finding[] {
  const { backup } = ctx.model.host;
  if (!backup.enable || !ctx.model.services.some(hasData)) return [];
  const check = 'restic repository';
  let repository: string;
  try {
    repository = String(ctx.fs.readFileSync(path.join(ctx.root, backup.repositoryFile), 'utf8')).trim();
  } catch {
    return [{ level: 'fail', check, detail: `no ${backup.repositoryFile}`, fix: `write the repository into it, e.g. ${LOCAL_REPOSITORY_ROOT}/atelier-restic or sftp:backup@host:/atelier` }];
  }
  const findings: Finding[] = [];
  // restic reads a bare path or `local:<path>` as a local repository; anything else names a backend.
  const local = repository.startsWith('/') ? repository : repository.startsWith('local:') ? repository.slice('local:'.length) : null;
  if (local !== null && outsideRepositoryRoot(local)) {
    findings.push({
      level: 'fail',
      check,
      detail: `${local} is outside ${LOCAL_REPOSITORY_ROOT}, the only folder the backup units may write`,
      fix: `move it under ${LOCAL_REPOSITORY_ROOT}, or add a drop-in to every atelier-backup-*.service and atelier-prune.service with [Service] ReadWritePaths=${local}`,
    });
  } else {
    findings.push({ level: 'ok', check, detail: local === null ? repository.split(':')[0] + ' backend' : `local, under ${LOCAL_REPOSITORY_ROOT}` });
  }
  if (!exists(ctx.fs, path.join(ctx.root, backup.passwordFile))) {
    findings.push({ level: 'fail', check: 'restic password', detail: `no ${backup.passwordFile}`, fix: `create it (mode 0600): ${createPasswordCommand(backup.passwordFile)}; keep a copy off this host` });
  }
  return findings;
}

/** A local repository the backup units cannot write: not under LOCAL_REPOSITORY_ROOT. */
function outsideRepositoryRoot(local: string): boolean {
  // Both paths are absolute, so the relative path between them is never absolute: outside starts with `..`.
  const fromRoot = path.posix.relative(LOCAL_REPOSITORY_ROOT, path.posix.normalize(local));
  return fromRoot === '..' || fromRoot.startsWith('../');
}

async function runtimes(ctx: DoctorContext): Promise<Finding[]> {
  const used = new Set(ctx.model.services.map((s) => s.runtime).filter((r): r is 'bun' | 'node' => r !== 'custom'));
  const findings: Finding[] = [];
  for (const runtime of [...used].sort()) {
    const command = ctx.model.host.runtimes[runtime];
    const result = await ctx.run([command, '--version']);
    if (result.code !== 0) {
      findings.push({ level: 'fail', check: `runtime ${runtime}`, detail: `${command} not found`, fix: `install ${runtime}, or set host.runtimes.${runtime} to its absolute path` });
      continue;
    }
    const old = runtimeVersionProblem(runtime, result.output);
    findings.push(
      old
        ? { level: 'fail', check: `runtime ${runtime}`, detail: `${command} ${result.output.trim()}: ${old}`, fix: `install a newer ${runtime}, or set host.runtimes.${runtime} to one` }
        : { level: 'ok', check: `runtime ${runtime}`, detail: `${command} ${result.output.trim()}` },
    );
  }
  return findings;
}

async function servicesGroup(ctx: DoctorContext): Promise<Finding> {
  const group = ctx.model.host.servicesGroup;
  const result = await ctx.run(['getent', 'group', group]);
  return result.code === 0
    ? { level: 'ok', check: 'services group', detail: `${group} exists` }
    : { level: 'warn', check: 'services group', detail: `${group} does not exist yet`, fix: 'it is created by systemd-sysusers on the first --apply' };
}

export function formatFindings(findings: readonly Finding[]): string {
  const mark: Record<Level, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  const lines = findings.map((f) => `${mark[f.level]}  ${f.check}: ${f.detail}${f.fix ? `\n      → ${f.fix}` : ''}`);
  const failures = findings.filter((f) => f.level === 'fail').length;
  lines.push('', failures === 0 ? 'doctor: this host is ready.' : `doctor: ${failures} ${failures === 1 ? 'problem' : 'problems'} to fix.`);
  return `${lines.join('\n')}\n`;
}
