// `atelier-emit backups`: the listing of each service's snapshots, against a
// scripted restic. Newest first, counted, aged and sized; a unit changes at
// its bound; what restic cannot say is a `?`, never a crash.
import { describe, expect, it } from 'vitest';
import type { StepResult } from '../src/apply.js';
import { age, bytes, listBackups } from '../src/restore/snapshots.js';
import { makeModel, makeService } from './support/model-builders.js';

const withData = (name: string) => makeService(name, { data: { ...makeService(name).data, sqlite: `/var/lib/${name}/data/app.db` } });
const model = makeModel([withData('app'), withData('blog'), makeService('web')]);
const snap = (id: string, time: string, service: string) => ({ id: id.repeat(64), short_id: id.repeat(8), time, tags: [`service:${service}`, 'type:sqlite'], paths: [] });
const NOW = new Date('2026-11-30T12:00:00Z');

function restic(snapshots: unknown[], stats: (id: string) => StepResult['output'] | null = () => '{"total_size": 1536}') {
  const commands: string[][] = [];
  const run = async (argv: string[]): Promise<StepResult> => {
    commands.push(argv);
    if (argv.includes('snapshots')) return { command: argv, code: 0, output: JSON.stringify(snapshots) };
    const out = stats(argv[argv.length - 1]);
    return { command: argv, code: out === null ? 1 : 0, output: out ?? 'repository locked' };
  };
  return { run, commands };
}

async function listing(service: string | null, r: ReturnType<typeof restic>): Promise<[boolean, string]> {
  let text = '';
  const ok = await listBackups({ model, service, run: r.run, now: NOW, say: (t) => (text += t) });
  return [ok, text];
}

describe('the snapshot listing', () => {
  it('lists each service with data, newest first, with a count that agrees in number', async () => {
    const r = restic([snap('a', '2026-11-30T02:00:00Z', 'app'), snap('b', '2026-11-30T11:00:00Z', 'app'), snap('c', '2026-11-29T02:00:00Z', 'blog')], (id) => (id.startsWith('b') ? null : id.startsWith('c') ? 'not json' : '{"total_size": 1536}'));
    const [ok, text] = await listing(null, r);
    expect(ok).toBe(true);
    expect(text).toBe(
      'app: 2 snapshots\n' +
        '  bbbbbbbb  2026-11-30 11:00:00  60 min ago           ?\n' +
        '  aaaaaaaa  2026-11-30 02:00:00   10 h ago     1.5 KiB\n' +
        'blog: 1 snapshot\n' +
        '  cccccccc  2026-11-29 02:00:00   34 h ago           ?\n',
    );
    // One listing of the whole repository, restricted to this machine's snapshots.
    expect(r.commands.filter((c) => c.includes('snapshots'))).toHaveLength(1);
    expect(r.commands[0].slice(-4)).toEqual(['snapshots', '--json', '--host', expect.any(String)]);
  });

  it('lists one service when asked, and says when it has none', async () => {
    const [ok, text] = await listing('blog', restic([snap('a', '2026-11-30T02:00:00Z', 'app')]));
    expect([ok, text]).toEqual([true, 'blog: no snapshot\n']);
  });

  it('refuses a service without data or not declared, without asking restic', async () => {
    for (const name of ['web', 'nope']) {
      const r = restic([]);
      const [ok, text] = await listing(name, r);
      expect([ok, text]).toEqual([false, `error: no enabled service named "${name}" with data to back up in the declarations\n`]);
      expect(r.commands).toEqual([]);
    }
  });

  it('with no service named, a model without data lists nothing and succeeds', async () => {
    let text = '';
    const ok = await listBackups({ model: makeModel([makeService('web')]), service: null, run: restic([]).run, now: NOW, say: (t) => (text += t) });
    expect([ok, text]).toEqual([true, '']);
  });

  it('says when restic cannot list, with its words', async () => {
    const run = async (argv: string[]): Promise<StepResult> => ({ command: argv, code: 1, output: 'Fatal: wrong password\n' });
    let text = '';
    expect(await listBackups({ model, service: null, run, now: NOW, say: (t) => (text += t) })).toBe(false);
    expect(text).toBe('error: restic could not list the snapshots:\nFatal: wrong password\n');
  });
});

describe('ages and sizes at their bounds', () => {
  const ago = (seconds: number) => age(NOW, { time: new Date(NOW.getTime() - seconds * 1000).toISOString() });

  it('seconds below 2 minutes, minutes below 2 hours, hours below 2 days, then days; never negative', () => {
    expect([ago(0), ago(119), ago(120), ago(7199), ago(7200), ago(172_799), ago(172_800), ago(-60)]).toEqual(['0 s ago', '119 s ago', '2 min ago', '120 min ago', '2 h ago', '48 h ago', '2 d ago', '0 s ago']);
  });

  it('bytes below 1 KiB whole, then one decimal, up to TiB', () => {
    expect([bytes(0), bytes(1023), bytes(1024), bytes(1024 ** 2 - 1), bytes(5 * 1024 ** 2), bytes(1024 ** 3), bytes(1024 ** 4), bytes(1024 ** 5), bytes(Number.NaN), bytes(Infinity)]).toEqual(['0 B', '1023 B', '1.0 KiB', '1024.0 KiB', '5.0 MiB', '1.0 GiB', '1.0 TiB', '1024.0 TiB', '?', '?']);
  });
});
