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
import type FFT from 'fft.js';
import { FftPlan, RecentCache, addHarmonics, phaseTable } from '../fourier.js';
import type { Model, ModelContext } from '../types.js';
import { theilSen } from '../linalg.js';
import { MAD_TO_SIGMA, indexOfValue, insertSorted, mad, median, medianSkipping, removeSorted, replaceSorted } from '../median.js';
import { longestUsablePeriod } from './shared.js';

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
  // (rolling origin), and building an FFT plan, trig tables and work buffers costs more than
  // the transform.
  const cache: WindowCache = new RecentCache(4);
  return { name: 'fft', minHistory, forecast: (y, h, ctx) => forecast(y, h, ctx, opts, cache) };
}

/**
 * The FFT plan (fourier.ts) and work buffers for one window size W. The buffers are reused by
 * every call on the model instance (forecast is synchronous, so calls never overlap; a fit's
 * arrays are read before the call returns).
 */
class WindowTables extends FftPlan {
  /** fitWindow's buffers, length W each. */
  readonly x: Float64Array;
  readonly fitted: Float64Array;
  readonly d: Float64Array;
  readonly resid: Float64Array;
  readonly scratch: Float64Array;
  /** Spectrum workspaces by component layout (P, m, periods); usually just one. */
  private readonly spectra = new RecentCache<string, SpectrumWorkspace>(4);

  constructor(W: number) {
    super(W);
    this.x = new Float64Array(W);
    this.fitted = new Float64Array(W);
    this.d = new Float64Array(W);
    this.resid = new Float64Array(W);
    this.scratch = new Float64Array(W);
  }

  spectrum(P: number, m: number, periods: readonly number[], alpha: number): SpectrumWorkspace {
    return this.spectra.get(`${P}/${m}/${periods.join(',')}`, () => new SpectrumWorkspace(this, P, m, periods, alpha));
  }
}

/** A few recent window sizes (a rolling origin keeps W constant once the history is long). */
type WindowCache = RecentCache<number, WindowTables>;

/** Two whole cycles of the shortest period (one to see the shape, one to tell it from noise);
 *  without periods, 16 points to find a level and a slope. */
function minHistory(ctx: ModelContext): number {
  const p = ctx.periods.find((q) => Math.round(q) >= 2);
  return p === undefined ? 16 : 2 * Math.round(p);
}

