/**
 * The event calendar's learned effect (src/forecast/events/effect.ts) and the engine with a
 * recurring event (src/forecast/engine.ts): learned from earlier occurrences, robust to an odd one,
 * applied to the mean and the bands, and no change at all without events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Series } from '../../../../src/core/series.js';
import { mae } from '../../../../src/forecast/accuracy.js';
import { type CalendarEvent, forecastSeries } from '../../../../src/forecast/engine.js';
import { bandFactor, learnEffect } from '../../../../src/forecast/events/effect.js';
import { Zone, describeEvents, parseDate, parseRRule } from '../../../../src/forecast/events/index.js';
import { gaussian, pattern } from '../../../support/synthetic.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1); // a Monday

/** 10 weeks at 1 h: a daily and weekly pattern, with each listed day's load multiplied by its factor. */
function withDays(days: ReadonlyArray<readonly [number, number]>): Series {
  const values = pattern(70 * 24, true, HOUR);
  for (const [day, factor] of days) for (let i = day * 24; i < (day + 1) * 24; i++) values[i]! *= factor;
  return { startMs: T0, stepMs: HOUR, values };
}

const windows = (days: readonly number[]) => days.map((d) => ({ fromMs: T0 + d * DAY, toMs: T0 + (d + 1) * DAY }));
function maskOf(s: Series, days: readonly number[]): Uint8Array {
  const m = new Uint8Array(s.values.length);
  for (const d of days) m.fill(1, d * 24, (d + 1) * 24);
  return m;
}

test('the effect is the median over occurrences, shrunk toward 1 as if 1 were one more occurrence: one odd occurrence does not move it', () => {
  const days = [14, 28, 42, 56];
  // Three occurrences halve the load, one triples it.
  const s = withDays([[14, 0.5], [28, 3], [42, 0.5], [56, 0.5]]);
  const e = learnEffect(s, windows(days), maskOf(s, days), new Zone('UTC'), { prior: 1, bins: 26 });
  assert.equal(e.occurrences, 4);
  // median of the log ratios is log 0.5 (the middle two of four); n / (n + 1) = 4/5 of it.
  for (let b = 0; b < 24; b++) assert.ok(Math.abs(e.factors[b]! - 0.5 ** 0.8) < 1e-9, `bin ${b}: ${e.factors[b]}`);
  // Bins past the day (no occurrence covers them) take the prior.
  assert.equal(e.factors[25], 1);
  // A band takes its quantile of the log ratios instead of the median: the p50 band moves as the
  // mean, the p90 as far as the odd occurrence pulls (0.7 of the way from log 0.5 to log 3, shrunk).
  assert.ok(Math.abs(bandFactor(e, 12, 0.5) - e.factors[12]!) < 1e-12);
  assert.ok(Math.abs(bandFactor(e, 12, 0.9) - Math.exp((4 * (Math.log(0.5) + 0.7 * (Math.log(3) - Math.log(0.5)))) / 5)) < 1e-9);
  assert.equal(bandFactor(e, 25, 0.9), 1);
});

test('few occurrences are shrunk: one gives half its log ratio; none gives the multiplier, which is also the prior', () => {
  const s = withDays([[35, 0.5]]);
  const one = learnEffect(s, windows([35]), maskOf(s, [35]), new Zone('UTC'), { prior: 1, bins: 24 });
  assert.ok(Math.abs(one.factors[12]! - Math.SQRT1_2) < 1e-9);
  const toward = learnEffect(s, windows([35]), maskOf(s, [35]), new Zone('UTC'), { prior: 0.5, bins: 24 });
  assert.ok(Math.abs(toward.factors[12]! - 0.5) < 1e-9);
  const none = learnEffect(s, [], maskOf(s, []), new Zone('UTC'), { prior: 1.5, bins: 24 });
  assert.equal(none.occurrences, 0);
  assert.ok(none.factors.every((f) => f === 1.5));
});

test('the effect is by time of day: a surge in the evening only is learned in the evening only', () => {
  const s = withDays([]);
  const days = [28, 42, 56];
  for (const d of days) for (let h = 18; h < 22; h++) s.values[d * 24 + h]! *= 2;
  const e = learnEffect(s, windows(days), maskOf(s, days), new Zone('UTC'), { prior: 1, bins: 24 });
  for (let b = 0; b < 24; b++) {
    const want = b >= 18 && b < 22 ? 2 ** 0.75 : 1;
    assert.ok(Math.abs(e.factors[b]! - want) < 1e-9, `bin ${b}: ${e.factors[b]} want ${want}`);
  }
});

