// atelier/services.json, read as its consumers (monitoring, deploy scripts, the Ansible role)
// read it: parsed, each field by name, for given declarations. The emitters run in every
// test (beforeEach), so that mutation testing credits these tests with the code they read.
import { beforeEach, describe, expect, it } from 'vitest';
import { emitAll } from '../src/emitters/index.js';
import { SERVICES_MANIFEST_PATH } from '../src/emitters/manifest.js';
import type { DesiredFile } from '../src/emitters/types.js';
import type { Model } from '../src/model.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

interface ManifestService {
  name: string;
  description: string;
  runtime: string;
  port: number;
  ports: Record<string, number>;
  domain: string | null;
  dataDir: string;
  repository: string | null;
  repositoryRef: string | null;
  healthUrl: string | null;
  units: string[];
  files: string[];
}

interface Manifest {
  generated: string;
  sysconfdir: string;
  services: ManifestService[];
  hostFiles: string[];
}

const noCaddy = { ...makeService('x').caddy, enable: false };

function twoServices(): Model {
  return makeModel(
    [
      makeService('web', {
        description: 'The web shop',
        port: 3100,
        extraPorts: [
          { option: 'ADMIN_PORT', port: 3101 },
          { option: 'METRICS_PORT', port: 3102 },
        ],
        repository: 'https://git.example.com/web.git',
        repositoryRef: 'v2',
        healthUrl: 'http://127.0.0.1:3100/health',
        data: { ...makeService('x').data, sqlite: '/var/lib/web/data/shop.db' },
      }),
      makeService('api', { runtime: 'node', port: 3200, caddy: noCaddy, dataDir: '/srv/api' }),
    ],
    makeHost({ sysconfdir: '/etc/atelier-test' }),
  );
}

const manifestOf = (files: readonly DesiredFile[]): Manifest => JSON.parse(files.find((f) => f.path === SERVICES_MANIFEST_PATH)!.content) as Manifest;
const serviceOf = (manifest: Manifest, name: string): ManifestService => manifest.services.find((s) => s.name === name)!;

describe('services.json, for two services', () => {
  let files: DesiredFile[] = [];
  let manifest: Manifest;
  beforeEach(() => {
    const result = emitAll(twoServices());
    expect(result.diagnostics).toEqual([]);
    files = result.files;
    manifest = manifestOf(files);
  });

  it('lists every service of the model, in the model order, with its declared values by name', () => {
    expect(manifest.sysconfdir).toBe('/etc/atelier-test');
    expect(manifest.services.map((s) => s.name)).toEqual(['api', 'web']);
    expect(serviceOf(manifest, 'web')).toMatchObject({
      name: 'web',
      description: 'The web shop',
      runtime: 'bun',
      port: 3100,
      domain: 'web.example.com',
      dataDir: '/var/lib/web',
      repository: 'https://git.example.com/web.git',
      repositoryRef: 'v2',
      healthUrl: 'http://127.0.0.1:3100/health',
    });
    expect(serviceOf(manifest, 'api')).toMatchObject({ name: 'api', runtime: 'node', port: 3200, dataDir: '/srv/api', repository: null, repositoryRef: null, healthUrl: null });
  });

  it('names every port of a service by its option: the main port as `port`, each extra port by its own option', () => {
    expect(serviceOf(manifest, 'web').ports).toEqual({ port: 3100, ADMIN_PORT: 3101, METRICS_PORT: 3102 });
    expect(serviceOf(manifest, 'api').ports).toEqual({ port: 3200 });
  });

  it('gives the domain only of a service Caddy serves (null when caddy.enable is false)', () => {
    expect(serviceOf(manifest, 'web').domain).toBe('web.example.com');
    expect(serviceOf(manifest, 'api').domain).toBeNull();
  });

  it("lists under each service exactly the files emitted for it, sorted", () => {
    for (const name of ['web', 'api']) {
      const own = files.filter((f) => f.service === name).map((f) => f.path);
      expect(own.length, name).toBeGreaterThan(0);
      expect(serviceOf(manifest, name).files, name).toEqual([...own].sort());
    }
    // The emitters' own order is not sorted (the unit comes first): the manifest sorts.
    expect(files.filter((f) => f.service === 'web').map((f) => f.path)).not.toEqual(serviceOf(manifest, 'web').files);
  });

  it('names as units the unit files of a service under systemd/system/, by file name', () => {
    expect(serviceOf(manifest, 'web').units).toEqual(['atelier-backup-web.service', 'atelier-backup-web.timer', 'web.service']);
    expect(serviceOf(manifest, 'api').units).toEqual(['api.service']);
  });

  it('lists the host-wide files (no service) once, itself included, sorted', () => {
    const hostWide = files.filter((f) => f.service === undefined).map((f) => f.path);
    expect(hostWide).toContain(SERVICES_MANIFEST_PATH);
    expect(hostWide).toContain('caddy/atelier.caddy');
    expect(manifest.hostFiles).toEqual([...hostWide].sort());
    for (const s of manifest.services) for (const f of s.files) expect(manifest.hostFiles).not.toContain(f);
  });
});

describe('services.json, for a service whose files were all refused', () => {
  it('still lists the service, with no files and no units', () => {
    const origin = { file: 'gone.yaml', line: 3, column: 5 };
    const model = makeModel(
      [makeService('gone', { description: 'two\nlines', caddy: noCaddy, origins: { '': origin } })],
      makeHost({ backup: { ...makeHost().backup, enable: false } }),
    );
    const result = emitAll(model);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.files.map((f) => f.path)).toEqual([SERVICES_MANIFEST_PATH]);
    const manifest = manifestOf(result.files);
    expect(serviceOf(manifest, 'gone')).toMatchObject({ name: 'gone', files: [], units: [] });
    expect(manifest.hostFiles).toEqual([SERVICES_MANIFEST_PATH]);
  });
});
