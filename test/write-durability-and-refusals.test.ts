// The writer's promises beyond "the files end up on disk": what it flushes and
// when (nothing when nothing changed), the refusals a user reads when the disk
// says no, what a failed run leaves behind (no temporaries, the old files), the
// sweep of temporaries a killed run left, and the modes of the folders it makes
// whatever the umask. Real temporary folders, with node:fs wrapped where an
// error has to be injected (as root, EACCES cannot be had for real).
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Volume, createFsFromVolume } from 'memfs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { planTree, type DesiredFile, type Plan } from '../src/plan.js';
import { parseState, STATE_PATH, type State } from '../src/state.js';
import { describeFailure, prepareOutDir, RefusedWrite, syncFileSystem, writePending, writePlan } from '../src/write.js';

const opts = { prune: false, force: false, emitters: ['systemd', 'caddy', 'backup', 'manifest'] as const };
const pruning = { ...opts, prune: true };
const files = (...specs: [string, string][]): DesiredFile[] => specs.map(([p, content]) => ({ path: p, content, mode: 0o644, emitter: 'systemd', service: 'app' }));
const many = (n: number, prefix = 'f') => files(...Array.from({ length: n }, (_, i): [string, string] => [`d${i % 3}/${prefix}${i}.conf`, `${prefix} ${i}\n`]));

const dirs: string[] = [];
let savedUmask: number | null = null;
afterEach(() => {
  vi.restoreAllMocks();
  if (savedUmask !== null) process.umask(savedUmask);
  savedUmask = null;
  for (const d of dirs.splice(0)) nodeFs.rmSync(d, { recursive: true, force: true });
});
const tempOut = () => {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'atelier-write-'));
  dirs.push(dir);
  return dir;
};
const setUmask = (mask: number) => {
  const old = process.umask(mask);
  if (savedUmask === null) savedUmask = old;
};
const errno = (code: string, message: string, p?: string) => Object.assign(new Error(`${code}: ${message}`), { code, ...(p ? { path: p } : {}) });

/** Every file under `dir`, relative, sorted (temporary files included). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of nodeFs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}
const temps = (dir: string) => tree(dir).filter((f) => /\.atelier-.*\.tmp$/.test(f));
const record = (out: string): State => parseState(nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8')) as State;

interface Trace {
  fileSyncs: number;
  folderSyncs: number;
  recordWrites: number;
  opened: number;
  closed: number;
  tempNames: string[];
  flushes: number;
}

/** node:fs, noting fsyncs, descriptors, temporary names and replacements of the record; `hooks` may throw first. */
function traced(hooks: Partial<FsLike> = {}): { fs: FsLike; trace: Trace; flush: (dir: string) => Promise<void> } {
  const trace: Trace = { fileSyncs: 0, folderSyncs: 0, recordWrites: 0, opened: 0, closed: 0, tempNames: [], flushes: 0 };
  const fs: FsLike = {
    ...nodeFs,
    ...hooks,
    openSync: ((p: nodeFs.PathLike, flags?: nodeFs.OpenMode, mode?: nodeFs.Mode) => {
      if (flags === 'wx') trace.tempNames.push(path.basename(String(p)));
      const fd = ((hooks.openSync ?? nodeFs.openSync) as (p: nodeFs.PathLike, f?: nodeFs.OpenMode, m?: nodeFs.Mode) => number)(p, flags, mode);
      trace.opened++;
      return fd;
    }) as FsLike['openSync'],
    closeSync: (fd: number) => {
      trace.closed++;
      nodeFs.closeSync(fd);
    },
    fsyncSync: (fd: number) => {
      if (nodeFs.fstatSync(fd).isDirectory()) trace.folderSyncs++;
      else trace.fileSyncs++;
      nodeFs.fsyncSync(fd);
    },
    renameSync: (from: nodeFs.PathLike, to: nodeFs.PathLike) => {
      (hooks.renameSync ?? nodeFs.renameSync)(from, to);
      if (String(to).endsWith(STATE_PATH)) trace.recordWrites++;
    },
  };
  return { fs, trace, flush: async () => void trace.flushes++ };
}