/**
 * A shop whose fortnightly sale (every other Tuesday, from 10:00 to 18:00 in New York) brings 80%
 * more load: 6 weeks of 5-minute history with two earlier sales, a forecast from the midnight before
 * the next one.
 */
function saleSeries(): { history: Series; future: Float64Array; event: CalendarEvent } {
  const step = 5 * 60_000;
  const start = Date.UTC(2024, 0, 1, 5); // Monday 2024-01-01 00:00 in New York
  const days = 7 * 7;
  const all = pattern(days * 288, true, step);
  const g = gaussian(3);
  const zone = new Zone('America/New_York');
  const rule = parseRRule('FREQ=WEEKLY;INTERVAL=2;BYDAY=TU');
  if (typeof rule === 'string') throw new Error(rule);
  for (let i = 0; i < all.length; i++) {
    const t = start + i * step;
    const local = (t + zone.offsetAt(t)) % DAY;
    const day = Math.floor((t - start) / DAY);
    // Tuesdays of weeks 1, 3, 5 (2024-01-09, 01-23, 02-06): 10:00-18:00 local.
    if (day % 14 === 8 && local >= 10 * HOUR && local < 18 * HOUR) all[i]! *= 1.8;
    all[i]! *= 1 + 0.03 * g();
  }
  const origin = 36 * 288; // Tuesday 2024-02-06 00:00 New York: the third sale
  return {
    history: { startMs: start, stepMs: step, values: all.slice(0, origin) },
    future: all.slice(origin, origin + 288),
    event: { name: 'sale', timeZone: 'America/New_York', dates: [], recurrence: { rule, start: parseDate('2024-01-09')! }, beforeMs: 0, afterMs: 0 },
  };
}

test('engine: a recurring event is learned from its earlier occurrences and improves the forecast of the next one', () => {
  const { history, future, event } = saleSeries();
  const opts = { horizonMs: DAY, quantiles: [0.9] };
  const without = forecastSeries(history, opts);
  const withCal = forecastSeries(history, { ...opts, events: [event] });
  assert.equal(without.kind, 'forecast');
  assert.equal(withCal.kind, 'forecast');
  if (without.kind !== 'forecast' || withCal.kind !== 'forecast') return;
  const errWithout = mae(future, without.mean);
  const errWith = mae(future, withCal.mean);
  assert.ok(errWith < 0.6 * errWithout, `MAE with the calendar ${errWith.toFixed(2)}, without ${errWithout.toFixed(2)}`);
  const [applied] = withCal.events ?? [];
  assert.deepEqual({ name: applied?.name, date: applied?.date, source: applied?.source, occurrences: applied?.occurrences }, { name: 'sale', date: '2024-02-06', source: 'learned', occurrences: 2 });
  // The sale's hours are raised (two occurrences: 2/3 of the log effect, 1.8^(2/3) = 1.48), the night is not.
  const at = (localHour: number) => withCal.eventFactors![Math.round((localHour * HOUR) / withCal.stepMs)]!;
  assert.ok(at(14) > 1.35 && at(14) < 1.6, `factor at 14:00 ${at(14)}`);
  assert.ok(Math.abs(at(3) - 1) < 0.1, `factor at 03:00 ${at(3)}`);
  // The band moves with the mean.
  const j = Math.round((14 * HOUR) / withCal.stepMs);
  assert.ok(withCal.quantiles[0]!.values[j]! > without.quantiles[0]!.values[j]! * 1.3);
  // The decision note names it.
  const note = describeEvents(withCal.events, withCal.eventFactors, withCal.startMs, withCal.stepMs, withCal.startMs + 14 * HOUR);
  assert.match(note, /^; event sale \(2024-02-06, learned from 2 occurrences in the history\) in force, forecast x1\.\d+ here$/);
  assert.equal(describeEvents(withCal.events, withCal.eventFactors, withCal.startMs, withCal.stepMs, withCal.startMs + 25 * HOUR), '');
});

test('engine: without events, with an empty calendar, or with events that never occur in the history or horizon, the forecast is bit-for-bit the same', () => {
  const { history } = saleSeries();
  const opts = { horizonMs: 6 * HOUR, quantiles: [0.5, 0.9] };
  const base = forecastSeries(history, opts);
  const far: CalendarEvent = { name: 'far', timeZone: 'UTC', dates: [parseDate('2030-01-01')!], beforeMs: 0, afterMs: 0 };
  for (const events of [[], [far]]) {
    const f = forecastSeries(history, { ...opts, events });
    assert.ok(base.kind === 'forecast' && f.kind === 'forecast');
    assert.deepEqual(f.mean, base.mean);
    assert.deepEqual(f.quantiles, base.quantiles);
    assert.equal(f.model, base.model);
    assert.equal(f.eventFactors, undefined);
  }
});
