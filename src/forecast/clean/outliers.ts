/** Rule 4 of the cleaning (index.ts): outliers, far from the expected band. */
import { bandEdge, hasNaN } from './extremes.js';
import { type Fit, type Setup, compose } from './setup.js';
import { CleanFlag, type Points } from './types.js';

/** Residuals beyond this many robust scales are outliers (~1 in 1.7 million for Gaussian noise). */
export const OUTLIER_Z = 5;

/**
 * Rule 4: flags the usable points farther than OUTLIER_Z scales from their expected band (the
 * expected values within the phase tolerance). The band holds the expected value, so only points
 * farther than that from the expected value can be, and only their band is computed (under one
 * point in a hundred on the fixture traces). Unless a seasonal factor is NaN (from extreme
 * inputs): the sliding extremes skip some NaN, so the band need not hold the expected value, and
 * every point is measured against it.
 */
export function flagOutliers(pts: Points, f: Fit, scale: Float64Array, s: Setup): void {
  const { values, usable, flags } = pts;
  const { level, expected } = f;
  const everywhere = hasNaN(f.season);
  const seasonLo = bandEdge(f, s, false, true);
  const seasonHi = bandEdge(f, s, true, true);
  for (let i = 0; i < values.length; i++) {
    if (!usable[i]) continue;
    const y = values[i]!;
    const limit = OUTLIER_Z * scale[i]!;
    if (!everywhere && Math.abs(y - expected[i]!) <= limit) continue;
    const lo = compose(level[i]!, seasonLo(i), s.mult);
    const hi = compose(level[i]!, seasonHi(i), s.mult);
    const off = y > hi ? y - hi : y < lo ? lo - y : 0;
    if (off > limit) flags[i] = CleanFlag.outlier;
  }
}
