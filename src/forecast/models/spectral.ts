/**
 * Spectral (FFT) model, after Netflix Scryer's FFT predictor (Netflix tech blog, "Scryer:
 * Netflix's Predictive Auto Scaling Engine", parts 1-2, 2013): detrend, keep the strongest
 * frequencies of the recent history, extrapolate them plus the trend; repeat a few times with
 * outlying points replaced by the fitted values so bursts do not leak into the forecast.
 *
 * How, in steps (n = history length, P = longest usable period in steps):
 * 1. Window: the last m whole cycles of P (2 <= m <= maxCycles), W = m * P points, so every harmonic
 *    of P has an integer number k of cycles in the window (bin k = j * m for harmonic j).
 *    No usable period: the last min(n, NO_PERIOD_WINDOW) points.
 * 2. Trend: Theil-Sen slope through the per-cycle means (a seasonally neutral, robust line);
 *    intercept by least squares given the slope. Without a period: 8 blocks instead of cycles.
 * 3. Spectrum: the detrended window is linearly resampled onto N = 2^k >= W points (each bin k
 *    still holds k cycles per window) and transformed with fft.js. The spectrum only *selects*
 *    components; their amplitudes are then computed exactly on the original grid (the
 *    sinusoids with integer cycles per window are orthogonal there), so resampling loses nothing.
 * 4. Selection (the count comes from the data): a bin is kept when its power exceeds a local noise
 *    floor (median power of nearby bins that are not harmonics, / ln 2 = mean of an exponential)
 *    by a factor ln(candidates / alpha): the level a pure-noise bin exceeds with probability
 *    alpha / candidates, i.e. about alpha false components per candidate set (Bonferroni).
 *    Candidate sets: the harmonics of each detected period; then any other local peak with a
 *    period shorter than P (or with >= 4 cycles in the window when there is no period).
 * 5. Robust refit: residuals beyond OUTLIER_SIGMAS robust sigmas (1.4826 MAD) are replaced by
 *    the fitted values and steps 2-4 rerun, up to `iterations` fits.
 * 6. Forecast: trend extrapolated + the selected components, which repeat with period W, plus
 *    a decaying carry-over of the last day's residual level (see levelCorrection: the one
 *    addition to Scryer, for level shifts such as holidays). Clamped at 0 when the history is
 *    never negative.
 */
import FFT from 'fft.js';
import type { Model, ModelContext } from '../types.js';
import { longestUsablePeriod, median, robustSigma, theilSen } from '../linalg.js';

/** Tunables; the defaults are the model (they are not tuned per series). */
export interface SpectralOptions {
  /** At most this many cycles of the longest period are used (recent history adapts faster;
   *  at least 2 are always used). Default 4. */
  readonly maxCycles: number;
  /** Fits in the robust loop (1 initial + refits, as Scryer's few iterations). Default 4. */
  readonly iterations: number;
  /** Expected number of noise components admitted per candidate set. Default 0.1. */
  readonly alpha: number;
  /** Carry the recent residual level into the forecast (see levelCorrection). Default true. */
  readonly levelCorrection: boolean;
  /** Extrapolate the linear trend. Default true. */
  readonly trend: boolean;
}

const DEFAULTS: SpectralOptions = { maxCycles: 4, iterations: 4, alpha: 0.1, levelCorrection: true, trend: true };

/** Without a usable period: at most this many recent points. */
const NO_PERIOD_WINDOW = 4096;
/** Residuals beyond this many robust sigmas are outliers (the usual 3-sigma rule, on MAD). */
const OUTLIER_SIGMAS = 3;
/** Half-width, in bins, of the neighbourhood used for the local noise floor. */
const NOISE_HALF_WIDTH = 16;
/** Cap on non-harmonic peaks (each costs O(W) to fit). */
const MAX_OTHER_PEAKS = 16;

