/**
 * STL and MSTL seasonal-trend decomposition. Pure.
 *
 * STL: R. B. Cleveland, W. S. Cleveland, J. E. McRae and I. Terpenning (1990), "STL: A
 * Seasonal-Trend Decomposition Procedure Based on Loess", Journal of Official Statistics 6(1).
 * One pass of the inner loop, with trend T (0 at first) and robustness weights rho (1 at first):
 *   1. detrend: y - T;
 *   2. cycle-subseries smoothing: the values of each phase of the period n_p (one per cycle) are
 *      smoothed by loess of degree d_s and span n_s, and extended by one cycle at each end -> C
 *      (n + 2 n_p values);
 *   3. low-pass filter of C: moving averages of n_p, n_p and 3 values, then loess of degree d_l
 *      and span n_l -> L (n values);
 *   4. seasonal S = C - L (C shifted by one cycle);
 *   5. deseasonalise: y - S;
 *   6. trend T = loess of degree d_t and span n_t of y - S.
 * The outer loop reruns the inner loop with robustness weights rho = bisquare(|y - S - T| / h),
 * h = 6 median |y - S - T|, which scale the loess weights of steps 2 and 6.
 * Loess (loess.ts): at x, the `span` nearest points get tricube weights of distance / h,
 * h the distance to the farthest of them (widened by (span - n) / 2 when span > n), and a local
 * constant (degree 0) or line (degree 1) is fitted by weighted least squares. To save time it is
 * evaluated only every `jump` points and linearly interpolated in between, as STL does.
 *
 * Defaults are those of R's `stats::stl` (R's src/library/stats/src/stl.f is the reference
 * implementation this one was checked against; test/unit/forecast/stl.test.ts compares the
 * result with R's): s.degree 0, t.window = nextodd(ceiling(1.5 n_p / (1 - 1.5 / n_s))),
 * t.degree 1, l.window = nextodd(n_p), l.degree = t.degree, jumps ceiling(window / 10),
 * inner 2 and outer 0 iterations (1 and 15 when robust). One deliberate difference: the
 * robustness scale here is always 6 x the median |residual|; for an even number of points R's
 * partial sort, asked for the two middle order statistics in descending order, does not always
 * return them, so R's scale is then sometimes another order statistic (n = 1680: 6 x 893.4
 * instead of 6 x 886.0 at the third robustness pass). Without robustness (R's mstl default) the
 * two agree to ~1e-10 of the series' range.
 *
 * MSTL: K. Bandara, R. J. Hyndman and C. Bergmeir (2021), "MSTL: A Seasonal-Trend
 * Decomposition Algorithm for Time Series with Multiple Seasonal Patterns", as in R's
 * `forecast::mstl`: the periods shortest first, each STL-decomposed out of the series with the
 * other seasonal components' current estimates removed, the whole sweep done `iterate` (2) times;
 * seasonal windows 7 + 4 i for the i-th period (11, 15, ...); the trend is the last STL's.
 */
import { medianRange } from '../median.js';
import { type SubseriesPlan, applyPlan, loessAt, loessSmooth, movingAverage, planSubseries } from './loess.js';
import { periodsWithMoreThanTwoCycles } from './shared.js';

/** One STL decomposition's settings; absent ones take R's `stats::stl` defaults (see above). */
export interface StlOptions {
  /** n_p: the period, in steps (an integer >= 2). */
  readonly period: number;
  /** n_s: span of the cycle-subseries loess, in cycles (odd, >= 3: 7 is the smallest sensible). */
  readonly seasonalWindow: number;
  readonly seasonalDegree?: 0 | 1;
  /** n_t, steps. */
  readonly trendWindow?: number;
  readonly trendDegree?: 0 | 1;
  /** n_l, steps. */
  readonly lowpassWindow?: number;
  readonly lowpassDegree?: 0 | 1;
  readonly seasonalJump?: number;
  readonly trendJump?: number;
  readonly lowpassJump?: number;
  /** Robustness iterations (default false, as R's): changes the default inner/outer counts. */
  readonly robust?: boolean;
  readonly inner?: number;
  readonly outer?: number;
}

export interface StlResult {
  readonly seasonal: Float64Array;
  readonly trend: Float64Array;
  /** Robustness weights of the last outer pass (all 1 without outer passes). */
  readonly weights: Float64Array;
}

/** R's nextodd: rounded, then the next odd integer if even. */
const nextOdd = (x: number): number => {
  const r = Math.round(x);
  return r % 2 === 0 ? r + 1 : r;
};

/** STL's spans are at least 3 and odd. */
const oddSpan = (w: number): number => {
  const s = Math.max(3, Math.floor(w));
  return s % 2 === 0 ? s + 1 : s;
};

/** R's default trend span for a period and seasonal span. */
export const defaultTrendWindow = (period: number, seasonalWindow: number): number =>
  nextOdd(Math.ceil((1.5 * period) / (1 - 1.5 / seasonalWindow)));

