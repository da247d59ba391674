/** Recurrence expansion and occurrence windows of the event calendar (src/forecast/events/). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandRule, parseRRule, type RecurrenceRule } from '../../../../src/forecast/events/rrule.js';
import { civilDate, dayNumber, weekday } from '../../../../src/core/civil.js';
import { Zone, formatDate, parseDate } from '../../../../src/forecast/events/calendar.js';
import { type CalendarEvent, occurrences } from '../../../../src/forecast/events/index.js';

const HOUR = 3_600_000;
const d = (s: string): number => parseDate(s)!;

function rule(text: string): RecurrenceRule {
  const r = parseRRule(text);
  if (typeof r === 'string') assert.fail(r);
  return r;
}
const expand = (text: string, start: string, to: string): string[] => expandRule(rule(text), d(start), d(to)).map(formatDate);

test('civil dates: day numbers round-trip, weekdays, leap years', () => {
  for (let n = -800_000; n < 800_000; n += 997) {
    const c = civilDate(n);
    assert.equal(dayNumber(c.y, c.m, c.d), n);
  }
  assert.equal(weekday(d('1970-01-01')), 4);
  assert.equal(weekday(d('2014-11-27')), 4);
  assert.equal(parseDate('2024-02-29'), dayNumber(2024, 2, 29));
  assert.equal(parseDate('2023-02-29'), undefined);
  assert.equal(parseDate('1900-02-29'), undefined);
  assert.equal(parseDate('2000-02-29'), dayNumber(2000, 2, 29));
});

test('ordinal weekdays: Thanksgiving (4TH), Memorial Day (-1MO), Labor Day (1MO)', () => {
  assert.deepEqual(expand('FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', '2014-01-01', '2018-12-31'), ['2014-11-27', '2015-11-26', '2016-11-24', '2017-11-23', '2018-11-22']);
  assert.deepEqual(expand('FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO', '2020-01-01', '2022-12-31'), ['2020-05-25', '2021-05-31', '2022-05-30']);
  assert.deepEqual(expand('RRULE:FREQ=YEARLY;BYMONTH=9;BYDAY=1MO', '2014-01-01', '2015-12-31'), ['2014-09-01', '2015-09-07']);
  // Without BYMONTH an ordinal counts within the year: the 20th Monday of 2024.
  assert.deepEqual(expand('FREQ=YEARLY;BYDAY=20MO;COUNT=1', '2024-01-01', '2030-01-01'), ['2024-05-13']);
  // Monthly: the second Tuesday (Patch Tuesday) and the last Friday.
  assert.deepEqual(expand('FREQ=MONTHLY;BYDAY=2TU', '2024-01-01', '2024-04-30'), ['2024-01-09', '2024-02-13', '2024-03-12', '2024-04-09']);
  assert.deepEqual(expand('FREQ=MONTHLY;BYDAY=-1FR', '2024-01-01', '2024-03-31'), ['2024-01-26', '2024-02-23', '2024-03-29']);
});

test('COUNT counts from start whatever the range; UNTIL is inclusive; INTERVAL skips periods', () => {
  assert.deepEqual(expand('FREQ=WEEKLY;COUNT=3', '2024-01-03', '2030-01-01'), ['2024-01-03', '2024-01-10', '2024-01-17']);
  assert.deepEqual(expand('FREQ=WEEKLY;COUNT=3', '2024-01-03', '2024-01-12'), ['2024-01-03', '2024-01-10']);
  assert.deepEqual(expand('FREQ=DAILY;UNTIL=20240105', '2024-01-01', '2030-01-01'), ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
  assert.deepEqual(expand('FREQ=DAILY;UNTIL=20240103T235959Z', '2024-01-01', '2030-01-01'), ['2024-01-01', '2024-01-02', '2024-01-03']);
  assert.deepEqual(expand('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;COUNT=5', '2024-01-01', '2030-01-01'), ['2024-01-01', '2024-01-05', '2024-01-15', '2024-01-19', '2024-01-29']);
  assert.deepEqual(expand('FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1;COUNT=3', '2024-02-01', '2030-01-01'), ['2024-02-01', '2024-05-01', '2024-08-01']);
  // The first date is an occurrence only when the rule generates it.
  assert.deepEqual(expand('FREQ=WEEKLY;BYDAY=SA;COUNT=2', '2024-01-01', '2030-01-01'), ['2024-01-06', '2024-01-13']);
});

test('month days: from the end, a month without the day is skipped, Friday the 13th is an intersection, yearly defaults to the start date', () => {
  assert.deepEqual(expand('FREQ=MONTHLY;BYMONTHDAY=-1', '2024-01-01', '2024-04-30'), ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']);
  assert.deepEqual(expand('FREQ=MONTHLY', '2024-01-31', '2024-05-31'), ['2024-01-31', '2024-03-31', '2024-05-31']);
  assert.deepEqual(expand('FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR', '2024-01-01', '2024-12-31'), ['2024-09-13', '2024-12-13']);
  assert.deepEqual(expand('FREQ=YEARLY', '2020-02-29', '2025-01-01'), ['2020-02-29', '2024-02-29']);
  assert.deepEqual(expand('FREQ=DAILY;BYMONTH=12;BYMONTHDAY=24,25,26', '2023-12-01', '2024-12-31'), ['2023-12-24', '2023-12-25', '2023-12-26', '2024-12-24', '2024-12-25', '2024-12-26']);
});

test('rules that are not supported are refused with a reason', () => {
  assert.match(parseRRule('FREQ=YEARLY;BYWEEKNO=20') as string, /BYWEEKNO is not supported/);
  assert.match(parseRRule('INTERVAL=2') as string, /FREQ is required/);
  assert.match(parseRRule('FREQ=MONTHLY;BYDAY=6MO') as string, /ordinal must be 1 to 5/);
  assert.match(parseRRule('FREQ=MONTHLY;BYMONTHDAY=0') as string, /1 to 31 or -31 to -1/);
  assert.match(parseRRule('FREQ=DAILY;INTERVAL=0') as string, /INTERVAL=0 must be a whole number/);
  assert.match(parseRRule('FREQ=DAILY;FREQ=WEEKLY') as string, /FREQ is given twice/);
});

const event = (e: Partial<CalendarEvent>): CalendarEvent => ({ name: 'e', timeZone: 'UTC', dates: [], beforeMs: 0, afterMs: 0, ...e });

test('occurrences are local days: 24 h in UTC, 25 h and 23 h on New York DST days, widened by before and after', () => {
  const ny = new Zone('America/New_York');
  const iso = (ms: number) => new Date(ms).toISOString();
  const [fall] = occurrences(event({ timeZone: 'America/New_York', dates: [d('2014-11-02')] }), ny, Date.UTC(2014, 9, 1), Date.UTC(2014, 11, 1));
  assert.equal(iso(fall!.fromMs), '2014-11-02T04:00:00.000Z');
  assert.equal((fall!.toMs - fall!.fromMs) / HOUR, 25);
  const [spring] = occurrences(event({ timeZone: 'America/New_York', dates: [d('2014-03-09')] }), ny, Date.UTC(2014, 2, 1), Date.UTC(2014, 3, 1));
  assert.equal(iso(spring!.fromMs), '2014-03-09T05:00:00.000Z');
  assert.equal((spring!.toMs - spring!.fromMs) / HOUR, 23);
  const utc = occurrences(event({ dates: [d('2024-01-10')], beforeMs: 6 * HOUR, afterMs: 2 * HOUR }), new Zone('UTC'), Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1));
  assert.deepEqual(utc.map((o) => [iso(o.fromMs), iso(o.toMs)]), [['2024-01-09T18:00:00.000Z', '2024-01-11T02:00:00.000Z']]);
});

test('a zone whose DST change skips midnight: the day starts at 01:00 local (America/Santiago, 2022-09-11)', () => {
  const z = new Zone('America/Santiago');
  assert.equal(new Date(z.startOfDay(d('2022-09-11'))).toISOString(), '2022-09-11T04:00:00.000Z');
  assert.equal((z.startOfDay(d('2022-09-12')) - z.startOfDay(d('2022-09-11'))) / HOUR, 23);
  // Wall-clock time from the start of a 25-hour day: 15:00 local is 15 h after midnight.
  const ny = new Zone('America/New_York');
  const start = ny.startOfDay(d('2014-11-02'));
  assert.equal(ny.wallElapsed(start, Date.UTC(2014, 10, 2, 20)), 15 * HOUR);
});

test('occurrences of a rule and dates together, only those whose window overlaps the range, in order', () => {
  const e = event({ timeZone: 'Europe/London', dates: [d('2024-12-31')], recurrence: { rule: rule('FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25'), start: d('2000-01-01') }, afterMs: 24 * HOUR });
  const z = new Zone('Europe/London');
  const got = occurrences(e, z, Date.UTC(2023, 11, 26, 12), Date.UTC(2025, 0, 1)).map((o) => formatDate(o.day));
  // 2023-12-25's window runs to 2023-12-27 (after: 1d), so it overlaps a range from 2023-12-26 noon.
  assert.deepEqual(got, ['2023-12-25', '2024-12-25', '2024-12-31']);
});

test('the n-th weekday of a month agrees between MONTHLY, YEARLY and a day-by-day count, for every month, weekday and ordinal', () => {
  const days = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
  const from = d('2023-01-01');
  const to = d('2026-12-31');
  for (let m = 1; m <= 12; m++) {
    for (let wd = 1; wd <= 7; wd++) {
      for (const nth of [1, 2, 3, 4, -1, -2]) {
        // By counting: the days of month m on weekday wd, the nth of them (from the end when negative).
        const naive: number[] = [];
        for (let y = 2023; y <= 2026; y++) {
          const hits: number[] = [];
          for (let day = dayNumber(y, m, 1); civilDate(day).m === m; day++) if (weekday(day) === wd) hits.push(day);
          naive.push(hits[nth > 0 ? nth - 1 : hits.length + nth]!);
        }
        const by = `BYMONTH=${m};BYDAY=${nth}${days[wd - 1]}`;
        assert.deepEqual(expandRule(rule(`FREQ=YEARLY;${by}`), from, to), naive, `YEARLY;${by}`);
        assert.deepEqual(expandRule(rule(`FREQ=MONTHLY;${by}`), from, to), naive, `MONTHLY;${by}`);
      }
    }
  }
});
