import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTimeZone, localTime, parseRoutingYaml, scheduleState, type Schedule, type ScheduleState } from '../../../src/routing/index.js';

/**
 * Daylight-saving rules written out, independent of Intl: the EU changes on the last Sunday of
 * March and of October at 01:00 UTC; the US on the second Sunday of March at 02:00 local standard
 * time and the first Sunday of November at 02:00 local daylight time.
 */
type Zone = 'Europe/Paris' | 'America/New_York';
const HOUR = 3_600_000;

function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + 7 * (n - 1);
}
function lastSunday(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return last.getUTCDate() - last.getUTCDay();
}

/** The UTC offset in hours of `zone` at `instant`, from the rules above. */
function offsetHours(zone: Zone, instant: number): number {
  const year = new Date(instant).getUTCFullYear();
  if (zone === 'Europe/Paris') {
    const start = Date.UTC(year, 2, lastSunday(year, 2), 1);
    const end = Date.UTC(year, 9, lastSunday(year, 9), 1);
    return instant >= start && instant < end ? 2 : 1;
  }
  const start = Date.UTC(year, 2, nthSunday(year, 2, 2), 7);
  const end = Date.UTC(year, 10, nthSunday(year, 10, 1), 6);
  return instant >= start && instant < end ? -4 : -5;
}

/** The wall clock of `instant` in `zone`, read from a UTC date shifted by the offset. */
function wallClock(zone: Zone, instant: number): { date: string; weekday: number; minute: number } {
  const d = new Date(instant + offsetHours(zone, instant) * HOUR);
  return { date: d.toISOString().slice(0, 10), weekday: d.getUTCDay(), minute: d.getUTCHours() * 60 + d.getUTCMinutes() };
}

/** The instant of a local wall-clock time that exists once (not in a DST gap or overlap). */
function at(zone: Zone, local: string): number {
  const [date = '', time = '00:00'] = local.split(' ');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const naive = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0);
  const standard = zone === 'Europe/Paris' ? 1 : -5;
  const guess = naive - standard * HOUR;
  const instant = naive - offsetHours(zone, guess) * HOUR;
  assert.equal(wallClock(zone, instant).minute, (h ?? 0) * 60 + (mi ?? 0), `${local} exists once in ${zone}`);
  return instant;
}

/** The state by the definition (model.ts), on the independent wall clock. */
function expectedState(s: Schedule, zone: Zone, instant: number): ScheduleState {
  const t = wallClock(zone, instant);
  const inRanges = (ranges: Schedule['open']): boolean => ranges.some((r) => r.days.includes(t.weekday) && r.from <= t.minute && t.minute < r.to);
  const holiday = s.holidays.some((h) => {
    const day = h.yearly ? t.date.slice(5) : t.date;
    const inDays = h.from <= h.to ? h.from <= day && day <= h.to : day >= h.from || day <= h.to;
    return inDays && (h.hours === undefined || (h.hours.from <= t.minute && t.minute < h.hours.to));
  });
  if (holiday) return 'holiday';
  if (!inRanges(s.open)) return 'closed';
  return inRanges(s.breaks) ? 'break' : 'open';
}

const OFFICE = parseRoutingYaml(`
schedule:
  timeZone: Europe/Paris
  open: [mon-fri 09:00-17:00, sat 10:00-12:00]
  breaks: [mon-fri 12:00-13:00]
  holidays:
    - { name: Victory Day, date: 2026-05-08 }
    - { name: Summer closing, date: 2026-08-10..2026-08-14 }
    - { name: Labour Day, date: 05-01 }
    - { name: New Year, date: 12-31..01-02 }
    - { name: Christmas Eve, date: 2026-12-24 14:00-24:00 }
`).schedule;

