// The planner: what the emitters want, against what is under --out and what the
// ownership state says atelier-emit wrote. It reads the disk; it never writes.
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import type { DesiredFile, EmitterName } from './emitters/types.js';
import { decodeUtf8, errorCode, InputFileError, isMissing, readInputFile, type FsLike } from './fs.js';
import { counter, type ProgressSink } from './progress.js';
import { parsePending, PENDING_PATH, type Pending } from './pending.js';
import { emptyState, MAX_STATE_BYTES, parseState, sha256, stateEntry, STATE_PATH, type State, type StateEntry } from './state.js';
import { canNote, fingerprint, lstatOrNull, type Fence } from './fingerprint.js';
import { LOCK_PATH } from './lock.js';

export type Action = 'create' | 'update' | 'delete' | 'unchanged' | 'conflict';

export type { DesiredFile };

export interface PlannedFile {
  path: string;
  action: Action;
  /** What the file holds now (null: absent or unreadable), and its mode. */
  current: string | null;
  currentMode?: number;
  /** What it will hold (null for a delete). */
  desired: string | null;
  mode: number;
  emitter: EmitterName;
  service?: string;
  /** Why a conflict is one, or what else a change is about (a mode change). */
  reason?: string;
  /** sha256 of `desired`, which the record notes (so the writer can note a fingerprint beside it). */
  desiredHash?: string;
}

export interface Plan {
  outDir: string;
  files: PlannedFile[];
  /** Files atelier-emit wrote earlier that no longer follow from the declarations, kept because --prune was not given. */
  stale: string[];
  /** The ownership record to store once the plan is carried out. */
  nextState: State;
  /**
   * The record to store before the first rename: `nextState`, where each file
   * about to be replaced also accepts its current content, and each file about
   * to be deleted keeps its entry. A run killed between the two leaves no file
   * the next run would take for a hand edit.
   */
  aheadState: State;
  /** The state file's text as read (null: none), so an unchanged record is not rewritten. */
  stateText?: string | null;
  /** False when `nextState` is the record as read: nothing to serialize (absent: compare the texts). */
  stateChanged?: boolean;
  /** A problem with the state file itself; the plan is refused while it stands, unless --force. */
  stateProblem?: string;
  /** Host actions an earlier `--apply` left undone (null: none recorded), and a problem reading that record. */
  pending: Pending | null;
  pendingProblem?: string;
}

export interface PlanOptions {
  prune: boolean;
  force: boolean;
  /** Emitters that ran: stale files of the others are left alone. */
  emitters: readonly EmitterName[];
  /** Services declared with `enable: false`: their files are deleted even without --prune. */
  disabled?: readonly string[];
  progress?: ProgressSink;
}

type Existing =
  | { kind: 'absent' }
  | { kind: 'file'; content: string; mode: number; uid: number; gid: number }
  | { kind: 'blocked'; reason: string; forceable: boolean };

/** What lstat says of a path, before anything is read. */
type Seen = Exclude<Existing, { kind: 'file' }> | { kind: 'file'; stat: Stats };

/** The owner a file gets when atelier-emit writes it: the running user (root on a server). */
const writer = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

function ownerProblem(existing: { uid: number; gid: number }, owner: { uid: number; gid: number }): string | null {
  return existing.uid === owner.uid && existing.gid === owner.gid ? null : `owner ${existing.uid}:${existing.gid} → ${owner.uid}:${owner.gid}`;
}

