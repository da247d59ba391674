/**
 * Cleaning of load history before fitting: gaps, user-excluded windows, outliers and outages
 * (with the retry storm after them) are replaced by an expected value, so that models learn the
 * usual pattern and not the accidents. Netflix's Scryer does the same before fitting, for the same
 * reason: an outage learned as the pattern comes back as a forecast hole a week later. Pure; runs on
 * every forecast: O(n) plus small sorts.
 *
 * Expected value of point i (model fitted on the usable points):
 *   E_i = level_i * S_short(phase) * S_long(phase)      (multiplicative, non-negative loads)
 *   E_i = level_i + S_short(phase) + S_long(phase)      (additive, when the series has negatives
 *                                                        or a median of 0, e.g. sparse counts)
 * - level: medians of the deseasonalised values in blocks of whole shortest cycles spanning at
 *   least a day (6 hours without periods), linearly interpolated between block centres. A block
 *   median ignores an outage shorter than half a block.
 * - S_short: per phase of the shortest period (native resolution, so a daily 5-minute batch spike
 *   is pattern, not outlier), the median over the cycles of its window of PROFILE_SHORT_CYCLES.
 * - S_long: per phase of the longest period (when there are two or more), the median over the
 *   cycles of its window of PROFILE_LONG_CYCLES of what the level and S_short leave, pooled in
 *   LONG_BINS bins per cycle (30 minutes for a week) and interpolated: a handful of cycles give
 *   too few values per single phase for a stable median. Middle periods are not modelled.
 * Without periods E is the local (block median) level.
 *
 * Rules, in the order they are applied (flag values in parentheses):
 * 1. excluded windows (4): points in a user-declared [fromMs, toMs) window are not used for
 *    fitting and are replaced, gap or not.
 * 2. gaps (1): NaN is replaced.
 * 3. outages (3): a run of at least MIN_RUN_STEPS points below LOW_FRACTION of both the expected
 *    value and the level (and LOW_Z robust scales below the expected value; see isLow in outages.ts) is an
 *    outage if it lasts at most `maxOutageMs` (default 1 day). Up to MAX_BRIDGE_STEPS points that
 *    are not low do not end a run. The run is measured against the level just before it (median
 *    of the deseasonalised block before the run), not against the local level, which a long drop
 *    drags down with it. Right after an outage, points above STORM_FRACTION of that expected value
 *    (and STORM_Z scales above it) for up to `stormMs` (default 1 hour) are the retry storm and
 *    are replaced too.
 *    A run that has ended (the load came back) is an outage up to ENDED_OUTAGE_FACTOR x
 *    `maxOutageMs` (2 days): a blizzard or a two-day incident is not the pattern either.
 *    A longer run, or one still running at the end longer than `maxOutageMs`, is a level shift (a holiday week, a migration, the
 *    final days of nab_grok_asg_cpu_5min at ~0): it is kept as it is, reported in `levelShifts`,
 *    and the level is refitted on each side of it separately so that its edges are not smeared.
 *    A drop still running at the end of the series and shorter than `maxOutageMs` is treated as an
 *    outage: an ongoing outage must not be learned, and if it is really a new level, it will be
 *    kept as one once it has lasted longer than `maxOutageMs`. Only drops are tested this way:
 *    a rise that persists is followed by the level within about a day.
 * 4. outliers (2): any other usable point farther than OUTLIER_Z robust scales from the refitted
 *    expected band. The scale is the larger of 1.4826 * MAD and the 90th percentile of
 *    |residual| / 1.645 (both estimate the standard deviation of Gaussian noise; see Q90_TO_SD in scale.ts),
 *    per phase bin and relative to the level (see fitScale in scale.ts), and never less than SCALE_FLOOR of
 *    the level or of the series' median (a point within 1% of them is never extreme).
 * Expected band: values are compared with the lowest / highest expected value within
 * PHASE_TOLERANCE_MS (1 hour, at most 1/24 of the shortest period), so a pattern shifted by a DST
 * change is not an anomaly.
 * Replacement values are the refitted expected value (fitted without the outages), clamped at 0
 * when the input has no negative value: no NaN and no negative value is ever introduced. A series
 * with no present value at all is returned as zeros, all flagged as gaps.
 */
import { fit } from './fit.js';
import { bandEdge } from './extremes.js';
import { segmentsAround } from './level-shifts.js';
import { DEFAULT_MAX_OUTAGE_MS, DEFAULT_STORM_MS, findOutages } from './outages.js';
import { flagOutliers } from './outliers.js';
import { fitScale, madScaleOnDemand } from './scale.js';
import { type LazyFit, fitArrays, fitSetup, onFirstUse } from './setup.js';
import { CleanFlag, type CleanContext, type CleanOptions, type CleanResult, type Points, type Run, type TimeWindow } from './types.js';

