import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitHoltWinters, holtWinters, usablePeriods, criterionHorizons } from '../../../src/forecast/models/holt-winters.js';
import { seasonalNaive } from '../../../src/forecast/models/seasonal-naive.js';
import { readSeriesFile } from '../../../src/metrics/file-source.js';
import type { Model, ModelContext } from '../../../src/forecast/types.js';

const model: Model = holtWinters();
const MIN = 60_000;
const DAY = 86_400_000;

// ---- synthetic series (deterministic) -------------------------------------------------------

/** Park-Miller generator: the same noise on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** values[i] = f(i) + uniform noise in [-noise, noise], for i in [0, n). */
function series(n: number, f: (i: number) => number, noise = 0, seed = 7): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, (_, i) => f(i) + noise * (2 * r() - 1));
}

/** Daily sine plus a weekend dip and a linear trend, per step of a `perDay`-step day. */
const weekly = (perDay: number, trendPerStep: number) => (i: number) => {
  const day = Math.floor(i / perDay) % 7;
  return 100 + trendPerStep * i + 40 * Math.sin((2 * Math.PI * i) / perDay) - (day >= 5 ? 30 : 0);
};

const mae = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};
const meanOf = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s / (to - from);
};
const ctxOf = (stepMs: number, periods: number[]): ModelContext => ({ stepMs, startMs: 0, periods });

function assertFiniteOfLength(out: Float64Array, h: number): void {
  assert.equal(out.length, h);
  for (let i = 0; i < h; i++) assert.ok(Number.isFinite(out[i]!), `forecast[${i}] = ${out[i]}`);
}

// ---- known answers --------------------------------------------------------------------------

test('holt-winters: a daily sine with small noise is forecast almost exactly (MAE < 2% of amplitude)', () => {
  const amp = 50;
  const f = (i: number) => 200 + amp * Math.sin((2 * Math.PI * i) / 288);
  const n = 7 * 288;
  const y = series(n, f, 0.5);
  const out = model.forecast(y, 288, ctxOf(5 * MIN, [288]));
  assertFiniteOfLength(out, 288);
  const truth = Float64Array.from({ length: 288 }, (_, k) => f(n + k));
  assert.ok(mae(out, truth) < 0.02 * amp, `MAE ${mae(out, truth)}`);
});

test('holt-winters: daily+weekly with a trend continues the weekend dip and the current level', () => {
  const perDay = 48; // 30-minute steps
  const f = weekly(perDay, 0.02);
  const n = 28 * perDay; // 4 weeks ending on a Sunday night: the next day is a weekday
  const y = series(n, f, 2);
  const h = 7 * perDay;
  const out = model.forecast(y, h, ctxOf(30 * MIN, [perDay, 7 * perDay]));
  assertFiniteOfLength(out, h);
  const truth = Float64Array.from({ length: h }, (_, k) => f(n + k));
  // Weekly shape: the forecast's Saturday+Sunday sit ~30 below its weekdays, as in the truth.
  const dip = meanOf(out, 0, 5 * perDay) - meanOf(out, 5 * perDay, h);
  assert.ok(Math.abs(dip - 30) < 6, `weekend dip ${dip}`);
  // Trend: the next day is at the risen level (4-week mean is ~13 lower), not at the average.
  const dayErr = meanOf(out, 0, perDay) - meanOf(truth, 0, perDay);
  assert.ok(Math.abs(dayErr) < 2, `next-day mean off by ${dayErr}`);
  assert.ok(mae(out.subarray(0, perDay), truth.subarray(0, perDay)) < 4, 'next-day MAE');
});

test('holt-winters: a level shift three days before the end is followed', () => {
  const perDay = 48;
  const n = 21 * perDay;
  const shiftAt = n - 3 * perDay;
  const f = (i: number) => (i >= shiftAt ? 160 : 100) + 30 * Math.sin((2 * Math.PI * i) / perDay);
  const y = series(n, f, 2);
  const out = model.forecast(y, perDay, ctxOf(30 * MIN, [perDay, 7 * perDay]));
  assertFiniteOfLength(out, perDay);
  const level = meanOf(out);
  // Closer to the new level (160) than to the old (100) by a wide margin: within 10% of the shift.
  assert.ok(Math.abs(level - 160) < 6, `next-day level ${level}`);
});

// ---- edges ----------------------------------------------------------------------------------

test('holt-winters: with no periods, damped Holt follows a ramp and holds a constant', () => {
  const ramp = series(200, (i) => 50 + 0.5 * i, 0.2);
  const out = model.forecast(ramp, 10, ctxOf(MIN, []));
  assertFiniteOfLength(out, 10);
  // Rising, starting near the next ramp value (150) and never beyond the undamped line.
  assert.ok(Math.abs(out[0]! - 150) < 2, `first step ${out[0]}`);
  for (let k = 1; k < 10; k++) assert.ok(out[k]! > out[k - 1]!, 'rising');
  assert.ok(out[9]! < 150 + 0.5 * 9 + 2);

  const flat = model.forecast(new Float64Array(100).fill(42), 5, ctxOf(MIN, []));
  for (const v of flat) assert.ok(Math.abs(v - 42) < 1e-6, `constant forecast ${v}`);
});

