/** Rule 3 of the cleaning (index.ts): outages, the retry storm after them, and level shifts told apart. */
import { DAY_MS, HOUR_MS } from '../../core/duration.js';
import { medianRange } from '../median.js';
import { MIN_BLOCK_COVERAGE, deseasonalise } from './fit.js';
import { isLevelShift } from './level-shifts.js';
import { OUTLIER_Z } from './outliers.js';
import { type Fit, type LazyFit, type Setup, compose } from './setup.js';
import { CleanFlag, type Points, type Run } from './types.js';

/** Drop below this share of the expected value to count as "far below" (an outage). */
export const LOW_FRACTION = 0.5;

/** ...and this many robust scales below it (keeps noise around a tiny expected value out). */
export const LOW_Z = 3;

/** A retry storm is above this multiple of the expected value... */
export const STORM_FRACTION = 1.5;

/** ...and this many robust scales above it. */
export const STORM_Z = 3;

/** An outage is at least this many consecutive points; a single point is left to the outlier rule. */
export const MIN_RUN_STEPS = 2;

/** A run continues across up to this many points that are not low (a flapping service). */
export const MAX_BRIDGE_STEPS = 2;

export const DEFAULT_MAX_OUTAGE_MS = DAY_MS;

export const DEFAULT_STORM_MS = HOUR_MS;

/** How long a drop may last and still be an outage, and how long its retry storm, in steps. */
export interface OutageLimits {
  readonly maxOutage: number;
  readonly storm: number;
}

/**
 * Rule 3: flags outages and their retry storms in `pts.flags` (usable points only), and returns
 * the runs that lasted longer than `maxOutage` steps (level shifts, kept).
 */
export function findOutages(pts: Points, f: Fit, lazy: LazyFit, s: Setup, { maxOutage, storm }: OutageLimits): Run[] {
  const { values, usable, flags } = pts;
  const n = values.length;
  const shifts: Run[] = [];
  const scratch = new Float64Array(s.block);
  let i = 0;
  while (i < n) {
    if (!usable[i] || !isLow(values[i]!, f.level[i]!, i, lazy, s.mult)) {
      i++;
      continue;
    }
    const a = i;
    // A run needs a second low point (local expectation) before the costlier reference is built.
    let next = a + 1;
    while (next < n && !usable[next]) next++;
    if (next >= n || !isLow(values[next]!, f.level[next]!, next, lazy, s.mult)) {
      i = a + 1;
      continue;
    }
    const ref = referenceLevel(pts, f, a, s, scratch);
    let last = a;
    let misses = 0;
    for (let j = a + 1; j < n; j++) {
      if (!usable[j]) continue; // gaps and excluded points neither extend nor end a run
      if (isLow(values[j]!, ref, j, lazy, s.mult)) {
        last = j;
        misses = 0;
      } else if (++misses > MAX_BRIDGE_STEPS) {
        break;
      }
    }
    const b = last + 1;
    if (b - a < MIN_RUN_STEPS) {
      i = a + 1;
      continue;
    }
    if (isLevelShift([a, b], n, maxOutage)) {
      shifts.push([a, b]);
      i = b;
      continue;
    }
    for (let j = a; j < b; j++) if (usable[j]) flags[j] = CleanFlag.outage;
    let j = b;
    for (; j < Math.min(n, b + storm); j++) {
      if (!usable[j]) continue;
      if (!isHigh(values[j]!, compose(ref, lazy.seasonHi(j), s.mult), lazy.scale(j), s.mult)) break;
      flags[j] = CleanFlag.outage;
    }
    i = Math.max(b, j);
  }
  return shifts;
}

/**
 * Far below expected, for point i with value y and level `level`: under LOW_FRACTION of both the
 * lowest expected value within the phase tolerance (`e`) and the level (a quiet evening where the
 * profile expects a rare surge, e.g. worldcup98 after its last match, is not an outage; a drop to
 * ~0 at any phase is), and LOW_Z scales under `e`. For the multiplicative model the level is
 * tested first: few points are below half of it, and only theirs need `e` and the scale.
 */
function isLow(y: number, level: number, i: number, lazy: LazyFit, mult: boolean): boolean {
  if (mult && !(y < LOW_FRACTION * level)) return false;
  const e = compose(level, lazy.seasonLo(i), mult);
  if (mult) return y < LOW_FRACTION * e && e - y > LOW_Z * lazy.scale(i);
  return e - y > OUTLIER_Z * lazy.scale(i);
}

function isHigh(y: number, e: number, scale: number, mult: boolean): boolean {
  if (mult) return y > STORM_FRACTION * e && y - e > STORM_Z * scale;
  return y - e > OUTLIER_Z * scale;
}

/**
 * The level just before index a: median of the deseasonalised usable values of the block before
 * it (not yet flagged). Falls back to the fitted level at a when there is too little history.
 */
function referenceLevel(pts: Points, f: Fit, a: number, s: Setup, scratch: Float64Array): number {
  const { values, usable, flags } = pts;
  let c = 0;
  for (let i = Math.max(0, a - s.block); i < a; i++) {
    if (!usable[i] || flags[i] !== CleanFlag.kept) continue;
    const d = deseasonalise(values[i]!, f.season[i]!, s.mult);
    if (!Number.isNaN(d)) scratch[c++] = d;
  }
  return c >= MIN_BLOCK_COVERAGE * s.block ? medianRange(scratch, 0, c) : f.level[a]!;
}