export function spectral(options: Partial<SpectralOptions> = {}): Model {
  const opts: SpectralOptions = { ...DEFAULTS, ...options };
  // Per model instance (not per module): the engine refits the same window size many times
  // (rolling origin), and building an FFT plan and trig tables costs more than the transform.
  const tables = new TableCache();
  return { name: 'fft', minHistory, forecast: (y, h, ctx) => forecast(y, h, ctx, opts, tables) };
}

/** The FFT plan and the exact-phase tables for one window size W. */
interface Tables {
  readonly N: number;
  readonly fft: FFT;
  readonly out: number[];
  /** cos/sin of 2*pi*q/W, q = 0..W-1: exact phases for any integer bin. */
  readonly cosW: Float64Array;
  readonly sinW: Float64Array;
}

/** A few recent window sizes (a rolling origin keeps W constant once the history is long). */
class TableCache {
  private readonly byW = new Map<number, Tables>();
  get(W: number): Tables {
    const hit = this.byW.get(W);
    if (hit) return hit;
    let N = 4;
    while (N < W) N *= 2;
    const fft = new FFT(N);
    const cosW = new Float64Array(W);
    const sinW = new Float64Array(W);
    for (let q = 0; q < W; q++) {
      cosW[q] = Math.cos((2 * Math.PI * q) / W);
      sinW[q] = Math.sin((2 * Math.PI * q) / W);
    }
    const t: Tables = { N, fft, out: fft.createComplexArray() as number[], cosW, sinW };
    if (this.byW.size >= 4) this.byW.delete(this.byW.keys().next().value!);
    this.byW.set(W, t);
    return t;
  }
}

/** Two whole cycles of the shortest period (one to see the shape, one to tell it from noise);
 *  without periods, 16 points to find a level and a slope. */
function minHistory(ctx: ModelContext): number {
  const p = ctx.periods.find((q) => Math.round(q) >= 2);
  return p === undefined ? 16 : 2 * Math.round(p);
}

function forecast(y: Float64Array, h: number, ctx: ModelContext, opts: SpectralOptions, tables: TableCache): Float64Array {
  const out = new Float64Array(Math.max(0, h));
  const n = y.length;
  if (h <= 0 || n === 0) return out;
  const P = longestUsablePeriod(ctx.periods, n);
  // At least 2 cycles (guaranteed by longestUsablePeriod): non-harmonic bins give the noise floor.
  const m = P > 0 ? Math.max(2, Math.min(opts.maxCycles, Math.floor(n / P))) : 0;
  const W = P > 0 ? m * P : Math.min(n, NO_PERIOD_WINDOW);
  const periods = ctx.periods.map(Math.round).filter((p) => p >= 2 && p <= (P || 0));
  const window = y.subarray(n - W);
  const fit = fitWindow(window, P, m, periods, opts, tables.get(W));
  const slope = opts.trend ? fit.slope : 0;
  // Shortest period as the block for the level correction; without one, 1/16 of the window.
  const block = periods.length > 0 ? periods[0]! : Math.max(1, Math.floor(W / 16));
  const level = opts.levelCorrection ? levelCorrection(fit, block) : { last: 0, phi: 0 };
  let nonNegative = true;
  for (let i = 0; i < n; i++) if (y[i]! < 0) nonNegative = false;
  for (let i = 0; i < h; i++) {
    const t = W + i;
    const carry = level.last * Math.pow(level.phi, (i + 0.5) / block + 0.5);
    let v = fit.intercept + slope * (t - fit.pivot) + fit.seasonal[t % W]! + carry;
    if (!Number.isFinite(v)) v = y[n - 1]!;
    out[i] = nonNegative && v < 0 ? 0 : v;
  }
  return out;
}

/**
 * Level correction: the fit is a fixed pattern over the window, so a level shift in the last
 * days (holiday, growth spurt) would be ignored. The residuals are averaged per block (one
 * shortest period); their lag-1 autocorrelation phi (in [0, 1), 0 when negative) says how much
 * of a block's offset persists into the next. The last block's offset is carried forward,
 * decaying as phi^(blocks ahead). A pure-noise residual gives phi ~ 0: no correction.
 */
