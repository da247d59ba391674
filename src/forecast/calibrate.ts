/**
 * The error samples behind quantile forecasts: put on a predicted scale per origin, sorted, and
 * the quantile levels calibrated on them (leave one origin out). Pure.
 *
 * A bucket's errors come in runs, one per rolling origin, and an origin's errors share its weight:
 * each run is sorted on its own (a plain numeric sort) and the runs are merged. A 1-minute series
 * gives tens of thousands of errors per model search, so the errors are never sorted with a
 * comparator and a held-out origin costs no array the size of the bucket.
 */
import type { Distribution } from './distribution.js';
import { distributionQuantile, weightedDistribution } from './distribution.js';

/** The out-of-sample errors of one rolling origin in one horizon bucket. */
export interface OriginErrors {
  /** 1 = the most recent origin, 2 the one before, ... */
  readonly origin: number;
  readonly weight: number;
  readonly values: Float64Array;
}

/** One horizon bucket's errors, a run per origin (each origin at most once). */
export type BucketErrors = readonly OriginErrors[];

/** A bucket's errors in ascending order, each with the index of its run. */
export interface SortedErrors {
  readonly runs: BucketErrors;
  readonly values: Float64Array;
  readonly runAt: Int32Array;
  /** Cumulative weight up to and including each position. */
  readonly cum: Float64Array;
}

/** Highest calibrated level (beyond it the empirical tail is a handful of points). */
export const CALIBRATION_MAX = 0.995;
/** Grid of candidate levels: from q - GRID_BELOW (at least GRID_STEP) in steps of GRID_STEP. */
const GRID_BELOW = 0.1;
const GRID_STEP = 0.005;

/** Fewest origins a scale is predicted from. */
const MIN_PREDICTING_ORIGINS = 3;
/**
 * Fewest origins whose errors must be on a predicted scale (fewer: the errors stay as they are; a
 * young series would otherwise get a band from three days' errors).
 */
const MIN_SCALED_ORIGINS = 5;

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
 * the scale predicted for it is the median of the scales of the origins before it (greater k), at
 * least MIN_PREDICTING_ORIGINS of them, weighted as their errors are; its errors are divided by
 * that. The next forecast's scale is predicted the same way from all origins. A median, not a
 * mean: one incident among calm days does not widen the next band by itself, but its errors,
 * divided by the calm scale before it, are in the tail of the scores. Origins with too few before
 * them are left out of the scores (they still predict the scales of later ones). Undefined when fewer than MIN_SCALED_ORIGINS origins could be scaled or the next scale is not
 * positive (the caller keeps the errors as they are).
 *
 * Only meaningful when every origin's window covers the same phases of the load's cycles (a
 * whole day): the errors of a night window and of a rush-hour window are not on one scale.
 */
export function scaleByOrigin(buckets: readonly BucketErrors[]): ScaledErrors | undefined {
  const sum = new Map<number, number>();
  const count = new Map<number, number>();
  const weight = new Map<number, number>();
  for (const run of buckets.flat()) {
    let s = 0;
    for (const v of run.values) s += Math.abs(v);
    sum.set(run.origin, (sum.get(run.origin) ?? 0) + s);
    count.set(run.origin, (count.get(run.origin) ?? 0) + run.values.length);
    weight.set(run.origin, run.weight);
  }
  const scales = [...sum.keys()].map((k) => ({ k, scale: sum.get(k)! / count.get(k)! })).filter((o) => o.scale > 0);
  // The scale predicted for a forecast at origin k from the origins before it.
  const predict = (k: number): number | undefined => {
    const before = scales.filter((o) => o.k > k);
    if (before.length < MIN_PREDICTING_ORIGINS) return undefined;
    const d = weightedDistribution(
      before.map((o) => o.scale),
      before.map((o) => weight.get(o.k)!),
    );
    return distributionQuantile(d, 0.5);
  };
  const predicted = new Map([...sum.keys()].map((k) => [k, predict(k)]));
  const next = predict(0);
  if (next === undefined || !(next > 0) || [...predicted.values()].filter((p) => p !== undefined).length < MIN_SCALED_ORIGINS) return undefined;
  const scaled = buckets.map((b) =>
    b.flatMap((run) => {
      const p = predicted.get(run.origin);
      return p === undefined ? [] : [{ ...run, values: run.values.map((v) => v / p) }];
    }),
  );
  return { buckets: scaled, scale: next };
}

/**
 * The bucket's errors in ascending order: each run sorted, then the runs merged (equal values in
 * the order of their runs). The errors must not be NaN.
 */
