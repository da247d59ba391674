/**
 * The scenarios every forecasting model must pass, run for each model from one table.
 *
 * A row of `contracts` lists the scenarios its model is held to and, where the models were
 * specified differently (step, noise, horizon, bound), that model's own values: the two
 * smoothing models (holt-winters, decomposition, mstl) share one set, the two harmonic/lag models (fft,
 * regression) another. A scenario absent from a row is not run for that model. Each test makes
 * a fresh model. Tests of one model's internals stay in that model's own file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import { decomposition } from '../../../src/forecast/models/decomposition.js';
import { holtWinters } from '../../../src/forecast/models/holt-winters.js';
import { mstlModel } from '../../../src/forecast/models/mstl.js';
import { regression } from '../../../src/forecast/models/regression.js';
import { seasonalNaive } from '../../../src/forecast/models/seasonal-naive.js';
import { spectral } from '../../../src/forecast/models/spectral.js';
import { MODEL_NAMES, allModels } from '../../../src/forecast/registry.js';
import type { Model, ModelContext } from '../../../src/forecast/types.js';
import {
  assertFiniteOfLength,
  ctxOf,
  gapFreeTrace,
  lcgGaussian,
  mae,
  meanOf,
  NO_NOISE,
  series,
  truth,
  weekly,
  type Noise,
} from '../../support/synthetic.js';

const FIVE_MIN = 5 * MINUTE_MS;
const HALF_HOUR = 30 * MINUTE_MS;
const DAY = 288; // 5-minute steps per day
const WEEK = 7 * DAY;

// ---- scenario parameters --------------------------------------------------------------------

/** Daily + weekly cycles with a linear trend: the weekend dip, the current level, the shape. */
interface TrendScenario {
  readonly stepMs: number;
  readonly perDay: number;
  /** The load at step i; day 0 is a Monday, Saturday and Sunday sit 30 lower. */
  readonly f: (i: number) => number;
  readonly noise: Noise;
  /** Whole days of history. */
  readonly historyDays: number;
  readonly horizonDays: number;
  /** Days of the horizon, [from, to), whose mean difference must be the dip of 30. */
  readonly weekdays: readonly [number, number];
  readonly weekend: readonly [number, number];
  /** What the trend alone adds to that difference (taken off before the check). */
  readonly dipFromTrend: number;
  readonly dipWithin: number;
  /**
   * Next-day level error: false, against the truth; true, net of the history's own noise
   * (forecast minus last week's mean, against truth minus last week's true mean).
   */
  readonly levelNetOfHistoryNoise: boolean;
  readonly levelWithin: number;
  /** MAE over the first `maeDays` of the horizon. */
  readonly maeDays: number;
  readonly maeBelow: number;
}

/** 4 weeks at 30 min ending on a Sunday night; a week ahead. */
const TREND_WEEK_AHEAD_30MIN: TrendScenario = {
  stepMs: HALF_HOUR,
  perDay: 48,
  f: weekly(48, 0.02),
  noise: { uniform: 2 },
  historyDays: 28,
  horizonDays: 7,
  weekdays: [0, 5],
  weekend: [5, 7],
  dipFromTrend: 0,
  dipWithin: 6,
  // The next day is at the risen level (4-week mean is ~13 lower), not at the average.
  levelNetOfHistoryNoise: false,
  levelWithin: 2,
  maeDays: 1,
  maeBelow: 4,
};

/** 26 days at 5 min ending on a Friday midnight: the horizon is the weekend and Monday. */
const TREND_WEEKEND_AHEAD_5MIN: TrendScenario = {
  stepMs: FIVE_MIN,
  perDay: DAY,
  // A step (so many weekly harmonics) plus a daily sine and growth of 0.01 per step (+2.9 a day).
  f: (t) => 300 + 0.01 * t + 60 * Math.sin((2 * Math.PI * t) / DAY) + (Math.floor(t / DAY) % 7 >= 5 ? -30 : 0),
  noise: { normal: 3 },
  historyDays: 26,
  horizonDays: 3,
  weekdays: [2, 3],
  weekend: [0, 2],
  dipFromTrend: 0.01 * 1.5 * DAY, // slope times the 1.5 days between the two means
  dipWithin: 4,
  levelNetOfHistoryNoise: true,
  levelWithin: 2,
  maeDays: 3,
  maeBelow: 3, // noise sigma 3
};

