// The file-system surface the planner, writer and loader use: Node's
// synchronous calls, which for thousands of small files are several times
// faster than the promise API (no thread-pool round trip per call). Node's
// `fs` satisfies it, and so does memfs, which keeps planner and writer tests fast.
import type * as nodeFs from 'node:fs';
import { constants } from 'node:fs';

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
  | 'fstatSync'
  | 'readSync'
  | 'rmdirSync'
  | 'ftruncateSync'
>;

/** Input that cannot be read as it should be (not a regular file, too large): a sentence for the user. */
export class InputFileError extends Error {}

/**
 * Reads an input file (a declaration, the ownership record) with bounds: a
 * regular file only (a FIFO would block forever, /dev/zero never ends), at most
 * `maxBytes`. `follow: false` refuses a symlink at the last component too.
 * Opened non-blocking, so a FIFO is seen by fstat instead of hanging open().
 */
export function readInputFile(fs: FsLike, file: string, maxBytes: number, follow = true): Buffer {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW } = constants;
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  } catch (err) {
    if (errorCode(err) === 'ELOOP' && !follow) throw new InputFileError('is a symlink (atelier-emit never reads through one here)');
    throw err;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new InputFileError(`is not a regular file (${stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'a special file'})`);
    if (Number(stat.size) > maxBytes) throw new InputFileError(`is ${Number(stat.size)} bytes, more than the ${maxBytes} accepted`);
    // Read to the end even if the size changed since fstat, but never past the bound.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw new InputFileError(`is more than the ${maxBytes} bytes accepted`);
    }
    return buffer.subarray(0, length);
  } finally {
    fs.closeSync(fd);
  }
}

/** UTF-8 text, or the line and column of the first byte that is not UTF-8 (never a silent U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { line: number; column: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    // Find the first bad byte: the longest valid prefix decodes; its length in characters gives the column.
    let lo = 0;
    let hi = bytes.length;
    const valid = (n: number) => {
      try {
        // stream: a character cut by the prefix's end is not an error, so validity only shrinks as n grows.
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
        return true;
      } catch {
        return false;
      }
    };
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (valid(mid)) lo = mid;
      else hi = mid - 1;
    }
    const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, lo), { stream: true });
    const lines = prefix.split('\n');
    return { line: lines.length, column: lines[lines.length - 1].length + 1 };
  }
}

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
