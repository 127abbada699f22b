// The one place that changes the disk. Every file is written atomically: a
// temporary file in the same folder, flushed, then renamed over the old one, so
// a crash leaves either the complete old or the complete new content.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { FsLike } from './fs.js';
import { isMissing, quietly } from './fs.js';
import { TreeInspector, type Plan, type PlannedFile } from './plan.js';
import { counter, type ProgressSink } from './progress.js';
import { PENDING_PATH } from './pending.js';
import { serializeState, stateEntry, STATE_PATH, type State } from './state.js';
import { canNote, fenceAfter, fingerprint, lstatOrNull, type Fence } from './fingerprint.js';

export interface WriteResult {
  written: string[];
  deleted: string[];
}

export class RefusedWrite extends Error {}

let tempCounter = 0;

/** Carries out a plan that has no conflicts; refuses (writing nothing) if it has any. */
export interface WriteOptions {
  /**
   * Makes everything written so far durable. One file-system-wide flush
   * (syncfs) between staging and renaming replaces an fsync per file: the same
   * guarantee, a rename never exposes content that is not on disk, for one
   * call instead of thousands. Given, it also means the disk is real: a plan
   * of a few files fsyncs each file and folder instead (FSYNC_EACH_MAX).
   * Absent (memfs tests), nothing is flushed.
   */
  flush?: (outDir: string) => Promise<void>;
  progress?: ProgressSink;
  /**
   * Look for temporary files a killed run left behind (a readdir of every
   * folder of the plan). The pipeline turns it off when the lock shows the
   * previous run finished (it removes the lock file last); default on.
   */
  sweepTemps?: boolean;
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
  // A few files: an fsync each (about 0.4 ms here) instead of spawning `sync` (about 15 ms, twice).
  const fsyncEach = options.flush !== undefined && writes.length + deletes.length <= FSYNC_EACH_MAX;
  const staged: Staged[] = [];
  const tick = counter('write', writes.length, options.progress);
  const ready = newFolders();
  try {
    for (const file of writes) {
      const folder = path.posix.dirname(file.path);
      if (!ready.ready.has(folder)) ensureFolder(fs, inspector, plan.outDir, folder, ready);
      const target = path.join(plan.outDir, file.path);
      staged.push({ temp: stageFile(fs, target, file.desired ?? '', file.mode, fsyncEach), target, file });
      tick(staged.length);
    }
  } catch (err) {
    for (const { temp } of staged) quietly(() => fs.unlinkSync(temp));
    throw describeFailure(err);
  }
  if (staged.length > 0 && !fsyncEach) await flush(plan.outDir);
  // Write-ahead: before anything is replaced or removed, the record owns both the old and the new content.
  let recorded = plan.stateText;
  if (writes.length > 0 || deletes.length > 0) recorded = writeState(fs, inspector, plan, plan.aheadState, recorded, options.flush !== undefined, ready);
  try {
    renameAll(fs, staged);
  } catch (err) {
    // The renames were undone: so is the record, and the tree is the old one again, byte for byte.
    const statePath = path.join(plan.outDir, STATE_PATH);
    if (recorded !== plan.stateText) quietly(() => (plan.stateText == null ? fs.unlinkSync(statePath) : atomicWrite(fs, statePath, plan.stateText, 0o644)));
    throw err;
  }
  if (options.sweepTemps !== false) removeAbandonedTemps(fs, plan.outDir, new Set(plan.files.map((f) => path.posix.dirname(f.path))));
  for (const file of deletes) {
    const problem = inspector.folderProblem(path.posix.dirname(file.path));
    if (problem) throw new RefusedWrite(`${file.path}: ${problem}`);
    try {
      fs.unlinkSync(path.join(plan.outDir, file.path));
    } catch (err) {
      if (!isMissing(err)) throw describeFailure(Object.assign(err as Error, { target: path.join(plan.outDir, file.path) }));
    }
  }
  // The final record goes last: after a crash before this point, the write-ahead
  // record still owns every file, old or new, and the next run converges.
  const final = staged.length > 0 ? withFingerprints(fs, plan, staged, ready) : plan.nextState;
  const mustRecord = writes.length > 0 || deletes.length > 0 || plan.stateChanged !== false;
  const stateChanged = mustRecord && writeState(fs, inspector, plan, final, recorded, false, ready) !== plan.stateText;
  if (writes.length > 0 || deletes.length > 0 || stateChanged) {
    // The renames and deletions themselves are durable once their folders are.
    if (fsyncEach) syncFolders(fs, plan.outDir, [...writes, ...deletes].map((f) => path.posix.dirname(f.path)).concat(path.posix.dirname(STATE_PATH)));
    else await flush(plan.outDir);
  }
  return { written: writes.map((f) => f.path), deleted: deletes.map((f) => f.path) };
}

