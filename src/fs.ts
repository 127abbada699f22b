// The file-system surface the planner and writer use. Node's `fs` satisfies it,
// and so does memfs, which keeps planner and writer tests fast.
import type * as nodeFs from 'node:fs';

export interface FsLike {
  promises: Pick<typeof nodeFs.promises, 'lstat' | 'readFile' | 'open' | 'rename' | 'mkdir' | 'unlink' | 'readdir' | 'chmod' | 'realpath' | 'stat' | 'rm'>;
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT';
}

export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}
