// Planner and writer on memfs (fast, many cases) and on a real temporary folder.
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmitterName } from '../src/emitters/types.js';
import type { FsLike } from '../src/fs.js';
import { planTree, type DesiredFile, type Plan } from '../src/plan.js';
import { STATE_PATH } from '../src/state.js';
import { RefusedWrite, writePlan } from '../src/write.js';

const OUT = '/out';
const files = (...specs: [string, string, number?][]): DesiredFile[] =>
  specs.map(([p, content, mode]) => ({ path: p, content, mode: mode ?? 0o644, emitter: 'systemd', service: 'app' }));
const actions = (plan: Plan) => Object.fromEntries(plan.files.map((f) => [f.path, f.action]));
const opts: { prune: boolean; force: boolean; emitters: readonly EmitterName[] } = { prune: false, force: false, emitters: ['systemd', 'caddy', 'backup', 'manifest'] };

interface World {
  fs: FsLike;
  out: string;
  read(p: string): string;
  write(p: string, content: string): void;
  exists(p: string): boolean;
  mode(p: string): number;
  symlink(target: string, p: string): void;
}

function memWorld(): World {
  const vol = new Volume();
  vol.mkdirSync(OUT, { recursive: true });
  vol.mkdirSync('/elsewhere', { recursive: true });
  const fs = createFsFromVolume(vol) as unknown as FsLike;
  return {
    fs,
    out: OUT,
    read: (p) => String(vol.readFileSync(path.join(OUT, p), 'utf8')),
    write: (p, c) => {
      vol.mkdirSync(path.dirname(path.join(OUT, p)), { recursive: true });
      vol.writeFileSync(path.join(OUT, p), c, { mode: 0o644 });
    },
    exists: (p) => vol.existsSync(path.join(OUT, p)),
    mode: (p) => Number(vol.statSync(path.join(OUT, p)).mode) & 0o7777,
    symlink: (target, p) => {
      vol.mkdirSync(path.dirname(path.join(OUT, p)), { recursive: true });
      vol.symlinkSync(target, path.join(OUT, p));
    },
  };
}

const tempDirs: string[] = [];
afterEach(() => {
  for (const d of tempDirs.splice(0)) nodeFs.rmSync(d, { recursive: true, force: true });
});

function realWorld(): World {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'atelier-plan-'));
  tempDirs.push(root);
  const out = path.join(root, 'out');
  nodeFs.mkdirSync(out);
  nodeFs.mkdirSync(path.join(root, 'elsewhere'));
  return {
    fs: nodeFs,
    out,
    read: (p) => nodeFs.readFileSync(path.join(out, p), 'utf8'),
    write: (p, c) => {
      nodeFs.mkdirSync(path.dirname(path.join(out, p)), { recursive: true });
      nodeFs.writeFileSync(path.join(out, p), c, { mode: 0o644 });
    },
    exists: (p) => nodeFs.existsSync(path.join(out, p)),
    mode: (p) => nodeFs.statSync(path.join(out, p)).mode & 0o7777,
    symlink: (target, p) => {
      nodeFs.mkdirSync(path.dirname(path.join(out, p)), { recursive: true });
      nodeFs.symlinkSync(target.replace('/elsewhere', path.join(root, 'elsewhere')), path.join(out, p));
    },
  };
}

