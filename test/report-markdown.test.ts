// The markdown plan (--format markdown, for a pull-request comment): the host
// actions, the summary and the differences, a table of changed files and their
// diffs; when the comment's limit is near, the table takes at most half the room,
// diffs are shown whole, folded, or one cut to fit, and the rest counted in a closing note.
import { describe, expect, it } from 'vitest';
import { markdownReport, unifiedDiff } from '../src/report.js';
import { planned, planOf } from './support/plans.js';
import type { PlannedFile } from '../src/plan.js';

const numbered = (prefix: string, n: number) => `${Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).join('\n')}\n`;
const created = (name: string, lines: number): PlannedFile => planned({ path: `systemd/system/${name}.service`, service: name, desired: numbered(`Environment=${name.toUpperCase()}_`, lines) });
/** Where the diff block of `path` starts (open or folded): the length of the text before it. */
const blockAt = (md: string, path: string) => Math.max(md.indexOf(`\n\n**\`${path}\`**`), md.indexOf(`\n\n<details><summary><code>${path}</code>`));
const summaries = (md: string) => md.split('\n').filter((l) => l.startsWith('<details>') || l.startsWith('**`'));
const note = (md: string) => md.split('\n').filter((l) => l.startsWith('> '));
const HOST = ['host actions on --apply:', '  systemctl daemon-reload'];