async function writeAll(out: string, desired: DesiredFile[], options = opts): Promise<void> {
  await writePlan(nodeFs, planTree(nodeFs, out, desired, options), { flush: async () => undefined });
}

describe('what the writer flushes', () => {
  it('exactly 32 changed files are still fsynced one by one, with no file-system flush', async () => {
    const out = tempOut();
    const { fs, trace, flush } = traced();
    await writePlan(fs, planTree(fs, out, many(32), opts), { flush });
    expect({ flushes: trace.flushes, fileSyncs: trace.fileSyncs }).toEqual({ flushes: 0, fileSyncs: 32 + 2 });
  });

  it('20 new files and 20 pruned ones are 40 changes: one flush before the renames and one after', async () => {
    const out = tempOut();
    await writeAll(out, many(20, 'old'));
    const { fs, trace, flush } = traced();
    const plan = planTree(fs, out, many(20, 'new'), pruning);
    expect(plan.files.filter((f) => f.action === 'delete')).toHaveLength(20);
    await writePlan(fs, plan, { flush });
    expect({ flushes: trace.flushes, fileSyncs: trace.fileSyncs }).toEqual({ flushes: 2, fileSyncs: 2 });
  });

  it('pruning 33 files and writing none flushes once, after the deletions', async () => {
    const out = tempOut();
    await writeAll(out, many(33));
    const { fs, trace, flush } = traced();
    const result = await writePlan(fs, planTree(fs, out, [], pruning), { flush });
    expect(result.deleted).toHaveLength(33);
    expect(tree(out)).toEqual([STATE_PATH]);
    expect(trace.flushes).toBe(1);
  });

  it('without a flush (a memfs-style run) nothing but the record is fsynced, and no folder', async () => {
    const out = tempOut();
    const { fs, trace } = traced();
    await writePlan(fs, planTree(fs, out, many(5), opts));
    expect({ fileSyncs: trace.fileSyncs, folderSyncs: trace.folderSyncs }).toEqual({ fileSyncs: 2, folderSyncs: 0 });
  });

  it('a second run of an unchanged tree writes, fsyncs and flushes nothing', async () => {
    const out = tempOut();
    await writeAll(out, many(5));
    const before = nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8');
    const { fs, trace, flush } = traced();
    const result = await writePlan(fs, planTree(fs, out, many(5), opts), { flush });
    expect(result).toEqual({ written: [], deleted: [] });
    expect(trace).toMatchObject({ flushes: 0, fileSyncs: 0, folderSyncs: 0, recordWrites: 0 });
    expect(nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8')).toBe(before);
  });

  it('a run that only changes the record (adopting a file already right) writes it once and fsyncs its folder once', async () => {
    const out = tempOut();
    nodeFs.writeFileSync(path.join(out, 'a.conf'), 'a\n', { mode: 0o644 });
    const { fs, trace, flush } = traced();
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), opts);
    expect(plan.files.map((f) => f.action)).toEqual(['unchanged']);
    const result = await writePlan(fs, plan, { flush });
    expect(result).toEqual({ written: [], deleted: [] });
    expect(Object.keys(record(out).files)).toEqual(['a.conf']);
    expect(trace).toMatchObject({ flushes: 0, recordWrites: 1, fileSyncs: 1, folderSyncs: 1 });
  });

  it('closes every descriptor it opens', async () => {
    const out = tempOut();
    const { fs, trace, flush } = traced();
    await writePlan(fs, planTree(fs, out, many(6), opts), { flush });
    expect(trace.opened).toBeGreaterThan(6);
    expect(trace.closed).toBe(trace.opened);
  });

  it('names each temporary .<name>.atelier-<pid>-<n>.tmp, n counting up, so a later run can sweep it', async () => {
    const out = tempOut();
    const { fs, trace } = traced();
    await writePlan(fs, planTree(fs, out, many(4), opts));
    await writePlan(fs, planTree(fs, out, many(5), opts));
    expect(trace.tempNames.length).toBeGreaterThanOrEqual(9);
    for (const name of trace.tempNames) expect(name).toMatch(new RegExp(`^\\..+\\.atelier-${process.pid}-\\d+\\.tmp$`));
    const counts = trace.tempNames.map((n) => Number(/-(\d+)\.tmp$/.exec(n)?.[1]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBe(counts.length);
  });

  it('syncFileSystem flushes the file system of a folder, and fails for a folder that does not exist', async () => {
    const out = tempOut();
    await expect(syncFileSystem(out)).resolves.toBeUndefined();
    await expect(syncFileSystem(path.join(out, 'missing'))).rejects.toThrow();
  }, 20_000);
});

describe('refusals and what a failed run leaves', () => {
  it('refuses a plan with conflicts, saying so, and writes nothing', async () => {
    const out = tempOut();
    nodeFs.writeFileSync(path.join(out, 'a.conf'), 'mine\n');
    const plan = planTree(nodeFs, out, files(['a.conf', 'theirs\n'], ['b.conf', 'b\n']), opts);
    await expect(writePlan(nodeFs, plan)).rejects.toThrow(new RefusedWrite('the plan has conflicts'));
    expect(tree(out)).toEqual(['a.conf']);
  });

  it('a full disk while staging the second file: the message names it, the first temporary is removed, nothing replaced', async () => {
    const out = tempOut();
    await writeAll(out, files(['a.conf', 'a1\n'], ['b.conf', 'b1\n']));
    let staged = 0;
    const { fs } = traced({
      openSync: ((p: nodeFs.PathLike, flags?: nodeFs.OpenMode, mode?: nodeFs.Mode) => {
        if (flags === 'wx' && ++staged === 2) throw errno('ENOSPC', 'no space left on device, open', String(p));
        return nodeFs.openSync(p, flags ?? "r", mode);
      }) as FsLike['openSync'],
    });
    const plan = planTree(fs, out, files(['a.conf', 'a2\n'], ['b.conf', 'b2\n']), opts);
    await expect(writePlan(fs, plan)).rejects.toThrow(
      new RefusedWrite(`cannot write ${path.join(out, 'b.conf')}: no space left on the device; the old files were left as they were`),
    );
    expect(temps(out)).toEqual([]);
    expect(['a.conf', 'b.conf'].map((f) => nodeFs.readFileSync(path.join(out, f), 'utf8'))).toEqual(['a1\n', 'b1\n']);
  });

  it('a write that fails while staging names the target file, closes the temporary and removes it', async () => {
    const out = tempOut();
    const { fs, trace } = traced({
      writeSync: (() => {
        throw errno('ENOSPC', 'no space left on device, write');
      }) as unknown as FsLike['writeSync'],
    });
    const plan = planTree(fs, out, files(['d/a.conf', 'a\n'], ['d/b.conf', 'b\n']), opts);
    await expect(writePlan(fs, plan)).rejects.toThrow(
      new RefusedWrite(`cannot write ${path.join(out, 'd/a.conf')}: no space left on the device; the old files were left as they were`),
    );
    expect(temps(out)).toEqual([]);
    expect(trace.closed).toBe(trace.opened);
  });

  it('staging the first file after another was staged fails: every staged temporary is removed', async () => {
    const out = tempOut();
    let writes = 0;
    const { fs } = traced({
      fchmodSync: ((fd: number, mode: nodeFs.Mode) => {
        if (++writes === 3) throw errno('EACCES', 'permission denied, fchmod');
        nodeFs.fchmodSync(fd, mode);
      }) as FsLike['fchmodSync'],
    });
    const plan = planTree(fs, out, files(['a.conf', 'a\n'], ['b.conf', 'b\n'], ['c.conf', 'c\n']), opts);
    await expect(writePlan(fs, plan)).rejects.toThrow(
      new RefusedWrite(`cannot write ${path.join(out, 'c.conf')}: permission denied; the old files were left as they were`),
    );
    expect(tree(out)).toEqual([]);
  });

  it('a record that cannot be written is a refusal naming it (permission denied)', async () => {
    const out = tempOut();
    const { fs } = traced({
      openSync: ((p: nodeFs.PathLike, flags?: nodeFs.OpenMode, mode?: nodeFs.Mode) => {
        if (flags === 'wx' && String(p).includes('.state.json.atelier-')) throw errno('EACCES', 'permission denied, open', String(p));
        return nodeFs.openSync(p, flags ?? "r", mode);
      }) as FsLike['openSync'],
    });
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), opts);
    await expect(writePlan(fs, plan)).rejects.toThrow(
      new RefusedWrite(`cannot write ${path.join(out, STATE_PATH)}: permission denied; the old files were left as they were`),
    );
    expect(nodeFs.existsSync(path.join(out, 'a.conf'))).toBe(false);
  });

  it('a file that cannot be deleted is a refusal naming it', async () => {
    const out = tempOut();
    await writeAll(out, files(['a.conf', 'a\n'], ['b.conf', 'b\n']));
    const { fs } = traced({
      unlinkSync: ((p: nodeFs.PathLike) => {
        if (String(p).endsWith('/b.conf')) throw errno('EPERM', 'operation not permitted, unlink', String(p));
        nodeFs.unlinkSync(p);
      }) as FsLike['unlinkSync'],
    });
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), pruning);
    await expect(writePlan(fs, plan)).rejects.toThrow(
      new RefusedWrite(`cannot write ${path.join(out, 'b.conf')}: operation not permitted; the old files were left as they were`),
    );
    expect(nodeFs.existsSync(path.join(out, 'b.conf'))).toBe(true);
  });

  it('a file to delete that vanished since the plan is no error', async () => {
    const out = tempOut();
    await writeAll(out, files(['a.conf', 'a\n'], ['b.conf', 'b\n']));
    const plan = planTree(nodeFs, out, files(['a.conf', 'a\n']), pruning);
    nodeFs.unlinkSync(path.join(out, 'b.conf'));
    await expect(writePlan(nodeFs, plan)).resolves.toEqual({ written: [], deleted: ['b.conf'] });
    expect(Object.keys(record(out).files)).toEqual(['a.conf']);
  });

  it('never deletes through a folder that became a symlink since the plan', async () => {
    const out = tempOut();
    await writeAll(out, files(['d/a.conf', 'a\n'], ['keep.conf', 'k\n']));
    const plan = planTree(nodeFs, out, files(['keep.conf', 'k\n']), pruning);
    const elsewhere = tempOut();
    nodeFs.writeFileSync(path.join(elsewhere, 'a.conf'), 'a\n');
    nodeFs.rmSync(path.join(out, 'd'), { recursive: true });
    nodeFs.symlinkSync(elsewhere, path.join(out, 'd'));
    await expect(writePlan(nodeFs, plan)).rejects.toThrow(new RefusedWrite('d/a.conf: its folder d is a symlink (atelier-emit never writes through one)'));
    expect(nodeFs.readFileSync(path.join(elsewhere, 'a.conf'), 'utf8')).toBe('a\n');
  });

  it('refuses when a file appears where it is creating a folder', async () => {
    const out = tempOut();
    const { fs } = traced({
      mkdirSync: ((p: nodeFs.PathLike, o?: nodeFs.MakeDirectoryOptions) => {
        if (String(p).endsWith('/d')) {
          nodeFs.writeFileSync(p, 'another writer\n');
          throw errno('EEXIST', 'file already exists, mkdir', String(p));
        }
        return nodeFs.mkdirSync(p, o);
      }) as FsLike['mkdirSync'],
    });
    const plan = planTree(fs, out, files(['d/a.conf', 'a\n']), opts);
    await expect(writePlan(fs, plan)).rejects.toThrow(new RefusedWrite('d is not a folder'));
    expect(temps(out)).toEqual([]);
  });

  it('a record without fingerprints when the fence cannot be taken (the record folder cannot be chmodded)', async () => {
    const out = tempOut();
    const { fs } = traced({
      chmodSync: ((p: nodeFs.PathLike, mode: nodeFs.Mode) => {
        if (String(p).endsWith('/atelier')) throw errno('EPERM', 'operation not permitted, chmod', String(p));
        nodeFs.chmodSync(p, mode);
      }) as FsLike['chmodSync'],
    });
    nodeFs.mkdirSync(path.join(out, 'atelier'));
    await writePlan(fs, planTree(fs, out, files(['a.conf', 'a\n']), opts));
    expect(record(out).files['a.conf'].stat).toBeUndefined();
    expect(nodeFs.readFileSync(path.join(out, 'a.conf'), 'utf8')).toBe('a\n');
  });

  it('describes an error without a file as one in the output tree', () => {
    expect(describeFailure(errno('EIO', 'i/o error')).message).toBe('cannot write the output tree: EIO: i/o error; the old files were left as they were');
  });
});

