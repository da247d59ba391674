/**
 * The `mstl` model: MSTL decomposition plus exponential smoothing of the seasonally adjusted
 * series, as R's `forecast(mstl(x), h)` (forecast package, Hyndman et al.) makes it. Pure.
 *
 * 1. MSTL (./stl.ts; Bandara, Hyndman & Bergmeir 2021) of the history with R's defaults: the
 *    day, the week and any other detected period (`mstlPeriods`) with more than two full cycles, shortest first, 2 sweeps, STL
 *    seasonal windows 11, 15, ..., no robustness iterations, no Box-Cox transform.
 * 2. The seasonally adjusted series (trend + remainder) is forecast by non-seasonal ETS, the
 *    model chosen by AICc among ETS(A,N,N), (A,Ad,N), (A,A,N) and, for a positive series, the
 *    same with multiplicative errors, each fitted by maximum likelihood, as R's
 *    `ets(x, model = "ZZN")` (Hyndman, Koehler, Snyder & Grose 2002; Hyndman et al. 2008,
 *    "Forecasting with Exponential Smoothing: the State Space Approach"; bounds of R's
 *    `forecast::ets`: alpha, beta in [1e-4, 0.9999], beta <= alpha, phi in [0.8, 0.98]).
 * 3. Each seasonal component is continued naively: its last cycle repeated.
 * forecast(n + k) = ETS mean(k) + sum over periods p of seasonal_p[n - p + (k - 1) mod p].
 *
 * Without periods the series itself is forecast by the ETS (R's mstl has no seasonal then).
 *
 * Likelihood of the ETS (as R's): additive errors, n log(sum e^2); multiplicative errors,
 * n log(sum (e / yhat)^2) + 2 sum log |yhat|. The one-step forecasts of these non-seasonal
 * models are affine in the initial state (level, slope), so for given smoothing parameters the
 * initial state that maximises the additive-error likelihood is a linear least-squares
 * solution: one pass runs the filter and its responses to a unit initial level and slope and
 * sums the cross-products. The optimiser (Nelder-Mead, ../optimize.ts) then searches only the
 * smoothing parameters (R searches them and the initial state together: the same optimum,
 * reached with fewer evaluations). For multiplicative errors the initial state is the least
 * squares one with weights 1 / y^2 (relative errors against the data instead of the fitted
 * values), and the likelihood is then computed exactly.
 *
 * Parameters (`ModelFit.params`): [form, alpha, beta, phi], form an index into ETS_FORMS. Given
 * back (`ctx.params`) they are used as they are: same form and smoothing parameters, the initial
 * state and the decomposition estimated afresh (as `forecast(model = fit)` does in R); with
 * `ctx.refine` the smoothing parameters are searched again from there (a few evaluations).
 */
import type { Model, ModelContext, ModelFit } from '../types.js';
import { minimizeBounded, type Bounds } from '../optimize.js';
import { finishForecast, minOf, twoLongestCycles } from './shared.js';
import { DAY_MS, WEEK_MS } from '../../core/duration.js';
import { mstl } from './stl.js';


/**
 * History used, steps: ten weeks at 5 minutes. The engine passes a scaler's `metric.history` (28
 * days by default) or, without one, 35 days (engine.ts DEFAULT_MAX_HISTORY_MS); this bounds the
 * cost on longer inputs (the decomposition and each likelihood evaluation are linear in it).
 */
const MAX_HISTORY_STEPS = 20_160;

/** A non-seasonal ETS form: error type, and trend none, additive or additive damped. */
export interface EtsForm {
  readonly name: string;
  readonly multiplicative: boolean;
  readonly trend: boolean;
  readonly damped: boolean;
}

/**
 * The forms R's `ets(model = "ZZN")` compares, in its order (the first of equal AICc wins); each
 * multiplicative-error form sits 3 after its additive twin.
 */
export const ETS_FORMS: readonly EtsForm[] = [
  { name: 'ANN', multiplicative: false, trend: false, damped: false },
  { name: 'AAdN', multiplicative: false, trend: true, damped: true },
  { name: 'AAN', multiplicative: false, trend: true, damped: false },
  { name: 'MNN', multiplicative: true, trend: false, damped: false },
  { name: 'MAdN', multiplicative: true, trend: true, damped: true },
  { name: 'MAN', multiplicative: true, trend: true, damped: false },
];

