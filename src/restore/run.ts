// Carries out a restore plan with an injected process runner (as --apply does):
// each step is said, run, and checked; the first failure stops the run and
// says where the previous data is.
import type { CommandRunner, StepResult } from '../apply.js';
import type { Model } from '../model.js';
import { checkRestore, describePlan, findSnapshot, planRestore, shellWord, type RestoreOptions, type RestorePlan, type Snapshot } from './plan.js';

export interface RestoreRun {
  model: Model;
  options: RestoreOptions;
  dryRun: boolean;
  run: CommandRunner;
  say: (line: string) => void;
}

/** `invalid`: the request itself (service, options) was refused before anything ran. */
export async function restore({ model, options, dryRun, run, say }: RestoreRun): Promise<'ok' | 'failed' | 'invalid'> {
  const checked = checkRestore(model, options);
  if (Array.isArray(checked)) {
    for (const d of checked) say(`error: ${d.message}${d.hint ? ` (${d.hint})` : ''}\n`);
    return 'invalid';
  }
  const { service, job } = checked;
  // Read-only, so --dry-run does it too: the plan names the snapshot it would restore.
  const found = await run(findSnapshot(model.host, service.name, options.snapshot));
  const snapshot = found.code === 0 ? parseSnapshots(found.output).find((s) => options.snapshot === 'latest' || s.tags?.includes(`service:${service.name}`)) : undefined;
  if (!snapshot) {
    say(found.code !== 0 ? `error: restic could not list the snapshots:\n${found.output}` : `error: no snapshot ${options.snapshot === 'latest' ? '' : `${options.snapshot} `}of ${service.name} (tag service:${service.name}) in the repository\n`);
    return 'failed';
  }
  const plan = planRestore(model, service, job, options, snapshot);
  say(describePlan(plan));
  if (dryRun) {
    say('dry run: nothing was done.\n');
    return 'ok';
  }
  return (await execute(plan, run, say)) ? 'ok' : 'failed';
}

async function execute(plan: RestorePlan, run: CommandRunner, say: (line: string) => void): Promise<boolean> {
  const moved: { from: string; to: string }[] = [];
  let stopped: string[] = [];
  for (const [i, step] of plan.steps.entries()) {
    const result = await run(step.argv);
    const failed = result.code !== 0 || (step.expect !== undefined && result.output.trim() !== step.expect);
    if (!failed) {
      say(`done ${i + 1}. ${step.say}${step.tell ? told(result) : ''}\n`);
      if (step.aside) moved.push(step.aside);
      if (step.stops) stopped = step.stops;
      if (step.starts) stopped = [];
      continue;
    }
    say(`FAILED ${i + 1}. ${step.say}\n  $ ${step.argv.map(shellWord).join(' ')}\n  exit ${result.code}${step.expect !== undefined ? `, expected "${step.expect}"` : ''}:\n${indent(result.output)}`);
    await recover(plan, moved, stopped, run, say);
    return false;
  }
  say(`restored ${plan.service}.\n${plan.afterwards.map((l) => `${l}\n`).join('')}`);
  if (moved.length > 0) say(`the previous data was kept (remove it when satisfied):\n${moved.map((m) => `  ${m.from} -> ${m.to}\n`).join('')}`);
  return true;
}

/**
 * Nothing is undone automatically past the first move: the data as it was is
 * kept where the administrator is told it is. Before any move, units this
 * run stopped are started again (their data is untouched).
 */
async function recover(plan: RestorePlan, moved: { from: string; to: string }[], stopped: string[], run: CommandRunner, say: (line: string) => void): Promise<void> {
  if (moved.length === 0) {
    if (stopped.length > 0) {
      const started = await run([plan.systemctl, 'start', ...stopped]);
      say(started.code === 0 ? `nothing was replaced; started ${stopped.join(', ')} again.\n` : `nothing was replaced, but starting ${stopped.join(', ')} failed:\n${indent(started.output)}`);
    } else say('nothing was replaced.\n');
    say(`the restored files are in ${plan.workDir}\n`);
    return;
  }
  say(`the previous data is kept, moved aside:\n${moved.map((m) => `  ${m.from} -> ${m.to}\n`).join('')}`);
  say(`the snapshot's files are in ${plan.workDir}\n`);
  if (stopped.length > 0) say(`left stopped: ${stopped.join(', ')} (move the previous data back, or fix and re-run, then: systemctl start ${stopped.join(' ')})\n`);
}

export function parseSnapshots(output: string): Snapshot[] {
  try {
    const parsed: unknown = JSON.parse(output);
    return Array.isArray(parsed) ? (parsed as Snapshot[]) : [];
  } catch {
    return [];
  }
}

const indent = (text: string) => (text.trim() === '' ? '' : `${text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`);
/** A step's own message, when it has one (a path that was not there). */
const told = (r: StepResult) => (r.output.trim() === '' ? '' : ` (${r.output.trim().split('\n').join('; ')})`);
