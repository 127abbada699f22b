// The Ansible role with the real ansible-playbook against localhost, writing
// into a temporary folder: changed once, then not; check mode writes nothing
// and shows the diff.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTree } from './support/cli.js';
import { exec } from './support/process.js';

const ROOT = path.resolve(__dirname, '..');
const PLAYBOOK = path.join(ROOT, 'examples/ansible');
const hasAnsible = spawnSync('ansible-playbook', ['--version']).status === 0;

describe('the Ansible role', () => {
  let work: string;
  let declaration: string;
  const play = async (...extra: string[]) => {
    const vars = {
      atelier_out: path.join(work, 'etc'),
      atelier_bundle_dest: path.join(work, 'lib/atelier-emit.mjs'),
      atelier_config_dir: path.join(work, 'declarations'),
      atelier_manage_units: false,
      atelier_become: false,
      atelier_node: process.execPath,
      atelier_declarations: [declaration],
    };
    const r = await exec('ansible-playbook', ['-i', 'inventory.ini', 'site.yml', '-e', JSON.stringify(vars), ...extra], {
      cwd: PLAYBOOK,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const recap = /localhost\s*: ok=(\d+)\s+changed=(\d+)/.exec(r.stdout);
    return { out: r.stdout, changed: Number(recap?.[2]) };
  };

  beforeAll(() => {
    expect(hasAnsible, 'ansible-playbook must be installed (scripts/setup.sh installs ansible-core)').toBe(true);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-ansible-'));
    declaration = path.join(work, 'atelier.yaml');
    fs.writeFileSync(declaration, fs.readFileSync(path.join(ROOT, 'fixtures/seed/atelier.yaml'), 'utf8'));
  });
  afterAll(() => fs.promises.rm(work, { recursive: true, force: true }));

  it('reports changed on the first run and nothing on the second', async () => {
    const first = await play();
    expect(first.changed).toBeGreaterThan(0);
    expect(first.out).toMatch(/TASK \[atelier_emit : Emit units, sites and backups\][^\n]*\nchanged: \[localhost\]/);
    expect(first.out).toContain('atelier-emit handlers: restart=[] start=');
    expect(fs.existsSync(path.join(work, 'etc/systemd/system/myapp.service'))).toBe(true);
    const second = await play();
    expect(second.changed).toBe(0);
  }, 300_000);

  it('check mode writes nothing and prints the diff', async () => {
    const before = readTree(path.join(work, 'etc'));
    fs.writeFileSync(declaration, fs.readFileSync(declaration, 'utf8').replace('defaultPort: 3000', 'defaultPort: 3005'));
    const check = await play('--check', '--diff');
    // Ansible prints the lines JSON-encoded: the quotes may come escaped.
    expect(check.out).toMatch(/\+Environment=\\?"PORT=3005\\?"/);
    expect(check.out).toMatch(/Emit units, sites and backups\][^\n]*\nchanged/);
    expect(readTree(path.join(work, 'etc'))).toEqual(before);
    const apply = await play();
    expect(apply.changed).toBeGreaterThan(0);
    expect(apply.out).toContain('restart=[\'myapp.service\']');
  }, 300_000);
});
