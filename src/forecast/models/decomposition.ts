/**
 * Multi-seasonal decomposition forecasting (`mstl`), in the spirit of MSTL (Bandara, Hyndman &
 * Bergmeir 2021, "MSTL: a seasonal-trend decomposition algorithm for time series with multiple
 * seasonal patterns") and STL's robustness iterations (Cleveland et al. 1990). Pure.
 *
 * 1. Keep the last WINDOW_CYCLES cycles of the longest period P (whole cycles).
 * 2. Iterate: trend = centred moving average over P of the deseasonalised series; for each period
 *    (shortest first) a seasonal profile = per-phase weighted mean of the detrended series minus
 *    the other profiles, over all cycles, with recent cycles weighted more (half-life two P) and
 *    outliers down-weighted (bisquare robustness weights, as in STL), smoothed across neighbouring
 *    phases and centred on zero.
 * 3. The seasonally adjusted series y - sum(profiles) is forecast by damped-trend exponential
 *    smoothing with an AR(1) residual term (fitHoltWinters without periods), and the profiles are
 *    continued: forecast(n+k) = ES(k) + sum_p profile_p[(n+k) mod p].
 */
import type { Model, ModelContext, ModelFit } from '../types.js';
import { finishForecast, fitHoltWinters, minOf, paramsOptions, twoLongestCycles } from './holt-winters.js';

/** Cycles of the longest period used (6 weeks for a weekly cycle): older data is barely weighted. */
const WINDOW_CYCLES = 6;
/** Decomposition passes: the first without robustness weights, the others with (STL uses 1 + a few). */
const PASSES = 3;
/**
 * Robust averages fall back to plain ones where the robustness weights keep less than this share
 * of the weight (otherwise a region the previous pass fitted badly can never be fitted again).
 */
const MIN_WEIGHT_SHARE = 0.25;
/** Half-life of a cycle's weight in the profiles, in cycles of the longest period. */
const HALF_LIFE_CYCLES = 2;
/** Bisquare robustness: residuals beyond 6 x median |residual| get weight 0 (Cleveland et al. 1990). */
const ROBUST_SCALE = 6;

/** Periods the decomposition can estimate: at least two full cycles in `n` steps, ascending. */
export function decomposablePeriods(periods: readonly number[], n: number): number[] {
  return [...new Set(periods.filter((p) => Number.isInteger(p) && p >= 2 && 2 * p <= n))].sort((a, b) => a - b);
}

/** The result of decomposing y[start..n) (indices absolute, phase of step i is i mod p). */
export interface Decomposition {
  readonly periods: readonly number[];
  /** One zero-mean profile per period, indexed by absolute step mod period. */
  readonly profiles: readonly Float64Array[];
  /** Trend of the window (centred moving average, linear at the ends). */
  readonly trend: Float64Array;
  /** First absolute index of the window. */
  readonly start: number;
}

/**
 * Centred moving average of z over `w` steps (a 2 x w average when w is even, so it stays centred),
 * optionally weighted per step (robustness weights: an outlier does not lift the trend), from
 * prefix sums; at each end, where the window does not fit, the line through the last (first)
 * defined value and the one `w` steps inside it is continued.
 */
export function centredMovingAverage(z: Float64Array, w: number, weights?: Float64Array): Float64Array {
  const n = z.length;
  const out = new Float64Array(n);
  if (w <= 1 || n < w + 1) {
    out.fill(mean(z));
    return out;
  }
  // Prefix sums of weight*z and of weight.
  const cz = new Float64Array(n + 1);
  const cw = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const wt = weights === undefined ? 1 : weights[i]!;
    cz[i + 1] = cz[i]! + wt * z[i]!;
    cw[i + 1] = cw[i]! + wt;
  }
  const half = w >> 1;
  const even = w % 2 === 0;
  const lo = half;
  const hi = n - 1 - half;
  for (let i = lo; i <= hi; i++) {
    // Steps i-half..i+half; with an even w the two end steps count half.
    let num = cz[i + half + 1]! - cz[i - half]!;
    let den = cw[i + half + 1]! - cw[i - half]!;
    if (even) {
      num -= 0.5 * (cz[i - half + 1]! - cz[i - half]! + cz[i + half + 1]! - cz[i + half]!);
      den -= 0.5 * (cw[i - half + 1]! - cw[i - half]! + cw[i + half + 1]! - cw[i + half]!);
    }
    if (weights !== undefined && den < MIN_WEIGHT_SHARE * w) {
      // Most of the window was judged an outlier (e.g. a level shift the previous pass missed):
      // robustness has nothing to stand on here, so take the plain average instead.
      num = 0;
      for (let k = i - half; k <= i + half; k++) num += (even && (k === i - half || k === i + half) ? 0.5 : 1) * z[k]!;
      den = w;
    }
    out[i] = num / den;
  }
  const span = hi - lo;
  const lag = Math.min(w, span);
  const slopeEnd = lag > 0 ? (out[hi]! - out[hi - lag]!) / lag : 0;
  const slopeStart = lag > 0 ? (out[lo + lag]! - out[lo]!) / lag : 0;
  for (let i = hi + 1; i < n; i++) out[i] = out[hi]! + slopeEnd * (i - hi);
  for (let i = 0; i < lo; i++) out[i] = out[lo]! - slopeStart * (lo - i);
  return out;
}

