/**
 * Holt-Winters exponential smoothing with a damped additive trend and up to two additive seasonal
 * cycles at once, after Taylor (2003) "Short-term electricity demand forecasting using double
 * seasonal exponential smoothing", J. Oper. Res. Soc. 54(8), with his AR(1) adjustment of the
 * one-step residual. With one period it is additive Holt-Winters; with none, damped Holt
 * (Gardner & McKenzie 1985). Pure.
 *
 * Recursions at step t (s1, s2: the seasonal indices of t's phase, last updated one cycle ago):
 *   e_t  = y_t - (L + phi*T + s1 + s2)                      one-step error before adjustment
 *   L'   = alpha*(y_t - s1 - s2) + (1-alpha)*(L + phi*T)
 *   T'   = beta*(L' - L) + (1-beta)*phi*T
 *   s1'  = gamma1*(y_t - L' - s2) + (1-gamma1)*s1
 *   s2'  = gamma2*(y_t - L' - s1) + (1-gamma2)*s2
 * k-step forecast from the last step n: L + (phi+..+phi^k)*T + s1 + s2 + lambda^k * e_n.
 * All parameters are fitted with Nelder-Mead (src/forecast/optimize.ts) by minimising the mean
 * squared AR-adjusted one-step error (y_t - yhat_t - lambda*e_{t-1}, Taylor's criterion) plus, when
 * forecasting further ahead, the mean squared errors at a few longer horizons up to h
 * (see criterionHorizons for why the one-step error alone is not enough).
 */
import type { Model, ModelContext, ModelFit } from '../types.js';
import { median } from '../median.js';
import { minimizeBounded, type Bounds } from '../optimize.js';
import { finishForecast, minOf, paramsOptions, periodsWithTwoCycles, twoLongestCycles } from './shared.js';

/** Smoothing and adjustment parameters; gammas are 0 for absent cycles. */
export interface HoltWintersParams {
  readonly alpha: number;
  readonly beta: number;
  /** Trend damping, fitted in [0.8, 0.98] (Hyndman & Athanasopoulos, FPP3 §8.2: phi < 0.8 damps too hard). */
  readonly phi: number;
  readonly gamma1: number;
  readonly gamma2: number;
  /** AR(1) coefficient of the one-step residual (0 when the adjustment is off). */
  readonly lambda: number;
}

export interface HoltWintersOptions {
  /** Fit Taylor's AR(1) residual adjustment (default true). */
  readonly ar?: boolean;
  /** Objective evaluations of the optimiser at most (default 180). */
  readonly maxEvals?: number;
  /**
   * Steps ahead the forecasts are for (default 1); the criterion scores the horizons of
   * criterionHorizons(horizon). 1 gives Taylor's one-step criterion.
   */
  readonly horizon?: number;
  /**
   * Start the optimiser here (parameters as in HoltWintersFit.params order: alpha, beta, phi,
   * [gamma1], [gamma2], [lambda]) with a smaller simplex: a refit on nearly the same data.
   */
  readonly warmStart?: readonly number[];
  /** Use these parameters (same order) as they are: no optimisation, one run of the recursions. */
  readonly fixed?: readonly number[];
}

/** Evaluations of a warm-started refit (the optimum moves little between neighbouring origins). */
const WARM_EVALS = 20;

export interface HoltWintersFit {
  readonly params: HoltWintersParams;
  /** The fitted parameters in the optimiser's order (for `warmStart`). */
  readonly free: readonly number[];
  /** Seasonal periods used, in steps, shorter first (0, 1 or 2 of them). */
  readonly periods: readonly number[];
  /** The criterion at the fitted parameters: sum over the scored horizons of the mean squared error. */
  readonly score: number;
  /** Objective evaluations the fit used. */
  readonly evals: number;
  /** Mean forecast for the next h steps (not clamped). */
  forecast(h: number): Float64Array;
}

const PHI: Bounds = { lo: 0.8, hi: 0.98 };
const UNIT: Bounds = { lo: 0, hi: 1 };
// |lambda| < 1 keeps the adjustment stationary; Taylor (2003) reports values near 0.9 at 30 min.
const LAMBDA: Bounds = { lo: -0.95, hi: 0.99 };

/**
 * History kept for fitting, in cycles of the longest period: 4 cycles = 28 days for a weekly cycle.
 * Older data has a weight of (1-alpha)^n ~ 0 anyway, and this bounds the cost on long inputs.
 */
const FIT_CYCLES = 4;
/** History kept without seasonality, steps (the level and trend forget long before that). */
const FIT_STEPS_NO_SEASON = 2000;

