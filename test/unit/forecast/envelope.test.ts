/**
 * No forecast, mean or quantile, leaves what its history supports (src/forecast/envelope.ts): the
 * blizzard in the NYC taxi trace, spikes, a step, a collapse to zero and back, and a real trend,
 * which must still be followed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DAY_MS, MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import { type Forecast, forecastSeries } from '../../../src/forecast/engine.js';
import { envelopeOf, excess } from '../../../src/forecast/envelope.js';
import { readSeriesFile } from '../../../src/metrics/file-source.js';
import { RecordedSource } from '../../../src/metrics/recorded-source.js';
import { replayPredictive } from '../../../src/backtest/replay.js';
import { parseScaler } from '../../../src/config/scaler.js';
import { readFileSync } from 'node:fs';
import { gaussian } from '../../support/synthetic.js';

const STEP = 5 * MINUTE_MS;
const PER_DAY = DAY_MS / STEP;
const T0 = Date.UTC(2024, 0, 1);

const maxOf = (v: ArrayLike<number>): number => Array.from(v).reduce((m, x) => (Number.isFinite(x) && x > m ? x : m), -Infinity);
const minOf = (v: ArrayLike<number>): number => Array.from(v).reduce((m, x) => (Number.isFinite(x) && x < m ? x : m), Infinity);

function forecast(history: Series, model = 'auto', horizonMs = DAY_MS): Forecast {
  const f = forecastSeries(history, { horizonMs, model, quantiles: [0.9] });
  assert.equal(f.kind, 'forecast');
  return f as Forecast;
}

/** `days` of a daily cycle (100..300) with noise; `edit(i, v)` changes point i. */
function daily(days: number, edit: (i: number, v: number) => number = (_, v) => v, seed = 3): Series {
  const g = gaussian(seed);
  const values = Float64Array.from({ length: days * PER_DAY }, (_, i) => edit(i, 200 + 100 * Math.sin((2 * Math.PI * i) / PER_DAY) + 5 * g()));
  return { startMs: T0, stepMs: STEP, values };
}

function assertInside(f: Forecast, history: Series, label: string): void {
  const top = maxOf(history.values);
  assert.ok(maxOf(f.quantiles[0]!.values) <= 1.5 * top, `${label}: p90 ${maxOf(f.quantiles[0]!.values)} > 1.5 x the training max ${top}`);
  assert.ok(maxOf(f.mean) <= 1.5 * top, `${label}: mean ${maxOf(f.mean)} > 1.5 x the training max`);
  assert.ok(minOf(f.mean) >= 0 && minOf(f.quantiles[0]!.values) >= 0, `${label}: negative forecast of a non-negative load`);
}

test('nyc taxi dry-run, July 2014 and the January 2015 blizzard: every tick\'s p90 stays within 1.5x the highest load seen, the floor off maxReplicas (mstl forecast 47,760 on 2014-07-09)', async () => {
  const root = join(import.meta.dirname, '..', '..', '..');
  const nyc = await readSeriesFile(join(root, 'fixtures', 'traces', 'nyc_taxi_30min.csv'));
  for (const perReplica of [1260, 1250]) {
    const r = parseScaler(readFileSync(join(root, 'manifests', 'samples', 'nyc-taxi.yaml'), 'utf8').replace('perReplica: 1260', `perReplica: ${perReplica}`), 'nyc-taxi.yaml');
    assert.ok(r.ok);
    for (const [from, to] of [[Date.UTC(2014, 6, 8, 22), Date.UTC(2014, 6, 9, 4)], [Date.UTC(2015, 0, 28, 10), Date.UTC(2015, 0, 28, 16)]] as const) {
      const replay = await replayPredictive(r.scaler, new RecordedSource(nyc, 'nyc'), nyc, { fromMs: from, toMs: to });
      let seen = maxOf(nyc.values.subarray(0, Math.floor((from - nyc.startMs) / nyc.stepMs)));
      for (const row of replay.rows) {
        seen = Math.max(seen, maxOf(nyc.values.subarray(0, Math.floor((row.atMs - nyc.startMs) / nyc.stepMs) + 1)));
        assert.ok(!(row.forecast > 1.5 * seen), `${new Date(row.atMs).toISOString()}: p90 ${row.forecast} > 1.5 x ${seen} (${row.decision.model})`);
      }
      assert.ok(replay.rows.every((row) => row.floor < 40), 'the floor is never pinned at maxReplicas');
    }
  }
});