// R's forecast::ets bounds ("usual" and admissible both hold inside them for these forms).
const LOWER = 1e-4;
const UPPER = 0.9999;
const ALPHA: Bounds = { lo: LOWER, hi: UPPER };
/** beta = LOWER + share * (min(alpha, UPPER) - LOWER): beta <= alpha, as R requires. */
const SHARE: Bounds = { lo: 0, hi: 1 };
const PHI: Bounds = { lo: 0.8, hi: 0.98 };
/** R's starting values: alpha 0.2, beta a tenth of the way from its lower bound to alpha, phi 0.9782. */
const START = { alpha: LOWER + 0.2 * (UPPER - LOWER), share: 0.1, phi: PHI.lo + 0.99 * (PHI.hi - PHI.lo) };

/**
 * Likelihood evaluations per form, at most. 10-85 are used on the benchmark traces' 35 days (R's
 * ets allows 2,000, over the initial state as well).
 */
const MAX_EVALS = 300;
/** Evaluations of a refit that starts from earlier parameters (`ctx.refine`). */
const WARM_EVALS = 20;
/**
 * Convergence: the optimiser stops when its simplex's exp(lik / n) values agree to this relative
 * tolerance, i.e. the -2 log-likelihoods to about n x 1e-7 (1e-3 at n = 10,080, where R's ets,
 * stopping at a relative 1.5e-8 of the -2 log-likelihood itself, stops at ~1e-3 too). 1e-9 took
 * 10-30% more evaluations for likelihoods better by < 0.001 on the benchmark traces.
 */
const TOL = 1e-7;
/** R's floor on -2 log-likelihood ("avoid perfect fits"). */
const MIN_LIK = -1e10;

/** A fitted ETS: form, parameters, fit statistics and the state after the last observation. */
export interface EtsFit {
  readonly form: number;
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
  /** -2 log-likelihood (up to constants), as R's `ets`'s `lik`. */
  readonly lik: number;
  readonly aicc: number;
  /** State (level, slope) before the first observation and after the last, in data units. */
  readonly initial: readonly [number, number];
  readonly level: number;
  readonly slope: number;
}

/** The outcome of one filter run (data in scaled units). */
interface Run {
  lik: number;
  l0: number;
  b0: number;
  level: number;
  slope: number;
}

/** Initial-state responses below this (data scaled to mean |y| = 1) no longer count. */
const DEAD_RESPONSE = 1e-14;

/**
 * The ETS filter on y (scaled, n >= 2) for one form and parameter set, with the initial state
 * fitted by (weighted) least squares around `guess` (see the header). `wts` are 1 / y^2 (used
 * for multiplicative errors). Writes into `out` and returns -2 log-likelihood (up to constants).
 * The responses to the initial state die out (geometrically, unless alpha and beta are both tiny):
 * once they have, only the filter itself runs on.
 */