describe.each([
  ['memfs', memWorld],
  ['a real folder', realWorld],
])('planner and writer on %s', (_name, makeWorld) => {
  const run = async (w: World, desired: DesiredFile[], o: Partial<typeof opts> = {}) => {
    const plan = await planTree(w.fs, w.out, desired, { ...opts, ...o });
    return plan;
  };
  const runAndWrite = async (w: World, desired: DesiredFile[], o: Partial<typeof opts> = {}) => {
    const plan = await run(w, desired, o);
    await writePlan(w.fs, plan);
    return plan;
  };

  it('creates files with their modes and records them', async () => {
    const w = makeWorld();
    const plan = await runAndWrite(w, files(['a/b.conf', 'one\n'], ['sudoers.d/atelier-app', 'rule\n', 0o440]));
    expect(actions(plan)).toEqual({ 'a/b.conf': 'create', 'sudoers.d/atelier-app': 'create' });
    expect(w.read('a/b.conf')).toBe('one\n');
    expect(w.mode('sudoers.d/atelier-app')).toBe(0o440);
    expect(w.mode('a/b.conf')).toBe(0o644);
    expect(Object.keys(JSON.parse(w.read(STATE_PATH)).files)).toEqual(['a/b.conf', 'sudoers.d/atelier-app']);
  });

  it('reports everything unchanged on a second run', async () => {
    const w = makeWorld();
    const desired = files(['a/b.conf', 'one\n'], ['c.conf', 'two\n']);
    await runAndWrite(w, desired);
    const second = await run(w, desired);
    expect(actions(second)).toEqual({ 'a/b.conf': 'unchanged', 'c.conf': 'unchanged' });
  });

  it('updates a file it owns when the wanted content changes', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['a.conf', 'v1\n']));
    const plan = await runAndWrite(w, files(['a.conf', 'v2\n']));
    expect(actions(plan)).toEqual({ 'a.conf': 'update' });
    expect(w.read('a.conf')).toBe('v2\n');
  });

  it('refuses to overwrite a hand-edited file, and --force allows it', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['a.conf', 'v1\n']));
    w.write('a.conf', 'v1\n# my local tweak\n');
    const plan = await run(w, files(['a.conf', 'v2\n']));
    expect(plan.files[0]).toMatchObject({ action: 'conflict', reason: 'edited by hand since atelier-emit wrote it' });
    await expect(writePlan(w.fs, plan)).rejects.toBeInstanceOf(RefusedWrite);
    expect(w.read('a.conf')).toBe('v1\n# my local tweak\n');
    const forced = await runAndWrite(w, files(['a.conf', 'v2\n']), { force: true });
    expect(forced.files[0].action).toBe('update');
    expect(w.read('a.conf')).toBe('v2\n');
  });

  it('refuses a foreign file it did not write', async () => {
    const w = makeWorld();
    w.write('caddy/atelier.caddy', 'mine\n');
    const plan = await run(w, files(['caddy/atelier.caddy', 'generated\n'], ['other.conf', 'x\n']));
    expect(plan.files.find((f) => f.path === 'caddy/atelier.caddy')).toMatchObject({ action: 'conflict', reason: expect.stringContaining('not written by atelier-emit') });
    await expect(writePlan(w.fs, plan)).rejects.toBeInstanceOf(RefusedWrite);
    // Nothing at all is written while a conflict stands.
    expect(w.exists('other.conf')).toBe(false);
    expect(w.exists(STATE_PATH)).toBe(false);
  });

  it('adopts a foreign file that already has the wanted content', async () => {
    const w = makeWorld();
    w.write('a.conf', 'same\n');
    const plan = await runAndWrite(w, files(['a.conf', 'same\n']));
    expect(actions(plan)).toEqual({ 'a.conf': 'unchanged' });
    expect(JSON.parse(w.read(STATE_PATH)).files['a.conf']).toBeDefined();
  });

  it('keeps stale files without --prune and deletes only owned, unedited ones with it', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['keep.conf', 'k\n'], ['gone.conf', 'g\n'], ['edited.conf', 'e\n']));
    w.write('edited.conf', 'e\n# edited\n');
    w.write('foreign.conf', 'not ours\n');
    const kept = await run(w, files(['keep.conf', 'k\n']));
    expect(kept.stale).toEqual(['edited.conf', 'gone.conf']);
    expect(kept.files.map((f) => f.path)).toEqual(['keep.conf']);

    const pruning = await run(w, files(['keep.conf', 'k\n']), { prune: true });
    expect(actions(pruning)).toEqual({ 'keep.conf': 'unchanged', 'gone.conf': 'delete', 'edited.conf': 'conflict' });
    await expect(writePlan(w.fs, pruning)).rejects.toBeInstanceOf(RefusedWrite);
    expect(w.exists('gone.conf')).toBe(true);

    await runAndWrite(w, files(['keep.conf', 'k\n']), { prune: true, force: true });
    expect(w.exists('gone.conf')).toBe(false);
    expect(w.exists('edited.conf')).toBe(false);
    expect(w.read('foreign.conf')).toBe('not ours\n');
    expect(Object.keys(JSON.parse(w.read(STATE_PATH)).files)).toEqual(['keep.conf']);
  });

  it('prunes only files of the emitters that ran', async () => {
    const w = makeWorld();
    const caddyFile: DesiredFile = { path: 'caddy/sites/app.caddy', content: 'site\n', mode: 0o644, emitter: 'caddy' };
    await runAndWrite(w, [...files(['unit.service', 'u\n']), caddyFile]);
    const plan = await run(w, files(['unit.service', 'u\n']), { prune: true, emitters: ['systemd'] });
    expect(actions(plan)).toEqual({ 'unit.service': 'unchanged' });
  });

  it('never writes through a symlinked folder pointing out of --out, even with --force', async () => {
    const w = makeWorld();
    w.symlink('/elsewhere', 'systemd');
    for (const force of [false, true]) {
      const plan = await run(w, files(['systemd/system/app.service', 'unit\n']), { force });
      expect(plan.files[0]).toMatchObject({ action: 'conflict', reason: expect.stringContaining('symlink') });
      await expect(writePlan(w.fs, plan)).rejects.toBeInstanceOf(RefusedWrite);
    }
  });

  it('replaces a symlinked file only with --force, and never writes through it', async () => {
    const w = makeWorld();
    w.symlink('/elsewhere/target', 'a.conf');
    const plan = await run(w, files(['a.conf', 'x\n']));
    expect(plan.files[0].action).toBe('conflict');
    const forced = await runAndWrite(w, files(['a.conf', 'x\n']), { force: true });
    expect(forced.files[0].action).toBe('update');
    expect(w.read('a.conf')).toBe('x\n');
  });

  it('refuses a folder where a file should be', async () => {
    const w = makeWorld();
    w.write('a.conf/inner', 'x');
    const plan = await run(w, files(['a.conf', 'x\n']), { force: true });
    expect(plan.files[0]).toMatchObject({ action: 'conflict', reason: 'is a folder where a file should be' });
  });

  it('refuses a damaged state file unless --force', async () => {
    const w = makeWorld();
    w.write(STATE_PATH, '{ not json');
    const plan = await run(w, files(['a.conf', 'x\n']));
    expect(plan.stateProblem).toContain('damaged');
    await expect(writePlan(w.fs, plan)).rejects.toBeInstanceOf(RefusedWrite);
    const forced = await runAndWrite(w, files(['a.conf', 'x\n']), { force: true });
    expect(forced.stateProblem).toBeUndefined();
    expect(JSON.parse(w.read(STATE_PATH)).files['a.conf']).toBeDefined();
  });

  it('fixes a changed mode on a file it owns', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['s', 'rule\n', 0o440]));
    w.fs.chmodSync(path.join(w.out, 's'), 0o644);
    const plan = await runAndWrite(w, files(['s', 'rule\n', 0o440]));
    expect(plan.files[0]).toMatchObject({ action: 'update', reason: 'mode 0644 → 0440' });
    expect(w.mode('s')).toBe(0o440);
  });

  it('leaves no temporary files behind', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['a/x.conf', '1\n'], ['a/y.conf', '2\n']));
    const names = w.fs.readdirSync(path.join(w.out, 'a')).map(String);
    expect(names.sort()).toEqual(['x.conf', 'y.conf']);
  });

  it('after a run dies mid-rename, the next run owns every file, old or new, and converges either way', async () => {
    const v = (n: number) => files(['a.conf', `a${n}\n`], ['b.conf', `b${n}\n`], ['c.conf', `c${n}\n`], ['d.conf', `d${n}\n`]);
    for (const next of [0, 1]) {
      const w = makeWorld();
      await runAndWrite(w, v(0));
      // The process dies after three renames (the write-ahead record, a.conf, b.conf): from then on nothing it asks of the file system happens.
      let renames = 0;
      let dead = false;
      const dying = new Proxy(w.fs, {
        get: (target, name) => (...args: unknown[]) => {
          if (dead) throw new Error('killed');
          if (name === 'renameSync' && ++renames > 3) {
            dead = true;
            throw new Error('killed');
          }
          return (target[name as keyof FsLike] as (...a: unknown[]) => unknown)(...args);
        },
      });
      await expect(writePlan(dying, await run(w, v(1)))).rejects.toThrow();
      expect(['a.conf', 'b.conf', 'c.conf', 'd.conf'].map((p) => w.read(p))).toEqual(['a1\n', 'b1\n', 'c0\n', 'd0\n']);
      const plan = await runAndWrite(w, v(next));
      expect(plan.files.filter((f) => f.action === 'conflict')).toEqual([]);
      expect(['a.conf', 'b.conf', 'c.conf', 'd.conf'].map((p) => w.read(p))).toEqual([`a${next}\n`, `b${next}\n`, `c${next}\n`, `d${next}\n`]);
      expect(actions(await run(w, v(next)))).toEqual({ 'a.conf': 'unchanged', 'b.conf': 'unchanged', 'c.conf': 'unchanged', 'd.conf': 'unchanged' });
    }
  });

  it('still refuses a hand edit made after a run died mid-rename', async () => {
    const w = makeWorld();
    await runAndWrite(w, files(['a.conf', 'a0\n'], ['b.conf', 'b0\n']));
    // Dies at the second rename: the write-ahead record is stored, no file is replaced yet.
    let renames = 0;
    let dead = false;
    const dying = new Proxy(w.fs, {
      get: (target, name) => (...args: unknown[]) => {
        if (dead || (name === 'renameSync' && ++renames > 1)) {
          dead = true;
          throw new Error('killed');
        }
        return (target[name as keyof FsLike] as (...a: unknown[]) => unknown)(...args);
      },
    });
    await expect(writePlan(dying, await run(w, files(['a.conf', 'a1\n'], ['b.conf', 'b1\n'])))).rejects.toThrow();
    w.write('a.conf', 'a0\n# by hand\n');
    const plan = await run(w, files(['a.conf', 'a2\n'], ['b.conf', 'b2\n']));
    expect(actions(plan)).toEqual({ 'a.conf': 'conflict', 'b.conf': 'update' });
  });
});

