// Child processes for the test harness that never block the event loop: a
// test worker that blocks for a minute misses vitest's own RPC deadline
// ("Timeout calling onTaskUpdate") even when every test passes.
import { spawn, type SpawnOptions } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; `timeoutMs` kills it (SIGKILL) and reports code 124 as timeout(1) does. */
export function exec(program: string, args: readonly string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  const { input, timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve) => {
    const child = spawn(program, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: `${stderr}${err.message}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ code: 124, stdout, stderr: `${stderr}killed after ${timeoutMs} ms\n` });
      else resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin!.on('error', () => undefined); // a program that exits without reading its input
    child.stdin!.end(input ?? '');
  });
}

/** Like exec, but rejects with the command and the end of its output when it fails; resolves to stdout. */
export async function run(program: string, args: readonly string[], options: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await exec(program, args, options);
  if (r.code !== 0) throw new Error(`${program} ${args.join(' ')} exited ${r.code}:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}
