// `atelier/services.json`: every enabled service and what was emitted for it,
// for monitoring, deploy scripts and the Ansible role.
import type { Model } from '../model.js';
import { generatedNotice } from './header.js';
import type { EmittedFile } from './types.js';

export const SERVICES_MANIFEST_PATH = 'atelier/services.json';

/** Built after the other emitters, from their files: it lists what they emitted. */
export function servicesManifest(model: Model, files: readonly EmittedFile[]): EmittedFile {
  const byService = new Map<string, string[]>();
  const hostFiles: string[] = [];
  for (const file of files) {
    if (file.service === undefined) {
      hostFiles.push(file.path);
      continue;
    }
    const list = byService.get(file.service) ?? [];
    list.push(file.path);
    byService.set(file.service, list);
  }
  const services = model.services.map((s) => {
    const emitted = (byService.get(s.name) ?? []).sort();
    return {
      name: s.name,
      description: s.description,
      runtime: s.runtime,
      port: s.port,
      ports: Object.fromEntries([['port', s.port], ...s.extraPorts.map((p) => [p.option, p.port])]),
      domain: s.caddy.enable ? s.domain : null,
      dataDir: s.dataDir,
      repository: s.repository,
      repositoryRef: s.repositoryRef,
      healthUrl: s.healthUrl,
      units: emitted.filter((p) => p.startsWith('systemd/system/') && !p.slice('systemd/system/'.length).includes('/')).map((p) => p.slice('systemd/system/'.length)),
      files: emitted,
    };
  });
  // Files shared by every service (backup step scripts, prune units, the Caddy index): emitted once.
  const content = `${JSON.stringify({ generated: generatedNotice(), sysconfdir: model.host.sysconfdir, services, hostFiles: [...hostFiles, SERVICES_MANIFEST_PATH].sort() }, null, 2)}\n`;
  return { path: SERVICES_MANIFEST_PATH, mode: 0o644, content };
}
