import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centredMovingAverage, decompose, decomposition } from '../../../src/forecast/models/decomposition.js';
import { periodsWithTwoCycles } from '../../../src/forecast/models/shared.js';
import { assertFiniteOfLength, ctxOf, series } from '../../support/synthetic.js';

// The scenarios every model must pass (known answers, edges, speed, nyc_taxi) are in
// model-contract.test.ts; these are the decomposition's own.

const MIN = 60_000;

test('decomposition: periods too long for the history are dropped, not used', () => {
  assert.deepEqual(periodsWithTwoCycles([12, 288, 2016], 1000), [12, 288]);
  assert.deepEqual(periodsWithTwoCycles([2016, 288, 288], 5000), [288, 2016]);
  const y = series(1000, (i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 288), { uniform: 0.1 });
  assert.deepEqual(decompose(y, [288, 2016]).periods, [288]);
  assertFiniteOfLength(decomposition().forecast(y, 24, ctxOf(5 * MIN, [288, 2016])), 24);
});

test('decomposition: decompose recovers a daily and a weekly profile and ignores a spike', () => {
  const perDay = 24; // hourly steps
  const n = 6 * 7 * perDay;
  const daily = (i: number) => 20 * Math.sin((2 * Math.PI * i) / perDay);
  const weekend = (i: number) => (Math.floor(i / perDay) % 7 >= 5 ? -15 : 6); // zero mean over a week
  const y = series(n, (i) => 100 + daily(i) + weekend(i), { uniform: 2 });
  // One outlier in the most recent (heaviest) week. Inputs are cleaned of gross outliers before
  // they reach a model (types.ts), so this is the size of spike that gets through: 20x the noise.
  y[n - 30] = y[n - 30]! + 40;
  const d = decompose(y, [perDay, 7 * perDay]);
  const [dp, wp] = d.profiles;
  // Daily profile ~ the sine; weekly profile ~ the weekend step (the daily part is not in it).
  let errD = 0;
  for (let ph = 0; ph < perDay; ph++) errD = Math.max(errD, Math.abs(dp![ph]! - daily(ph)));
  assert.ok(errD < 3, `daily profile max error ${errD}`);
  // Weekly: mean error small (the light phase smoothing only blurs the two sharp day steps).
  let errW = 0;
  for (let ph = 0; ph < 7 * perDay; ph++) errW += Math.abs(wp![ph]! - weekend(ph)) / (7 * perDay);
  assert.ok(errW < 1, `weekly profile mean error ${errW}`);
  // The spike's phase is not lifted, in either profile, nor is the trend around it.
  const spikeAt = (n - 30) % (7 * perDay);
  assert.ok(Math.abs(wp![spikeAt]! - weekend(spikeAt)) < 2, `weekly profile at the spike ${wp![spikeAt]}`);
  const trendAtSpike = d.trend[n - 30 - d.start]!;
  assert.ok(Math.abs(trendAtSpike - 100) < 1, `trend at the spike ${trendAtSpike}`);
});

test('decomposition: the centred moving average keeps a line and flattens a whole-period cycle', () => {
  const line = Float64Array.from({ length: 100 }, (_, i) => 3 + 0.5 * i);
  const wave = Float64Array.from({ length: 100 }, (_, i) => 3 + 0.5 * i + 10 * Math.sin((2 * Math.PI * i) / 10));
  for (const w of [10, 11]) {
    const a = centredMovingAverage(line, w);
    for (let i = 0; i < 100; i++) assert.ok(Math.abs(a[i]! - line[i]!) < 1e-9, `w=${w} line at ${i}: ${a[i]}`);
  }
  const b = centredMovingAverage(wave, 10);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(b[i]! - line[i]!) < 1e-9, `wave at ${i}: ${b[i]}`);
  // A zero-weight outlier does not move a weighted average.
  const spiky = line.slice();
  spiky[50] = 1e6;
  const weights = new Float64Array(100).fill(1);
  weights[50] = 0;
  const c = centredMovingAverage(spiky, 11, weights);
  // (1e6 / 11 ~ 90909 unweighted; weighted only the line's own values, within one step's slope.)
  for (let i = 40; i < 60; i++) assert.ok(Math.abs(c[i]! - line[i]!) <= 0.5, `weighted at ${i}: ${c[i]}`);
});
