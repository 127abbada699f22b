// Issue 19: a second run skips reading files whose lstat fingerprint (inode,
// size, mtime, ctime) matches what the ownership record noted, as git's index
// does; every hand edit is still seen. Real file systems only: memfs has no
// ctime a user cannot set, which is the point.
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { planTree, type DesiredFile, type Plan } from '../src/plan.js';
import { parseState, STATE_PATH, type State } from '../src/state.js';
import { writePlan } from '../src/write.js';
import { runCli } from './support/cli.js';

const ROOT = path.resolve(__dirname, '..');
const SEED = path.join(ROOT, 'fixtures/seed/atelier.yaml');
const opts = { prune: false, force: false, emitters: ['systemd', 'caddy', 'backup', 'manifest'] as const };
const desired: DesiredFile[] = Array.from({ length: 40 }, (_, i) => ({ path: `d${i % 4}/f${i}.conf`, content: `line ${i}\n`, mode: 0o644, emitter: 'systemd', service: 'app' }));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) nodeFs.rmSync(d, { recursive: true, force: true });
});
const tempOut = () => {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'atelier-fingerprint-'));
  dirs.push(dir);
  return dir;
};

/** node:fs, counting reads of the output files (not of the record, which is read by descriptor). */
function counting(): { fs: FsLike; reads: string[] } {
  const reads: string[] = [];
  const fs: FsLike = {
    ...nodeFs,
    readFileSync: ((p: nodeFs.PathOrFileDescriptor, o?: unknown) => {
      if (typeof p === 'string' && p.endsWith('.conf')) reads.push(p);
      return (nodeFs.readFileSync as (p: nodeFs.PathOrFileDescriptor, o?: unknown) => string | Buffer)(p, o);
    }) as FsLike['readFileSync'],
  };
  return { fs, reads };
}

