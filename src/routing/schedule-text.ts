/**
 * Office hours as written in the routing YAML, read into `Schedule` values:
 *
 *   weekly range   `mon-fri 09:00-17:30`, `sat 10:00-14:00`, `mon,wed,fri 08:00-12:00`,
 *                  `sat-sun 10:00-12:00` (a day range may wrap the week), `daily 00:00-24:00`;
 *                  from < to, 24:00 allowed as the end.
 *   holiday        `2026-12-25`, a range `2026-12-24..2026-12-26`, yearly `12-25` (a yearly range
 *                  may wrap the new year: `12-31..01-01`), part of a day `2026-12-31 14:00-24:00`;
 *                  a string (named after its date) or `{ name, date }`.
 */
import { ConfigError } from '../core/index.js';
import type { Holiday, Schedule, WeeklyRange } from './model.js';
import { join, list, section, show, string, type Obj } from './routing-fields.js';
import { isTimeZone } from './schedule.js';

const DAY_NAMES: readonly string[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const WEEKLY = /^([a-z,-]+)\s+(\d\d:\d\d)-(\d\d:\d\d)$/;
const FULL_DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const YEARLY_DATE = /^(\d\d)-(\d\d)$/;
const DAYS_IN_MONTH: readonly number[] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Minutes after midnight of `HH:MM`; `24:00` only where `end` allows it. */
function minuteOf(clock: string, end: boolean): number | undefined {
  if (end && clock === '24:00') return 24 * 60;
  const m = CLOCK.exec(clock);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

/** `HH:MM-HH:MM` with from < to. */
function hoursOf(from: string, to: string, path: string, value: string): { from: number; to: number } {
  const f = minuteOf(from, false);
  const t = minuteOf(to, true);
  if (f === undefined || t === undefined) throw new ConfigError(path, `'${value}': times are HH:MM from 00:00 to 24:00 (24:00 only as the end)`);
  if (f >= t) throw new ConfigError(path, `'${value}': the range must end after it starts (${from} is not before ${to})`);
  return { from: f, to: t };
}

function dayOf(text: string, path: string, value: string): number {
  const d = DAY_NAMES.indexOf(text);
  if (d < 0) throw new ConfigError(path, `'${value}': '${text}' is not a day (${DAY_NAMES.join(', ')}, daily)`);
  return d;
}

/** `mon-fri 09:00-17:30` → `{ days: [1..5], from: 540, to: 1050 }`. */
export function parseWeeklyRange(value: unknown, path: string): WeeklyRange {
  if (typeof value !== 'string') throw new ConfigError(path, `must be a weekly range such as 'mon-fri 09:00-17:30', not ${show(value)}`);
  const m = WEEKLY.exec(value.trim().toLowerCase());
  if (m === null) throw new ConfigError(path, `'${value}' is not a weekly range such as 'mon-fri 09:00-17:30' or 'sat 10:00-14:00'`);
  const days = new Set<number>();
  for (const item of (m[1] ?? '').split(',')) {
    if (item === 'daily') {
      for (let d = 0; d < 7; d++) days.add(d);
      continue;
    }
    const [a, b, extra] = item.split('-');
    if (extra !== undefined) throw new ConfigError(path, `'${value}': '${item}' is not a day or a day range`);
    const first = dayOf(a ?? '', path, value);
    const last = b === undefined ? first : dayOf(b, path, value);
    for (let d = first; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === last) break;
    }
  }
  return { days: [...days].sort((x, y) => x - y), ...hoursOf(m[2] ?? '', m[3] ?? '', path, value) };
}

export function weeklyRanges(obj: Obj, key: string, path: string): readonly WeeklyRange[] {
  const v = obj[key];
  const items = typeof v === 'string' ? [v] : list(obj, key, path);
  return items.map((item, i) => parseWeeklyRange(item, typeof v === 'string' ? join(path, key) : `${join(path, key)}[${i}]`));
}

/** A calendar day: `YYYY-MM-DD` (yearly false) or `MM-DD` (yearly true), checked to exist. */
function dateOf(text: string, path: string, value: string): { date: string; yearly: boolean } {
  const full = FULL_DATE.exec(text);
  const yearly = YEARLY_DATE.exec(text);
  // A yearly date takes leap year 2000's calendar, so 02-29 is allowed.
  const [year, month, day] = full !== null ? [Number(full[1]), Number(full[2]), Number(full[3])] : yearly !== null ? [2000, Number(yearly[1]), Number(yearly[2])] : [0, 0, 0];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const max = month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > max) {
    throw new ConfigError(path, `'${value}': '${text}' is not a date (YYYY-MM-DD, or MM-DD for every year)`);
  }
  return { date: text, yearly: full === null };
}