/** The cycles Holt-Winters can use: the two longest periods with two full cycles in `n` steps. */
export function usablePeriods(periods: readonly number[], n: number): number[] {
  // The shorter cycles usually divide the longer ones (hourly within daily), whose indices
  // already carry their shape; the two longest cover most of the variance.
  return periodsWithTwoCycles(periods, n).slice(-2);
}

/** Initial state: level at t = -1, trend, and zero-mean seasonal indices per phase (t mod p). */
interface InitState {
  readonly level: number;
  readonly trend: number;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
}

/**
 * Classical decomposition of the whole fitting window (whole cycles of the longest period P):
 * a robust line through the per-cycle means (Theil-Sen slope), then per-phase medians of the
 * detrended values for the shorter cycle and of what remains for the longer one. Medians over all
 * cycles rather than means over the first two, because a holiday in the first two cycles would
 * otherwise shape the indices for weeks (nyc_taxi, 28 days of history, mean day-ahead MAE over
 * the last 20 days: 2806 with the first-two-cycle means, 2571 with these medians).
 * Without periods: a line through the first few points.
 */
function initialState(y: Float64Array, p1: number, p2: number): InitState {
  const P = Math.max(p1, p2);
  const s1 = new Float64Array(p1);
  const s2 = new Float64Array(p2);
  if (P <= 1) {
    const m = Math.min(y.length, 12);
    const slope = m > 1 ? (y[m - 1]! - y[0]!) / (m - 1) : 0;
    return { level: y[0]! - slope, trend: slope, s1, s2 };
  }
  const K = Math.floor(y.length / P);
  const means: number[] = [];
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let t = k * P; t < (k + 1) * P; t++) sum += y[t]!;
    means.push(sum / P);
  }
  const slopes: number[] = [];
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) slopes.push((means[j]! - means[i]!) / (j - i));
  const perCycle = medianOr0(slopes);
  const intercept = medianOr0(means.map((c, k) => c - perCycle * k));
  const slope = perCycle / P;
  const line = (t: number): number => intercept + slope * (t - (P - 1) / 2);
  const m = K * P;
  const d = new Float64Array(m);
  for (let t = 0; t < m; t++) d[t] = y[t]! - line(t);
  if (p1 > 1) phaseMedians(d, p1, s1);
  if (p2 > 1) {
    for (let t = 0; t < m; t++) d[t]! -= s1[t % p1]!;
    phaseMedians(d, p2, s2);
  }
  return { level: line(-1), trend: slope, s1, s2 };
}

/** Median of a list (0 for an empty one). */
const medianOr0 = (v: readonly number[]): number => (v.length === 0 ? 0 : median(v));

