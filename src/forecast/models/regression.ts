/**
 * Seasonal regression, after Netflix Scryer's linear-regression predictor (Netflix tech blog,
 * "Scryer: Netflix's Predictive Auto Scaling Engine", 2013): the value at time t is predicted
 * from the values at the same phase of the previous cycles of the longest period P (t - 1 week,
 * t - 2 weeks, ... with a weekly period; t - 1 day, ... with only a daily one), plus a trend:
 *
 *   y_t ~ a + b * tau_t + sum_{k=1..K} w_k * y_{t - k P} + u * y_{t - D} + v * y_{t - D - P}
 *
 * - tau_t is time in cycles of P from the end of the history. D is the shortest detected
 *   period when shorter than P (e.g. a day under a weekly P): the (u, v) pair lets the model
 *   learn that yesterday's deviation from last week carries over (a seasonal-ARIMA-like term).
 * - K = min(maxLags, cycles - 2) (at least 1): two cycles of training rows when there are 3+.
 * - Fitted by least squares on the recent history (the last `trainCycles` cycles) with Huber
 *   re-weighting (c = 1.345 robust sigmas, IRLS_ITERATIONS passes).
 * - Ridge towards the seasonal-naive average (w_k = 1/K, b = u = v = 0), with the weight of a
 *   quarter cycle of observations (`priorCycles`) in each column's own variance: stable with
 *   few cycles (the lags are nearly collinear), and the data win with many. The intercept is
 *   free: with w summing to 1 it carries the per-cycle growth of a linear trend.
 * - Outliers: after a fit, the history is walked forward and every point further than
 *   OUTLIER_SIGMAS robust sigmas from its prediction (made from already-cleaned lags) is replaced
 *   by the prediction; then the model is refitted on the cleaned history. So a burst neither
 *   drags the weights nor is copied into the forecast through the lags.
 * - Forecast recursively: lags that fall in the future use earlier forecasts (h > P).
 * - No usable period: an AR(K) with the trend term on the last steps (lag 1..K), lag prior 0:
 *   a noisy line is continued by the trend, a level is held, a random walk is followed.
 * - Clamped at 0 when the history is never negative.
 */
import type { Model, ModelContext } from '../types.js';
import { huberWeight, longestUsablePeriod, median, robustSigma, weightedRidge } from '../linalg.js';

/** Tunables; the defaults are the model (they are not tuned per series). */
export interface RegressionOptions {
  /** Lags (previous cycles of P) at most. Default 3. */
  readonly maxLags: number;
  /** Training rows: the last this many cycles of P at most. Default 4. */
  readonly trainCycles: number;
  /** Ridge prior weight, in cycles of observations. Default 0.25. */
  readonly priorCycles: number;
  /** Add y(t - D) and y(t - D - P), D = shortest period < P: the recent deviation from the
   *  previous cycle carries over (a seasonal-ARIMA-like term). Default true. */
  readonly shortLag: boolean;
}

const DEFAULTS: RegressionOptions = { maxLags: 3, trainCycles: 4, priorCycles: 0.25, shortLag: true };

/** Huber-reweighted least-squares passes per fit. */
const IRLS_ITERATIONS = 3;
/** Huber tuning constant in robust sigmas (95% efficiency on Gaussian noise). */
const HUBER_C = 1.345;
/** Points this many robust sigmas from their prediction are replaced (3-sigma rule on MAD). */
const OUTLIER_SIGMAS = 3;
/** Clean-and-refit rounds after the first fit. */
const CLEAN_ROUNDS = 1;
/** Without a period: AR order and training rows at most. */
const AR_ORDER = 4;
const AR_ROWS = 4096;

export function regression(options: Partial<RegressionOptions> = {}): Model {
  const opts: RegressionOptions = { ...DEFAULTS, ...options };
  return { name: 'regression', minHistory, forecast: (y, h, ctx) => forecast(y, h, ctx, opts) };
}

/** Two whole cycles of the shortest period (one lag and one cycle of training rows);
 *  without periods, enough rows for an AR(4): 32 points. */
