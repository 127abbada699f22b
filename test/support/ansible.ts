// Running the real ansible-playbook against the atelier.emit collection, and
// reading what it prints: the play recap and the --diff blocks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exec, run } from './process.js';

const ROOT = path.resolve(__dirname, '../..');

/** The collection as users install it: built with ansible-galaxy, installed from the tarball. */
export async function installCollection(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-collections-'));
  const tarball = (await run(process.execPath, [path.join(ROOT, 'scripts/package-collection.mjs')], { cwd: ROOT })).trim().split('\n').pop()!;
  await run('ansible-galaxy', ['collection', 'install', '--force', '-p', dir, path.join(ROOT, tarball)]);
  return dir;
}

export interface PlayResult {
  code: number;
  out: string;
  recap: string;
  ok: number;
  changed: number;
  failed: number;
}

export async function playbook(args: string[], options: { cwd: string; collections: string; timeoutMs?: number; extraEnv?: Record<string, string> }): Promise<PlayResult> {
  const r = await exec('ansible-playbook', args, {
    cwd: options.cwd,
    timeoutMs: options.timeoutMs ?? 300_000,
    env: {
      ...process.env,
      ANSIBLE_COLLECTIONS_PATH: options.collections,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_LOCALHOST_WARNING: 'false',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false',
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_HOST_KEY_CHECKING: 'false',
      ...options.extraEnv,
    },
  });
  const out = r.stdout + r.stderr;
  const recap = out.slice(out.lastIndexOf('PLAY RECAP')).trim();
  const counts = /: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(recap);
  return { code: r.code, out, recap, ok: Number(counts?.[1] ?? -1), changed: Number(counts?.[2] ?? -1), failed: Number(counts?.[3] ?? -1) };
}

export interface FileDiff {
  path: string;
  removed: string[];
  added: string[];
}

/** The `--- before: X / +++ after: X` blocks Ansible's default callback prints with --diff. */
export function diffBlocks(out: string): FileDiff[] {
  const blocks: FileDiff[] = [];
  let current: FileDiff | null = null;
  for (const line of out.split('\n')) {
    const header = /^--- before: (.*)$/.exec(line);
    if (header) {
      current = { path: header[1], removed: [], added: [] };
      blocks.push(current);
      continue;
    }
    if (!current || line.startsWith('+++ after:') || line.startsWith('@@')) continue;
    if (line.startsWith('-')) current.removed.push(line.slice(1));
    else if (line.startsWith('+')) current.added.push(line.slice(1));
    else if (line !== '' && !line.startsWith(' ')) current = null;
  }
  return blocks;
}

/** Line changes between two versions of a file, as a diff shows them (multiset of removed and added lines). */
export function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n');
  const count = (lines: string[]) => lines.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  // Lines of `lines` left over once each line of the other side (counted) has cancelled one.
  const leftOver = (lines: string[], other: Map<string, number>) =>
    lines.filter((l) => {
      const n = other.get(l) ?? 0;
      if (n === 0) return true;
      other.set(l, n - 1);
      return false;
    });
  const removed = leftOver(a, cb);
  const added = leftOver(b, ca);
  return { removed, added };
}

/** Every file under dir, by relative path (symlinks as their target). */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (skip(p)) continue;
      const full = path.join(dir, p);
      if (e.isSymbolicLink()) out.set(p, `-> ${fs.readlinkSync(full)}`);
      else if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(p, fs.readFileSync(full, 'utf8'));
    }
  };
  walk('');
  return out;
}
