// What `--check` says differs (differences), the path order of a plan (compare),
// and how the tree inspector remembers what it saw of a folder.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compare, differences, TreeInspector, type Action, type Plan, type PlannedFile } from '../src/plan.js';
import type { Pending } from '../src/pending.js';
import { tempDirs } from './support/emit.js';

const file = (p: string, action: Action): PlannedFile => ({ path: p, action, current: null, desired: null, mode: 0o644, emitter: 'systemd' });
const plan = (actions: Action[], extra: Partial<Plan> = {}): Plan => ({
  outDir: '/out',
  files: actions.map((a, i) => file(`f${i}.conf`, a)),
  stale: [],
  nextState: { files: {} },
  aheadState: { files: {} },
  pending: null,
  ...extra,
});
const pending = (p: Partial<Pending>): Pending => ({ daemonReload: false, restart: [], reload: [], ...p });
const UNFINISHED = 'an earlier --apply did not finish activating (the next --apply completes it)';

describe('differences', () => {
  it('are none for a tree with every file unchanged', () => {
    expect(differences(plan(['unchanged', 'unchanged']))).toEqual([]);
  });

  it('count one file of each kind in the singular', () => {
    expect(differences(plan(['create', 'update', 'delete', 'conflict', 'unchanged'], { stale: ['old.conf'] }))).toEqual([
      '1 file missing',
      '1 file to update',
      '1 file to delete',
      "1 file edited by hand or not atelier-emit's (conflict)",
      '1 stale file no longer declared (--prune deletes them)',
    ]);
  });

  it('count several files of each kind in the plural', () => {
    expect(differences(plan(['create', 'update', 'delete', 'conflict', 'create', 'update', 'delete', 'conflict'], { stale: ['a', 'b'] }))).toEqual([
      '2 files missing',
      '2 files to update',
      '2 files to delete',
      "2 files edited by hand or not atelier-emit's (conflict)",
      '2 stale files no longer declared (--prune deletes them)',
    ]);
  });

  it('name a problem with the ownership record and with the activation record', () => {
    expect(differences(plan([], { stateProblem: 'atelier/.state.json is damaged: it is not valid JSON', pendingProblem: 'atelier/.pending.json is not valid JSON; it is replaced' }))).toEqual([
      'state: atelier/.state.json is damaged: it is not valid JSON',
      'atelier/.pending.json is not valid JSON; it is replaced',
    ]);
  });

  it.each<[string, Partial<Pending>]>([
    ['a restart', { restart: ['app.service'] }],
    ['a reload', { reload: ['caddy.service'] }],
    ['a daemon reload', { daemonReload: true }],
  ])('include an unfinished activation when %s is left to do', (_what, p) => {
    expect(differences(plan(['unchanged'], { pending: pending(p) }))).toEqual([UNFINISHED]);
  });

  it('do not include an activation record with nothing left to do', () => {
    expect(differences(plan(['unchanged'], { pending: pending({}) }))).toEqual([]);
  });
});

describe('compare (the order of paths in a plan)', () => {
  it('orders by code unit, and says when two paths are the same', () => {
    expect(compare('a.conf', 'b.conf')).toBe(-1);
    expect(compare('b.conf', 'a.conf')).toBe(1);
    expect(compare('a.conf', 'a.conf')).toBe(0);
    expect(['b', 'Z', 'a/b', 'a', 'a.conf'].sort(compare)).toEqual(['Z', 'a', 'a.conf', 'a/b', 'b']);
  });
});

describe('TreeInspector', () => {
  const temp = tempDirs();
  const outDir = () => {
    const root = temp('inspector');
    nodeFs.mkdirSync(path.join(root, 'out'));
    return { root, out: path.join(root, 'out') };
  };

  it('remembers a missing folder as missing until told to forget it', () => {
    const { root, out } = outDir();
    const inspector = new TreeInspector(nodeFs, out);
    expect(inspector.look('sites/app.caddy')).toEqual({ kind: 'absent' });
    // Made since (by the writer, in the real program): still known as missing…
    nodeFs.symlinkSync(root, path.join(out, 'sites'));
    nodeFs.writeFileSync(path.join(root, 'app.caddy'), 'x\n');
    expect(inspector.look('sites/app.caddy')).toEqual({ kind: 'absent' });
    expect(inspector.folderProblem('sites')).toBeNull();
    // …until forgotten.
    inspector.forget('sites');
    expect(inspector.folderProblem('sites')).toBe('its folder sites is a symlink (atelier-emit never writes through one)');
    expect(inspector.look('sites/app.caddy')).toEqual({ kind: 'blocked', reason: 'its folder sites is a symlink (atelier-emit never writes through one)', forceable: false });
  });

  it('remembers a folder beneath a missing one as missing', () => {
    const { out } = outDir();
    const inspector = new TreeInspector(nodeFs, out);
    expect(inspector.look('a/b/c.conf')).toEqual({ kind: 'absent' });
    nodeFs.mkdirSync(path.join(out, 'a/b'), { recursive: true });
    nodeFs.writeFileSync(path.join(out, 'a/b/c.conf'), 'x\n');
    expect(inspector.inspect('a/b/c.conf')).toEqual({ kind: 'absent' });
  });

  it('reads a file with its mode and owner', () => {
    const { out } = outDir();
    nodeFs.writeFileSync(path.join(out, 'a.conf'), 'x\n');
    nodeFs.chmodSync(path.join(out, 'a.conf'), 0o640);
    const stat = nodeFs.lstatSync(path.join(out, 'a.conf'));
    expect(new TreeInspector(nodeFs, out).inspect('a.conf')).toEqual({ kind: 'file', content: 'x\n', mode: 0o640, uid: stat.uid, gid: stat.gid });
  });

  it('finds no problem with --out itself, whatever is there', () => {
    const { root } = outDir();
    const notAFolder = path.join(root, 'file');
    nodeFs.writeFileSync(notAFolder, 'x\n');
    expect(new TreeInspector(nodeFs, notAFolder).folderProblem('')).toBeNull();
    expect(new TreeInspector(nodeFs, notAFolder).folderProblem('.')).toBeNull();
  });
});