describe('the pending record', () => {
  const pending = (out: string) => path.join(out, 'atelier/.pending.json');

  it('a folder where the record should be: "a folder stands where a file should be", and no temporary left', () => {
    const out = tempOut();
    nodeFs.mkdirSync(path.join(pending(out), 'inside'), { recursive: true });
    expect(() => writePending(nodeFs, out, '{}\n')).toThrow(
      new RefusedWrite(`cannot write ${pending(out)}: a folder stands where a file should be; the old files were left as they were`),
    );
    expect(temps(out)).toEqual([]);
    expect(() => writePending(nodeFs, out, null)).toThrow(
      new RefusedWrite(`cannot write ${pending(out)}: a folder stands where a file should be; the old files were left as they were`),
    );
  });

  it('a file where its folder should be: "a file stands where a folder should be"', () => {
    const out = tempOut();
    nodeFs.writeFileSync(path.join(out, 'atelier'), 'not a folder\n');
    expect(() => writePending(nodeFs, out, null)).toThrow(
      new RefusedWrite(`cannot write ${pending(out)}: a file stands where a folder should be; the old files were left as they were`),
    );
  });

  it('removing a record that is not there is no error; writing then removing one leaves nothing', () => {
    const out = tempOut();
    nodeFs.mkdirSync(path.join(out, 'atelier'));
    expect(() => writePending(nodeFs, out, null)).not.toThrow();
    writePending(nodeFs, out, '{"x":1}\n');
    expect(nodeFs.readFileSync(pending(out), 'utf8')).toBe('{"x":1}\n');
    writePending(nodeFs, out, null);
    expect(tree(out)).toEqual([]);
  });
});

