// The --out lock under a real race: several processes, each taking and releasing
// the lock over and over, none ever inside while another is. Releasing removes
// the lock file while waiters still hold it open, and a newcomer then creates a
// new one: a waiter that woke on the removed file must not count itself the
// holder (src/lock.ts, samePath). Only real processes and the kernel's flock.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const LOCK_MODULE = path.resolve(__dirname, '../src/lock.ts');

/** One contender: `rounds` times lock, claim the room (O_EXCL), stay a moment, leave, unlock. Prints a line per overlap. */
function contender(out: string, rounds: number): Promise<{ code: number | null; output: string }> {
  const script = `import { acquireLock } from ${JSON.stringify(LOCK_MODULE)}; import * as fs from 'node:fs';
    const room = ${JSON.stringify(path.join(out, 'room'))};
    for (let i = 0; i < ${rounds}; i++) {
      const lock = await acquireLock(fs, ${JSON.stringify(out)}, { waitMs: 60_000 });
      try { fs.writeFileSync(room, String(process.pid), { flag: 'wx' }); }
      catch { console.log('overlap: ' + process.pid + ' got the lock while ' + fs.readFileSync(room, 'utf8') + ' held it'); process.exit(1); }
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
      fs.unlinkSync(room);
      await lock.release();
    }
    console.log('done');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.resolve(__dirname, '..') });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('the --out lock, raced by real processes', () => {
  it('four processes taking it 25 times each are never inside together', async () => {
    const out = temp('lock-race');
    fs.mkdirSync(path.join(out, 'atelier'));
    const results = await Promise.all(Array.from({ length: 4 }, () => contender(out, 25)));
    for (const r of results) {
      expect(r.output).not.toContain('overlap');
      expect(r.output.trim()).toBe('done');
      expect(r.code).toBe(0);
    }
  }, 120_000);
});
