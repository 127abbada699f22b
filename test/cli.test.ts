// The command line end to end: in-process for the flags, and the bundle as a real process.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTree, runCli } from './support/cli.js';
import { FakeSystemd } from './support/fake-systemd.js';

const ROOT = path.resolve(__dirname, '..');
const SEED = 'fixtures/seed/atelier.yaml';
const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});
function temp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-cli-'));
  temps.push(d);
  return d;
}
const emit = (out: string, ...extra: string[]) => runCli(['--config', SEED, '--out', out, ...extra], { cwd: ROOT });

describe('emitting the seed example', () => {
  it('creates the tree, then finds it unchanged', async () => {
    const out = temp();
    const first = await emit(out);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^\d+ files: \d+ create$/m);
    expect(fs.existsSync(path.join(out, 'systemd/system/myapp.service'))).toBe(true);
    const second = await emit(out);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^\d+ files: \d+ unchanged$/m);
    expect(second.stdout).not.toMatch(/^ +(create|update|delete) /m);
  });

  it('--dry-run prints a unified diff and writes nothing', async () => {
    const out = temp();
    const result = await emit(out, '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- /dev/null\n+++ b/systemd/system/myapp.service\n');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('--check exits 1 when something would change and 0 when nothing would', async () => {
    const out = temp();
    expect((await emit(out, '--check')).code).toBe(1);
    expect(fs.readdirSync(out)).toEqual([]);
    await emit(out);
    expect((await emit(out, '--check')).code).toBe(0);
  });

  it('--json reports changes, then none', async () => {
    const out = temp();
    const first = JSON.parse((await emit(out, '--json')).stdout);
    expect(first.changed).toBe(true);
    expect(first.files).toContainEqual({ path: 'systemd/system/myapp.service', action: 'create', service: 'myapp' });
    expect(first.start).toContain('myapp.service');
    expect(Array.isArray(first.restart) && Array.isArray(first.reload)).toBe(true);
    const second = JSON.parse((await emit(out, '--json')).stdout);
    expect(second).toMatchObject({ changed: false, restart: [], reload: [], start: [], stop: [] });
  });

  it('--only writes only the selected emitters', async () => {
    const out = temp();
    await emit(out, '--only', 'caddy');
    const paths = [...readTree(out).keys()].filter((p) => p !== 'atelier/.state.json');
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.every((p) => p.startsWith('caddy/'))).toBe(true);
  });

  it('refuses to overwrite a hand edit (exit 2) and keeps it', async () => {
    const out = temp();
    await emit(out);
    const unit = path.join(out, 'systemd/system/myapp.service');
    fs.appendFileSync(unit, '# hand edit\n');
    const edited = fs.readFileSync(unit, 'utf8');
    const decl = path.join(temp(), 'atelier.yaml');
    fs.writeFileSync(decl, fs.readFileSync(path.join(ROOT, SEED), 'utf8').replace('defaultPort: 3000', 'defaultPort: 3001'));
    const result = await runCli(['--config', decl, '--out', out], { cwd: ROOT });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refused');
    expect(result.stdout).toContain('edited by hand');
    expect(fs.readFileSync(unit, 'utf8')).toBe(edited);
  });
});

describe('subcommands', () => {
  it('validate accepts the seed and rejects a bad file', async () => {
    const ok = await runCli(['validate', '--config', SEED], { cwd: ROOT });
    expect(ok).toMatchObject({ code: 0, stdout: 'ok: 1 enabled service in fixtures/seed/atelier.yaml\n' });
    const bad = await runCli(['validate', '--config', 'fixtures/bad/typo-key/atelier.yaml'], { cwd: ROOT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fixtures/bad/typo-key/atelier.yaml:4:5: error: unknown key `domian`');
  });

  it('schema prints a JSON Schema that describes services and host', async () => {
    const result = await runCli(['schema'], { cwd: ROOT });
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toContain('json-schema.org');
    expect(schema.properties.services.additionalProperties.properties.runtime.enum).toEqual(['bun', 'node', 'custom']);
    expect(schema.properties.host.properties.caddy.properties.tls.enum).toEqual(['dns', 'internal', 'acme']);
  });

  it('--out is required for emitting', async () => {
    const result = await runCli(['--config', SEED], { cwd: ROOT });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out <dir> is required');
  });
});

describe('--apply', () => {
  it('exits 3 naming the step that failed; later steps are not run (the rules: test/apply.test.ts)', async () => {
    const out = temp();
    const systemd = new FakeSystemd();
    systemd.failing.push('systemctl daemon-reload');
    const failing = await runCli(['--config', SEED, '--out', out, '--apply'], { cwd: ROOT, runner: systemd.runner });
    expect(failing.code).toBe(3);
    expect(failing.stderr).toMatch(/activation failed at: systemctl daemon-reload \(exit 1\); later steps were not run./);
    expect(systemd.take().at(-1)).toBe('systemctl daemon-reload');
  });
});

describe('the bundle as a process', () => {
  // The bundle is built from the current source by the global set-up (test/setup/global.ts), before any test.
  it('runs the seed example with nothing but node', () => {
    const out = temp();
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bin/atelier-emit.js'), '--config', SEED, '--out', out, '--json'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).changed).toBe(true);
    const version = execFileSync(process.execPath, [path.join(ROOT, 'bin/atelier-emit.js'), '--version'], { encoding: 'utf8' });
    // The bundle alone is the program too: the one file to copy to a server.
    expect(execFileSync(process.execPath, [path.join(ROOT, 'dist/atelier-emit.mjs'), '--version'], { encoding: 'utf8' })).toBe(version);
    expect(version.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });
});
