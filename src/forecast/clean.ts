/**
 * Cleaning of load history before fitting: gaps, user-excluded windows, outliers and outages
 * (with the retry storm after them) are replaced by an expected value, so that models learn the
 * usual pattern and not the accidents. Netflix's Scryer does the same before fitting, for the same
 * reason: an outage learned as the pattern comes back as a forecast hole a week later. Pure; runs on
 * every forecast: O(n) plus small sorts (40,320 one-minute points with periods [1440, 10080]:
 * about 9-12 ms once warm, measured on a shared 2-core machine).
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
 *    value and the level (and LOW_Z robust scales below the expected value; see isLow) is an
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
 *    |residual| / 1.645 (both estimate the standard deviation of Gaussian noise; see Q90_TO_SD),
 *    per phase bin and relative to the level (see fitScale), and never less than SCALE_FLOOR of
 *    the level or of the series' median (a point within 1% of them is never extreme).
 * Expected band: values are compared with the lowest / highest expected value within
 * PHASE_TOLERANCE_MS (1 hour, at most 1/24 of the shortest period), so a pattern shifted by a DST
 * change is not an anomaly.
 * Replacement values are the refitted expected value (fitted without the outages), clamped at 0
 * when the input has no negative value: no NaN and no negative value is ever introduced. A series
 * with no present value at all is returned as zeros, all flagged as gaps.
 */
import { medianRange, selectRange } from './linalg.js';
import { DAY_MS, HOUR_MS } from '../core/duration.js';

/** What happened to each point. */
export const CleanFlag = { kept: 0, gap: 1, outlier: 2, outage: 3, excluded: 4 } as const;
export type CleanFlag = (typeof CleanFlag)[keyof typeof CleanFlag];

export interface CleanContext {
  /** Sampling step, ms. */
  readonly stepMs: number;
  /** Epoch ms of values[0] (aligns phases to the clock, so profiles agree across calls). */
  readonly startMs: number;
  /** Seasonal periods in steps (from seasonality detection), e.g. [288, 2016]; may be empty. */
  readonly periods: readonly number[];
}

/** A time window [fromMs, toMs), epoch ms. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface CleanOptions {
  /** User-declared windows to ignore and replace (maintenance, load tests, incidents). */
  readonly excluded?: readonly TimeWindow[];
  /** Longest drop treated as an outage, ms; longer ones are level shifts and kept. Default 1 day. */
  readonly maxOutageMs?: number;
  /** How long after an outage a burst is treated as its retry storm, ms. Default 1 hour. */
  readonly stormMs?: number;
}

export interface CleanResult {
  /** Same length as the input; no NaN. */
  readonly values: Float64Array;
  /** One CleanFlag per point. */
  readonly flags: Uint8Array;
  readonly counts: { gaps: number; outliers: number; outages: number; excluded: number };
  /** Drops longer than maxOutageMs that were kept as genuine level changes. */
  readonly levelShifts: TimeWindow[];
}

/** Drop below this share of the expected value to count as "far below" (an outage). */
export const LOW_FRACTION = 0.5;
/** ...and this many robust scales below it (keeps noise around a tiny expected value out). */
export const LOW_Z = 3;
/** A retry storm is above this multiple of the expected value... */
export const STORM_FRACTION = 1.5;
/** ...and this many robust scales above it. */
export const STORM_Z = 3;
/** Residuals beyond this many robust scales are outliers (~1 in 1.7 million for Gaussian noise). */
export const OUTLIER_Z = 5;
/** An outage is at least this many consecutive points; a single point is left to the outlier rule. */
export const MIN_RUN_STEPS = 2;
/** A run continues across up to this many points that are not low (a flapping service). */
export const MAX_BRIDGE_STEPS = 2;
/** The robust scale is at least this share of the local level, and of the series' median. */
export const SCALE_FLOOR = 0.01;
export const DEFAULT_MAX_OUTAGE_MS = DAY_MS;
/** A drop that ended counts as an outage up to this many times maxOutageMs (2 days by default). */
export const ENDED_OUTAGE_FACTOR = 2;
export const DEFAULT_STORM_MS = HOUR_MS;
/**
 * Profiles are estimated per window of this many cycles of the shortest period (4 weeks of days)
 * and applied within it, so the pattern may drift over a long history (worldcup98's quiet May is
 * not judged against its tournament evenings).
 */
