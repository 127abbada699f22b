// A rollback puts back what was on disk before the run, which may be a hand edit
// that --force overwrote. The record it restores does not describe that content,
// so the writer must not note a fingerprint for it: the next run has to read the
// file again and see the edit, not trust the record and call it unchanged.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planTree, type DesiredFile } from '../src/plan.js';
import { reversePlan } from '../src/rollback.js';
import { parseState, STATE_PATH, type State } from '../src/state.js';
import { writePlan } from '../src/write.js';
import { tempDirs } from './support/emit.js';

const opts = { prune: false, force: false, emitters: ['systemd', 'caddy', 'backup', 'manifest'] as const };
const unit = (content: string): DesiredFile[] => [{ path: 'systemd/system/app.service', content, mode: 0o644, emitter: 'systemd', service: 'app' }];
const temp = tempDirs();
const record = (out: string) => parseState(nodeFs.readFileSync(path.join(out, STATE_PATH), 'utf8')) as State;

describe('a rollback over a hand edit', () => {
  it('leaves the edit visible to the next run (no fingerprint for what it put back)', async () => {
    const out = temp('rollback');
    const file = path.join(out, 'systemd/system/app.service');
    await writePlan(nodeFs, planTree(nodeFs, out, unit('first\n'), opts));
    nodeFs.writeFileSync(file, 'edited by hand\n');

    const forward = planTree(nodeFs, out, unit('second\n'), { ...opts, force: true });
    expect(forward.files.map((f) => f.action)).toEqual(['update']);
    await writePlan(nodeFs, forward);
    await writePlan(nodeFs, reversePlan(forward));
    expect(nodeFs.readFileSync(file, 'utf8')).toBe('edited by hand\n');
    // The record is the one from before the run: it still owns the file, as of its first content.
    expect(record(out).files['systemd/system/app.service'].previous).toBeUndefined();

    const next = planTree(nodeFs, out, unit('first\n'), opts);
    expect(next.files.map((f) => [f.action, f.current])).toEqual([['conflict', 'edited by hand\n']]);
  });

  it('puts back a file that --force took over from nobody, with no entry in the restored record', async () => {
    const out = temp('rollback');
    const file = path.join(out, 'systemd/system/app.service');
    nodeFs.mkdirSync(path.dirname(file), { recursive: true });
    nodeFs.writeFileSync(file, 'written by hand\n');

    const forward = planTree(nodeFs, out, unit('ours\n'), { ...opts, force: true });
    await writePlan(nodeFs, forward);
    expect(nodeFs.readFileSync(file, 'utf8')).toBe('ours\n');
    await expect(writePlan(nodeFs, reversePlan(forward))).resolves.toEqual({ written: ['systemd/system/app.service'], deleted: [] });
    expect(nodeFs.readFileSync(file, 'utf8')).toBe('written by hand\n');
    expect(record(out).files['systemd/system/app.service']).toBeUndefined();
  });
});
