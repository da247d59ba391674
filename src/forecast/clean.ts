/**
 * Cleaning of load history before fitting: gaps, user-excluded windows, outliers and outages
 * (with the retry storm after them) are replaced by an expected value, so that models learn the
 * usual pattern and not the accidents. Netflix's Scryer does the same before fitting, for the same
 * reason: an outage learned as the pattern comes back as a forecast hole a week later. Pure; runs on
 * every forecast: O(n) plus small sorts (40,320 one-minute points with periods [1440, 10080]:
 * about 20-30 ms once warm, measured on a shared 2-core machine).
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
import { median, selectInPlace } from './linalg.js';
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

  // Pass 1: fit on everything usable, find outages and level shifts.
  const first = fit(values, usable, [[0, n]], setup, undefined);
  const maxOutage = Math.max(1, Math.round((opts.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS) / ctx.stepMs));
  const storm = Math.max(1, Math.round((opts.stormMs ?? DEFAULT_STORM_MS) / ctx.stepMs));
  const shifts = findOutages(values, usable, flags, first, setup, maxOutage, storm);

  // Pass 2: refit without the outages, the level split at level shifts; flag outliers; fill.
  for (let i = 0; i < n; i++) if (flags[i] === CleanFlag.outage) usable[i] = 0;
  const second = fit(values, usable, segmentsAround(n, shifts), setup, first.season);
  for (let i = 0; i < n; i++) {
    if (!usable[i]) continue;
    // Distance from the expected band (the expected values within the phase tolerance).
    const lo = compose(second.level[i]!, second.seasonLo[i]!, setup.mult);
    const hi = compose(second.level[i]!, second.seasonHi[i]!, setup.mult);
    const y = values[i]!;
    const off = y > hi ? y - hi : y < lo ? lo - y : 0;
    if (off > OUTLIER_Z * second.scale[i]!) flags[i] = CleanFlag.outlier;
  }
  const toWindow = ([a, b]: Run): TimeWindow => ({ fromMs: ctx.startMs + a * ctx.stepMs, toMs: ctx.startMs + b * ctx.stepMs });
  return finish(values, flags, second.expected, anyNegative, shifts.map(toWindow));
}

/** [from, to) index range. */
type Run = [number, number];

/** Expected value for a level and a seasonal factor (mult) or term (add). */
const compose = (level: number, season: number, mult: boolean): number => (mult ? level * season : level + season);

/** What does not change between the two passes. */
interface Setup {
  readonly mult: boolean;
  /** Level block length, steps. */
  readonly block: number;
  /** Shortest and longest period, steps (0 when absent), and their phase offsets. */
  readonly short: number;
  readonly long: number;
  readonly shortOffset: number;
  readonly longOffset: number;
  /** Phase tolerance, steps either side (see PHASE_TOLERANCE_MS). */
  readonly tolerance: number;
  /** Median of the present values, for fallbacks. */
  readonly typical: number;
}

/** A fitted expectation. */
interface Fit {
  readonly level: Float64Array;
  /** Seasonal factor (mult) or term (add) per point. */
  readonly season: Float64Array;
  readonly expected: Float64Array;
  /** Seasonal factor/term range over the phase tolerance: lowest and highest around each point. */
  readonly seasonLo: Float64Array;
  readonly seasonHi: Float64Array;
  /** Robust residual scale per point, for outliers. */
  readonly scale: Float64Array;
  /** MAD-based scale per point, for outages (see fitScale). */
  readonly mad: Float64Array;
}

function fitSetup(values: Float64Array, usable: Uint8Array, ctx: CleanContext, anyNegative: boolean): Setup | undefined {
  const n = values.length;
  const present = new Float64Array(n);
  let c = 0;
  for (let i = 0; i < n; i++) if (usable[i]) present[c++] = values[i]!;
  if (c === 0) return undefined;
  const typical = medianInPlace(present, c);
  const periods = ctx.periods.filter((p) => Number.isFinite(p) && p >= 2 && p <= n).map(Math.round).sort((a, b) => a - b);
  const short = periods[0] ?? 0;
  const long = periods.length > 1 ? periods[periods.length - 1]! : 0;
  const daySteps = Math.max(1, Math.round(DAY_MS / ctx.stepMs));
  const block = short > 0 ? short * Math.ceil(daySteps / short) : Math.max(8, Math.round(LOCAL_WINDOW_MS / ctx.stepMs));
  const origin = Math.round(ctx.startMs / ctx.stepMs);
  return {
    // Multiplicative only for non-negative series with a positive median: a zero level would
    // make every nonzero point "infinitely" far from its expected value.
    mult: !anyNegative && typical > 0,
    block: Math.min(block, n),
    short,
    long,
    shortOffset: short > 0 ? mod(origin, short) : 0,
    longOffset: long > 0 ? mod(origin, long) : 0,
    tolerance: short > 0 ? Math.min(Math.round(PHASE_TOLERANCE_MS / ctx.stepMs), Math.floor(short / 24)) : 0,
    typical,
  };
}

