// The restore's order and its failure handling, with a recording runner.
// What the commands do to a real service is proven on the booted host
// (test/host/restore.test.ts); here: what runs, in which order, and what a
// failure part-way leaves and says.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { restore } from '../src/restore/run.js';
import { age, bytes } from '../src/restore/snapshots.js';
import * as path from 'node:path';
import { runCli } from './support/cli.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';

const SNAPSHOT = { id: 'f'.repeat(64), short_id: 'ffffffff', time: '2026-11-30T02:00:00Z', tags: ['service:app', 'type:sqlite'], paths: [] };
const model = makeModel([
  makeService('app', { data: { ...makeService('app').data, sqlite: '/var/lib/app/data/app.db', files: ['/var/lib/app/data/uploads', '/srv/app-media'], stopUnits: ['worker.service'] } }),
  makeService('ledger', { data: { ...makeService('ledger').data, postgres: 'ledger' } }),
  makeService('web'),
]);
const options = { snapshot: 'latest', target: null, into: null, stamp: '20261130T100000' };

function recorder(failWhen: (argv: string[]) => boolean = () => false) {
  const ran: string[][] = [];
  const run = async (argv: string[]): Promise<StepResult> => {
    ran.push(argv);
    if (failWhen(argv)) return { command: argv, code: 1, output: 'boom' };
    if (argv.includes('snapshots')) return { command: argv, code: 0, output: JSON.stringify([SNAPSHOT]) };
    if (argv.includes('PRAGMA integrity_check')) return { command: argv, code: 0, output: 'ok\n' };
    if (argv.includes('is-active')) return { command: argv, code: 0, output: 'active\n' };
    return { command: argv, code: 0, output: '' };
  };
  let said = '';
  return { ran, run, say: (t: string) => (said += t), said: () => said };
}

const index = (ran: string[][], match: (argv: string[]) => boolean) => ran.findIndex(match);

describe('atelier-emit restore (in place)', () => {
  it('checks the snapshot before stopping anything, replaces only after the stop, starts after the integrity check', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'app' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    const at = (m: (a: string[]) => boolean) => index(r.ran, m);
    const restic = at((a) => a.includes('restore'));
    const checkCopy = at((a) => a[0] === 'sqlite3');
    const stop = at((a) => a[1] === 'stop');
    const firstMove = at((a) => a.some((w) => w.includes('before-restore')));
    const liveCheck = at((a) => a[0] === 'runuser' && a.includes('PRAGMA integrity_check'));
    const start = at((a) => a[1] === 'start');
    expect([restic, checkCopy, stop, firstMove, liveCheck, start].every((v, i, all) => v >= 0 && (i === 0 || v > all[i - 1]))).toBe(true);
    // The service and its stopUnits, stopped and started together.
    expect(r.ran[stop]).toEqual(['/usr/bin/systemctl', 'stop', 'app.service', 'worker.service']);
    // The folder holds uploads: only the folder and the file outside it are replaced.
    const asides = r.ran.filter((a) => a[0] === 'sh' && a[2].startsWith('if [ -e "$1" ] || [ -L')).map((a) => a[4]);
    expect(asides).toEqual(['/var/lib/app/data', '/srv/app-media']);
    // restic reads the repository the units read.
    expect(r.ran[restic]).toEqual(expect.arrayContaining(['RESTIC_REPOSITORY_FILE=/etc/atelier/restic/repository', 'RESTIC_PASSWORD_FILE=/etc/atelier/restic/password', SNAPSHOT.id]));
    expect(r.said()).toContain('/var/lib/app/data -> /var/lib/app/data.before-restore-20261130T100000');
  });

  it('a failure after data was moved aside leaves the units stopped and says where the previous data is', async () => {
    const r = recorder((a) => a[0] === 'runuser' && a.includes('PRAGMA integrity_check'));
    expect(await restore({ model, options: { ...options, service: 'app' }, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran.some((a) => a[1] === 'start')).toBe(false);
    expect(r.ran.some((a) => a[0] === 'rm')).toBe(false);
    expect(r.said()).toMatch(/FAILED \d+\. integrity check of \/var\/lib\/app\/data\/app\.db/);
    expect(r.said()).toContain('/var/lib/app/data -> /var/lib/app/data.before-restore-20261130T100000');
    expect(r.said()).toContain('left stopped: app.service, worker.service');
  });

  it('a failure before anything was replaced starts the stopped units again', async () => {
    const r = recorder((a) => a.some((w) => w.includes('before-restore')));
    expect(await restore({ model, options: { ...options, service: 'app' }, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran.at(-1)).toEqual(['/usr/bin/systemctl', 'start', 'app.service', 'worker.service']);
    expect(r.said()).toContain('nothing was replaced; started app.service, worker.service again');
  });

  it('PostgreSQL in place: the live database is renamed aside, then recreated from the dump', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'ledger' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    const sql = r.ran.filter((a) => a.includes('psql')).map((a) => a.at(-1));
    expect(sql[1]).toBe('ALTER DATABASE "ledger" RENAME TO "ledger_before_restore_20261130T100000"');
    expect(r.ran.find((a) => a.includes('--create'))).toEqual(expect.arrayContaining(['/var/tmp/atelier-restore-ledger-20261130T100000/run/atelier-backup-ledger/postgres/ledger.dump', '--dbname=postgres']));
  });
});

describe('atelier-emit restore: modes and refusals', () => {
  it('--dry-run only looks the snapshot up and prints the plan', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'app' }, dryRun: true, run: r.run, say: r.say })).toBe('ok');
    expect(r.ran).toHaveLength(1);
    expect(r.ran[0]).toContain('snapshots');
    expect(r.said()).toMatch(/stop app\.service, worker\.service\n\s+\$ \/usr\/bin\/systemctl stop app\.service worker\.service/);
    expect(r.said()).toContain('dry run: nothing was done.');
  });

  it('--target touches no unit and no live path', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'app', target: '/tmp/r' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.ran.some((a) => a.includes('/usr/bin/systemctl'))).toBe(false);
    expect(r.ran.at(-1)).toEqual(['mv', '-T', '--', '/tmp/r/run/atelier-backup-app/sqlite/app.db', '/tmp/r/var/lib/app/data/app.db']);
  });

  it('--into creates a new database and leaves the service running', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'ledger', into: 'ledger_copy' }, dryRun: false, run: r.run, say: r.say })).toBe('ok');
    expect(r.ran.some((a) => a.includes('/usr/bin/systemctl'))).toBe(false);
    expect(r.ran.find((a) => a.includes('createdb'))?.at(-1)).toBe('ledger_copy');
    expect(r.ran.some((a) => a.some((w) => w.includes('RENAME')))).toBe(false);
  });

  it.each([
    [{ service: 'nope' }, /no enabled service named "nope"/],
    [{ service: 'web' }, /declares no data/],
    [{ service: 'app', into: 'x' }, /declares no data\.postgres/],
    [{ service: 'ledger', into: 'ledger' }, /must name a new database/],
    [{ service: 'ledger', into: 'a;drop' }, /must name a new database/],
    [{ service: 'app', target: 'rel' }, /absolute/],
  ])('refuses %o before running anything', async (o, message) => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, ...o } as never, dryRun: false, run: r.run, say: r.say })).toBe('invalid');
    expect(r.ran).toEqual([]);
    expect(r.said()).toMatch(message);
  });

  it('a snapshot ID of another service is refused', async () => {
    const r = recorder();
    expect(await restore({ model, options: { ...options, service: 'ledger', snapshot: 'ffffffff' }, dryRun: false, run: r.run, say: r.say })).toBe('failed');
    expect(r.ran).toHaveLength(1);
    expect(r.said()).toContain('no snapshot ffffffff of ledger');
  });

  it('without backups enabled there is nothing to restore', async () => {
    const r = recorder();
    const off = makeModel(model.services, makeHost({ backup: { ...makeHost().backup, enable: false } }));
    expect(await restore({ model: off, options: { ...options, service: 'app' }, dryRun: false, run: r.run, say: r.say })).toBe('invalid');
  });
});