/** The settings with R's defaults filled in (spans still as given; `stl` makes them odd). */
function settings(o: StlOptions): Required<StlOptions> {
  const robust = o.robust ?? false;
  const trendWindow = o.trendWindow ?? defaultTrendWindow(o.period, o.seasonalWindow);
  const lowpassWindow = o.lowpassWindow ?? nextOdd(o.period);
  const trendDegree = o.trendDegree ?? 1;
  return {
    period: o.period,
    seasonalWindow: o.seasonalWindow,
    seasonalDegree: o.seasonalDegree ?? 0,
    trendWindow,
    trendDegree,
    lowpassWindow,
    lowpassDegree: o.lowpassDegree ?? trendDegree,
    seasonalJump: o.seasonalJump ?? Math.ceil(o.seasonalWindow / 10),
    trendJump: o.trendJump ?? Math.ceil(trendWindow / 10),
    lowpassJump: o.lowpassJump ?? Math.ceil(lowpassWindow / 10),
    robust,
    inner: o.inner ?? (robust ? 1 : 2),
    outer: o.outer ?? (robust ? 15 : 0),
  };
}

/** Buffers one STL run needs, for a series of n points and period np. */
interface Work {
  /** Cycle-subseries smooth, extended by a cycle at both ends: n + 2 np. */
  readonly cycle: Float64Array;
  /** Low-pass stages: n + np + 1, then n + 2, then n. */
  readonly ma1: Float64Array;
  readonly ma2: Float64Array;
  readonly ma3: Float64Array;
  readonly lowpass: Float64Array;
  /** y - trend, then y - seasonal. */
  readonly detrended: Float64Array;
  /** One phase's values, robustness weights and smooth (with its two extensions). */
  readonly sub: Float64Array;
  readonly subRw: Float64Array;
  readonly subFit: Float64Array;
  /** Loess kernel weights (the longest span). */
  readonly w: Float64Array;
  /** Subseries smoother plans for the two subseries lengths (ceil(n / np) and one less). */
  readonly plans: readonly [SubseriesPlan, SubseriesPlan];
}

function work(n: number, np: number, maxSpan: number, ns: number, s: Required<StlOptions>): Work {
  const k = Math.ceil(n / np);
  return {
    plans: [planSubseries(k, ns, s.seasonalDegree, s.seasonalJump), planSubseries(k - 1, ns, s.seasonalDegree, s.seasonalJump)],
    cycle: new Float64Array(n + 2 * np),
    ma1: new Float64Array(n + np + 1),
    ma2: new Float64Array(n + 2),
    ma3: new Float64Array(n),
    lowpass: new Float64Array(n),
    detrended: new Float64Array(n),
    sub: new Float64Array(k),
    subRw: new Float64Array(k),
    subFit: new Float64Array(k + 2),
    w: new Float64Array(Math.max(maxSpan, k, 1)),
  };
}

/**
 * Step 2: for each phase j of period np, the values x[j], x[j + np], ... (k of them) smoothed by
 * loess (span ns) at each of them and extrapolated one cycle before the first and after the last;
 * written to cycle[j], cycle[j + np], ..., k + 2 values.
 */
function cycleSubseries(
  x: Float64Array,
  n: number,
  np: number,
  ns: number,
  degree: number,
  jump: number,
  rw: Float64Array | undefined,
  wk: Work,
): void {
  const { sub, subRw, subFit, cycle, w } = wk;
  if (rw === undefined) {
    // Phases [0, r) have k values, the others k - 1.
    const k = wk.plans[0].k;
    const r = n - (k - 1) * np;
    applyPlan(wk.plans[0], x, np, 0, r, cycle);
    if (r < np) applyPlan(wk.plans[1], x, np, r, np, cycle);
    return;
  }
  for (let j = 0; j < np; j++) {
    const k = Math.floor((n - 1 - j) / np) + 1;
    for (let i = 0; i < k; i++) sub[i] = x[i * np + j]!;
    for (let i = 0; i < k; i++) subRw[i] = rw[i * np + j]!;
    loessSmooth(sub, k, ns, degree, jump, subRw, subFit, 1, w);
    const before = loessAt(sub, k, ns, degree, -1, 0, Math.min(ns, k) - 1, subRw);
    subFit[0] = Number.isNaN(before) ? subFit[1]! : before;
    const after = loessAt(sub, k, ns, degree, k, Math.max(0, k - ns), k - 1, subRw);
    subFit[k + 1] = Number.isNaN(after) ? subFit[k]! : after;
    for (let m = 0; m < k + 2; m++) cycle[m * np + j] = subFit[m]!;
  }
}