function runForm(
  y: Float64Array,
  wts: Float64Array,
  f: EtsForm,
  alpha: number,
  beta: number,
  phi: number,
  guess: readonly [number, number],
  out: Run,
): number {
  const n = y.length;
  const trend = f.trend;
  const ph = trend ? (f.damped ? phi : 1) : 0;
  const bt = trend ? beta : 0;
  const mult = f.multiplicative;
  // The filter from the guess, and its responses to a unit change of the initial level (L) and
  // slope (B); e = e0 + dl * eL + db * eB for an initial state guess + (dl, db).
  let l = guess[0];
  let b = trend ? guess[1] : 0;
  let lL = 1;
  let bL = 0;
  let lB = 0;
  let bB = trend ? 1 : 0;
  let see = 0;
  let seL = 0;
  let seB = 0;
  let sLL = 0;
  let sLB = 0;
  let sBB = 0;
  const a1 = 1 - alpha;
  let t = 0;
  for (; t < n; t++) {
    const yt = y[t]!;
    const fc = l + ph * b;
    const e = yt - fc;
    const fL = lL + ph * bL;
    const fB = lB + ph * bB;
    const w = mult ? wts[t]! : 1;
    // eL = -fL, eB = -fB
    see += w * e * e;
    seL -= w * e * fL;
    seB -= w * e * fB;
    sLL += w * fL * fL;
    sLB += w * fL * fB;
    sBB += w * fB * fB;
    l = fc + alpha * e;
    b = ph * b + bt * e;
    lL = a1 * fL;
    bL = ph * bL - bt * fL;
    lB = a1 * fB;
    bB = ph * bB - bt * fB;
    if ((t & 31) === 31 && Math.abs(lL) + Math.abs(bL) + Math.abs(lB) + Math.abs(bB) < DEAD_RESPONSE) {
      t++;
      lL = bL = lB = bB = 0;
      break;
    }
  }
  // Minimise see + 2 (dl seL + db seB) + [dl db] [[sLL sLB] [sLB sBB]] [dl db]'.
  let dl = 0;
  let db = 0;
  const det = sLL * sBB - sLB * sLB;
  if (trend && det > 1e-12 * sLL * sBB) {
    dl = -(sBB * seL - sLB * seB) / det;
    db = -(sLL * seB - sLB * seL) / det;
  } else if (sLL > 0) {
    dl = -seL / sLL;
  }
  out.l0 = guess[0] + dl;
  out.b0 = trend ? guess[1] + db : 0;
  if (!mult) {
    for (; t < n; t++) {
      const fc = l + ph * b;
      const e = y[t]! - fc;
      see += e * e;
      l = fc + alpha * e;
      b = ph * b + bt * e;
    }
    out.level = l + dl * lL + db * lB;
    out.slope = b + dl * bL + db * bB;
    const sse = Math.max(0, see + dl * seL + db * seB);
    out.lik = Math.max(MIN_LIK, n * Math.log(sse));
    return out.lik;
  }
  return multiplicativeLik(y, alpha, bt, ph, out);
}

/**
 * -2 log-likelihood of a multiplicative-error form from the initial state in `out` (which also
 * receives the final state): n log(sum (e / yhat)^2) + 2 sum log |yhat|. The logs are taken of
 * products of 16 forecasts at a time (one log instead of 16; the data are scaled near 1).
 */
function multiplicativeLik(y: Float64Array, alpha: number, beta: number, phi: number, out: Run): number {
  const n = y.length;
  let l = out.l0;
  let b = out.b0;
  let sum2 = 0;
  let sumLog = 0;
  let prod = 1;
  for (let t = 0; t < n; t++) {
    const fc = l + phi * b;
    const e = y[t]! - fc;
    const rel = e / fc;
    sum2 += rel * rel;
    prod *= fc;
    if ((t & 15) === 15) {
      sumLog += Math.log(Math.abs(prod));
      prod = 1;
    }
    l = fc + alpha * e;
    b = phi * b + beta * e;
  }
  sumLog += Math.log(Math.abs(prod));
  out.level = l;
  out.slope = b;
  const lik = n * Math.log(sum2) + 2 * sumLog;
  out.lik = Number.isNaN(lik) ? Infinity : Math.max(MIN_LIK, lik);
  return out.lik;
}

/**
 * R's heuristic initial state (forecast:::initstate, non-seasonal): the mean of the first 10
 * values, or the least-squares line through them (level at step 0, slope).
 */
function initialGuess(y: Float64Array, trend: boolean): [number, number] {
  const m = Math.min(10, y.length);
  let sy = 0;
  for (let t = 0; t < m; t++) sy += y[t]!;
  if (!trend || m < 2) return [sy / m, 0];
  // Line through (1, y0), ..., (m, y_{m-1}); its value at 0 is the level before the first step.
  const mx = (m + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < m; t++) {
    sxy += (t + 1 - mx) * (y[t]! - sy / m);
    sxx += (t + 1 - mx) * (t + 1 - mx);
  }
  const slope = sxy / sxx;
  return [sy / m - slope * mx, slope];
}

/** Free parameters of a form, in optimiser order: alpha, [beta share, [phi]]. */
function freeCount(f: EtsForm): number {
  return f.trend ? (f.damped ? 3 : 2) : 1;
}

