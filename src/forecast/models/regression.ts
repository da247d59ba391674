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
import { addRidgePenalty, choleskySolve, huberWeight, weightedRidge } from '../linalg.js';
import { type ColumnSystem, rowMajor, sumPasses, weightedSums } from '../normal-equations.js';
import { MAD_TO_SIGMA, mad, median } from '../median.js';
import { longestUsablePeriod } from './shared.js';

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
  // Per model instance (not per module): work arrays reused across the rolling origins of one forecast.
  const buffers = new Buffers();
  return { name: 'regression', minHistory, forecast: (y, h, ctx) => forecast(y, h, ctx, opts, buffers) };
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

/**
 * Work arrays reused across the calls on one model instance (forecast is synchronous, so calls
 * never overlap, and nothing in them outlives a call).
 */
class Buffers {
  private readonly arrays = new Map<string, Float64Array>();
  /** The array `name`, `length` long (contents left from earlier use). Grown by half again when
   *  too short: the engine's rolling origins ask for a little more history each call. */
  get(name: string, length: number): Float64Array {
    let a = this.arrays.get(name);
    if (a === undefined || a.length < length) {
      a = new Float64Array(a === undefined ? length : Math.max(length, Math.ceil(1.5 * a.length)));
      this.arrays.set(name, a);
    }
    return a.length === length ? a : a.subarray(0, length);
  }
}

function forecast(y: Float64Array, h: number, ctx: ModelContext, opts: RegressionOptions, buffers: Buffers): Float64Array {
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
  const x = buffers.get('x', n);
  x.set(y);
  const ws = new Workspace(x, d, buffers);
  let beta = fit(ws, CLEAN_ROUNDS > 0);
  for (let round = 0; round < CLEAN_ROUNDS && beta !== null; round++) {
    clean(y, x, beta, ws);
    beta = fit(ws, round + 1 < CLEAN_ROUNDS);
  }
  if (beta !== null) predict(x, h, ws, beta, out);
  if (beta === null || !allFinite(out)) seasonalAverage(x, h, d, out);
  if (nonNegative) for (let i = 0; i < h; i++) if (out[i]! < 0) out[i] = 0;
  return out;
}

function allFinite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
  return true;
}

/**
 * The training problem on rows t = first..n-1 of x, by column: column j holds feature j of
 * every row, in the order [1, trend?, y(t-P)..y(t-KP), (y(t-D), y(t-D-P))?]. The lag columns
 * are views into x (so they follow its cleaning); the target is x[first..n). Column 0, the
 * ones, is read only by rowMajor: the sums and residuals use that it is all ones. Also the
 * per-fit work arrays.
 */
class Workspace implements ColumnSystem {
  readonly d: Design;
  readonly rows: number;
  /** Column count. */
  readonly p: number;
  /** Index of the first lag column; lag column q looks back[q] steps back. */
  readonly lag0: number;
  readonly back: number[] = [];
  readonly columns: Float64Array[];
  readonly target: Float64Array;
  /** Per row: IRLS weight, prediction and residual of the last fit (see fit), scratch, and
   *  1 for a row whose lags clean has changed since the fit (else 0). */
  readonly weight: Float64Array;
  readonly fitted: Float64Array;
  readonly resid: Float64Array;
  readonly scratch: Float64Array;
  readonly stale: Float64Array;
  /** Per column: ridge penalty and prior (see setPenalty). */
  readonly penalty: Float64Array;
  readonly prior: Float64Array;
  /** Normal equations, p x p and p, how their sums are made, and the sums of one pass
   *  (normal-equations.ts). */
  readonly passes: number[][];
  readonly ata: Float64Array;
  readonly atb: Float64Array;
  readonly sums: Float64Array;