describe('temporary files a killed run left behind', () => {
  const leftovers = (out: string, pid: number) => {
    nodeFs.mkdirSync(path.join(out, 'd'), { recursive: true });
    nodeFs.mkdirSync(path.join(out, 'atelier'), { recursive: true });
    nodeFs.writeFileSync(path.join(out, `d/.a.conf.atelier-${pid}-7.tmp`), 'half');
    nodeFs.writeFileSync(path.join(out, `atelier/.state.json.atelier-${pid}-8.tmp`), 'half');
    nodeFs.writeFileSync(path.join(out, 'd/.notes.tmp'), 'not ours');
  };

  it('are removed, in the folders of the plan and in atelier/, when another process made them', async () => {
    const out = tempOut();
    leftovers(out, 999_999_999);
    await writePlan(nodeFs, planTree(nodeFs, out, files(['d/a.conf', 'a\n']), opts));
    expect(tree(out)).toEqual([STATE_PATH, 'd/.notes.tmp', 'd/a.conf']);
  });

  it('are kept when this process made them (another writer of this process may be staging)', async () => {
    const out = tempOut();
    leftovers(out, process.pid);
    await writePlan(nodeFs, planTree(nodeFs, out, files(['d/a.conf', 'a\n']), opts));
    expect(temps(out)).toEqual([`atelier/.state.json.atelier-${process.pid}-8.tmp`, `d/.a.conf.atelier-${process.pid}-7.tmp`]);
  });

  it('are left alone with sweepTemps: false', async () => {
    const out = tempOut();
    leftovers(out, 999_999_999);
    await writePlan(nodeFs, planTree(nodeFs, out, files(['d/a.conf', 'a\n']), opts), { sweepTemps: false });
    expect(temps(out)).toHaveLength(2);
  });
});