function mean(z: Float64Array): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += z[i]!;
  return z.length > 0 ? s / z.length : 0;
}

/**
 * Half-width, in phases, of the triangular kernel that smooths a profile of period p: p/300
 * (none for a daily cycle at 5 min, +-6 steps of a weekly one, +-33 of a weekly one at 1 min).
 * It damps the noise of profiles built from few cycles; wider kernels (p/100) blurred the
 * weekday/weekend step so much that the smoothing of the adjusted series lagged (measured on a
 * synthetic weekly series and on nyc_taxi, uk_academic_net and nab_twitter_amzn day-ahead).
 */
const smoothingHalfWidth = (p: number): number => Math.floor(p / 300);

/**
 * Decomposes the last whole cycles (at most WINDOW_CYCLES of the longest period) of y into a trend
 * and one seasonal profile per period. Periods without two full cycles in y are left out.
 */
export function decompose(y: Float64Array, periods: readonly number[]): Decomposition {
  const n = y.length;
  const ps = decomposablePeriods(periods, n);
  const P = ps.length > 0 ? ps[ps.length - 1]! : 1;
  const cycles = Math.min(WINDOW_CYCLES, Math.floor(n / P));
  const start = ps.length > 0 ? n - cycles * P : Math.max(0, n - 2000);
  const m = n - start;
  const w = y.subarray(start);
  const profiles = ps.map((p) => new Float64Array(p));
  const robust = new Float64Array(m).fill(1);
  const seasonal = new Float64Array(m); // sum of the profiles at each window step
  const work = new Float64Array(m);
  let trend: Float64Array = new Float64Array(m);
  // Recency: two cycles of the longest period ago weigh half as much, so a changed pattern takes
  // over within a few cycles, but the newest cycle alone never outweighs the rest (with one-cycle
  // half-life its weighted median is the last cycle, and a late level shift became "seasonal").
  const decay = Math.pow(0.5, 1 / (HALF_LIFE_CYCLES * P));
  for (let pass = 0; pass < PASSES && ps.length > 0; pass++) {
    for (let t = 0; t < m; t++) work[t] = w[t]! - seasonal[t]!;
    // First pass: a whole longest cycle, so no seasonality leaks into the trend. Later passes
    // smooth the deseasonalised series over the shortest cycle only, so that the trend (and not
    // the profiles) takes up a level shift a few days before the end.
    trend = pass === 0 ? centredMovingAverage(work, P) : centredMovingAverage(work, ps[0]!, robust);
    for (let j = 0; j < ps.length; j++) {
      const p = ps[j]!;
      const prof = profiles[j]!;
      // Remove this profile from the running sum, re-estimate it, add it back.
      for (let t = 0; t < m; t++) {
        seasonal[t]! -= prof[(start + t) % p]!;
        work[t] = w[t]! - trend[t]! - seasonal[t]!;
      }
      if (pass === 0) weightedPhaseMedians(work, decay, start, p, prof);
      else weightedPhaseMeans(work, robust, decay, start, p, prof);
      smoothCircular(prof, smoothingHalfWidth(p));
      for (let t = 0; t < m; t++) seasonal[t]! += prof[(start + t) % p]!;
    }
    for (let t = 0; t < m; t++) work[t] = w[t]! - trend[t]! - seasonal[t]!;
    bisquareWeights(work, robust);
  }
  return { periods: ps, profiles, trend, start };
}

/**
 * out[phase] = sum of wt * r[t] / sum of wt over window steps t of that phase (absolute index
 * start+t mod p), wt = robust[t] * decay^(age in steps); then centred on zero.
 */
