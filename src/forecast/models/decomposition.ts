/**
 * Robust multi-seasonal decomposition forecasting (`decomposition`), in the spirit of MSTL (Bandara, Hyndman &
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
 *
 * Speed (the engine runs it at every rolling origin and refit): buffers are reused across the
 * passes, medians come from selection or small insertion sorts, and phases are counted, not
 * computed with %; every sum is still taken in the same order, so results are bit for bit those
 * of the straightforward code.
 */
import type { Model, ModelContext, ModelFit } from '../types.js';
import { selectRange } from '../median.js';
import { fitHoltWinters } from './holt-winters.js';
import { finishForecast, minOf, paramsOptions, periodsWithTwoCycles, twoLongestCycles } from './shared.js';

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
  movingAverageInto(z, w, weights, out, new Float64Array(n + 1), new Float64Array(n + 1));
  return out;
}

/**
 * centredMovingAverage into `out` (length z.length), with the prefix sums in `cz` and `cw`
 * (scratch, at least z.length + 1 long).
 */
function movingAverageInto(
  z: Float64Array,
  w: number,
  weights: Float64Array | undefined,
  out: Float64Array,
  cz: Float64Array,
  cw: Float64Array,
): void {
  const n = z.length;
  if (w <= 1 || n < w + 1) {
    out.fill(mean(z));
    return;
  }
  // Prefix sums of weight*z and of weight.
  cz[0] = 0;
  cw[0] = 0;
  if (weights === undefined) {
    for (let i = 0; i < n; i++) {
      cz[i + 1] = cz[i]! + z[i]!;
      cw[i + 1] = cw[i]! + 1;
    }
  } else {
    for (let i = 0; i < n; i++) {
      cz[i + 1] = cz[i]! + weights[i]! * z[i]!;
      cw[i + 1] = cw[i]! + weights[i]!;
    }
  }
  const half = w >> 1;
  const even = w % 2 === 0;
  const lo = half;
  const hi = n - 1 - half;
  const plain: number[] = []; // steps whose robust window kept too little weight
  for (let i = lo; i <= hi; i++) {
    // Steps i-half..i+half; with an even w the two end steps count half.
    let num = cz[i + half + 1]! - cz[i - half]!;
    let den = cw[i + half + 1]! - cw[i - half]!;
    if (even) {
      num -= 0.5 * (cz[i - half + 1]! - cz[i - half]! + cz[i + half + 1]! - cz[i + half]!);
      den -= 0.5 * (cw[i - half + 1]! - cw[i - half]! + cw[i + half + 1]! - cw[i + half]!);
    }
    // Most of the window was judged an outlier (e.g. a level shift the previous pass missed):
    // robustness has nothing to stand on here, so take the plain average instead (below).
    if (weights !== undefined && den < MIN_WEIGHT_SHARE * w) plain.push(i);
    else out[i] = num / den;
  }
  plainAveragesInto(z, w, plain, out);
  const span = hi - lo;
  const lag = Math.min(w, span);
  const slopeEnd = lag > 0 ? (out[hi]! - out[hi - lag]!) / lag : 0;
  const slopeStart = lag > 0 ? (out[lo + lag]! - out[lo]!) / lag : 0;
  for (let i = hi + 1; i < n; i++) out[i] = out[hi]! + slopeEnd * (i - hi);
  for (let i = 0; i < lo; i++) out[i] = out[lo]! - slopeStart * (lo - i);
}

/**
 * out[i] = plain centred average of z over w steps (2 x w when w is even) at each i of `at`,
 * summed in time order. Four windows are summed side by side: the same sums, but four additions
 * in flight instead of one waiting for the previous.
 */