function minHistory(ctx: ModelContext): number {
  const p = ctx.periods.find((q) => Math.round(q) >= 2);
  return p === undefined ? 8 * AR_ORDER : 2 * Math.round(p);
}

/** The lag layout chosen from the history length. */
interface Design {
  /** Lag unit: P, or 1 without a period. */
  lag: number;
  /** Number of lags K. */
  lags: number;
  /** Short lag D (0: none): features y(t-D), y(t-D-lag). */
  short: number;
  /** Whether the trend column is used. */
  trend: boolean;
  /** First training row (index into y). */
  first: number;
  /** Ridge prior weight, rows. */
  priorRows: number;
  /** Prior value of each lag weight. */
  priorLag: number;
}

function design(n: number, periods: readonly number[], opts: RegressionOptions): Design | null {
  const P = longestUsablePeriod(periods, n);
  if (P > 0) {
    const cycles = Math.floor(n / P);
    // Keep at least one training cycle; with 3+ cycles keep two so the weights are not fitted
    // on a single cycle.
    const lags = Math.max(1, Math.min(opts.maxLags, cycles >= 3 ? cycles - 2 : cycles - 1));
    const D = Math.round(periods.find((q) => Math.round(q) >= 2) ?? 0);
    const short = opts.shortLag && D < P ? D : 0;
    const first = Math.max(lags * P, short + P, n - opts.trainCycles * P);
    const priorRows = opts.priorCycles * P;
    return { lag: P, lags, short, trend: true, first, priorRows, priorLag: 1 / lags };
  }
  const lags = Math.min(AR_ORDER, Math.floor((n - 1) / 4));
  if (lags < 1) return null;
  return { lag: 1, lags, short: 0, trend: true, first: Math.max(lags, n - AR_ROWS), priorRows: lags, priorLag: 0 };
}

function forecast(y: Float64Array, h: number, ctx: ModelContext, opts: RegressionOptions): Float64Array {
  const out = new Float64Array(Math.max(0, h));
  const n = y.length;
  if (h <= 0 || n === 0) return out;
  let nonNegative = true;
  for (let i = 0; i < n; i++) if (y[i]! < 0) nonNegative = false;
  const d = design(n, ctx.periods, opts);
  if (d === null) {
    out.fill(y[n - 1]!);
    return out;
  }
  const x = Float64Array.from(y);
  let beta = fit(x, d);
  for (let round = 0; round < CLEAN_ROUNDS && beta !== null; round++) {
    clean(y, x, beta, d);
    beta = fit(x, d);
  }
  if (beta !== null) predict(x, h, d, beta, out);
  if (beta === null || !out.every(Number.isFinite)) seasonalAverage(x, h, d, out);
  if (nonNegative) for (let i = 0; i < h; i++) if (out[i]! < 0) out[i] = 0;
  return out;
}

/** Feature count: columns [1, trend?, y(t-P)..y(t-KP), (y(t-D), y(t-D-P))?]. */
const width = (d: Design): number => 1 + (d.trend ? 1 : 0) + d.lags + (d.short > 0 ? 2 : 0);
/** Index of the first seasonal-lag column. */
const lagColumn = (d: Design): number => 1 + (d.trend ? 1 : 0);

/** Writes the features of time t into row (reads lags from `x`, then from `future` beyond n). */
function features(x: Float64Array, future: Float64Array, t: number, d: Design, row: Float64Array, o: number): void {
  const n = x.length;
  let c = o;
  row[c++] = 1;
  // Trend in cycles relative to the end of the history (keeps the column well scaled).
  if (d.trend) row[c++] = (t - n) / d.lag;
  for (let k = 1; k <= d.lags; k++) {
    const j = t - k * d.lag;
    row[c++] = j < n ? x[j]! : future[j - n]!;
  }
  if (d.short > 0) {
    const j = t - d.short;
    row[c++] = j < n ? x[j]! : future[j - n]!;
    const i = j - d.lag;
    row[c++] = i < n ? x[i]! : future[i - n]!;
  }
}

