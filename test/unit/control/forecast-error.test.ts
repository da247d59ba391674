import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import type { Forecast } from '../../../src/forecast/engine.js';
import { ERROR_WINDOW_MS, forecastError, logForecast } from '../../../src/control/forecast-error.js';

const STEP = 5 * MINUTE_MS;
const T0 = Date.UTC(2024, 0, 1);
/** A daily cycle whose level rises by 10 each day: "the same time yesterday" is off by exactly 10. */
const load = (t: number): number => 100 + 50 * Math.sin((2 * Math.PI * (t - T0)) / DAY_MS) + 10 * Math.floor((t - T0) / DAY_MS);

/** The mean load over a working step [t, t + 5m) at 1-minute samples (what a working-step point stands for). */
const stepMean = (t: number): number => [0, 1, 2, 3, 4].reduce((a, j) => a + load(t + j * MINUTE_MS), 0) / 5;

/** A forecast from startMs, `offset` above the true load. */
function forecast(startMs: number, offset: number): Forecast {
  const mean = Float64Array.from({ length: 72 }, (_, i) => stepMean(startMs + i * STEP) + offset);
  return { startMs, stepMs: STEP, mean } as unknown as Forecast;
}

/** The observed load at 1-minute steps over [fromMs, toMs). */
function observed(fromMs: number, toMs: number): Series {
  const n = (toMs - fromMs) / MINUTE_MS;
  return { startMs: fromMs, stepMs: MINUTE_MS, values: Float64Array.from({ length: n }, (_, i) => load(fromMs + i * MINUTE_MS)) };
}

for (const offset of [10, 20]) {
  test(`forecasts ${offset} high over the last day: MASE ${offset / 10} against yesterday's copy (off by 10), sMAPE of that size; points older than a day are dropped`, () => {
    let log;
    for (let k = 0; k < 54; k++) log = logForecast(log, forecast(T0 + k * HOUR_MS, offset), T0 + k * HOUR_MS, T0 + (k + 1) * HOUR_MS);
    const now = T0 + 54 * HOUR_MS;
    const e = forecastError(log, observed(now - 2 * DAY_MS, now), now)!;
    assert.ok(Math.abs(e.mase! - offset / 10) < 1e-6, `mase ${e.mase}`);
    // The load over the window is ~115 on average (50 either side): an offset of 10 is a sMAPE of ~9.5%.
    assert.ok(e.smape > (offset / 10) * 8 && e.smape < (offset / 10) * 10, `smape ${e.smape}`);
    assert.equal(e.windowStartMs, now - ERROR_WINDOW_MS);
    assert.equal(e.points, (24 * HOUR_MS) / STEP);
    assert.ok(log!.points.every((p) => p.atMs >= now - ERROR_WINDOW_MS), 'points older than the window are dropped');
  });
}

test('without a day of observations before the window there is no MASE, only sMAPE', () => {
  let log;
  for (let k = 0; k < 20; k++) log = logForecast(log, forecast(T0 + k * HOUR_MS, 10), T0 + k * HOUR_MS, T0 + (k + 1) * HOUR_MS);
  const now = T0 + 20 * HOUR_MS;
  const e = forecastError(log, observed(T0, now), now)!;
  assert.equal(e.mase, undefined);
  assert.ok(e.smape > 0);
});

test('a perfect forecast has zero error; no logged forecast or no observation gives none', () => {
  const log = logForecast(undefined, forecast(T0, 0), T0, T0 + HOUR_MS);
  const now = T0 + HOUR_MS;
  assert.ok(forecastError(log, observed(T0, now), now)!.smape < 1e-9);
  assert.equal(forecastError(undefined, observed(T0, now), now), undefined);
  const gap: Series = { startMs: T0, stepMs: MINUTE_MS, values: new Float64Array(60).fill(NaN) };
  assert.equal(forecastError(log, gap, now), undefined);
});