function forecast(y: Float64Array, h: number, ctx: ModelContext, opts: SpectralOptions, cache: WindowCache): Float64Array {
  const out = new Float64Array(Math.max(0, h));
  const n = y.length;
  if (h <= 0 || n === 0) return out;
  const P = longestUsablePeriod(ctx.periods, n);
  // At least 2 cycles (guaranteed by longestUsablePeriod): non-harmonic bins give the noise floor.
  const m = P > 0 ? Math.max(2, Math.min(opts.maxCycles, Math.floor(n / P))) : 0;
  const W = P > 0 ? m * P : Math.min(n, NO_PERIOD_WINDOW);
  const periods = ctx.periods.map(Math.round).filter((p) => p >= 2 && p <= (P || 0));
  const window = y.subarray(n - W);
  const fit = fitWindow(window, P, m, periods, opts, cache.get(W, () => new WindowTables(W)));
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
  let num = 0;
  let den = 0;
  let prev = 0;
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    for (let t = start + b * block; t < start + (b + 1) * block; t++) s += r[t]!;
    const mean = s / block;
    den += mean * mean;
    if (b > 0) num += mean * prev;
    prev = mean;
  }
  const phi = den > 0 ? Math.min(0.99, Math.max(0, num / den)) : 0;
  return { last: prev, phi };
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
  tables: WindowTables,
): WindowFit {
  const W = y.length;
  const { x, fitted, d, resid, scratch } = tables;
  x.set(y); // working copy, outliers replaced by fitted values
  const spec = tables.spectrum(P, m, periods, opts.alpha);
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
    // OUTLIER_SIGMAS * 1.4826 * MAD(resid), reusing the median already computed.
    const limit = OUTLIER_SIGMAS * (MAD_TO_SIGMA * mad(resid, center, W, scratch));
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
 * Component selection and exact fitting for one window size and component layout. Holds the
 * buffers and tables, so the robust loop allocates no arrays of the window's size; the returned
 * seasonal array is its own, overwritten by the next fit.
 */
class SpectrumWorkspace {
  private readonly W: number;
  private readonly P: number;
  private readonly m: number;
  private readonly N: number;
  private readonly fft: FFT;
  private readonly input: Float64Array;
  private readonly at: Int32Array;
  private readonly frac: Float64Array;
  private readonly out: number[];
  private readonly power: Float64Array;
  private readonly tables: WindowTables;
  /** Interleaved cos/sin of 2*pi*r/P, r = 0..P-1, for the harmonics of P on the mean cycle: as
   *  entries m*r of the window's table (2*pi*(m r)/W, computed alike, so the very same values),
   *  in a table small enough to stay in cache. */
  private readonly trigP: Float64Array;
  /** Per bin: index+1 of the period whose harmonic it is (shortest first), 0 if none. */
  private readonly family: Uint16Array;
  /** Per family: the power factor over the noise floor for a harmonic to be kept. */
  private readonly thresholds: number[];
  private readonly alpha: number;
  /** Mean cycle, its fitted shape, and the fitted periodic part of the window (the result). */
  private readonly profile: Float64Array;
  private readonly shape: Float64Array;
  private readonly seasonal: Float64Array;
  private readonly window: Float64Array;
  /** Per bin: the noise floor, filled by noiseFloors for the bins select tests. */
  private readonly floor: Float64Array;
  /** Per bin: 1 when select tests it (a harmonic or a local peak), else 0. */
  private readonly tested: Uint8Array;
  /** The powers of the current neighbourhood, ascending (see noiseFloors). */
  private readonly sorted: Float64Array;
  /** Highest usable bin: strictly below the Nyquist of the original grid. */
  private readonly kMax: number;

  constructor(tables: WindowTables, P: number, m: number, periods: readonly number[], alpha: number) {
    const W = tables.W;
    this.tables = tables;
    this.alpha = alpha;
    this.W = W;
    this.P = P;
    this.m = m;
    this.N = tables.N;
    this.fft = tables.fft;
    this.input = new Float64Array(this.N);
    this.at = tables.at;
    this.frac = tables.frac;
    this.out = tables.out;
    this.kMax = Math.floor((W - 1) / 2);
    this.power = new Float64Array(this.kMax + 1);
    this.trigP = phaseTable(W, P, m);
    this.family = new Uint16Array(this.kMax + 1);
    const familySize = periods.map(() => 0);
    periods.forEach((p, f) => {
      // Harmonic j of period p has j * W / p cycles per window (rounded when p does not divide W).
      for (let j = 1; j < p / 2; j++) {
        const k = Math.round((j * W) / p);
        if (k > this.kMax) break;
        if (this.family[k] === 0) {
          this.family[k] = f + 1;
          familySize[f]!++;
        }
      }
    });
    this.thresholds = familySize.map((c) => Math.log(Math.max(c, 1) / alpha));
    this.profile = new Float64Array(Math.max(1, P));
    this.shape = new Float64Array(Math.max(1, P));
    this.seasonal = new Float64Array(W);
    this.window = new Float64Array(this.kMax + 1);
    this.floor = new Float64Array(this.kMax + 1);
    this.tested = new Uint8Array(this.kMax + 1);
    this.sorted = new Float64Array(2 * NOISE_HALF_WIDTH + 1);
  }

  /** Returns the selected periodic part of `d` (detrended window) over the window. */
  fit(d: Float64Array): Float64Array {
    this.computePower(d);
    const chosen = this.select();
    return this.reconstruct(d, chosen);
  }

  /** Linear resampling of d onto N points (circular: the window is whole cycles), then |FFT|^2. */
  private computePower(d: Float64Array): void {
    const { W, N, input, at, frac } = this;
    for (let j = 0; j < N; j++) {
      const i0 = at[j]!;
      const i1 = i0 + 1 < W ? i0 + 1 : 0;
      const f = frac[j]!;
      input[j] = d[i0]! * (1 - f) + d[i1]! * f;
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

  /**
   * noiseFloor(k) of every tested bin, in one pass over the bins: the non-harmonic powers within
   * NOISE_HALF_WIDTH bins of k are kept sorted as k advances (one value leaves, one enters), so
   * each median is read off instead of selected. A median depends only on the values, so this
   * equals noiseFloor(k) exactly; bins whose neighbourhood is too sparse for noiseFloor's first
   * width, and spectra with a NaN (no order), go to noiseFloor itself.
   */
  private noiseFloors(): void {
    const { power, family, kMax, floor, tested, sorted } = this;
    const half = NOISE_HALF_WIDTH;
    let ordered = true;
    for (let k = 1; k <= kMax; k++) if (Number.isNaN(power[k]!)) ordered = false;
    if (!ordered) {
      for (let k = 1; k <= kMax; k++) if (tested[k] !== 0) floor[k] = this.noiseFloor(k);
      return;
    }
    // sorted[0..size): the non-harmonic powers of bins [k - half, k + half] within [1, kMax].
    let size = 0;
    for (let q = 1; q <= Math.min(kMax, half); q++) if (family[q] === 0) size = insertSorted(sorted, size, power[q]!);
    for (let k = 1; k <= kMax; k++) {
      const leaving = k - half - 1;
      const entering = k + half;
      const out = leaving >= 1 && family[leaving] === 0;
      const into = entering <= kMax && family[entering] === 0;
      if (out && into) replaceSorted(sorted, size, power[leaving]!, power[entering]!);
      else if (out) size = removeSorted(sorted, size, power[leaving]!);
      else if (into) size = insertSorted(sorted, size, power[entering]!);
      if (tested[k] === 0) continue;
      // Bin k is not its own noise (it is in `sorted` when it is not a harmonic).
      const self = family[k] === 0 ? indexOfValue(sorted, size, power[k]!) : -1;
      const c = self >= 0 ? size - 1 : size;
      const done = c >= 8 || (k - half <= 1 && entering >= kMax) || 2 * half > kMax;
      floor[k] = done && c > 0 ? medianSkipping(sorted, size, self) / Math.LN2 : this.noiseFloor(k);
    }
  }

  /** Bins to keep, by the thresholds in the file comment. */
  private select(): number[] {
    const { power, family, kMax, thresholds, floor, tested } = this;
    // Candidates: every harmonic; other local peaks with periods shorter than P (k > m), or
    // with >= 4 cycles per window without P.
    const kMin = this.P > 0 ? this.m + 1 : 4;
    const others: number[] = [];
    for (let k = 1; k <= kMax; k++) {
      const p = power[k]!;
      const peak = k >= kMin && family[k] === 0 && p >= power[k - 1]! && (k === kMax || p >= power[k + 1]!);
      if (peak) others.push(k);
      tested[k] = peak || family[k] !== 0 ? 1 : 0;
    }
    this.noiseFloors();
    const chosen: number[] = [];
    for (let k = 1; k <= kMax; k++) {
      const f = family[k]!;
      if (f !== 0 && power[k]! > thresholds[f - 1]! * floor[k]!) chosen.push(k);
    }
    const otherThreshold = Math.log(Math.max(others.length, 1) / this.alpha);
    const strong = others
      .filter((k) => power[k]! > otherThreshold * floor[k]!)
      .sort((a, b) => power[b]! - power[a]!)
      .slice(0, MAX_OTHER_PEAKS);
    return chosen.concat(strong);
  }

  /**
   * Exact least-squares amplitudes of the chosen bins on the original grid, summed over the
   * window. Harmonics of P are fitted on the mean cycle (O(P) each), the rest on the window.
   */
  private reconstruct(d: Float64Array, chosen: number[]): Float64Array {
    const { W, P, m, profile, shape, seasonal } = this;
    // On the mean cycle, bin k of the window is harmonic k/m of P.
    const onP: number[] = [];
    const onW: number[] = [];
    for (const k of chosen) {
      if (P > 0 && k % m === 0) onP.push(k / m);
      else onW.push(k);
    }
    if (onP.length > 0) {
      // Mean cycle (W = m * P).
      // Phase tau sums its m points in window order, from 0.
      for (let tau = 0; tau < P; tau++) {
        let s = 0;
        for (let o = 0; o < W; o += P) s += d[o + tau]! / m;
        profile[tau] = s;
      }
      shape.fill(0);
      addHarmonics(profile, this.trigP, onP, shape);
      for (let o = 0; o < W; o += P) seasonal.set(shape, o);
    } else {
      seasonal.fill(0);
    }
    if (onW.length > 0) addHarmonics(d, this.tables.trig(), onW, seasonal);
    return seasonal;
  }
}