function levelCorrection(fit: WindowFit, block: number): { last: number; phi: number } {
  const r = fit.residual;
  const blocks = Math.floor(r.length / block);
  if (blocks < 3) return { last: 0, phi: 0 };
  const start = r.length - blocks * block;
  const means = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    for (let t = start + b * block; t < start + (b + 1) * block; t++) s += r[t]!;
    means[b] = s / block;
  }
  let num = 0;
  let den = 0;
  for (let b = 0; b < blocks; b++) {
    den += means[b]! * means[b]!;
    if (b > 0) num += means[b]! * means[b - 1]!;
  }
  const phi = den > 0 ? Math.min(0.99, Math.max(0, num / den)) : 0;
  return { last: means[blocks - 1]!, phi };
}

interface WindowFit {
  /** Trend: intercept + slope * (t - pivot), t in window steps. */
  slope: number;
  intercept: number;
  pivot: number;
  /** Residual of the cleaned window (outliers replaced) against the final fit. */
  residual: Float64Array;
  /** Periodic part over the window, length W; repeats with period W. */
  seasonal: Float64Array;
}

/** Steps 2-5 on the window `y` (length W). */
function fitWindow(
  y: Float64Array,
  P: number,
  m: number,
  periods: readonly number[],
  opts: SpectralOptions,
  tables: Tables,
): WindowFit {
  const W = y.length;
  const x = Float64Array.from(y); // working copy, outliers replaced by fitted values
  const fitted = new Float64Array(W);
  const d = new Float64Array(W);
  const resid = new Float64Array(W);
  const scratch = new Float64Array(W);
  const spec = new SpectrumWorkspace(tables, P, m, periods, opts.alpha);
  const pivot = (W - 1) / 2;
  let fit: WindowFit | null = null;
  for (let iter = 0; iter < opts.iterations; iter++) {
    const slope = opts.trend ? trendSlope(x, P > 0 ? P : blockSize(W)) : 0;
    // Least-squares intercept given the slope: the mean of x (t is centred on the pivot).
    let intercept = 0;
    for (let t = 0; t < W; t++) intercept += x[t]!;
    intercept /= W;
    for (let t = 0; t < W; t++) d[t] = x[t]! - intercept - slope * (t - pivot);
    const seasonal = spec.fit(d);
    for (let t = 0; t < W; t++) fitted[t] = intercept + slope * (t - pivot) + seasonal[t]!;
    fit = { slope, intercept, pivot, seasonal, residual: resid };
    if (iter === opts.iterations - 1) break;
    // Residuals of the *original* values against this fit: a point flagged once can come back.
    for (let t = 0; t < W; t++) resid[t] = y[t]! - fitted[t]!;
    const center = median(resid, W, scratch);
    const limit = OUTLIER_SIGMAS * robustSigma(resid, W, scratch);
    let changed = 0;
    for (let t = 0; t < W; t++) {
      const v = limit > 0 && Math.abs(resid[t]! - center) > limit ? fitted[t]! : y[t]!;
      if (v !== x[t]) changed++;
      x[t] = v;
    }
    if (changed === 0) break;
  }
  // Residual of the cleaned window: what the level correction sees (bursts already removed).
  for (let t = 0; t < W; t++) resid[t] = x[t]! - fitted[t]!;
  return fit!;
}

/** Blocks for the trend without a period: about 8 blocks, at least 2 points each. */
const blockSize = (W: number): number => Math.max(2, Math.floor(W / 8));