export const PROFILE_SHORT_CYCLES = 28;
/** Window, in cycles of the longest period, for its profile (4 weeks). */
export const PROFILE_LONG_CYCLES = 4;
/** Bins per longest cycle for its profile (30 minutes for a week). */
export const LONG_BINS = 336;
/**
 * Phase tolerance, ms: values are compared with the lowest and highest expected value within this
 * distance (at most 1/24 of the shortest period). A pattern shifted by up to an hour is not an
 * anomaly: services that follow local time move by an hour in UTC at each DST change (nyc_taxi's
 * morning ramp after 2014-11-02 would otherwise be flagged as an outage every day).
 */
export const PHASE_TOLERANCE_MS = HOUR_MS;
/** Level block without periods, ms: follows a wandering level, outlives short outages. */
const LOCAL_WINDOW_MS = 6 * HOUR_MS;
/** A level block needs this share of usable points, else it is interpolated from its neighbours. */
const MIN_BLOCK_COVERAGE = 0.25;
/** Phase bins per shortest cycle for the residual scale (30 minutes for a day). */
const SCALE_BINS = 48;
/** A scale bin needs this many residuals, else it takes the typical bin's spread. */
const MIN_SCALE_SAMPLES = 8;
/** MAD to standard deviation for Gaussian noise. */
const MAD_TO_SD = 1.4826;
/**
 * 90th percentile of |residual| to standard deviation for Gaussian noise. The scale is the larger
 * of the two estimates: on Gaussian noise they agree, but on loads that sit flat most of the time
 * with frequent bursts (an idle service's CPU) the MAD collapses and would call a fifth of the
 * points "extreme"; the 90th percentile caps what can be flagged well below 10%.
 */
const Q90_TO_SD = 1.6449;

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
  const setup = fitSetup(values, usable, ctx, anyNegative);
  if (setup === undefined) return finish(values, flags, new Float64Array(n), anyNegative, []);

  // Pass 1: fit on everything usable, find outages and level shifts. The band and the scale are
  // needed only where a point is far below its level (see isLow), a few points per series: they
  // are computed on demand (for every point at once with the additive model, which tests all).
  const f = fitArrays(n);
  fit(values, usable, [[0, n]], setup, undefined, f);
  const lazy: LazyFit = {
    seasonLo: bandEdge(f, setup, false, setup.mult),
    seasonHi: bandEdge(f, setup, true, true),
    scale: setup.mult ? madScaleOnDemand(values, usable, f, setup) : onFirstUse(() => fitScale(values, usable, f, setup, false)),
  };
  const maxOutage = Math.max(1, Math.round((opts.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS) / ctx.stepMs));
  const storm = Math.max(1, Math.round((opts.stormMs ?? DEFAULT_STORM_MS) / ctx.stepMs));
  const shifts = findOutages(values, usable, flags, f, lazy, setup, maxOutage, storm);

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
  if (setup.short > 0 || outages > 0 || shifts.length > 0) fit(values, usable, segmentsAround(n, shifts), setup, f.season, f);
  flagOutliers(values, usable, flags, f, fitScale(values, usable, f, setup, true), setup);
  const toWindow = ([a, b]: Run): TimeWindow => ({ fromMs: ctx.startMs + a * ctx.stepMs, toMs: ctx.startMs + b * ctx.stepMs });
  return finish(values, flags, f.expected, anyNegative, shifts.map(toWindow));
}

/** [from, to) index range. */
type Run = [number, number];

/** Expected value for a level and a seasonal factor (mult) or term (add). */
const compose = (level: number, season: number, mult: boolean): number => (mult ? level * season : level + season);

/**
 * Phase bins of a period: point i is at phase (i + offset) % period, in bin floor(phase / steps),
 * one of `count` bins (the last one may be shorter).
 */
interface Binning {
  readonly period: number;
  readonly offset: number;
  readonly steps: number;
  readonly count: number;
}

