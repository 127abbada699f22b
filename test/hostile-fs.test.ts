// A hostile file system: a full disk, an immutable file, a read-only mount.
// Each gives a clear error, exit 2, and leaves the tree that was there intact.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STATE_PATH } from '../src/state.js';
import { readTree, runCli } from './support/cli.js';
import { fleetYaml } from './support/fleet.js';
import { tempDir } from './support/emit.js';
import { notRoot, requirement, titled } from './support/oracles.js';

const root = requirement(notRoot('mount, chattr'));
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup(services: number) {
  const dir = tempDir('hostile-fs');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const v1 = path.join(dir, 'v1.yaml');
  const v2 = path.join(dir, 'v2.yaml');
  fs.writeFileSync(v1, fleetYaml(services, 1));
  fs.writeFileSync(v2, fleetYaml(services, 2));
  return { dir, v1, v2 };
}

function mountTmpfs(dir: string, size: string, readOnly = false) {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  cleanups.push(() => spawnSync('umount', ['-l', dir]));
}

describe.skipIf(root.skip !== null)(titled('hostile file systems', root), () => {
  beforeAll(root.assert);
  it('a full disk fails clearly and leaves the old tree as it was', async () => {
    const { dir, v1, v2 } = setup(10);
    const out = path.join(dir, 'out');
    mountTmpfs(out, '2m');
    expect((await runCli(['--config', v1, '--out', out], { cwd: dir })).code).toBe(0);
    const before = readTree(out);
    // Fill the disk, then ask for a tree with different content.
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(out, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
    const r = await runCli(['--config', v2, '--out', out], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^refused: cannot write .*: no space left on the device; the old files were left as they were; nothing was written\.\n$/);
    fs.rmSync(path.join(out, 'filler'));
    expect(readTree(out)).toEqual(before);
  });

  it('an immutable file stops the run, and the files already renamed are put back', async (ctx) => {
    const { dir, v1, v2 } = setup(5);
    const out = path.join(dir, 'out');
    expect((await runCli(['--config', v1, '--out', out], { cwd: dir })).code).toBe(0);
    const before = readTree(out);
    const locked = path.join(out, 'systemd/system/app4.service');
    const chattr = spawnSync('chattr', ['+i', locked], { encoding: 'utf8' });
    if (chattr.status !== 0) {
      // A temporary folder on a file system without attributes (tmpfs): nothing to lock. CI's is ext4: there, a failure.
      const why = `chattr +i failed on ${path.dirname(locked)} (${(chattr.stderr ?? chattr.error?.message ?? '').trim()}): the file system has no immutable attribute`;
      if (process.env.CI === 'true') throw new Error(why);
      ctx.skip(why);
    }
    expect(fs.statSync(locked).isFile()).toBe(true);
    cleanups.push(() => spawnSync('chattr', ['-i', locked]));
    const r = await runCli(['--config', v2, '--out', out], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot write ${locked}: operation not permitted`);
    expect(readTree(out)).toEqual(before);
  });

  it('a read-only mount fails clearly before anything changes', async () => {
    const { dir, v1 } = setup(3);
    const out = path.join(dir, 'out');
    mountTmpfs(out, '1m', true);
    const r = await runCli(['--config', v1, '--out', out], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused: .*read-only/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

describe('the state file', () => {
  it('a second run over an unchanged tree writes nothing, not even the state', async () => {
    const { dir, v1 } = setup(3);
    const out = path.join(dir, 'out');
    await runCli(['--config', v1, '--out', out], { cwd: dir });
    const stat = fs.statSync(path.join(out, STATE_PATH));
    await new Promise((r) => setTimeout(r, 20));
    const again = await runCli(['--config', v1, '--out', out, '--json'], { cwd: dir });
    expect(JSON.parse(again.stdout).changed).toBe(false);
    expect(fs.statSync(path.join(out, STATE_PATH)).mtimeMs).toBe(stat.mtimeMs);
  });
});