/** One series forecast without periods, and what its forecast must satisfy. */
interface NoPeriodsCase {
  readonly n: number;
  readonly f: (i: number) => number;
  readonly noise: Noise;
  readonly seed: number;
  readonly h: number;
  readonly maeBelow?: number;
  /** |forecast[0] - truth[0]| below this. */
  readonly firstStepWithin?: number;
  /** Strictly rising forecast. */
  readonly rising?: boolean;
  /** Damped: forecast[h-1] below the undamped line's truth[h-1] plus this. */
  readonly lastStepAboveLineBelow?: number;
  /** Every step within this of the truth. */
  readonly everyStepWithin?: number;
}

interface NoPeriodsScenario {
  readonly stepMs: number;
  readonly line: NoPeriodsCase;
  readonly level: NoPeriodsCase;
}

/** Damped-trend smoothing: a short ramp is followed without overshoot, a constant held exactly. */
const NO_PERIODS_DAMPED: NoPeriodsScenario = {
  stepMs: MINUTE_MS,
  line: { n: 200, f: (i) => 50 + 0.5 * i, noise: { uniform: 0.2 }, seed: 7, h: 10, firstStepWithin: 2, rising: true, lastStepAboveLineBelow: 2 },
  level: { n: 100, f: () => 42, noise: NO_NOISE, seed: 7, h: 5, everyStepWithin: 1e-6 },
};

/** A long noisy line is continued and a noisy level is held. */
const NO_PERIODS_NOISY: NoPeriodsScenario = {
  stepMs: FIVE_MIN,
  line: { n: 1000, f: (t) => 50 + 0.2 * t, noise: { normal: 2 }, seed: 11, h: 100, maeBelow: 1.5 },
  level: { n: 1000, f: () => 80, noise: { normal: 2 }, seed: 11, h: 100, maeBelow: 1 },
};

/** Forecasts of a never-negative series are >= 0; a series with negative values is not clamped. */
interface ClampScenario {
  readonly stepMs: number;
  readonly perDay: number;
  readonly days: number;
  readonly f: (i: number) => number;
  readonly h: number;
  /** Some forecast must sit exactly on the zero clamp. */
  readonly reachesZero: boolean;
  /** The signed series, given the never-negative one. */
  readonly signed: (y: Float64Array) => Float64Array;
  readonly signedH: number;
  readonly signedMinBelow: number;
}

const CLAMP_HALF_WAVE: ClampScenario = {
  stepMs: HALF_HOUR,
  perDay: 48,
  days: 14,
  f: (i) => Math.max(0, 100 * Math.sin((2 * Math.PI * i) / 48)),
  h: 2 * 48,
  reachesZero: false,
  // The troughs of a signed series stay negative.
  signed: () => series(14 * 48, (i) => 100 * Math.sin((2 * Math.PI * i) / 48)),
  signedH: 48,
  signedMinBelow: -50,
};

const CLAMP_FALLING_TREND: ClampScenario = {
  stepMs: FIVE_MIN,
  perDay: DAY,
  days: 7,
  // Falling fast towards zero: the extrapolated trend crosses zero within the horizon.
  f: (t) => Math.max(0, 100 - 0.05 * t) + 5 * Math.sin((2 * Math.PI * t) / DAY) + 5,
  h: 2 * DAY,
  reachesZero: true,
  signed: (y) => y.map((v) => v - 50),
  signedH: 2 * DAY,
  signedMinBelow: -1,
};

/** nyc_taxi (30 min, gaps interpolated): mean MAE of one-day-ahead forecasts from these origins. */
interface NycScenario {
  readonly what: string;
  /** Indices where the held-out days start. */
  readonly origins: (s: Series, perDay: number) => number[];
  /** Days of history before each origin; all of it when absent. */
  readonly historyDays?: number;
}

const NYC_LAST_DAY: NycScenario = {
  what: 'the held-out last day, from 28 days of history (as the engine keeps)',
  origins: (s, perDay) => [s.values.length - perDay],
  historyDays: 28,
};

const NYC_SUMMER_WEEK: NycScenario = {
  // 2014-08-05..11 New York time: five weeks of history, one holiday (4 July) in it, none in
  // the target week or the naive's source week. Rolling origin, all the history before each day.
  what: 'a held-out summer week (2014-08-05..11), each day from all the history before it',
  origins: (s, perDay) => {
    const first = (Date.parse('2014-08-05T04:00:00Z') - s.startMs) / s.stepMs;
    return Array.from({ length: 7 }, (_, d) => first + d * perDay);
  },
};