/** What does not change between the two passes. */
interface Setup {
  readonly mult: boolean;
  /** Level block length, steps. */
  readonly block: number;
  /** Shortest and longest period, steps (0 when absent). */
  readonly short: number;
  readonly long: number;
  /** Phase tolerance, steps either side (see PHASE_TOLERANCE_MS). */
  readonly tolerance: number;
  /** Median of the present values, for fallbacks. */
  readonly typical: number;
  /**
   * Least residual scale: 1% of the series' median (quantisation steps near zero, a CPU at 0 /
   * 0.33%, are not extreme), and above 0.
   */
  readonly scaleFloor: number;
  /** Phases of the shortest period, bins of the long profile and of the scale. */
  readonly shortPhases: Binning;
  readonly longBins: Binning;
  readonly scaleBins: Binning;
  /**
   * Scratch buffers of n values, reused by every step of both passes (nothing carries over from
   * one use to the next): `x` holds the quantity being grouped, `grouped` the grouped values.
   */
  readonly x: Float64Array;
  readonly grouped: Float64Array;
}

/** A fitted expectation (arrays of n values; `fit` fills the first three). */
interface Fit {
  readonly level: Float64Array;
  /** Seasonal factor (mult) or term (add) per point. */
  readonly season: Float64Array;
  readonly expected: Float64Array;
  /** Robust residual scale per point (see fitScale). */
  readonly scale: Float64Array;
}

/**
 * Per-point values of the first pass's fit that are computed on demand: the seasonal factor/term
 * range over the phase tolerance (lowest and highest around the point), and the outage scale.
 */
interface LazyFit {
  readonly seasonLo: (i: number) => number;
  readonly seasonHi: (i: number) => number;
  readonly scale: (i: number) => number;
}

/** Reads a per-point array that `compute` fills on the first read. */
function onFirstUse(compute: () => Float64Array): (i: number) => number {
  let values: Float64Array | undefined;
  return (i) => (values ??= compute())[i]!;
}

/** Arrays for a fit, allocated once per call: the second pass refits into the first's. */
function fitArrays(n: number): Fit {
  const array = (): Float64Array => new Float64Array(n);
  return { level: array(), season: array(), expected: array(), scale: array() };
}

function fitSetup(values: Float64Array, usable: Uint8Array, ctx: CleanContext, anyNegative: boolean): Setup | undefined {
  const n = values.length;
  // The present values, for their median, in what becomes a scratch buffer.
  const grouped = new Float64Array(n);
  let c = 0;
  for (let i = 0; i < n; i++) if (usable[i]) grouped[c++] = values[i]!;
  if (c === 0) return undefined;
  const typical = medianRange(grouped, 0, c);
  const x = new Float64Array(n);
  const periods = ctx.periods.filter((p) => Number.isFinite(p) && p >= 2 && p <= n).map(Math.round).sort((a, b) => a - b);
  const short = periods[0] ?? 0;
  const long = periods.length > 1 ? periods[periods.length - 1]! : 0;
  const daySteps = Math.max(1, Math.round(DAY_MS / ctx.stepMs));
  const block = short > 0 ? short * Math.ceil(daySteps / short) : Math.max(8, Math.round(LOCAL_WINDOW_MS / ctx.stepMs));
  const origin = Math.round(ctx.startMs / ctx.stepMs);
  const shortOffset = short > 0 ? mod(origin, short) : 0;
  const longOffset = long > 0 ? mod(origin, long) : 0;
  return {
    // Multiplicative only for non-negative series with a positive median: a zero level would
    // make every nonzero point "infinitely" far from its expected value.
    mult: !anyNegative && typical > 0,
    block: Math.min(block, n),
    short,
    long,
    tolerance: short > 0 ? Math.min(Math.round(PHASE_TOLERANCE_MS / ctx.stepMs), Math.floor(short / 24)) : 0,
    typical,
    scaleFloor: Math.max(1e-12, SCALE_FLOOR * Math.abs(typical)),
    shortPhases: binning(short, shortOffset, 1),
    longBins: binning(long, longOffset, Math.max(1, Math.round(long / LONG_BINS))),
    // Without periods, a single bin.
    scaleBins: short > 0 ? binning(short, shortOffset, Math.max(1, Math.round(short / SCALE_BINS))) : binning(1, 0, 1),
    x,
    grouped,
  };
}

