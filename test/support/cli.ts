// Runs the CLI in-process with captured output, against the real file system.
import * as nodeFs from 'node:fs';
import { main, type Io } from '../../src/cli.js';
import type { CommandRunner } from '../../src/apply.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], options: { cwd: string; runner?: CommandRunner; env?: Record<string, string>; stderrIsTTY?: boolean; health?: Io['health']; stdin?: string }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: options.cwd,
    env: options.env ?? {},
    isTTY: false,
    stderrIsTTY: options.stderrIsTTY ?? false,
    fs: nodeFs,
    runner: options.runner ?? (async (command) => ({ command, code: 0, output: '' })),
    // No network and no waiting in tests: every healthUrl answers 200 unless a test says otherwise.
    health: options.health ?? instantHealth(),
    stdin: async () => options.stdin ?? '',
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Every file under `dir` (relative paths, sorted) with its content. */
export function readTree(dir: string, skip: (p: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of nodeFs.readdirSync(`${dir}/${rel}`, { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (skip(p)) continue;
      if (entry.isDirectory()) walk(p);
      else out.set(p, nodeFs.readFileSync(`${dir}/${p}`, 'utf8'));
    }
  };
  if (nodeFs.existsSync(dir)) walk('');
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Health checks without a network or waiting: each look at the clock is half a second later. */
export function instantHealth(probe: (url: string) => Promise<number | null> = async () => 200): NonNullable<Io['health']> {
  let t = 0;
  return { probe, sleep: async () => undefined, now: () => (t += 500) };
}
