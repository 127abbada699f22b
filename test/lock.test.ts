import { Volume, createFsFromVolume } from 'memfs';
import { describe, expect, it } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { acquireLock, LOCK_PATH, LockBusy } from '../src/lock.js';

function world(): { fs: FsLike; vol: Volume } {
  const vol = new Volume();
  vol.mkdirSync('/out/atelier', { recursive: true });
  return { fs: createFsFromVolume(vol) as unknown as FsLike, vol };
}

describe('the --out lock', () => {
  it('lets one writer in and makes a second one fail clearly after waiting', async () => {
    const { fs } = world();
    const first = await acquireLock(fs, '/out', { waitMs: 0, pid: 100, isAlive: () => true });
    let slept = 0;
    const second = acquireLock(fs, '/out', { waitMs: 250, pid: 200, isAlive: () => true, sleep: async (ms) => void (slept += ms) });
    await expect(second).rejects.toBeInstanceOf(LockBusy);
    await expect(second).rejects.toThrow('another atelier-emit (pid 100) is writing to /out');
    expect(slept).toBeGreaterThan(0);
    await first.release();
    const third = await acquireLock(fs, '/out', { waitMs: 0, pid: 300, isAlive: () => true });
    await third.release();
  });

  it('waits for the holder to finish', async () => {
    const { fs } = world();
    const first = await acquireLock(fs, '/out', { waitMs: 0, pid: 100, isAlive: () => true });
    const second = acquireLock(fs, '/out', {
      waitMs: 10_000,
      pid: 200,
      isAlive: () => true,
      sleep: async () => {
        await first.release();
      },
    });
    await expect(second).resolves.toBeDefined();
  });

  it('takes over a lock whose writer was killed', async () => {
    const { fs, vol } = world();
    vol.writeFileSync(`/out/${LOCK_PATH}`, '4242\n');
    const lock = await acquireLock(fs, '/out', { waitMs: 0, pid: 200, isAlive: (pid) => pid !== 4242 });
    expect(String(vol.readFileSync(`/out/${LOCK_PATH}`, 'utf8'))).toBe('200\n');
    await lock.release();
    expect(vol.existsSync(`/out/${LOCK_PATH}`)).toBe(false);
  });
});
