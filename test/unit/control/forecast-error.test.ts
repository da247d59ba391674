import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import type { Forecast } from '../../../src/forecast/engine.js';
import { ERROR_WINDOW_MS, forecastError, logForecast } from '../../../src/control/forecast-error.js';

const STEP = 5 * MINUTE_MS;
const T0 = Date.UTC(2024, 0, 1);
const load = (t: number): number => 100 + 50 * Math.sin((2 * Math.PI * (t - T0)) / DAY_MS);

/** The mean load over a working step [t, t + 5m) at 1-minute samples (what a working-step point stands for). */
const stepMean = (t: number): number => [0, 1, 2, 3, 4].reduce((a, j) => a + load(t + j * MINUTE_MS), 0) / 5;

/** A forecast from startMs, `scale` times the true load. */
function forecast(startMs: number, scale: number): Forecast {
  const mean = Float64Array.from({ length: 72 }, (_, i) => scale * stepMean(startMs + i * STEP));
  return { startMs, stepMs: STEP, mean } as unknown as Forecast;
}

/** The observed load at 1-minute steps over [fromMs, toMs). */
function observed(fromMs: number, toMs: number): Series {
  const n = (toMs - fromMs) / MINUTE_MS;
  return { startMs: fromMs, stepMs: MINUTE_MS, values: Float64Array.from({ length: n }, (_, i) => load(fromMs + i * MINUTE_MS)) };
}

/** Three days of cleaned history at the working step, each day 10 above the one before: the daily seasonal-naive MAE is 10. */
const working = (toMs: number): Series => {
  const n = (3 * DAY_MS) / STEP;
  const perDay = DAY_MS / STEP;
  return { startMs: toMs - n * STEP, stepMs: STEP, values: Float64Array.from({ length: n }, (_, i) => load(toMs - (n - i) * STEP) + 10 * Math.floor(i / perDay)) };
};

test('forecasts 10% high over the last day: sMAPE ~9.5%, MASE ~1 against a daily seasonal-naive error of 10; points older than a day are dropped', () => {
  let log;
  for (let k = 0; k < 30; k++) log = logForecast(log, forecast(T0 + k * HOUR_MS, 1.1), T0 + k * HOUR_MS, T0 + (k + 1) * HOUR_MS);
  const now = T0 + 30 * HOUR_MS;
  const e = forecastError(log, observed(now - 2 * DAY_MS, now), working(now), now)!;
  assert.ok(Math.abs(e.smape - 9.52) < 0.2, `smape ${e.smape}`);
  // MAE = 10% of a mean load of 100 = 10, over a seasonal-naive MAE of 10.
  assert.ok(Math.abs(e.mase! - 1) < 0.02, `mase ${e.mase}`);
  assert.equal(e.windowStartMs, now - ERROR_WINDOW_MS);
  assert.equal(e.points, (24 * HOUR_MS) / STEP);
  assert.ok(log!.points.every((p) => p.atMs >= now - ERROR_WINDOW_MS), 'points older than the window are dropped');
});

test('a perfect forecast has zero error; no logged forecast or no observation gives none', () => {
  const log = logForecast(undefined, forecast(T0, 1), T0, T0 + HOUR_MS);
  const now = T0 + HOUR_MS;
  assert.ok(forecastError(log, observed(T0, now), working(now), now)!.smape < 1e-9);
  assert.equal(forecastError(undefined, observed(T0, now), working(now), now), undefined);
  const gap: Series = { startMs: T0, stepMs: MINUTE_MS, values: new Float64Array(60).fill(NaN) };
  assert.equal(forecastError(log, gap, working(now), now), undefined);
});
