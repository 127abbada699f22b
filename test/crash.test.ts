// Crash safety: the CLI is killed with SIGKILL at random moments while it
// rewrites the tree of 1,000 services. After every kill, each file holds its
// complete old or complete new content; the next run converges.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_PATH } from '../src/lock.js';
import { sha256, STATE_PATH } from '../src/state.js';
import { readTree } from './support/cli.js';
import { fleetYaml } from './support/fleet.js';
import { exec } from './support/process.js';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin/atelier-emit.js');
const SERVICES = 1000;
const KILLS = Number(process.env.ATELIER_CRASH_KILLS ?? 30);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-crash-'));
afterAll(() => fs.promises.rm(work, { recursive: true, force: true }));

async function runToEnd(config: string, out: string): Promise<string> {
  const r = await exec(process.execPath, [CLI, '--config', config, '--out', out, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Starts the CLI and kills it after `ms`; resolves when it is gone. */
function runAndKill(config: string, out: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', config, '--out', out, '--json'], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('killed while writing 1,000 services', () => {
  const configs = [0, 1].map((v) => path.join(work, `v${v}.yaml`));
  const trees: Map<string, string>[] = [];
  let fullRunMs = 0;

  beforeAll(async () => {
    configs.forEach((c, v) => fs.writeFileSync(c, fleetYaml(SERVICES, v)));
    for (const [v, config] of configs.entries()) {
      const out = path.join(work, `expected${v}`);
      const start = Date.now();
      await runToEnd(config, out);
      fullRunMs = Math.max(fullRunMs, Date.now() - start);
      trees.push(readTree(out, (p) => p === STATE_PATH || p === LOCK_PATH));
    }
  }, 300_000);

  it(`leaves only complete old or new files after ${KILLS} kills, then converges`, async () => {
    const out = path.join(work, 'victim');
    await runToEnd(configs[0], out);
    let interrupted = 0;
    let mixedTrees = 0;
    for (let k = 0; k < KILLS; k++) {
      const target = k % 2 === 0 ? 1 : 0; // alternate, so each kill lands on a real rewrite
      await runAndKill(configs[target], out, Math.random() * fullRunMs * 1.2);
      const now = readTree(out, (p) => p === STATE_PATH || p === LOCK_PATH || /\.atelier-\d+-\d+\.tmp$/.test(p));
      let behind = 0;
      let ahead = 0;
      for (const [p, content] of now) {
        const options = [trees[0].get(p), trees[1].get(p)];
        expect(options, `${p} after kill ${k}: neither the old nor the new content`).toContain(content);
        if (content === trees[target].get(p)) ahead++;
        else behind++;
      }
      if (behind > 0) interrupted++;
      if (behind > 0 && ahead > 0 && trees[0].size > 0) mixedTrees++;
    }
    // The kills must really land before the run finished, or this test proves nothing.
    expect(interrupted).toBeGreaterThan(0);

    await runToEnd(configs[1], out);
    const final = readTree(out, (p) => p === STATE_PATH);
    expect(final).toEqual(trees[1]);
    const state = JSON.parse(fs.readFileSync(path.join(out, STATE_PATH), 'utf8')) as { files: Record<string, { sha256: string }> };
    expect(Object.keys(state.files).sort()).toEqual([...trees[1].keys()].sort());
    for (const [p, entry] of Object.entries(state.files)) expect(entry.sha256, p).toBe(sha256(final.get(p)!));
    expect(JSON.parse(await runToEnd(configs[1], out)).changed).toBe(false);
    console.log(`crash test: ${KILLS} kills, ${interrupted} before the run finished (${mixedTrees} mid-rename); full run ${fullRunMs} ms`);
  }, 600_000);
});