  constructor(x: Float64Array, d: Design, buffers: Buffers) {
    const n = x.length;
    const rows = n - d.first;
    this.d = d;
    this.rows = rows;
    this.lag0 = 1 + (d.trend ? 1 : 0);
    for (let k = 1; k <= d.lags; k++) this.back.push(k * d.lag);
    if (d.short > 0) this.back.push(d.short, d.short + d.lag);
    this.p = this.lag0 + this.back.length;
    this.columns = [buffers.get('ones', rows).fill(1)];
    if (d.trend) {
      // Trend in cycles relative to the end of the history (keeps the column well scaled).
      const trend = buffers.get('trend', rows);
      for (let r = 0; r < rows; r++) trend[r] = (d.first + r - n) / d.lag;
      this.columns.push(trend);
    }
    for (const b of this.back) this.columns.push(x.subarray(d.first - b, n - b));
    this.target = x.subarray(d.first, n);
    this.weight = buffers.get('weight', rows);
    this.fitted = buffers.get('fitted', rows);
    this.resid = buffers.get('resid', rows);
    this.scratch = buffers.get('scratch', rows);
    this.stale = buffers.get('stale', rows);
    this.penalty = buffers.get('penalty', this.p);
    this.prior = buffers.get('prior', this.p);
    this.passes = sumPasses(this.p);
    this.ata = buffers.get('ata', this.p * this.p);
    this.atb = buffers.get('atb', this.p);
    this.sums = buffers.get('sums', 10);
  }
}

/**
 * Robust (Huber IRLS) ridge fit on rows first..n-1 of x. With `wantResiduals`, leaves the
 * predictions and residuals of the returned fit in ws.fitted and ws.resid.
 */
function fit(ws: Workspace, wantResiduals: boolean): Float64Array | null {
  const { rows, weight, resid, scratch } = ws;
  weight.fill(1);
  let zeroWeight = false;
  let beta: Float64Array | null = null;
  for (let iter = 0; iter < IRLS_ITERATIONS; iter++) {
    beta = solveRidge(ws, iter === 0, zeroWeight);
    if (beta === null) return null;
    const last = iter === IRLS_ITERATIONS - 1;
    if (last && !wantResiduals) break;
    residuals(ws, beta);
    if (last) break;
    const center = median(resid, rows, scratch);
    // HUBER_C * 1.4826 * MAD(resid), reusing the median already computed.
    const c = HUBER_C * (MAD_TO_SIGMA * mad(resid, center, rows, scratch));
    if (!(c > 0)) break;
    zeroWeight = false;
    for (let r = 0; r < rows; r++) {
      const w = huberWeight(resid[r]! - center, c);
      weight[r] = w;
      if (w === 0) zeroWeight = true;
    }
  }
  return beta;
}

/**
 * Ridge penalty per column: a prior worth `priorRows` rows, in the column's own variance. From
 * the unweighted normal equations, whose entries (j, 0) and (j, j) are the column's sum and sum
 * of squares (x_j . 1 and x_j . x_j, summed in row order).
 */
function setPenalty(ws: Workspace): void {
  const { rows, p, d, ata, penalty, prior } = ws;
  penalty[0] = 0;
  prior[0] = 0;
  for (let j = 1; j < p; j++) {
    const s = ata[j * p]!;
    const s2 = ata[j * p + j]!;
    const variance = Math.max(0, s2 / rows - (s / rows) ** 2);
    // A floor relative to the column's magnitude keeps the system positive definite for a
    // constant column (flat history).
    penalty[j] = d.priorRows * Math.max(variance, 1e-9 * (s2 / rows) + 1e-12);
    prior[j] = j >= ws.lag0 && j < ws.lag0 + d.lags ? d.priorLag : 0;
  }
}

/** ws.fitted = columns . beta (each row summed over the columns in order, as predictAt), and
 *  ws.resid = target - fitted. */
