// `atelier-emit backups` (src/restore/snapshots.ts): a size query whose restic
// exited non-zero is a `?`, even when what it printed parses as a size (the
// exit status decides, not the luck of the output). The rest of the listing:
// test/backup-listing.test.ts and test/backup-listing-restic.test.ts.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { listBackups } from '../src/restore/snapshots.js';
import { makeModel, makeService } from './support/model-builders.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const SNAP = { id: 'a'.repeat(64), short_id: 'aaaaaaaa', time: '2026-11-30T11:00:00Z', tags: ['service:app'], paths: [] };
const app = makeService('app', { data: { ...makeService('app').data, files: ['/srv/app'] } });

describe('backups: the size of a snapshot', () => {
  it('a size query that failed is a `?`, whatever it printed', async () => {
    const run = async (argv: string[]): Promise<StepResult> =>
      argv.includes('snapshots') ? { command: argv, code: 0, output: JSON.stringify([SNAP]) } : { command: argv, code: 1, output: '{"total_size": 1536}' };
    let text = '';
    expect(await listBackups({ model: makeModel([app]), service: 'app', run, now: NOW, say: (t) => (text += t) })).toBe(true);
    expect(text).toBe('app: 1 snapshot\n  aaaaaaaa  2026-11-30 11:00:00  60 min ago           ?\n');
  });
});