/** What one model is held to; an absent scenario is not run for it. */
interface Contract {
  /** Test-name prefix, and the model's `name`. */
  readonly name: string;
  readonly make: () => Model;
  /** [periods at 5 min, minHistory] pairs. */
  readonly minHistory: readonly [number[], number][];
  /** The daily sine's phase and noise (amplitude 50, a week of history at 5 min). */
  readonly dailySine: { readonly phase: number; readonly noise: Noise };
  readonly trend: TrendScenario;
  readonly levelShift?: { readonly within: number };
  readonly outlierBurst?: { readonly maeBelowOfAmplitude: number };
  readonly justAboveMinHistory?: { readonly maeBelow: number };
  readonly noPeriods: NoPeriodsScenario;
  readonly edgeCases?: { readonly constantWithin: number };
  readonly clamp: ClampScenario;
  readonly emptyHistoryThrows?: true;
  readonly nyc: NycScenario;
}

/** What the smoothing models, holt-winters, decomposition and mstl, are all held to. */
const SMOOTHING: Omit<Contract, 'name' | 'make'> = {
  // Two of the longest cycles, or a dozen steps without periods.
  minHistory: [
    [[288, 2016], 4032],
    [[48], 96],
    [[], 12],
  ],
  dailySine: { phase: 0, noise: { uniform: 0.5 } },
  trend: TREND_WEEK_AHEAD_30MIN,
  levelShift: { within: 6 },
  justAboveMinHistory: { maeBelow: 4 },
  noPeriods: NO_PERIODS_DAMPED,
  clamp: CLAMP_HALF_WAVE,
  emptyHistoryThrows: true,
  nyc: NYC_LAST_DAY,
};

/** What the harmonic (fft) and lag-regression models are both held to. */
const HARMONIC_AND_LAGS: Omit<Contract, 'name' | 'make' | 'minHistory' | 'dailySine'> = {
  trend: TREND_WEEKEND_AHEAD_5MIN,
  outlierBurst: { maeBelowOfAmplitude: 0.03 },
  noPeriods: NO_PERIODS_NOISY,
  edgeCases: { constantWithin: 1e-9 },
  clamp: CLAMP_FALLING_TREND,
  nyc: NYC_SUMMER_WEEK,
};

const contracts: Contract[] = [
  { name: 'holt-winters', make: () => holtWinters(), ...SMOOTHING },
  { name: 'decomposition', make: () => decomposition(), ...SMOOTHING },
  { name: 'mstl', make: () => mstlModel(), ...SMOOTHING },
  {
    name: 'fft',
    make: () => spectral(),
    minHistory: [
      [[288, 2016], 2 * 288], // two whole days: the daily shape and a second cycle to tell it from noise
      [[12, 288], 24],
      [[], 16],
    ],
    // Noise sigma 5% of amplitude: a copy of yesterday would be off by ~0.056 * amp on average.
    dailySine: { phase: 0.7, noise: { normal: 0.05 * 50 } },
    ...HARMONIC_AND_LAGS,
  },
  {
    name: 'regression',
    make: () => regression(),
    minHistory: [
      [[288, 2016], 2 * 288], // one lag of the shortest period and one cycle of training rows
      [[12, 288], 24],
      [[], 32], // an AR(4) with trend: 8 points per coefficient
    ],
    // Noise sigma 2% of amplitude: a copy of yesterday would be off by ~0.023 * amp on average;
    // the lags' noise reaches the forecast (divided by about the number of lags).
    dailySine: { phase: 0.7, noise: { normal: 0.02 * 50 } },
    ...HARMONIC_AND_LAGS,
  },
];

// ---- helpers --------------------------------------------------------------------------------

/** Mean MAE of one-day-ahead forecasts of `s` from each origin (see NycScenario). */
function heldOutMae(m: Model, s: Series, perDay: number, sc: NycScenario): number {
  const origins = sc.origins(s, perDay);
  let total = 0;
  for (const end of origins) {
    const start = sc.historyDays === undefined ? 0 : end - sc.historyDays * perDay;
    const ctx: ModelContext = { stepMs: s.stepMs, startMs: s.startMs + start * s.stepMs, periods: [perDay, 7 * perDay] };
    total += mae(m.forecast(s.values.subarray(start, end), perDay, ctx), s.values.subarray(end, end + perDay));
  }
  return total / origins.length;
}

