// The tests' cache keeps no whole-tree leftovers of killed test runs, and never
// removes the work of a run that is still going (test/support/abandoned.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeAbandoned } from './support/abandoned.js';

describe('leftovers of killed test runs in the cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-abandoned-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("removes the folders of runs whose process is gone, keeps live runs', its own and other names", () => {
    const gone = spawnSync('true').pid!;
    const live = process.ppid;
    for (const name of [`build-${gone}`, `build-${live}`, `build-${process.pid}`, 'build-notapid', `rootfs-${gone}`, `run-host-${gone}`]) {
      fs.mkdirSync(path.join(dir, name, 'etc'), { recursive: true });
    }
    removeAbandoned(dir, 'build-');
    expect(fs.readdirSync(dir).sort()).toEqual([`build-${live}`, `build-${process.pid}`, 'build-notapid', `rootfs-${gone}`, `run-host-${gone}`].sort());
    removeAbandoned(dir, 'run-host-');
    expect(fs.readdirSync(dir)).not.toContain(`run-host-${gone}`);
  });

  it('does nothing when the cache does not exist yet', () => {
    expect(() => removeAbandoned(path.join(dir, 'missing'), 'build-')).not.toThrow();
  });
});