/** Bins of `steps` phases of `period` (none when period is 0), offset by `offset` phases. */
const binning = (period: number, offset: number, steps: number): Binning => ({
  period,
  offset,
  steps,
  count: period > 0 ? Math.ceil(period / steps) : 0,
});

/** Phase of point i. */
const phaseOf = (bins: Binning, i: number): number => (i + bins.offset) % bins.period;

/**
 * Fits level, seasonal profile and expected value on the usable points, into `f`.
 * `prior` (the previous pass's seasonal factors) deseasonalises the values for the level; without
 * it the level is the median of the raw values per block (whole cycles, so still unbiased). It may
 * be f.season: it is only read while fitting the level, before the season is refitted.
 */
function fit(values: Float64Array, usable: Uint8Array, segments: Run[], s: Setup, prior: Float64Array | undefined, f: Fit): void {
  const n = values.length;
  const { level, season, expected } = f;
  fitLevel(values, usable, makeBlocks(segments, s.block), s, prior, level);
  fitSeason(values, usable, level, s, season);
  if (s.mult) for (let i = 0; i < n; i++) expected[i] = level[i]! * season[i]!;
  else for (let i = 0; i < n; i++) expected[i] = level[i]! + season[i]!;
}

interface Block {
  readonly from: number;
  readonly to: number;
  /** Index of the block's segment (levels are interpolated within a segment only). */
  readonly segment: number;
}

/** Blocks of `len` steps covering each segment; the last one is aligned to the segment's end. */
function makeBlocks(segments: Run[], len: number): Block[] {
  const out: Block[] = [];
  segments.forEach(([a, b], segment) => {
    if (b - a <= len) {
      out.push({ from: a, to: b, segment });
      return;
    }
    let from = a;
    for (; from + len <= b; from += len) out.push({ from, to: from + len, segment });
    if (from < b) out.push({ from: b - len, to: b, segment });
  });
  return out;
}

/** A valid block median at the block's centre. */
interface Anchor {
  readonly centre: number;
  readonly median: number;
  readonly segment: number;
}

/** Level per point into `level` (see the module comment); NaN everywhere when no block is valid. */
function fitLevel(values: Float64Array, usable: Uint8Array, blocks: Block[], s: Setup, prior: Float64Array | undefined, level: Float64Array): void {
  const n = values.length;
  const scratch = s.grouped;
  // Valid block medians at their centres, in index order.
  const anchors: Anchor[] = [];
  for (const b of blocks) {
    const c = blockValues(values, usable, b, prior, s.mult, scratch);
    if (c === 0 || c < MIN_BLOCK_COVERAGE * (b.to - b.from)) continue;
    anchors.push({ centre: (b.from + b.to - 1) / 2, median: medianRange(scratch, 0, c), segment: b.segment });
  }
  if (anchors.length === 0) {
    level.fill(NaN);
    return;
  }
  const bySegment = new Map<number, Anchor[]>();
  for (const a of anchors) {
    const own = bySegment.get(a.segment);
    if (own === undefined) bySegment.set(a.segment, [a]);
    else own.push(a);
  }
  // Linear interpolation between the anchors of the same segment, constant beyond the first and
  // last; a segment without an anchor takes the nearest anchor's median. The blocks cover [0, n).
  for (const b of blocks) {
    const own = bySegment.get(b.segment);
    if (own === undefined) {
      for (let i = b.from; i < b.to; i++) level[i] = nearest(anchors, i);
      continue;
    }
    let k = 0;
    for (let i = b.from; i < b.to; i++) {
      while (k + 1 < own.length && own[k + 1]!.centre <= i) k++;
      const lo = own[k]!;
      const hi = own[k + 1];
      if (i <= lo.centre || hi === undefined) level[i] = lo.median;
      else level[i] = lo.median + ((i - lo.centre) / (hi.centre - lo.centre)) * (hi.median - lo.median);
    }
  }
  if (s.mult) for (let i = 0; i < n; i++) if (level[i]! < 0) level[i] = 0;
}