function checkNoPeriods(label: string, model: Model, stepMs: number, c: NoPeriodsCase): void {
  const y = series(c.n, c.f, c.noise, c.seed);
  const out = model.forecast(y, c.h, ctxOf(stepMs, []));
  assertFiniteOfLength(out, c.h);
  const want = truth(c.n, c.h, c.f);
  if (c.maeBelow !== undefined) assert.ok(mae(out, want) < c.maeBelow, `${label}: MAE ${mae(out, want)}`);
  if (c.firstStepWithin !== undefined) assert.ok(Math.abs(out[0]! - want[0]!) < c.firstStepWithin, `${label}: first step ${out[0]}`);
  if (c.rising) for (let k = 1; k < c.h; k++) assert.ok(out[k]! > out[k - 1]!, `${label}: rising`);
  if (c.lastStepAboveLineBelow !== undefined) {
    assert.ok(out[c.h - 1]! < want[c.h - 1]! + c.lastStepAboveLineBelow, `${label}: last step ${out[c.h - 1]} beyond the undamped line`);
  }
  if (c.everyStepWithin !== undefined) {
    for (let k = 0; k < c.h; k++) assert.ok(Math.abs(out[k]! - want[k]!) < c.everyStepWithin, `${label}: forecast ${out[k]}`);
  }
}

// ---- the contract ---------------------------------------------------------------------------

