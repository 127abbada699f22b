// The file-system surface the planner, writer and loader use: Node's
// synchronous calls, which for thousands of small files are several times
// faster than the promise API (no thread-pool round trip per call). Node's
// `fs` satisfies it, and so does memfs, which keeps planner and writer tests fast.
import type * as nodeFs from 'node:fs';

export type FsLike = Pick<
  typeof nodeFs,
  | 'lstatSync'
  | 'statSync'
  | 'readFileSync'
  | 'readdirSync'
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'fchmodSync'
  | 'closeSync'
  | 'renameSync'
  | 'mkdirSync'
  | 'unlinkSync'
  | 'chmodSync'
>;

export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/** Runs `fn`, ignoring any error (clean-up of temporary files). */
export function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    /* best effort */
  }
}

/** Whether anything is at `p` (following symlinks, as stat does). */
export function exists(fs: FsLike, p: string): boolean {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}
