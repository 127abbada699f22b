// What the --out lock says about itself: the reason flock(1) could not be run,
// the holder's command line as a waiter is told it, and a start time left
// empty, not made up, where /proc cannot be read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { acquireLock, LOCK_PATH, LockBusy } from '../src/lock.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
function outDir(): string {
  const out = temp('lock-words');
  fs.mkdirSync(path.join(out, 'atelier'));
  return out;
}

describe('the lock says', () => {
  it('why flock(1) could not be run: its error code', async () => {
    await expect(acquireLock(fs, outDir(), { waitMs: 0, flockProgram: 'no-such-flock' })).rejects.toThrow(
      new LockBusy(`cannot lock ${LOCK_PATH}: no-such-flock (util-linux) is needed and could not be run (ENOENT)`),
    );
  });

  it('to a waiter, the holder\'s whole command line, its words apart', async () => {
    const out = outDir();
    const argv = process.argv;
    process.argv = [argv[0]!, '/usr/bin/atelier-emit', '--config', 'fleet.yaml', '--out', out, '--apply'];
    let lock;
    try {
      lock = await acquireLock(fs, out, { waitMs: 0 });
    } finally {
      process.argv = argv;
    }
    try {
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(`pid ${process.pid} holds it (atelier-emit --config fleet.yaml --out ${out} --apply, since `);
    } finally {
      await lock.release();
    }
  });

  it('nothing for its start time where /proc cannot be read', async () => {
    const out = outDir();
    const readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: []) => {
      if (String(p).startsWith('/proc/')) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${String(p)}'`), { code: 'ENOENT' });
      return fs.readFileSync(p, ...rest);
    }) as typeof fs.readFileSync;
    const noProc: FsLike = { ...fs, readFileSync };
    const lock = await acquireLock(noProc, out, { waitMs: 0 });
    try {
      const record = JSON.parse(fs.readFileSync(path.join(out, LOCK_PATH), 'utf8'));
      expect(record.pid).toBe(process.pid);
      expect(record.start).toBe('');
    } finally {
      await lock.release();
    }
  });
});
