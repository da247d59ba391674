/**
 * The level and season fit of the cleaning (see index.ts for the model): block medians of the
 * deseasonalised values for the level, per-phase medians within profile windows for the season.
 */
import { medianRange } from '../median.js';
import { type Binning, type Fit, type Setup, PROFILE_SHORT_CYCLES, compose, gatherBin, phaseOf, profileWindows } from './setup.js';
import type { Points, Run } from './types.js';

/** Window, in cycles of the longest period, for its profile (4 weeks). */
export const PROFILE_LONG_CYCLES = 4;

/** A level block needs this share of usable points, else it is interpolated from its neighbours. */
export const MIN_BLOCK_COVERAGE = 0.25;

/**
 * Fits level, seasonal profile and expected value on the usable points, into `f`.
 * `prior` (the previous pass's seasonal factors) deseasonalises the values for the level; without
 * it the level is the median of the raw values per block (whole cycles, so still unbiased). It may
 * be f.season: it is only read while fitting the level, before the season is refitted.
 */
export function fit(pts: Points, segments: Run[], s: Setup, prior: Float64Array | undefined, f: Fit): void {
  const { values } = pts;
  const n = values.length;
  const { level, season, expected } = f;
  fitLevel(pts, makeBlocks(segments, s.block), s, prior, level);
  fitSeason(pts, level, s, season);
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

/** Level per point into `level` (see index.ts); NaN everywhere when no block is valid. */
function fitLevel(pts: Points, blocks: Block[], s: Setup, prior: Float64Array | undefined, level: Float64Array): void {
  const { values } = pts;
  const n = values.length;
  const scratch = s.grouped;
  // Valid block medians at their centres, in index order.
  const anchors: Anchor[] = [];
  for (const b of blocks) {
    const c = blockValues(pts, b, prior, s.mult, scratch);
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
function blockValues(pts: Points, b: Block, prior: Float64Array | undefined, mult: boolean, out: Float64Array): number {
  const { values, usable } = pts;
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
export function deseasonalise(y: number, season: number, mult: boolean): number {
  if (Number.isNaN(season)) return y;
  if (mult) return season > 0 ? y / season : NaN;
  return y - season;
}

/** Seasonal factor (mult, neutral 1) or term (add, neutral 0) per point, into `season`. */
function fitSeason(pts: Points, level: Float64Array, s: Setup, season: Float64Array): void {
  const { values } = pts;
  const n = values.length;
  const neutral = s.mult ? 1 : 0;
  if (s.short === 0) {
    season.fill(neutral);
    return;
  }
  relativeTo(pts, level, undefined, s);
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
  relativeTo(pts, level, season, s);
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
function relativeTo(pts: Points, level: Float64Array, season: Float64Array | undefined, s: Setup): void {
  const { values, usable } = pts;
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