function plainAveragesInto(z: Float64Array, w: number, at: readonly number[], out: Float64Array): void {
  const half = w >> 1;
  const end = w % 2 === 0 ? 0.5 : 1; // weight of the two end steps
  const last = 2 * half; // offset of the last step in the window
  let j = 0;
  for (; j + 4 <= at.length; j += 4) {
    const a0 = at[j]! - half;
    const a1 = at[j + 1]! - half;
    const a2 = at[j + 2]! - half;
    const a3 = at[j + 3]! - half;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    s0 += end * z[a0]!;
    s1 += end * z[a1]!;
    s2 += end * z[a2]!;
    s3 += end * z[a3]!;
    for (let k = 1; k < last; k++) {
      s0 += z[a0 + k]!;
      s1 += z[a1 + k]!;
      s2 += z[a2 + k]!;
      s3 += z[a3 + k]!;
    }
    out[a0 + half] = (s0 + end * z[a0 + last]!) / w;
    out[a1 + half] = (s1 + end * z[a1 + last]!) / w;
    out[a2 + half] = (s2 + end * z[a2 + last]!) / w;
    out[a3 + half] = (s3 + end * z[a3 + last]!) / w;
  }
  for (; j < at.length; j++) {
    const a = at[j]! - half;
    let s = 0;
    s += end * z[a]!;
    for (let k = 1; k < last; k++) s += z[a + k]!;
    out[a + half] = (s + end * z[a + last]!) / w;
  }
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
  const ps = periodsWithTwoCycles(periods, n);
  const P = ps.length > 0 ? ps[ps.length - 1]! : 1;
  const cycles = Math.min(WINDOW_CYCLES, Math.floor(n / P));
  const start = ps.length > 0 ? n - cycles * P : Math.max(0, n - 2000);
  const m = n - start;
  const w = y.subarray(start);
  const profiles = ps.map((p) => new Float64Array(p));
  const robust = new Float64Array(m).fill(1);
  const seasonal = new Float64Array(m); // sum of the profiles at each window step
  const work = new Float64Array(m);
  const trend = new Float64Array(m);
  const scratch = new Float64Array(m + 1);
  const scratch2 = new Float64Array(m + 1);
  // Recency: two cycles of the longest period ago weigh half as much, so a changed pattern takes
  // over within a few cycles, but the newest cycle alone never outweighs the rest (with one-cycle
  // half-life its weighted median is the last cycle, and a late level shift became "seasonal").
  const decay = Math.pow(0.5, 1 / (HALF_LIFE_CYCLES * P));
  const powers = decayPowers(decay, ps.length > 0 ? m : 0);
  for (let pass = 0; pass < PASSES && ps.length > 0; pass++) {
    for (let t = 0; t < m; t++) work[t] = w[t]! - seasonal[t]!;
    // First pass: a whole longest cycle, so no seasonality leaks into the trend. Later passes
    // smooth the deseasonalised series over the shortest cycle only, so that the trend (and not
    // the profiles) takes up a level shift a few days before the end.
    if (pass === 0) movingAverageInto(work, P, undefined, trend, scratch, scratch2);
    else movingAverageInto(work, ps[0]!, robust, trend, scratch, scratch2);
    for (let j = 0; j < ps.length; j++) {
      const prof = profiles[j]!;
      const p = prof.length;
      // Remove this profile from the running sum, re-estimate it, add it back.
      for (let t = 0, ph = start % p; t < m; t++) {
        seasonal[t]! -= prof[ph]!; // ph = (start + t) mod p
        work[t] = w[t]! - trend[t]! - seasonal[t]!;
        if (++ph === p) ph = 0;
      }
      if (pass === 0) weightedPhaseMedians(work, powers, start, p, prof);
      else weightedPhaseMeans(work, robust, decay, start, p, prof);
      smoothCircular(prof, smoothingHalfWidth(p));
      addProfile(seasonal, prof, start);
    }
    for (let t = 0; t < m; t++) work[t] = w[t]! - trend[t]! - seasonal[t]!;
    bisquareWeights(work, robust, scratch);
  }
  return { periods: ps, profiles, trend, start };
}

/** sum[t] += prof[(start + t) mod p] for every t of sum (p = prof.length). */
function addProfile(sum: Float64Array, prof: Float64Array, start: number): void {
  const p = prof.length;
  for (let t = 0, ph = start % p; t < sum.length; t++) {
    sum[t]! += prof[ph]!;
    if (++ph === p) ph = 0;
  }
}

