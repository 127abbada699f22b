// Turning a plan into what a person or a program reads: a summary, a unified
// diff, or the JSON report. Pure: returns strings.
import { lazyRequire } from './lazy.js';
import { activationOf, describeActivation } from './activation.js';
import { differences, isChange, type Action, type Plan, type PlannedFile } from './plan.js';

const ACTIONS: readonly Action[] = ['create', 'update', 'delete', 'unchanged', 'conflict'];

export interface TextOptions {
  diff: boolean;
  color: boolean;
}

export function summaryLine(plan: Plan): string {
  const counts = ACTIONS.map((a) => [a, plan.files.filter((f) => f.action === a).length] as const).filter(([, n]) => n > 0);
  const parts = counts.map(([a, n]) => `${n} ${a === 'conflict' ? (n === 1 ? 'conflict' : 'conflicts') : a}`);
  return `${plan.files.length} files: ${parts.join(', ') || 'nothing to do'}`;
}

/**
 * What `--apply` would do to the running host, first, as `nixos-rebuild
 * dry-activate` says it: stops, reloads, starts, restarts; then the standing
 * rule that every declared unit ends up enabled and running.
 */
export function hostActionLines(plan: Plan, maxNames = Infinity): string[] {
  const activation = activationOf(plan);
  const actions = describeActivation(activation, maxNames);
  const ensure = activation.ensure.length;
  const lines = ['host actions on --apply:', ...(actions.length > 0 ? actions : ['no stop, start, restart or reload for changed files']).map((l) => `  ${l}`)];
  if (ensure > 0) lines.push(`  then: users and folders made to exist; ${ensure} declared ${ensure === 1 ? 'unit' : 'units'} enabled and started where not running (a running, unchanged one is left alone)`);
  return lines;
}

export function textReport(plan: Plan, options: TextOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [...hostActionLines(plan).map((l, i) => (i === 0 ? paint('bold', l) : l)), summaryLine(plan)];
  for (const [group, files] of groupByService(plan.files)) {
    lines.push(paint('bold', group === '' ? 'host-wide' : group));
    for (const f of files) {
      const label = f.action.padEnd(9);
      const colored = f.action === 'conflict' ? paint('red', label) : isChange(f.action) ? paint(f.action === 'delete' ? 'red' : 'green', label) : label;
      lines.push(`  ${colored} ${f.path}${f.reason ? `  (${f.reason})` : ''}`);
    }
  }
  if (plan.stale.length > 0) {
    lines.push(paint('bold', `no longer declared (kept; --prune deletes them):`));
    for (const p of plan.stale) lines.push(`  stale     ${p}`);
  }
  if (plan.stateProblem) lines.push(paint('red', `state: ${plan.stateProblem}`));
  if (plan.pendingProblem) lines.push(paint('red', plan.pendingProblem));
  if (options.diff) {
    const diffs = plan.files.filter((f) => isChange(f.action) || (f.action === 'conflict' && f.current !== null && f.desired !== null));
    if (diffs.length > 0) lines.push('');
    for (const f of diffs) lines.push(colorDiff(unifiedDiff(f), paint, options.color));
  }
  return `${lines.join('\n')}\n`;
}

export function unifiedDiff(file: PlannedFile): string {
  // A file created or deleted whole needs no diff algorithm: every line is added or removed.
  if (file.current === null && file.desired !== null) return wholeFilePatch('/dev/null', `b/${file.path}`, '+', file.desired);
  if (file.desired === null && file.current !== null) return wholeFilePatch(`a/${file.path}`, '/dev/null', '-', file.current);
  const oldName = file.current === null ? '/dev/null' : `a/${file.path}`;
  const newName = file.desired === null ? '/dev/null' : `b/${file.path}`;
  const { createTwoFilesPatch } = lazyRequire<typeof import('diff')>('diff');
  const patch = createTwoFilesPatch(oldName, newName, file.current ?? '', file.desired ?? '', undefined, undefined, { context: 3 });
  // The diff package writes an "Index:"/"===" preamble; git-style output starts at ---.
  return patch.slice(patch.indexOf('---')).replace(/\n$/, '');
}

