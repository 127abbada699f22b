// `--apply`: carries out an activation on this host with systemd's own tools.
// The process runner is injected, so the order of steps is testable without a host.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Activation } from './activation.js';

export interface StepResult {
  command: string[];
  code: number;
  output: string;
}

export type CommandRunner = (argv: string[]) => Promise<StepResult>;

export interface ApplyResult {
  steps: StepResult[];
  /** The step that failed; later steps were not run. */
  failed?: StepResult;
}

/** Before files are deleted: their units are stopped and disabled while systemd still knows them. */
export function stopCommands(activation: Activation): string[][] {
  return activation.stop.length > 0 ? [['systemctl', 'disable', '--now', ...activation.stop]] : [];
}

/** After files are written, in dependency order: users, folders, units, then Caddy. */
export function activationCommands(activation: Activation, outDir: string): string[][] {
  const commands: string[][] = [];
  const under = (files: string[]) => files.map((f) => path.join(outDir, f));
  if (activation.sysusers.length > 0) commands.push(['systemd-sysusers', ...under(activation.sysusers)]);
  if (activation.tmpfiles.length > 0) commands.push(['systemd-tmpfiles', '--create', ...under(activation.tmpfiles)]);
  if (activation.daemonReload) commands.push(['systemctl', 'daemon-reload']);
  if (activation.start.length > 0) commands.push(['systemctl', 'enable', '--now', ...activation.start]);
  if (activation.restart.length > 0) commands.push(['systemctl', 'restart', ...activation.restart]);
  // A stopped Caddy stays stopped: the new sites load when it starts.
  if (activation.reload.length > 0) commands.push(['systemctl', 'try-reload-or-restart', ...activation.reload]);
  return commands;
}

export async function runSteps(commands: string[][], run: CommandRunner, onStep: (step: StepResult) => void): Promise<ApplyResult> {
  const steps: StepResult[] = [];
  for (const command of commands) {
    const step = await run(command);
    steps.push(step);
    onStep(step);
    if (step.code !== 0) return { steps, failed: step };
  }
  return { steps };
}

export const spawnRunner: CommandRunner = (argv) =>
  new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => resolve({ command: argv, code: 127, output: `${output}${err.message}` }));
    child.on('close', (code) => resolve({ command: argv, code: code ?? 1, output }));
  });