/** sum[t] -= prof[(start + t) mod p] for every t of sum (p = prof.length). */
function subtractProfile(sum: Float64Array, prof: Float64Array, start: number): void {
  const p = prof.length;
  for (let t = 0, ph = start % p; t < sum.length; t++) {
    sum[t]! -= prof[ph]!;
    if (++ph === p) ph = 0;
  }
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
  let ph = (start + m - 1) % p;
  for (let t = m - 1; t >= 0; t--, ph = ph === 0 ? p - 1 : ph - 1) {
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
 * r over the window steps t of that phase, weight powers[m-1-t] = decay^(age in steps);
 * then centred on zero. (Means would let one spike in the heaviest cycle shape the profile and
 * mask itself.) The weighted median is the first value, in ascending order (ties in time order),
 * at which the running weight reaches half the total.
 */
function weightedPhaseMedians(r: Float64Array, powers: Float64Array, start: number, p: number, out: Float64Array): void {
  const m = r.length;
  const first = start % p; // phase of window step 0
  const vals = new Float64Array(Math.ceil(m / p)); // one phase's values and weights
  const wts = new Float64Array(vals.length);
  let avg = 0;
  for (let ph = 0; ph < p; ph++) {
    // Window steps t with (start + t) mod p = ph, in time order.
    let k = 0;
    let total = 0;
    for (let t = (ph - first + p) % p; t < m; t += p, k++) {
      vals[k] = r[t]!;
      wts[k] = powers[m - 1 - t]!;
      total += wts[k]!;
    }
    sortPairsByValue(vals, wts, k);
    let acc = 0;
    let med = 0;
    for (let i = 0; i < k; i++) {
      acc += wts[i]!;
      med = vals[i]!;
      if (acc >= total / 2) break;
    }
    out[ph] = k > 0 ? med : 0;
    avg += out[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) out[ph]! -= avg;
}

/** Insertion sort pays off up to this many values (a phase has one per cycle: 6 to 42 here). */
const INSERTION_SORT_MAX = 64;

/**
 * Sorts vals[0..k) ascending, carrying wts[0..k) along, in the order Array.prototype.sort gives
 * with the comparator (a, b) => a - b (stable: ties keep their order). Short NaN-free lists by
 * insertion (the same order, since without NaN that comparator is a consistent "<"); the rest,
 * as a permutation, by that very sort.
 */
function sortPairsByValue(vals: Float64Array, wts: Float64Array, k: number): void {
  let hasNaN = false;
  for (let i = 0; i < k && !hasNaN; i++) hasNaN = Number.isNaN(vals[i]!);
  if (k > INSERTION_SORT_MAX || hasNaN) {
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
    const v = vals.slice(0, k);
    const w = wts.slice(0, k);
    for (let i = 0; i < k; i++) {
      vals[i] = v[order[i]!]!;
      wts[i] = w[order[i]!]!;
    }
    return;
  }
  for (let i = 1; i < k; i++) {
    const v = vals[i]!;
    const w = wts[i]!;
    let j = i - 1;
    for (; j >= 0 && vals[j]! > v; j--) {
      vals[j + 1] = vals[j]!;
      wts[j + 1] = wts[j]!;
    }
    vals[j + 1] = v;
    wts[j + 1] = w;
  }
}

/** powers[a] = decay^a for ages a < count, each from Math.pow (a running product would round differently). */
function decayPowers(decay: number, count: number): Float64Array {
  const powers = new Float64Array(count);
  for (let a = 0; a < count; a++) powers[a] = Math.pow(decay, a);
  return powers;
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
    for (let d = -hw, at = ph - hw < 0 ? ph - hw + p : ph - hw; d <= hw; d++, at = at === p - 1 ? 0 : at + 1) {
      // at = (ph + d) mod p
      const k = hw + 1 - Math.abs(d);
      s += k * src[at]!;
      ws += k;
    }
    prof[ph] = s / ws;
    avg += prof[ph]! / p;
  }
  for (let ph = 0; ph < p; ph++) prof[ph]! -= avg;
}

/**
 * STL robustness weights: bisquare of residual / (6 x median |residual|). `scratch` (at least as
 * long as resid) is overwritten.
 */
function bisquareWeights(resid: Float64Array, out: Float64Array, scratch: Float64Array): void {
  const h = ROBUST_SCALE * upperMedianAbs(resid, scratch);
  if (h <= 0) {
    out.fill(1, 0, resid.length);
    return;
  }
  for (let t = 0; t < resid.length; t++) {
    const u = Math.abs(resid[t]!) / h;
    out[t] = u < 1 ? (1 - u * u) * (1 - u * u) : 0;
  }
}

/**
 * Element n >> 1 of |x| sorted ascending with NaN last (as Float64Array.prototype.sort orders
 * them; 0 for an empty x), found by selection instead of sorting. `scratch` (at least as long
 * as x) is overwritten.
 */
function upperMedianAbs(x: Float64Array, scratch: Float64Array): number {
  const n = x.length;
  if (n === 0) return 0;
  let count = 0; // the |x| that are not NaN, at the front of scratch
  for (let t = 0; t < n; t++) {
    const a = Math.abs(x[t]!);
    if (!Number.isNaN(a)) scratch[count++] = a;
  }
  const k = n >> 1;
  return k < count ? selectRange(scratch, 0, count, k) : NaN;
}

/**
 * The `decomposition` model: robust multi-seasonal decomposition + damped-trend smoothing of the
 * rest. Unlike `mstl` (./mstl.ts, STL as R runs it), its profiles weight recent cycles more and
 * down-weight outliers, and it uses the detected periods only.
 */
export function decomposition(): Model {
  const fit = (y: Float64Array, h: number, ctx: ModelContext): ModelFit => {
    if (y.length === 0) throw new RangeError('decomposition: empty history');
    const n = y.length;
    const d = decompose(y, ctx.periods);
    const adjusted = y.slice(d.start);
    for (const prof of d.profiles) subtractProfile(adjusted, prof, d.start);
    // The smoothing's parameters are the model's parameters (the profiles are estimated afresh).
    const smooth = fitHoltWinters(adjusted, [], { horizon: h, ...paramsOptions(ctx) });
    const out = smooth.forecast(h);
    for (const prof of d.profiles) addProfile(out, prof, n);
    return { forecast: finishForecast(out, minOf(y) >= 0, y[n - 1]!), params: smooth.free };
  };
  return {
    name: 'decomposition',
    // Two full cycles of the longest period tell the seasonal profile from the trend; without
    // periods only the smoothing runs, for which a dozen points will do.
    minHistory: twoLongestCycles,
    fit,
    forecast: (y, h, ctx) => fit(y, h, ctx).forecast,
  };
}