test('bursty 1-minute CPU traces (crane_cpu_2, crane_cpu_4): at every daily origin the p90 stays within 1.5x the training window\'s max (it reached 7.5x and 58x)', async () => {
  for (const trace of ['crane_cpu_2', 'crane_cpu_4']) {
    const s = await readSeriesFile(join(import.meta.dirname, '..', '..', '..', 'fixtures', 'traces', `${trace}.csv`));
    const day = DAY_MS / s.stepMs;
    for (let at = 7 * day; at < s.values.length; at += day) {
      const history: Series = { startMs: s.startMs, stepMs: s.stepMs, values: s.values.slice(0, at) };
      assertInside(forecast(history), history, `${trace} at day ${at / day}`);
    }
  }
});

test('spikes of 10x in the history: the forecast does not amplify them', () => {
  const history = daily(28, (i, v) => (i % (3 * PER_DAY) === 150 ? 10 * v : v));
  assertInside(forecast(history), history, 'spikes');
});

test('a step up 5 days ago: the forecast follows the new level, inside the envelope', () => {
  const history = daily(28, (i, v) => (i >= 23 * PER_DAY ? v + 300 : v));
  const f = forecast(history);
  assertInside(f, history, 'step');
  const meanLevel = Array.from(f.mean).reduce((a, b) => a + b, 0) / f.mean.length;
  assert.ok(meanLevel > 420 && meanLevel < 580, `the new level (~500) is followed: ${meanLevel}`);
});

test('a collapse to zero for a day and back: sane forecasts at the collapse and after it', () => {
  const history = daily(28, (i, v) => (i >= 26 * PER_DAY && i < 27 * PER_DAY ? 0 : v));
  assertInside(forecast(history), history, 'after the collapse');
  const during: Series = { ...history, values: history.values.slice(0, 27 * PER_DAY - 12) };
  assertInside(forecast(during), during, 'during the collapse');
});

test('a real trend (+3% a day) is still followed: the forecast runs above everything seen, not clipped to it', () => {
  const history = daily(35, (i, v) => v * (1 + (0.03 * i) / PER_DAY));
  const env = envelopeOf(history.values, STEP, STEP)!;
  assert.ok(env.slopePerStep > 0, 'the envelope sees the trend');
  const top = maxOf(history.values);
  for (const model of ['auto', 'mstl', 'decomposition', 'regression']) {
    const f = forecast(history, model);
    assert.equal(f.envelope?.dropped.length ?? 0, 0, `${model} is kept`);
    assert.ok(maxOf(f.quantiles[0]!.values) > top, `${model}: the p90 ${maxOf(f.quantiles[0]!.values)} reaches past the history's ${top}`);
  }
});

test('the envelope: min, max and the Theil-Sen slope of daily medians; flat and short histories have no trend', () => {
  const rising = Float64Array.from({ length: 10 * PER_DAY }, (_, i) => 100 + (10 * i) / PER_DAY);
  const e = envelopeOf(rising, STEP, STEP)!;
  assert.equal(e.min, 100);
  assert.ok(Math.abs(e.slopePerStep - 10 / PER_DAY) < 1e-9, `10 a day = ${10 / PER_DAY} a step, got ${e.slopePerStep}`);
  assert.equal(envelopeOf(new Float64Array(2 * PER_DAY).fill(5), STEP, STEP)!.slopePerStep, 0);
  assert.equal(envelopeOf(new Float64Array(10).fill(NaN), STEP, STEP), undefined);
  assert.ok(Math.abs(excess(e, [e.max * 2]) - 2) < 1e-3);
});
