// The --out lock counts only when the file it locked is still the one at the
// path (src/lock.ts, samePath): same inode on the same device. A lock on a file
// replaced or moved away excludes no one, so the waiter takes the path's file
// instead. And a check that fails for another reason than a vanished file is
// an error, which leaves the lock free.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { acquireLock, LOCK_PATH, LockBusy } from '../src/lock.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

function outDir(): string {
  const out = temp('lock-identity');
  fs.mkdirSync(path.join(out, 'atelier'));
  return out;
}

/** Lines of /proc/locks about the file with this inode number: a holder's, and `->` for each waiter. */
function locksOn(ino: number | bigint): string[] {
  return fs.readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => l.includes(`:${ino} `));
}

async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!ready()) throw new Error(`gave up waiting until ${what}`);
}

/** A file system that, the first time the lock path is looked at, does `first` instead. */
function onFirstLook(file: string, first: () => fs.Stats): FsLike {
  let looked = false;
  const lstatSync = ((p: fs.PathLike, ...rest: []) => {
    if (p === file && !looked) {
      looked = true;
      return first();
    }
    return fs.lstatSync(p, ...rest);
  }) as typeof fs.lstatSync;
  return { ...fs, lstatSync };
}

describe('the lock file is the one at the path', () => {
  it('a waiter whose lock file was replaced while it waited locks the file now at the path, so a third run is refused', async () => {
    const out = outDir();
    const file = path.join(out, LOCK_PATH);
    fs.writeFileSync(file, '');
    const replaced = fs.statSync(file).ino;
    // A holder that leaves the file in place when it dies (a killed run, or another tool).
    const holder = spawn('sh', ['-c', 'exec 3<>"$1" && flock --exclusive 3 && echo locked && exec sleep 60', 'sh', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(holder);
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d) => String(d).includes('locked') && resolve()));

    const waiting = acquireLock(fs, out, { waitMs: 30_000 });
    await until('the waiter waits on the lock file', () => locksOn(replaced).some((l) => l.includes('->')));
    // Another file is renamed over the path while the waiter waits on the old one.
    const other = path.join(out, 'atelier', 'other');
    fs.writeFileSync(other, '');
    fs.renameSync(other, file);
    const died = new Promise((r) => holder.on('exit', r));
    holder.kill('SIGKILL');
    await died;

    const lock = await waiting;
    try {
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toBeInstanceOf(LockBusy);
    } finally {
      await lock.release();
    }
  });

  it('a file at the path with the same inode number on another device is not the one locked', async () => {
    const out = outDir();
    const file = path.join(out, LOCK_PATH);
    fs.writeFileSync(file, '');
    const locked = fs.statSync(file);
    // As if another file system were mounted over atelier/ while the lock was taken,
    // holding a lock file whose inode number happens to be the same.
    const world = onFirstLook(file, () => {
      fs.writeFileSync(path.join(out, 'atelier', 'other'), '');
      fs.renameSync(path.join(out, 'atelier', 'other'), file);
      const now = fs.lstatSync(file);
      return Object.assign(now, { ino: locked.ino, dev: locked.dev + 1 });
    });
    const lock = await acquireLock(world, out, { waitMs: 0 });
    try {
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).pid).toBe(process.pid);
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toBeInstanceOf(LockBusy);
    } finally {
      await lock.release();
    }
  });

  it('a check of the path that fails for another reason than a missing file is reported, not taken for a vanished file', async () => {
    const out = outDir();
    const file = path.join(out, LOCK_PATH);
    const world = onFirstLook(file, () => {
      throw Object.assign(new Error(`EIO: i/o error, lstat '${file}'`), { code: 'EIO' });
    });
    await expect(acquireLock(world, out, { waitMs: 0 })).rejects.toMatchObject({ code: 'EIO' });
  });

  it('an error after the lock was taken leaves it free: the next run gets it at once', async () => {
    const out = outDir();
    const file = path.join(out, LOCK_PATH);
    const world = onFirstLook(file, () => {
      throw Object.assign(new Error(`EIO: i/o error, lstat '${file}'`), { code: 'EIO' });
    });
    await expect(acquireLock(world, out, { waitMs: 0 })).rejects.toThrow('EIO');
    const lock = await acquireLock(fs, out, { waitMs: 0 });
    await lock.release();
  });
});