export { CleanFlag, type CleanContext, type CleanOptions, type CleanResult, type TimeWindow } from './types.js';
export { PROFILE_LONG_CYCLES } from './fit.js';
export { ENDED_OUTAGE_FACTOR } from './level-shifts.js';
export { DEFAULT_MAX_OUTAGE_MS, DEFAULT_STORM_MS, LOW_FRACTION, LOW_Z, MAX_BRIDGE_STEPS, MIN_RUN_STEPS, STORM_FRACTION, STORM_Z } from './outages.js';
export { OUTLIER_Z } from './outliers.js';
export { LONG_BINS, PHASE_TOLERANCE_MS, PROFILE_SHORT_CYCLES, SCALE_FLOOR } from './setup.js';

/** Cleans `values` (a regular series, NaN = gap); see the module comment for the rules. */
export function cleanSeries(values: Float64Array, ctx: CleanContext, opts: CleanOptions = {}): CleanResult {
  const n = values.length;
  const flags = new Uint8Array(n);
  const usable = new Uint8Array(n);
  markExcluded(flags, ctx, opts.excluded ?? []);
  let anyNegative = false;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) {
      if (flags[i] === CleanFlag.kept) flags[i] = CleanFlag.gap;
    } else {
      if (v < 0) anyNegative = true;
      if (flags[i] === CleanFlag.kept) usable[i] = 1;
    }
  }
  const pts: Points = { values, usable, flags };
  const setup = fitSetup(pts, ctx, anyNegative);
  if (setup === undefined) return finish(values, flags, new Float64Array(n), anyNegative, []);

  // Pass 1: fit on everything usable, find outages and level shifts. The band and the scale are
  // needed only where a point is far below its level (see isLow), a few points per series: they
  // are computed on demand (for every point at once with the additive model, which tests all).
  const f = fitArrays(n);
  fit(pts, [[0, n]], setup, undefined, f);
  const lazy: LazyFit = {
    seasonLo: bandEdge(f, setup, false, setup.mult),
    seasonHi: bandEdge(f, setup, true, true),
    scale: setup.mult ? madScaleOnDemand(pts, f, setup) : onFirstUse(() => fitScale(pts, f, setup, false)),
  };
  const maxOutage = Math.max(1, Math.round((opts.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS) / ctx.stepMs));
  const storm = Math.max(1, Math.round((opts.stormMs ?? DEFAULT_STORM_MS) / ctx.stepMs));
  const shifts = findOutages(pts, f, lazy, setup, { maxOutage, storm });

  // Pass 2: refit without the outages, the level split at level shifts (deseasonalised with the
  // first pass's season, refitted into the same arrays); flag outliers; fill. Without periods the
  // season is neutral (y / 1 and y - 0 are y): the refit would only repeat the first fit unless
  // outages or level shifts were found.
  let outages = 0;
  for (let i = 0; i < n; i++) {
    if (flags[i] !== CleanFlag.outage) continue;
    usable[i] = 0;
    outages++;
  }
  if (setup.short > 0 || outages > 0 || shifts.length > 0) fit(pts, segmentsAround(n, shifts), setup, f.season, f);
  flagOutliers(pts, f, fitScale(pts, f, setup, true), setup);
  const toWindow = ([a, b]: Run): TimeWindow => ({ fromMs: ctx.startMs + a * ctx.stepMs, toMs: ctx.startMs + b * ctx.stepMs });
  return finish(values, flags, f.expected, anyNegative, shifts.map(toWindow));
}

function markExcluded(flags: Uint8Array, ctx: CleanContext, windows: readonly TimeWindow[]): void {
  for (const w of windows) {
    const a = Math.max(0, Math.ceil((w.fromMs - ctx.startMs) / ctx.stepMs));
    const b = Math.min(flags.length, Math.ceil((w.toMs - ctx.startMs) / ctx.stepMs));
    for (let i = a; i < b; i++) flags[i] = CleanFlag.excluded;
  }
}

/** Output values and counts; replaced points take the expected value, never NaN or below 0. */
function finish(values: Float64Array, flags: Uint8Array, expected: Float64Array, anyNegative: boolean, levelShifts: TimeWindow[]): CleanResult {
  const n = values.length;
  const out = new Float64Array(n);
  const counts = { gaps: 0, outliers: 0, outages: 0, excluded: 0 };
  let fallback = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(expected[i]!)) fallback = expected[i]!;
  for (let i = 0; i < n; i++) {
    const f = flags[i]!;
    if (f === CleanFlag.kept) {
      out[i] = values[i]!;
      continue;
    }
    if (f === CleanFlag.gap) counts.gaps++;
    else if (f === CleanFlag.outlier) counts.outliers++;
    else if (f === CleanFlag.outage) counts.outages++;
    else counts.excluded++;
    let e = expected[i]!;
    if (!Number.isFinite(e)) e = fallback;
    out[i] = !anyNegative && e < 0 ? 0 : e;
  }
  return { values: out, flags, counts, levelShifts };
}
