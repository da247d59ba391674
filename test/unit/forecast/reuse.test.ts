import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import { type Forecast, forReuse, forecastSeries } from '../../../src/forecast/engine.js';

const T0 = Date.UTC(2024, 0, 1);
const STEP = MINUTE_MS;

/** Three weeks of 1-minute load: a daily cycle, a weekly dip and deterministic noise. */
function series(days: number): Series {
  let s = 7;
  const values = Float64Array.from({ length: (days * DAY_MS) / STEP }, (_, i) => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    const t = T0 + i * STEP;
    const day = Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);
    const weekend = Math.floor(t / DAY_MS) % 7 >= 5 ? 0.7 : 1;
    return (200 + 120 * day) * weekend + 30 * (s / 4294967296 - 0.5);
  });
  return { startMs: T0, stepMs: STEP, values };
}

const asForecast = (f: ReturnType<typeof forecastSeries>): Forecast => {
  assert.equal(f.kind, 'forecast');
  return f as Forecast;
};

test('a selection reduced for reuse gives the very same quantile forecasts as the full one, in a fraction of the memory', () => {
  const qs = [0.5, 0.9];
  const day = series(21);
  const search = asForecast(forecastSeries(day, { horizonMs: DAY_MS, quantiles: qs }));
  const small = forReuse(search.selection, qs);
  const bytes = (sel: typeof small) => sel.errorBuckets.reduce((n, d) => n + d.values.byteLength + d.cum.byteLength, 0);
  assert.ok(bytes(small) * 50 < bytes(search.selection), `${bytes(small)} bytes kept of ${bytes(search.selection)}`);
  assert.deepEqual(small.quantilesKept, qs);

  // Six hours later, a refit reusing either selection.
  const later = series(21.25);
  const full = asForecast(forecastSeries(later, { horizonMs: DAY_MS, quantiles: qs, reuse: search.selection }));
  const reduced = asForecast(forecastSeries(later, { horizonMs: DAY_MS, quantiles: qs, reuse: small }));
  assert.equal(reduced.selection, small, 'the reduced selection is reused, not searched again');
  assert.deepEqual(reduced.mean, full.mean);
  for (let k = 0; k < qs.length; k++) assert.deepEqual(reduced.quantiles[k]!.values, full.quantiles[k]!.values, `q${qs[k]}`);
});

test('a selection reduced for some quantiles is searched again when asked for another', () => {
  const day = series(15);
  const search = asForecast(forecastSeries(day, { horizonMs: 6 * HOUR_MS, quantiles: [0.9] }));
  const small = forReuse(search.selection, [0.9]);
  const other = asForecast(forecastSeries(day, { horizonMs: 6 * HOUR_MS, quantiles: [0.8], reuse: small }));
  assert.notEqual(other.selection, small);
  const fresh = asForecast(forecastSeries(day, { horizonMs: 6 * HOUR_MS, quantiles: [0.8] }));
  assert.deepEqual(other.quantiles[0]!.values, fresh.quantiles[0]!.values);
});