for (const row of contracts) {
  describe(`${row.name} (model contract)`, () => {
    test('name and honest minimum history', () => {
      const model = row.make();
      assert.equal(model.name, row.name);
      for (const [periods, want] of row.minHistory) assert.equal(model.minHistory(ctxOf(FIVE_MIN, periods)), want, `periods ${periods}`);
    });

    test('a daily sine with small noise is forecast almost exactly (MAE < 2% of amplitude)', () => {
      const model = row.make();
      const amp = 50;
      const f = (i: number) => 200 + amp * Math.sin((2 * Math.PI * i) / DAY + row.dailySine.phase);
      const n = 7 * DAY;
      const y = series(n, f, row.dailySine.noise);
      const out = model.forecast(y, DAY, ctxOf(FIVE_MIN, [DAY]));
      assertFiniteOfLength(out, DAY);
      const err = mae(out, truth(n, DAY, f));
      assert.ok(err < 0.02 * amp, `MAE ${err}`);
    });

    test('daily + weekly cycles with a trend: the weekend dip and the current level are continued', () => {
      const model = row.make();
      const s = row.trend;
      const perDay = s.perDay;
      const n = s.historyDays * perDay;
      const h = s.horizonDays * perDay;
      const y = series(n, s.f, s.noise);
      const out = model.forecast(y, h, ctxOf(s.stepMs, [perDay, 7 * perDay]));
      assertFiniteOfLength(out, h);
      const want = truth(n, h, s.f);
      // Weekly shape: the forecast's Saturday+Sunday sit ~30 below its weekdays, as in the truth.
      const dip =
        meanOf(out, s.weekdays[0] * perDay, s.weekdays[1] * perDay) - meanOf(out, s.weekend[0] * perDay, s.weekend[1] * perDay) - s.dipFromTrend;
      assert.ok(Math.abs(dip - 30) < s.dipWithin, `weekend dip ${dip}, want 30`);
      // Trend: the next day is at the risen level, not at the average of the history.
      const week = 7 * perDay;
      const levelErr = s.levelNetOfHistoryNoise
        ? meanOf(out, 0, perDay) - meanOf(y, n - week, n) - (meanOf(want, 0, perDay) - meanOf(truth(n - week, week, s.f)))
        : meanOf(out, 0, perDay) - meanOf(want, 0, perDay);
      assert.ok(Math.abs(levelErr) < s.levelWithin, `next-day level off by ${levelErr}`);
      const k = s.maeDays * perDay;
      const err = mae(out.subarray(0, k), want.subarray(0, k));
      assert.ok(err < s.maeBelow, `MAE ${err} over the first ${s.maeDays} day(s)`);
    });

    const { levelShift, outlierBurst, justAboveMinHistory, edgeCases } = row;

    if (levelShift) {
      test('a level shift three days before the end is followed', () => {
        const model = row.make();
        const perDay = 48;
        const n = 21 * perDay;
        const shiftAt = n - 3 * perDay;
        const f = (i: number) => (i >= shiftAt ? 160 : 100) + 30 * Math.sin((2 * Math.PI * i) / perDay);
        const y = series(n, f, { uniform: 2 });
        const out = model.forecast(y, perDay, ctxOf(HALF_HOUR, [perDay, 7 * perDay]));
        assertFiniteOfLength(out, perDay);
        const level = meanOf(out);
        // Closer to the new level (160) than to the old (100) by a wide margin: within 10% of the shift.
        assert.ok(Math.abs(level - 160) < levelShift.within, `next-day level ${level}`);
      });
    }

    if (outlierBurst) {
      test('an outlier burst in the history does not show up in the forecast', () => {
        const model = row.make();
        const amp = 50;
        const f = (t: number): number => 200 + amp * Math.sin((2 * Math.PI * t) / DAY);
        const n = 7 * DAY;
        const y = series(n, f, { normal: 1 });
        // A one-hour burst of 10x the amplitude in the last day, and a dropout to 0 two days earlier.
        const burstAt = n - DAY + 100;
        for (let t = burstAt; t < burstAt + 12; t++) y[t] = f(t) + 10 * amp;
        for (let t = n - 3 * DAY + 40; t < n - 3 * DAY + 52; t++) y[t] = 0;
        const out = model.forecast(y, DAY, ctxOf(FIVE_MIN, [DAY]));
        assertFiniteOfLength(out, DAY);
        const want = truth(n, DAY, f);
        // At the burst's time of day tomorrow and everywhere else: close to the clean truth.
        const bound = outlierBurst.maeBelowOfAmplitude * amp;
        const atBurst = mae(out.slice(100, 112), want.slice(100, 112));
        assert.ok(atBurst < bound, `at the burst's phase MAE ${atBurst}`);
        assert.ok(mae(out, want) < bound, `MAE ${mae(out, want)}`);
      });
    }

    if (justAboveMinHistory) {
      test('history just above minHistory still forecasts the daily shape', () => {
        const model = row.make();
        const perDay = 48;
        const ctx = ctxOf(HALF_HOUR, [perDay, 7 * perDay]);
        const n = model.minHistory(ctx) + 1;
        const f = weekly(perDay, 0);
        const y = series(n, f, { uniform: 1 });
        const out = model.forecast(y, perDay, ctx);
        assertFiniteOfLength(out, perDay);
        const err = mae(out, truth(n, perDay, f));
        assert.ok(err < justAboveMinHistory.maeBelow, `MAE ${err} (daily amplitude 40)`);
      });
    }

    test('without periods, a line is continued and a level is held', () => {
      const model = row.make();
      checkNoPeriods('line', model, row.noPeriods.stepMs, row.noPeriods.line);
      checkNoPeriods('level', model, row.noPeriods.stepMs, row.noPeriods.level);
    });

    if (edgeCases) {
      test('output is h finite values in edge cases', () => {
        const model = row.make();
        const noise = lcgGaussian(3);
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
          { name: 'non-integer period', y: series(2000, (t) => Math.sin((2 * Math.PI * t) / 100.4), { normal: 0.1 }), h: 200, periods: [100.4] },
        ];
        for (const c of cases) {
          const out = model.forecast(c.y, c.h, ctxOf(FIVE_MIN, c.periods));
          assert.equal(out.length, c.h, c.name);
          assert.ok(out.every(Number.isFinite), `${c.name}: non-finite value`);
        }
        const flat = model.forecast(new Float64Array(2 * DAY).fill(42), 10, ctxOf(FIVE_MIN, [DAY]));
        for (const v of flat) assert.ok(Math.abs(v - 42) < edgeCases.constantWithin, `constant series forecast ${v}`);
      });
    }

    test('clamped at zero for a never-negative series, not for one that goes negative', () => {
      const model = row.make();
      const c = row.clamp;
      const ctx = ctxOf(c.stepMs, [c.perDay]);
      const y = series(c.days * c.perDay, c.f);
      const out = model.forecast(y, c.h, ctx);
      assertFiniteOfLength(out, c.h);
      for (const v of out) assert.ok(v >= 0, `negative forecast ${v} for a non-negative series`);
      if (c.reachesZero) assert.ok(out.some((v) => v === 0), 'the falling trend should reach the zero clamp');
      const signed = model.forecast(c.signed(y), c.signedH, ctx);
      assert.ok(Math.min(...signed) < c.signedMinBelow, 'a series with negative values must not be clamped');
    });

    if (row.emptyHistoryThrows) {
      test('empty history is an error, not a forecast of zero', () => {
        const model = row.make();
        assert.throws(() => model.forecast(new Float64Array(0), 5, ctxOf(MINUTE_MS, [])), RangeError);
      });
    }

    test(`on nyc_taxi (30 min), ${row.nyc.what} beats the one-week seasonal naive`, async () => {
      const model = row.make();
      const s = await gapFreeTrace('nyc_taxi_30min');
      const perDay = Math.round(86_400_000 / s.stepMs);
      const ours = heldOutMae(model, s, perDay, row.nyc);
      const naive = heldOutMae(seasonalNaive('snaive-week', 7 * 86_400_000), s, perDay, row.nyc);
      assert.ok(ours < naive, `${row.name} MAE ${ours} vs seasonal naive ${naive}`);
    });
  });
}

test('the registry builds one model per name of MODEL_NAMES, in that order, each answering to its name', () => {
  assert.deepEqual(
    allModels().map((m) => m.name),
    [...MODEL_NAMES],
  );
});
