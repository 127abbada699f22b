// `atelier-emit backups` (src/restore/snapshots.ts), what test/backup-listing
// leaves open: no service with data, the size query restic is asked, a size
// query that failed, and MiB.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { restic } from '../src/restore/plan.js';
import { bytes, listBackups } from '../src/restore/snapshots.js';
import { makeModel, makeService } from './support/model-builders.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const SNAP = { id: 'a'.repeat(64), short_id: 'aaaaaaaa', time: '2026-11-30T11:00:00Z', tags: ['service:app'], paths: [] };
const app = makeService('app', { data: { ...makeService('app').data, files: ['/srv/app'] } });

function scripted(stats: (argv: string[]) => Pick<StepResult, 'code' | 'output'>) {
  const commands: string[][] = [];
  const run = async (argv: string[]): Promise<StepResult> => {
    commands.push(argv);
    return { command: argv, ...(argv.includes('snapshots') ? { code: 0, output: JSON.stringify([SNAP]) } : stats(argv)) };
  };
  return { run, commands };
}

describe('backups: the listing', () => {
  it('with no service that has data and none asked for, lists nothing and is no error', async () => {
    const r = scripted(() => ({ code: 0, output: '{"total_size": 1}' }));
    let text = '';
    expect(await listBackups({ model: makeModel([makeService('web')]), service: null, run: r.run, now: NOW, say: (t) => (text += t) })).toBe(true);
    expect(text).toBe('');
  });

  it("asks restic for each snapshot's restore size, as JSON", async () => {
    const model = makeModel([app]);
    const r = scripted(() => ({ code: 0, output: JSON.stringify({ total_size: 3 * 1024 ** 2 }) }));
    let text = '';
    expect(await listBackups({ model, service: 'app', run: r.run, now: NOW, say: (t) => (text += t) })).toBe(true);
    expect(r.commands[1]).toEqual(restic(model.host, 'stats', '--json', '--mode', 'restore-size', SNAP.id));
    expect(text).toBe('app: 1 snapshot\n  aaaaaaaa  2026-11-30 11:00:00  60 min ago     3.0 MiB\n');
  });

  it('a size query that failed is a `?`, whatever it printed', async () => {
    const r = scripted(() => ({ code: 1, output: '{"total_size": 1536}' }));
    let text = '';
    await listBackups({ model: makeModel([app]), service: 'app', run: r.run, now: NOW, say: (t) => (text += t) });
    expect(text).toBe('app: 1 snapshot\n  aaaaaaaa  2026-11-30 11:00:00  60 min ago           ?\n');
  });

  it('sizes in MiB between 1 MiB and 1 GiB', () => {
    expect([bytes(1024 ** 2), bytes(1.5 * 1024 ** 2), bytes(1024 ** 3 - 1)]).toEqual(['1.0 MiB', '1.5 MiB', '1024.0 MiB']);
  });
});