/** A holiday as `2026-12-25`, `2026-12-24..2026-12-26`, `12-25`, `2026-12-31 14:00-24:00`. */
export function parseHolidayText(value: string, name: string, path: string): Holiday {
  const [days, hours, extra] = value.trim().split(/\s+/);
  if (days === undefined || days === '' || extra !== undefined) throw new ConfigError(path, `'${value}' is not a holiday such as '2026-12-25', '2026-12-24..2026-12-26', '12-25' or '2026-12-31 14:00-24:00'`);
  const [fromText, toText, more] = days.split('..');
  if (more !== undefined) throw new ConfigError(path, `'${value}': a range has one '..'`);
  const from = dateOf(fromText ?? '', path, value);
  const to = toText === undefined ? from : dateOf(toText, path, value);
  if (from.yearly !== to.yearly) throw new ConfigError(path, `'${value}': both ends are YYYY-MM-DD, or both MM-DD (yearly)`);
  if (!from.yearly && from.date > to.date) throw new ConfigError(path, `'${value}': the range ends before it starts`);
  let span: { from: number; to: number } | undefined;
  if (hours !== undefined) {
    const [f, t, over] = hours.split('-');
    if (t === undefined || over !== undefined) throw new ConfigError(path, `'${value}': part of a day is written HH:MM-HH:MM`);
    span = hoursOf(f ?? '', t, path, value);
  }
  return { name, from: from.date, to: to.date, ...(span === undefined ? {} : { hours: span }), yearly: from.yearly };
}

export function parseHoliday(value: unknown, path: string): Holiday {
  if (typeof value === 'string') return parseHolidayText(value, value, path);
  if (value === undefined || value === null) throw new ConfigError(path, "must be a date such as '2026-12-25' or { name, date }");
  const obj = section(value, path, ['name', 'date']);
  const date = string(obj, 'date', path);
  return parseHolidayText(date, string(obj, 'name', path, date), join(path, 'date'));
}

export function timeZone(obj: Obj, key: string, path: string, fallback: string | undefined): string {
  const zone = string(obj, key, path, fallback);
  if (!isTimeZone(zone)) throw new ConfigError(join(path, key), `'${zone}' is not an IANA time zone this system knows (example: Europe/Paris)`);
  return zone;
}

/**
 * `{ timeZone, open, breaks, holidays }`. `timeZone` falls back to `zone` (the enclosing
 * schedule's) when given; the global schedule must name its own.
 */
export function parseSchedule(value: unknown, path: string, zone: string | undefined): Schedule {
  if (value === undefined || value === null) throw new ConfigError(path, 'is required');
  const obj = section(value, path, ['timeZone', 'open', 'breaks', 'holidays']);
  return {
    timeZone: timeZone(obj, 'timeZone', path, zone),
    open: weeklyRanges(obj, 'open', path),
    breaks: weeklyRanges(obj, 'breaks', path),
    holidays: list(obj, 'holidays', path).map((h, i) => parseHoliday(h, `${join(path, 'holidays')}[${i}]`)),
  };
}

/** An optional schedule (extension, group, rule): absent stays absent. */
export function optionalSchedule(obj: Obj, key: string, path: string, zone: string): Schedule | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : parseSchedule(obj[key], join(path, key), zone);
}