export function planTree(fs: FsLike, outDir: string, desired: readonly DesiredFile[], options: PlanOptions): Plan {
  const { state, problem, text: stateText } = readState(fs, outDir);
  // Built afresh rather than copied: at 10,000 services the record has 84,000 entries.
  const nextFiles: State['files'] = Object.create(null) as State['files'];
  const nextState: State = { files: nextFiles };
  // Whether nextState differs from the record read: an unchanged record is neither serialized nor rewritten.
  let stateChanged = stateText === null;
  const inspector = new TreeInspector(fs, outDir);
  // Fingerprints noted while planning must be older than the lock, taken before the first lstat.
  const lock = lstatOrNull(fs, path.join(outDir, LOCK_PATH));
  const fence: Fence | null = lock ? { ctimeMs: lock.ctimeMs, dev: Number(lock.dev) } : null;
  const wanted = new Set<string>();
  const replaced = new Map<string, string>();
  const deleted = new Map<string, State['files'][string]>();

  const tick = counter('plan', desired.length, options.progress);
  const planned = desired.map((file, i): PlannedFile => {
    tick(i + 1);
    wanted.add(file.path);
    const seen = inspector.look(file.path);
    const hash = sha256(file.content);
    const as = (action: Action, current: string | null, currentMode?: number, reason?: string) =>
      plannedFile(file.path, action, current, currentMode, file.content, file.mode, file.emitter, file.service, reason, hash);
    const owned = state.files[file.path];
    const record = (stat?: string) => {
      const entry = stateEntry(hash, file.mode, file.emitter, file.service, undefined, stat);
      if (!stateChanged && !(owned && sameEntry(owned, entry))) stateChanged = true;
      nextFiles[file.path] = owned && sameEntry(owned, entry) ? owned : entry;
    };
    if (seen.kind === 'blocked') {
      if (seen.forceable && options.force) {
        record();
        return as('update', null, undefined, `${seen.reason}; replaced because of --force`);
      }
      if (owned) nextFiles[file.path] = owned;
      return as('conflict', null, undefined, seen.reason);
    }
    if (seen.kind === 'absent') {
      record();
      return as('create', null);
    }
    const { stat } = seen;
    const mode = Number(stat.mode) & 0o7777;
    const owner = ownerProblem({ uid: Number(stat.uid), gid: Number(stat.gid) }, writer);
    const print = fingerprint(stat);
    // Unchanged since the record noted it, and the record's hash is the wanted content's: nothing to read.
    const known = owned !== undefined && owned.stat === print && owned.previous === undefined;
    let content: string;
    if (known && owned.sha256 === hash) {
      content = file.content;
    } else {
      const read = inspector.read(file.path);
      if (typeof read !== 'string') {
        if (owned) nextFiles[file.path] = owned;
        return as('conflict', null, undefined, read.reason);
      }
      content = read;
    }
    if (content === file.content) {
      // Identical content loses nothing: adopt it, fixing the mode and the owner if needed
      // (a sudoers file owned by `nobody` is not ours to keep as it is: it is written anew).
      // `current` shares the desired string: the copy read from disk is dropped (half the memory of a large unchanged tree).
      if (mode === file.mode && owner === null) {
        record(known ? print : canNote(stat, fence) ? print : undefined);
        return as('unchanged', file.content, mode);
      }
      record();
      return as('update', file.content, mode, [mode === file.mode ? null : `mode ${octal(mode)} → ${octal(file.mode)}`, owner].filter(Boolean).join(', '));
    }
    const conflict = ownershipConflict(owned, content);
    if (conflict && !options.force) {
      if (owned) nextFiles[file.path] = owned;
      return as('conflict', content, undefined, conflict);
    }
    if (!conflict) replaced.set(file.path, sha256(content));
    record();
    return as('update', content, mode, conflict ? `${conflict}; overwritten because of --force` : undefined);
  });

  const stale: string[] = [];
  const removals: [string, StateEntry][] = [];
  for (const p in state.files) {
    if (wanted.has(p)) continue;
    const entry = state.files[p];
    nextFiles[p] = entry;
    if (options.emitters.includes(entry.emitter)) removals.push([p, entry]);
  }
  const disabled = new Set(options.disabled);
  const deletions = removals.map(([p, entry]): PlannedFile | null => {
    const service = entry.service ?? serviceOfPath(p, disabled);
    // `enable: false` is an explicit decision: its files go, as switching a NixOS generation removes them.
    const off = service !== undefined && disabled.has(service);
    if (!options.prune && !off) {
      stale.push(p);
      return null;
    }
    const existing = inspector.inspect(p);
    const as = (action: Action, current: string | null, reason?: string) =>
      plannedFile(p, action, current, undefined, null, entry.mode, entry.emitter, service, reason ?? (off && !options.prune ? `${service} has enable: false` : undefined));
    if (existing.kind === 'absent') {
      delete nextFiles[p];
      stateChanged = true;
      return null;
    }
    if (existing.kind === 'blocked') return as('conflict', null, existing.reason);
    const conflict = ownershipConflict(entry, existing.content);
    if (conflict && !options.force) return as('conflict', existing.content, `${conflict}; not deleted`);
    deleted.set(p, entry);
    delete nextFiles[p];
    stateChanged = true;
    return as('delete', existing.content, conflict ? `${conflict}; deleted because of --force` : undefined);
  });

  const files = [...planned, ...deletions.filter((d): d is PlannedFile => d !== null)].sort((a, b) => compare(a.path, b.path));
  // Only a plan that changes files writes the write-ahead record: skip the copy of every entry otherwise.
  const aheadState: State = files.some((f) => isChange(f.action)) ? { files: { ...nextFiles, ...Object.fromEntries(deleted) } } : nextState;
  for (const [p, previous] of replaced) aheadState.files[p] = { ...nextFiles[p], previous };
  const pending = readPending(fs, outDir);
  return {
    outDir,
    files,
    stale: stale.sort(compare),
    nextState,
    aheadState,
    stateText,
    stateChanged,
    ...(problem && !options.force ? { stateProblem: problem } : {}),
    pending: pending.pending,
    ...(pending.problem ? { pendingProblem: pending.problem } : {}),
  };
}