test('office hours: open, closed, break and each kind of holiday (Europe/Paris)', () => {
  const table: Array<[string, ScheduleState]> = [
    ['2026-03-02 08:59', 'closed'],
    ['2026-03-02 09:00', 'open'],
    ['2026-03-02 11:59', 'open'],
    ['2026-03-02 12:00', 'break'],
    ['2026-03-02 12:59', 'break'],
    ['2026-03-02 13:00', 'open'],
    ['2026-03-02 16:59', 'open'],
    ['2026-03-02 17:00', 'closed'],
    ['2026-03-07 10:30', 'open'],
    ['2026-03-07 12:00', 'closed'],
    ['2026-03-08 10:30', 'closed'],
    ['2026-07-01 09:30', 'open'],
    ['2026-05-08 10:00', 'holiday'],
    ['2026-05-08 03:00', 'holiday'],
    ['2026-05-07 10:00', 'open'],
    ['2026-08-07 10:00', 'open'],
    ['2026-08-10 00:00', 'holiday'],
    ['2026-08-12 12:30', 'holiday'],
    ['2026-08-14 23:59', 'holiday'],
    ['2026-08-17 10:00', 'open'],
    ['2026-05-01 10:00', 'holiday'],
    ['2027-04-30 10:00', 'open'],
    ['2027-05-01 10:00', 'holiday'],
    ['2026-12-30 10:00', 'open'],
    ['2026-12-31 10:00', 'holiday'],
    ['2027-01-01 10:00', 'holiday'],
    ['2027-01-02 10:00', 'holiday'],
    ['2027-01-04 10:00', 'open'],
    ['2026-01-02 10:00', 'holiday'],
    ['2026-01-05 10:00', 'open'],
    ['2026-12-24 12:30', 'break'],
    ['2026-12-24 13:59', 'open'],
    ['2026-12-24 14:00', 'holiday'],
    ['2026-12-24 16:00', 'holiday'],
    ['2026-12-23 16:00', 'open'],
  ];
  for (const [local, state] of table) {
    const instant = at('Europe/Paris', local);
    assert.equal(scheduleState(OFFICE, instant), state, local);
    assert.equal(expectedState(OFFICE, 'Europe/Paris', instant), state, `${local} (the test's own evaluation)`);
  }
});

test('the same hours in New York are read on New York clocks', () => {
  const ny: Schedule = { ...OFFICE, timeZone: 'America/New_York' };
  const table: Array<[string, ScheduleState]> = [
    ['2026-03-02 09:00', 'open'],
    ['2026-03-02 12:15', 'break'],
    ['2026-03-02 17:30', 'closed'],
    ['2026-12-24 14:30', 'holiday'],
    ['2026-12-31 00:30', 'holiday'],
  ];
  for (const [local, state] of table) assert.equal(scheduleState(ny, at('America/New_York', local)), state, local);
  // 09:00 in New York is 15:00 in Paris: open in both, but 18:00 Paris is 12:00 New York, a break.
  assert.equal(scheduleState(OFFICE, at('America/New_York', '2026-03-02 12:00')), 'closed');
  assert.equal(scheduleState(ny, at('America/New_York', '2026-03-02 12:00')), 'break');
});