function wholeFilePatch(oldName: string, newName: string, sign: '+' | '-', content: string): string {
  if (content === '') return `--- ${oldName}\n+++ ${newName}`;
  // One pass over the text, no array of lines: a fleet's dry run shows thousands of new files.
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  let count = 1;
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) count++;
  const range = sign === '+' ? `-0,0 +1,${count}` : `-1,${count} +0,0`;
  const noNewline = content.endsWith('\n') ? '' : '\n\\ No newline at end of file';
  return `--- ${oldName}\n+++ ${newName}\n@@ ${range} @@\n${sign}${body.replaceAll('\n', `\n${sign}`)}${noNewline}`;
}

export interface JsonFile {
  path: string;
  action: Action;
  service?: string;
  reason?: string;
  /**
   * With contents (a dry run's report): what a changed or conflicting file holds now and
   * would hold (null: absent), so a caller shows its own diff (the Ansible collection does).
   */
  before?: string | null;
  after?: string | null;
}

export interface JsonOptions {
  contents?: boolean;
}

export interface JsonReport {
  /** This run changes (or, planning only, would change) files, or is refused by a conflict or the state. */
  changed: boolean;
  /** No difference at all between the declarations and the tree: nothing changed, in conflict, stale, or left to activate. */
  inSync: boolean;
  /** Each kind of difference as a sentence (what `--check` exits 1 for). */
  differences: string[];
  files: JsonFile[];
  restart: string[];
  reload: string[];
  start: string[];
  stop: string[];
  daemonReload: boolean;
  conflicts: { path: string; reason: string }[];
  stale: string[];
  /** Why the run is (or would be) refused as a whole, as a real run says it; absent when it is not. */
  refused?: string;
  /** Every declared unit `--apply` keeps enabled and running. */
  ensure: string[];
  /** Restarts and reloads an earlier `--apply` left undone (carried out by the next one). */
  pending: { daemonReload: boolean; restart: string[]; reload: string[] } | null;
}

export function jsonReport(plan: Plan, options: JsonOptions = {}): JsonReport {
  const activation = activationOf(plan);
  const diffs = differences(plan);
  return {
    changed: plan.files.some((f) => isChange(f.action) || f.action === 'conflict') || plan.stateProblem !== undefined,
    inSync: diffs.length === 0,
    differences: diffs,
    files: plan.files.map((f) => ({
      path: f.path,
      action: f.action,
      ...(f.service ? { service: f.service } : {}),
      ...(f.reason ? { reason: f.reason } : {}),
      ...(options.contents && f.action !== 'unchanged' ? { before: f.current, after: f.desired } : {}),
    })),
    restart: activation.restart,
    reload: activation.reload,
    start: activation.start,
    stop: activation.stop,
    daemonReload: activation.daemonReload,
    conflicts: plan.files.filter((f) => f.action === 'conflict').map((f) => ({ path: f.path, reason: f.reason ?? '' })),
    stale: plan.stale,
    ...(refusal(plan) ? { refused: refusal(plan)! } : {}),
    ensure: activation.ensure,
    pending: plan.pending,
  };
}

/** The reason a write of this plan is refused (conflicts or a damaged state), or null. */
export function refusal(plan: Plan): string | null {
  const conflicts = plan.files.filter((f) => f.action === 'conflict').length;
  if (plan.stateProblem) return plan.stateProblem;
  return conflicts > 0 ? `${conflicts} ${conflicts === 1 ? 'file' : 'files'} would overwrite or delete what atelier-emit does not own; use --force to allow` : null;
}

/** Host-wide files first, then each service's, in name order. */
export function groupByService(files: readonly PlannedFile[]): [string, PlannedFile[]][] {
  const groups = new Map<string, PlannedFile[]>();
  for (const f of files) {
    const key = f.service ?? '';
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

type Style = 'bold' | 'red' | 'green' | 'cyan';
const CODES: Record<Style, string> = { bold: '1', red: '31', green: '32', cyan: '36' };

function painter(color: boolean): (style: Style, text: string) => string {
  return color ? (style, text) => `\u001b[${CODES[style]}m${text}\u001b[0m` : (_style, text) => text;
}

function colorDiff(patch: string, paint: (style: Style, text: string) => string, color: boolean): string {
  if (!color) return patch;
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('---') || line.startsWith('+++')) return paint('bold', line);
      if (line.startsWith('@@')) return paint('cyan', line);
      if (line.startsWith('+')) return paint('green', line);
      if (line.startsWith('-')) return paint('red', line);
      return line;
    })
    .join('\n');
}

/** Diffs longer than this many lines are folded in a pull-request comment. */
const FOLD_LINES = 40;

