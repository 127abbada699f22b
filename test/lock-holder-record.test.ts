// The --out lock's record of its holder and its clean-up, with holder and
// waiter in this one process (two descriptors lock like two processes under
// flock(2)), so what the holder writes is checked where it is written.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LOCK_PATH, LockBusy } from '../src/lock.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
function outDir(): string {
  const out = temp('lock-record');
  fs.mkdirSync(path.join(out, 'atelier'));
  return out;
}

describe('the lock holder\'s record', () => {
  it('names this process, its start time and command; a waiter is told so, and waits its time first', async () => {
    const out = outDir();
    const lock = await acquireLock(fs, out, { waitMs: 0 });
    try {
      const record = JSON.parse(fs.readFileSync(path.join(out, LOCK_PATH), 'utf8'));
      const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      expect(record).toEqual({ pid: process.pid, start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19], command: ['atelier-emit', ...process.argv.slice(2)].join(' '), since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(fs.readFileSync(path.join(out, LOCK_PATH), 'utf8').endsWith('}\n')).toBe(true);
      const started = Date.now();
      const waiter = acquireLock(fs, out, { waitMs: 400 });
      await expect(waiter).rejects.toThrow(new LockBusy(`another atelier-emit is writing to ${out}: pid ${process.pid} holds it (${record.command.slice(0, 200)}, since ${record.since}); try again when it has finished (lock: ${path.join(out, LOCK_PATH)})`));
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    } finally {
      await lock.release();
    }
  });

  it('a record whose start time does not match the live pid is not trusted', async () => {
    const out = outDir();
    const lock = await acquireLock(fs, out, { waitMs: 0 });
    try {
      const file = path.join(out, LOCK_PATH);
      const record = JSON.parse(fs.readFileSync(file, 'utf8'));
      // The same pid reused by another process: another start time.
      fs.writeFileSync(file, JSON.stringify({ ...record, start: '1', command: 'x'.repeat(300) }));
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(`it is held by a process that did not record itself (see: fuser -v ${file})`);
      // A live, matching record has its command cut at 200 characters.
      fs.writeFileSync(file, JSON.stringify({ ...record, command: 'x'.repeat(300) }));
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(`pid ${process.pid} holds it (${'x'.repeat(200)}, since`);
    } finally {
      await lock.release();
    }
  });

  it('is released: the file goes, the next run gets the lock at once', async () => {
    const out = outDir();
    const lock = await acquireLock(fs, out, { waitMs: 0 });
    await lock.release();
    expect(fs.existsSync(path.join(out, LOCK_PATH))).toBe(false);
    const again = await acquireLock(fs, out, { waitMs: 0 });
    await again.release();
  });

  it('a refused first run removes the atelier/ folder it created, and only that one', async () => {
    const out = outDir();
    const created = await acquireLock(fs, out, { waitMs: 0, createdFolder: true });
    await created.release({ removeFolder: true });
    expect(fs.existsSync(path.join(out, 'atelier'))).toBe(false);
    fs.mkdirSync(path.join(out, 'atelier'));
    const found = await acquireLock(fs, out, { waitMs: 0 });
    await found.release({ removeFolder: true });
    expect(fs.existsSync(path.join(out, 'atelier'))).toBe(true);
    const kept = await acquireLock(fs, out, { waitMs: 0, createdFolder: true });
    await kept.release();
    expect(fs.existsSync(path.join(out, 'atelier'))).toBe(true);
  });

  it('something other than a regular file at the lock path is refused, by name', async () => {
    const out = outDir();
    const file = path.join(out, LOCK_PATH);
    execFileSync('mkfifo', [file]);
    await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(new LockBusy(`${file} is not a regular file; remove it`));
  });

  it('flock(1) failing for another reason is said with its exit status and its words', async () => {
    const out = outDir();
    const program = path.join(temp('flock'), 'flock');
    fs.writeFileSync(program, '#!/bin/sh\necho "flock: 3: Bad file descriptor" >&2\nexit 64\n', { mode: 0o755 });
    await expect(acquireLock(fs, out, { waitMs: 0, flockProgram: program })).rejects.toThrow(new LockBusy(`cannot lock ${LOCK_PATH}: flock exited 64: flock: 3: Bad file descriptor`));
  });

  it('a waiter whose holder removed the file on release takes the file at the path, not the removed one', async () => {
    const out = outDir();
    const first = await acquireLock(fs, out, { waitMs: 0 });
    const waiting = acquireLock(fs, out, { waitMs: 10_000 });
    // Let the waiter open the file and start waiting, then release (which removes the file).
    await new Promise((r) => setTimeout(r, 300));
    await first.release();
    const second = await waiting;
    try {
      // The waiter holds the file now at the path: it recorded itself there, and a third run is refused.
      expect(JSON.parse(fs.readFileSync(path.join(out, LOCK_PATH), 'utf8')).pid).toBe(process.pid);
      await expect(acquireLock(fs, out, { waitMs: 0 })).rejects.toThrow(LockBusy);
    } finally {
      await second.release();
    }
  });
});

