// Work folders in the tests' cache are named `<prefix><pid>` after the test run
// that made them. A run that is killed (a CI timeout, ^C, a helper's pkill) never
// cleans up after itself, and each such folder is a whole Debian tree (about 1 GB):
// the next run removes those whose process is gone, and never another live run's.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Removes `dir/<prefix><pid>` entries whose process no longer runs. */
export function removeAbandoned(dir: string, prefix: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