export function sortErrors(runs: BucketErrors): SortedErrors {
  const sortedRuns = runs.map((r) => Float64Array.from(r.values).sort());
  const n = sortedRuns.reduce((a, r) => a + r.length, 0);
  const values = new Float64Array(n);
  const runAt = new Int32Array(n);
  const head = new Int32Array(runs.length);
  for (let pos = 0; pos < n; pos++) {
    let best = -1;
    for (let r = 0; r < sortedRuns.length; r++) {
      if (head[r]! < sortedRuns[r]!.length && (best < 0 || sortedRuns[r]![head[r]!]! < sortedRuns[best]![head[best]!]!)) best = r;
    }
    values[pos] = sortedRuns[best]![head[best]!]!;
    runAt[pos] = best;
    head[best]!++;
  }
  const cum = new Float64Array(n);
  let total = 0;
  for (let pos = 0; pos < n; pos++) {
    total += runs[runAt[pos]!]!.weight;
    cum[pos] = total;
  }
  return { runs, values, runAt, cum };
}

/** The weighted distribution of sorted errors. */
export function errorDistribution(s: SortedErrors): Distribution {
  const total = s.cum[s.cum.length - 1] ?? 1;
  return { values: s.values, cum: s.cum.map((c) => c / total) };
}

/** One bucket with one origin held out. */
interface Fold {
  readonly bucket: SortedErrors;
  /** Positions (in the bucket's sorted errors) of the held-out origin's errors, ascending. */
  readonly out: Int32Array;
  /** The held-out origin's weight, and the other origins' total weight. */
  readonly w: number;
  readonly inW: number;
}

/**
 * Leave-one-origin-out calibration of quantile levels: the error distributions of the other
 * origins are what a forecast at one origin would have had; the level returned for q is the lowest
 * on a grid whose quantiles would have covered a share q of the held-out origins' errors (weighted
 * as the distribution is). Corrects for the day-to-day spread that pooled errors understate (and
 * for an overstated one), the way split-conformal prediction does. q itself without 3 origins.
 * The quantile of a distribution is its smallest value whose cumulative weight reaches the level
 * (as distributionQuantile), so the coverage grows with the level and the grid is bisected.
 * The folds are built once for all of `qs`. (The other origins' share of the weight up to a
 * position is a difference of cumulative sums; where it lands exactly on a grid level, rounding
 * can move the level by one grid step either way.)
 */
export function calibrateLevels(qs: readonly number[], buckets: readonly SortedErrors[]): Array<{ q: number; level: number }> {
  const folds = buildFolds(buckets);
  return qs.map((q) => ({ q, level: folds === undefined ? q : calibrate(q, folds) }));
}

function calibrate(q: number, folds: readonly Fold[]): number {
  const coverageAt = (level: number): number => {
    let hit = 0;
    let total = 0;
    for (const f of folds) {
      const bound = f.bucket.values[firstInWeight(f, level)]!;
      hit += f.w * countAtMost(f.out, lastAtMost(f.bucket.values, bound));
      total += f.w * f.out.length;
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
function buildFolds(buckets: readonly SortedErrors[]): Fold[] | undefined {
  const origins = new Set(buckets.flatMap((b) => b.runs.filter((r) => r.values.length > 0).map((r) => r.origin)));
  if (origins.size < 3) return undefined;
  const folds: Fold[] = [];
  for (const b of buckets) {
    const n = b.values.length;
    const total = b.cum[n - 1] ?? 0;
    // The positions of each run's errors, ascending (one pass over the merged order).
    const out = b.runs.map((r) => new Int32Array(r.values.length));
    const filled = new Int32Array(b.runs.length);
    for (let pos = 0; pos < n; pos++) {
      const r = b.runAt[pos]!;
      out[r]![filled[r]!++] = pos;
    }
    b.runs.forEach((run, r) => {
      const inW = total - run.weight * run.values.length;
      if (run.values.length === 0 || run.values.length === n || !(inW > 0)) return;
      folds.push({ bucket: b, out: out[r]!, w: run.weight, inW });
    });
  }
  return folds.length === 0 ? undefined : folds;
}

/**
 * The smallest position whose cumulative weight of the other origins' errors, as a share of
 * theirs, reaches `level` (the last position when none does).
 */
function firstInWeight(f: Fold, level: number): number {
  const { cum } = f.bucket;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid]! - f.w * countAtMost(f.out, mid)) / f.inW >= level) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** How many of the ascending positions are at most `pos`. */
function countAtMost(positions: Int32Array, pos: number): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (positions[mid]! <= pos) lo = mid + 1;
    else hi = mid;
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
