/**
 * The error samples behind quantile forecasts: put on a predicted scale per origin, and
 * calibration of quantile levels on them (leave one origin out). Pure.
 */
import { distributionQuantile, weightedDistribution } from './distribution.js';

/** Out-of-sample errors of one horizon bucket, with their weights and the origin each came from. */
export interface BucketErrors {
  readonly values: readonly number[];
  readonly weights: readonly number[];
  readonly origins: readonly number[];
}

/** Highest calibrated level (beyond it the empirical tail is a handful of points). */
export const CALIBRATION_MAX = 0.995;
/** Grid of candidate levels: from q - GRID_BELOW (at least GRID_STEP) in steps of GRID_STEP. */
const GRID_BELOW = 0.1;
const GRID_STEP = 0.005;

/** Fewest origins whose errors can be put on a predicted scale (fewer: the errors stay as they are). */
const MIN_SCALED_ORIGINS = 3;

/** Errors on the scale predicted for their origin, and the scale predicted for the next one. */
export interface ScaledErrors {
  readonly buckets: BucketErrors[];
  /** Multiply a quantile of `buckets` by this to get a relative error of the next forecast. */
  readonly scale: number;
}

/**
 * Errors put on the scale their origin could have predicted (normalised conformity scores), for a
 * forecast error whose size changes from day to day: calm days after a tournament's match days,
 * a quieter week after a noisy one. Origin k's scale is the mean absolute error of its forecast;
 * the scale predicted for it is the weighted median (weights halving every `halfLife` origins
 * back) of the scales of the origins before it (greater k), at least MIN_SCALED_ORIGINS of them;
 * its errors are divided by that. The next forecast's scale is predicted the same way from all
 * origins. A median, not a mean: one incident among calm days does not widen the next band by
 * itself, but its errors, divided by the calm scale before it, are in the tail of the scores.
 * Origins with too few before them are left out of the scores (they still predict the scales
 * of later ones). Origins are numbered as in BucketErrors (1 = the most recent).
 * Undefined when fewer than MIN_SCALED_ORIGINS origins could be scaled or the next scale is not
 * positive (the caller keeps the errors as they are).
 *
 * Only meaningful when every origin's window covers the same phases of the load's cycles (a
 * whole day): the errors of a night window and of a rush-hour window are not on one scale.
 */
export function scaleByOrigin(buckets: readonly BucketErrors[], halfLife: number): ScaledErrors | undefined {
  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  for (const b of buckets) {
    b.values.forEach((v, i) => {
      const k = b.origins[i]!;
      sum.set(k, (sum.get(k) ?? 0) + Math.abs(v));
      count.set(k, (count.get(k) ?? 0) + 1);
    });
  }
  const scales = [...sum.keys()].map((k) => ({ k, scale: sum.get(k)! / count.get(k)! })).filter((o) => o.scale > 0);
  // The scale predicted for a forecast at origin k from the origins before it.
  const predict = (k: number): number | undefined => {
    const before = scales.filter((o) => o.k > k);
    if (before.length < MIN_SCALED_ORIGINS) return undefined;
    const d = weightedDistribution(
      before.map((o) => o.scale),
      before.map((o) => 2 ** (-(o.k - k - 1) / halfLife)),
    );
    return distributionQuantile(d, 0.5);
  };
  const predicted = new Map([...sum.keys()].map((k) => [k, predict(k)]));
  const next = predict(0);
  if (next === undefined || !(next > 0) || [...predicted.values()].filter((p) => p !== undefined).length < MIN_SCALED_ORIGINS) return undefined;
  const scaled = buckets.map((b) => {
    const out: { values: number[]; weights: number[]; origins: number[] } = { values: [], weights: [], origins: [] };
    b.values.forEach((v, i) => {
      const p = predicted.get(b.origins[i]!);
      if (p === undefined) return;
      out.values.push(v / p);
      out.weights.push(b.weights[i]!);
      out.origins.push(b.origins[i]!);
    });
    return out;
  });
  return { buckets: scaled, scale: next };
}