function sameEntry(a: StateEntry, b: StateEntry): boolean {
  return a.sha256 === b.sha256 && a.mode === b.mode && a.emitter === b.emitter && a.service === b.service && a.previous === b.previous && a.stat === b.stat;
}

/**
 * The service a recorded file belongs to, for records written before entries
 * named it: the per-service paths every emitter uses (`<name>.service`,
 * `atelier-<name>.conf`, `sites/<name>.caddy`, `atelier-backup-<name>.*`, …).
 */
function serviceOfPath(p: string, names: ReadonlySet<string>): string | undefined {
  const base = path.posix.basename(p);
  const stem = base.replace(/\.(service|timer|conf|caddy|files|exclude|sh)$/, '').replace(/^atelier-(backup-)?/, '');
  if (names.has(stem)) return stem;
  // A folder of the service's own (scripts, drop-ins): `…/<name>/…` or `…/<name>.service.d/…`.
  for (const part of p.split('/').slice(0, -1)) {
    const name = part.replace(/\.service\.d$/, '');
    if (names.has(name)) return name;
  }
  return undefined;
}

function readPending(fs: FsLike, outDir: string): { pending: Pending | null; problem?: string } {
  let text: string;
  try {
    text = String(fs.readFileSync(path.join(outDir, PENDING_PATH), 'utf8'));
  } catch (err) {
    return isMissing(err) ? { pending: null } : { pending: null, problem: `cannot read ${PENDING_PATH}: ${(err as Error).message}` };
  }
  return parsePending(text);
}

/**
 * Every way the tree on disk differs from the declarations, as sentences: what
 * `--check` exits 1 for. Not only changes: a hand edit or foreign file (a
 * conflict), a stale file, a damaged record and an unfinished activation too.
 */
export function differences(plan: Plan): string[] {
  const out: string[] = [];
  const count = (action: Action) => plan.files.filter((f) => f.action === action).length;
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  if (count('create') > 0) out.push(`${n(count('create'), 'file')} missing`);
  if (count('update') > 0) out.push(`${n(count('update'), 'file')} to update`);
  if (count('delete') > 0) out.push(`${n(count('delete'), 'file')} to delete`);
  if (count('conflict') > 0) out.push(`${n(count('conflict'), 'file')} edited by hand or not atelier-emit's (conflict)`);
  if (plan.stale.length > 0) out.push(`${n(plan.stale.length, 'stale file')} no longer declared (--prune deletes them)`);
  if (plan.stateProblem) out.push(`state: ${plan.stateProblem}`);
  if (plan.pendingProblem) out.push(plan.pendingProblem);
  if (plan.pending && (plan.pending.restart.length > 0 || plan.pending.reload.length > 0 || plan.pending.daemonReload)) {
    out.push('an earlier --apply did not finish activating (the next --apply completes it)');
  }
  return out;
}

/**
 * Every planned file is built here, with one shape: object spreads gave each of
 * tens of thousands of files its own hidden class in V8 (36 MB at 10,000 services).
 */
function plannedFile(
  filePath: string,
  action: Action,
  current: string | null,
  currentMode: number | undefined,
  desired: string | null,
  mode: number,
  emitter: EmitterName,
  service: string | undefined,
  reason: string | undefined,
  desiredHash?: string,
): PlannedFile {
  return { path: filePath, action, current, currentMode, desired, mode, emitter, service, reason, desiredHash };
}

function ownershipConflict(owned: StateEntry | undefined, current: string): string | null {
  if (owned === undefined) return 'not written by atelier-emit (no record in atelier/.state.json)';
  const hash = sha256(current);
  if (hash !== owned.sha256 && hash !== owned.previous) return 'edited by hand since atelier-emit wrote it';
  return null;
}