/** The usable values of block b, deseasonalised with `prior` when given, into `out`; returns how many. */
function blockValues(values: Float64Array, usable: Uint8Array, b: Block, prior: Float64Array | undefined, mult: boolean, out: Float64Array): number {
  let c = 0;
  if (prior === undefined) {
    for (let i = b.from; i < b.to; i++) if (usable[i]) out[c++] = values[i]!;
    return c;
  }
  for (let i = b.from; i < b.to; i++) {
    if (!usable[i]) continue;
    const d = deseasonalise(values[i]!, prior[i]!, mult);
    if (!Number.isNaN(d)) out[c++] = d;
  }
  return c;
}

function nearest(anchors: readonly Anchor[], i: number): number {
  let best = anchors[0]!;
  for (const a of anchors) if (Math.abs(a.centre - i) < Math.abs(best.centre - i)) best = a;
  return best.median;
}

/** Value of `y` without its seasonal part (a NaN season means none known yet). */
function deseasonalise(y: number, season: number, mult: boolean): number {
  if (Number.isNaN(season)) return y;
  if (mult) return season > 0 ? y / season : NaN;
  return y - season;
}

/** Seasonal factor (mult, neutral 1) or term (add, neutral 0) per point, into `season`. */
function fitSeason(values: Float64Array, usable: Uint8Array, level: Float64Array, s: Setup, season: Float64Array): void {
  const n = values.length;
  const neutral = s.mult ? 1 : 0;
  if (s.short === 0) {
    season.fill(neutral);
    return;
  }
  relativeTo(values, usable, level, undefined, s);
  for (const [from, to] of profileWindows(n, PROFILE_SHORT_CYCLES * s.short)) {
    const profile = phaseMedians(from, to, s.shortPhases, neutral, s);
    let phase = phaseOf(s.shortPhases, from);
    for (let i = from; i < to; i++) {
      season[i] = profile[phase]!;
      if (++phase === s.short) phase = 0;
    }
  }
  if (s.long === 0) return;
  // Relative to level and S_short, taken before any long profile is applied: a long window only
  // reads and updates its own points.
  relativeTo(values, usable, level, season, s);
  for (const [from, to] of profileWindows(n, PROFILE_LONG_CYCLES * s.long)) {
    const bins = phaseMedians(from, to, s.longBins, neutral, s);
    const profile = binsToPhases(bins, s.longBins.steps, s.long);
    let phase = phaseOf(s.longBins, from);
    for (let i = from; i < to; i++) {
      season[i] = compose(season[i]!, profile[phase]!, s.mult);
      if (++phase === s.long) phase = 0;
    }
  }
}

/**
 * Into s.x: each usable value relative to its base, the level (times or plus S_short when
 * `season` is given): the ratio (mult; NaN when the base is not positive) or the difference
 * (add). NaN for points that are not usable.
 */
function relativeTo(values: Float64Array, usable: Uint8Array, level: Float64Array, season: Float64Array | undefined, s: Setup): void {
  const x = s.x;
  for (let i = 0; i < values.length; i++) {
    if (!usable[i]) {
      x[i] = NaN;
      continue;
    }
    const base = season === undefined ? level[i]! : compose(level[i]!, season[i]!, s.mult);
    if (s.mult) x[i] = base > 0 ? values[i]! / base : NaN;
    else x[i] = values[i]! - base;
  }
}

/**
 * Windows of `span` steps from the end of the series backwards; a shorter remainder at the start
 * joins the first window (so every window holds at least `span` steps when the series does).
 */
function profileWindows(n: number, span: number): Run[] {
  const out: Run[] = [];
  let to = n;
  while (to - span >= span) {
    out.push([to - span, to]);
    to -= span;
  }
  out.push([0, to]);
  return out;
}

/**
 * Copies the finite values of x over [from, to) in bin b to the start of s.grouped, in index
 * order, and returns how many there are (NaN in x marks a point to skip).
 */
