// `--apply`: brings the host to what the tree declares, with systemd's own tools,
// every run (like `nixos-rebuild switch`): users and folders, every declared unit
// enabled and active, changed ones restarted, Caddy running with its sites.
// Nothing that already is right is touched. The process runner is injected, so
// the order of steps is testable without a host.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CADDY_UNIT, isLongRunning, type Activation } from './activation.js';
import { waitHealthy, type HealthOptions, type Unhealthy } from './health.js';

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
  /** Services started or restarted that did not come up healthy. */
  unhealthy?: Unhealthy[];
}

export interface ActivateOptions {
  outDir: string;
  run: CommandRunner;
  onStep: (step: StepResult) => void;
  /** Absent: no health checks (a rollback's own activation). */
  health?: HealthOptions;
  /** healthUrl by unit (`myapp.service`), for the services that declare one. */
  healthUrls?: ReadonlyMap<string, string>;
}

/** Before files are deleted: their units are stopped and disabled while systemd still knows them. */
export function stopCommands(activation: Activation): string[][] {
  return activation.stop.length > 0 ? [['systemctl', 'disable', '--now', ...activation.stop]] : [];
}

/** systemd's unit-file states in which a unit starts at boot (or is pulled in) without `systemctl enable`. */
const ENABLED: ReadonlySet<string | undefined> = new Set(['enabled', 'enabled-runtime', 'static', 'generated', 'indirect', 'alias', 'linked', 'linked-runtime', 'transient']);

export interface UnitState {
  load: string;
  active: string;
  sub: string;
  file: string;
}

/** After files are written, in dependency order: users, folders, units, then Caddy; then health. */
export async function activate(activation: Activation, options: ActivateOptions): Promise<ApplyResult> {
  const steps: StepResult[] = [];
  const step = async (command: string[]): Promise<boolean> => {
    const result = await options.run(command);
    steps.push(result);
    options.onStep(result);
    return result.code === 0;
  };
  const under = (files: string[]) => files.map((f) => path.join(options.outDir, f));
  const fail = (): ApplyResult => ({ steps, failed: steps[steps.length - 1] });

  // Users and folders, every run: cheap, idempotent, and how a service whose first start failed gets them.
  if (activation.sysusers.length > 0 && !(await step(['systemd-sysusers', ...under(activation.sysusers)]))) return fail();
  if (activation.tmpfiles.length > 0 && !(await step(['systemd-tmpfiles', '--create', ...under(activation.tmpfiles)]))) return fail();
  if (activation.daemonReload && !(await step(['systemctl', 'daemon-reload']))) return fail();

  const states = await unitStates(options.run, activation.ensure);
  const isUp = (unit: string) => states.get(unit)?.active === 'active';
  // A unit systemd said nothing about has no unit-file state: not enabled.
  const isEnabled = (unit: string) => ENABLED.has(states.get(unit)?.file);
  // New units, and declared ones someone stopped, disabled, or whose start failed.
  const down = activation.ensure.filter((u) => !isUp(u));
  const toStart = [...new Set([...activation.start, ...activation.ensure.filter((u) => !isUp(u) || !isEnabled(u))])].sort();
  const failed = down.filter((u) => states.get(u)?.active === 'failed');
  // A unit that failed too often is refused by `start` until its failure is reset.
  if (failed.length > 0 && !(await step(['systemctl', 'reset-failed', ...failed]))) return fail();
  if (toStart.length > 0 && !(await step(['systemctl', 'enable', '--now', ...toStart]))) return fail();
  // A changed unit that was down has just started with its new definition: no second start.
  const started = new Set([...activation.start, ...down]);
  const restart = activation.restart.filter((u) => !started.has(u));
  if (restart.length > 0 && !(await step(['systemctl', 'restart', ...restart]))) return fail();
  const reload = activation.reload.filter((u) => !started.has(u) && !restart.includes(u));
  if (reload.length > 0 && !(await step(['systemctl', 'try-reload-or-restart', ...reload]))) return fail();

  if (!options.health) return { steps };
  const toCheck = [...started, ...restart].filter((u) => isLongRunning(u) && u.endsWith('.service') && u !== CADDY_UNIT).sort();
  const unhealthy = await waitHealthy(
    toCheck.map((unit) => ({ unit, url: options.healthUrls?.get(unit) ?? null })),
    options.run,
    options.health,
  );
  return unhealthy.length > 0 ? { steps, unhealthy } : { steps };
}

/**
 * One `systemctl show` for every unit: its load, active and unit-file state.
 * Asking is not acting, so it is not a step. Unknown answers read as "down",
 * and `enable --now` of a running, enabled unit changes nothing.
 */
export async function unitStates(run: CommandRunner, units: readonly string[]): Promise<Map<string, UnitState>> {
  const states = new Map<string, UnitState>();
  if (units.length === 0) return states;
  const result = await run(['systemctl', 'show', '--property=Id,LoadState,ActiveState,SubState,UnitFileState', '--', ...units]);
  if (result.code !== 0) return states;
  const blocks = result.output.split(/\n\s*\n/).filter((b) => b.trim() !== '');
  blocks.forEach((block, i) => {
    const props = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const unit = units.includes(props.Id) ? props.Id : units[i];
    if (unit) states.set(unit, { load: props.LoadState ?? '', active: props.ActiveState ?? '', sub: props.SubState ?? '', file: props.UnitFileState ?? '' });
  });
  return states;
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