/** A GitHub pull-request comment holds at most this many characters. */
export const MARKDOWN_LIMIT = 65_536;

export interface MarkdownOptions {
  /** Where the full diff was written (`--out-file`), to point at when diffs are cut. */
  fullDiff?: string;
  limit?: number;
}

/**
 * For a pull-request comment: the host actions and the summary whole, then a
 * table of changed files and their diffs (long ones folded) for as long as they
 * fit the comment; what does not fit is counted and the full diff pointed at.
 */
export function markdownReport(plan: Plan, options: MarkdownOptions = {}): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  const changed = plan.files.filter((f) => isChange(f.action) || f.action === 'conflict');
  // Whole, unless the unit names alone would fill the comment (thousands of new services): then named up to a hundred per action.
  const full = hostActionLines(plan);
  const actions = full.join('\n').length > limit / 2 ? hostActionLines(plan, 100) : full;
  const head = ['### atelier-emit plan', '', '```', ...actions, '```', '', `**${summaryLine(plan)}**`, ''];
  const diffs = differences(plan);
  for (const d of diffs) head.push(`- ${escapeCell(d)}`);
  // After a list, a blank line: a line right below an item would be read as part of it.
  if (changed.length === 0) return `${head.join('\n')}\n${diffs.length > 0 ? '\n' : ''}No changes.\n`;
  const where = options.fullDiff ? `the full diff is in \`${options.fullDiff}\`` : 'run with `--out-file FILE` for the full diff';
  // Room kept for the closing note, which is written last.
  const budget = limit - 600;
  const out = new Budget(budget, head.join('\n'));
  let rows = 0;
  // The table may take half of what the header leaves; the diffs have the rest.
  const tableCap = out.text.length + (budget - out.text.length) / 2;
  out.add('\n\n| service | file | action |\n|---|---|---|');
  table: for (const [group, files] of groupByService(changed)) {
    for (const f of files) {
      if (!out.add(`\n| ${group || 'host-wide'} | \`${f.path}\` | ${f.action}${f.reason ? ` (${escapeCell(f.reason)})` : ''} |`, tableCap)) break table;
      rows++;
    }
  }
  let shown = 0;
  let cut = false;
  // Every diff that fits is shown whole (folded when long); the first that does not is cut to fit; the rest are counted.
  for (const f of changed.filter((x) => x.current !== null || x.desired !== null)) {
    if (out.room() < 200) break;
    const patch = unifiedDiff(f);
    const lines = patch.split('\n');
    const block = (body: string, note = '') => {
      const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
      const fenced = [`${fence}diff`, body, fence].join('\n');
      return lines.length > FOLD_LINES || note
        ? `\n\n<details><summary><code>${f.path}</code> (${f.action}, ${lines.length} lines${note})</summary>\n\n${fenced}\n\n</details>`
        : `\n\n**\`${f.path}\`** (${f.action})\n\n${fenced}`;
    };
    if (out.add(block(patch))) {
      shown++;
      continue;
    }
    if (cut) continue;
    const room = out.room() - 300;
    let kept = lines.length;
    let body = patch;
    while (kept > 1 && body.length > room) body = lines.slice(0, (kept = Math.floor(kept / 2))).join('\n');
    if (room > 200 && out.add(block(`${body}\n… cut after ${kept} of ${lines.length} lines`, ', cut'))) cut = true;
  }
  const diffable = changed.filter((x) => x.current !== null || x.desired !== null).length;
  const missing: string[] = [];
  if (rows < changed.length) missing.push(`${changed.length - rows} of ${changed.length} files are not in the table`);
  if (shown < diffable) missing.push(`${diffable - shown - (cut ? 1 : 0)} of ${diffable} diffs are not shown${cut ? ' and one is cut' : ''}`);
  const note = missing.length > 0 ? `\n\n> ${missing.join('; ')} (a comment holds ${limit.toLocaleString('en-US')} characters): ${where}.` : '';
  return `${out.text}${note}\n`;
}

/** Text that grows only while it stays under a limit. */
class Budget {
  constructor(
    private readonly limit: number,
    public text: string,
  ) {}

  /** Appends `part` if the text stays under `cap` (default: the limit); says whether it did. */
  add(part: string, cap = this.limit): boolean {
    if (this.text.length + part.length > Math.min(cap, this.limit)) return false;
    this.text += part;
    return true;
  }

  room(): number {
    return this.limit - this.text.length;
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
}