/** Theil-Sen slope (per step) through block means (block = one cycle: seasonally neutral). */
function trendSlope(x: Float64Array, block: number): number {
  const W = x.length;
  const blocks = Math.floor(W / block);
  if (blocks < 2) return 0;
  const cx = new Float64Array(blocks);
  const cy = new Float64Array(blocks);
  // Blocks are aligned to the end of the window (the most recent data matters most).
  const start = W - blocks * block;
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    const o = start + b * block;
    for (let t = o; t < o + block; t++) s += x[t]!;
    cy[b] = s / block;
    cx[b] = o + (block - 1) / 2;
  }
  return theilSen(cx, cy).slope;
}

/**
 * Component selection and exact fitting for one window size. Holds the buffers and tables
 * so the robust loop allocates nothing per iteration beyond the returned seasonal array.
 */
class SpectrumWorkspace {
  private readonly W: number;
  private readonly alpha: number;
  private readonly P: number;
  private readonly m: number;
  private readonly N: number;
  private readonly fft: FFT;
  private readonly input: Float64Array;
  private readonly out: number[];
  private readonly power: Float64Array;
  /** cos/sin of 2*pi*q/W, q = 0..W-1: exact phases for any integer bin. */
  private readonly cosW: Float64Array;
  private readonly sinW: Float64Array;
  /** Per bin: index+1 of the period whose harmonic it is (shortest first), 0 if none. */
  private readonly family: Uint16Array;
  private readonly familySize: number[];
  private readonly profile: Float64Array;
  private readonly window: Float64Array;
  /** Highest usable bin: strictly below the Nyquist of the original grid. */
  private readonly kMax: number;

  constructor(tables: Tables, P: number, m: number, periods: readonly number[], alpha: number) {
    const W = tables.cosW.length;
    this.alpha = alpha;
    this.W = W;
    this.P = P;
    this.m = m;
    this.N = tables.N;
    this.fft = tables.fft;
    this.input = new Float64Array(this.N);
    this.out = tables.out;
    this.kMax = Math.floor((W - 1) / 2);
    this.power = new Float64Array(this.kMax + 1);
    this.cosW = tables.cosW;
    this.sinW = tables.sinW;
    this.family = new Uint16Array(this.kMax + 1);
    this.familySize = periods.map(() => 0);
    periods.forEach((p, f) => {
      // Harmonic j of period p has j * W / p cycles per window (rounded when p does not divide W).
      for (let j = 1; j < p / 2; j++) {
        const k = Math.round((j * W) / p);
        if (k > this.kMax) break;
        if (this.family[k] === 0) {
          this.family[k] = f + 1;
          this.familySize[f]!++;
        }
      }
    });
    this.profile = new Float64Array(Math.max(1, P));
    this.window = new Float64Array(this.kMax + 1);
  }

  /** Returns the selected periodic part of `d` (detrended window) over the window. */
  fit(d: Float64Array): Float64Array {
    this.computePower(d);
    const chosen = this.select();
    return this.reconstruct(d, chosen);
  }

  /** Linear resampling of d onto N points (circular: the window is whole cycles), then |FFT|^2. */
  private computePower(d: Float64Array): void {
    const { W, N, input } = this;
    const ratio = W / N;
    for (let j = 0; j < N; j++) {
      const pos = j * ratio;
      const i0 = Math.floor(pos);
      const frac = pos - i0;
      const i1 = i0 + 1 < W ? i0 + 1 : 0;
      input[j] = d[i0]! * (1 - frac) + d[i1]! * frac;
    }
    this.fft.realTransform(this.out, input);
    const out = this.out;
    for (let k = 0; k <= this.kMax; k++) {
      const re = out[2 * k]!;
      const im = out[2 * k + 1]!;
      this.power[k] = re * re + im * im;
    }
  }

