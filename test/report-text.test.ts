// The human-readable plan (`atelier-emit` without --format, and --out-file): the
// host actions, the summary line, each service's files with their action and
// reason, stale files, a damaged record, and the diffs a dry run shows; in colour
// only where colour says something (bold headings, red for what is lost, green for what is written).
import { describe, expect, it } from 'vitest';
import { groupByService, hostActionLines, summaryLine, textReport, unifiedDiff } from '../src/report.js';
import { planned, planOf } from './support/plans.js';

const B = (s: string) => `\u001b[1m${s}\u001b[0m`;
const RED = (s: string) => `\u001b[31m${s}\u001b[0m`;
const GREEN = (s: string) => `\u001b[32m${s}\u001b[0m`;
const CYAN = (s: string) => `\u001b[36m${s}\u001b[0m`;

/** Every kind of entry, listed out of name order (the report sorts the services). */
const everything = () =>
  planOf(
    [
      planned({ path: 'systemd/system/web.service', service: 'web', desired: 'ExecStart=/srv/web\n' }),
      planned({ path: 'systemd/system/app.service', action: 'update', current: 'Environment="PORT=3000"\n', desired: 'Environment="PORT=3001"\n' }),
      planned({ path: 'caddy/sites/app.caddy', emitter: 'caddy', action: 'conflict', current: 'app.example {\n}\n', desired: 'app.example {\n\treverse_proxy 127.0.0.1:3001\n}\n', reason: 'edited by hand since atelier-emit wrote it' }),
      planned({ path: 'systemd/system/old.service', service: 'old', action: 'delete', current: 'ExecStart=/srv/old --tag @@\n', desired: null }),
      // A conflict with one side absent has no diff to show: a hand-edited stale file --prune keeps, a path behind a symlink.
      planned({ path: 'systemd/system/old.timer', service: 'old', action: 'conflict', current: 'OnCalendar=daily\n# mine\n', desired: null, reason: 'edited by hand since atelier-emit wrote it; not deleted' }),
      planned({ path: 'systemd/system/blocked.service', service: 'blocked', action: 'conflict', current: null, desired: 'ExecStart=/srv/blocked\n', reason: 'systemd/system/blocked.service is a symlink' }),
      planned({ path: 'atelier/services.json', service: undefined, emitter: 'manifest', action: 'unchanged', current: '{}\n', desired: '{}\n' }),
    ],
    {
      stale: ['caddy/sites/legacy.caddy', 'systemd/system/legacy.service'],
      stateProblem: 'atelier/.state.json is damaged: not JSON; fix or remove it, or use --force',
      pendingProblem: 'atelier/.pending.json is damaged; the next --apply restarts every declared unit',
    },
  );

const listing = [
  'host actions on --apply:',
  '  stop and disable: old.service',
  '  systemctl daemon-reload',
  '  enable and start: web.service',
  '  restart: app.service',
  '  then: users and folders made to exist; 2 declared units enabled and started where not running (a running, unchanged one is left alone)',
  '7 files: 1 create, 1 update, 1 delete, 1 unchanged, 3 conflicts',
  'host-wide',
  '  unchanged atelier/services.json',
  'app',
  '  update    systemd/system/app.service',
  '  conflict  caddy/sites/app.caddy  (edited by hand since atelier-emit wrote it)',
  'blocked',
  '  conflict  systemd/system/blocked.service  (systemd/system/blocked.service is a symlink)',
  'old',
  '  delete    systemd/system/old.service',
  '  conflict  systemd/system/old.timer  (edited by hand since atelier-emit wrote it; not deleted)',
  'web',
  '  create    systemd/system/web.service',
  'no longer declared (kept; --prune deletes them):',
  '  stale     caddy/sites/legacy.caddy',
  '  stale     systemd/system/legacy.service',
  'state: atelier/.state.json is damaged: not JSON; fix or remove it, or use --force',
  'atelier/.pending.json is damaged; the next --apply restarts every declared unit',
];