function residuals(ws: Workspace, beta: Float64Array): void {
  const { rows, p, columns, target, fitted, resid } = ws;
  // Column 0 is the ones: every sum starts 0 + 1 * b0 = 0 + b0.
  fitted.fill(0 + beta[0]!);
  let j = 1;
  // Two columns per pass: ((f + x1 b1) + x2 b2), the same sums as one column at a time.
  for (; j + 1 < p; j += 2) {
    const c1 = columns[j]!;
    const c2 = columns[j + 1]!;
    const b1 = beta[j]!;
    const b2 = beta[j + 1]!;
    for (let r = 0; r < rows; r++) fitted[r] = fitted[r]! + c1[r]! * b1 + c2[r]! * b2;
  }
  if (j < p) {
    const c = columns[j]!;
    const b = beta[j]!;
    for (let r = 0; r < rows; r++) fitted[r] = fitted[r]! + c[r]! * b;
  }
  for (let r = 0; r < rows; r++) resid[r] = target[r]! - fitted[r]!;
}

/**
 * Weighted ridge least squares with a prior, as linalg's weightedRidge (the same sums in the
 * same order, so the same result) but on columns: minimises
 *   sum_r w_r (target_r - x_r . beta)^2 + sum_j penalty_j (beta_j - prior_j)^2.
 * `unweighted` (all weights 1): also sets the penalty (setPenalty); `zeroWeight`: some weight
 * is 0. Returns null if the normal equations are singular.
 */
function solveRidge(ws: Workspace, unweighted: boolean, zeroWeight: boolean): Float64Array | null {
  const { p, ata, atb, penalty, prior } = ws;
  // Rows of weight 0 are left out of the sums, which weightedSums does not do (an infinite
  // residual gives one); there, weightedRidge itself on the rows.
  if (zeroWeight) return weightedRidge(rowMajor(ws), ws.target, ws.weight, ws.rows, p, penalty, prior);
  weightedSums(ws);
  if (unweighted) setPenalty(ws);
  addRidgePenalty(ata, atb, p, penalty, prior);
  return choleskySolve(ata, atb, p);
}

/** The prediction for time t from the lags in `x`, or in `future` beyond x (its n.. values). */
function predictAt(x: Float64Array, future: Float64Array, t: number, ws: Workspace, beta: Float64Array): number {
  const n = x.length;
  // The features in column order, each times its weight, summed in that order.
  let f = 0;
  f += beta[0]!;
  if (ws.d.trend) f += ((t - n) / ws.d.lag) * beta[1]!;
  for (let q = 0; q < ws.back.length; q++) {
    const j = t - ws.back[q]!;
    f += (j < n ? x[j]! : future[j - n]!) * beta[ws.lag0 + q]!;
  }
  return f;
}

/** Walks forward from the first row: points far from their prediction (from cleaned lags) are
 *  replaced in `x` by the prediction; the others get their original value from `y`. Needs the
 *  predictions and residuals of the fit `beta` in ws (fit with wantResiduals). */
function clean(y: Float64Array, x: Float64Array, beta: Float64Array, ws: Workspace): void {
  const { rows, fitted, resid, scratch, stale, back } = ws;
  const first = ws.d.first;
  // Scale from the residuals of the current (cleaned) series.
  const center = median(resid, rows, scratch);
  // OUTLIER_SIGMAS * 1.4826 * MAD(resid), reusing the median already computed.
  const limit = OUTLIER_SIGMAS * (MAD_TO_SIGMA * mad(resid, center, rows, scratch));
  if (!(limit > 0)) return;
  // A row's prediction from the current lags is the fit's own (the same sum of the same
  // values) until one of its lags changes.
  stale.fill(0);
  const none = new Float64Array(0);
  for (let r = 0; r < rows; r++) {
    const t = first + r;
    const f = stale[r] === 0 ? fitted[r]! : predictAt(x, none, t, ws, beta);
    const v = Math.abs(y[t]! - f - center) > limit ? f : y[t]!;
    // Changed (or a zero, whose sign may have changed): the rows that use x[t] as a lag.
    if (v !== x[t] || v === 0) for (const b of back) if (r + b < rows) stale[r + b] = 1;
    x[t] = v;
  }
}

/** Recursive forecast into `out`. */
function predict(x: Float64Array, h: number, ws: Workspace, beta: Float64Array, out: Float64Array): void {
  for (let i = 0; i < h; i++) out[i] = predictAt(x, out, x.length + i, ws, beta);
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
