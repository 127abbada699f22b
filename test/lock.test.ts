// The --out lock, with real processes: flock(2) through util-linux flock(1).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, LOCK_PATH, LockBusy } from '../src/lock.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const LOCK_MODULE = path.resolve(__dirname, '../src/lock.ts');
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

function outDir(): string {
  const out = temp('lock');
  fs.mkdirSync(path.join(out, 'atelier'));
  return out;
}

/** Another real process that takes the lock, prints "locked", and holds it until killed. */
function holder(out: string): Promise<ChildProcess> {
  const script = `import { acquireLock } from ${JSON.stringify(LOCK_MODULE)}; import * as fs from 'node:fs';
    await acquireLock(fs, ${JSON.stringify(out)}, { waitMs: 0 }); console.log('locked'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '..') });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('locked') && resolve(child));
    child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
  });
}

describe('the --out lock', () => {
  it('a second process is refused while the first holds it, and is told who holds it', async () => {
    const out = outDir();
    const first = await holder(out);
    const started = Date.now();
    const second = acquireLock(fs, out, { waitMs: 300 });
    await expect(second).rejects.toBeInstanceOf(LockBusy);
    await expect(second).rejects.toThrow(new RegExp(`pid ${first.pid} holds it \\(atelier-emit`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('of four processes started together, exactly one gets it', async () => {
    const out = outDir();
    const script = `import { acquireLock } from ${JSON.stringify(LOCK_MODULE)}; import * as fs from 'node:fs';
      try { await acquireLock(fs, ${JSON.stringify(out)}, { waitMs: 0 }); console.log('locked'); setInterval(() => {}, 1000); } catch (e) { console.log('busy: ' + e.message); process.exit(0); }`;
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(__dirname, '..') });
        children.push(child);
        return new Promise<string>((resolve) => child.stdout!.on('data', (d) => resolve(String(d).trim())));
      }),
    );
    expect(outcomes.filter((o) => o === 'locked')).toHaveLength(1);
    expect(outcomes.filter((o) => o.startsWith('busy: another atelier-emit is writing'))).toHaveLength(3);
  });

  it('the kernel releases it when the holder is killed: the next run gets it at once', async () => {
    const out = outDir();
    const first = await holder(out);
    const exited = new Promise((r) => first.on('exit', r));
    first.kill('SIGKILL');
    await exited;
    const started = Date.now();
    const lock = await acquireLock(fs, out, { waitMs: 0 });
    expect(Date.now() - started).toBeLessThan(2000);
    await lock.release();
  });

  it('waits for a holder that finishes', async () => {
    const out = outDir();
    const first = await holder(out);
    setTimeout(() => first.kill('SIGTERM'), 300);
    const lock = await acquireLock(fs, out, { waitMs: 10_000 });
    await lock.release();
  });

  it('an empty, foreign or stale lock file blocks nobody (no 30 s wait): only a live holder does', async () => {
    for (const content of ['', 'garbage\n', '4242\n', `${JSON.stringify({ pid: process.pid, start: 'x' })}\n`]) {
      const out = outDir();
      fs.writeFileSync(path.join(out, LOCK_PATH), content);
      const started = Date.now();
      const lock = await acquireLock(fs, out, { waitMs: 30_000 });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(JSON.parse(fs.readFileSync(path.join(out, LOCK_PATH), 'utf8')).pid).toBe(process.pid);
      await lock.release();
    }
  });

  it('a lock file nobody recorded in still names the situation', async () => {
    const out = outDir();
    // A foreign holder: util-linux flock itself, holding the file with a sleep.
    const foreign = spawn('flock', ['--exclusive', path.join(out, LOCK_PATH), 'sleep', '30'], { stdio: 'ignore' });
    children.push(foreign);
    // Until the kernel lists a lock on that file's inode (bounded).
    const locked = () => fs.existsSync(path.join(out, LOCK_PATH)) && fs.readFileSync('/proc/locks', 'utf8').includes(`:${fs.statSync(path.join(out, LOCK_PATH)).ino} `);
    for (let i = 0; i < 250 && !locked(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(locked()).toBe(true);
    await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow('held by a process that did not record itself');
  });

  it('says what is missing when flock(1) cannot be run', async () => {
    await expect(acquireLock(fs, outDir(), { waitMs: 0, flockProgram: 'no-such-flock' })).rejects.toThrow('util-linux) is needed');
  });
});
