// systemd's calendar events (OnCalendar=), read as systemd 252 reads them
// (systemd.time(7), "CALENDAR EVENTS"). A schedule systemd refuses leaves its timer
// without a trigger: `systemctl enable` then fails on the host, long after `validate`
// and `--check` said all was well. test/calendar.test.ts holds this reading to
// `systemd-analyze calendar` on generated expressions.

const SHORTHANDS = new Set(['minutely', 'hourly', 'daily', 'monthly', 'weekly', 'yearly', 'annually', 'anually', 'quarterly', 'semiannually', 'semi-annually', 'biannually', 'bi-annually']);
// Longest first: `Monday` is one name, not `Mon` followed by `day`.
const WEEKDAYS = ['monday', 'mon', 'tuesday', 'tue', 'wednesday', 'wed', 'thursday', 'thu', 'friday', 'fri', 'saturday', 'sat', 'sunday', 'sun'];
const SECOND = 1_000_000; // systemd keeps seconds as microseconds
const INT_MAX = 2 ** 31 - 1;
// A chain of more comma-separated values than this is refused (systemd's CALENDARSPEC_COMPONENTS_MAX + 1).
const MAX_VALUES = 241;
// `@<seconds>` must fall before 2200 (systemd's last year is 2199).
const LAST_EPOCH_SECOND = Date.UTC(2200, 0, 1) / 1000 - 1;

/** One value of a field: `start`, `start..stop`, `start/repeat`, `start..stop/repeat` (stop -1: none). */
interface Value {
  start: number;
  stop: number;
  repeat: number;
}

// Thrown at the first thing systemd would refuse; nothing else in this file throws.
const refuse = (): never => {
  throw new Error();
};

/** Whether systemd reads `text` as a calendar event; `isTimeZone` judges a trailing zone name. */
export function isCalendarEvent(text: string, isTimeZone: (name: string) => boolean = knownTimeZone): boolean {
  try {
    readEvent(withoutTimeZone(text, isTimeZone));
    return true;
  } catch {
    return false;
  }
}

/**
 * A time zone Node's ICU knows, spelt as tzdata names its file: systemd looks the file up
 * by name, where ICU ignores case (`EUROPE/PARIS`). An alias (`US/Eastern`) resolves to
 * another name, so only its shape can be checked: each part capitalised.
 */
function knownTimeZone(name: string): boolean {
  if (!/^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/.test(name)) return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  return resolved.toLowerCase() !== name.toLowerCase() || resolved === name;
}

/** The text before a trailing time zone: ` UTC` in any case, or a zone systemd finds in tzdata. */
function withoutTimeZone(text: string, isTimeZone: (name: string) => boolean): string {
  const space = text.lastIndexOf(' ');
  if (space === -1) return text;
  const zone = text.slice(space + 1);
  return zone.toLowerCase() === 'utc' || isTimeZone(zone) ? text.slice(0, space) : text;
}

function readEvent(text: string): void {
  if (text === '') refuse();
  if (SHORTHANDS.has(text.toLowerCase())) return;
  const reader = new Reader(text);
  reader.weekdays();
  if (!reader.epoch()) {
    const { year, month, day, endOfMonth } = reader.date();
    const { hour, minute, second } = reader.time();
    if (year) checkValues(year.map(fullYear), 1970, 2199, false);
    if (month) checkValues(month, 1, 12, false);
    if (day) checkValues(day, 1, 31, endOfMonth);
    if (hour) checkValues(hour, 0, 23, false);
    if (minute) checkValues(minute, 0, 59, false);
    if (second) checkValues(second, 0, 60 * SECOND - 1, false);
  }
  if (!reader.atEnd()) refuse();
}

/** Two-digit years are this century's below 70 and the last one's from 70. */
function fullYear({ start, stop, repeat }: Value): Value {
  const widen = (year: number) => (year >= 0 && year < 70 ? year + 2000 : year >= 70 && year < 100 ? year + 1900 : year);
  return { start: widen(start), stop: widen(stop), repeat };
}

/**
 * systemd's bounds of one field: every value in range; a range's end, once cut to a whole
 * number of repetitions, in range and not before its start; a repetition without an end
 * fitting at least once (backwards from the month's end after `~`).
 */
function checkValues(values: readonly Value[], from: number, to: number, fromMonthEnd: boolean | undefined): void {
  const cut = values.map((value) => {
    if (value.stop < 0) return value;
    if (value.stop < value.start) refuse();
    return { ...value, stop: value.stop - ((value.stop - value.start) % value.repeat) };
  });
  // After `~`, systemd 252 takes three days off the last day for each distinct value in
  // turn, in order (its check recurses with the bound already lowered): `*-*~3,28` is refused.
  const ordered = fromMonthEnd ? distinctInOrder(cut) : cut;
  let last = to;
  for (const { start, stop, repeat } of ordered) {
    if (fromMonthEnd) last -= 3;
    if (start < from || start > last) refuse();
    if (stop >= 0) {
      if (stop > last) refuse();
    } else if (fromMonthEnd ? start - repeat < from : start + repeat > last) {
      refuse();
    }
  }
}

function distinctInOrder(values: readonly Value[]): Value[] {
  const sorted = [...values].sort((a, b) => a.start - b.start || a.stop - b.stop || a.repeat - b.repeat);
  return sorted.filter((v, i) => i === 0 || v.start !== sorted[i - 1].start || v.stop !== sorted[i - 1].stop || v.repeat !== sorted[i - 1].repeat);
}