function decodeParams(f: EtsForm, x: ArrayLike<number>): { alpha: number; beta: number; phi: number } {
  const alpha = x[0]!;
  const beta = f.trend ? LOWER + x[1]! * (Math.min(alpha, UPPER) - LOWER) : 0;
  const phi = f.damped ? x[2]! : 1;
  return { alpha, beta, phi };
}

function encodeParams(f: EtsForm, alpha: number, beta: number, phi: number): number[] {
  const x = [alpha];
  if (f.trend) x.push((beta - LOWER) / Math.max(1e-12, Math.min(alpha, UPPER) - LOWER));
  if (f.damped) x.push(phi);
  return x;
}

function boundsOf(f: EtsForm): Bounds[] {
  return [ALPHA, SHARE, PHI].slice(0, freeCount(f));
}

/** AICc of a fit with k optimised quantities (smoothing parameters and initial states) plus the variance. */
function aicc(lik: number, k: number, n: number): number {
  const np = k + 1;
  const aic = lik + 2 * np;
  return n - np - 1 > 0 ? aic + (2 * np * (np + 1)) / (n - np - 1) : Infinity;
}

/** Fits one form on scaled y: from `start` (optimiser order), or at `fixed` parameters. */
function fitForm(y: Float64Array, wts: Float64Array, form: number, how: { start?: readonly number[]; fixed?: readonly number[]; maxEvals?: number }): EtsFit {
  const f = ETS_FORMS[form]!;
  const n = y.length;
  const guess = initialGuess(y, f.trend);
  const run: Run = { lik: 0, l0: 0, b0: 0, level: 0, slope: 0 };
  const bounds = boundsOf(f);
  let x: ArrayLike<number>;
  if (how.fixed !== undefined) {
    x = how.fixed.map((v, i) => Math.min(bounds[i]!.hi, Math.max(bounds[i]!.lo, v)));
  } else {
    const start = how.start ?? [START.alpha, START.share, START.phi].slice(0, bounds.length);
    // exp(lik / n): a monotone transform whose relative tolerance is an absolute one on lik / n.
    const objective = (p: Float64Array): number => {
      const q = decodeParams(f, p);
      return Math.exp(runForm(y, wts, f, q.alpha, q.beta, q.phi, guess, run) / n);
    };
    const warm = how.start !== undefined;
    x = minimizeBounded(objective, start, bounds, { maxEvals: how.maxEvals ?? MAX_EVALS, tol: TOL, ...(warm ? { step: 0.2 } : {}) }).x;
  }
  const q = decodeParams(f, x);
  runForm(y, wts, f, q.alpha, q.beta, q.phi, guess, run);
  const k = freeCount(f) + (f.trend ? 2 : 1);
  return {
    form,
    ...q,
    lik: run.lik,
    aicc: aicc(run.lik, k, n),
    initial: [run.l0, run.b0],
    level: run.level,
    slope: run.slope,
  };
}

/** The forms that can be fitted on y: multiplicative errors need a positive series; enough points for the parameters. */
function eligibleForms(y: Float64Array): number[] {
  const positive = minOf(y) > 0;
  return ETS_FORMS.map((_, i) => i).filter((i) => {
    const f = ETS_FORMS[i]!;
    const k = freeCount(f) + (f.trend ? 2 : 1);
    return (positive || !f.multiplicative) && k < y.length - 1;
  });
}

/**
 * Non-seasonal ETS on y: the form of least AICc, fitted by maximum likelihood; or, with `params`
 * ([form, alpha, beta, phi]), that form with those parameters (`refine`: searched again from
 * there). Returns undefined when y is too short for any form (fewer than 4 points).
 */
