// Checks across enabled services: ports, domains, nested data directories and
// names. Each is one pass over the services with a map (linear, not pairwise).
import * as path from 'node:path';
import { originOf, type Diagnostic, type Model } from '../model.js';
import { formatOrigin } from './tree.js';

export function crossServiceChecks(model: Model, diagnostics: Diagnostic[]): void {
  checkPorts(model, diagnostics);
  checkDomains(model, diagnostics);
  checkDataDirs(model, diagnostics);
  checkGroupName(model, diagnostics);
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
  for (const [port, list] of clashes) {
    for (const user of list.slice(1)) {
      const others = list.filter((u) => u !== user).map((u) => (u.option === 'port' ? u.service : `${u.service}.${u.option}`));
      diagnostics.push({
        ...originOf(byName.get(user.service)!, user.option),
        message: `port conflict: ${user.service}${user.option === 'port' ? '' : `.${user.option}`} uses port ${port}, which ${others.join(', ')} also uses`,
        hint: `ports in use: ${inUse}`,
      });
    }
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

function checkGroupName(model: Model, diagnostics: Diagnostic[]): void {
  for (const s of model.services) {
    if (s.name === model.host.servicesGroup) {
      diagnostics.push({ ...originOf(s, ''), message: `service name ${s.name} is the name of the services group`, hint: 'rename the service or set host.servicesGroup' });
    }
  }
}
