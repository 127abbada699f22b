// Output is a function of the declarations alone, and the drift gate sees every difference.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_PATH } from '../src/state.js';
import { readTree, runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';

const ROOT = path.resolve(__dirname, '..');
const temp = tempDirs();
const seed = () => fs.readFileSync(path.join(ROOT, 'fixtures/seed/atelier.yaml'), 'utf8');
const app = (name: string, port: number) => `services:\n  ${name}:\n    description: ${name}\n    runtime: node\n    enable: true\n    domain: ${name}.example.com\n    port: ${port}\n    data:\n      sqlite: \${dataDir}/data/app.db\n`;

describe('output depends on the declarations alone', () => {
  it('the same declarations run from two folders, given differently, give byte-identical trees', async () => {
    const a = temp('decl-a');
    const b = temp('decl-b');
    fs.mkdirSync(path.join(b, 'nested/deeper'), { recursive: true });
    for (const dir of [a, path.join(b, 'nested/deeper')]) {
      fs.writeFileSync(path.join(dir, 'atelier.yaml'), seed());
      fs.writeFileSync(path.join(dir, 'other.yaml'), app('other', 4100));
    }
    const outA = temp('out-a');
    const outB = temp('out-b');
    // From inside the folder with relative paths, and from elsewhere with absolute ones in the other order.
    expect((await runCli(['--config', 'atelier.yaml', '--config', 'other.yaml', '--out', outA], { cwd: a })).code).toBe(0);
    const dirB = path.join(b, 'nested/deeper');
    expect((await runCli(['--config', path.join(dirB, 'other.yaml'), '--config', path.join(dirB, 'atelier.yaml'), '--out', outB], { cwd: ROOT })).code).toBe(0);
    const treeA = readTree(outA, (p) => p === STATE_PATH);
    expect(treeA.size).toBeGreaterThan(10);
    expect(readTree(outB, (p) => p === STATE_PATH)).toEqual(treeA);
  });

  it('adding an app changes no host-wide file but the site index and the manifests', async () => {
    const decl = temp('decl');
    fs.writeFileSync(path.join(decl, 'atelier.yaml'), seed());
    fs.writeFileSync(path.join(decl, 'a.yaml'), app('alpha', 4200));
    const out = temp('out');
    expect((await runCli(['--config', decl, '--out', out], { cwd: ROOT })).code).toBe(0);
    const before = readTree(out, (p) => p === STATE_PATH);
    fs.writeFileSync(path.join(decl, 'b.yaml'), app('beta', 4300));
    const second = JSON.parse((await runCli(['--config', decl, '--out', out, '--json'], { cwd: ROOT })).stdout);
    const changed = second.files.filter((f: { action: string }) => f.action !== 'unchanged');
    const hostWide = changed.filter((f: { service?: string }) => !f.service).map((f: { path: string }) => f.path);
    expect(hostWide.sort()).toEqual(['atelier/backup-manifest.json', 'atelier/services.json', 'caddy/atelier.caddy']);
    // The other services' files are untouched too.
    expect(changed.every((f: { service?: string }) => !f.service || f.service === 'beta')).toBe(true);
    expect(changed.length).toBeGreaterThan(3);
    // Caddy is reloaded (sites), never restarted; nothing else restarts.
    expect(second).toMatchObject({ restart: [], reload: ['caddy.service'] });
    expect(second.start.sort()).toEqual(['atelier-backup-beta.timer', 'beta.service']);
    const after = readTree(out, (p) => p === STATE_PATH);
    for (const p of ['systemd/system/atelier-prune.service', 'systemd/system/atelier-prune.timer', 'systemd/system/alpha.service']) expect(after.get(p), p).toBe(before.get(p));
  });
});

const SEED = 'fixtures/seed/atelier.yaml';

describe('--check sees every difference', () => {
  it('a hand edit makes --check exit 1, and --json says the tree is not in sync', async () => {
    const out = temp('out');
    expect((await runCli(['--config', SEED, '--out', out], { cwd: ROOT })).code).toBe(0);
    expect((await runCli(['--config', SEED, '--out', out, '--check'], { cwd: ROOT })).code).toBe(0);
    fs.appendFileSync(path.join(out, 'systemd/system/myapp.service'), '# hand edit\n');
    const check = await runCli(['--config', SEED, '--out', out, '--check'], { cwd: ROOT });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('edited by hand');
    const json = await runCli(['--config', SEED, '--out', out, '--check', '--json'], { cwd: ROOT });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: true, inSync: false, conflicts: [{ path: 'systemd/system/myapp.service' }] });
  });

  it('a missing file, a stale file and a damaged record each make --check exit 1', async () => {
    const decl = temp('decl');
    fs.writeFileSync(path.join(decl, 'atelier.yaml'), seed());
    fs.writeFileSync(path.join(decl, 'b.yaml'), app('beta', 4300));
    const out = temp('out');
    await runCli(['--config', decl, '--out', out], { cwd: ROOT });
    fs.rmSync(path.join(out, 'tmpfiles.d/atelier-myapp.conf'));
    const missing = await runCli(['--config', decl, '--out', out, '--check', '--json'], { cwd: ROOT });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).differences).toEqual(['1 file missing']);
    await runCli(['--config', decl, '--out', out], { cwd: ROOT });
    fs.rmSync(path.join(decl, 'b.yaml'));
    const stale = await runCli(['--config', decl, '--out', out, '--check', '--json'], { cwd: ROOT });
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({ inSync: false, differences: expect.arrayContaining([expect.stringContaining('stale')]) });
    await runCli(['--config', decl, '--out', out, '--prune'], { cwd: ROOT });
    expect((await runCli(['--config', decl, '--out', out, '--check'], { cwd: ROOT })).code).toBe(0);
    fs.writeFileSync(path.join(out, STATE_PATH), '{');
    expect((await runCli(['--config', decl, '--out', out, '--check'], { cwd: ROOT })).code).toBe(1);
  });
});
