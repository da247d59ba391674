import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { spectral } from '../../../src/forecast/models/spectral.js';
import { seasonalNaive } from '../../../src/forecast/models/seasonal-naive.js';
import { readSeriesFile } from '../../../src/metrics/file-source.js';
import type { Model, ModelContext } from '../../../src/forecast/types.js';

const STEP_5M = 300_000;
const DAY = 288; // 5-minute steps per day
const WEEK = 7 * DAY;

/** Deterministic standard normal noise (LCG + Box-Muller). */
function gaussian(seed: number): () => number {
  let s = seed;
  const u = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s + 1) / 2147483649;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Builds f(t) for t = 0..n-1 plus noise of standard deviation `sigma`. */
function series(n: number, f: (t: number) => number, sigma = 0, seed = 7): Float64Array {
  const g = gaussian(seed);
  return Float64Array.from({ length: n }, (_, t) => f(t) + sigma * g());
}

function mae(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

const ctx = (periods: number[], stepMs = STEP_5M): ModelContext => ({ stepMs, startMs: 0, periods });

/** The noiseless truth over the horizon after n points. */
const truth = (n: number, h: number, f: (t: number) => number): Float64Array =>
  Float64Array.from({ length: h }, (_, i) => f(n + i));

const model = spectral();

test('fft: name and honest minimum history', () => {
  assert.equal(model.name, 'fft');
  const cases: [number[], number][] = [
    [[288, 2016], 2 * 288], // two whole days: the daily shape and a second cycle to tell it from noise
    [[12, 288], 24],
    [[], 16],
  ];
  for (const [periods, want] of cases) assert.equal(model.minHistory(ctx(periods)), want, `periods ${periods}`);
});

test('fft: a noisy daily sine is forecast almost exactly (noise rejected)', () => {
  const amp = 50;
  const f = (t: number): number => 200 + amp * Math.sin((2 * Math.PI * t) / DAY + 0.7);
  // Noise sigma 5% of amplitude: a copy of yesterday would be off by ~0.056 * amp on average.
  const y = series(7 * DAY, f, 0.05 * amp);
  const out = model.forecast(y, DAY, ctx([DAY]));
  assert.equal(out.length, DAY);
  const err = mae(out, truth(y.length, DAY, f));
  assert.ok(err < 0.02 * amp, `MAE ${err.toFixed(3)} >= 2% of amplitude`);
});

test('fft: daily + weekly cycles with a linear trend are both continued', () => {
  // Weekday/weekend shape (a step, so many weekly harmonics) plus a daily sine and growth.
  const slope = 0.01; // load units per 5-minute step: +2.9 per day
  const weekend = (t: number): number => (Math.floor(t / DAY) % 7 >= 5 ? -30 : 0);
  const f = (t: number): number => 300 + slope * t + 60 * Math.sin((2 * Math.PI * t) / DAY) + weekend(t);
  const n = 4 * WEEK - 2 * DAY; // ends on a Friday midnight: the horizon is the weekend and Monday
  const y = series(n, f, 3);
  const h = 3 * DAY;
  const out = model.forecast(y, h, ctx([DAY, WEEK]));
  const want = truth(n, h, f);
  assert.ok(mae(out, want) < 3, `MAE ${mae(out, want).toFixed(2)} (noise sigma 3)`);
  // The weekend dip: Saturday and Sunday sit ~30 below Monday, net of the trend.
  const mean = (a: Float64Array, from: number, to: number): number => a.slice(from, to).reduce((s, v) => s + v, 0) / (to - from);
  const dip = mean(out, 2 * DAY, 3 * DAY) - mean(out, 0, 2 * DAY) - slope * 1.5 * DAY;
  assert.ok(Math.abs(dip - 30) < 4, `weekend dip ${dip.toFixed(1)}, want 30`);
  // The trend: the forecast level is above the mean of the last whole week by the growth since.
  const growth = mean(out, 0, DAY) - mean(y, n - WEEK, n) - (mean(want, 0, DAY) - mean(truth(n - WEEK, WEEK, f), 0, WEEK));
  assert.ok(Math.abs(growth) < 2, `level off by ${growth.toFixed(2)} after the trend`);
});

test('fft: an outlier burst in the history does not show up in the forecast', () => {
  const amp = 50;
  const f = (t: number): number => 200 + amp * Math.sin((2 * Math.PI * t) / DAY);
  const n = 7 * DAY;
  const y = series(n, f, 1);
  // A one-hour burst of 10x the amplitude in the last day, and a dropout to 0 two days earlier.
  const burstAt = n - DAY + 100;
  for (let t = burstAt; t < burstAt + 12; t++) y[t] = f(t) + 10 * amp;
  for (let t = n - 3 * DAY + 40; t < n - 3 * DAY + 52; t++) y[t] = 0;
  const out = model.forecast(y, DAY, ctx([DAY]));
  const want = truth(n, DAY, f);
  // At the burst's time of day tomorrow and everywhere else: close to the clean truth.
  const atBurst = mae(out.slice(100, 112), want.slice(100, 112));
  assert.ok(atBurst < 0.03 * amp, `at the burst's phase MAE ${atBurst.toFixed(2)}`);
  assert.ok(mae(out, want) < 0.03 * amp, `MAE ${mae(out, want).toFixed(2)}`);
});

test('fft: output is h finite values in edge cases', () => {
  const noise = gaussian(3);
  let walk = 100;
  const randomWalk = Float64Array.from({ length: 3000 }, () => (walk += noise()));
  const cases: { name: string; y: Float64Array; h: number; periods: number[] }[] = [
    { name: 'h = 1', y: series(3 * DAY, (t) => Math.sin(t / 40)), h: 1, periods: [DAY] },
    { name: 'h = 0', y: series(3 * DAY, (t) => Math.sin(t / 40)), h: 0, periods: [DAY] },
    { name: 'horizon of 3 weeks', y: series(3 * DAY, (t) => 5 + Math.sin(t / 40)), h: 3 * WEEK, periods: [DAY] },
    { name: 'random walk, no periods', y: randomWalk, h: 500, periods: [] },
    { name: 'weekly period longer than half the history', y: series(WEEK + 10, (t) => Math.sin(t)), h: 50, periods: [DAY, WEEK] },
    { name: 'constant series', y: new Float64Array(2 * DAY).fill(42), h: 10, periods: [DAY] },
    { name: 'very short, no periods', y: Float64Array.of(1, 2, 3), h: 4, periods: [] },
    { name: 'non-integer period', y: series(2000, (t) => Math.sin((2 * Math.PI * t) / 100.4), 0.1), h: 200, periods: [100.4] },
  ];
  for (const c of cases) {
    const out = model.forecast(c.y, c.h, ctx(c.periods));
    assert.equal(out.length, c.h, c.name);
    assert.ok(out.every(Number.isFinite), `${c.name}: non-finite value`);
  }
  const flat = model.forecast(new Float64Array(2 * DAY).fill(42), 10, ctx([DAY]));
  for (const v of flat) assert.ok(Math.abs(v - 42) < 1e-9, `constant series forecast ${v}`);
});

test('fft: without periods, a noisy line is continued and a noisy level is held', () => {
  const cases: { name: string; f: (t: number) => number; tol: number }[] = [
    { name: 'line', f: (t) => 50 + 0.2 * t, tol: 1.5 },
    { name: 'level', f: () => 80, tol: 1 },
  ];
  for (const c of cases) {
    const y = series(1000, c.f, 2, 11);
    const out = model.forecast(y, 100, ctx([]));
    const err = mae(out, truth(1000, 100, c.f));
    assert.ok(err < c.tol, `${c.name}: MAE ${err.toFixed(2)}`);
  }
});

test('fft: clamped at zero for a never-negative series, not for one that goes negative', () => {
  // Falling fast towards zero: the extrapolated trend crosses zero within the horizon.
  const f = (t: number): number => Math.max(0, 100 - 0.05 * t) + 5 * Math.sin((2 * Math.PI * t) / DAY) + 5;
  const y = series(7 * DAY, f);
  const out = model.forecast(y, 2 * DAY, ctx([DAY]));
  assert.ok(out.every((v) => v >= 0), 'negative forecast for a non-negative series');
  assert.ok(out.some((v) => v === 0), 'the falling trend should reach the zero clamp');
  const shifted = model.forecast(y.map((v) => v - 50), 2 * DAY, ctx([DAY]));
  assert.ok(shifted.some((v) => v < -1), 'a series with negative values must not be clamped');
});

test('fft: fit and forecast of 28 days at 5 min, periods [288, 2016], h = 288 is fast', () => {
  const y = series(4 * WEEK, (t) => 100 + 0.01 * t + 40 * Math.sin((2 * Math.PI * t) / DAY) + 15 * Math.sin((2 * Math.PI * t) / WEEK), 5);
  model.forecast(y, DAY, ctx([DAY, WEEK])); // warm-up: JIT, and the model's per-size tables
  let best = Infinity;
  // Best of 5: a busy shared machine can slow one run, not all of them.
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    model.forecast(y, DAY, ctx([DAY, WEEK]));
    best = Math.min(best, performance.now() - t0);
  }
  assert.ok(best < 60, `best of 5: ${best.toFixed(1)} ms`);
});

