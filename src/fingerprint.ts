// What lets a second run skip reading files it wrote: the lstat fingerprint the
// ownership record notes beside each hash, as git's index does. The rules, and
// why they are enough to see every edit, are in docs/outputs.md ("Hand edits").
import type { Stats } from 'node:fs';
import type { FsLike } from './fs.js';
import { isMissing } from './fs.js';

/**
 * Inode, size, mtime and ctime: any write changes mtime and ctime, a rename
 * over the file (`sed -i`, editors) the inode, and resetting mtime by hand
 * (`touch -d`, utimes) sets ctime to the present, which no user can fake.
 */
export function fingerprint(stat: Pick<Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/**
 * A moment of the file system's own clock (which ticks coarsely: a few
 * milliseconds on Linux), taken before the files are looked at. A fingerprint
 * is noted only for a file whose ctime is older than the fence: a change after
 * the look then has a later ctime, even within one tick ("racy git").
 */
export interface Fence {
  ctimeMs: number;
  dev: number;
}

export function canNote(stat: Pick<Stats, 'ctimeMs' | 'dev'>, fence: Fence | null): boolean {
  return fence !== null && stat.dev === fence.dev && stat.ctimeMs < fence.ctimeMs;
}

/**
 * The fence after a write: touches the ctime of `dir` (a chmod to its own
 * mode) until the clock has ticked past the moment of the call, so that every
 * rename made before is older than the fence. At most one tick of spinning;
 * null where the clock does not move within 50 ms (a file system with
 * one-second timestamps): then nothing is noted and the next run reads the files.
 */
export function fenceAfter(fs: FsLike, dir: string): Fence | null {
  const mode = Number(fs.lstatSync(dir).mode) & 0o7777;
  const touch = () => {
    fs.chmodSync(dir, mode);
    return fs.lstatSync(dir);
  };
  const first = touch();
  const deadline = performance.now() + 50;
  for (;;) {
    const now = touch();
    if (now.ctimeMs > first.ctimeMs) return { ctimeMs: now.ctimeMs, dev: Number(now.dev) };
    if (performance.now() > deadline) return null;
  }
}

/** lstat, or null when nothing is there (without an exception where the fs allows). */
export function lstatOrNull(fs: FsLike, p: string): Stats | null {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}