describe('the markdown plan', () => {
  it('a small plan whole: differences listed, the table (pipes escaped), each diff fenced longer than any backtick run in it; a file absent on both sides has no diff', () => {
    const p = planOf([
      planned({ path: 'atelier/services.json', service: undefined, emitter: 'manifest', desired: '{"app":1}\n' }),
      planned({ action: 'update', current: "ExecStart=/bin/sh -c 'echo ```'\n", desired: "ExecStart=/bin/sh -c 'echo ```x'\n" }),
      planned({ path: 'caddy/sites/app.caddy', emitter: 'caddy', action: 'conflict', current: 'app.example {\n}\n', desired: 'app.example {\n\treverse_proxy 127.0.0.1:3001\n}\n', reason: 'cannot read caddy/sites/a|b.caddy' }),
      planned({ path: 'systemd/system/old.service', service: 'old', action: 'delete', current: 'ExecStart=/srv/old\n', desired: null }),
      planned({ path: 'systemd/system/gone.timer', service: 'gone', action: 'conflict', current: null, desired: null, reason: 'systemd/system is a symlink' }),
    ]);
    expect(markdownReport(p)).toBe(
      [
        '### atelier-emit plan',
        '',
        '```',
        'host actions on --apply:',
        '  stop and disable: old.service',
        '  systemctl daemon-reload',
        '  restart: app.service',
        '  then: users and folders made to exist; 1 declared unit enabled and started where not running (a running, unchanged one is left alone)',
        '```',
        '',
        '**5 files: 1 create, 1 update, 1 delete, 2 conflicts**',
        '',
        '- 1 file missing',
        '- 1 file to update',
        '- 1 file to delete',
        "- 2 files edited by hand or not atelier-emit's (conflict)",
        '',
        '| service | file | action |',
        '|---|---|---|',
        '| host-wide | `atelier/services.json` | create |',
        '| app | `systemd/system/app.service` | update |',
        '| app | `caddy/sites/app.caddy` | conflict (cannot read caddy/sites/a\\|b.caddy) |',
        '| gone | `systemd/system/gone.timer` | conflict (systemd/system is a symlink) |',
        '| old | `systemd/system/old.service` | delete |',
        '',
        '**`atelier/services.json`** (create)',
        '',
        '```diff',
        '--- /dev/null',
        '+++ b/atelier/services.json',
        '@@ -0,0 +1,1 @@',
        '+{"app":1}',
        '```',
        '',
        '**`systemd/system/app.service`** (update)',
        '',
        '````diff',
        '--- a/systemd/system/app.service',
        '+++ b/systemd/system/app.service',
        '@@ -1,1 +1,1 @@',
        "-ExecStart=/bin/sh -c 'echo ```'",
        "+ExecStart=/bin/sh -c 'echo ```x'",
        '````',
        '',
        '**`caddy/sites/app.caddy`** (conflict)',
        '',
        '```diff',
        '--- a/caddy/sites/app.caddy',
        '+++ b/caddy/sites/app.caddy',
        '@@ -1,2 +1,3 @@',
        ' app.example {',
        '+\treverse_proxy 127.0.0.1:3001',
        ' }',
        '```',
        '',
        '**`systemd/system/old.service`** (delete)',
        '',
        '```diff',
        '--- a/systemd/system/old.service',
        '+++ /dev/null',
        '@@ -1,1 +0,0 @@',
        '-ExecStart=/srv/old',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('nothing to change: the differences that remain, then "No changes." as its own paragraph', () => {
    const unchanged = planned({ action: 'unchanged', current: 'a\nb\n' });
    const head = ['### atelier-emit plan', '', '```', 'host actions on --apply:', '  no stop, start, restart or reload for changed files', '  then: users and folders made to exist; 1 declared unit enabled and started where not running (a running, unchanged one is left alone)', '```', '', '**1 files: 1 unchanged**', ''];
    expect(markdownReport(planOf([unchanged], { stale: ['caddy/sites/old.caddy'] }))).toBe([...head, '- 1 stale file no longer declared (--prune deletes them)', '', 'No changes.', ''].join('\n'));
    expect(markdownReport(planOf([unchanged]))).toBe([...head, 'No changes.', ''].join('\n'));
  });

  it('a diff of 40 lines is shown open; one of 41 is folded', () => {
    const forty = markdownReport(planOf([created('app', 37)]));
    expect(summaries(forty)).toEqual(['**`systemd/system/app.service`** (create)']);
    const fortyOne = markdownReport(planOf([created('app', 38)]));
    expect(summaries(fortyOne)).toEqual(['<details><summary><code>systemd/system/app.service</code> (create, 41 lines)</summary>']);
  });

  it('the host actions are whole up to half the comment, beyond it a hundred names per action', () => {
    const p = planOf(Array.from({ length: 150 }, (_, i) => created(`s${String(i).padStart(3, '0')}`, 1)));
    const whole = markdownReport(p, { limit: 1_000_000 });
    const start = whole.split('\n')[5];
    expect(start).toMatch(/^ {2}enable and start: s000\.service .* s149\.service$/);
    const length = ['host actions on --apply:', '  systemctl daemon-reload', start, whole.split('\n')[6]].join('\n').length;
    expect(markdownReport(p, { limit: 2 * length }).split('\n')[5]).toBe(start);
    expect(markdownReport(p, { limit: 2 * length - 2 }).split('\n')[5]).toMatch(/^ {2}enable and start: s000\.service .* s099\.service … and 50 more \(150 units\)$/);
  });
});

describe('the markdown plan near the limit of a comment', () => {
  it('the table takes at most half the room the header leaves; the note counts what is missing and says how to get the full diff', () => {
    const p = planOf(Array.from({ length: 40 }, (_, i) => created(`s${String(i).padStart(2, '0')}`, 3)));
    const md = markdownReport(p, { limit: 3000 });
    const rows = md.split('\n').filter((l) => /^\| s\d/.test(l));
    expect(rows.length).toBe(16);
    expect(rows[15]).toBe('| s15 | `systemd/system/s15.service` | create |');
    expect(summaries(md)).toEqual(['s00', 's01', 's02', 's03'].map((s) => `**\`systemd/system/${s}.service\`** (create)`));
    expect(note(md)).toEqual(['> 24 of 40 files are not in the table; 36 of 40 diffs are not shown (a comment holds 3,000 characters): run with `--out-file FILE` for the full diff.']);
    expect(md.endsWith('for the full diff.\n')).toBe(true);
  });

  it('the first diff that does not fit is cut to the room left, at half its lines and half again; later ones are shown if they fit, else counted', () => {
    const p = planOf([created('a', 20), created('b', 400), created('c', 400), created('d', 20)]);
    const s = blockAt(markdownReport(p), 'systemd/system/b.service');
    expect(s).toBeGreaterThan(0);
    const md = markdownReport(p, { limit: 600 + s + 3000, fullDiff: 'plan.diff' });
    expect(summaries(md)).toEqual(['**`systemd/system/a.service`** (create)', '<details><summary><code>systemd/system/b.service</code> (create, 403 lines, cut)</summary>', '**`systemd/system/d.service`** (create)']);
    const lines = unifiedDiff(p.files[1]).split('\n');
    const cut = md.slice(md.indexOf('```diff\n--- /dev/null\n+++ b/systemd/system/b.service') + 8, md.indexOf('\n… cut after'));
    expect(cut).toBe(lines.slice(0, 100).join('\n'));
    expect(md).toContain('\n… cut after 100 of 403 lines\n```\n\n</details>');
    expect(note(md)).toEqual([`> 1 of 4 diffs are not shown and one is cut (a comment holds ${(600 + s + 3000).toLocaleString('en-US')} characters): the full diff is in \`plan.diff\`.`]);
    expect(md.length).toBeLessThanOrEqual(600 + s + 3000);
  });

  it('a cut stops at the first half that fits, even one exactly as long as the room', () => {
    const p = planOf([created('a', 20), created('b', 60)]);
    const s = blockAt(markdownReport(p), 'systemd/system/b.service');
    const half = unifiedDiff(p.files[1]).split('\n').slice(0, 31).join('\n');
    const md = markdownReport(p, { limit: 600 + s + 300 + half.length });
    expect(md).toContain(`\n${half}\n… cut after 31 of 63 lines\n`);
  });

  it('under 200 characters of room no further diff is tried, even a small one; at 200 it is', () => {
    const p = planOf([created('a', 20), created('b', 1)]);
    const s = blockAt(markdownReport(p), 'systemd/system/b.service');
    const at = (room: number) => markdownReport(p, { limit: 600 + s + room });
    expect(summaries(at(200))).toEqual(['**`systemd/system/a.service`** (create)', '**`systemd/system/b.service`** (create)']);
    expect(note(at(200))).toEqual([]);
    expect(summaries(at(199))).toEqual(['**`systemd/system/a.service`** (create)']);
    expect(note(at(199))).toEqual([`> 1 of 2 diffs are not shown (a comment holds ${(600 + s + 199).toLocaleString('en-US')} characters): run with \`--out-file FILE\` for the full diff.`]);
  });

  it('a diff that fills the room exactly is shown; one character less and it is not', () => {
    const p = planOf([created('a', 20), created('b', 12)]);
    const whole = markdownReport(p);
    const s = blockAt(whole, 'systemd/system/b.service');
    const b = whole.length - 1 - s;
    expect(b).toBeGreaterThan(200);
    expect(markdownReport(p, { limit: 600 + s + b })).toBe(whole);
    expect(summaries(markdownReport(p, { limit: 600 + s + b - 1 }))).toEqual(['**`systemd/system/a.service`** (create)']);
  });

  it('no cut when it would leave 200 characters or fewer for the cut diff: the diff is counted instead', () => {
    const p = planOf([created('a', 20), created('b', 60)]);
    const s = blockAt(markdownReport(p), 'systemd/system/b.service');
    // At 200 to 300 the room left for the cut (room - 300) is negative: the halving still ends.
    for (const room of [250, 400, 500]) {
      const md = markdownReport(p, { limit: 600 + s + room });
      expect(summaries(md)).toEqual(['**`systemd/system/a.service`** (create)']);
      expect(note(md)).toEqual([`> 1 of 2 diffs are not shown (a comment holds ${(600 + s + room).toLocaleString('en-US')} characters): run with \`--out-file FILE\` for the full diff.`]);
    }
    expect(summaries(markdownReport(p, { limit: 600 + s + 501 }))[1]).toMatch(/^<details><summary><code>systemd\/system\/b\.service<\/code> \(create, 63 lines, cut\)<\/summary>$/);
  });

  it('a deleted file counts among the diffs the note says are not shown', () => {
    const p = planOf([created('a', 20), planned({ path: 'systemd/system/b.service', service: 'b', action: 'delete', current: numbered('Environment=B_', 60), desired: null })]);
    const s = blockAt(markdownReport(p), 'systemd/system/b.service');
    const md = markdownReport(p, { limit: 600 + s + 400 });
    expect(summaries(md)).toEqual(['**`systemd/system/a.service`** (create)']);
    expect(note(md)).toEqual([`> 1 of 2 diffs are not shown (a comment holds ${(600 + s + 400).toLocaleString('en-US')} characters): run with \`--out-file FILE\` for the full diff.`]);
  });
});
