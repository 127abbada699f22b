// The floor for a durable write: a bare Node loop that writes the same files
// (count, sizes, modes, folders) as a tree the CLI wrote, with the durability
// the CLI gives: every file staged as a temporary file beside its target, one
// syncfs(2) of the file system, then every temporary renamed into place.
// Nothing else: no plan, no record, no checks.
//
//   node scripts/bench-bare-write.mjs --from TREE --save-shape SHAPE.json   # once: note the tree's shape
//   node scripts/bench-bare-write.mjs --shape SHAPE.json --to DIR           # the timed process
//   node scripts/bench-bare-write.mjs --from TREE --to DIR                  # both in one process
//   add --sync-after to flush the renames too (the CLI does: a second syncfs)
//
// Prints {files, folders, bytes, ms} as JSON (ms: the write loop alone).
// `--to DIR` must not exist or be empty. The bench imports shapeOf/writeBare.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every regular file under `tree` (but the lock): its relative path, size and mode. */
export function shapeOf(tree) {
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(tree, rel), { withFileTypes: true })) {
      const p = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && p !== 'atelier/.lock') {
        const stat = fs.statSync(path.join(tree, p));
        files.push({ path: p, size: stat.size, mode: stat.mode & 0o7777 });
      }
    }
  };
  walk('');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** syncfs(2) through coreutils, as the CLI flushes (src/write.ts syncFileSystem). */
const syncfs = (dir) => execFileSync('sync', ['--file-system', dir]);

/**
 * Writes files of the shape's sizes and modes under `to`: folders, staged
 * temporaries, one syncfs, renames (and a second syncfs with syncAfter).
 * Contents are built before the clock starts. Returns the loop's milliseconds.
 */
export function writeBare(shape, to, { syncAfter = false } = {}) {
  const contents = shape.map((f) => Buffer.alloc(f.size, 'x\n'));
  const folders = [...new Set(shape.map((f) => path.posix.dirname(f.path)))].sort();
  const start = performance.now();
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const folder of folders) if (folder !== '.') fs.mkdirSync(path.join(to, folder), { recursive: true, mode: 0o755 });
  const temps = shape.map((f, i) => {
    const target = path.join(to, f.path);
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${i}.tmp`);
    const fd = fs.openSync(temp, 'wx', 0o600);
    fs.writeSync(fd, contents[i]);
    fs.fchmodSync(fd, f.mode);
    fs.closeSync(fd);
    return [temp, target];
  });
  syncfs(to);
  for (const [temp, target] of temps) fs.renameSync(temp, target);
  if (syncAfter) syncfs(to);
  return performance.now() - start;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const from = option('--from');
  const shapeFile = option('--shape');
  const to = option('--to');
  const save = option('--save-shape');
  if ((!from && !shapeFile) || (!to && !save)) {
    console.error('usage: bench-bare-write.mjs (--from TREE | --shape SHAPE.json) (--to DIR [--sync-after] | --save-shape SHAPE.json)');
    process.exit(2);
  }
  const shape = shapeFile ? JSON.parse(fs.readFileSync(shapeFile, 'utf8')) : shapeOf(from);
  if (save) fs.writeFileSync(save, JSON.stringify(shape));
  if (to) {
    if (fs.existsSync(to) && fs.readdirSync(to).length > 0) {
      console.error(`${to} is not empty`);
      process.exit(2);
    }
    const ms = writeBare(shape, to, { syncAfter: args.includes('--sync-after') });
    const folders = new Set(shape.map((f) => path.posix.dirname(f.path))).size;
    console.log(JSON.stringify({ files: shape.length, folders, bytes: shape.reduce((n, f) => n + f.size, 0), ms: Math.round(ms) }));
  }
}
