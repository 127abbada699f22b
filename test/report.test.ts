// Imports stay at the top: a module first loaded inside a test would have its
// module-level code credited to that test by StrykerJS (docs/mutation.md).
import { createTwoFilesPatch } from 'diff';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { jsonReport, markdownReport, textReport, unifiedDiff } from '../src/report.js';
import { runCli } from './support/cli.js';
import { fleetYaml } from './support/fleet.js';
import { planned as file, planOf as plan } from './support/plans.js';

describe('unified diffs', () => {
  it.each(['a\nb\n', 'x\n', 'no newline', 'a\n\nb\n', '', '\n', 'a\nno newline'])('a whole-file create or delete reads exactly as the diff package writes it (%j)', (content) => {
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
  // Planned for every test, so that mutation testing credits it (docs/architecture.md).
  let p: ReturnType<typeof plan>;
  beforeEach(() => {
    p = plan([
      file({ path: 'atelier/services.json', service: undefined, emitter: 'manifest', action: 'update', current: '{}\n', desired: '{"a":1}\n' }),
      file({ action: 'update', current: 'Environment="PORT=3000"\n', desired: 'Environment="PORT=3001"\n' }),
      file({ path: 'caddy/sites/app.caddy', emitter: 'caddy', action: 'unchanged', current: 'x\n', desired: 'x\n' }),
    ]);
  });

  it('text: the host actions first, then the summary, grouped host-wide then by service, no colour when not asked', () => {
    const text = textReport(p, { diff: true, color: false });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'host actions on --apply:',
      '  systemctl daemon-reload',
      '  restart: app.service',
      '  then: users and folders made to exist; 2 declared units enabled and started where not running (a running, unchanged one is left alone)',
    ]);
    expect(text.split('\n').slice(4, 10)).toEqual([
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

describe('the markdown plan fits a pull-request comment', () => {
  it('1,000 services: host actions and summary whole, diffs cut to fit, the full diff in --out-file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-md-'));
    try {
      fs.writeFileSync(path.join(dir, 'atelier.yaml'), fleetYaml(1000));
      const r = await runCli(['--config', 'atelier.yaml', '--out', 'tree', '--dry-run', '--format', 'markdown', '--out-file', 'plan.diff'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const md = r.stdout;
      console.log(`markdown plan for 1,000 services: ${md.length} characters; full diff ${fs.statSync(path.join(dir, 'plan.diff')).size} bytes`);
      expect(md.length).toBeLessThanOrEqual(65_536);
      // The host actions whole: every declared long-running unit is started, named one by one.
      const start = /^### atelier-emit plan\n\n```\nhost actions on --apply:\n  systemctl daemon-reload\n  enable and start: (.*)\n/.exec(md);
      expect(start![1].split(' ')).toHaveLength(1000 + 500 + 2); // services, backup timers, the prune and check timers
      const files = Number(/\*\*(\d+) files: \1 create\*\*/.exec(md)![1]);
      expect(files).toBeGreaterThan(6000);
      expect(md).toMatch(new RegExp(`> \\d+ of ${files} files are not in the table; \\d+ of ${files} diffs are not shown( and one is cut)? \\(a comment holds 65,536 characters\\): the full diff is in \`plan.diff\`\\.\\n$`));
      expect(md).toContain('| app0 | `systemd/system/app0.service` | create |');
      const full = fs.readFileSync(path.join(dir, 'plan.diff'), 'utf8');
      expect(full).toContain('+++ b/systemd/system/app999.service');
      expect(md.split('```').length % 2).toBe(1); // every fence is closed
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a small plan is shown whole, with no note', () => {
    const md = markdownReport(plan([file({ action: 'update', current: 'a\n', desired: 'b\n' })]));
    expect(md).not.toContain('not shown');
    expect(md).toContain('```diff\n--- a/systemd/system/app.service');
  });
});

describe('the markdown plan for very many services', () => {
  it('10,000 new services: the host actions name a hundred units per action and count the rest; the comment still fits', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => file({ path: `systemd/system/app${i}.service`, service: `app${i}`, desired: 'x\n' }));
    const md = markdownReport(plan(many));
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(md).toMatch(/enable and start: app0\.service (\S+ ){99}… and 9900 more \(10000 units\)\n/);
    expect(md).toContain('**10000 files: 10000 create**');
  });
});
