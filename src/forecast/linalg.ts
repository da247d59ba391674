/**
 * Small numeric helpers for the forecasting models: a robust line, Huber weights, a weighted
 * ridge least-squares solve. Pure, allocation-light, Float64Array throughout. Medians and the MAD
 * live in median.ts (`median` is re-exported here as well).
 */
import { median } from './median.js';

export { median } from './median.js';

/**
 * Theil-Sen line through (x_i, y_i): slope = median of pairwise slopes, intercept = median of
 * y - slope * x. O(n^2) pairs, so callers pass a few aggregated points (e.g. per-cycle means).
 * Robust to up to ~29% outlying points. One point gives slope 0.
 */
export function theilSen(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  const n = Math.min(x.length, y.length);
  if (n === 0) return { slope: 0, intercept: 0 };
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = x[j]! - x[i]!;
      if (dx !== 0) slopes[s++] = (y[j]! - y[i]!) / dx;
    }
  }
  const slope = s > 0 ? median(slopes, s, slopes) : 0;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = y[i]! - slope * x[i]!;
  return { slope, intercept: median(r, n, r) };
}

/**
 * Huber weight for a residual `r` with tuning constant `c` (same units as r):
 * 1 inside [-c, c], c/|r| outside. c = 1.345 sigma gives 95% efficiency on Gaussian data.
 */
export const huberWeight = (r: number, c: number): number => {
  const a = Math.abs(r);
  return a <= c ? 1 : c / a;
};

/**
 * Completes the normal equations of a ridge fit in place: fills the upper triangle of the p x p
 * `ata` from its lower one, and adds penalty_j on the diagonal and penalty_j * prior_j to `atb`.
 */
export function addRidgePenalty(ata: Float64Array, atb: Float64Array, p: number, penalty: ArrayLike<number>, prior: ArrayLike<number>): void {
  if (ata.length !== p * p || atb.length !== p) throw new RangeError(`addRidgePenalty: a ${p} x ${p} system takes ${p * p} and ${p} entries, not ${ata.length} and ${atb.length}`);
  // Every index below has i, j < p: in range of the sizes just checked.
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) ata[j * p + i] = ata[i * p + j]!;
    ata[i * p + i] = ata[i * p + i]! + penalty[i]!;
    atb[i] = atb[i]! + penalty[i]! * prior[i]!;
  }
}

/**
 * Solves A x = b for a symmetric positive definite p x p matrix A (row-major) by Cholesky.
 * Returns null when A is not positive definite (numerically). A and b are not modified.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * p + i] = Math.sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j]!;
      }
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * z[k]!;
    z[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/**
 * Weighted ridge least squares with a prior: minimises
 *   sum_r w_r (y_r - x_r . beta)^2 + sum_j penalty_j (beta_j - prior_j)^2
 * where `x` holds `rows` rows of `p` features (row-major). penalty_j = 0 leaves beta_j free
 * (as long as the data determine it). Returns null if the normal equations are singular.
 */
export function weightedRidge(
  x: Float64Array,
  y: Float64Array,
  w: Float64Array,
  rows: number,
  p: number,
  penalty: ArrayLike<number>,
  prior: ArrayLike<number>,
): Float64Array | null {
  // ata is p x p and atb has p entries, and every index below has i, j < p: all in range.
  const ata = new Float64Array(p * p);
  const atb = new Float64Array(p);
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!;
    if (wr === 0) continue;
    const o = r * p;
    const wy = wr * y[r]!;
    for (let i = 0; i < p; i++) {
      const wxi = wr * x[o + i]!;
      atb[i] = atb[i]! + x[o + i]! * wy;
      for (let j = 0; j <= i; j++) ata[i * p + j] = ata[i * p + j]! + wxi * x[o + j]!;
    }
  }
  addRidgePenalty(ata, atb, p, penalty, prior);
  return choleskySolve(ata, atb, p);
}
