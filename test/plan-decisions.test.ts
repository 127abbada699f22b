// The planner's decision for each file, on real temporary folders (and memfs
// where a file's owner must differ from the running user): created, updated,
// unchanged, a conflict (with the exact reason), deleted or kept as stale, and
// what the ownership record will say afterwards.
import * as nodeFs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Volume, createFsFromVolume } from 'memfs';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmitterName } from '../src/emitters/types.js';
import { fingerprint } from '../src/fingerprint.js';
import type { FsLike } from '../src/fs.js';
import { planTree, type DesiredFile, type PlanOptions } from '../src/plan.js';
import { sha256, STATE_PATH, type StateEntry } from '../src/state.js';

const ALL: readonly EmitterName[] = ['systemd', 'caddy', 'backup', 'manifest'];
const options = (o: Partial<PlanOptions> = {}): PlanOptions => ({ prune: false, force: false, emitters: ALL, ...o });
const want = (p: string, content: string, extra: Partial<DesiredFile> = {}): DesiredFile => ({ path: p, content, mode: 0o644, emitter: 'systemd', service: 'app', ...extra });
/** A record entry for a file written with `content`. */
const own = (content: string, extra: Partial<StateEntry> = {}): StateEntry => ({ sha256: sha256(content), mode: 0o644, emitter: 'systemd', service: 'app', ...extra });
const byPath = <T extends { path: string }>(files: T[], p: string): T => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no planned file ${p}`);
  return f;
};

const roots: string[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
  for (const d of roots.splice(0)) nodeFs.rmSync(d, { recursive: true, force: true });
});

/** A fresh --out folder in a temporary root (with a sibling `elsewhere/` for symlinks to point at). */
function tree() {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'atelier-plan-decisions-'));
  roots.push(root);
  const out = path.join(root, 'out');
  const elsewhere = path.join(root, 'elsewhere');
  nodeFs.mkdirSync(out);
  nodeFs.mkdirSync(elsewhere);
  const abs = (p: string) => path.join(out, p);
  const t = {
    out,
    elsewhere,
    abs,
    put(p: string, content: string | Buffer, mode = 0o644) {
      nodeFs.mkdirSync(path.dirname(abs(p)), { recursive: true });
      nodeFs.writeFileSync(abs(p), content);
      nodeFs.chmodSync(abs(p), mode);
    },
    /** The ownership record, entries in the order given. */
    record(files: Record<string, StateEntry>) {
      t.put(STATE_PATH, JSON.stringify({ generator: 'atelier-emit', version: 1, files }));
    },
    link(target: string, p: string) {
      nodeFs.mkdirSync(path.dirname(abs(p)), { recursive: true });
      nodeFs.symlinkSync(target, abs(p));
    },
    plan(desired: DesiredFile[], o: Partial<PlanOptions> = {}, fs: FsLike = nodeFs) {
      return planTree(fs, out, desired, options(o));
    },
  };
  return t;
}

/** Node's fs, except that reading the named files fails with `err`. */
function unreadable(files: string[], err: Error): FsLike {
  return {
    ...nodeFs,
    readFileSync: ((p: nodeFs.PathOrFileDescriptor, o?: unknown) => {
      if (files.includes(String(p))) throw err;
      return nodeFs.readFileSync(p, o as BufferEncoding);
    }) as typeof nodeFs.readFileSync,
  };
}
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('a file that already holds the wanted content', () => {
  // memfs: the owner of a file can be anyone there, whoever runs the tests.
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const memTree = (mode: number, owner: [number, number]) => {
    const vol = new Volume();
    vol.mkdirSync('/out/sudoers.d', { recursive: true });
    vol.writeFileSync('/out/sudoers.d/atelier-app', 'rule\n');
    vol.chmodSync('/out/sudoers.d/atelier-app', mode);
    vol.chownSync('/out/sudoers.d/atelier-app', owner[0], owner[1]);
    return createFsFromVolume(vol) as unknown as FsLike;
  };
  const planOn = (fs: FsLike) => planTree(fs, '/out', [want('sudoers.d/atelier-app', 'rule\n', { mode: 0o440 })], options()).files[0];

  it('is unchanged when its mode and owner are right', () => {
    expect(planOn(memTree(0o440, [uid, gid]))).toMatchObject({ action: 'unchanged', current: 'rule\n', currentMode: 0o440, reason: undefined });
  });

  it('is written anew when another user owns it, and says whose it was', () => {
    expect(planOn(memTree(0o440, [uid + 1, gid]))).toMatchObject({ action: 'update', reason: `owner ${uid + 1}:${gid} → ${uid}:${gid}` });
  });

  it('is written anew when another group owns it', () => {
    expect(planOn(memTree(0o440, [uid, gid + 7]))).toMatchObject({ action: 'update', reason: `owner ${uid}:${gid + 7} → ${uid}:${gid}` });
  });

  it('names both a wrong mode and a wrong owner, mode first', () => {
    expect(planOn(memTree(0o644, [uid + 1, gid + 1]))).toMatchObject({
      action: 'update',
      current: 'rule\n',
      currentMode: 0o644,
      reason: `mode 0644 → 0440, owner ${uid + 1}:${gid + 1} → ${uid}:${gid}`,
    });
  });

  it('names only the mode when the owner is right', () => {
    expect(planOn(memTree(0o600, [uid, gid]))).toMatchObject({ action: 'update', reason: 'mode 0600 → 0440' });
  });
});

describe('hostile things where a file should go', () => {
  it('refuses a symlinked file, and with --force replaces it, saying so', () => {
    const t = tree();
    t.link(path.join(t.elsewhere, 'target'), 'a.conf');
    expect(t.plan([want('a.conf', 'x\n')]).files[0]).toMatchObject({ path: 'a.conf', action: 'conflict', current: null, reason: 'is a symlink (atelier-emit never writes through one)' });
    const forced = t.plan([want('a.conf', 'x\n')], { force: true });
    expect(forced.files[0]).toMatchObject({ path: 'a.conf', action: 'update', current: null, desired: 'x\n', reason: 'is a symlink (atelier-emit never writes through one); replaced because of --force' });
    expect(forced.nextState.files['a.conf']).toEqual(own('x\n'));
  });

  it('keeps the record of an owned file that became a symlink, and records no foreign one', () => {
    const t = tree();
    t.record({ 'owned.conf': own('old\n') });
    t.link(path.join(t.elsewhere, 'target'), 'owned.conf');
    t.link(path.join(t.elsewhere, 'target'), 'foreign.conf');
    const plan = t.plan([want('owned.conf', 'new\n'), want('foreign.conf', 'new\n')]);
    expect(plan.files.map((f) => [f.path, f.action])).toEqual([
      ['foreign.conf', 'conflict'],
      ['owned.conf', 'conflict'],
    ]);
    expect(Object.keys(plan.nextState.files)).toEqual(['owned.conf']);
    expect(plan.nextState.files['owned.conf']).toEqual(own('old\n'));
  });

  it('refuses a socket, even with --force', async () => {
    const t = tree();
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(t.abs('app.sock'), resolve));
    for (const force of [false, true]) {
      const plan = t.plan([want('app.sock', 'x\n')], { force });
      expect(plan.files[0]).toMatchObject({ action: 'conflict', current: null, reason: 'is not a regular file' });
      expect(Object.keys(plan.nextState.files)).toEqual([]);
    }
  });

  it('refuses a folder where a file should be, even with --force', () => {
    const t = tree();
    t.put('a.conf/inner', 'x');
    for (const force of [false, true]) {
      expect(t.plan([want('a.conf', 'x\n')], { force }).files[0]).toMatchObject({ action: 'conflict', reason: 'is a folder where a file should be' });
    }
  });

  it('refuses a file where a folder should be, even with --force', () => {
    const t = tree();
    t.put('systemd', 'not a folder\n');
    for (const force of [false, true]) {
      expect(t.plan([want('systemd/system/app.service', 'u\n')], { force }).files[0]).toMatchObject({
        path: 'systemd/system/app.service',
        action: 'conflict',
        reason: 'systemd is a file where a folder should be',
      });
    }
  });

  it('names the symlinked folder, however deep the file is beneath it', () => {
    const t = tree();
    t.link(t.elsewhere, 'systemd');
    nodeFs.mkdirSync(path.join(t.elsewhere, 'system'));
    for (const force of [false, true]) {
      const plan = t.plan([want('systemd/system/app.service', 'u\n'), want('systemd/app.conf', 'c\n')], { force });
      expect(plan.files.map((f) => [f.path, f.action, f.reason])).toEqual([
        ['systemd/app.conf', 'conflict', 'its folder systemd is a symlink (atelier-emit never writes through one)'],
        ['systemd/system/app.service', 'conflict', 'its folder systemd is a symlink (atelier-emit never writes through one)'],
      ]);
    }
  });

  it('says a path it cannot even look at cannot be read, and why, even with --force', () => {
    const t = tree();
    const long = `${'n'.repeat(300)}.conf`;
    for (const force of [false, true]) {
      expect(t.plan([want(long, 'x\n')], { force }).files[0]).toMatchObject({ path: long, action: 'conflict', reason: 'cannot be read (ENAMETOOLONG)' });
    }
  });

  it('says a folder it cannot look at cannot be read, naming the folder', () => {
    const t = tree();
    const folder = 'd'.repeat(300);
    expect(t.plan([want(`${folder}/a.conf`, 'x\n')], { force: true }).files[0]).toMatchObject({ action: 'conflict', reason: `its folder ${folder} cannot be read (ENAMETOOLONG)` });
  });

  it('refuses a file it cannot read: the record of an owned one is kept, a foreign one gets none', () => {
    const t = tree();
    t.record({ 'owned.conf': own('old\n') });
    t.put('owned.conf', 'old\n');
    t.put('foreign.conf', 'theirs\n');
    const fs = unreadable([t.abs('owned.conf'), t.abs('foreign.conf')], withCode("EACCES: permission denied, open 'x'", 'EACCES'));
    const plan = t.plan([want('owned.conf', 'new\n'), want('foreign.conf', 'new\n')], {}, fs);
    expect(plan.files.map((f) => [f.path, f.action, f.current, f.reason])).toEqual([
      ['foreign.conf', 'conflict', null, 'cannot be read (EACCES)'],
      ['owned.conf', 'conflict', null, 'cannot be read (EACCES)'],
    ]);
    expect(Object.keys(plan.nextState.files)).toEqual(['owned.conf']);
    expect(plan.nextState.files['owned.conf']).toEqual(own('old\n'));
  });

  it('gives the error message when a failed read has no error code', () => {
    const t = tree();
    t.put('a.conf', 'old\n');
    const plan = t.plan([want('a.conf', 'new\n')], { force: true }, unreadable([t.abs('a.conf')], new Error('the disk said no')));
    expect(plan.files[0]).toMatchObject({ action: 'conflict', reason: 'cannot be read (the disk said no)' });
  });
});

describe('hand edits and foreign files', () => {
  it('refuses a hand edit and keeps the record as it was; a foreign file gets no record', () => {
    const t = tree();
    t.record({ 'edited.conf': own('v1\n') });
    t.put('edited.conf', 'v1\n# mine\n');
    t.put('foreign.conf', 'theirs\n');
    const plan = t.plan([want('edited.conf', 'v2\n'), want('foreign.conf', 'v2\n')]);
    expect(plan.files.map((f) => [f.path, f.action, f.current, f.reason])).toEqual([
      ['edited.conf', 'conflict', 'v1\n# mine\n', 'edited by hand since atelier-emit wrote it'],
      ['foreign.conf', 'conflict', 'theirs\n', 'not written by atelier-emit (no record in atelier/.state.json)'],
    ]);
    expect(Object.keys(plan.nextState.files)).toEqual(['edited.conf']);
    expect(plan.nextState.files['edited.conf']).toEqual(own('v1\n'));
  });

  it('with --force overwrites both, saying why each was a conflict, and records the new content', () => {
    const t = tree();
    t.record({ 'edited.conf': own('v1\n') });
    t.put('edited.conf', 'v1\n# mine\n');
    t.put('foreign.conf', 'theirs\n', 0o600);
    const plan = t.plan([want('edited.conf', 'v2\n'), want('foreign.conf', 'v2\n')], { force: true });
    expect(plan.files.map((f) => [f.path, f.action, f.current, f.currentMode, f.reason])).toEqual([
      ['edited.conf', 'update', 'v1\n# mine\n', 0o644, 'edited by hand since atelier-emit wrote it; overwritten because of --force'],
      ['foreign.conf', 'update', 'theirs\n', 0o600, 'not written by atelier-emit (no record in atelier/.state.json); overwritten because of --force'],
    ]);
    expect(plan.nextState.files['edited.conf']).toEqual(own('v2\n'));
    expect(plan.nextState.files['foreign.conf']).toEqual(own('v2\n'));
    // A hand edit is not ours: the write-ahead record does not accept it as an earlier version.
    expect(plan.aheadState.files['edited.conf']).toEqual(own('v2\n'));
    expect(plan.aheadState.files['foreign.conf']).toEqual(own('v2\n'));
  });

  it('an update of an owned file accepts the old content in the write-ahead record only', () => {
    const t = tree();
    t.record({ 'a.conf': own('a1\n'), 'b.conf': own('b\n') });
    t.put('a.conf', 'a1\n');
    t.put('b.conf', 'b\n');
    const plan = t.plan([want('a.conf', 'a2\n'), want('b.conf', 'b\n')]);
    expect(plan.files.map((f) => [f.path, f.action, f.reason])).toEqual([
      ['a.conf', 'update', undefined],
      ['b.conf', 'unchanged', undefined],
    ]);
    expect(plan.nextState.files['a.conf']).toEqual(own('a2\n'));
    expect(plan.aheadState.files['a.conf']).toEqual(own('a2\n', { previous: sha256('a1\n') }));
    expect(Object.keys(plan.aheadState.files).sort()).toEqual(['a.conf', 'b.conf']);
    expect(plan.aheadState.files['b.conf']).toEqual(own('b\n'));
  });

  it('after a run died mid-rename, reads a file whose record names an earlier version instead of trusting its fingerprint', () => {
    const t = tree();
    t.put('a.conf', 'a1\n');
    // The write-ahead record: the new hash, the old one as `previous`, and the fingerprint of the file as it is.
    const print = fingerprint(nodeFs.lstatSync(t.abs('a.conf')));
    t.record({ 'a.conf': own('a2\n', { previous: sha256('a1\n'), stat: print }) });
    const plan = t.plan([want('a.conf', 'a2\n')]);
    expect(plan.files[0]).toMatchObject({ action: 'update', current: 'a1\n', reason: undefined });
    expect(plan.nextState.files['a.conf']).toEqual(own('a2\n'));
  });

  it('after a run died mid-rename, a file already renamed is unchanged and its record drops the earlier version', () => {
    const t = tree();
    t.put('a.conf', 'a2\n');
    t.record({ 'a.conf': own('a2\n', { previous: sha256('a1\n') }) });
    const plan = t.plan([want('a.conf', 'a2\n')]);
    expect(plan.files[0]).toMatchObject({ action: 'unchanged' });
    expect(plan.nextState.files['a.conf']).toEqual(own('a2\n'));
    expect(plan.stateChanged).toBe(true);
  });

  it('trusts the fingerprint of a file whose record has no earlier version', () => {
    const t = tree();
    t.put('a.conf', 'not read\n');
    const print = fingerprint(nodeFs.lstatSync(t.abs('a.conf')));
    t.record({ 'a.conf': own('a2\n', { stat: print }) });
    const plan = t.plan([want('a.conf', 'a2\n')]);
    expect(plan.files[0]).toMatchObject({ action: 'unchanged', current: 'a2\n' });
    expect(plan.nextState.files['a.conf']).toEqual(own('a2\n', { stat: print }));
    expect(plan.stateChanged).toBe(false);
  });
});

describe('what the next record says', () => {
  it('is unchanged, and not to be rewritten, when nothing differs', () => {
    const t = tree();
    t.record({ 'a.conf': own('a\n') });
    t.put('a.conf', 'a\n');
    const plan = t.plan([want('a.conf', 'a\n')]);
    expect(plan.files[0].action).toBe('unchanged');
    expect(plan.stateChanged).toBe(false);
    expect(plan.nextState.files['a.conf']).toEqual(own('a\n'));
  });

  it('is to be written when there was no record, even for an empty tree', () => {
    const t = tree();
    const plan = t.plan([]);
    expect(plan.files).toEqual([]);
    expect(plan.stateText).toBeNull();
    expect(plan.stateChanged).toBe(true);
    expect(plan.nextState).toEqual({ files: {} });
  });

  it.each<[string, Partial<DesiredFile>, Partial<StateEntry>, string]>([
    ['the content', {}, {}, 'update'],
    ['the mode', { mode: 0o600 }, { mode: 0o600 }, 'update'],
    ['the emitter', { emitter: 'caddy' }, { emitter: 'caddy' }, 'unchanged'],
    ['the service', { service: 'web' }, { service: 'web' }, 'unchanged'],
  ])('notes a change of %s', (what, change, noted, action) => {
    const t = tree();
    t.record({ 'a.conf': own('a\n') });
    t.put('a.conf', 'a\n');
    const content = what === 'the content' ? 'b\n' : 'a\n';
    const plan = t.plan([want('a.conf', content, change)]);
    expect(plan.files[0].action).toBe(action);
    expect(plan.nextState.files['a.conf']).toEqual(own(content, noted));
    expect(plan.stateChanged).toBe(true);
  });
});

describe('files no longer declared', () => {
  it('keeps them as stale without --prune, sorted, and keeps their records', () => {
    const t = tree();
    t.record({ 'z.conf': own('z\n'), 'a.conf': own('a\n'), 'm/x.conf': own('x\n') });
    for (const p of ['z.conf', 'a.conf', 'm/x.conf']) t.put(p, `${p[0]}\n`);
    const plan = t.plan([]);
    expect(plan.files).toEqual([]);
    expect(plan.stale).toEqual(['a.conf', 'm/x.conf', 'z.conf']);
    expect(Object.keys(plan.nextState.files).sort()).toEqual(['a.conf', 'm/x.conf', 'z.conf']);
    expect(plan.stateChanged).toBe(false);
  });

  it('with --prune deletes an owned file, drops its record, and keeps it in the write-ahead record', () => {
    const t = tree();
    t.record({ 'gone.conf': own('g\n', { mode: 0o600 }) });
    t.put('gone.conf', 'g\n', 0o600);
    const plan = t.plan([], { prune: true });
    expect(plan.files).toEqual([
      { path: 'gone.conf', action: 'delete', current: 'g\n', currentMode: undefined, desired: null, mode: 0o600, emitter: 'systemd', service: 'app', reason: undefined, desiredHash: undefined },
    ]);
    expect(plan.stale).toEqual([]);
    expect(plan.nextState.files).toEqual({});
    expect(plan.aheadState.files).toEqual({ 'gone.conf': own('g\n', { mode: 0o600 }) });
    expect(plan.stateChanged).toBe(true);
  });

  it('with --prune forgets the record of a file already gone, with nothing to do on disk', () => {
    const t = tree();
    t.record({ 'gone.conf': own('g\n') });
    const plan = t.plan([], { prune: true });
    expect(plan.files).toEqual([]);
    expect(plan.nextState.files).toEqual({});
    expect(plan.stateChanged).toBe(true);
  });

  it('with --prune refuses to delete a hand edit, and with --force deletes it, saying why', () => {
    const t = tree();
    t.record({ 'edited.conf': own('e\n') });
    t.put('edited.conf', 'e\n# mine\n');
    expect(t.plan([], { prune: true }).files[0]).toMatchObject({ action: 'conflict', current: 'e\n# mine\n', reason: 'edited by hand since atelier-emit wrote it; not deleted' });
    expect(t.plan([], { prune: true, force: true }).files[0]).toMatchObject({ action: 'delete', current: 'e\n# mine\n', reason: 'edited by hand since atelier-emit wrote it; deleted because of --force' });
  });

  it('with --prune refuses to delete a recorded path that is now a folder', () => {
    const t = tree();
    t.record({ 'gone.conf': own('g\n') });
    t.put('gone.conf/inner', 'x');
    expect(t.plan([], { prune: true, force: true }).files[0]).toMatchObject({ action: 'conflict', current: null, reason: 'is a folder where a file should be' });
  });

  it('lists deletions among the declared files in path order', () => {
    const t = tree();
    t.record({ 'c.conf': own('c\n'), 'a.conf': own('a\n'), 'b.conf': own('b\n') });
    for (const p of ['a.conf', 'b.conf', 'c.conf']) t.put(p, `${p[0]}\n`);
    const plan = t.plan([want('d.conf', 'd\n'), want('b.conf', 'b\n')], { prune: true });
    expect(plan.files.map((f) => [f.path, f.action])).toEqual([
      ['a.conf', 'delete'],
      ['b.conf', 'unchanged'],
      ['c.conf', 'delete'],
      ['d.conf', 'create'],
    ]);
  });
});

describe('files of a service declared with enable: false', () => {
  it('are deleted without --prune, saying so, while other stale files stay', () => {
    const t = tree();
    t.record({ 'x/unrelated.conf': own('u\n', { service: 'app' }), 'web.conf': own('w\n', { service: 'web' }) });
    t.put('x/unrelated.conf', 'u\n');
    t.put('web.conf', 'w\n');
    const plan = t.plan([], { disabled: ['app'] });
    expect(plan.files.map((f) => [f.path, f.action, f.service, f.reason])).toEqual([['x/unrelated.conf', 'delete', 'app', 'app has enable: false']]);
    expect(plan.stale).toEqual(['web.conf']);
  });

  it('with --prune are deleted as any other, without the enable: false reason', () => {
    const t = tree();
    t.record({ 'app.conf': own('a\n', { service: 'app' }), 'web.conf': own('w\n', { service: 'web' }) });
    t.put('app.conf', 'a\n');
    t.put('web.conf', 'w\n');
    const plan = t.plan([], { disabled: ['app'], prune: true });
    expect(plan.files.map((f) => [f.path, f.action, f.service, f.reason])).toEqual([
      ['app.conf', 'delete', 'app', undefined],
      ['web.conf', 'delete', 'web', undefined],
    ]);
  });

  it('refuses a hand-edited one with the hand edit as the reason', () => {
    const t = tree();
    t.record({ 'app.conf': own('a\n', { service: 'app' }) });
    t.put('app.conf', 'a\n# mine\n');
    expect(t.plan([], { disabled: ['app'] }).files[0]).toMatchObject({ action: 'conflict', reason: 'edited by hand since atelier-emit wrote it; not deleted' });
  });

  // Records written before entries named their service: the service is found from the path.
  it.each([
    'systemd/system/app.service',
    'systemd/system/app.timer',
    'caddy/sites/app.caddy',
    'sudoers.d/atelier-app.conf',
    'backup/atelier-backup-app.files',
    'backup/atelier-backup-app.exclude',
    'backup/scripts/app/pre.sh',
    'systemd/system/app.service.d/override.conf',
  ])('finds the service of a record without one from its path: %s', (p) => {
    const t = tree();
    t.record({ [p]: own('x\n', { service: undefined }) });
    t.put(p, 'x\n');
    const plan = t.plan([], { disabled: ['app'] });
    expect(plan.files.map((f) => [f.path, f.action, f.service, f.reason])).toEqual([[p, 'delete', 'app', 'app has enable: false']]);
    expect(plan.stale).toEqual([]);
  });

  it.each<[string, string]>([
    // Only a known extension at the end of the name is dropped.
    ['systemd/system/app.timers', 'apps'],
    // Only a leading atelier- is dropped.
    ['sudoers.d/my-atelier-app.conf', 'my-app'],
    // A drop-in folder's name ends in .service.d.
    ['systemd/system/app.service.dx/override.conf', 'appx'],
    // The file's own name is not one of its folders.
    ['systemd/system/app.service.d', 'app'],
    // Another service's file.
    ['systemd/system/web.service', 'app'],
  ])('does not take %s for a file of %s', (p, disabled) => {
    const t = tree();
    t.record({ [p]: own('x\n', { service: undefined }) });
    t.put(p, 'x\n');
    const plan = t.plan([], { disabled: [disabled] });
    expect(plan.files).toEqual([]);
    expect(plan.stale).toEqual([p]);
  });

  it.each(['systemd/system/web.service', 'systemd/system/web.service.d/override.conf', 'backup/scripts/web/pre.sh'])(
    'with --prune, a record of %s whose service is not disabled names no service',
    (p) => {
      const t = tree();
      t.record({ [p]: own('x\n', { service: undefined }) });
      t.put(p, 'x\n');
      const plan = t.plan([], { disabled: ['app'], prune: true });
      expect(plan.files.map((f) => [f.path, f.action, f.service, f.reason])).toEqual([[p, 'delete', undefined, undefined]]);
    },
  );
});

describe('the ownership record itself', () => {
  it('is refused behind a symlinked atelier folder, even if a record lies at its target', () => {
    const t = tree();
    nodeFs.writeFileSync(path.join(t.elsewhere, '.state.json'), JSON.stringify({ files: { 'a.conf': own('a\n') } }));
    t.link(t.elsewhere, 'atelier');
    const plan = t.plan([]);
    expect(plan.stateProblem).toBe('cannot read atelier/.state.json: its folder atelier is a symlink (atelier-emit never writes through one)');
    expect(plan.stale).toEqual([]);
    expect(plan.stateText).toBeNull();
  });

  it('is refused when it is a symlink', () => {
    const t = tree();
    nodeFs.writeFileSync(path.join(t.elsewhere, 'state.json'), JSON.stringify({ files: {} }));
    t.link(path.join(t.elsewhere, 'state.json'), STATE_PATH);
    expect(t.plan([]).stateProblem).toBe('cannot read atelier/.state.json: it is a symlink (atelier-emit never reads through one here)');
  });

  it('is refused when it is not UTF-8, naming the line', () => {
    const t = tree();
    t.put(STATE_PATH, Buffer.concat([Buffer.from('{\n"files": {"'), Buffer.from([0xff]), Buffer.from('": 1}}\n')]));
    const plan = t.plan([want('a.conf', 'a\n')]);
    expect(plan.stateProblem).toBe('atelier/.state.json is damaged: it is not UTF-8 (line 2); fix or remove it, or use --force');
    expect(plan.files[0].action).toBe('create');
  });

  it('a problem with it is not reported with --force', () => {
    const t = tree();
    t.link(t.elsewhere, 'atelier');
    expect('stateProblem' in t.plan([], { force: true })).toBe(false);
  });
});

describe('the record of an unfinished activation', () => {
  it('is read when present', () => {
    const t = tree();
    t.put('atelier/.pending.json', JSON.stringify({ daemonReload: true, restart: ['app.service'], reload: [] }));
    const plan = t.plan([]);
    expect(plan.pending).toEqual({ daemonReload: true, restart: ['app.service'], reload: [] });
    expect('pendingProblem' in plan).toBe(false);
  });

  it('is none when absent', () => {
    const plan = tree().plan([]);
    expect(plan.pending).toBeNull();
    expect('pendingProblem' in plan).toBe(false);
  });

  it('reports one that is not JSON', () => {
    const t = tree();
    t.put('atelier/.pending.json', '{ nope');
    expect(t.plan([]).pendingProblem).toBe('atelier/.pending.json is not valid JSON; it is replaced');
  });

  it('reports one that cannot be read, with the reason', () => {
    const t = tree();
    t.put('atelier/.pending.json/inner', 'x');
    const plan = t.plan([]);
    expect(plan.pending).toBeNull();
    expect(plan.pendingProblem).toBe('cannot read atelier/.pending.json: EISDIR: illegal operation on a directory, read');
  });
});
