// Checks across enabled services: ports, domains, nested data directories and
// secrets files (a service named as the services group is refused earlier, by
// resolve.ts). Each is one pass over the services with a map (linear, not pairwise).
import * as path from 'node:path';
import { originOf, type Diagnostic, type Model } from '../model.js';
import { formatOrigin } from './tree.js';

export function crossServiceChecks(model: Model, diagnostics: Diagnostic[]): void {
  checkPorts(model, diagnostics);
  checkDomains(model, diagnostics);
  checkDataDirs(model, diagnostics);
  checkSecrets(model, diagnostics);
}

/**
 * systemd reads a unit's EnvironmentFile= as root and gives its variables to the
 * service: a secretsFile naming another service's secrets, or a file the host's
 * own units read (Caddy's DNS token, restic's password and credentials), would
 * hand them over.
 */
function checkSecrets(model: Model, diagnostics: Diagnostic[]): void {
  const { caddy, backup } = model.host;
  const hostFiles = new Map<string, string>(
    [
      [caddy.environmentFile, 'host.caddy.environmentFile'],
      [backup.environmentFile, 'host.backup.environmentFile'],
      [backup.passwordFile, 'host.backup.passwordFile'],
      [backup.repositoryFile, 'host.backup.repositoryFile'],
    ].filter((e): e is [string, string] => e[0] !== null),
  );
  const owners = new Map<string, string>();
  for (const s of model.services) {
    if (s.secretsFile === null) continue;
    const host = hostFiles.get(s.secretsFile);
    const other = owners.get(s.secretsFile);
    if (host || other) {
      diagnostics.push({ ...originOf(s, 'secretsFile'), message: `secretsFile ${s.secretsFile} of ${s.name} is ${host ?? `the secretsFile of ${other}`}: its variables would be given to ${s.name}`, hint: 'give each service a secrets file of its own' });
    }
    if (s.secretsFile.startsWith(`${model.host.sysconfdir}/atelier/`)) {
      diagnostics.push({ ...originOf(s, 'secretsFile'), message: `secretsFile ${s.secretsFile} of ${s.name} is inside atelier-emit's own folder`, hint: 'keep secrets elsewhere, e.g. /run/secrets/<name>' });
    }
    owners.set(s.secretsFile, s.name);
  }
}

function checkPorts(model: Model, diagnostics: Diagnostic[]): void {
  const users = new Map<number, { service: string; option: string }[]>();
  for (const s of model.services) {
    for (const { option, port } of [{ option: 'port', port: s.port }, ...s.extraPorts]) {
      const list = users.get(port) ?? [];
      list.push({ service: s.name, option });
      users.set(port, list);
    }
  }
  const clashes = [...users].filter(([, list]) => list.length > 1);
  if (clashes.length === 0) return;
  // As mkService's assertion does: show every port in use, so a free one is easy to pick.
  const inUse = [...users]
    .sort(([a], [b]) => a - b)
    .map(([port, list]) => `${port} (${list.map((u) => (u.option === 'port' ? u.service : `${u.service}.${u.option}`)).join(', ')})`)
    .join(', ');
  const byName = new Map(model.services.map((s) => [s.name, s]));
  // A port not set is declared where its default is (defaultPort, the extra option's default).
  const where = (u: { service: string; option: string }) => {
    const s = byName.get(u.service)!;
    if (s.origins[u.option]) return s.origins[u.option];
    const fallback = u.option === 'port' ? s.origins.defaultPort : s.origins[`extraOptions.${u.option}.default`] ?? s.origins[`extraOptions.${u.option}`];
    return fallback ?? originOf(s, u.option);
  };
  const label = (u: { service: string; option: string }) => (u.option === 'port' ? u.service : `${u.service}.${u.option}`);
  for (const [port, list] of clashes) {
    // One error a port, at the last declaration, naming every one of them with its place.
    const last = list[list.length - 1];
    diagnostics.push({
      ...where(last),
      message: `port conflict: port ${port} is used by ${list.map((u) => `${label(u)} (${formatOrigin(where(u))})`).join(', ')}`,
      hint: `ports in use: ${inUse}`,
    });
  }
}

function checkDomains(model: Model, diagnostics: Diagnostic[]): void {
  const owners = new Map<string, string>();
  const byName = new Map(model.services.map((s) => [s.name, s]));
  for (const s of model.services) {
    if (!s.caddy.enable || s.domain === null) continue;
    const domain = s.domain.toLowerCase();
    const owner = owners.get(domain);
    if (owner === undefined) {
      owners.set(domain, s.name);
      continue;
    }
    diagnostics.push({
      ...originOf(s, 'domain'),
      message: `domain conflict: ${s.name} and ${owner} both use ${domain}`,
      hint: `${owner} declares it at ${formatOrigin(originOf(byName.get(owner)!, 'domain'))}`,
    });
  }
}

function checkDataDirs(model: Model, diagnostics: Diagnostic[]): void {
  const owners = new Map<string, string>();
  for (const s of model.services) {
    const existing = owners.get(s.dataDir);
    if (existing !== undefined) {
      diagnostics.push({ ...originOf(s, 'dataDir'), message: `dataDir ${s.dataDir} of ${s.name} is also the dataDir of ${existing}` });
    } else {
      owners.set(s.dataDir, s.name);
    }
  }
  // Each directory's ancestors are looked up in the map: linear in services × path depth.
  for (const s of model.services) {
    for (let dir = path.posix.dirname(s.dataDir); dir !== '/'; dir = path.posix.dirname(dir)) {
      const owner = owners.get(dir);
      if (owner !== undefined && owner !== s.name) {
        diagnostics.push({
          ...originOf(s, 'dataDir'),
          message: `dataDir ${s.dataDir} of ${s.name} is inside ${dir}, the dataDir of ${owner}`,
          hint: 'each service needs its own directory tree: the owner of the outer one could read or replace the inner one',
        });
        break;
      }
    }
  }
}
