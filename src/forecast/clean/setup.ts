/**
 * What both passes of the cleaning share: the setup that does not change between them (model
 * kind, level block, periods and their phase bins, scratch buffers), the arrays of a fit, and
 * the grouping of points by phase bin within profile windows.
 */
import { DAY_MS, HOUR_MS } from '../../core/duration.js';
import { medianRange } from '../median.js';
import type { CleanContext, Points, Run } from './types.js';

/** The robust scale is at least this share of the local level, and of the series' median. */
export const SCALE_FLOOR = 0.01;

/**
 * Profiles are estimated per window of this many cycles of the shortest period (4 weeks of days)
 * and applied within it, so the pattern may drift over a long history (worldcup98's quiet May is
 * not judged against its tournament evenings).
 */
export const PROFILE_SHORT_CYCLES = 28;

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

/** Phase bins per shortest cycle for the residual scale (30 minutes for a day). */
const SCALE_BINS = 48;

/** Expected value for a level and a seasonal factor (mult) or term (add). */
export const compose = (level: number, season: number, mult: boolean): number => (mult ? level * season : level + season);

/**
 * Phase bins of a period: point i is at phase (i + offset) % period, in bin floor(phase / steps),
 * one of `count` bins (the last one may be shorter).
 */
export interface Binning {
  readonly period: number;
  readonly offset: number;
  readonly steps: number;
  readonly count: number;
}

/** What does not change between the two passes. */
export interface Setup {
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
export interface Fit {
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
export interface LazyFit {
  readonly seasonLo: (i: number) => number;
  readonly seasonHi: (i: number) => number;
  readonly scale: (i: number) => number;
}

/** Reads a per-point array that `compute` fills on the first read. */
export function onFirstUse(compute: () => Float64Array): (i: number) => number {
  let values: Float64Array | undefined;
  return (i) => (values ??= compute())[i]!;
}

/** Arrays for a fit, allocated once per call: the second pass refits into the first's. */
export function fitArrays(n: number): Fit {
  const array = (): Float64Array => new Float64Array(n);
  return { level: array(), season: array(), expected: array(), scale: array() };
}

export function fitSetup(pts: Points, ctx: CleanContext, anyNegative: boolean): Setup | undefined {
  const { values, usable } = pts;
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
export const phaseOf = (bins: Binning, i: number): number => (i + bins.offset) % bins.period;

/**
 * Windows of `span` steps from the end of the series backwards; a shorter remainder at the start
 * joins the first window (so every window holds at least `span` steps when the series does).
 */
export function profileWindows(n: number, span: number): Run[] {
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
export function gatherBin(x: Float64Array, from: number, to: number, bins: Binning, b: number, s: Setup): number {
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

const mod = (a: number, m: number): number => ((a % m) + m) % m;