class Reader {
  private at = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at === this.text.length;
  }

  private peek(offset = 0): string {
    return this.text.charAt(this.at + offset);
  }

  /** The separator after a field: the end, or one of `chars`. */
  private endsField(chars: string): boolean {
    return this.atEnd() || chars.includes(this.peek());
  }

  private skipSpaces(): void {
    while (this.peek() === ' ') this.at++;
  }

  /** `Mon`, `Mon,Wed`, `Mon..Fri` (or `Mon-Fri`), a trailing comma allowed; nothing when the text starts otherwise. */
  weekdays(): void {
    let open = -1; // the day a range started from
    for (let first = true; ; first = false) {
      const rest = this.text.slice(this.at).toLowerCase();
      const name = WEEKDAYS.find((day) => rest.startsWith(day));
      if (name === undefined) {
        if (first) return;
        refuse();
      }
      const day = WEEKDAYS.indexOf(name as string) >> 1;
      this.at += (name as string).length;
      if (!this.endsField('-., ')) refuse();
      if (open > day) refuse();
      if (this.atEnd()) return;
      if (this.peek() === ' ') return this.skipSpaces();
      if (this.peek() === '.') {
        if (open >= 0 || this.peek(1) !== '.') refuse();
        open = day;
        this.at += 2;
      } else if (this.peek() === '-') {
        if (open >= 0) refuse();
        open = day;
        this.at += 1;
      } else {
        open = -1;
        this.at += 1;
      }
      if (this.endsField(' ')) {
        this.skipSpaces();
        if (open >= 0) refuse();
        return;
      }
    }
  }

  /** `@<seconds since 1970>`, which is the whole event; false when the text does not start with `@`. */
  epoch(): boolean {
    if (this.peek() !== '@') return false;
    this.at++;
    // strtoul: leading white space, then a sign; a negative number wraps around (only -0 stays in range).
    while (/[ \t\n\v\f\r]/.test(this.peek())) this.at++;
    const sign = this.peek();
    if (sign === '-' || sign === '+') this.at++;
    const seconds = Number(this.digits());
    if (sign === '-' ? seconds !== 0 : seconds > LAST_EPOCH_SECOND) refuse();
    return true;
  }

  /** `[year-]month-day` (`~` before the day counts from the month's end); none when what follows is a time. Undefined fields are `*`. */
  date(): { year?: Value[]; month?: Value[]; day?: Value[]; endOfMonth?: boolean } {
    const begin = this.at;
    if (this.atEnd()) return {};
    const first = this.chain(false);
    if (this.endsField(':')) {
      this.at = begin;
      return {};
    }
    let endOfMonth = this.separator();
    const second = this.chain(false);
    if (this.endsField(' ')) {
      this.skipSpaces();
      return { month: first, day: second, endOfMonth };
    }
    if (endOfMonth) refuse();
    endOfMonth = this.separator();
    const third = this.chain(false);
    if (!this.endsField(' ')) refuse();
    this.skipSpaces();
    return { year: first, month: second, day: third, endOfMonth };
  }

  /** `-` or `~` between date fields: whether it was `~`. */
  private separator(): boolean {
    const sign = this.peek();
    if (sign !== '-' && sign !== '~') refuse();
    this.at++;
    return sign === '~';
  }

  /** `hour:minute[:second]`, all of it optional (midnight); undefined fields are `*`. */
  time(): { hour?: Value[]; minute?: Value[]; second?: Value[] } {
    if (this.atEnd()) return {};
    const hour = this.chain(false);
    this.expect(':');
    const minute = this.chain(false);
    if (this.atEnd()) return { hour, minute };
    this.expect(':');
    return { hour, minute, second: this.chain(true) };
  }

  private expect(char: string): void {
    if (this.peek() !== char) refuse();
    this.at++;
  }

  /** `*` (undefined) or comma-separated values; seconds in microseconds, with up to six decimals. */
  private chain(seconds: boolean): Value[] | undefined {
    if (this.peek() === '*') {
      this.at++;
      return undefined;
    }
    const values: Value[] = [];
    for (;;) {
      if (values.length === MAX_VALUES) refuse();
      const start = this.number(seconds);
      let stop = -1;
      let repeat = 0;
      if (this.peek() === '.' && this.peek(1) === '.') {
        this.at += 2;
        stop = this.number(seconds);
        repeat = seconds ? SECOND : 1;
      }
      if (this.peek() === '/') {
        this.at++;
        repeat = this.number(seconds);
        if (repeat === 0) refuse();
      } else if (seconds && stop >= 0 && start + repeat > stop) {
        // A range of seconds without a repetition repeats every second: it must span one.
        refuse();
      }
      // What may follow (systemd: the end, ` `, `,`, `-`, `~`, `:`) is up to the caller.
      values.push({ start, stop, repeat });
      if (this.peek() !== ',') return values;
      this.at++;
    }
  }

  /** One or more digits (ASCII, as isdigit() reads them). */
  private digits(): string {
    const begin = this.at;
    while (this.peek() >= '0' && this.peek() <= '9') this.at++;
    if (this.at === begin) refuse();
    return this.text.slice(begin, this.at);
  }

  private number(seconds: boolean): number {
    let value = Number(this.digits());
    if (seconds) {
      value *= SECOND;
      if (this.peek() === '.' && this.peek(1) !== '.') {
        this.at++;
        value += this.fraction();
      }
    }
    if (value > INT_MAX) refuse();
    return value;
  }

  /** Microseconds of a fraction: six digits, rounded on the seventh, the rest read and dropped. */
  private fraction(): number {
    const text = this.digits();
    const micro = Number(text.slice(0, 6).padEnd(6, '0'));
    return text.charAt(6) >= '5' ? micro + 1 : micro;
  }
}
