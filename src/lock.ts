// One writer per --out at a time: `atelier/.lock` holds the writer's pid. A
// second run waits for it, then fails with a clear message; a lock left by a
// killed run (its pid is gone) is taken over.
import * as path from 'node:path';
import type { FsLike } from './fs.js';
import { isMissing, quietly } from './fs.js';

export const LOCK_PATH = 'atelier/.lock';

export class LockBusy extends Error {}

export interface Lock {
  release(): Promise<void>;
}

export interface LockOptions {
  waitMs: number;
  pid?: number;
  isAlive?: (pid: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
}

export async function acquireLock(fs: FsLike, outDir: string, options: LockOptions): Promise<Lock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const file = path.join(outDir, LOCK_PATH);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        fs.writeSync(fd, `${pid}\n`);
      } catch (err) {
        // A full disk: no lock may stay behind, empty and unowned.
        quietly(() => fs.closeSync(fd));
        quietly(() => fs.unlinkSync(file));
        throw err;
      }
      fs.closeSync(fd);
      return { release: async () => quietly(() => fs.unlinkSync(file)) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(fs, file);
    if (holder !== null && !isAlive(holder)) {
      // Move the dead writer's lock aside under a unique name: of two runs that
      // both saw it dead, only one rename succeeds.
      const aside = `${file}.stale-${pid}`;
      try {
        fs.renameSync(file, aside);
        fs.unlinkSync(aside);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockBusy(`another atelier-emit${holder !== null ? ` (pid ${holder})` : ''} is writing to ${outDir}; try again when it has finished (lock: ${file})`);
    }
    await sleep(100);
  }
}

function readHolder(fs: FsLike, file: string): number | null {
  try {
    const pid = Number.parseInt(String(fs.readFileSync(file, 'utf8')), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
