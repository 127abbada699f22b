// The progress line: on a terminal only, redrawn in place, throttled, cleared at the end.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { counter, terminalProgress } from '../src/progress.js';
import { runCli } from './support/cli.js';
import { fleetYaml } from './support/fleet.js';

const CLEAR = '\r\x1b[2K';

describe('terminalProgress', () => {
  it('draws every phase start, throttles counts to one redraw per 100 ms but always draws the last, and clears once', () => {
    const writes: string[] = [];
    let t = 0;
    const p = terminalProgress((s) => writes.push(s), () => t);
    p.report({ phase: 'validate' });
    t = 10;
    p.report({ phase: 'write' });
    t = 20;
    p.report({ phase: 'write', done: 250, total: 1000 }); // 10 ms after the last draw: skipped
    t = 150;
    p.report({ phase: 'write', done: 500, total: 1000 });
    t = 160;
    p.report({ phase: 'write', done: 1000, total: 1000 }); // the last count, drawn whatever the time
    p.end();
    p.end();
    expect(writes).toEqual([
      `${CLEAR}atelier-emit: validate…`,
      `${CLEAR}atelier-emit: write…`,
      `${CLEAR}atelier-emit: write 500/1,000 files`,
      `${CLEAR}atelier-emit: write 1,000/1,000 files`,
      CLEAR,
    ]);
  });

  it('ends without writing anything when nothing was drawn', () => {
    const writes: string[] = [];
    terminalProgress((s) => writes.push(s)).end();
    expect(writes).toEqual([]);
  });

  it('counter reports every n items and the last one', () => {
    const seen: number[] = [];
    const tick = counter('plan', 7, ({ done }) => seen.push(done!), 3);
    for (let i = 1; i <= 7; i++) tick(i);
    expect(seen).toEqual([3, 6, 7]);
  });
});

describe('progress in the CLI', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const fleet = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-progress-'));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'atelier.yaml'), fleetYaml(60));
    return dir;
  };

  it('on a terminal, stderr shows the phases and the files planned and written, and the line is cleared at the end', async () => {
    const dir = fleet();
    const r = await runCli(['--config', 'atelier.yaml', '--out', 'out', '--json'], { cwd: dir, stderrIsTTY: true });
    expect(r.code).toBe(0);
    const total = JSON.parse(r.stdout).files.length;
    for (const phase of ['load', 'validate', 'render']) expect(r.stderr).toContain(`${CLEAR}atelier-emit: ${phase}…`);
    expect(r.stderr).toContain(`${CLEAR}atelier-emit: plan ${total}/${total} files`);
    expect(r.stderr).toContain(`${CLEAR}atelier-emit: write ${total}/${total} files`);
    // A phase of half a second or more leaves its time on a line of its own, after the progress line is cleared
    // (on a busy machine any phase may take that long): without those lines, the output ends cleared.
    const times = /(?:^|(?<=\x1b\[2K))atelier-emit: [a-z-]+ took \d+\.\d s\n/g;
    expect(r.stderr.replace(times, '').endsWith(CLEAR)).toBe(true);
    expect(JSON.parse(r.stdout).changed).toBe(true); // stdout stays the clean report
  });

  it('when stderr is not a terminal (a pipe, a log, Ansible), nothing at all', async () => {
    const dir = fleet();
    const r = await runCli(['--config', 'atelier.yaml', '--out', 'out', '--json'], { cwd: dir, stderrIsTTY: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});