function weightedPhaseMeans(
  r: Float64Array,
  robust: Float64Array,
  decay: number,
  start: number,
  p: number,
  out: Float64Array,
): void {
  const num = new Float64Array(p);
  const den = new Float64Array(p);
  const numAge = new Float64Array(p); // the same without robustness weights
  const denAge = new Float64Array(p);
  const m = r.length;
  let age = 1; // decay^(m-1-t), built from the end backwards
  for (let t = m - 1; t >= 0; t--) {
    const ph = (start + t) % p;
    const wt = robust[t]! * age;
    num[ph]! += wt * r[t]!;
    den[ph]! += wt;
    numAge[ph]! += age * r[t]!;
    denAge[ph]! += age;
    age *= decay;
  }
  let avg = 0;
  for (let ph = 0; ph < p; ph++) {
    // A phase whose cycles were nearly all judged outliers falls back to the plain weighted mean.
    out[ph] = den[ph]! >= MIN_WEIGHT_SHARE * denAge[ph]! ? num[ph]! / den[ph]! : denAge[ph]! > 0 ? numAge[ph]! / denAge[ph]! : 0;
    avg += out[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) out[ph]! -= avg;
}

/**
 * First-pass profile, robust before any robustness weights exist: out[phase] = weighted median of
 * r over the window steps of that phase, weight decay^(age in steps); then centred on zero.
 * (Means would let one spike in the heaviest cycle shape the profile and mask itself.)
 */
function weightedPhaseMedians(r: Float64Array, decay: number, start: number, p: number, out: Float64Array): void {
  const m = r.length;
  const vals: { v: number; w: number }[] = [];
  const first = start % p; // phase of window step 0
  let avg = 0;
  for (let ph = 0; ph < p; ph++) {
    vals.length = 0;
    // Window steps t with (start + t) mod p = ph.
    let t = (ph - first + p) % p;
    let total = 0;
    for (; t < m; t += p) {
      const w = Math.pow(decay, m - 1 - t);
      vals.push({ v: r[t]!, w });
      total += w;
    }
    vals.sort((a, b) => a.v - b.v);
    let acc = 0;
    let med = 0;
    for (const { v, w } of vals) {
      acc += w;
      med = v;
      if (acc >= total / 2) break;
    }
    out[ph] = vals.length > 0 ? med : 0;
    avg += out[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) out[ph]! -= avg;
}

/** Smooths a cyclic profile with a triangular kernel of half-width hw (in place), then centres it. */
function smoothCircular(prof: Float64Array, hw: number): void {
  const p = prof.length;
  if (hw < 1 || p < 2 * hw + 1) return;
  const src = prof.slice();
  let avg = 0;
  for (let ph = 0; ph < p; ph++) {
    let s = 0;
    let ws = 0;
    for (let d = -hw; d <= hw; d++) {
      const k = hw + 1 - Math.abs(d);
      s += k * src[(ph + d + p) % p]!;
      ws += k;
    }
    prof[ph] = s / ws;
    avg += prof[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) prof[ph]! -= avg;
}

/** STL robustness weights: bisquare of residual / (6 x median |residual|). */
function bisquareWeights(resid: Float64Array, out: Float64Array): void {
  const abs = Float64Array.from(resid, Math.abs).sort();
  const mad = abs.length > 0 ? abs[abs.length >> 1]! : 0;
  const h = ROBUST_SCALE * mad;
  for (let t = 0; t < resid.length; t++) {
    if (h <= 0) {
      out[t] = 1;
      continue;
    }
    const u = Math.abs(resid[t]!) / h;
    out[t] = u < 1 ? (1 - u * u) * (1 - u * u) : 0;
  }
}

/** The `mstl` model: robust multi-seasonal decomposition + damped-trend smoothing of the rest. */
export function decomposition(): Model {
  const fit = (y: Float64Array, h: number, ctx: ModelContext): ModelFit => {
    if (y.length === 0) throw new RangeError('mstl: empty history');
    const n = y.length;
    const d = decompose(y, ctx.periods);
    const adjusted = y.slice(d.start);
    for (let j = 0; j < d.periods.length; j++) {
      const p = d.periods[j]!;
      const prof = d.profiles[j]!;
      for (let t = 0; t < adjusted.length; t++) adjusted[t]! -= prof[(d.start + t) % p]!;
    }
    // The smoothing's parameters are the model's parameters (the profiles are estimated afresh).
    const smooth = fitHoltWinters(adjusted, [], { horizon: h, ...paramsOptions(ctx) });
    const out = smooth.forecast(h);
    for (let j = 0; j < d.periods.length; j++) {
      const p = d.periods[j]!;
      const prof = d.profiles[j]!;
      for (let k = 0; k < h; k++) out[k]! += prof[(n + k) % p]!;
    }
    return { forecast: finishForecast(out, minOf(y) >= 0, y[n - 1]!), params: smooth.free };
  };
  return {
    name: 'mstl',
    // Two full cycles of the longest period tell the seasonal profile from the trend; without
    // periods only the smoothing runs, for which a dozen points will do.
    minHistory: twoLongestCycles,
    fit,
    forecast: (y, h, ctx) => fit(y, h, ctx).forecast,
  };
}
