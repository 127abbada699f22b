// Work folders in the tests' cache are named `<prefix><pid>` after the test run
// that makes them. A run that is killed (a CI timeout, ^C, a helper's pkill) never
// cleans up after itself, and each such folder can be a whole Debian tree (about
// 1 GB): the next run removes those whose process is gone, never a live run's.
// A live run's build folder also tells a second run, started meanwhile (another
// clone, a mutation run), to wait for that build instead of doing it again beside
// it on the same cores.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Removes `dir/<prefix><pid>` entries whose process no longer runs. */
export function removeAbandoned(dir: string, prefix: string): void {
  for (const { entry, pid } of entries(dir, prefix)) {
    if (pid === process.pid || isRunning(pid)) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

/**
 * While another live process has a `dir/<prefix><pid>` folder (it is building the
 * same thing), waits for `done()`; returns whether it became true. Bounded by
 * that process: when it ends without finishing, the caller builds.
 */
export async function awaitOtherBuilder(dir: string, prefix: string, done: () => boolean, log: (line: string) => void = () => undefined, pollMs = 2000): Promise<boolean> {
  let told = false;
  for (;;) {
    if (done()) return true;
    const builders = entries(dir, prefix).filter(({ pid }) => pid !== process.pid && isRunning(pid));
    if (builders.length === 0) return done();
    if (!told) log(`waiting for the same build by process ${builders.map((b) => b.pid).join(', ')} (${path.join(dir, prefix)}…)`);
    told = true;
    await sleep(pollMs);
  }
}

function entries(dir: string, prefix: string): { entry: string; pid: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => ({ entry, pid: Number(entry.slice(prefix.length)) }))
    .filter(({ pid }) => Number.isInteger(pid) && pid > 0);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
