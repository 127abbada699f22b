// The library call behind the CLI: declarations → model → files → plan → write → apply.
import * as path from 'node:path';
import type { Activation } from './activation.js';
import { activationOf, pendingOf } from './activation.js';
import { activate, runSteps, stopCommands, type ApplyResult, type CommandRunner } from './apply.js';
import type { HealthOptions } from './health.js';
import { isEmptyPending, serializePending } from './pending.js';
import { reversePlan } from './rollback.js';
import { readDeclarations } from './declarations/discover.js';
import { resolveDeclarations } from './declarations/resolve.js';
import { emitAll } from './emitters/index.js';
import type { DesiredFile, EmitterName } from './emitters/types.js';
import type { FsLike } from './fs.js';
import type { Diagnostic, Model } from './model.js';
import { planTree, type Plan } from './plan.js';
import type { ProgressSink } from './progress.js';
import { acquireLock } from './lock.js';
import { hostProblems } from './host-checks.js';
import { prepareOutDir, writePending, writePlan } from './write.js';

export interface LoadResult {
  model: Model | null;
  diagnostics: Diagnostic[];
  /** Declaration texts by display name, for showing the line of a diagnostic. */
  texts: Map<string, string>;
}

/** Receives the duration of each phase (load, validate, render, plan, write, apply), for `npm run bench`. */
export type PhaseTimer = (phase: string, ms: number) => void;

const noTimer: PhaseTimer = () => undefined;

async function timed<T>(timer: PhaseTimer, phase: string, work: () => Promise<T> | T, progress?: ProgressSink): Promise<T> {
  progress?.({ phase });
  const start = performance.now();
  try {
    return await work();
  } finally {
    timer(phase, performance.now() - start);
  }
}

/** `--config -`: a declaration read from standard input, with the format it is in. */
export interface StdinDeclaration {
  text: string;
  format: 'yaml' | 'toml' | 'json';
}

export async function loadModel(fs: FsLike, cwd: string, configs: readonly string[], timer: PhaseTimer = noTimer, progress?: ProgressSink, stdin?: StdinDeclaration): Promise<LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const files = configs.filter((c) => c !== '-');
  const fromStdin = stdin && configs.includes('-') ? [{ file: `stdin.${stdin.format}`, text: stdin.text }] : [];
  // Standard input comes after the files, whatever its place among the flags.
  const declarationTexts = [
    ...(files.length > 0 || fromStdin.length === 0 ? await timed(timer, 'load', () => readDeclarations(fs, cwd, files, diagnostics), progress) : []),
    ...fromStdin,
  ];
  const texts = new Map(declarationTexts.map((t) => [t.file, t.text]));
  if (diagnostics.length > 0) return { model: null, diagnostics, texts };
  const resolved = await timed(timer, 'validate', () => resolveDeclarations(declarationTexts), progress);
  if (resolved.model) {
    // Headers name a service's files relative to the folder all declarations share: the same
    // declarations give the same tree from any working directory and however --config names them.
    const stable = stableNames(cwd, declarationTexts.map((t) => t.file).filter((f) => !fromStdin.some((d) => d.file === f)));
    for (const service of resolved.model.services) service.sources = service.sources.map((f) => stable.get(f) ?? f);
  }
  return { model: resolved.model, diagnostics: resolved.diagnostics, texts };
}

export interface CheckResult extends LoadResult {
  /** Every file the declarations produce (all emitters); empty when any diagnostic exists. */
  files: DesiredFile[];
}

/**
 * Declarations to files, or every problem: what `validate` runs and what every
 * emit run starts with, so the two can never disagree. All emitters run whatever
 * `--only` says (their refusals are problems of the declarations).
 */
export async function checkDeclarations(fs: FsLike, cwd: string, configs: readonly string[], timer: PhaseTimer = noTimer, progress?: ProgressSink, stdin?: StdinDeclaration): Promise<CheckResult> {
  const loaded = await loadModel(fs, cwd, configs, timer, progress, stdin);
  if (!loaded.model) return { ...loaded, files: [] };
  const model = loaded.model;
  const emitted = await timed(timer, 'render', () => emitAll(model), progress);
  if (emitted.diagnostics.length > 0) return { model: null, diagnostics: emitted.diagnostics, texts: loaded.texts, files: [] };
  return { ...loaded, files: emitted.files };
}

/** Display name → the file's path relative to the deepest folder holding every declaration file. */
export function stableNames(cwd: string, files: readonly string[]): Map<string, string> {
  const absolute = files.map((f) => path.resolve(cwd, f));
  if (absolute.length === 0) return new Map();
  let common = path.dirname(absolute[0]);
  for (const file of absolute) {
    while (path.relative(common, file).startsWith('..')) common = path.dirname(common);
  }
  return new Map(files.map((f, i) => [f, path.relative(common, absolute[i]).split(path.sep).join('/')]));
}

export interface GenerateOptions {
  cwd: string;
  configs: readonly string[];
  stdin?: StdinDeclaration;
  outDir: string;
  only: readonly EmitterName[];
  prune: boolean;
  force: boolean;
  /** Plan only: --dry-run and --check. */
  dryRun: boolean;
  apply: boolean;
  /** Root of the host file system --apply checks (tests point it elsewhere). */
  hostRoot?: string;
  /** Health checks after starting or restarting services (absent: none). */
  health?: HealthOptions;
  /** On a failed activation or health check, put the previous files back and activate them. */
  rollbackOnFailure?: boolean;
  /** How long to wait for another run writing to the same --out. */
  lockWaitMs?: number;
  runner?: CommandRunner;
  timer?: PhaseTimer;
  /** Makes written files durable (the CLI passes syncfs; memfs tests need none). */
  flush?: (outDir: string) => Promise<void>;
  onStep?: (step: ApplyResult['steps'][number]) => void;
  /** Phase starts and file counts, for a progress line on a terminal. */
  progress?: ProgressSink;
}