describe('folder modes whatever the umask', () => {
  // A worker thread cannot set the umask: Stryker's runner (npm run mutate) runs tests in threads, where this one is skipped.
  it.skipIf(!isMainThread).each([0o027, 0o077, 0o000])('umask %o: folders the writer creates are 0755', async (mask) => {
    const out = tempOut();
    setUmask(mask);
    await writePlan(nodeFs, planTree(nodeFs, out, files(['caddy/sites/a.caddy', 'a\n']), opts));
    for (const folder of ['caddy', 'caddy/sites', 'atelier']) expect((nodeFs.statSync(path.join(out, folder)).mode & 0o7777).toString(8), folder).toBe('755');
  });

  /** memfs with Node's recursive mkdir (returns the first folder created) and a umask of 077 applied to every mkdir. */
  function umaskedMemfs(): { fs: FsLike; mode: (p: string) => string } {
    // The writer reads the process's umask to know whether mkdir's mode needs a chmod: it reads
    // the 077 this file system applies (set only in appearance, which a worker thread, where
    // Stryker's runner runs tests, also allows).
    vi.spyOn(process, 'umask').mockReturnValue(0o077);
    const vol = new Volume();
    const mem = createFsFromVolume(vol) as unknown as FsLike;
    vol.mkdirSync('/srv/existing', { recursive: true, mode: 0o700 });
    vol.chmodSync('/srv', 0o750);
    const fs: FsLike = {
      ...mem,
      mkdirSync: ((p: string, o?: nodeFs.MakeDirectoryOptions) => {
        const mode = Number(o?.mode ?? 0o777) & ~0o077;
        if (!o?.recursive) return mem.mkdirSync(p, { mode });
        let first: string | undefined;
        for (let dir = p; !vol.existsSync(dir); dir = path.dirname(dir)) first = dir;
        mem.mkdirSync(p, { recursive: true, mode });
        return first;
      }) as FsLike['mkdirSync'],
    };
    return { fs, mode: (p) => (Number(vol.statSync(p).mode) & 0o7777).toString(8) };
  }

  it('prepareOutDir makes each new folder of --out 0755 and leaves the folders that existed alone', () => {
    const { fs, mode } = umaskedMemfs();
    expect(prepareOutDir(fs, '/srv/a/b/out')).toEqual({ createdFolder: true });
    expect(['/srv/a', '/srv/a/b', '/srv/a/b/out', '/srv/a/b/out/atelier'].map(mode)).toEqual(['755', '755', '755', '755']);
    expect(mode('/srv')).toBe('750');
  });

  it('prepareOutDir leaves an existing --out and its parents as they are', () => {
    const { fs, mode } = umaskedMemfs();
    expect(prepareOutDir(fs, '/srv/existing')).toEqual({ createdFolder: true });
    expect([mode('/srv'), mode('/srv/existing'), mode('/srv/existing/atelier')]).toEqual(['750', '700', '755']);
    expect(prepareOutDir(fs, '/srv/existing')).toEqual({ createdFolder: false });
  });
});
