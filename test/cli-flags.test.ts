// The emit flags through the real program: the bundle (bin/atelier-emit.js, built from
// the current source by the global set-up) as a process, each flag checked by its effect
// on the tree and the exit status, not by what the library does when called directly;
// and a closed pipe on its output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree } from './support/cli.js';
import { tempDirs } from './support/emit.js';
import { fleetYaml } from './support/fleet.js';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin/atelier-emit.js');
const temp = tempDirs();
// A run of the bundle takes well under a second; a hung one fails its test with its
// output (spawnSync's ETIMEDOUT) instead of holding the worker until the test's bound.
const BOUND = { timeout: 60_000, killSignal: 'SIGKILL' } as const;
// --norc: a bash -c started by Node (a socket on stdin) from a parent with SHLVL < 2 takes itself
// for an ssh session and sources ~/.bashrc, whatever that does on the machine (here pyenv's
// rehash, which waits on a lock: parallel runs stalled for minutes).

const SERVICE = (name: string, port: number) => `  ${name}:
    description: ${name} under test
    runtime: custom
    startCommand: sleep infinity
    enable: true
    port: ${port}
    caddy:
      enable: false
`;
const declarations = (services: string[], port = 3000) => `services:\n${services.map((s, i) => SERVICE(s, port + i)).join('')}`;

/** A folder of declarations and an empty tree beside it. */
function project(services = ['alpha', 'beta']): { decl: string; out: string; declare: (text: string) => void } {
  const dir = temp('cli-flags');
  const decl = path.join(dir, 'declarations');
  fs.mkdirSync(decl);
  const declare = (text: string) => fs.writeFileSync(path.join(decl, 'apps.yaml'), text);
  declare(declarations(services));
  return { decl, out: path.join(dir, 'tree'), declare };
}

function emit(p: { decl: string; out: string }, ...flags: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--config', p.decl, '--out', p.out, '--no-color', ...flags], { cwd: ROOT, encoding: 'utf8', ...BOUND });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr + (r.error ? `\n${r.error.message}` : '') };
}

const tree = (out: string) => readTree(out, (p) => p.startsWith('atelier/.'));

describe('--check, through the bundle', () => {
  it('exits 1 when a declaration changed since the last run (a file to update), and writes nothing', () => {
    const p = project();
    expect(emit(p).code).toBe(0);
    expect(emit(p, '--check').code).toBe(0);
    p.declare(declarations(['alpha', 'beta'], 4000));
    const before = tree(p.out);
    const r = emit(p, '--check');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/check: the tree differs from the declarations: \d+ files? to update/);
    expect(tree(p.out)).toEqual(before);
  });

  it('exits 1 when a written file was edited by hand (a conflict), and keeps the edit', () => {
    const p = project();
    expect(emit(p).code).toBe(0);
    const unit = path.join(p.out, 'systemd/system/alpha.service');
    fs.appendFileSync(unit, '# hand edit\n');
    const r = emit(p, '--check');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('1 file edited by hand');
    expect(fs.readFileSync(unit, 'utf8')).toMatch(/# hand edit\n$/);
  });

  it('exits 1 when an earlier --apply left its activation unfinished, or its record of it damaged (atelier/.pending.json)', () => {
    const p = project();
    expect(emit(p).code).toBe(0);
    const record = path.join(p.out, 'atelier/.pending.json');
    // As an --apply killed before its restarts leaves it (src/pending.ts).
    fs.writeFileSync(record, JSON.stringify({ daemonReload: false, restart: ['alpha.service'], reload: [] }));
    const unfinished = emit(p, '--check');
    expect(unfinished.code, unfinished.stdout + unfinished.stderr).toBe(1);
    expect(unfinished.stderr).toContain('an earlier --apply did not finish activating');
    fs.writeFileSync(record, '{"restart": [');
    const damaged = emit(p, '--check');
    expect(damaged.code, damaged.stdout + damaged.stderr).toBe(1);
    expect(damaged.stderr).toContain('atelier/.pending.json is not valid JSON');
    fs.rmSync(record);
    expect(emit(p, '--check').code).toBe(0);
  });

  it("the CI example's drift gate (examples/ci/atelier-plan.yml, step Check) passes in sync and fails on a changed declaration or a hand-edited tree", () => {
    const workflow = fs.readFileSync(path.join(ROOT, 'examples/ci/atelier-plan.yml'), 'utf8');
    const step = /- name: Check\n\s+run: (.+)\n/.exec(workflow);
    expect(step, 'the workflow has a Check step').not.toBeNull();
    const command = step![1];
    expect(command).toContain('--check');
    // The repository the workflow checks out: the bundle in tools/, declarations/ and tree/.
    const repo = temp('ci-repo');
    fs.mkdirSync(path.join(repo, 'tools'));
    fs.copyFileSync(path.join(ROOT, 'dist/atelier-emit.mjs'), path.join(repo, 'tools/atelier-emit.mjs'));
    const p = { decl: path.join(repo, 'declarations'), out: path.join(repo, 'tree') };
    fs.mkdirSync(p.decl);
    fs.writeFileSync(path.join(p.decl, 'apps.yaml'), declarations(['alpha', 'beta']));
    const gate = () => {
    const r = spawnSync('bash', ['--norc', '-c', command], { cwd: repo, encoding: 'utf8', ...BOUND });
    return { ...r, stderr: r.stderr + (r.error ? `\n${r.error.message}` : '') };
  };
    expect(gate().status, 'an empty tree is drift').toBe(1);
    expect(emit(p).code).toBe(0);
    expect(gate().status, 'in sync').toBe(0);
    // A declaration change not yet written to the tree.
    fs.writeFileSync(path.join(p.decl, 'apps.yaml'), declarations(['alpha', 'beta'], 4000));
    const changed = gate();
    expect(changed.status, changed.stderr).toBe(1);
    expect(changed.stderr).toContain('to update');
    // The tree written again, then changed by hand on the host it was copied from.
    expect(emit(p).code).toBe(0);
    expect(gate().status).toBe(0);
    fs.appendFileSync(path.join(p.out, 'systemd/system/beta.service'), 'Environment=EXTRA=1\n');
    const edited = gate();
    expect(edited.status, edited.stderr).toBe(1);
    expect(edited.stderr).toContain('edited by hand');
  });
});