export type GenerateResult =
  | { kind: 'invalid'; diagnostics: Diagnostic[]; texts: Map<string, string> }
  | { kind: 'planned'; plan: Plan; written: boolean; activation: Activation; apply?: ApplyResult; refused?: string; rollback?: RollbackResult };

export interface RollbackResult {
  plan: Plan;
  apply?: ApplyResult;
  /** Why the rollback itself could not be completed. */
  error?: string;
}

export async function generate(fs: FsLike, options: GenerateOptions): Promise<GenerateResult> {
  const timer = options.timer ?? noTimer;
  const { progress } = options;
  const checked = await checkDeclarations(fs, options.cwd, options.configs, timer, progress, options.stdin);
  if (!checked.model) return { kind: 'invalid', diagnostics: checked.diagnostics, texts: checked.texts };
  const model = checked.model;
  const emitted = { files: checked.files.filter((f) => options.only.includes(f.emitter)) };
  // On this host, before anything is written: existing names, a data folder not the service's, what root trusts.
  if (options.apply && !options.dryRun) {
    const problems = hostProblems(fs, options.hostRoot ?? '/', checked.model);
    if (problems.length > 0) return { kind: 'invalid', diagnostics: problems, texts: checked.texts };
  }
  if (options.dryRun) {
    const plan = await timed(timer, 'plan', () => planTree(fs, options.outDir, emitted.files, planOptions(options, model)), progress);
    return { kind: 'planned', plan, written: false, activation: activationOf(plan) };
  }
  const { createdFolder } = prepareOutDir(fs, options.outDir);
  // Planned under the lock: a plan made before another run's write would be stale.
  const lock = await acquireLock(fs, options.outDir, { waitMs: options.lockWaitMs ?? 30_000, createdFolder });
  let written = false;
  try {
    const plan = await timed(timer, 'plan', () => planTree(fs, options.outDir, emitted.files, planOptions(options, model)), progress);
    const result = await writeAndApply(fs, options, plan, timer, model, lock.unfinished);
    written = result.kind === 'planned' && result.written;
    return result;
  } finally {
    // A run that wrote nothing (refused, or a failed stop step) leaves no `atelier/` it created.
    await lock.release({ removeFolder: !written });
  }
}

function planOptions(options: GenerateOptions, model: Model) {
  return { prune: options.prune, force: options.force, emitters: options.only, disabled: model.disabled, progress: options.progress };
}

async function writeAndApply(fs: FsLike, options: GenerateOptions, plan: Plan, timer: PhaseTimer, model: Model, unfinished: boolean): Promise<GenerateResult> {
  const activation = activationOf(plan);
  const conflicts = plan.files.filter((f) => f.action === 'conflict').length;
  if (conflicts > 0 || plan.stateProblem) {
    const why = plan.stateProblem ?? `${conflicts} ${conflicts === 1 ? 'file' : 'files'} would overwrite or delete what atelier-emit does not own; use --force to allow`;
    return { kind: 'planned', plan, written: false, activation, refused: why };
  }
  const runner = options.runner;
  const onStep = options.onStep ?? (() => undefined);
  const applying = options.apply && runner !== undefined;
  if (applying) {
    // Recorded before anything changes: a run cut short leaves what it owed to the host.
    // (The activation already carries what an earlier unfinished run left.)
    const owed = pendingOf(activation);
    if (!isEmptyPending(owed)) writePending(fs, options.outDir, serializePending(owed));
    const stopped = await runSteps(stopCommands(activation), runner, onStep);
    if (stopped.failed) return { kind: 'planned', plan, written: false, activation, apply: stopped };
  }
  await timed(timer, 'write', () => writePlan(fs, plan, { flush: options.flush, progress: options.progress, sweepTemps: unfinished }), options.progress);
  if (!applying) return { kind: 'planned', plan, written: true, activation };
  const healthUrls = new Map(model.services.filter((s) => s.healthUrl !== null).map((s) => [`${s.name}.service`, s.healthUrl as string]));
  const apply = await timed(timer, 'apply', () => activate(activation, { outDir: options.outDir, run: runner, onStep, health: options.health, healthUrls }), options.progress);
  if (!apply.failed && !apply.unhealthy) {
    writePending(fs, options.outDir, null);
    return { kind: 'planned', plan, written: true, activation, apply };
  }
  if (!options.rollbackOnFailure) return { kind: 'planned', plan, written: true, activation, apply };
  return { kind: 'planned', plan, written: true, activation, apply, rollback: await rollBack(fs, options, plan, runner, onStep) };
}

/** Puts the previous files back and activates them; the run still ends with exit 3. */
async function rollBack(fs: FsLike, options: GenerateOptions, plan: Plan, runner: CommandRunner, onStep: (s: ApplyResult['steps'][number]) => void): Promise<RollbackResult> {
  const back = reversePlan(plan);
  const activation = activationOf(back);
  try {
    const stopped = await runSteps(stopCommands(activation), runner, onStep);
    if (stopped.failed) return { plan: back, apply: stopped };
    await writePlan(fs, back, { flush: options.flush });
    const apply = await activate(activation, { outDir: options.outDir, run: runner, onStep });
    if (!apply.failed) writePending(fs, options.outDir, null);
    return { plan: back, apply };
  } catch (err) {
    return { plan: back, error: (err as Error).message };
  }
}
