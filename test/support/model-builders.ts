// Hand-built models for emitter unit tests, with the spec's defaults, so an
// emitter can be tested without going through the declaration loader.
import type { HostModel, Model, ServiceModel } from '../../src/model.js';

export function makeHost(overrides: Partial<HostModel> = {}): HostModel {
  return {
    servicesGroup: 'services',
    sysconfdir: '/etc',
    systemctl: '/usr/bin/systemctl',
    userShell: '/bin/bash',
    runtimes: { bun: 'bun', node: 'node' },
    caddy: {
      tls: 'dns',
      dnsProvider: 'cloudflare',
      dnsTokenEnv: 'CLOUDFLARE_API_TOKEN',
      dnsSettings: {},
      dnsResolvers: [],
      acmeCA: 'production',
      acmeCARoot: null,
      environmentFile: null,
      trustedProxies: [],
    },
    backup: {
      enable: true,
      repositoryFile: '/etc/atelier/restic/repository',
      passwordFile: '/etc/atelier/restic/password',
      environmentFile: null,
      schedule: '02:00',
      randomizedDelay: '2h',
      prune: { schedule: 'Sun *-*-* 05:00:00', randomizedDelay: '1h', keepLast: 3, keepDaily: 7, keepWeekly: 5, keepMonthly: 12 },
      check: { enable: true, schedule: 'Wed *-*-* 05:00:00', randomizedDelay: '1h', readDataSubset: '5%' },
      onFailure: null,
      healthcheckUrl: null,
    },
    origins: {},
    ...overrides,
  };
}

export function makeService(name: string, overrides: Partial<ServiceModel> = {}): ServiceModel {
  const dataDir = overrides.dataDir ?? `/var/lib/${name}`;
  return {
    name,
    description: `${name} service`,
    runtime: 'bun',
    entryPoint: 'src/index.ts',
    startCommand: null,
    port: 3000,
    extraPorts: [],
    extraOptions: {},
    domain: `${name}.example.com`,
    dataDir,
    secretsFile: null,
    repository: null,
    repositoryRef: null,
    healthUrl: null,
    environment: {},
    data: { sqlite: null, stopForBackup: true, stopUnits: [], preBackup: null, postBackup: null, postgres: null, files: [], exclude: ['*.log', 'node_modules', '.git', 'cache', 'tmp'], schedule: null, keep: { last: null, daily: null, weekly: null, monthly: null } },
    caddy: { enable: true, extraConfig: '', accessLog: true, rateLimit: { enable: false, events: 60, window: '1m', key: '{client_ip}', routes: [] } },
    extraConfig: { systemd: { Unit: {}, Service: {}, Install: {} }, preStart: [] },
    sources: ['atelier.yaml'],
    origins: { '': { file: 'atelier.yaml', line: 2, column: 3 } },
    ...overrides,
  };
}

export function makeModel(services: ServiceModel[], host: HostModel = makeHost()): Model {
  return { host, services: [...services].sort((a, b) => a.name.localeCompare(b.name)), sources: ['atelier.yaml'], disabled: [] };
}
