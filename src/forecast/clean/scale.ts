/**
 * The robust residual scales of the cleaning: what counts as far from the expected value.
 */
import { MAD_TO_SIGMA, medianOfFinite, medianRange, selectRange } from '../median.js';
import type { Points } from './types.js';
import { type Fit, type Setup, PROFILE_SHORT_CYCLES, SCALE_FLOOR, gatherBin, phaseOf, profileWindows } from './setup.js';

/** A scale bin needs this many residuals, else it takes the typical bin's spread. */
const MIN_SCALE_SAMPLES = 8;

/**
 * 90th percentile of |residual| to standard deviation for Gaussian noise. The scale is the larger
 * of the two estimates: on Gaussian noise they agree, but on loads that sit flat most of the time
 * with frequent bursts (an idle service's CPU) the MAD collapses and would call a fifth of the
 * points "extreme"; the 90th percentile caps what can be flagged well below 10%.
 */
const Q90_TO_SD = 1.6449;

/*
 * Robust residual scales. Noise grows with the load (a 5.8x daily swing in nyc_taxi makes the
 * peak's noise useless at the trough), so spreads are estimated per phase bin of the shortest
 * period (SCALE_BINS per cycle) and, for the multiplicative model, relative to the level:
 * residual (y - E) / level. Per profile window, like the profiles. Floored at SCALE_FLOOR of the
 * level. Outages are confirmed with 1.4826 * MAD, robust to the outages that spoil part of a bin
 * (madScaleOnDemand, or fitScale without q90); outliers are judged with the larger of that and
 * the 90th-percentile estimate (fitScale with q90). A bin with too few residuals takes the
 * typical bin's spread.
 */

/** The scale of every point, into f.scale: MAD-based, or with `q90` for outliers. */
export function fitScale(pts: Points, f: Fit, s: Setup, q90: boolean): Float64Array {
  const { values } = pts;
  const x = residuals(pts, f, s, s.x);
  const { period, steps, count } = s.scaleBins;
  for (const [from, to] of profileWindows(values.length, scaleSpan(s))) {
    const mads = new Float64Array(count);
    const q90s = new Float64Array(count);
    for (let b = 0; b < count; b++) [mads[b], q90s[b]] = binSpread(x, from, to, b, s, q90);
    const typicalMad = medianOfFinite(mads);
    const typicalQ90 = medianOfFinite(q90s);
    for (let b = 0; b < count; b++) {
      const m = Number.isNaN(mads[b]!) ? typicalMad : mads[b]!;
      mads[b] = q90 ? Math.max(m, Number.isNaN(q90s[b]!) ? typicalQ90 : q90s[b]!) : m;
    }
    let phase = phaseOf(s.scaleBins, from);
    for (let i = from; i < to; i++) {
      f.scale[i] = scaleOf(mads[Math.floor(phase / steps)]!, i, f, s);
      if (++phase === period) phase = 0;
    }
  }
  return f.scale;
}

/**
 * The outage scale of point i, each bin's spread computed on its first use: isLow asks only at
 * points far below their expected value, a few bins' worth per series.
 */
export function madScaleOnDemand(pts: Points, f: Fit, s: Setup): (i: number) => number {
  const { values } = pts;
  const n = values.length;
  const span = scaleSpan(s);
  const windows = profileWindows(n, span);
  const { steps, count } = s.scaleBins;
  let x: Float64Array | undefined;
  const mads = windows.map(() => new Float64Array(count));
  const known = windows.map(() => new Uint8Array(count));
  const typical: Array<number | undefined> = [];
  const madOf = (w: number, b: number): number => {
    if (!known[w]![b]) {
      x ??= residuals(pts, f, s, new Float64Array(n));
      mads[w]![b] = binSpread(x, windows[w]![0], windows[w]![1], b, s, false)[0];
      known[w]![b] = 1;
    }
    return mads[w]![b]!;
  };
  return (i) => {
    // profileWindows counts from the end; a shorter remainder at the start joins the first one.
    const w = Math.min(windows.length - 1, Math.floor((n - 1 - i) / span));
    let m = madOf(w, Math.floor(phaseOf(s.scaleBins, i) / steps));
    if (Number.isNaN(m)) m = typical[w] ??= medianOfFinite(Float64Array.from({ length: count }, (_, b) => madOf(w, b)));
    return scaleOf(m, i, f, s);
  };
}

/** Profile window of the scales, steps. */
const scaleSpan = (s: Setup): number => PROFILE_SHORT_CYCLES * (s.short > 0 ? s.short : s.block);

/** Residuals for the scales, into x: (y - E) / level (mult) or y - E (add); NaN where not usable. */
function residuals(pts: Points, f: Fit, s: Setup, x: Float64Array): Float64Array {
  const { values, usable } = pts;
  const { expected, level } = f;
  for (let i = 0; i < values.length; i++) {
    if (!usable[i]) x[i] = NaN;
    else x[i] = s.mult ? (values[i]! - expected[i]!) / level[i]! : values[i]! - expected[i]!;
  }
  return x;
}

/**
 * Spreads of the residuals x of scale bin b over [from, to): 1.4826 * MAD and (with `q90`) the
 * 90th percentile of |residual - median| / 1.6449; NaN with fewer than MIN_SCALE_SAMPLES.
 */
function binSpread(x: Float64Array, from: number, to: number, b: number, s: Setup, q90: boolean): [number, number] {
  const g = s.grouped;
  const len = gatherBin(x, from, to, s.scaleBins, b, s);
  if (len < MIN_SCALE_SAMPLES) return [NaN, NaN];
  const med = medianRange(g, 0, len);
  for (let k = 0; k < len; k++) g[k] = Math.abs(g[k]! - med);
  const mid = len >> 1;
  const mad = MAD_TO_SIGMA * selectRange(g, 0, len, mid);
  if (!q90) return [mad, NaN];
  // The 90th percentile is above the median (len >= 8), among the values its selection left after it.
  const k90 = Math.min(len - 1, Math.floor(0.9 * len));
  return [mad, selectRange(g, mid + 1, len, k90 - mid - 1) / Q90_TO_SD];
}

/**
 * Scale of point i from its bin's spread q (relative to the level for mult); at least SCALE_FLOOR
 * of the level (mult) or of the expected value (add), and s.scaleFloor.
 */
function scaleOf(q: number, i: number, f: Fit, s: Setup): number {
  const u = s.mult ? Math.abs(f.level[i]!) : 1;
  const floor = Math.max(s.scaleFloor, SCALE_FLOOR * Math.abs(s.mult ? f.level[i]! : f.expected[i]!));
  return Math.max(Number.isNaN(q) ? 0 : q * u, floor);
}
