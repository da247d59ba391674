/**
 * Calibration of quantile levels on rolling-origin forecast errors (leave one origin out). Pure.
 */

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
