// Calendar events (OnCalendar=, the backup, prune and check schedules) are read
// as systemd reads them: every expression here, written and generated, is also
// given to `systemd-analyze calendar` (systemd 252 of Debian 12), and the two
// must agree on which ones are calendar events.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCalendarEvent } from '../src/declarations/calendar.js';
import { formatProblem } from '../src/declarations/value-formats.js';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** The expressions `systemd-analyze calendar` reads (one run for all of them, each on one line). */
function systemdReads(expressions: readonly string[]): Set<string> {
  const unique = [...new Set(expressions)];
  expect(unique.filter((e) => e.includes('\n'))).toEqual([]);
  const r = spawnSync('systemd-analyze', ['calendar', '--', ...unique], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const refused = new Set<string>();
  for (const line of r.stderr.split('\n')) {
    const failed = /^Failed to parse calendar specification '(.*)': /.exec(line);
    if (failed) refused.add(failed[1]);
  }
  // Every expression is accounted for: refused by name, or read. systemd shows the normalized
  // form of what it read, or says it read it but found no next time (`1/9-* America/New_York`).
  const shown = r.stdout.split('\n').filter((line) => line.startsWith('Normalized form: ')).length
    + r.stderr.split('\n').filter((line) => line.startsWith('Failed to determine next elapse for ')).length;
  expect(unique.filter((e) => refused.has(e)).length).toBe(refused.size);
  expect(shown).toBe(unique.length - refused.size);
  return new Set(unique.filter((e) => !refused.has(e)));
}

/** Where this reading and systemd's differ: `[expression, what systemd says]`. */
function disagreements(expressions: readonly string[]): [string, 'reads' | 'refuses'][] {
  const read = systemdReads(expressions);
  return expressions.filter((e) => isCalendarEvent(e) !== read.has(e)).map((e) => [e, read.has(e) ? 'reads' : 'refuses']);
}

const ACCEPTED = [
  '02:00', '2:0', 'Sun *-*-* 05:00:00', 'Mon..Fri 02:00', 'Mon-Fri 02:00', 'mon,wed,FRIDAY 02:00', 'Mon, 02:00', 'Sat,Sun', 'Monday',
  '*:0/15', '*:*:0/10', '*-02~03', '*-*~28', '*-*~1..28', '*-*~3..5/2', '*-*~28/27', '*-*~2/1', '*-*~26,26', '*-*~3,3', '*-*~*', '*~3', '1~3', '2026-12-01', '26-12-01', '99-1-1', '2199-12-31',
  '1970/229-1-1', '*-*-* 5..5:00', '*-*-* 1..5/10:00', '0/23:00', '*:58/1', '*:*:59.999999', '*:*:1..2.5', '*:*:1..2/2', '*:*:0/0.5', '*:*:1.1234565',
  '*-*-* ', '*-*-*', '02:00 UTC', '02:00 utc', 'daily UTC', 'Sun 05:00 America/New_York', 'Sat,Sun 02:00 Etc/GMT+1', '02:00 Europe/Paris',
  'minutely', 'hourly', 'DAILY', 'weekly', 'monthly', 'yearly', 'annually', 'anually', 'quarterly', 'semiannually', 'semi-annually', 'biannually', 'bi-annually',
  '00-01-01', '70-1-1', '70/200-01-01', '0..0/24:00', '*-*~23/1,23/2,23/1', '*:*:1..2', '*:1..2/2147483647', '*:*:59.9999994', '09:09:09',
  '02:00 US/Eastern', '02:00 EST5EDT', '02:00 America/Argentina/Buenos_Aires',
  '@0', '@1234', '@-0', '@+5', '@ 5', '@\t5', '@\v5', `@${Date.UTC(2200, 0, 1) / 1000 - 1}`, 'Mon @5', `*:${Array.from({ length: 241 }, (_, i) => i % 60).join(',')}`,
];
const REFUSED = [
  '', ' ', 'banana', '02:00 ', ' 02:00', '02', '24:00', '02:60', '*:*:60', '*:*:59.9999995', '5..4:00', '*:*:1..1', '*:*:1.5..2', '23/1:00', '*:59/1', '0/24:00',
  '*-*~1/1', '*-*~27/27', '*-*~28..1', '*-*~29', '*-*~3,28', '*-*~26,25', '*-*~3..5,3..4,3..3,1/2,1,2,3,4', '*-13-01', '*-*-32', '*-00-01', '2200-01-01', '1969-12-31', '2199/1-1-1', '1970/230-1-1', '*:*:0/60',
  '*:0/0', '*:*:1.', '*:1.5', 'Mond 02:00', 'Mon.. 02:00', 'Mon- 02:00', 'Fri..Mon', 'Mon.Fri', 'Mon..Tue..Wed', '*-*~*-1', '1~2-3', 'UTC', ' UTC',
  '5..0:00', 'Mon-Tue-Wed', 'Tue-Wed-Thu', '100-01-01', '*-*~3..26,3..20', '*-*~3..20,3..26', '*-*~23..24,23..25,23..26', 'Mon,02:00', 'Mon.-Fri 02:00', '@5*:00', '*-*-*5:00',
  '1.x5:00', '1x.5:00', '*:*:0..0', '*:1..2/2147483648', '*:*:59.5/0.5', '02:00 us/Eastern', '02:00 US/eastern', '02:00 EUROPE/PARIS', '02:00 Europe/Pariss', '02:00 Mars/Base', '*/15', '*:*/15', '@', '@x', '@-1', `@${Date.UTC(2200, 0, 1) / 1000}`, '@5 ', '@5 02:00',
  `*:${Array.from({ length: 242 }, (_, i) => i % 60).join(',')}`, '02:00;reboot', '"02:00"', '02:00\t', '2147483648:00', '*:*:2148',
];

describe('calendar events', () => {
  it('agrees with systemd-analyze on the written cases (each list holds what systemd 252 says)', () => {
    expect(ACCEPTED.filter((e) => !isCalendarEvent(e))).toEqual([]);
    expect(REFUSED.filter((e) => isCalendarEvent(e))).toEqual([]);
    expect(disagreements([...ACCEPTED, ...REFUSED])).toEqual([]);
  });

  it('agrees with systemd-analyze on generated expressions, valid and damaged', () => {
    // Numbers mostly in a field's range, now and then just outside it.
    const inRange = (low: number, high: number) => fc.oneof({ weight: 8, arbitrary: fc.integer({ min: low, max: high }) }, { weight: 1, arbitrary: fc.constantFrom(low - 1, high + 1) }).map((n) => `${Math.max(n, 0)}`);
    const value = (n: fc.Arbitrary<string>, repeat: fc.Arbitrary<string>) =>
      fc.tuple(n, n, repeat, fc.nat(5)).map(([start, stop, every, shape]) =>
        shape < 2 ? start : shape === 2 ? `${start}..${stop}` : shape === 3 ? `${start}/${every}` : `${start}..${stop}/${every}`);
    const chain = (n: fc.Arbitrary<string>, repeat: fc.Arbitrary<string>) =>
      fc.oneof(fc.constant('*'), fc.array(value(n, repeat), { minLength: 1, maxLength: 3 }).map((v) => v.join(',')));
    const small = inRange(1, 12);
    const years = fc.oneof(inRange(0, 99), fc.constantFrom('1969', '1970', '2026', '2199', '2200'));
    const seconds = fc.tuple(inRange(0, 59), fc.option(fc.stringMatching(/^\d{1,8}$/), { nil: undefined })).map(([n, f]) => (f === undefined ? n : `${n}.${f}`));
    const day = fc.constantFrom('Mon', 'mon', 'Monday', 'Tue', 'Wed', 'Thursday', 'Fri', 'SAT', 'Sun', 'Sunday');
    const weekdays = fc.array(fc.tuple(day, fc.constantFrom(',', ',', '..', '-', '')), { minLength: 1, maxLength: 3 }).map((ds) => `${ds.map(([d, sep]) => d + sep).join('')} `);
    const monthDay = fc.tuple(chain(inRange(1, 12), small), fc.constantFrom('-', '-', '~'), chain(inRange(1, 31), small)).map(([m, s, d]) => `${m}${s}${d}`);
    const date = fc.oneof(monthDay.map((md) => `${md} `), fc.tuple(chain(years, small), monthDay).map(([y, md]) => `${y}-${md} `));
    const hm = fc.tuple(chain(inRange(0, 23), small), chain(inRange(0, 59), inRange(1, 30))).map(([h, m]) => `${h}:${m}`);
    const time = fc.oneof(hm, fc.tuple(hm, chain(seconds, fc.oneof(inRange(1, 30), seconds))).map(([t, s]) => `${t}:${s}`));
    const zone = fc.constantFrom('', '', '', ' UTC', ' utc', ' Europe/Paris', ' America/New_York', ' Etc/GMT+5', ' europe/paris', ' Mars/Base', ' Asia/Kolkata');
    const event = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.option(weekdays, { nil: '' }), fc.option(date, { nil: '' }), fc.option(time, { nil: '' }), zone).map((parts) => parts.join('')) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('daily', 'Weekly', 'quarterly', 'bi-annually', 'fortnightly'), zone).map((parts) => parts.join('')) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('@', '@-', '@+', '@ '), fc.oneof(fc.nat(), fc.constantFrom(7258118399, 7258118400))).map(([at, n]) => `${at}${n}`) },
    );
    // Damage: a character inserted or dropped somewhere.
    const damaged = fc.tuple(event, fc.nat(40), fc.constantFrom('', ' ', '.', '..', ',', '-', '~', ':', '/', '*', '0', '9', 'x')).map(([e, at, piece]) =>
      piece === 'x' ? e.slice(0, at % (e.length + 1)) + e.slice((at % (e.length + 1)) + 1) : e.slice(0, at % (e.length + 1)) + piece + e.slice(at % (e.length + 1)));
    const expressions = [...new Set([...fc.sample(event, { numRuns: 1500, seed: SEED }), ...fc.sample(damaged, { numRuns: 1500, seed: SEED + 1 })])];
    const read = systemdReads(expressions).size;
    expect(disagreements(expressions), `seed ${SEED}`).toEqual([]);
    // Both kinds are well represented (else the comparison says little).
    expect(read, `seed ${SEED}`).toBeGreaterThan(expressions.length / 20);
    expect(expressions.length - read, `seed ${SEED}`).toBeGreaterThan(expressions.length / 10);
  });

  it('is the check of the calendar format, with the message users read', () => {
    expect(formatProblem('calendar', 'Sun *-*-* 05:00:00')).toBeNull();
    expect(formatProblem('calendar', 'banana')).toBe('must be a systemd calendar expression such as 02:00 or Sun *-*-* 05:00:00 (see systemd.time(7); `systemd-analyze calendar` checks one)');
  });
});