function readState(fs: FsLike, outDir: string): { state: State; problem?: string; text: string | null } {
  let text: string;
  try {
    // Bounded, a regular file, never through a symlink (the record or its folder).
    const folder = new TreeInspector(fs, outDir).folderProblem(path.posix.dirname(STATE_PATH));
    if (folder) return { state: emptyState(), problem: `cannot read ${STATE_PATH}: ${folder}`, text: null };
    const decoded = decodeUtf8(readInputFile(fs, path.join(outDir, STATE_PATH), MAX_STATE_BYTES, false));
    if ('line' in decoded) return { state: emptyState(), problem: `${STATE_PATH} is damaged: it is not UTF-8 (line ${decoded.line}); fix or remove it, or use --force`, text: null };
    text = decoded.text;
  } catch (err) {
    if (isMissing(err)) return { state: emptyState(), text: null };
    return { state: emptyState(), problem: `cannot read ${STATE_PATH}: ${err instanceof InputFileError ? `it ${err.message}` : (err as Error).message}`, text: null };
  }
  const parsed = parseState(text);
  if ('error' in parsed) return { state: emptyState(), problem: `${STATE_PATH} is damaged: ${parsed.error}; fix or remove it, or use --force`, text };
  return { state: parsed, text };
}

/** A folder under --out: why files cannot go into it, or whether it is missing (so is all beneath it). */
type FolderState = { problem: string } | { problem: null; missing: boolean };

/**
 * Looks at paths under --out without following symlinks: a symlinked folder
 * could point anywhere on the host, so it blocks every path beneath it, even with --force.
 */
export class TreeInspector {
  private readonly folders = new Map<string, FolderState>();
  private readonly prefix: string;

  constructor(
    private readonly fs: FsLike,
    private readonly outDir: string,
  ) {
    // Paths here are normalized and relative: a concatenation, not a path.join per file.
    this.prefix = outDir.endsWith('/') ? outDir : `${outDir}/`;
  }

  /** The file's content as read, or why it could not be. */
  inspect(relative: string): Existing {
    const seen = this.look(relative);
    if (seen.kind !== 'file') return seen;
    const content = this.read(relative);
    if (typeof content !== 'string') return content;
    return { kind: 'file', content, mode: Number(seen.stat.mode) & 0o7777, uid: Number(seen.stat.uid), gid: Number(seen.stat.gid) };
  }

  /** What is at the path, by one lstat (none at all under a missing folder). */
  look(relative: string): Seen {
    const folder = this.folder(path.posix.dirname(relative));
    if (folder.problem !== null) return { kind: 'blocked', reason: folder.problem, forceable: false };
    if (folder.missing) return { kind: 'absent' };
    try {
      const stat = lstatOrNull(this.fs, this.prefix + relative);
      if (stat === null) return { kind: 'absent' };
      if (stat.isSymbolicLink()) return { kind: 'blocked', reason: 'is a symlink (atelier-emit never writes through one)', forceable: true };
      if (stat.isDirectory()) return { kind: 'blocked', reason: 'is a folder where a file should be', forceable: false };
      if (!stat.isFile()) return { kind: 'blocked', reason: 'is not a regular file', forceable: false };
      return { kind: 'file', stat };
    } catch (err) {
      return { kind: 'blocked', reason: `cannot be read (${errorCode(err) ?? (err as Error).message})`, forceable: false };
    }
  }

  /** A regular file's content (looked at first), or why it cannot be read. */
  read(relative: string): string | { kind: 'blocked'; reason: string; forceable: false } {
    try {
      return String(this.fs.readFileSync(this.prefix + relative, 'utf8'));
    } catch (err) {
      return { kind: 'blocked', reason: `cannot be read (${errorCode(err) ?? (err as Error).message})`, forceable: false };
    }
  }

  /** Why files cannot go into this folder (relative to --out), or null. Cached per folder. */
  folderProblem(relative: string): string | null {
    return this.folder(relative).problem;
  }

  /** Forgets what is known of a folder (the writer has just created it). */
  forget(relative: string): void {
    this.folders.delete(relative);
  }

  private folder(relative: string): FolderState {
    if (relative === '.' || relative === '') return { problem: null, missing: false };
    let cached = this.folders.get(relative);
    if (cached === undefined) {
      cached = this.checkFolder(relative);
      this.folders.set(relative, cached);
    }
    return cached;
  }

  private checkFolder(relative: string): FolderState {
    const parent = this.folder(path.posix.dirname(relative));
    if (parent.problem !== null || parent.missing) return parent;
    try {
      const stat = lstatOrNull(this.fs, this.prefix + relative);
      if (stat === null) return { problem: null, missing: true };
      if (stat.isSymbolicLink()) return { problem: `its folder ${relative} is a symlink (atelier-emit never writes through one)` };
      if (!stat.isDirectory()) return { problem: `${relative} is a file where a folder should be` };
      return { problem: null, missing: false };
    } catch (err) {
      return { problem: `its folder ${relative} cannot be read (${errorCode(err)})` };
    }
  }
}

export function isChange(action: Action): boolean {
  return action === 'create' || action === 'update' || action === 'delete';
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