/** out[phase] = median over t of d[t] with t mod p = phase, then shifted to zero mean. */
function phaseMedians(d: Float64Array, p: number, out: Float64Array): void {
  const cycles = Math.floor(d.length / p);
  const buf: number[] = new Array<number>(cycles);
  let mean = 0;
  for (let ph = 0; ph < p; ph++) {
    for (let k = 0; k < cycles; k++) buf[k] = d[k * p + ph]!;
    out[ph] = medianOr0(buf);
    mean += out[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) out[ph]! -= mean;
}

/** Mutable filter state after running over a series, plus scratch buffers for the criterion. */
interface RunState {
  level: number;
  trend: number;
  /** Last unadjusted one-step error. */
  err: number;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  /** Forecast horizons scored by the criterion, steps, ascending, horizons[0] = 1. */
  readonly horizons: Int32Array;
  /** Multi-step forecasts are made from every `stride`-th origin only (they cost more than a step). */
  readonly stride: number;
  /** Per horizon: phi + ... + phi^k, lambda^k, the sum of squared errors and their count. */
  readonly damp: Float64Array;
  readonly lamK: Float64Array;
  readonly sse: Float64Array;
  readonly cnt: Float64Array;
  /** Per horizon k: (k - 1) mod p1 and (k - 1) mod p2, the phase offsets of the target. */
  readonly off1: Int32Array;
  readonly off2: Int32Array;
}

/**
 * Multi-step forecasts from about this many origins per fit (fewer for short series). 500 rather than
 * 2,000 makes a criterion evaluation ~2x cheaper and costs no accuracy: on the accuracy benchmark
 * (8 traces x 7 origins) no model's median MASE differs by more than 0.02.
 */
const SCORED_ORIGINS = 500;

function runState(p1: number, p2: number, horizons: readonly number[], n: number): RunState {
  const nh = horizons.length;
  return {
    level: 0,
    trend: 0,
    err: 0,
    s1: new Float64Array(p1),
    s2: new Float64Array(p2),
    horizons: Int32Array.from(horizons),
    stride: Math.max(1, Math.floor(n / SCORED_ORIGINS)),
    damp: new Float64Array(nh),
    lamK: new Float64Array(nh),
    sse: new Float64Array(nh),
    cnt: new Float64Array(nh),
    off1: Int32Array.from(horizons, (k) => (k - 1) % p1),
    off2: Int32Array.from(horizons, (k) => (k - 1) % p2),
  };
}

/**
 * Runs the recursions over y with parameters (alpha, beta, phi, gamma1, gamma2, lambda) from
 * `init`; leaves the final state in `st`. Returns the criterion: the sum over the horizons k of
 * the mean squared k-step error (the one-step error AR-adjusted, from every origin; the longer
 * horizons from every `stride`-th origin t, compared with y[t+k] at once since y is all known).
 */
function run(y: Float64Array, init: InitState, p: HoltWintersParams, st: RunState): number {
  const { alpha, beta, phi, gamma1, gamma2, lambda } = p;
  const { s1, s2, horizons, stride, damp, lamK, sse, cnt, off1, off2 } = st;
  s1.set(init.s1);
  s2.set(init.s2);
  const n = y.length;
  const p1 = s1.length;
  const p2 = s2.length;
  const nh = horizons.length;
  for (let j = 0; j < nh; j++) {
    const k = horizons[j]!;
    damp[j] = (phi * (1 - Math.pow(phi, k))) / (1 - phi);
    lamK[j] = Math.pow(lambda, k);
    sse[j] = 0;
    cnt[j] = 0;
  }
  let L = init.level;
  let T = init.trend;
  let ePrev = 0;
  let sse1 = 0;
  let i1 = 0;
  let i2 = 0;
  for (let t0 = 0; t0 < n; t0 += stride) {
    const t1 = Math.min(n, t0 + stride);
    for (let t = t0; t < t1; t++) {
      const yt = y[t]!;
      const a = s1[i1]!;
      const b = s2[i2]!;
      const base = L + phi * T;
      const e = yt - base - a - b;
      const adj = e - lambda * ePrev;
      sse1 += adj * adj;
      const Ln = alpha * (yt - a - b) + (1 - alpha) * base;
      T = beta * (Ln - L) + (1 - beta) * phi * T;
      L = Ln;
      s1[i1] = gamma1 * (yt - Ln - b) + (1 - gamma1) * a;
      s2[i2] = gamma2 * (yt - Ln - a) + (1 - gamma2) * b;
      ePrev = e;
      if (++i1 === p1) i1 = 0;
      if (++i2 === p2) i2 = 0;
    }
    // Origin t1 - 1: forecasts for t1 - 1 + k; i1, i2 hold the phases of t1.
    for (let j = 1; j < nh; j++) {
      const k = horizons[j]!;
      const target = t1 - 1 + k;
      if (target >= n) break;
      let q1 = i1 + off1[j]!;
      if (q1 >= p1) q1 -= p1;
      let q2 = i2 + off2[j]!;
      if (q2 >= p2) q2 -= p2;
      const d = y[target]! - (L + damp[j]! * T + s1[q1]! + s2[q2]! + lamK[j]! * ePrev);
      sse[j]! += d * d;
      cnt[j]!++;
    }
  }
  st.level = L;
  st.trend = T;
  st.err = ePrev;
  let score = sse1 / n;
  for (let j = 1; j < nh; j++) score += cnt[j]! > 0 ? sse[j]! / cnt[j]! : 0;
  return score;
}

/**
 * The horizons the criterion scores for forecasts `h` steps ahead: 1 step (Taylor's criterion)
 * plus, for h > 1, about h^(1/3), h^(2/3) and h (e.g. 1, 7, 44, 288 for a day at 5 minutes).
 * Why not the one-step error alone: on 30-minute taxi data it picks alpha ~ 1 and gammas ~ 0
 * (a random walk whose seasonal indices fade), and the day-ahead error was 2.3x that of the
 * weekly seasonal naive; scoring the longer horizons keeps the seasonal indices alive.
 */
export function criterionHorizons(h: number, maxHorizon: number): number[] {
  const H = Math.max(1, Math.min(h, maxHorizon));
  const ks = [1, Math.round(Math.cbrt(H)), Math.round(Math.cbrt(H) ** 2), H];
  return [...new Set(ks.filter((k) => k >= 1))].sort((a, b) => a - b);
}

/**
 * Fits the model on `y` (the last FIT_CYCLES cycles of the longest usable period at most) and
 * returns the fitted parameters and a forecaster from the end of `y`.
 */
export function fitHoltWinters(
  yAll: Float64Array,
  periods: readonly number[],
  opts: HoltWintersOptions = {},
): HoltWintersFit {
  if (yAll.length === 0) throw new RangeError('holt-winters: empty history');
  const used = usablePeriods(periods, yAll.length);
  const P = used.length > 0 ? used[used.length - 1]! : 0;
  const keep = Math.min(yAll.length, P > 0 ? FIT_CYCLES * P : FIT_STEPS_NO_SEASON);
  // Whole cycles only, so phase t mod p of the window matches the absolute phase of the data.
  const start = P > 0 ? yAll.length - Math.floor(keep / P) * P : yAll.length - keep;
  const y = yAll.subarray(start);
  const p1 = used.length === 2 ? used[0]! : used.length === 1 ? used[0]! : 1;
  const p2 = used.length === 2 ? used[1]! : 1;
  const init = initialState(y, p1, p2);
  const st = runState(p1, p2, criterionHorizons(opts.horizon ?? 1, Math.max(1, Math.floor(y.length / 4))), y.length);

  // Free parameters in order: alpha, beta, phi, [gamma1], [gamma2], [lambda].
  const hasG1 = p1 > 1;
  const hasG2 = p2 > 1;
  const ar = opts.ar ?? true;
  const bounds: Bounds[] = [UNIT, UNIT, PHI];
  const x0 = [0.2, 0.01, 0.9];
  if (hasG1) {
    bounds.push(UNIT);
    x0.push(0.1);
  }
  if (hasG2) {
    bounds.push(UNIT);
    x0.push(0.1);
  }
  if (ar) {
    bounds.push(LAMBDA);
    x0.push(0.5);
  }
  const fits = (x: readonly number[] | undefined): x is readonly number[] => x !== undefined && x.length === x0.length;
  const warm = fits(opts.warmStart) ? opts.warmStart : undefined;
  const decode = (x: Float64Array): HoltWintersParams => {
    let k = 3;
    return {
      alpha: x[0]!,
      beta: x[1]!,
      phi: x[2]!,
      gamma1: hasG1 ? x[k++]! : 0,
      gamma2: hasG2 ? x[k++]! : 0,
      lambda: ar ? x[k]! : 0,
    };
  };
  const res = fits(opts.fixed)
    ? { x: Float64Array.from(opts.fixed, (v, i) => Math.min(bounds[i]!.hi, Math.max(bounds[i]!.lo, v))), evals: 0 }
    : minimizeBounded((x) => run(y, init, decode(x), st), warm ?? x0, bounds, {
        maxEvals: warm ? Math.min(WARM_EVALS, opts.maxEvals ?? WARM_EVALS) : (opts.maxEvals ?? 180),
        tol: 1e-7,
        ...(warm ? { step: 0.2 } : {}),
      });
  const params = decode(res.x);
  const free = Array.from(res.x);
  const score = run(y, init, params, st);
  const final = { level: st.level, trend: st.trend, err: st.err, s1: st.s1.slice(), s2: st.s2.slice() };
  const n = y.length;
  return {
    params,
    free,
    periods: used,
    score,
    evals: res.evals,
    forecast(h: number): Float64Array {
      const out = new Float64Array(h);
      let damp = 0; // phi + phi^2 + ... + phi^k
      let phiK = 1;
      let lamK = 1;
      for (let k = 1; k <= h; k++) {
        phiK *= params.phi;
        lamK *= params.lambda;
        damp += phiK;
        const t = n + k - 1;
        out[k - 1] =
          final.level + damp * final.trend + final.s1[t % p1]! + final.s2[t % p2]! + lamK * final.err;
      }
      return out;
    },
  };
}

/**
 * Holt-Winters model `holt-winters`: the two longest of `ctx.periods` (that fit twice in the
 * history), damped trend, AR(1) residual adjustment. Forecasts of a never-negative series are >= 0.
 */
export function holtWinters(opts: HoltWintersOptions = {}): Model {
  const fit = (y: Float64Array, h: number, ctx: ModelContext): ModelFit => {
    const f = fitHoltWinters(y, ctx.periods, { horizon: h, ...opts, ...paramsOptions(ctx) });
    return { forecast: finishForecast(f.forecast(h), minOf(y) >= 0, y[y.length - 1]!), params: f.free };
  };
  return { name: 'holt-winters', minHistory: twoLongestCycles, fit, forecast: (y, h, ctx) => fit(y, h, ctx).forecast };
}