test('holt-winters: history just above minHistory still forecasts the daily shape', () => {
  const perDay = 48;
  const ctx = ctxOf(30 * MIN, [perDay, 7 * perDay]);
  const n = model.minHistory(ctx) + 1;
  const f = weekly(perDay, 0);
  const y = series(n, f, 1);
  const out = model.forecast(y, perDay, ctx);
  assertFiniteOfLength(out, perDay);
  const truth = Float64Array.from({ length: perDay }, (_, k) => f(n + k));
  assert.ok(mae(out, truth) < 4, `MAE ${mae(out, truth)} (daily amplitude 40)`);
});

test('holt-winters: minHistory is two of the longest cycles, or a dozen steps without periods', () => {
  const table: [number[], number][] = [
    [[288, 2016], 4032],
    [[48], 96],
    [[], 12],
  ];
  for (const [periods, want] of table) assert.equal(model.minHistory(ctxOf(5 * MIN, periods)), want, String(periods));
});

test('holt-winters: a never-negative series gets forecasts >= 0; a signed one is not clamped', () => {
  const perDay = 48;
  const halfWave = (i: number) => Math.max(0, 100 * Math.sin((2 * Math.PI * i) / perDay));
  const y = series(14 * perDay, halfWave);
  const out = model.forecast(y, 2 * perDay, ctxOf(30 * MIN, [perDay]));
  assertFiniteOfLength(out, 2 * perDay);
  for (const v of out) assert.ok(v >= 0, `negative forecast ${v}`);

  const signed = series(14 * perDay, (i) => 100 * Math.sin((2 * Math.PI * i) / perDay));
  const out2 = model.forecast(signed, perDay, ctxOf(30 * MIN, [perDay]));
  assert.ok(Math.min(...out2) < -50, 'the troughs of a signed series stay negative');
});

test('holt-winters: periods too long for the history are dropped, not used', () => {
  assert.deepEqual(usablePeriods([12, 288, 2016], 1000), [12, 288]);
  assert.deepEqual(usablePeriods([12, 288, 2016], 5000), [288, 2016]);
  const y = series(1000, (i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 288), 0.1);
  const fit = fitHoltWinters(y, [288, 2016], { horizon: 24 });
  assert.deepEqual(fit.periods, [288]);
  assertFiniteOfLength(fit.forecast(24), 24);
});

test('holt-winters: fitted parameters stay in their ranges (phi in [0.8, 0.98])', () => {
  const y = series(28 * 48, weekly(48, 0.05), 3);
  const { params } = fitHoltWinters(y, [48, 336], { horizon: 48 });
  for (const v of [params.alpha, params.beta, params.gamma1, params.gamma2]) assert.ok(v >= 0 && v <= 1);
  assert.ok(params.phi >= 0.8 && params.phi <= 0.98, `phi ${params.phi}`);
  assert.ok(Math.abs(params.lambda) < 1);
});

test('holt-winters: the criterion scores one step plus horizons up to h', () => {
  assert.deepEqual(criterionHorizons(1, 100), [1]);
  const ks = criterionHorizons(288, 10_000);
  assert.equal(ks[0], 1);
  assert.equal(ks[ks.length - 1], 288);
  assert.deepEqual(criterionHorizons(288, 50).at(-1), 50);
});

test('holt-winters: empty history is an error, not a forecast of zero', () => {
  assert.throws(() => model.forecast(new Float64Array(0), 5, ctxOf(MIN, [])), RangeError);
});

// ---- speed ----------------------------------------------------------------------------------

test('holt-winters: 28 days at 5 min with [288, 2016] and h = 288 fits and forecasts quickly', () => {
  const y = series(8064, weekly(288, 0.002), 3);
  const ctx = ctxOf(5 * MIN, [288, 2016]);
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    model.forecast(y, 288, ctx);
    times.push(performance.now() - t0);
  }
  // Target is well under 60 ms once the JIT has warmed up (measured ~16 ms on an idle core); the
  // best of 5 runs and a loose bound keep a busy shared machine from failing the test.
  assert.ok(Math.min(...times) < 150, `best of 5: ${Math.min(...times)} ms (all: ${times.join(', ')})`);
});

// ---- a real trace ---------------------------------------------------------------------------

/** Fills NaN gaps by linear interpolation between the neighbours (ends: nearest value). */
function interpolateGaps(v: Float64Array): Float64Array {
  const o = v.slice();
  let last = -1;
  for (let i = 0; i <= o.length; i++) {
    if (i < o.length && Number.isNaN(o[i]!)) continue;
    for (let j = last + 1; j < i; j++) {
      const a = last >= 0 ? o[last]! : o[i]!;
      const b = i < o.length ? o[i]! : a;
      o[j] = a + ((b - a) * (j - last)) / (i - last);
    }
    last = i;
  }
  return o;
}

test('holt-winters: on nyc_taxi the held-out last day beats the weekly seasonal naive', async () => {
  const s = await readSeriesFile('fixtures/traces/nyc_taxi_30min.csv');
  const y = interpolateGaps(s.values);
  const perDay = Math.round(DAY / s.stepMs);
  const end = y.length - perDay;
  const hist = y.subarray(end - 28 * perDay, end); // 28 days of history, as the engine keeps
  const truth = y.subarray(end);
  const ctx: ModelContext = { stepMs: s.stepMs, startMs: s.startMs + (end - 28 * perDay) * s.stepMs, periods: [perDay, 7 * perDay] };
  const ours = mae(model.forecast(hist, perDay, ctx), truth);
  const naive = mae(seasonalNaive('snaive-week', 7 * DAY).forecast(hist, perDay, ctx), truth);
  assert.ok(ours < naive, `holt-winters MAE ${ours} vs seasonal naive ${naive}`);
});