describe('atelier-emit backups: age and size', () => {
  it('formats ages and sizes', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    expect([age(now, { time: '2026-11-30T11:59:30Z' }), age(now, { time: '2026-11-30T11:00:00Z' }), age(now, { time: '2026-11-29T12:00:00Z' }), age(now, { time: '2026-11-20T12:00:00Z' })]).toEqual(['30 s ago', '60 min ago', '24 h ago', '10 d ago']);
    expect([bytes(512), bytes(2048), bytes(5 * 1024 ** 3)]).toEqual(['512 B', '2.0 KiB', '5.0 GiB']);
  });
});

describe('the CLI subcommands', () => {
  const ROOT = path.resolve(__dirname, '..');
  const FLEET = 'fixtures/fleet/atelier.yaml';

  it('restore: an unknown service is invalid (exit 2), nothing run', async () => {
    const ran: string[][] = [];
    const r = await runCli(['restore', 'nope', '--config', FLEET], { cwd: ROOT, runner: async (command) => (ran.push(command), { command, code: 0, output: '' }) });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/no enabled service named "nope"/);
    expect(ran).toEqual([]);
  });

  it('restore --dry-run: the plan, exit 0; backups: the snapshots per service', async () => {
    const runner = async (command: string[]) => ({ command, code: 0, output: command.includes('stats') ? '{"total_size":2048}' : JSON.stringify([{ ...SNAPSHOT, tags: ['service:indiko'] }]) });
    const dry = await runCli(['restore', 'indiko', '--config', FLEET, '--dry-run'], { cwd: ROOT, runner });
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/^restore of indiko \(in place\):/);
    const listed = await runCli(['backups', '--config', FLEET], { cwd: ROOT, runner });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^indiko: 1 snapshot\n {2}ffffffff {2}2026-11-30 02:00:00 +\d+ (s|min|h|d) ago +2\.0 KiB\nledger: no snapshot\n$/);
  });
});