export function fitEts(yIn: Float64Array, params?: readonly number[], refine = false): EtsFit | undefined {
  const n = yIn.length;
  // Scaled to a mean absolute value of 1 (the likelihoods shift by the same 2 n log(scale)).
  let scale = 0;
  for (let t = 0; t < n; t++) scale += Math.abs(yIn[t]!) / n;
  if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
  const y = new Float64Array(n);
  const wts = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    y[t] = yIn[t]! / scale;
    wts[t] = 1 / (y[t]! * y[t]!);
  }
  const forms = eligibleForms(y);
  if (forms.length === 0) return undefined;
  let best: EtsFit | undefined;
  const given = params !== undefined && params.length === 4 && params.every(Number.isFinite) ? params : undefined;
  if (given !== undefined && ETS_FORMS[given[0]!] !== undefined) {
    let form = given[0]!;
    // A multiplicative form on a series that is no longer positive: its additive twin (3 before it).
    if (!forms.includes(form)) form -= 3;
    if (forms.includes(form)) {
      const f = ETS_FORMS[form]!;
      const x = encodeParams(f, given[1]!, given[2]!, given[3]!);
      best = refine ? fitForm(y, wts, form, { start: x, maxEvals: WARM_EVALS }) : fitForm(y, wts, form, { fixed: x });
    }
  }
  if (best === undefined) {
    for (const form of forms) {
      const fit = fitForm(y, wts, form, {});
      if (best === undefined || fit.aicc < best.aicc) best = fit;
    }
  }
  const b = best!;
  const shift = 2 * n * Math.log(scale);
  return {
    ...b,
    lik: b.lik + shift,
    aicc: b.aicc + shift,
    initial: [b.initial[0] * scale, b.initial[1] * scale],
    level: b.level * scale,
    slope: b.slope * scale,
  };
}

/** The ETS point forecast for steps 1..h: level + (phi + ... + phi^k) slope. */
export function etsForecast(fit: EtsFit, h: number): Float64Array {
  const f = ETS_FORMS[fit.form]!;
  const out = new Float64Array(h);
  let damp = 0;
  let phiK = 1;
  for (let k = 0; k < h; k++) {
    phiK *= f.damped ? fit.phi : 1;
    damp += phiK;
    out[k] = fit.level + (f.trend ? damp * fit.slope : 0);
  }
  return out;
}

/** The fit's parameters as `ModelFit.params`: [form, alpha, beta, phi]. */
const paramsOf = (fit: EtsFit): number[] => [fit.form, fit.alpha, fit.beta, fit.phi];

/**
 * The periods the decomposition is given, in steps: the detected ones and, whatever detection
 * found, the day and the week where they are whole numbers of steps (as R users give `msts` both;
 * a cycle the series does not have leaves a near-zero seasonal, and MSTL itself drops a period
 * with fewer than two full cycles of history).
 */
export function mstlPeriods(ctx: ModelContext): number[] {
  const out = new Set(ctx.periods);
  for (const ms of [DAY_MS, WEEK_MS]) if (ms % ctx.stepMs === 0) out.add(ms / ctx.stepMs);
  return [...out].sort((a, b) => a - b);
}

/** The `mstl` model: MSTL decomposition, ETS of the seasonally adjusted series, seasonal naive of each seasonal. */
export function mstlModel(): Model {
  const fit = (yAll: Float64Array, h: number, ctx: ModelContext): ModelFit => {
    if (yAll.length === 0) throw new RangeError('mstl: empty history');
    const y = yAll.length > MAX_HISTORY_STEPS ? yAll.subarray(yAll.length - MAX_HISTORY_STEPS) : yAll;
    const n = y.length;
    const d = mstl(y, mstlPeriods(ctx));
    const ets = fitEts(d.adjusted, ctx.params, ctx.refine ?? false);
    // Too short for any ETS form (fewer than 4 points): the last value.
    const out = ets === undefined ? new Float64Array(h).fill(d.adjusted[n - 1]!) : etsForecast(ets, h);
    d.periods.forEach((p, i) => {
      const s = d.seasonals[i]!;
      for (let k = 0; k < h; k++) out[k]! += s[n - p + (k % p)]!;
    });
    const forecast = finishForecast(out, minOf(y) >= 0, y[n - 1]!);
    return ets === undefined ? { forecast } : { forecast, params: paramsOf(ets) };
  };
  return {
    name: 'mstl',
    // Two full cycles of the longest period (at exactly two it is left out of the decomposition,
    // as R leaves it out: STL needs more); without periods only the ETS runs, for which a dozen
    // points will do.
    minHistory: twoLongestCycles,
    // Named only: among auto's candidates it improves the accuracy benchmark's median MASE by
    // under 1 %, for ~1.7x the control loop's CPU (ADR 0003 decision 11).
    inAuto: false,
    fit,
    forecast: (y, h, ctx) => fit(y, h, ctx).forecast,
  };
}