/** Stores `state` unless the file already holds it; returns the text now on disk. */
function writeState(fs: FsLike, inspector: TreeInspector, plan: Plan, state: State, onDisk: string | null | undefined, durable: boolean, ready: Folders): string | null | undefined {
  const text = serializeState(state);
  if (text === onDisk) return onDisk;
  try {
    ensureFolder(fs, inspector, plan.outDir, path.posix.dirname(STATE_PATH), ready);
    atomicWrite(fs, path.join(plan.outDir, STATE_PATH), text, 0o644);
    if (durable) syncFolders(fs, plan.outDir, [path.posix.dirname(STATE_PATH)]);
  } catch (err) {
    throw describeFailure(err);
  }
  return text;
}

interface Staged {
  temp: string;
  target: string;
  file: PlannedFile;
}

/**
 * Renames every staged file into place. Should one rename fail (an immutable
 * file, a file system gone read-only), the ones already done are put back, so
 * the tree is the old one again, and the error names the file.
 */
function renameAll(fs: FsLike, staged: Staged[]): void {
  for (let i = 0; i < staged.length; i++) {
    try {
      fs.renameSync(staged[i].temp, staged[i].target);
    } catch (err) {
      for (const { temp } of staged.slice(i)) quietly(() => fs.unlinkSync(temp));
      for (const { target, file } of staged.slice(0, i).reverse()) {
        quietly(() => (file.current === null ? fs.unlinkSync(target) : atomicWrite(fs, target, file.current, file.currentMode ?? file.mode)));
      }
      throw describeFailure(Object.assign(err as Error, { target: staged[i].target }));
    }
  }
}

const TEMP_NAME = /^\..+\.atelier-(\d+)-\d+\.tmp$/;

/**
 * A run killed while staging leaves temporary files behind. We hold the lock,
 * so any temporary file of ours not made by this process is abandoned.
 */
function removeAbandonedTemps(fs: FsLike, outDir: string, folders: Set<string>): void {
  folders.add(path.posix.dirname(STATE_PATH));
  for (const folder of folders) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(outDir, folder)).map(String);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = TEMP_NAME.exec(name);
      if (match && Number(match[1]) !== process.pid) quietly(() => fs.unlinkSync(path.join(outDir, folder, name)));
    }
  }
}

/**
 * Makes sure --out and its `atelier/` folder exist (for the lock and the state), refusing symlinks.
 * Returns whether `atelier/` was created now, so that a run refused later can leave no trace.
 */
export function prepareOutDir(fs: FsLike, outDir: string): { createdFolder: boolean } {
  // Every folder made here gets its mode explicitly: mkdir's mode is masked by the caller's umask.
  const first = fs.mkdirSync(outDir, { recursive: true, mode: 0o755 });
  if (first !== undefined) {
    for (let dir = outDir; ; dir = path.dirname(dir)) {
      fs.chmodSync(dir, 0o755);
      if (dir === first || dir === path.dirname(dir)) break;
    }
  }
  const folder = path.posix.dirname(STATE_PATH);
  const existed = folderExists(fs, path.join(outDir, folder));
  ensureFolder(fs, new TreeInspector(fs, outDir), outDir, folder);
  return { createdFolder: !existed };
}