  /** Local noise floor (mean power of a noise bin) around bin k. */
  private noiseFloor(k: number): number {
    const { power, family, kMax, window } = this;
    for (let half = NOISE_HALF_WIDTH; ; half *= 2) {
      let c = 0;
      const lo = Math.max(1, k - half);
      const hi = Math.min(kMax, k + half);
      for (let q = lo; q <= hi && c < window.length; q++) {
        if (q !== k && family[q] === 0) window[c++] = power[q]!;
      }
      if (c >= 8 || (lo === 1 && hi === kMax) || 2 * half > kMax) {
        if (c === 0) {
          // Every bin is a harmonic (one cycle of data): the median of all neighbours is a
          // conservative (too high) floor.
          for (let q = lo; q <= hi && c < window.length; q++) if (q !== k) window[c++] = power[q]!;
        }
        return c === 0 ? 0 : median(window, c, window) / Math.LN2;
      }
    }
  }

  /** Bins to keep, by the thresholds in the file comment. */
  private select(): number[] {
    const { power, family, kMax, familySize } = this;
    const chosen: number[] = [];
    const thresholds = familySize.map((c) => Math.log(Math.max(c, 1) / this.alpha));
    for (let k = 1; k <= kMax; k++) {
      const f = family[k]!;
      if (f === 0) continue;
      if (power[k]! > thresholds[f - 1]! * this.noiseFloor(k)) chosen.push(k);
    }
    // Other strong peaks: periods shorter than P (k > m), or >= 4 cycles per window without P.
    const kMin = this.P > 0 ? this.m + 1 : 4;
    const others: number[] = [];
    for (let k = kMin; k <= kMax; k++) {
      if (family[k] !== 0) continue;
      const p = power[k]!;
      if (p >= power[k - 1]! && (k === kMax || p >= power[k + 1]!)) others.push(k);
    }
    const otherThreshold = Math.log(Math.max(others.length, 1) / this.alpha);
    const strong = others
      .filter((k) => power[k]! > otherThreshold * this.noiseFloor(k))
      .sort((a, b) => power[b]! - power[a]!)
      .slice(0, MAX_OTHER_PEAKS);
    return chosen.concat(strong);
  }

  /**
   * Exact least-squares amplitudes of the chosen bins on the original grid, summed over the
   * window. Harmonics of P are fitted on the mean cycle (O(P) each), the rest on the window.
   */
  private reconstruct(d: Float64Array, chosen: number[]): Float64Array {
    const { W, P, m, cosW, sinW, profile } = this;
    const seasonal = new Float64Array(W);
    const onP = P > 0 ? chosen.filter((k) => k % m === 0) : [];
    const onW = P > 0 ? chosen.filter((k) => k % m !== 0) : chosen;
    if (onP.length > 0) {
      // Mean cycle; on it, bin k of the window is harmonic k/m of P.
      profile.fill(0);
      for (let t = 0; t < W; t++) profile[t % P] += d[t]! / m;
      const shape = new Float64Array(P);
      for (const k of onP) {
        // Phase index (k * tau) mod W in the W-table == 2*pi*(k/m)*tau/P.
        let a = 0;
        let b = 0;
        for (let tau = 0, q = 0; tau < P; tau++, q = q + k >= W ? q + k - W : q + k) {
          a += profile[tau]! * cosW[q]!;
          b += profile[tau]! * sinW[q]!;
        }
        a *= 2 / P;
        b *= 2 / P;
        for (let tau = 0, q = 0; tau < P; tau++, q = q + k >= W ? q + k - W : q + k) shape[tau] += a * cosW[q]! + b * sinW[q]!;
      }
      for (let t = 0; t < W; t++) seasonal[t] = shape[t % P]!;
    }
    for (const k of onW) {
      let a = 0;
      let b = 0;
      for (let t = 0, q = 0; t < W; t++, q = q + k >= W ? q + k - W : q + k) {
        a += d[t]! * cosW[q]!;
        b += d[t]! * sinW[q]!;
      }
      a *= 2 / W;
      b *= 2 / W;
      for (let t = 0, q = 0; t < W; t++, q = q + k >= W ? q + k - W : q + k) seasonal[t] += a * cosW[q]! + b * sinW[q]!;
    }
    return seasonal;
  }
}
