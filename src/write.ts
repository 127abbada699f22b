// The one place that changes the disk. Every file is written atomically: a
// temporary file in the same folder, flushed, then renamed over the old one, so
// a crash leaves either the complete old or the complete new content.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { FsLike } from './fs.js';
import { isMissing } from './fs.js';
import { mapLimit, TreeInspector, type Plan, type PlannedFile } from './plan.js';
import { serializeState, STATE_PATH } from './state.js';

export interface WriteResult {
  written: string[];
  deleted: string[];
}

export class RefusedWrite extends Error {}

const CONCURRENCY = 32;
let tempCounter = 0;

/** Carries out a plan that has no conflicts; refuses (writing nothing) if it has any. */
export interface WriteOptions {
  /**
   * Makes everything written so far durable. One file-system-wide flush
   * (syncfs) between staging and renaming replaces an fsync per file: the same
   * guarantee, a rename never exposes content that is not on disk, for one
   * call instead of thousands.
   */
  flush?: (outDir: string) => Promise<void>;
}

/** syncfs(2) on the file system holding `dir`, through coreutils' `sync --file-system`. */
export const syncFileSystem = (dir: string): Promise<void> =>
  new Promise((resolve, reject) => {
    execFile('sync', ['--file-system', dir], (err) => (err ? reject(err) : resolve()));
  });

