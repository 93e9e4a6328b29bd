/**
 * Office hours: which state a schedule is in at an instant (open, closed, on a break, on a
 * holiday), in the schedule's own IANA time zone. The wall-clock time is read through
 * Intl.DateTimeFormat, so daylight-saving changes need no table of ours: at 02:30 on a spring-
 * forward day there is no such local time, and the instant after 01:59:59 reads 03:00.
 * A holiday wins over a break, a break over an open range.
 */
import type { Holiday, Schedule, ScheduleState, WeeklyRange } from './model.js';

/** The local calendar date and time of an instant in a time zone. */
export interface LocalTime {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** 0 (Sunday) to 6. */
  readonly weekday: number;
  /** Minutes after local midnight, 0 to 1439. */
  readonly minute: number;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local date, weekday and minute of `instant` (ms since the epoch) in `timeZone`. */
export function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  const hour = Number(parts['hour']) % 24;
  return {
    date: `${parts['year'] ?? ''}-${parts['month'] ?? ''}-${parts['day'] ?? ''}`,
    weekday: WEEKDAYS[parts['weekday'] ?? ''] ?? 0,
    minute: hour * 60 + Number(parts['minute']),
  };
}

export function inWeeklyRanges(ranges: readonly WeeklyRange[], t: LocalTime): boolean {
  return ranges.some((r) => r.days.includes(t.weekday) && t.minute >= r.from && t.minute < r.to);
}

function onHoliday(h: Holiday, t: LocalTime): boolean {
  const day = h.yearly ? t.date.slice(5) : t.date;
  // Yearly ranges may wrap the new year (12-24 to 01-02).
  const inDays = h.yearly && h.from > h.to ? day >= h.from || day <= h.to : day >= h.from && day <= h.to;
  if (!inDays) return false;
  return h.hours === undefined || (t.minute >= h.hours.from && t.minute < h.hours.to);
}

/** The state of `schedule` at `instant`. */
export function scheduleState(schedule: Schedule, instant: number): ScheduleState {
  const t = localTime(instant, schedule.timeZone);
  if (schedule.holidays.some((h) => onHoliday(h, t))) return 'holiday';
  if (!inWeeklyRanges(schedule.open, t)) return 'closed';
  if (inWeeklyRanges(schedule.breaks, t)) return 'break';
  return 'open';
}