function folderExists(fs: FsLike, dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Folders this run has made sure of, and which of them it created (nothing can be inside those yet). */
interface Folders {
  ready: Set<string>;
  made: Set<string>;
  /** Whether the umask takes a bit off 0755 (else mkdir's mode is already exact, and no chmod is needed). */
  umaskMasks: boolean;
}

// process.umask() reads without setting on Linux; only its use in workers is discouraged (DEP0139).
const newFolders = (): Folders => ({ ready: new Set(), made: new Set(), umaskMasks: (process.umask() & 0o755) !== 0 });

/** Creates the folders of `relative` one level at a time, refusing symlinks and files on the way. */
function ensureFolder(fs: FsLike, inspector: TreeInspector, outDir: string, relative: string, folders: Folders = newFolders()): void {
  if (relative === '.' || folders.ready.has(relative)) return;
  const parent = path.posix.dirname(relative);
  ensureFolder(fs, inspector, outDir, parent, folders);
  // In a folder this run just created there is nothing to inspect: mkdir says if that changed.
  const problem = folders.made.has(parent) ? null : inspector.folderProblem(relative);
  if (problem) throw new RefusedWrite(problem);
  try {
    fs.mkdirSync(path.join(outDir, relative), { mode: 0o755 });
    // Explicit, whatever the umask: under umask 027 Caddy could not read caddy/sites.
    if (folders.umaskMasks) fs.chmodSync(path.join(outDir, relative), 0o755);
    folders.made.add(relative);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Created since inspection (or by another writer): it must be a real folder.
    if (!fs.lstatSync(path.join(outDir, relative)).isDirectory()) throw new RefusedWrite(`${relative} is not a folder`);
  }
  folders.ready.add(relative);
}

/**
 * The final record, with the fingerprint of each file just written, so the
 * next run need not read it back. Taken after a fence on the file system's
 * clock (src/fingerprint.ts); a file a rollback put back, or whose ctime is
 * not older than the fence, gets none.
 */
function withFingerprints(fs: FsLike, plan: Plan, staged: Staged[], ready: Folders): State {
  const folder = path.posix.dirname(STATE_PATH);
  let fence: Fence | null = null;
  try {
    ensureFolder(fs, new TreeInspector(fs, plan.outDir), plan.outDir, folder, ready);
    fence = fenceAfter(fs, path.join(plan.outDir, folder));
  } catch {
    return plan.nextState;
  }
  if (fence === null) return plan.nextState;
  // In place, not a copy of every entry (memory at 10,000 services); the plan then holds the record as written.
  const files = plan.nextState.files;
  for (const { target, file } of staged) {
    // A rollback's files carry no hash: they put back what was on disk before, perhaps a hand
    // edit that the restored record does not describe. The next run must read them again.
    if (file.desiredHash === undefined) continue;
    // Every file a forward plan writes has an entry of exactly that hash (planTree's record()).
    const entry = files[file.path];
    let stat: ReturnType<typeof lstatOrNull> = null;
    try {
      stat = lstatOrNull(fs, target);
    } catch {
      continue;
    }
    if (stat === null || !stat.isFile() || !canNote(stat, fence)) continue;
    files[file.path] = stateEntry(entry.sha256, entry.mode, entry.emitter, entry.service, entry.previous, fingerprint(stat));
  }
  return plan.nextState;
}

/** Up to this many files changed, each is fsynced; above, one syncfs of the whole file system is cheaper. */
const FSYNC_EACH_MAX = 32;

function syncFolders(fs: FsLike, outDir: string, folders: readonly string[]): void {
  for (const folder of new Set(folders)) {
    const fd = fs.openSync(path.join(outDir, folder), 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Writes `content` to a fresh temporary file beside `target`, with its final mode; returns its path. */
function stageFile(fs: FsLike, target: string, content: string, mode: number, fsync = false): string {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.atelier-${process.pid}-${tempCounter++}.tmp`);
  // 'wx': never reuse or follow anything already at the temporary name. Owner-only
  // until complete; the final mode is set explicitly, whatever the umask.
  let fd: number;
  try {
    fd = fs.openSync(temp, 'wx', 0o600);
  } catch (err) {
    // The refusal names the file the user asked for, not its temporary (full disk, read-only folder).
    throw Object.assign(err as Error, { target });
  }
  try {
    fs.writeSync(fd, content);
    fs.fchmodSync(fd, mode);
    if (fsync) fs.fsyncSync(fd);
  } catch (err) {
    quietly(() => fs.closeSync(fd));
    quietly(() => fs.unlinkSync(temp));
    throw Object.assign(err as Error, { target });
  }
  fs.closeSync(fd);
  return temp;
}

/** One file, atomically and durably (used for the state record and for putting a file back). */
export function atomicWrite(fs: FsLike, target: string, content: string, mode: number): void {
  const temp = stageFile(fs, target, content, mode, true);
  try {
    fs.renameSync(temp, target);
  } catch (err) {
    quietly(() => fs.unlinkSync(temp));
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

/**
 * Records host actions not yet carried out (`atelier/.pending.json`), or removes
 * the record once they are (null). Written durably before the tree changes.
 */
export function writePending(fs: FsLike, outDir: string, text: string | null): void {
  const target = path.join(outDir, PENDING_PATH);
  try {
    if (text === null) {
      try {
        fs.unlinkSync(target);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      return;
    }
    atomicWrite(fs, target, text, 0o644);
  } catch (err) {
    throw describeFailure(Object.assign(err as Error, { target }));
  }
}
