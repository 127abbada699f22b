import { createTwoFilesPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import type { Plan, PlannedFile } from '../src/plan.js';
import { jsonReport, markdownReport, textReport, unifiedDiff } from '../src/report.js';

const file = (over: Partial<PlannedFile>): PlannedFile => ({ path: 'systemd/system/app.service', action: 'create', current: null, desired: 'a\nb\n', mode: 0o644, emitter: 'systemd', service: 'app', ...over });
const plan = (files: PlannedFile[]): Plan => ({ outDir: '/out', files, stale: [], nextState: { files: {} }, aheadState: { files: {} } });

describe('unified diffs', () => {
  it.each(['a\nb\n', 'x\n', 'no newline', 'a\n\nb\n', ''])('a whole-file create or delete reads exactly as the diff package writes it (%j)', (content) => {
    const reference = (a: string, b: string, from: string, to: string) => {
      const p = createTwoFilesPatch(a, b, from, to, undefined, undefined, { context: 3 });
      return p.slice(p.indexOf('---')).replace(/\n$/, '');
    };
    expect(unifiedDiff(file({ desired: content }))).toBe(reference('/dev/null', 'b/systemd/system/app.service', '', content));
    expect(unifiedDiff(file({ action: 'delete', current: content, desired: null }))).toBe(reference('a/systemd/system/app.service', '/dev/null', content, ''));
  });

  it('shows an update with context', () => {
    expect(unifiedDiff(file({ action: 'update', current: 'a\nb\nc\n', desired: 'a\nB\nc\n' }))).toBe(
      '--- a/systemd/system/app.service\n+++ b/systemd/system/app.service\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c',
    );
  });
});

describe('reports', () => {
  const p = plan([
    file({ path: 'atelier/services.json', service: undefined, emitter: 'manifest', action: 'update', current: '{}\n', desired: '{"a":1}\n' }),
    file({ action: 'update', current: 'Environment="PORT=3000"\n', desired: 'Environment="PORT=3001"\n' }),
    file({ path: 'caddy/sites/app.caddy', emitter: 'caddy', action: 'unchanged', current: 'x\n', desired: 'x\n' }),
  ]);

  it('text: the summary first, grouped host-wide then by service, no colour when not asked', () => {
    const text = textReport(p, { diff: true, color: false });
    expect(text.split('\n').slice(0, 6)).toEqual([
      '3 files: 2 update, 1 unchanged',
      'host-wide',
      '  update    atelier/services.json',
      'app',
      '  update    systemd/system/app.service',
      '  unchanged caddy/sites/app.caddy',
    ]);
    expect(text).not.toContain('\u001b[');
    expect(textReport(p, { diff: true, color: true })).toContain('\u001b[32m+Environment="PORT=3001"\u001b[0m');
  });

  it('markdown: a summary table and fenced diffs, long ones folded', () => {
    const md = markdownReport(p);
    expect(md).toContain('| app | `systemd/system/app.service` | update |');
    expect(md).toContain('```diff\n--- a/systemd/system/app.service');
    const long = markdownReport(plan([file({ desired: `${Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n')}\n` })]));
    expect(long).toContain('<details><summary><code>systemd/system/app.service</code> (create, 63 lines)</summary>');
    expect(markdownReport(plan([file({ action: 'unchanged', current: 'a\n', desired: 'a\n' })]))).toContain('No changes.');
  });

  it('json: changed, files, and what to restart and reload', () => {
    const report = jsonReport(p);
    expect(report).toMatchObject({ changed: true, restart: ['app.service'], reload: [], daemonReload: true });
    expect(report.files.map((f) => f.action)).toEqual(['update', 'update', 'unchanged']);
  });

  it('json with contents (a dry run): before and after of each changed file, none for unchanged ones', () => {
    const report = jsonReport(p, { contents: true });
    expect(report.files[1]).toEqual({ path: 'systemd/system/app.service', action: 'update', service: 'app', before: 'Environment="PORT=3000"\n', after: 'Environment="PORT=3001"\n' });
    expect(report.files[2]).not.toHaveProperty('before');
    const created = jsonReport(plan([file({})]), { contents: true }).files[0];
    expect([created.before, created.after]).toEqual([null, 'a\nb\n']);
    expect(jsonReport(p).files[1]).not.toHaveProperty('before');
  });

  it('json: refused says why a write would be refused, as the real run says it', () => {
    expect(jsonReport(p)).not.toHaveProperty('refused');
    const conflicted = plan([file({ action: 'conflict', current: 'x\n', reason: 'edited by hand' })]);
    expect(jsonReport(conflicted).refused).toBe('1 file would overwrite or delete what atelier-emit does not own; use --force to allow');
    expect(jsonReport({ ...p, stateProblem: 'atelier/.state.json is damaged' }).refused).toBe('atelier/.state.json is damaged');
  });
});