/** Robust (Huber IRLS) ridge fit on rows first..n-1 of `x`. */
function fit(x: Float64Array, d: Design): Float64Array | null {
  const n = x.length;
  const rows = n - d.first;
  const p = width(d);
  const X = new Float64Array(rows * p);
  const Y = new Float64Array(rows);
  const none = new Float64Array(0);
  for (let r = 0; r < rows; r++) {
    features(x, none, d.first + r, d, X, r * p);
    Y[r] = x[d.first + r]!;
  }
  // Ridge penalty per column: prior worth `priorRows` rows, in the column's own variance.
  const penalty = new Float64Array(p);
  const prior = new Float64Array(p);
  for (let j = 1; j < p; j++) {
    let s = 0;
    let s2 = 0;
    for (let r = 0; r < rows; r++) {
      const v = X[r * p + j]!;
      s += v;
      s2 += v * v;
    }
    const variance = Math.max(0, s2 / rows - (s / rows) ** 2);
    // A floor relative to the column's magnitude keeps the system positive definite for a
    // constant column (flat history).
    penalty[j] = d.priorRows * Math.max(variance, 1e-9 * (s2 / rows) + 1e-12);
    prior[j] = j >= lagColumn(d) && j < lagColumn(d) + d.lags ? d.priorLag : 0;
  }
  const w = new Float64Array(rows).fill(1);
  const resid = new Float64Array(rows);
  const scratch = new Float64Array(rows);
  let beta: Float64Array | null = null;
  for (let iter = 0; iter < IRLS_ITERATIONS; iter++) {
    beta = weightedRidge(X, Y, w, rows, p, penalty, prior);
    if (beta === null) return null;
    for (let r = 0; r < rows; r++) {
      let f = 0;
      for (let j = 0; j < p; j++) f += X[r * p + j]! * beta[j]!;
      resid[r] = Y[r]! - f;
    }
    const c = HUBER_C * robustSigma(resid, rows, scratch);
    if (!(c > 0)) break;
    const center = median(resid, rows, scratch);
    for (let r = 0; r < rows; r++) w[r] = huberWeight(resid[r]! - center, c);
  }
  return beta;
}

/** Walks forward from the first row: points far from their prediction (from cleaned lags) are
 *  replaced in `x` by the prediction; the others get their original value from `y`. */
function clean(y: Float64Array, x: Float64Array, beta: Float64Array, d: Design): void {
  const n = y.length;
  const p = width(d);
  const rows = n - d.first;
  const row = new Float64Array(p);
  const none = new Float64Array(0);
  const resid = new Float64Array(rows);
  // Scale from the residuals of the current (cleaned) series.
  for (let r = 0; r < rows; r++) {
    features(x, none, d.first + r, d, row, 0);
    let f = 0;
    for (let j = 0; j < p; j++) f += row[j]! * beta[j]!;
    resid[r] = x[d.first + r]! - f;
  }
  const center = median(resid, rows);
  const limit = OUTLIER_SIGMAS * robustSigma(resid, rows);
  if (!(limit > 0)) return;
  for (let r = 0; r < rows; r++) {
    const t = d.first + r;
    features(x, none, t, d, row, 0);
    let f = 0;
    for (let j = 0; j < p; j++) f += row[j]! * beta[j]!;
    x[t] = Math.abs(y[t]! - f - center) > limit ? f : y[t]!;
  }
}

/** Recursive forecast into `out`. */
function predict(x: Float64Array, h: number, d: Design, beta: Float64Array, out: Float64Array): void {
  const n = x.length;
  const p = width(d);
  const row = new Float64Array(p);
  for (let i = 0; i < h; i++) {
    features(x, out, n + i, d, row, 0);
    let f = 0;
    for (let j = 0; j < p; j++) f += row[j]! * beta[j]!;
    out[i] = f;
  }
}

/** Fallback (singular fit or non-finite forecast): the prior itself, average of the lags. */
function seasonalAverage(x: Float64Array, h: number, d: Design, out: Float64Array): Float64Array {
  const n = x.length;
  const lags = d.lag > 1 ? d.lags : 1;
  for (let i = 0; i < h; i++) {
    let s = 0;
    for (let k = 1; k <= lags; k++) {
      const j = n + i - k * d.lag;
      s += j < n ? x[j]! : out[j - n]!;
    }
    out[i] = s / lags;
  }
  return out;
}
