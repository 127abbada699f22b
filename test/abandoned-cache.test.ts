// The tests' cache keeps no whole-tree leftovers of killed test runs, never
// removes the work of a run that is still going, and a second run waits for a
// live run's build instead of repeating it (test/support/abandoned.ts).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awaitOtherBuilder, removeAbandoned } from './support/abandoned.js';

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

describe('a second test run and a build under way', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-builder-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('waits while a live process builds the same thing, and takes its result', async () => {
    // A live builder: the process that runs this test's worker.
    fs.mkdirSync(path.join(dir, `thing.build-${process.ppid}`));
    let polls = 0;
    const lines: string[] = [];
    const done = await awaitOtherBuilder(dir, 'thing.build-', () => ++polls >= 3, (l) => lines.push(l), 10);
    expect(done).toBe(true);
    expect(polls).toBe(3);
    expect(lines).toEqual([`waiting for the same build by process ${process.ppid} (${path.join(dir, 'thing.build-')}…)`]);
  });

  it('stops waiting when the builder ends without finishing, so the caller builds', async () => {
    const builder = spawn('sleep', ['0.3']);
    const ended = new Promise((resolve) => builder.once('exit', resolve));
    fs.mkdirSync(path.join(dir, `thing.build-${builder.pid}`));
    const done = await awaitOtherBuilder(dir, 'thing.build-', () => false, undefined, 10);
    expect(done).toBe(false);
    await ended;
  });

  it('does not wait for its own folder, a dead process, another build or an empty cache', async () => {
    const gone = spawnSync('true').pid!;
    for (const name of [`thing.build-${process.pid}`, `thing.build-${gone}`, `other.build-${process.ppid}`]) fs.mkdirSync(path.join(dir, name));
    let polls = 0;
    expect(await awaitOtherBuilder(dir, 'thing.build-', () => (polls++, false), undefined, 10)).toBe(false);
    expect(polls).toBe(2);
    expect(await awaitOtherBuilder(path.join(dir, 'missing'), 'thing.build-', () => false, undefined, 10)).toBe(false);
  });
});