function gatherBin(x: Float64Array, from: number, to: number, bins: Binning, b: number, s: Setup): number {
  const grouped = s.grouped;
  const first = b * bins.steps;
  const last = Math.min(first + bins.steps, bins.period);
  let c = 0;
  // Cycle by cycle, from phase 0 of the cycle that holds `from`: phases [first, last).
  for (let cycle = from - phaseOf(bins, from); cycle + first < to; cycle += bins.period) {
    const end = Math.min(to, cycle + last);
    for (let i = Math.max(from, cycle + first); i < end; i++) {
      const v = x[i]!;
      if (Number.isFinite(v)) grouped[c++] = v;
    }
  }
  return c;
}

/** Median of the finite values of s.x per bin over [from, to); `neutral` for an empty bin. */
function phaseMedians(from: number, to: number, bins: Binning, neutral: number, s: Setup): Float64Array {
  const out = new Float64Array(bins.count);
  for (let b = 0; b < bins.count; b++) {
    const c = gatherBin(s.x, from, to, bins, b, s);
    out[b] = c === 0 ? neutral : medianRange(s.grouped, 0, c);
  }
  return out;
}

/** Per-phase values from bin medians: circular linear interpolation between bin centres. */
function binsToPhases(bins: Float64Array, bin: number, period: number): Float64Array {
  const out = new Float64Array(period);
  const nb = bins.length;
  const centre = (b: number): number => b * bin + (Math.min(bin, period - b * bin) - 1) / 2;
  for (let b = 0; b < nb; b++) {
    const next = (b + 1) % nb;
    const c0 = centre(b);
    const c1 = centre(next) + (next === 0 ? period : 0);
    for (let x = Math.ceil(c0); x < c1; x++) out[x % period] = bins[b]! + ((x - c0) / (c1 - c0)) * (bins[next]! - bins[b]!);
  }
  return out;
}

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
function fitScale(values: Float64Array, usable: Uint8Array, f: Fit, s: Setup, q90: boolean): Float64Array {
  const x = residuals(values, usable, f, s, s.x);
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
function madScaleOnDemand(values: Float64Array, usable: Uint8Array, f: Fit, s: Setup): (i: number) => number {
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
      x ??= residuals(values, usable, f, s, new Float64Array(n));
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
function residuals(values: Float64Array, usable: Uint8Array, f: Fit, s: Setup, x: Float64Array): Float64Array {
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
  const mad = MAD_TO_SD * selectRange(g, 0, len, mid);
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

/** Median of the finite values of xs; NaN when there is none. */
function medianOfFinite(xs: Float64Array): number {
  const buf = new Float64Array(xs.length);
  let c = 0;
  for (const x of xs) if (Number.isFinite(x)) buf[c++] = x;
  return medianRange(buf, 0, c);
}

/**
 * Rule 4: flags the usable points farther than OUTLIER_Z scales from their expected band (the
 * expected values within the phase tolerance). The band holds the expected value, so only points
 * farther than that from the expected value can be, and only their band is computed (under one
 * point in a hundred on the fixture traces). Unless a seasonal factor is NaN (from extreme
 * inputs): the sliding extremes skip some NaN, so the band need not hold the expected value, and
 * every point is measured against it.
 */
function flagOutliers(values: Float64Array, usable: Uint8Array, flags: Uint8Array, f: Fit, scale: Float64Array, s: Setup): void {
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

function hasNaN(xs: Float64Array): boolean {
  for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i]!)) return true;
  return false;
}

/**
 * Lowest (or highest, with `max`) seasonal factor/term within the phase tolerance around point i,
 * on demand. When `sparse` (asked at few points) and the season has no NaN, per point: the window's
 * extreme is the sliding extreme (up to the sign of a zero, which changes no comparison). Else
 * slidingExtreme, which may skip a NaN, computes all points on first use.
 */
function bandEdge(f: Fit, s: Setup, max: boolean, sparse: boolean): (i: number) => number {
  if (sparse && !hasNaN(f.season)) return (i) => windowExtreme(f.season, i, s.tolerance, max);
  return onFirstUse(() => slidingExtreme(f.season, s.tolerance, max, new Float64Array(f.season.length), s));
}

/**
 * Minimum (or maximum, with `max`) of x over [i - w, i + w] clipped to the series, x without NaN:
 * the value slidingExtreme gives at i (or one of -0 and 0 for the other).
 */
function windowExtreme(x: Float64Array, i: number, w: number, max: boolean): number {
  const to = Math.min(x.length - 1, i + w);
  let m = x[Math.max(0, i - w)]!;
  for (let j = Math.max(0, i - w) + 1; j <= to; j++) if (max ? x[j]! > m : x[j]! < m) m = x[j]!;
  return m;
}

/**
 * Rule 3: flags outages and their retry storms in `flags` (usable points only), and returns the
 * runs that lasted longer than `maxOutage` steps (level shifts, kept).
 */
function findOutages(
  values: Float64Array,
  usable: Uint8Array,
  flags: Uint8Array,
  f: Fit,
  lazy: LazyFit,
  s: Setup,
  maxOutage: number,
  storm: number,
): Run[] {
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
    const ref = referenceLevel(values, usable, flags, f, a, s, scratch);
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
    // A drop that has ended (the load came back) was an outage up to ENDED_OUTAGE_FACTOR times
    // longer (a blizzard, a two-day incident): learning it would pull the forecast after the
    // recovery down. One still running at the end is a new level once it outlasts maxOutage.
    const limit = b < n ? ENDED_OUTAGE_FACTOR * maxOutage : maxOutage;
    if (b - a > limit) {
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
function referenceLevel(
  values: Float64Array,
  usable: Uint8Array,
  flags: Uint8Array,
  f: Fit,
  a: number,
  s: Setup,
  scratch: Float64Array,
): number {
  let c = 0;
  for (let i = Math.max(0, a - s.block); i < a; i++) {
    if (!usable[i] || flags[i] !== CleanFlag.kept) continue;
    const d = deseasonalise(values[i]!, f.season[i]!, s.mult);
    if (!Number.isNaN(d)) scratch[c++] = d;
  }
  return c >= MIN_BLOCK_COVERAGE * s.block ? medianRange(scratch, 0, c) : f.level[a]!;
}

/** Segments of [0, n) split at the edges of the level shifts. */
function segmentsAround(n: number, shifts: Run[]): Run[] {
  const cuts = [0, ...shifts.flatMap(([a, b]) => [a, b]), n].filter((c, k, all) => k === 0 || c > all[k - 1]!);
  const out: Run[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) out.push([cuts[k]!, cuts[k + 1]!]);
  return out.length > 0 ? out : [[0, n]];
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

/**
 * Minimum (or maximum, with `max`) of x over [i - w, i + w] clipped to the series, for every i, into
 * `out` (returned), in O(n) (van Herk / Gil-Werman: prefix and suffix extremes within blocks of
 * 2w + 1, kept in the scratch buffers s.x and s.grouped).
 */
function slidingExtreme(x: Float64Array, w: number, max: boolean, out: Float64Array, s: Setup): Float64Array {
  const n = x.length;
  if (w <= 0 || n === 0) {
    out.set(x);
    return out;
  }
  const sign = max ? -1 : 1; // compare sign * value, so one loop serves both
  const k = 2 * w + 1;
  const prefix = s.x;
  const suffix = s.grouped;
  for (let i = 0; i < n; i++) {
    const v = sign * x[i]!;
    prefix[i] = i % k === 0 || v < prefix[i - 1]! ? v : prefix[i - 1]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = sign * x[i]!;
    suffix[i] = i === n - 1 || (i + 1) % k === 0 || v < suffix[i + 1]! ? v : suffix[i + 1]!;
  }
  for (let i = 0; i < n; i++) {
    const a = i > w ? i - w : 0;
    const b = i + w < n ? i + w : n - 1;
    // [a, b] is at most k long: within one block it starts at the block's start (a = 0 or a full
    // window) or ends at the series' end; otherwise it spans exactly two blocks.
    let m: number;
    if (Math.floor(a / k) !== Math.floor(b / k)) m = suffix[a]! < prefix[b]! ? suffix[a]! : prefix[b]!;
    else m = a % k === 0 ? prefix[b]! : suffix[a]!;
    out[i] = sign * m;
  }
  return out;
}

const mod = (a: number, m: number): number => ((a % m) + m) % m;
