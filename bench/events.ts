/**
 * Event calendar benchmark (`npm run bench -- events`): forecast accuracy on the event days of a
 * bundled real trace with and without `spec.forecast.events`.
 *
 * Trace: nyc_taxi_30min (NYC taxi passengers, 2014-07-01 .. 2015-01-31, New York time converted to
 * UTC; NAB, MIT; fixtures/traces/SOURCES.md). Calendar: the US federal holidays of the period as
 * the dates of one event, `us-holidays`, in America/New_York, no multiplier: the dates of eight
 * yearly RRULEs (Independence Day, Labor Day, Columbus Day, Veterans Day, Thanksgiving, Christmas,
 * New Year, Martin Luther King Day) expanded by the engine's own code. Each rule occurs once in the
 * trace's seven months, so as separate events none could learn; as one event each holiday learns
 * from the ones before it. Chosen before any figure was seen; not tuned.
 *
 * Protocol: for each holiday with two weeks of history before it (from Labor Day on), one origin at
 * its local midnight, history everything before it (the models fit the last 35 days, the calendar
 * learns from all of it), auto, horizon 1 day, p90. Scored over the holiday's 24 local hours: MAE,
 * MASE (scaled by the in-sample seasonal naive error at lag 1 day of the 35 days), p90 coverage.
 * The same protocol on the 7 days after each holiday ("other days") checks that keeping the
 * holidays out of the normal pattern costs nothing elsewhere. "As a scaler": the engine given only
 * the 28 days of a scaler's default `metric.history` (what the operator and a dry-run read), with
 * and without the calendar, so a holiday learns only from those of the 28 days before it.
 */
import { join } from 'node:path';
import { DAY_MS } from '../src/core/duration.js';
import type { Series } from '../src/core/series.js';
import { DEFAULTS } from '../src/config/scaler-types.js';
import { coverage, mae, seasonalNaiveScale } from '../src/forecast/accuracy.js';
import { type CalendarEvent, forecastSeries } from '../src/forecast/engine.js';
import { Zone, formatDate, occurrences, parseDate, parseRRule } from '../src/forecast/events/index.js';
import { readSeriesFile } from '../src/metrics/file-source.js';

export const EVENTS_TRACE = 'nyc_taxi_30min';
const ZONE = 'America/New_York';
/** The federal holidays as RRULEs from the trace's first day (one event: several rules, one per holiday). */
export const HOLIDAY_RULES: ReadonlyArray<readonly [string, string]> = [
  ['Independence Day', 'FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=4'],
  ['Labor Day', 'FREQ=YEARLY;BYMONTH=9;BYDAY=1MO'],
  ['Columbus Day', 'FREQ=YEARLY;BYMONTH=10;BYDAY=2MO'],
  ['Veterans Day', 'FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=11'],
  ['Thanksgiving', 'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH'],
  ['Christmas', 'FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25'],
  ['New Year', 'FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1'],
  ['Martin Luther King Day', 'FREQ=YEARLY;BYMONTH=1;BYDAY=3MO'],
];
const HISTORY_DAYS = 35;
/** A scaler's default metric.history, in days. */
const SCALER_HISTORY_DAYS = DEFAULTS.historyMs / DAY_MS;
const OTHER_DAYS = 7;

export interface EventDayScore {
  readonly day: string;
  readonly holiday: string;
  readonly maeWithout: number;
  readonly maeWith: number;
  readonly maseWithout: number;
  readonly maseWith: number;
  readonly coverWithout: number;
  readonly coverWith: number;
  /** The factor range the calendar applied over the day, and how many earlier holidays it learned from. */
  readonly factorMin: number;
  readonly factorMax: number;
  readonly learnedFrom: number;
  /** As a scaler: 28 days of history only. */
  readonly scaler: { readonly maeWithout: number; readonly maeWith: number; readonly learnedFrom: number };
}

export interface EventsBench {
  readonly trace: string;
  readonly days: EventDayScore[];
  readonly other: { readonly days: number; readonly maeWithout: number; readonly maeWith: number; readonly maseWithout: number; readonly maseWith: number };
  readonly ms: number;
}

/** The holidays inside the trace: each rule expanded through the engine's own occurrences(). */
function holidayDates(s: Series): Array<{ day: number; name: string }> {
  const zone = new Zone(ZONE);
  const first = zone.dayAt(s.startMs);
  const last = zone.dayAt(s.startMs + s.values.length * s.stepMs);
  const out: Array<{ day: number; name: string }> = [];
  for (const [name, text] of HOLIDAY_RULES) {
    const rule = parseRRule(text);
    if (typeof rule === 'string') throw new Error(`${name}: ${rule}`);
    const event: CalendarEvent = { name, timeZone: ZONE, dates: [], recurrence: { rule, start: parseDate('2014-01-01')! }, beforeMs: 0, afterMs: 0 };
    for (const o of occurrencesOf(event, zone, s)) if (o >= first && o <= last) out.push({ day: o, name });
  }
  return out.sort((a, b) => a.day - b.day);
}

function occurrencesOf(e: CalendarEvent, zone: Zone, s: Series): number[] {
  return occurrences(e, zone, s.startMs, s.startMs + s.values.length * s.stepMs).map((o) => o.day);
}

