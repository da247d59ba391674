/**
 * The model search's error bookkeeping (select.ts `select`), with two spy models whose forecasts
 * depend on the origin they are made from, so that the errors behind the quantiles can be traced.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { HOUR_MS } from '../../../src/core/duration.js';
import { fineLoad, toWorkingResolution } from '../../../src/forecast/engine.js';
import { select } from '../../../src/forecast/select.js';
import type { Model, ModelContext } from '../../../src/forecast/types.js';

const H = 24; // hourly steps: one origin a day, a 1-day evaluation horizon
const N = 15 * H;
const ORIGIN_1 = N - H; // the most recent origin
const ctx: ModelContext = { stepMs: HOUR_MS, startMs: 0, periods: [] };

/** The load is 10, except 20 over the day after the most recent origin. */
function series(): Float64Array {
  const y = new Float64Array(N).fill(10);
  y.fill(20, ORIGIN_1);
  return y;
}

interface Call {
  readonly length: number;
  readonly params: readonly number[] | undefined;
}

/**
 * "a" saw the last day coming (20 from the most recent origin) and is 3 too high everywhere else;
 * "b" is 10 from the most recent origin and 2 too high elsewhere. Over the six search origins "a"
 * wins (mean absolute error 2.5 against 3.33, the mean of both 2.92), but only thanks to the most
 * recent origin: the other five choose "b". "a" fits a parameter, the history length it was fitted
 * at, so the runs show which fit their parameters came from.
 */
function spies(calls: Call[]): Model[] {
  const a: Model = {
    name: 'a',
    minHistory: () => 1,
    forecast: (y, h) => new Float64Array(h).fill(y.length === ORIGIN_1 ? 20 : 13),
    fit: (y, h, c) => {
      calls.push({ length: y.length, params: c.params });
      return { forecast: a.forecast(y, h, c), params: c.params ?? [y.length] };
    },
  };
  const b: Model = { name: 'b', minHistory: () => 1, forecast: (y, h) => new Float64Array(h).fill(y.length === ORIGIN_1 ? 10 : 12) };
  return [a, b];
}

test('select: the winner is chosen on all search origins, each origin\u2019s errors come from the choice of the others', () => {
  const calls: Call[] = [];
  const y = series();
  const sel = select(spies(calls), y, { truth: y, ctx, h: H, quantiles: [0.9] });
  assert.deepEqual(sel.models, ['a']);
  // The origins are a day apart, so the errors are on the scale predicted for each origin by the
  // ones before it (calibrate.ts scaleByOrigin): 3/13 for all of them, and for the next forecast.
  assert.ok(Math.abs(sel.errorScale - 3 / 13) < 1e-12, `errorScale ${sel.errorScale}`);
  const errors = sel.errorBuckets.flatMap((d) => [...d.values].map((e) => e * sel.errorScale));
  // At the most recent origin the other five would have chosen "b": 20 observed against 10, +100%
  // of the forecast. "a"'s own error there (0) would have flattered the band.
  assert.equal(errors.filter((e) => Math.abs(e - 1) < 1e-12).length, H);
  // Everywhere else "a" (13 against 10): origins 2-11 (5 search, 5 older) of H errors each; the
  // three oldest have too few origins before them to predict their scale.
  assert.equal(errors.filter((e) => Math.abs(e + 3 / 13) < 1e-12).length, 10 * H);
  assert.equal(errors.length, 11 * H);
});

test('select: the older error origins run with parameters fitted at the oldest of them, not at the search\u2019s', () => {
  const calls: Call[] = [];
  const y = series();
  select(spies(calls), y, { truth: y, ctx, h: H, quantiles: [0.9] });
  const searchFit = N - 6 * H;
  const oldestFit = N - 14 * H;
  // The search: fitted at its oldest origin, reused at the five newer ones.
  assert.deepEqual(calls.slice(0, 6).map((c) => c.length), [searchFit, N - 5 * H, N - 4 * H, N - 3 * H, N - 2 * H, N - H]);
  assert.equal(calls[0]!.params, undefined);
  for (const c of calls.slice(1, 6)) assert.deepEqual(c.params, [searchFit]);
  // The older origins: fitted again at the oldest (no parameters given), reused at the seven newer
  // ones; never the search's parameters, fitted on data that includes these origins' windows.
  const older = calls.slice(6);
  assert.deepEqual(older.map((c) => c.length), [14, 13, 12, 11, 10, 9, 8, 7].map((k) => N - k * H));
  assert.equal(older[0]!.params, undefined);
  for (const c of older.slice(1)) assert.deepEqual(c.params, [oldestFit]);
});

test('select: errors against the load at the input\u2019s step, each minute against its 5-minute forecast, gaps left out, a sub-day horizon unscaled', () => {
  const W = 12; // 5-minute steps, a 1-hour horizon: origins an hour apart
  const n = 15 * W;
  const c5: ModelContext = { stepMs: 5 * 60_000, startMs: 0, periods: [] };
  // Minute i of the input is 10 + i/1000: every error tells which minute it came from.
  const fine = { values: Float64Array.from({ length: 5 * n }, (_, i) => 10 + i / 1000), factor: 5 };
  const y = Float64Array.from({ length: n }, (_, i) => 10 + (5 * i + 2) / 1000);
  const truth = y.slice();
  const gap = n - W + 3; // one 5-minute step after the most recent origin is not observed
  truth[gap] = NaN;
  const flat: Model = { name: 'flat', minHistory: () => 1, forecast: (_y, h) => new Float64Array(h).fill(10) };
  const sel = select([flat], y, { truth, ctx: c5, h: W, quantiles: [0.9], fine });
  assert.equal(sel.errorScale, 1);
  const got = sel.errorBuckets.flatMap((d) => [...d.values]).sort((a, b) => a - b);
  const expected: number[] = [];
  for (let k = 1; k <= 14; k++) {
    for (let i = n - k * W; i < n - (k - 1) * W; i++) {
      if (i === gap) continue;
      for (let r = 0; r < 5; r++) expected.push((5 * i + r) / 1000 / 10);
    }
  }
  expected.sort((a, b) => a - b);
  assert.equal(got.length, expected.length);
  got.forEach((e, i) => assert.ok(Math.abs(e - expected[i]!) < 1e-12, `error ${i}: ${e} vs ${expected[i]}`));
});

test('fineLoad: the input\u2019s values line up with the working grid after its dropped partial step', () => {
  const values = Float64Array.from({ length: 5 * 40 + 3 }, (_, i) => Math.sin(i) * 100 + i);
  const input = { startMs: 0, stepMs: 60_000, values };
  const working = toWorkingResolution(input, 5 * 60_000);
  const fine = fineLoad(input, working)!;
  assert.equal(fine.factor, 5);
  assert.equal(fine.values.length, 5 * working.values.length);
  working.values.forEach((w, i) => {
    const mean = fine.values.subarray(5 * i, 5 * i + 5).reduce((a, v) => a + v, 0) / 5;
    assert.ok(Math.abs(mean - w) < 1e-9, `step ${i}: ${mean} vs ${w}`);
  });
  assert.equal(fineLoad(working, working), undefined);
});