/** One bucket with one origin held out, prepared so that a coverage costs two binary searches. */
interface Fold {
  /** The bucket's errors, sorted. */
  readonly sorted: Float64Array;
  /** Cumulative weight of the other origins' errors up to each position, normalised to end at 1. */
  readonly cumIn: Float64Array;
  /** Held-out errors at or before each position. */
  readonly outUpTo: Int32Array;
  /** The held-out origin's weight and its number of errors in this bucket. */
  readonly w: number;
  readonly nOut: number;
}

/**
 * Leave-one-origin-out calibration of quantile levels: the error distributions of the other
 * origins are what a forecast at one origin would have had; the level returned for q is the lowest
 * on a grid whose quantiles would have covered a share q of the held-out origins' errors (weighted
 * as the distribution is). Corrects for the day-to-day spread that pooled errors understate (and
 * for an overstated one), the way split-conformal prediction does. q itself without 3 origins.
 * The quantile of a distribution is its smallest value whose cumulative weight reaches the level
 * (as distributionQuantile), so the coverage grows with the level and the grid is bisected.
 * The folds are built once for all of `qs`.
 */
export function calibrateLevels(qs: readonly number[], buckets: readonly BucketErrors[]): Array<{ q: number; level: number }> {
  const folds = buildFolds(buckets);
  return qs.map((q) => ({ q, level: folds === undefined ? q : calibrate(q, folds) }));
}

function calibrate(q: number, folds: readonly Fold[]): number {
  const coverageAt = (level: number): number => {
    let hit = 0;
    let total = 0;
    for (const f of folds) {
      const bound = f.sorted[firstAtLeast(f.cumIn, level)]!;
      hit += f.w * f.outUpTo[lastAtMost(f.sorted, bound)]!;
      total += f.w * f.nOut;
    }
    return hit / total;
  };
  const grid: number[] = [];
  for (let level = Math.max(GRID_STEP, q - GRID_BELOW); level < CALIBRATION_MAX; level += GRID_STEP) grid.push(level);
  let lo = 0;
  let hi = grid.length; // grid.length: no level on the grid reaches q
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (coverageAt(grid[mid]!) >= q) hi = mid;
    else lo = mid + 1;
  }
  return lo < grid.length ? grid[lo]! : CALIBRATION_MAX;
}

/** One fold per bucket and held-out origin; undefined with fewer than 3 origins or no usable fold. */
function buildFolds(buckets: readonly BucketErrors[]): Fold[] | undefined {
  const origins = [...new Set(buckets.flatMap((b) => b.origins))];
  if (origins.length < 3) return undefined;
  const folds: Fold[] = [];
  for (const b of buckets) {
    const n = b.values.length;
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((i, j) => b.values[i]! - b.values[j]!);
    const sorted = Float64Array.from(order, (i) => b.values[i]!);
    const originAt = Int32Array.from(order, (i) => b.origins[i]!);
    const weightAt = Float64Array.from(order, (i) => b.weights[i]!);
    for (const k of origins) {
      const cumIn = new Float64Array(n);
      const outUpTo = new Int32Array(n);
      let inW = 0;
      let nOut = 0;
      let w = 0;
      for (let pos = 0; pos < n; pos++) {
        if (originAt[pos] === k) {
          nOut++;
          w = weightAt[pos]!;
        } else inW += weightAt[pos]!;
        cumIn[pos] = inW;
        outUpTo[pos] = nOut;
      }
      if (nOut === 0 || nOut === n || !(inW > 0)) continue;
      for (let pos = 0; pos < n; pos++) cumIn[pos] = cumIn[pos]! / inW;
      folds.push({ sorted, cumIn, outUpTo, w, nOut });
    }
  }
  return folds.length === 0 ? undefined : folds;
}

/** Smallest index whose value reaches x (the last index when none does). */
function firstAtLeast(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Largest index whose value is at most x, in a sorted array whose first value is at most x. */
function lastAtMost(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