/**
 * Fits level, seasonal profile, expected value and residual scale on the usable points.
 * `prior` (the previous pass's seasonal factors) deseasonalises the values for the level; without
 * it the level is the median of the raw values per block (whole cycles, so still unbiased).
 */
function fit(values: Float64Array, usable: Uint8Array, segments: Run[], s: Setup, prior: Float64Array | undefined): Fit {
  const n = values.length;
  const blocks = makeBlocks(segments, s.block);
  const level = fitLevel(values, usable, blocks, s, prior);
  const season = fitSeason(values, usable, level, s);
  const expected = new Float64Array(n);
  for (let i = 0; i < n; i++) expected[i] = s.mult ? level[i]! * season[i]! : level[i]! + season[i]!;
  const { scale, mad } = fitScale(values, usable, expected, level, s);
  const seasonLo = slidingExtreme(season, s.tolerance, false);
  const seasonHi = slidingExtreme(season, s.tolerance, true);
  return { level, season, expected, seasonLo, seasonHi, scale, mad };
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

function fitLevel(values: Float64Array, usable: Uint8Array, blocks: Block[], s: Setup, prior: Float64Array | undefined): Float64Array {
  const n = values.length;
  const scratch = new Float64Array(s.block);
  // Valid block medians at their centres, in index order, with their segment.
  const anchors: Array<{ centre: number; median: number; segment: number }> = [];
  for (const b of blocks) {
    let c = 0;
    for (let i = b.from; i < b.to; i++) {
      if (!usable[i]) continue;
      const d = deseasonalise(values[i]!, prior === undefined ? NaN : prior[i]!, s.mult);
      if (!Number.isNaN(d)) scratch[c++] = d;
    }
    if (c === 0 || c < MIN_BLOCK_COVERAGE * (b.to - b.from)) continue;
    anchors.push({ centre: (b.from + b.to - 1) / 2, median: medianInPlace(scratch, c), segment: b.segment });
  }
  const level = new Float64Array(n).fill(NaN);
  if (anchors.length === 0) return level;
  // Linear interpolation between the anchors of the same segment, constant beyond the first and
  // last; a segment without an anchor takes the nearest anchor's median.
  for (const b of blocks) {
    const own = anchors.filter((x) => x.segment === b.segment);
    let k = 0;
    for (let i = b.from; i < b.to; i++) {
      if (own.length === 0) {
        level[i] = nearest(anchors, i);
        continue;
      }
      while (k + 1 < own.length && own[k + 1]!.centre <= i) k++;
      const lo = own[k]!;
      const hi = own[k + 1];
      if (i <= lo.centre || hi === undefined) level[i] = lo.median;
      else level[i] = lo.median + ((i - lo.centre) / (hi.centre - lo.centre)) * (hi.median - lo.median);
    }
  }
  if (s.mult) for (let i = 0; i < n; i++) if (level[i]! < 0) level[i] = 0;
  return level;
}

function nearest(anchors: ReadonlyArray<{ centre: number; median: number }>, i: number): number {
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

/** Seasonal factor (mult, neutral 1) or term (add, neutral 0) per point. */
function fitSeason(values: Float64Array, usable: Uint8Array, level: Float64Array, s: Setup): Float64Array {
  const n = values.length;
  const neutral = s.mult ? 1 : 0;
  const season = new Float64Array(n).fill(neutral);
  if (s.short === 0) return season;
  const ratio = (i: number, base: number): number => {
    if (s.mult) return base > 0 ? values[i]! / base : NaN;
    return values[i]! - base;
  };
  for (const [from, to] of profileWindows(n, PROFILE_SHORT_CYCLES * s.short)) {
    const profile = phaseMedians(from, to, s.short, s.shortOffset, 1, usable, (i) => ratio(i, level[i]!), neutral);
    for (let i = from; i < to; i++) season[i] = profile[(i + s.shortOffset) % s.short]!;
  }
  if (s.long === 0) return season;
  const bin = Math.max(1, Math.round(s.long / LONG_BINS));
  const base = (i: number): number => (s.mult ? level[i]! * season[i]! : level[i]! + season[i]!);
  for (const [from, to] of profileWindows(n, PROFILE_LONG_CYCLES * s.long)) {
    const bins = phaseMedians(from, to, s.long, s.longOffset, bin, usable, (i) => ratio(i, base(i)), neutral);
    const profile = binsToPhases(bins, bin, s.long);
    for (let i = from; i < to; i++) {
      const f = profile[(i + s.longOffset) % s.long]!;
      season[i] = s.mult ? season[i]! * f : season[i]! + f;
    }
  }
  return season;
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

/** Values of [from, to) grouped by phase bin: bin b holds sorted[count[b] .. count[b + 1]). */
interface Groups {
  readonly sorted: Float64Array;
  readonly count: Int32Array;
  readonly bins: number;
}

/**
 * Groups `value(i)` of the usable points of [from, to) by bin of `bin` phases of `period`
 * (counting sort; non-finite values are skipped).
 */
function groupByBin(
  from: number,
  to: number,
  period: number,
  offset: number,
  bin: number,
  usable: Uint8Array,
  value: (i: number) => number,
): Groups {
  const bins = Math.ceil(period / bin);
  const binOf = new Int32Array(to - from);
  const vals = new Float64Array(to - from);
  const count = new Int32Array(bins + 1);
  for (let i = from; i < to; i++) {
    const k = i - from;
    binOf[k] = -1;
    if (!usable[i]) continue;
    const v = value(i);
    if (!Number.isFinite(v)) continue;
    vals[k] = v;
    binOf[k] = Math.floor(((i + offset) % period) / bin);
    count[binOf[k]! + 1]!++;
  }
  for (let b = 0; b < bins; b++) count[b + 1]! += count[b]!;
  const sorted = new Float64Array(count[bins]!);
  const fill = count.slice(0, bins);
  for (let k = 0; k < vals.length; k++) if (binOf[k]! >= 0) sorted[fill[binOf[k]!]!++] = vals[k]!;
  return { sorted, count, bins };
}

/** Median of `value(i)` per phase bin over the usable points of [from, to); `neutral` when empty. */
function phaseMedians(
  from: number,
  to: number,
  period: number,
  offset: number,
  bin: number,
  usable: Uint8Array,
  value: (i: number) => number,
  neutral: number,
): Float64Array {
  const g = groupByBin(from, to, period, offset, bin, usable, value);
  const out = new Float64Array(g.bins);
  for (let b = 0; b < g.bins; b++) {
    const a = g.count[b]!;
    const len = g.count[b + 1]! - a;
    out[b] = len === 0 ? neutral : medianInPlace(g.sorted.subarray(a, a + len), len);
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

/**
 * Robust residual scales per point. Noise grows with the load (a 5.8x daily swing in nyc_taxi makes
 * the peak's noise useless at the trough), so spreads are estimated per phase bin of the shortest
 * period (SCALE_BINS per cycle) and, for the multiplicative model, relative to the level:
 * residual (y - E) / level. Per profile window, like the profiles. Floored at SCALE_FLOOR of the
 * level. `mad` (1.4826 * MAD) is robust to the outages that spoil part of a bin and confirms
 * outages; `scale`, the larger of `mad` and the 90th-percentile estimate, judges outliers.
 */
function fitScale(
  values: Float64Array,
  usable: Uint8Array,
  expected: Float64Array,
  level: Float64Array,
  s: Setup,
): { scale: Float64Array; mad: Float64Array } {
  const n = values.length;
  const period = s.short > 0 ? s.short : 1;
  const bin = s.short > 0 ? Math.max(1, Math.round(s.short / SCALE_BINS)) : 1;
  const unit = (i: number): number => (s.mult ? level[i]! : 1);
  const rel = (i: number): number => (values[i]! - expected[i]!) / unit(i);
  // Also never below 1% of the series' median: quantisation steps near zero (a CPU at 0 / 0.33%)
  // are not extreme.
  const absFloor = Math.max(1e-12, SCALE_FLOOR * Math.abs(s.typical));
  const scale = new Float64Array(n);
  const mad = new Float64Array(n);
  for (const [from, to] of profileWindows(n, PROFILE_SHORT_CYCLES * (s.short > 0 ? s.short : s.block))) {
    const g = groupByBin(from, to, period, s.shortOffset, bin, usable, rel);
    const mads = new Float64Array(g.bins).fill(NaN);
    const q90s = new Float64Array(g.bins).fill(NaN);
    for (let b = 0; b < g.bins; b++) {
      const a = g.count[b]!;
      const len = g.count[b + 1]! - a;
      if (len < MIN_SCALE_SAMPLES) continue;
      const x = g.sorted.subarray(a, a + len);
      const med = medianInPlace(x, len);
      for (let k = 0; k < len; k++) x[k] = Math.abs(x[k]! - med);
      q90s[b] = selectInPlace(x, len, Math.min(len - 1, Math.floor(0.9 * len))) / Q90_TO_SD;
      mads[b] = MAD_TO_SD * selectInPlace(x, len, len >> 1);
    }
    // Bins with too few residuals take the typical bin's spread.
    const fallbackMad = medianOfFinite(mads);
    const fallbackQ90 = medianOfFinite(q90s);
    for (let i = from; i < to; i++) {
      const b = Math.floor(((i + s.shortOffset) % period) / bin);
      const m = Number.isNaN(mads[b]!) ? fallbackMad : mads[b]!;
      const q = Math.max(m, Number.isNaN(q90s[b]!) ? fallbackQ90 : q90s[b]!);
      const u = Math.abs(unit(i));
      const floor = Math.max(absFloor, SCALE_FLOOR * Math.abs(s.mult ? level[i]! : expected[i]!));
      mad[i] = Math.max(Number.isNaN(m) ? 0 : m * u, floor);
      scale[i] = Math.max(Number.isNaN(q) ? 0 : q * u, floor);
    }
  }
  return { scale, mad };
}

/** Median of the finite values of xs; NaN when there is none. */
function medianOfFinite(xs: Float64Array): number {
  const buf = new Float64Array(xs.length);
  let c = 0;
  for (const x of xs) if (Number.isFinite(x)) buf[c++] = x;
  return c === 0 ? NaN : medianInPlace(buf, c);
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
  s: Setup,
  maxOutage: number,
  storm: number,
): Run[] {
  const n = values.length;
  const shifts: Run[] = [];
  const scratch = new Float64Array(s.block);
  let i = 0;
  while (i < n) {
    if (!usable[i] || !isLow(values[i]!, compose(f.level[i]!, f.seasonLo[i]!, s.mult), f.level[i]!, f.mad[i]!, s.mult)) {
      i++;
      continue;
    }
    const a = i;
    // A run needs a second low point (local expectation) before the costlier reference is built.
    let next = a + 1;
    while (next < n && !usable[next]) next++;
    if (next >= n || !isLow(values[next]!, compose(f.level[next]!, f.seasonLo[next]!, s.mult), f.level[next]!, f.mad[next]!, s.mult)) {
      i = a + 1;
      continue;
    }
    const ref = referenceLevel(values, usable, flags, f, a, s, scratch);
    let last = a;
    let misses = 0;
    for (let j = a + 1; j < n; j++) {
      if (!usable[j]) continue; // gaps and excluded points neither extend nor end a run
      if (isLow(values[j]!, compose(ref, f.seasonLo[j]!, s.mult), ref, f.mad[j]!, s.mult)) {
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
      if (!isHigh(values[j]!, compose(ref, f.seasonHi[j]!, s.mult), f.mad[j]!, s.mult)) break;
      flags[j] = CleanFlag.outage;
    }
    i = Math.max(b, j);
  }
  return shifts;
}

/**
 * Far below expected: under LOW_FRACTION of both the lowest expected value within the phase
 * tolerance (`e`) and the level (a quiet evening where the profile expects a rare surge, e.g.
 * worldcup98 after its last match, is not an outage; a drop to ~0 at any phase is), and LOW_Z
 * scales under `e`.
 */
function isLow(y: number, e: number, level: number, scale: number, mult: boolean): boolean {
  if (mult) return y < LOW_FRACTION * Math.min(e, level) && e - y > LOW_Z * scale;
  return e - y > OUTLIER_Z * scale;
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
  return c >= MIN_BLOCK_COVERAGE * s.block ? medianInPlace(scratch, c) : f.level[a]!;
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
 * Minimum (or maximum, with `max`) of x over [i - w, i + w] clipped to the series, for every i, in
 * O(n) (van Herk / Gil-Werman: prefix and suffix extremes within blocks of 2w + 1).
 */
function slidingExtreme(x: Float64Array, w: number, max: boolean): Float64Array {
  const n = x.length;
  if (w <= 0 || n === 0) return x.slice();
  const sign = max ? -1 : 1; // compare sign * value, so one loop serves both
  const k = 2 * w + 1;
  const prefix = new Float64Array(n);
  const suffix = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = sign * x[i]!;
    prefix[i] = i % k === 0 || v < prefix[i - 1]! ? v : prefix[i - 1]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = sign * x[i]!;
    suffix[i] = i === n - 1 || (i + 1) % k === 0 || v < suffix[i + 1]! ? v : suffix[i + 1]!;
  }
  const out = new Float64Array(n);
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

/** Median of the first `len` values of `buf` (reorders them; quickselect in place). */
const medianInPlace = (buf: Float64Array, len: number): number => median(buf, len, buf);

const mod = (a: number, m: number): number => ((a % m) + m) % m;
