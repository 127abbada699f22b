// What --apply decides, against a stand-in systemd: every run converges, what is
// right is left alone, an unfinished activation is finished, a service that does
// not come up is exit 3 (and, asked, rolled back). test/host/converge.test.ts
// checks the same on a booted systemd.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PENDING_PATH } from '../src/pending.js';
import { instantHealth, readTree, runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';
import { FakeSystemd } from './support/fake-systemd.js';

const ROOT = path.resolve(__dirname, '..');
const temp = tempDirs();
const SEED = fs.readFileSync(path.join(ROOT, 'fixtures/seed/atelier.yaml'), 'utf8');

function setup() {
  const decl = temp('decl');
  const out = temp('out');
  const systemd = new FakeSystemd();
  fs.writeFileSync(path.join(decl, 'atelier.yaml'), SEED);
  const apply = (extra: string[] = [], health = instantHealth(), runner = systemd.runner) => runCli(['--config', decl, '--out', out, '--apply', ...extra], { cwd: ROOT, runner, health });
  const check = () => runCli(['--config', decl, '--out', out, '--check'], { cwd: ROOT });
  const declare = (text: string) => fs.writeFileSync(path.join(decl, 'atelier.yaml'), text);
  return { decl, out, systemd, apply, check, declare };
}

const UNITS = 'atelier-backup-myapp.timer atelier-check.timer atelier-prune.timer caddy.service myapp.service';

describe('--apply converges every run', () => {
  it('first run: users, folders, reload, then every declared unit enabled and started', async () => {
    const { out, systemd, apply } = setup();
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(systemd.take()).toEqual([
      `systemd-sysusers ${out}/sysusers.d/atelier-myapp.conf`,
      `systemd-tmpfiles --create ${out}/tmpfiles.d/atelier-myapp.conf`,
      'systemctl daemon-reload',
      `systemctl enable --now ${UNITS}`,
    ]);
    expect(fs.existsSync(path.join(out, PENDING_PATH))).toBe(false);
  });

  it('an unchanged run touches no unit; users and folders are still made sure of', async () => {
    const { out, systemd, apply } = setup();
    await apply();
    systemd.take();
    const pid = systemd.unit('myapp.service').pid;
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(systemd.take()).toEqual([`systemd-sysusers ${out}/sysusers.d/atelier-myapp.conf`, `systemd-tmpfiles --create ${out}/tmpfiles.d/atelier-myapp.conf`]);
    expect(systemd.unit('myapp.service').pid).toBe(pid);
  });

  it('brings back a unit stopped or disabled by hand and one whose start failed, with no declaration change', async () => {
    const { systemd, apply } = setup();
    await apply();
    systemd.set('myapp.service', { active: 'failed', sub: 'failed', pid: 0 });
    systemd.set('atelier-prune.timer', { active: 'inactive', file: 'disabled' });
    systemd.set('caddy.service', { active: 'inactive', sub: 'dead' });
    const timerPid = systemd.unit('atelier-backup-myapp.timer').pid;
    systemd.take();
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(systemd.take().slice(2)).toEqual(['systemctl reset-failed myapp.service', 'systemctl enable --now atelier-prune.timer caddy.service myapp.service']);
    expect(systemd.unit('myapp.service').active).toBe('active');
    expect(systemd.unit('atelier-backup-myapp.timer').pid).toBe(timerPid);
  });

  it('restarts a changed service and reloads Caddy for a changed site; a stopped changed service is started once', async () => {
    const { systemd, apply, declare } = setup();
    await apply();
    systemd.take();
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('host actions on --apply:\n  systemctl daemon-reload\n  restart: myapp.service\n  reload: caddy.service\n');
    expect(systemd.take().slice(2)).toEqual(['systemctl daemon-reload', 'systemctl restart myapp.service', 'systemctl try-reload-or-restart caddy.service']);
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3002'));
    systemd.set('myapp.service', { active: 'inactive', pid: 0 });
    systemd.set('caddy.service', { active: 'inactive', pid: 0 });
    expect((await apply()).code).toBe(0);
    expect(systemd.take().slice(2)).toEqual(['systemctl daemon-reload', 'systemctl enable --now caddy.service myapp.service']);
  });

  it('finishes an activation cut short: a restart that failed is done by the next run though nothing changed since', async () => {
    const { out, systemd, apply, check, declare } = setup();
    await apply();
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
    systemd.failing.push('systemctl restart');
    systemd.take();
    const failed = await apply();
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('activation failed at: systemctl restart myapp.service (exit 1)');
    expect(JSON.parse(fs.readFileSync(path.join(out, PENDING_PATH), 'utf8'))).toMatchObject({ daemonReload: true, restart: ['myapp.service'], reload: ['caddy.service'] });
    // The files are written; --check still says an activation is owed.
    const owed = await check();
    expect(owed.code).toBe(1);
    expect(owed.stderr).toContain('an earlier --apply did not finish activating');
    systemd.failing.length = 0;
    systemd.take();
    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('restart: myapp.service  (myapp.service left by an unfinished run)');
    expect(systemd.take().slice(2)).toEqual(['systemctl daemon-reload', 'systemctl restart myapp.service', 'systemctl try-reload-or-restart caddy.service']);
    expect(fs.existsSync(path.join(out, PENDING_PATH))).toBe(false);
    systemd.take();
    expect((await apply()).code).toBe(0);
    expect(systemd.take().slice(2)).toEqual([]);
  });

  it('enable: false stops and disables the service and removes its files, without --prune', async () => {
    const { out, systemd, apply, declare } = setup();
    declare(`${SEED}  other:\n    description: other\n    runtime: node\n    enable: true\n    domain: other.example.com\n    port: 4000\n`);
    await apply();
    expect(systemd.unit('other.service').active).toBe('active');
    systemd.take();
    declare(`${SEED}  other:\n    description: other\n    runtime: node\n    enable: false\n    domain: other.example.com\n    port: 4000\n`);
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stop and disable: other.service');
    expect(systemd.take()).toContain('systemctl disable --now other.service');
    expect(systemd.unit('other.service')).toMatchObject({ active: 'inactive', file: 'disabled' });
    const left = [...readTree(out).keys()].filter((p) => p.includes('other'));
    expect(left).toEqual([]);
    expect(systemd.unit('myapp.service').active).toBe('active');
    // A service that disappeared from the declarations is only stale (kept) without --prune.
    declare(SEED);
    systemd.take();
    expect((await apply()).code).toBe(0);
    expect(systemd.take().filter((c) => c.includes('disable'))).toEqual([]);
  });
});

describe('health after --apply', () => {
  it('a service whose healthUrl fails ends the run with exit 3, its name and its journal', async () => {
    const { systemd, apply } = setup();
    const r = await apply(['--health-timeout', '5'], instantHealth(async () => 502));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not healthy: myapp.service its healthUrl https://myapp.dunkirk.sh/health answered 502 within 5 s');
    expect(r.stderr).toContain('myapp.service: listening failed: EADDRINUSE');
    expect(systemd.take()).toContain('journalctl -u myapp.service -n 20 --no-pager -o short-iso');
  });

  it('a service without healthUrl must stay up: one that crashes after starting is exit 3', async () => {
    const { systemd, apply, declare } = setup();
    declare(SEED.replace(/ +healthUrl: .*\n/, ''));
    expect((await apply()).code).toBe(0);
    declare(SEED.replace(/ +healthUrl: .*\n/, '').replace('defaultPort: 3000', 'defaultPort: 3001'));
    let looks = 0;
    // After the restart, the second look finds it crashed and waiting to restart.
    const crashing = async (argv: string[]) => {
      if (argv[1] === 'show' && argv.some((a) => a.includes('NRestarts')) && ++looks === 2) systemd.set('myapp.service', { active: 'activating', sub: 'auto-restart', restarts: 1 });
      return systemd.runner(argv);
    };
    const r = await apply([], instantHealth(), crashing);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not healthy: myapp.service did not stay up: it crashed and is waiting to restart');
  });

  it('a service that stays up passes without a healthUrl, after the settle time', async () => {
    const { systemd, apply, declare } = setup();
    declare(SEED.replace(/ +healthUrl: .*\n/, ''));
    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    // Looked at more than once: it had to stay up, not merely be up.
    expect(systemd.unit('myapp.service').active).toBe('active');
  });

  it('with --rollback-on-failure, the previous files are put back and the previous version restarted', async () => {
    const { out, systemd, apply, check, declare } = setup();
    expect((await apply()).code).toBe(0);
    const before = readTree(out);
    declare(SEED.replace('defaultPort: 3000', 'defaultPort: 3001'));
    systemd.take();
    const r = await apply(['--rollback-on-failure'], instantHealth(async () => 503));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not healthy: myapp.service');
    expect(r.stderr).toContain('rolled back: the previous files are in place again');
    expect(readTree(out)).toEqual(before);
    const commands = systemd.take();
    expect(commands.filter((c) => c.startsWith('systemctl restart'))).toEqual(['systemctl restart myapp.service', 'systemctl restart myapp.service']);
    expect(fs.existsSync(path.join(out, PENDING_PATH))).toBe(false);
    // The rolled-back tree is exactly what the previous declarations give, ownership record included.
    declare(SEED);
    expect((await check()).code).toBe(0);
  });
});