export async function writePlan(fs: FsLike, plan: Plan, options: WriteOptions = {}): Promise<WriteResult> {
  const flush = options.flush ?? (async () => undefined);
  const conflicts = plan.files.filter((f) => f.action === 'conflict');
  if (conflicts.length > 0 || plan.stateProblem) throw new RefusedWrite('the plan has conflicts');
  const inspector = new TreeInspector(fs, plan.outDir);
  const writes = plan.files.filter((f) => f.action === 'create' || f.action === 'update');
  const deletes = plan.files.filter((f) => f.action === 'delete');

  // Two phases: every new content is complete on disk before the first rename,
  // so a full disk or a read-only file fails the run with the old tree intact.
  const staged: { temp: string; target: string; file: PlannedFile }[] = [];
  try {
    await mapLimit(writes, CONCURRENCY, async (file) => {
      await ensureFolder(fs, inspector, plan.outDir, path.posix.dirname(file.path));
      const target = path.join(plan.outDir, file.path);
      staged.push({ temp: await stageFile(fs, target, file.desired ?? '', file.mode), target, file });
    });
  } catch (err) {
    await Promise.all(staged.map(({ temp }) => fs.promises.unlink(temp).catch(() => undefined)));
    throw describeFailure(err);
  }
  if (staged.length > 0) await flush(plan.outDir);
  await renameAll(fs, staged);
  await removeAbandonedTemps(fs, plan.outDir, new Set(plan.files.map((f) => path.posix.dirname(f.path))));
  await mapLimit(deletes, CONCURRENCY, async (file) => {
    const problem = await inspector.folderProblem(path.posix.dirname(file.path));
    if (problem) throw new RefusedWrite(`${file.path}: ${problem}`);
    try {
      await fs.promises.unlink(path.join(plan.outDir, file.path));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  });
  // The record goes last: after a crash before this point, the next run finds
  // files it wrote with content it wants, adopts them and converges.
  const stateText = serializeState(plan.nextState);
  if (stateText !== plan.stateText) {
    await ensureFolder(fs, inspector, plan.outDir, path.posix.dirname(STATE_PATH));
    await atomicWrite(fs, path.join(plan.outDir, STATE_PATH), stateText, 0o644).catch((err) => {
      throw describeFailure(err);
    });
  }
  if (writes.length > 0 || deletes.length > 0 || stateText !== plan.stateText) await flush(plan.outDir);
  return { written: writes.map((f) => f.path), deleted: deletes.map((f) => f.path) };
}

/**
 * Renames every staged file into place. Should one rename fail (an immutable
 * file, a file system gone read-only), the ones already done are put back, so
 * the tree is the old one again, and the error names the file.
 */
async function renameAll(fs: FsLike, staged: { temp: string; target: string; file: PlannedFile }[]): Promise<void> {
  const done: (typeof staged)[number][] = [];
  for (const entry of staged) {
    try {
      await fs.promises.rename(entry.temp, entry.target);
      done.push(entry);
    } catch (err) {
      await Promise.all(staged.filter((e) => !done.includes(e)).map(({ temp }) => fs.promises.unlink(temp).catch(() => undefined)));
      for (const { target, file } of done.reverse()) {
        if (file.current === null) await fs.promises.unlink(target).catch(() => undefined);
        else await atomicWrite(fs, target, file.current, file.currentMode ?? file.mode).catch(() => undefined);
      }
      throw describeFailure(Object.assign(err as Error, { target: entry.target }));
    }
  }
}

const TEMP_NAME = /^\..+\.atelier-(\d+)-\d+\.tmp$/;

/**
 * A run killed while staging leaves temporary files behind. We hold the lock,
 * so any temporary file of ours not made by this process is abandoned.
 */
async function removeAbandonedTemps(fs: FsLike, outDir: string, folders: Set<string>): Promise<void> {
  folders.add(path.posix.dirname(STATE_PATH));
  for (const folder of folders) {
    let names: string[];
    try {
      names = (await fs.promises.readdir(path.join(outDir, folder))).map(String);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = TEMP_NAME.exec(name);
      if (match && Number(match[1]) !== process.pid) await fs.promises.unlink(path.join(outDir, folder, name)).catch(() => undefined);
    }
  }
}

/** Makes sure --out and its `atelier/` folder exist (for the lock and the state), refusing symlinks. */
export async function prepareOutDir(fs: FsLike, outDir: string): Promise<void> {
  await fs.promises.mkdir(outDir, { recursive: true, mode: 0o755 });
  await ensureFolder(fs, new TreeInspector(fs, outDir), outDir, path.posix.dirname(STATE_PATH));
}

/** Creates the folders of `relative` one level at a time, refusing symlinks and files on the way. */
async function ensureFolder(fs: FsLike, inspector: TreeInspector, outDir: string, relative: string): Promise<void> {
  if (relative === '.' || relative === '') return;
  await ensureFolder(fs, inspector, outDir, path.posix.dirname(relative));
  const problem = await inspector.folderProblem(relative);
  if (problem) throw new RefusedWrite(problem);
  try {
    await fs.promises.mkdir(path.join(outDir, relative), { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Raced with another writer or created since inspection: it must be a real folder.
    const stat = await fs.promises.lstat(path.join(outDir, relative));
    if (!stat.isDirectory()) throw new RefusedWrite(`${relative} is not a folder`);
  }
}

/** Writes `content` to a fresh temporary file beside `target`, with its final mode; returns its path. */
async function stageFile(fs: FsLike, target: string, content: string, mode: number): Promise<string> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.atelier-${process.pid}-${tempCounter++}.tmp`);
  // 'wx': never reuse or follow anything already at the temporary name. Owner-only
  // until complete; the final mode is set explicitly, whatever the umask.
  const handle = await fs.promises.open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(mode);
  } catch (err) {
    await handle.close();
    await fs.promises.unlink(temp).catch(() => undefined);
    throw Object.assign(err as Error, { target });
  }
  await handle.close();
  return temp;
}

export async function atomicWrite(fs: FsLike, target: string, content: string, mode: number): Promise<void> {
  const temp = await stageFile(fs, target, content, mode);
  const handle = await fs.promises.open(temp, 'r');
  await handle.sync().finally(() => handle.close());
  try {
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** A file-system error as a sentence naming the file, for the user. */
export function describeFailure(err: unknown): Error {
  if (err instanceof RefusedWrite) return err;
  const e = err as NodeJS.ErrnoException & { target?: string };
  const where = e.target ?? e.path ?? 'the output tree';
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a file stands where a folder should be',
    EISDIR: 'a folder stands where a file should be',
  };
  return new RefusedWrite(`cannot write ${where}: ${(e.code && why[e.code]) ?? e.message}; the old files were left as they were`);
}