describe('the text plan', () => {
  it('lists every file under its service (host-wide first, then by name), the stale files, the damaged records; no diff unless asked', () => {
    expect(textReport(everything(), { diff: false, color: false })).toBe(`${listing.join('\n')}\n`);
  });

  it('a dry run adds, after a blank line, the diff of each change and of each conflict that has both sides, in plan order', () => {
    expect(textReport(everything(), { diff: true, color: false }).split('\n')).toEqual([
      ...listing,
      '',
      '--- /dev/null',
      '+++ b/systemd/system/web.service',
      '@@ -0,0 +1,1 @@',
      '+ExecStart=/srv/web',
      '--- a/systemd/system/app.service',
      '+++ b/systemd/system/app.service',
      '@@ -1,1 +1,1 @@',
      '-Environment="PORT=3000"',
      '+Environment="PORT=3001"',
      '--- a/caddy/sites/app.caddy',
      '+++ b/caddy/sites/app.caddy',
      '@@ -1,2 +1,3 @@',
      ' app.example {',
      '+\treverse_proxy 127.0.0.1:3001',
      ' }',
      '--- a/systemd/system/old.service',
      '+++ /dev/null',
      '@@ -1,1 +0,0 @@',
      '-ExecStart=/srv/old --tag @@',
      '',
    ]);
  });

  it('a dry run with nothing to diff adds no blank line', () => {
    const p = planOf([planned({ action: 'unchanged', current: 'a\n', desired: 'a\n' })]);
    expect(textReport(p, { diff: true, color: false })).toBe(
      [
        'host actions on --apply:',
        '  no stop, start, restart or reload for changed files',
        '  then: users and folders made to exist; 1 declared unit enabled and started where not running (a running, unchanged one is left alone)',
        '1 files: 1 unchanged',
        'app',
        '  unchanged systemd/system/app.service',
        '',
      ].join('\n'),
    );
  });

  it('in colour: headings bold, what is lost red, what is written green, hunk headers cyan; by its first character, whatever a line ends with', () => {
    const lines = textReport(everything(), { diff: true, color: true }).split('\n');
    expect(lines.slice(0, 2)).toEqual([B('host actions on --apply:'), '  stop and disable: old.service']);
    expect(lines.slice(6, 24)).toEqual([
      '7 files: 1 create, 1 update, 1 delete, 1 unchanged, 3 conflicts',
      B('host-wide'),
      '  unchanged atelier/services.json',
      B('app'),
      `  ${GREEN('update   ')} systemd/system/app.service`,
      `  ${RED('conflict ')} caddy/sites/app.caddy  (edited by hand since atelier-emit wrote it)`,
      B('blocked'),
      `  ${RED('conflict ')} systemd/system/blocked.service  (systemd/system/blocked.service is a symlink)`,
      B('old'),
      `  ${RED('delete   ')} systemd/system/old.service`,
      `  ${RED('conflict ')} systemd/system/old.timer  (edited by hand since atelier-emit wrote it; not deleted)`,
      B('web'),
      `  ${GREEN('create   ')} systemd/system/web.service`,
      B('no longer declared (kept; --prune deletes them):'),
      '  stale     caddy/sites/legacy.caddy',
      '  stale     systemd/system/legacy.service',
      RED('state: atelier/.state.json is damaged: not JSON; fix or remove it, or use --force'),
      RED('atelier/.pending.json is damaged; the next --apply restarts every declared unit'),
    ]);
    expect(lines.slice(24)).toEqual([
      '',
      B('--- /dev/null'),
      B('+++ b/systemd/system/web.service'),
      CYAN('@@ -0,0 +1,1 @@'),
      GREEN('+ExecStart=/srv/web'),
      B('--- a/systemd/system/app.service'),
      B('+++ b/systemd/system/app.service'),
      CYAN('@@ -1,1 +1,1 @@'),
      RED('-Environment="PORT=3000"'),
      GREEN('+Environment="PORT=3001"'),
      B('--- a/caddy/sites/app.caddy'),
      B('+++ b/caddy/sites/app.caddy'),
      CYAN('@@ -1,2 +1,3 @@'),
      ' app.example {',
      GREEN('+\treverse_proxy 127.0.0.1:3001'),
      ' }',
      B('--- a/systemd/system/old.service'),
      B('+++ /dev/null'),
      CYAN('@@ -1,1 +0,0 @@'),
      RED('-ExecStart=/srv/old --tag @@'),
      '',
    ]);
  });
});

describe('the summary line', () => {
  it('counts each action that occurs, in a fixed order, and says conflict or conflicts', () => {
    expect(summaryLine(planOf([]))).toBe('0 files: nothing to do');
    expect(summaryLine(planOf([planned({ action: 'conflict', current: 'x\n', reason: 'r' })]))).toBe('1 files: 1 conflict');
    const two = planOf([planned({ action: 'conflict', current: 'x\n' }), planned({ path: 'b', action: 'conflict', current: 'y\n' }), planned({ path: 'c' })]);
    expect(summaryLine(two)).toBe('3 files: 1 create, 2 conflicts');
  });
});

describe('the host actions', () => {
  it('with nothing to activate and nothing declared: says so, and no standing rule', () => {
    expect(hostActionLines(planOf([]))).toEqual(['host actions on --apply:', '  no stop, start, restart or reload for changed files']);
  });

  it('one declared unit is one unit', () => {
    const p = planOf([planned({ action: 'unchanged', current: 'a\nb\n' })]);
    expect(hostActionLines(p)).toEqual([
      'host actions on --apply:',
      '  no stop, start, restart or reload for changed files',
      '  then: users and folders made to exist; 1 declared unit enabled and started where not running (a running, unchanged one is left alone)',
    ]);
  });
});

describe('grouping by service', () => {
  it('host-wide first, then the services in name order, each keeping its files in plan order', () => {
    const files = ['zeta', 'beta', undefined, 'alpha', 'beta', 'gamma', undefined].map((service, i) => planned({ path: `f${i}`, service }));
    expect(groupByService(files).map(([group, list]) => [group, list.map((f) => f.path)])).toEqual([
      ['', ['f2', 'f6']],
      ['alpha', ['f3']],
      ['beta', ['f1', 'f4']],
      ['gamma', ['f5']],
      ['zeta', ['f0']],
    ]);
  });
});

describe('the diff of one file', () => {
  it('an update shows three lines of context around a change', () => {
    const before = `${Array.from({ length: 11 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const diff = unifiedDiff(planned({ action: 'update', current: before, desired: before.replace('line 6\n', 'line six\n') }));
    expect(diff.split('\n')).toEqual([
      '--- a/systemd/system/app.service',
      '+++ b/systemd/system/app.service',
      '@@ -3,7 +3,7 @@',
      ' line 3',
      ' line 4',
      ' line 5',
      '-line 6',
      '+line six',
      ' line 7',
      ' line 8',
      ' line 9',
    ]);
  });

  it('a file absent on both sides (a stale file behind a symlink) has headers and no hunk', () => {
    expect(unifiedDiff(planned({ action: 'conflict', current: null, desired: null }))).toBe('--- /dev/null\n+++ /dev/null');
  });
});
