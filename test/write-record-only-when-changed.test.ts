// The ownership record is replaced only when its text changes, and a run that
// changed files makes the change durable even when the record stays the same
// (a file system without a usable fence, where no fingerprint is noted).
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FsLike } from '../src/fs.js';
import { planTree, type DesiredFile } from '../src/plan.js';
import { parseState, STATE_PATH, type State } from '../src/state.js';
import { writePlan } from '../src/write.js';
import { tempDirs } from './support/emit.js';

const opts = { prune: false, force: false, emitters: ['systemd', 'caddy', 'backup', 'manifest'] as const };
const files = (...specs: [string, string][]): DesiredFile[] => specs.map(([p, content]) => ({ path: p, content, mode: 0o644, emitter: 'systemd', service: 'app' }));

const temp = tempDirs();
const tempOut = () => temp('record');
const recordText = (out: string) => nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8');
const record = (out: string): State => parseState(recordText(out)) as State;

/** node:fs counting replacements of the record, fsyncs of folders and flushes; `noFence` makes atelier/ refuse a chmod (no fence can be taken). */
function traced(noFence = false) {
  const counts = { recordWrites: 0, folderSyncs: 0, flushes: 0 };
  const fs: FsLike = {
    ...nodeFs,
    renameSync: (from: nodeFs.PathLike, to: nodeFs.PathLike) => {
      nodeFs.renameSync(from, to);
      if (String(to).endsWith(STATE_PATH)) counts.recordWrites++;
    },
    fsyncSync: (fd: number) => {
      if (nodeFs.fstatSync(fd).isDirectory()) counts.folderSyncs++;
      nodeFs.fsyncSync(fd);
    },
    chmodSync: (p: nodeFs.PathLike, mode: nodeFs.Mode) => {
      if (noFence && String(p).endsWith('/atelier')) throw Object.assign(new Error('EPERM: operation not permitted, chmod'), { code: 'EPERM', path: String(p) });
      nodeFs.chmodSync(p, mode);
    },
  };
  return { fs, counts, flush: async () => void counts.flushes++ };
}

describe('the ownership record', () => {
  it('pruning files replaces the record once (the write-ahead record would be the old one)', async () => {
    const out = tempOut();
    await writePlan(nodeFs, planTree(nodeFs, out, files(['a.conf', 'a\n'], ['b.conf', 'b\n']), opts));
    const { fs, counts, flush } = traced();
    const result = await writePlan(fs, planTree(fs, out, files(['a.conf', 'a\n']), { ...opts, prune: true }), { flush });
    expect(result).toEqual({ written: [], deleted: ['b.conf'] });
    expect(Object.keys(record(out).files)).toEqual(['a.conf']);
    expect(counts.recordWrites).toBe(1);
  });

  it('a record formatted differently but meaning the same is left as it is', async () => {
    const out = tempOut();
    await writePlan(nodeFs, planTree(nodeFs, out, files(['a.conf', 'a\n']), opts));
    const reformatted = `${JSON.stringify(JSON.parse(recordText(out)), null, 4)}\n`;
    expect(reformatted).not.toBe(recordText(out));
    nodeFs.writeFileSync(path.join(out, STATE_PATH), reformatted);
    const { fs, counts, flush } = traced();
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), opts);
    expect(plan.stateChanged).toBe(false);
    await writePlan(fs, plan, { flush });
    expect(recordText(out)).toBe(reformatted);
    expect(counts).toEqual({ recordWrites: 0, folderSyncs: 0, flushes: 0 });
  });

  it('without a fence, fixing a mode leaves the record as it was, and still fsyncs the folders it changed', async () => {
    const out = tempOut();
    const first = traced(true);
    await writePlan(first.fs, planTree(first.fs, out, files(['a.conf', 'a\n']), opts));
    expect(record(out).files['a.conf'].stat).toBeUndefined();
    const before = recordText(out);
    nodeFs.chmodSync(path.join(out, 'a.conf'), 0o600);
    const { fs, counts, flush } = traced(true);
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), opts);
    expect(plan.files.map((f) => f.action)).toEqual(['update']);
    expect(plan.stateChanged).toBe(false);
    await writePlan(fs, plan, { flush });
    expect(nodeFs.statSync(path.join(out, 'a.conf')).mode & 0o7777).toBe(0o644);
    expect(recordText(out)).toBe(before);
    // The file's folder (--out) and atelier/, once each, after the rename: the record was not replaced.
    expect(counts).toEqual({ recordWrites: 0, folderSyncs: 2, flushes: 0 });
  });
  it('a run that only fixes a mode notes the file\'s new fingerprint in the record, where the old record had none', async () => {
    const out = tempOut();
    const first = traced(true);
    await writePlan(first.fs, planTree(first.fs, out, files(['a.conf', 'a\n']), opts));
    expect(record(out).files['a.conf'].stat).toBeUndefined();
    nodeFs.chmodSync(path.join(out, 'a.conf'), 0o600);
    const plan = planTree(nodeFs, out, files(['a.conf', 'a\n']), opts);
    expect({ actions: plan.files.map((f) => f.action), stateChanged: plan.stateChanged }).toEqual({ actions: ['update'], stateChanged: false });
    await writePlan(nodeFs, plan, { flush: async () => undefined });
    const stat = nodeFs.lstatSync(path.join(out, 'a.conf'));
    expect(record(out).files['a.conf'].stat).toBe(`${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
  });
  it('pruning while another entry changes writes the record ahead (owning the file to delete) before the final one', async () => {
    const out = tempOut();
    await writePlan(nodeFs, planTree(nodeFs, out, files(['a.conf', 'a\n'], ['b.conf', 'b\n']), opts));
    nodeFs.chmodSync(path.join(out, 'a.conf'), 0o644); // a new ctime: the noted fingerprint no longer holds
    const { fs, counts, flush } = traced();
    const plan = planTree(fs, out, files(['a.conf', 'a\n']), { ...opts, prune: true });
    expect(plan.files.map((f) => `${f.path}: ${f.action}`)).toEqual(['a.conf: unchanged', 'b.conf: delete']);
    let ahead: State | undefined;
    const unlinkSync = fs.unlinkSync;
    fs.unlinkSync = (p: nodeFs.PathLike) => {
      if (String(p).endsWith('/b.conf')) ahead = record(out);
      unlinkSync(p);
    };
    await writePlan(fs, plan, { flush });
    expect(Object.keys(ahead?.files ?? {})).toEqual(['a.conf', 'b.conf']);
    expect(ahead?.files['a.conf'].stat).toBeUndefined();
    expect(Object.keys(record(out).files)).toEqual(['a.conf']);
    expect(counts.recordWrites).toBe(2);
  });
});