describe('--prune, --force and --format markdown, through the bundle', () => {
  it('--prune deletes the files of a service no longer declared; without it they stay and are reported stale', () => {
    const p = project();
    expect(emit(p).code).toBe(0);
    const betaFiles = [...tree(p.out).keys()].filter((f) => /\bbeta\b/.test(f));
    expect(betaFiles).toContain('systemd/system/beta.service');
    p.declare(declarations(['alpha']));
    const kept = emit(p);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toMatch(/stale/);
    for (const f of betaFiles) expect(fs.existsSync(path.join(p.out, f)), f).toBe(true);
    const pruned = emit(p, '--prune');
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    for (const f of betaFiles) expect(fs.existsSync(path.join(p.out, f)), f).toBe(false);
    expect(fs.existsSync(path.join(p.out, 'systemd/system/alpha.service'))).toBe(true);
    expect(emit(p, '--check').code, 'in sync after the prune').toBe(0);
  });

  it('--force overwrites a hand-edited file that a changed declaration updates; without it the run is refused (exit 2) and the edit kept', () => {
    const p = project();
    expect(emit(p).code).toBe(0);
    const unit = path.join(p.out, 'systemd/system/alpha.service');
    fs.appendFileSync(unit, '# hand edit\n');
    p.declare(declarations(['alpha', 'beta'], 4000));
    const refused = emit(p);
    expect(refused.code).toBe(2);
    expect(fs.readFileSync(unit, 'utf8')).toContain('# hand edit');
    const forced = emit(p, '--force');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    const written = fs.readFileSync(unit, 'utf8');
    expect(written).not.toContain('# hand edit');
    expect(written).toContain('PORT=4000');
    expect(emit(p, '--check').code).toBe(0);
  });

  it('--format markdown prints the pull-request plan (heading, table of files, diffs) instead of the text report', () => {
    const p = project();
    const r = emit(p, '--dry-run', '--format', 'markdown');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^### atelier-emit plan\n/);
    expect(r.stdout).toContain('| service | file | action |');
    expect(r.stdout).toContain('| alpha | `systemd/system/alpha.service` | create |');
    expect(r.stdout).toMatch(/```diff\n/);
    const text = emit(p, '--dry-run');
    expect(text.stdout).not.toContain('### atelier-emit plan');
  });
});

describe('a closed pipe', () => {
  it('ends the run quietly with its real exit status', () => {
    const out = temp('out');
    // A plan of 200 services is far larger than a pipe holds; head reads one line and goes.
    const decl = path.join(temp('decl'), 'atelier.yaml');
    fs.writeFileSync(decl, fleetYaml(200));
    for (const [flags, status] of [[['--dry-run'], 0], [['--check'], 1]] as const) {
      const r = spawnSync('bash', ['--norc', '-c', `"${process.execPath}" "${BIN}" --config "${decl}" --out "${out}" ${flags.join(' ')} | head -1 >/dev/null; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8', ...BOUND });
      expect(r.stdout).toBe(`status ${status}\n`);
      expect(r.stderr).not.toMatch(/EPIPE|Error|\bat /);
    }
  });
});