function dayScores(s: Series, originMs: number, calendar: CalendarEvent[], keepDays?: number) {
  const origin = Math.round((originMs - s.startMs) / s.stepMs);
  const perDay = Math.round(DAY_MS / s.stepMs);
  const from = keepDays === undefined ? 0 : Math.max(0, origin - keepDays * perDay);
  const history: Series = { startMs: s.startMs + from * s.stepMs, stepMs: s.stepMs, values: s.values.slice(from, origin) };
  const actual = s.values.slice(origin, origin + perDay);
  const scale = seasonalNaiveScale(s.values.subarray(Math.max(0, origin - HISTORY_DAYS * perDay), origin), perDay);
  const run = (cal: CalendarEvent[]) => {
    const f = forecastSeries(history, { horizonMs: DAY_MS, quantiles: [0.9], maxHistoryMs: (keepDays ?? HISTORY_DAYS) * DAY_MS, ...(cal.length > 0 ? { events: cal } : {}) });
    if (f.kind !== 'forecast') throw new Error(f.message);
    const mean = f.mean.subarray(0, actual.length);
    return { mae: mae(actual, mean), cover: coverage(actual, f.quantiles[0]!.values), events: f.events ?? [] };
  };
  return { without: run([]), with: run(calendar), scale };
}

export async function benchEvents(dir: string): Promise<EventsBench> {
  const t0 = performance.now();
  const s = await readSeriesFile(join(dir, `${EVENTS_TRACE}.csv`));
  const zone = new Zone(ZONE);
  const holidays = holidayDates(s);
  const calendar: CalendarEvent[] = [{ name: 'us-holidays', timeZone: ZONE, dates: holidays.map((h) => h.day), beforeMs: 0, afterMs: 0 }];
  const days: EventDayScore[] = [];
  const other = { days: 0, maeWithout: 0, maeWith: 0, maseWithout: 0, maseWith: 0 };
  const holidaySet = new Set(holidays.map((h) => h.day));
  for (const h of holidays) {
    const originMs = zone.startOfDay(h.day);
    if (originMs - s.startMs < 14 * DAY_MS) continue;
    const r = dayScores(s, originMs, calendar);
    const e = r.with.events.find((x) => x.date === formatDate(h.day));
    const sc = dayScores(s, originMs, calendar, SCALER_HISTORY_DAYS);
    days.push({
      day: formatDate(h.day),
      holiday: h.name,
      maeWithout: r.without.mae,
      maeWith: r.with.mae,
      maseWithout: r.without.mae / r.scale,
      maseWith: r.with.mae / r.scale,
      coverWithout: r.without.cover,
      coverWith: r.with.cover,
      factorMin: e?.min ?? 1,
      factorMax: e?.max ?? 1,
      learnedFrom: e?.occurrences ?? 0,
      scaler: { maeWithout: sc.without.mae, maeWith: sc.with.mae, learnedFrom: sc.with.events.find((x) => x.date === formatDate(h.day))?.occurrences ?? 0 },
    });
    for (let k = 1; k <= OTHER_DAYS; k++) {
      const day = h.day + k;
      const o = zone.startOfDay(day);
      if (holidaySet.has(day) || o + DAY_MS > s.startMs + s.values.length * s.stepMs) continue;
      const x = dayScores(s, o, calendar);
      other.days++;
      other.maeWithout += x.without.mae;
      other.maeWith += x.with.mae;
      other.maseWithout += x.without.mae / x.scale;
      other.maseWith += x.with.mae / x.scale;
    }
  }
  const n = Math.max(1, other.days);
  return {
    trace: EVENTS_TRACE,
    days,
    other: { days: other.days, maeWithout: other.maeWithout / n, maeWith: other.maeWith / n, maseWithout: other.maseWithout / n, maseWith: other.maseWith / n },
    ms: performance.now() - t0,
  };
}

export function eventsTables(b: EventsBench): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const lines = [
    `### Event calendar (${b.trace}: US federal holidays as one event in America/New_York, origin at each holiday's local midnight, auto, 1 day ahead)\n`,
    '| holiday | date | learned from | factor applied | MAE without | MAE with | MASE without | MASE with | p90 coverage without | with |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...b.days.map((d) => `| ${d.holiday} | ${d.day} | ${d.learnedFrom} | ${f(d.factorMin, 2)}–${f(d.factorMax, 2)} | ${f(d.maeWithout, 0)} | ${f(d.maeWith, 0)} | ${f(d.maseWithout)} | ${f(d.maseWith)} | ${f(d.coverWithout, 2)} | ${f(d.coverWith, 2)} |`),
    `| **mean** | | | | ${f(mean(b.days.map((d) => d.maeWithout)), 0)} | ${f(mean(b.days.map((d) => d.maeWith)), 0)} | ${f(mean(b.days.map((d) => d.maseWithout)))} | ${f(mean(b.days.map((d) => d.maseWith)))} | ${f(mean(b.days.map((d) => d.coverWithout)), 2)} | ${f(mean(b.days.map((d) => d.coverWith)), 2)} |`,
    '',
    `- the ${b.other.days} other days (the 7 after each holiday): mean MAE ${f(b.other.maeWithout, 0)} without, ${f(b.other.maeWith, 0)} with; mean MASE ${f(b.other.maseWithout)} without, ${f(b.other.maseWith)} with`,
    `- as a scaler (${SCALER_HISTORY_DAYS} days of history): ${b.days.map((d) => `${d.holiday} ${f(d.scaler.maeWithout, 0)} -> ${f(d.scaler.maeWith, 0)} (learned from ${d.scaler.learnedFrom})`).join('; ')}; mean MAE ${f(mean(b.days.map((d) => d.scaler.maeWithout)), 0)} -> ${f(mean(b.days.map((d) => d.scaler.maeWith)), 0)}`,
    `- ${(b.ms / 1000).toFixed(1)} s for ${2 * (2 * b.days.length + b.other.days)} forecasts`,
  ];
  return lines.join('\n');
}
