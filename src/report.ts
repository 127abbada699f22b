// Turning a plan into what a person or a program reads: a summary, a unified
// diff, or the JSON report. Pure: returns strings.
import { createTwoFilesPatch } from 'diff';
import { activationOf } from './activation.js';
import { isChange, type Action, type Plan, type PlannedFile } from './plan.js';

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

export function textReport(plan: Plan, options: TextOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [summaryLine(plan)];
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
  if (options.diff) {
    const diffs = plan.files.filter((f) => isChange(f.action) || (f.action === 'conflict' && f.current !== null && f.desired !== null));
    if (diffs.length > 0) lines.push('');
    for (const f of diffs) lines.push(colorDiff(unifiedDiff(f), paint));
  }
  return `${lines.join('\n')}\n`;
}

export function unifiedDiff(file: PlannedFile): string {
  // A file created or deleted whole needs no diff algorithm: every line is added or removed.
  if (file.current === null && file.desired !== null) return wholeFilePatch('/dev/null', `b/${file.path}`, '+', file.desired);
  if (file.desired === null && file.current !== null) return wholeFilePatch(`a/${file.path}`, '/dev/null', '-', file.current);
  const oldName = file.current === null ? '/dev/null' : `a/${file.path}`;
  const newName = file.desired === null ? '/dev/null' : `b/${file.path}`;
  const patch = createTwoFilesPatch(oldName, newName, file.current ?? '', file.desired ?? '', undefined, undefined, { context: 3 });
  // The diff package writes an "Index:"/"===" preamble; git-style output starts at ---.
  return patch.slice(patch.indexOf('---')).replace(/\n$/, '');
}

function wholeFilePatch(oldName: string, newName: string, sign: '+' | '-', content: string): string {
  if (content === '') return `--- ${oldName}\n+++ ${newName}`;
  const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
  const range = sign === '+' ? `-0,0 +1,${lines.length}` : `-1,${lines.length} +0,0`;
  const body = lines.map((l) => `${sign}${l}`);
  if (!content.endsWith('\n') && content !== '') body.push('\\ No newline at end of file');
  return [`--- ${oldName}`, `+++ ${newName}`, `@@ ${range} @@`, ...body].join('\n');
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
  changed: boolean;
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
}

export function jsonReport(plan: Plan, options: JsonOptions = {}): JsonReport {
  const activation = activationOf(plan);
  return {
    changed: plan.files.some((f) => isChange(f.action)),
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

function colorDiff(patch: string, paint: (style: Style, text: string) => string): string {
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

/** For a pull-request comment: a summary table, then each changed file's diff, long ones folded. */
export function markdownReport(plan: Plan): string {
  const changed = plan.files.filter((f) => isChange(f.action) || f.action === 'conflict');
  const lines = ['### atelier-emit plan', '', summaryLine(plan), ''];
  if (changed.length === 0) return `${lines.join('\n')}No changes.\n`;
  lines.push('| service | file | action |', '|---|---|---|');
  for (const [group, files] of groupByService(changed)) {
    for (const f of files) lines.push(`| ${group || 'host-wide'} | \`${f.path}\` | ${f.action}${f.reason ? ` (${escapeCell(f.reason)})` : ''} |`);
  }
  for (const f of changed.filter((f) => f.current !== null || f.desired !== null)) {
    const patch = unifiedDiff(f);
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(patch) + 1));
    const block = [`${fence}diff`, patch, fence];
    lines.push('');
    if (patch.split('\n').length > FOLD_LINES) {
      lines.push(`<details><summary><code>${f.path}</code> (${f.action}, ${patch.split('\n').length} lines)</summary>`, '', ...block, '', '</details>');
    } else {
      lines.push(`**\`${f.path}\`** (${f.action})`, '', ...block);
    }
  }
  return `${lines.join('\n')}\n`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
}
