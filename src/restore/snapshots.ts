// `atelier-emit backups [service]`: each service's snapshots, newest first,
// with their age and size (restic's restore size: what a restore writes).
import type { CommandRunner } from '../apply.js';
import { hasData, SNAPSHOT_HOST } from '../emitters/backup/index.js';
import type { Model } from '../model.js';
import { restic, type Snapshot } from './plan.js';
import { parseSnapshots } from './run.js';

export interface ListRun {
  model: Model;
  service: string | null;
  run: CommandRunner;
  now: Date;
  say: (text: string) => void;
}

export async function listBackups({ model, service, run, now, say }: ListRun): Promise<boolean> {
  const services = model.services.filter(hasData).filter((s) => service === null || s.name === service);
  if (service !== null && services.length === 0) {
    say(`error: no enabled service named "${service}" with data to back up in the declarations\n`);
    return false;
  }
  const listed = await run(restic(model.host, 'snapshots', '--json', '--host', SNAPSHOT_HOST));
  if (listed.code !== 0) {
    say(`error: restic could not list the snapshots:\n${listed.output}`);
    return false;
  }
  const all = parseSnapshots(listed.output);
  for (const s of services) {
    const mine = all.filter((snap) => snap.tags?.includes(`service:${s.name}`)).sort((a, b) => b.time.localeCompare(a.time));
    say(`${s.name}: ${mine.length === 0 ? 'no snapshot' : `${mine.length} snapshot${mine.length === 1 ? '' : 's'}`}\n`);
    for (const snap of mine) say(`  ${snap.short_id}  ${snap.time.slice(0, 19).replace('T', ' ')}  ${age(now, snap).padStart(9)}  ${(await size(model, snap, run)).padStart(10)}\n`);
  }
  return true;
}

async function size(model: Model, snap: Snapshot, run: CommandRunner): Promise<string> {
  const r = await run(restic(model.host, 'stats', '--json', '--mode', 'restore-size', snap.id));
  try {
    return r.code === 0 ? bytes(Number(JSON.parse(r.output).total_size)) : '?';
  } catch {
    return '?';
  }
}

export function age(now: Date, snap: Pick<Snapshot, 'time'>): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(snap.time)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