const record = (out: string): State => parseState(nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8')) as State;
const actions = (plan: Plan) => plan.files.filter((f) => f.action !== 'unchanged').map((f) => `${f.path}: ${f.action}`);

async function written(): Promise<string> {
  const out = tempOut();
  await writePlan(nodeFs, planTree(nodeFs, out, desired, opts), { flush: async () => undefined });
  return out;
}

/** Rewrites a file in place (same inode) with content of the same size, then sets its mtime back exactly. */
function editKeepingSizeAndMtime(file: string) {
  const reference = `${file}.ref`;
  execFileSync('cp', ['-p', file, reference]); // keeps the mtime to the nanosecond
  const content = nodeFs.readFileSync(file, 'utf8');
  nodeFs.writeFileSync(file, content.replace(/\d/, (d) => String((Number(d) + 1) % 10)), { flag: 'r+' });
  execFileSync('touch', ['-m', '-r', reference, file]);
  nodeFs.rmSync(reference);
}

describe('the fingerprint in the ownership record', () => {
  it('notes each written file, and a second plan of the unchanged tree reads none of them', async () => {
    const out = await written();
    const state = record(out);
    for (const file of desired) {
      const stat = nodeFs.lstatSync(path.join(out, file.path));
      expect(state.files[file.path].stat, file.path).toBe(`${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
    }
    const { fs, reads } = counting();
    const plan = planTree(fs, out, desired, opts);
    expect(actions(plan)).toEqual([]);
    expect(reads).toEqual([]);
    expect(plan.stateChanged).toBe(false);
  });

  it('a changed declaration still reads the file it replaces (for the diff and a rollback)', async () => {
    const out = await written();
    const { fs, reads } = counting();
    const changed = desired.map((f, i) => (i === 3 ? { ...f, content: 'new\n' } : f));
    const plan = planTree(fs, out, changed, opts);
    expect(actions(plan)).toEqual(['d3/f3.conf: update']);
    expect(plan.files.find((f) => f.path === 'd3/f3.conf')?.current).toBe('line 3\n');
    expect(reads).toEqual([path.join(out, 'd3/f3.conf')]);
  });

  it('sees a hand edit of the same size whose mtime was set back: ctime moved', async () => {
    const out = await written();
    const file = path.join(out, 'd1/f5.conf');
    const before = nodeFs.lstatSync(file);
    editKeepingSizeAndMtime(file);
    const after = nodeFs.lstatSync(file);
    // The edit leaves only ctime to tell: same inode, size and mtime (to the nanosecond).
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect(after.ctimeMs).not.toBe(before.ctimeMs);
    expect(nodeFs.readFileSync(file, 'utf8')).not.toBe('line 5\n');
    const plan = planTree(nodeFs, out, desired, opts);
    expect(plan.files.find((f) => f.path === 'd1/f5.conf')).toMatchObject({ action: 'conflict', reason: 'edited by hand since atelier-emit wrote it' });
  });

  it('sees an edit made the instant after the writer looked at the file, within its clock tick (racy git)', async () => {
    // Timestamps in 10 ms ticks, as a coarse file-system clock gives them (Debian 12's kernel stamps
    // in jiffies; this machine's newer kernel gives a fine stamp to a change after a stat, which would hide
    // the race). The edit comes right after the writer's lstat of the renamed file and sets the mtime
    // back: only the fence (src/fingerprint.ts) tells it apart.
    const tick = (ms: number) => Math.floor(ms / 10) * 10;
    for (let round = 0; round < 5; round++) {
      const renamed = new Set<string>();
      let edited = false;
      const fs: FsLike = {
        ...nodeFs,
        renameSync: (from: nodeFs.PathLike, to: nodeFs.PathLike) => {
          nodeFs.renameSync(from, to);
          renamed.add(String(to));
        },
        lstatSync: ((p: string, o?: nodeFs.StatSyncOptions) => {
          const stat = nodeFs.lstatSync(p, o as nodeFs.StatSyncOptions & { bigint?: false });
          if (!stat) return stat;
          if (!edited && renamed.has(p) && p.endsWith('d0/f0.conf')) {
            edited = true;
            const fd = nodeFs.openSync(p, 'r+');
            nodeFs.writeSync(fd, 'LINE', 0);
            nodeFs.futimesSync(fd, stat.atime, stat.mtime);
            nodeFs.closeSync(fd);
          }
          stat.mtimeMs = tick(stat.mtimeMs);
          stat.ctimeMs = tick(stat.ctimeMs);
          return stat;
        }) as FsLike['lstatSync'],
      };
      const out = tempOut();
      await writePlan(fs, planTree(fs, out, desired, opts), { flush: async () => undefined });
      expect(edited).toBe(true);
      const plan = planTree(fs, out, desired, opts);
      expect(plan.files.find((f) => f.path === 'd0/f0.conf')?.action, `round ${round}`).toBe('conflict');
      // The other files were noted and are trusted (the fence did not simply note nothing).
      expect(Object.values(record(out).files).filter((e) => e.stat !== undefined).length).toBeGreaterThan(desired.length / 2);
    }
  });

  it('sees an edit made right after the run, in the same second', async () => {
    for (let round = 0; round < 10; round++) {
      const out = await written();
      const file = path.join(out, 'd0/f0.conf');
      const fd = nodeFs.openSync(file, 'r+');
      const { mtime, atime } = nodeFs.fstatSync(fd);
      nodeFs.writeSync(fd, 'LINE', 0);
      nodeFs.futimesSync(fd, atime, mtime);
      nodeFs.closeSync(fd);
      const plan = planTree(nodeFs, out, desired, opts);
      expect(plan.files.find((f) => f.path === 'd0/f0.conf')?.action, `round ${round}`).toBe('conflict');
    }
  });

  it('notes no fingerprint for a file changed in the tick it was looked at', async () => {
    // A file system whose files all claim a ctime in the future: none is older than the fence, none is noted.
    const fs: FsLike = {
      ...nodeFs,
      lstatSync: ((p: string, o?: nodeFs.StatSyncOptions) => {
        const stat = nodeFs.lstatSync(p, o as nodeFs.StatSyncOptions & { bigint?: false });
        if (stat && p.endsWith('.conf')) stat.ctimeMs = Date.now() + 60_000;
        return stat;
      }) as FsLike['lstatSync'],
    };
    const out = tempOut();
    await writePlan(fs, planTree(fs, out, desired, opts), { flush: async () => undefined });
    expect(Object.values(record(out).files).filter((e) => e.stat !== undefined)).toEqual([]);
    // So the next plan reads every file, and still finds the tree unchanged.
    const { fs: reading, reads } = counting();
    expect(actions(planTree(reading, out, desired, opts))).toEqual([]);
    expect(reads.length).toBe(desired.length);
  });

  it('an older record without fingerprints: files are read and hashed, and the next run notes them', async () => {
    const out = await written();
    const state = record(out);
    for (const entry of Object.values(state.files)) delete entry.stat;
    nodeFs.writeFileSync(path.join(out, STATE_PATH), JSON.stringify({ version: 1, files: state.files }));
    const { fs, reads } = counting();
    const plan = planTree(fs, out, desired, opts);
    expect(actions(plan)).toEqual([]);
    expect(reads.length).toBe(desired.length);
    expect(plan.stateChanged).toBe(false); // no lock, so no fence: nothing noted while planning
  });
});

describe('the CLI', () => {
  it('--check reports a same-size hand edit with its mtime set back; an unchanged record is not rewritten', async () => {
    const out = path.join(tempOut(), 'out');
    expect((await runCli(['--config', SEED, '--out', out], { cwd: ROOT })).code).toBe(0);
    const stateFile = path.join(out, STATE_PATH);
    const written = nodeFs.lstatSync(stateFile);
    const again = await runCli(['--config', SEED, '--out', out, '--json'], { cwd: ROOT });
    expect(JSON.parse(again.stdout).changed).toBe(false);
    // Not rewritten: the same inode and ctime.
    expect([nodeFs.lstatSync(stateFile).ino, nodeFs.lstatSync(stateFile).ctimeMs]).toEqual([written.ino, written.ctimeMs]);

    const unit = path.join(out, 'systemd/system/myapp.service');
    editKeepingSizeAndMtime(unit);
    const check = await runCli(['--config', SEED, '--out', out, '--check'], { cwd: ROOT });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('edited by hand');
  });

  it('a record without fingerprints gets them on the next run (under the lock), and keeps them', async () => {
    const out = path.join(tempOut(), 'out');
    expect((await runCli(['--config', SEED, '--out', out], { cwd: ROOT })).code).toBe(0);
    const stateFile = path.join(out, STATE_PATH);
    const state = record(out);
    for (const entry of Object.values(state.files)) delete entry.stat;
    nodeFs.writeFileSync(stateFile, JSON.stringify({ version: 1, files: state.files }));
    // Let the file system's clock pass the lock file's, taken at the start of the next run.
    const touched = nodeFs.lstatSync(stateFile).ctimeMs;
    while (nodeFs.lstatSync(stateFile).ctimeMs === touched) nodeFs.chmodSync(stateFile, 0o644);
    expect((await runCli(['--config', SEED, '--out', out], { cwd: ROOT })).code).toBe(0);
    const noted = record(out);
    const entries = Object.entries(noted.files);
    expect(entries.length).toBeGreaterThan(5);
    for (const [p, entry] of entries) {
      const stat = nodeFs.lstatSync(path.join(out, p));
      expect(entry.stat, p).toBe(`${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
    }
  });
});