test('localTime and isTimeZone', () => {
  assert.deepEqual(localTime(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Paris'), { date: '2026-03-29', weekday: 0, minute: 119 });
  assert.deepEqual(localTime(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Paris'), { date: '2026-03-29', weekday: 0, minute: 180 });
  assert.deepEqual(localTime(Date.UTC(2026, 0, 1, 4, 59), 'America/New_York'), { date: '2025-12-31', weekday: 3, minute: 23 * 60 + 59 });
  assert.deepEqual(localTime(Date.UTC(2026, 0, 1, 0, 0), 'UTC'), { date: '2026-01-01', weekday: 4, minute: 0 });
  for (const zone of ['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata']) assert.equal(isTimeZone(zone), true, zone);
  for (const zone of ['', 'Mars/Olympus_Mons', 'Europe', 'GMT+25']) assert.equal(isTimeZone(zone), false, zone);
});

/** Open 01:00-04:00 every day with a break 03:00-03:15: the hours the clocks change in. */
function nightShift(zone: Zone): Schedule {
  return { timeZone: zone, open: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 60, to: 240 }], breaks: [{ days: [0, 1, 2, 3, 4, 5, 6], from: 180, to: 195 }], holidays: [] };
}

const TRANSITION_DAYS: Array<[Zone, string, 'spring' | 'fall']> = [
  ['Europe/Paris', '2026-03-29', 'spring'],
  ['Europe/Paris', '2026-10-25', 'fall'],
  ['America/New_York', '2026-03-08', 'spring'],
  ['America/New_York', '2026-11-01', 'fall'],
];

test('DST: every quarter hour of the 2026 transition days in Paris and New York', () => {
  for (const [zone, day, kind] of TRANSITION_DAYS) {
    const schedule = nightShift(zone);
    const start = at(zone, `${day} 00:00`);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10);
    const end = at(zone, `${next} 00:00`);
    const quarters = (end - start) / (15 * 60_000);
    // The day is 23 hours long in spring and 25 in autumn.
    assert.equal(quarters, kind === 'spring' ? 92 : 100, `${zone} ${day}`);
    const counts: Record<ScheduleState, number> = { open: 0, closed: 0, break: 0, holiday: 0 };
    const seen = new Map<number, number>();
    for (let q = 0; q < quarters; q++) {
      const instant = start + q * 15 * 60_000;
      const wall = wallClock(zone, instant);
      assert.deepEqual(localTime(instant, zone), wall, `${zone} ${new Date(instant).toISOString()}`);
      const state = scheduleState(schedule, instant);
      assert.equal(state, expectedState(schedule, zone, instant), `${zone} ${new Date(instant).toISOString()}`);
      counts[state]++;
      seen.set(wall.minute, (seen.get(wall.minute) ?? 0) + 1);
    }
    // 02:00 to 02:45 do not exist in spring; in autumn the repeated hour (02:xx in Paris, 01:xx in
    // New York) is read twice, and open both times.
    const gap = [120, 135, 150, 165];
    const repeated = zone === 'Europe/Paris' ? [120, 135, 150, 165] : [60, 75, 90, 105];
    if (kind === 'spring') {
      for (const m of gap) assert.equal(seen.get(m), undefined, `${zone} ${day}: ${m / 60}:${m % 60} does not exist`);
      assert.deepEqual(counts, { open: 7, closed: 84, break: 1, holiday: 0 }, `${zone} ${day}`);
    } else {
      for (const m of repeated) assert.equal(seen.get(m), 2, `${zone} ${day}: minute ${m} is lived twice`);
      assert.deepEqual(counts, { open: 15, closed: 84, break: 1, holiday: 0 }, `${zone} ${day}`);
    }
  }
});

test('DST: the instant after 01:59 on spring-forward day reads 03:00 and is open (Paris)', () => {
  const schedule = nightShift('Europe/Paris');
  const before = Date.UTC(2026, 2, 29, 0, 59);
  assert.equal(localTime(before, 'Europe/Paris').minute, 60 + 59);
  assert.equal(scheduleState(schedule, before), 'open');
  assert.equal(localTime(before + 60_000, 'Europe/Paris').minute, 180);
  assert.equal(scheduleState(schedule, before + 60_000), 'break');
  assert.equal(scheduleState(schedule, before + 16 * 60_000), 'open');
});

test('property: the state of any instant of 2025-2027 matches the wall clock of the DST rules', () => {
  const range = fc.record({ days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }), a: fc.integer({ min: 0, max: 1439 }), b: fc.integer({ min: 1, max: 1440 }) })
    .filter((r) => r.a < r.b)
    .map((r) => ({ days: r.days, from: r.a, to: r.b }));
  const zone = fc.constantFrom<Zone>('Europe/Paris', 'America/New_York');
  const instant = fc.integer({ min: Date.UTC(2025, 0, 2), max: Date.UTC(2027, 11, 30) });
  // A third of the instants fall within two hours of a 2026 transition.
  const transitions = [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 9, 25, 1), Date.UTC(2026, 2, 8, 7), Date.UTC(2026, 10, 1, 6)];
  const near = fc.tuple(fc.constantFrom(...transitions), fc.integer({ min: -2 * HOUR, max: 2 * HOUR })).map(([t, d]) => t + d);
  const states = new Set<ScheduleState>();
  fc.assert(
    fc.property(zone, fc.array(range, { maxLength: 3 }), fc.array(range, { maxLength: 2 }), fc.oneof(instant, instant, near), (z, open, breaks, t) => {
      const s: Schedule = { timeZone: z, open, breaks, holidays: [] };
      const state = scheduleState(s, t);
      states.add(state);
      assert.equal(state, expectedState(s, z, t));
    }),
    { numRuns: 3000 },
  );
  assert.deepEqual([...states].sort(), ['break', 'closed', 'open']);
});
