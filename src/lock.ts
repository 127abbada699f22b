// One writer per --out at a time: an flock(2) on `atelier/.lock`, which the
// kernel releases when its holder dies, however it dies. A PID file could not
// tell a killed writer from a live one whose PID was reused; an flock needs no
// such guess.
//
// Node has no flock(). util-linux's flock(1) (Essential on Debian, present on
// every systemd host) locks a descriptor it inherits: it gets ours as fd 3,
// locks the open file description we share, and exits; the lock stays with our
// descriptor until we close it or die. Nothing but Node and util-linux is
// needed, no native module and no process left running. The holder records its
// pid, start time and command in the file, so a waiting run can say who holds it.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import * as path from 'node:path';
import type { FsLike } from './fs.js';
import { isMissing, quietly } from './fs.js';

export const LOCK_PATH = 'atelier/.lock';

export class LockBusy extends Error {}

export interface Lock {
  /**
   * The lock file already held a holder's record: the run before was killed
   * while holding it (a finished run removes the file), so it may have left
   * temporary files behind.
   */
  readonly unfinished: boolean;
  /** Releases the lock. `removeFolder`: this run created `atelier/` and wrote nothing: leave no trace. */
  release(options?: { removeFolder?: boolean }): Promise<void>;
}

export interface LockOptions {
  waitMs: number;
  /** Set when this run created `atelier/` for the lock (so a refused run can remove it again). */
  createdFolder?: boolean;
  /** The flock(1) program (tests point it elsewhere to see the message when it is missing). */
  flockProgram?: string;
}

interface Holder {
  pid: number;
  start: string;
  command: string;
  since: string;
}

export async function acquireLock(fs: FsLike, outDir: string, options: LockOptions): Promise<Lock> {
  const file = path.join(outDir, LOCK_PATH);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const fd = fs.openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    try {
      if (!fs.fstatSync(fd).isFile()) throw new LockBusy(`${file} is not a regular file; remove it`);
      if (!(await flock(fd, deadline - Date.now(), options.flockProgram))) {
        throw new LockBusy(`another atelier-emit is writing to ${outDir}: ${describeHolder(fs, file)}; try again when it has finished (lock: ${file})`);
      }
      // The file may have been removed by the holder we waited for (a refused first run cleans up):
      // a lock on a file no longer at the path excludes no one, so take the path's file instead.
      if (!samePath(fs, fd, file)) {
        fs.closeSync(fd);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
        continue;
      }
      const unfinished = fs.fstatSync(fd).size > 0;
      // Best effort: a full disk must not leave the lock taken and its file behind.
      quietly(() => recordHolder(fs, fd));
      return {
        unfinished,
        release: async ({ removeFolder = false } = {}) => {
          // Removed while still held: a waiter locking the old file sees the path gone and starts over.
          quietly(() => fs.unlinkSync(file));
          if (removeFolder && options.createdFolder) quietly(() => fs.rmdirSync(path.dirname(file)));
          fs.closeSync(fd);
        },
      };
    } catch (err) {
      quietly(() => fs.closeSync(fd));
      throw err;
    }
  }
}

/** Locks `fd` through flock(1); false when another holds it after `waitMs`. */
function flock(fd: number, waitMs: number, program = 'flock'): Promise<boolean> {
  const wait = waitMs <= 0 ? ['--nonblock'] : ['--timeout', (waitMs / 1000).toFixed(3)];
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['--exclusive', ...wait, '--conflict-exit-code', '75', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) => reject(new LockBusy(`cannot lock ${LOCK_PATH}: ${program} (util-linux) is needed and could not be run (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === 75) resolve(false);
      else reject(new LockBusy(`cannot lock ${LOCK_PATH}: flock exited ${code}: ${stderr.trim()}`));
    });
  });
}

function samePath(fs: FsLike, fd: number, file: string): boolean {
  try {
    const [held, now] = [fs.fstatSync(fd), fs.lstatSync(file)];
    return now.isFile() && held.ino === now.ino && held.dev === now.dev;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** The start time of a process (field 22 of /proc/PID/stat): with the pid, it names one process for good. */
function startTime(fs: FsLike, pid: number): string | null {
  try {
    const stat = String(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function recordHolder(fs: FsLike, fd: number): void {
  const holder: Holder = { pid: process.pid, start: startTime(fs, process.pid) ?? '', command: ['atelier-emit', ...process.argv.slice(2)].join(' '), since: new Date().toISOString() };
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
}

/** Who holds the lock, as far as its record and /proc tell. */
function describeHolder(fs: FsLike, file: string): string {
  let holder: Partial<Holder> = {};
  try {
    holder = JSON.parse(String(fs.readFileSync(file, 'utf8')).slice(0, 4096)) as Partial<Holder>;
  } catch {
    /* empty or foreign: said below */
  }
  if (typeof holder.pid !== 'number' || startTime(fs, holder.pid) === null || startTime(fs, holder.pid) !== holder.start) {
    return 'it is held by a process that did not record itself (see: fuser -v ' + file + ')';
  }
  return `pid ${holder.pid} holds it (${String(holder.command).slice(0, 200)}, since ${holder.since})`;
}