/** One inner-loop pass (steps 1-6), updating `seasonal` and `trend` in place. */
function innerPass(
  y: Float64Array,
  s: Required<StlOptions>,
  spans: { readonly ns: number; readonly nt: number; readonly nl: number },
  rw: Float64Array | undefined,
  seasonal: Float64Array,
  trend: Float64Array,
  wk: Work,
): void {
  const n = y.length;
  const np = s.period;
  const { detrended, cycle, ma1, ma2, ma3, lowpass, w } = wk;
  for (let i = 0; i < n; i++) detrended[i] = y[i]! - trend[i]!;
  cycleSubseries(detrended, n, np, spans.ns, s.seasonalDegree, s.seasonalJump, rw, wk);
  movingAverage(cycle, n + 2 * np, np, ma1);
  movingAverage(ma1, n + np + 1, np, ma2);
  movingAverage(ma2, n + 2, 3, ma3);
  loessSmooth(ma3, n, spans.nl, s.lowpassDegree, s.lowpassJump, undefined, lowpass, 0, w);
  for (let i = 0; i < n; i++) seasonal[i] = cycle[np + i]! - lowpass[i]!;
  for (let i = 0; i < n; i++) detrended[i] = y[i]! - seasonal[i]!;
  loessSmooth(detrended, n, spans.nt, s.trendDegree, s.trendJump, rw, trend, 0, w);
}

/**
 * Robustness weights: bisquare(|y - fit| / (6 median |y - fit|)), 1 for residuals below 0.1% of
 * that scale and 0 beyond 99.9% of it. `scratch` holds n values.
 */
function robustnessWeights(y: Float64Array, seasonal: Float64Array, trend: Float64Array, rw: Float64Array, scratch: Float64Array): void {
  const n = y.length;
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(y[i]! - seasonal[i]! - trend[i]!);
  const h = 6 * medianRange(scratch, 0, n);
  for (let i = 0; i < n; i++) {
    const r = Math.abs(y[i]! - seasonal[i]! - trend[i]!);
    if (r <= 0.001 * h) rw[i] = 1;
    else if (r <= 0.999 * h) {
      const u = r / h;
      rw[i] = (1 - u * u) * (1 - u * u);
    } else rw[i] = 0;
  }
}

/**
 * STL decomposition of y (no missing values) with period `opts.period`: y = seasonal + trend +
 * remainder. Needs more than two full cycles (n > 2 period).
 */
export function stl(y: Float64Array, opts: StlOptions): StlResult {
  const n = y.length;
  const s = settings(opts);
  const np = Math.max(2, Math.floor(s.period));
  if (!(n > 2 * np)) throw new RangeError(`stl: ${n} points are not more than two cycles of ${np}`);
  const spans = { ns: oddSpan(s.seasonalWindow), nt: oddSpan(s.trendWindow), nl: oddSpan(s.lowpassWindow) };
  const wk = work(n, np, Math.max(spans.ns, spans.nt, spans.nl), spans.ns, s);
  const seasonal = new Float64Array(n);
  const trend = new Float64Array(n);
  const weights = new Float64Array(n).fill(1);
  const passes = Math.max(1, s.inner);
  const st = { ...s, period: np };
  const run = (rw: Float64Array | undefined): void => {
    for (let k = 0; k < passes; k++) innerPass(y, st, spans, rw, seasonal, trend, wk);
  };
  run(undefined);
  for (let k = 0; k < s.outer; k++) {
    robustnessWeights(y, seasonal, trend, weights, wk.detrended);
    run(weights);
  }
  return { seasonal, trend, weights };
}

export interface MstlOptions {
  /** Sweeps over the periods (default 2, as R's). */
  readonly iterate?: number;
  /** n_s per period, shortest period first (default 7 + 4 i: 11, 15, 19, ...). */
  readonly seasonalWindows?: readonly number[];
  /** STL with robustness iterations (default false, as R's). */
  readonly robust?: boolean;
}

export interface MstlResult {
  /** The periods decomposed, in steps, ascending. */
  readonly periods: readonly number[];
  /** One seasonal component per period (same order), n values each. */
  readonly seasonals: readonly Float64Array[];
  /** Trend (the last STL's). Without periods: y itself (R smooths it; nothing here uses it). */
  readonly trend: Float64Array;
  /** y less the seasonal components: trend + remainder, the seasonally adjusted series. */
  readonly adjusted: Float64Array;
}

/** MSTL of y (no missing values) over those of `periods` that it can decompose. */
export function mstl(y: Float64Array, periods: readonly number[], opts: MstlOptions = {}): MstlResult {
  const n = y.length;
  const ps = periodsWithMoreThanTwoCycles(periods, n);
  const adjusted = y.slice();
  if (ps.length === 0) return { periods: ps, seasonals: [], trend: y.slice(), adjusted };
  const seasonals = ps.map(() => new Float64Array(n));
  let trend: Float64Array = new Float64Array(n);
  const sweeps = Math.max(1, opts.iterate ?? 2);
  for (let it = 0; it < sweeps; it++) {
    for (let i = 0; i < ps.length; i++) {
      const seas = seasonals[i]!;
      for (let t = 0; t < n; t++) adjusted[t]! += seas[t]!;
      const fit = stl(adjusted, {
        period: ps[i]!,
        seasonalWindow: opts.seasonalWindows?.[i] ?? 7 + 4 * (i + 1),
        ...(opts.robust ? { robust: true } : {}),
      });
      seas.set(fit.seasonal);
      for (let t = 0; t < n; t++) adjusted[t]! -= seas[t]!;
      trend = fit.trend;
    }
  }
  return { periods: ps, seasonals, trend, adjusted };
}