describe('durability on a real disk', () => {
  /** node:fs, counting fsync calls on files and on folders. */
  const counting = () => {
    const calls = { files: 0, folders: 0 };
    const fs: FsLike = {
      ...nodeFs,
      fsyncSync: (fd: number) => {
        if (nodeFs.fstatSync(fd).isDirectory()) calls.folders++;
        else calls.files++;
        nodeFs.fsyncSync(fd);
      },
    };
    return { fs, calls };
  };
  const many = (n: number) => files(...Array.from({ length: n }, (_, i): [string, string] => [`d${i % 3}/f${i}.conf`, `${i}\n`]));

  /** Writes n new files into a fresh real folder; how often it flushed the file system and fsynced files and folders. */
  const writeCounting = async (n: number) => {
    const { fs, calls } = counting();
    const out = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'atelier-durable-'));
    let flushes = 0;
    try {
      await writePlan(fs, planTree(fs, out, many(n), opts), { flush: async () => void flushes++ });
      return { flushes, ...calls };
    } finally {
      nodeFs.rmSync(out, { recursive: true, force: true });
    }
  };

  it('a few files: each file and each touched folder is fsynced, no file-system flush', async () => {
    // The five files and the state record twice (the write-ahead one, then the final one with each
    // new file's fingerprint); folders d0, d1, d2 and atelier/, also flushed right after the write-ahead record.
    expect(await writeCounting(5)).toEqual({ flushes: 0, files: 5 + 2, folders: 4 + 1 });
  });

  it('many files: one flush before the renames and one after, no fsync per file', async () => {
    // Only the state record is fsynced on its own (write-ahead, then final with the fingerprints), and its folder before the renames.
    expect(await writeCounting(40)).toEqual({ flushes: 2, files: 2, folders: 1 });
  });
});