/** Linear interpolation over NaN gaps (the cleaning step the engine does before the models). */
function fillGaps(v: Float64Array): Float64Array {
  const x = Float64Array.from(v);
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!)) continue;
    for (let j = last + 1; j < i; j++) x[j] = last < 0 ? x[i]! : x[last]! + ((x[i]! - x[last]!) * (j - last)) / (i - last);
    last = i;
  }
  for (let j = last + 1; j < x.length; j++) x[j] = x[last]!;
  return x;
}

/**
 * Mean daily MAE over `days` held-out days starting at `fromIso`, each forecast from all the
 * history before it (rolling origin, one day ahead).
 */
async function heldOutMae(m: Model, fromIso: string, days: number): Promise<number> {
  const path = fileURLToPath(new URL('../../../fixtures/traces/nyc_taxi_30min.csv', import.meta.url));
  const s = await readSeriesFile(path);
  const y = fillGaps(s.values);
  const perDay = Math.round(86_400_000 / s.stepMs);
  const first = (Date.parse(fromIso) - s.startMs) / s.stepMs;
  let total = 0;
  for (let d = 0; d < days; d++) {
    const end = first + d * perDay;
    const c: ModelContext = { stepMs: s.stepMs, startMs: s.startMs, periods: [perDay, 7 * perDay] };
    total += mae(m.forecast(y.subarray(0, end), perDay, c), y.subarray(end, end + perDay));
  }
  return total / days;
}

test('fft: on NYC taxi (30 min), a held-out summer week beats the one-week seasonal naive', async () => {
  // 2014-08-05..11 New York time: five weeks of history, one holiday (4 July) in it, none in
  // the target week or the naive's source week.
  const from = '2014-08-05T04:00:00Z';
  const ours = await heldOutMae(model, from, 7);
  const naive = await heldOutMae(seasonalNaive('snaive-week', 7 * 86_400_000), from, 7);
  assert.ok(ours < naive, `fft MAE ${ours.toFixed(0)} vs seasonal naive ${naive.toFixed(0)}`);
});
