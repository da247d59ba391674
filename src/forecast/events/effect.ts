/**
 * An event's effect, learned from its earlier occurrences in the history (docs/scaler-spec.md,
 * "spec.forecast.events"). Pure.
 *
 * - **Relative to the normal pattern.** The normal load at a point of an occurrence is the median of
 *   the load at the same time one and two reference periods before and after it (a week when the
 *   history spans three weeks, else a day), leaving out points inside any event's window; at least
 *   two of the four are needed. Robust to one odd neighbour, and it follows a trend, since the
 *   neighbours sit on both sides.
 * - **By time of day.** An occurrence's window is cut into bins of an hour (or one step, if longer)
 *   of wall-clock time from its start, so 15:00 is the same bin on a day of 23 or 25 hours. In each
 *   bin an occurrence's ratio is its load over the normal load, summed over the bin (at least half
 *   of the bin's points present).
 * - **Robust across occurrences.** The effect of a bin is the median of its occurrences' log ratios,
 *   shrunk towards the prior (the user's `multiplier`, else 1) as if the prior were one more
 *   occurrence: log effect = (n × median + log prior) / (n + 1). One occurrence gives half its log
 *   ratio (a drop to 0.5 is learned as 0.71), three give three quarters; with three or more, one odd
 *   occurrence moves the median by at most one rank. A bin no occurrence covers takes the prior.
 */
import type { Series } from '../../core/series.js';
import { median } from '../median.js';
import type { Zone } from './calendar.js';
import { HOUR_MS } from '../../core/duration.js';

/** Ratios are bounded before the log (a bin of zeros is not minus infinity). */
const MIN_RATIO = 0.01;
const MAX_RATIO = 100;

/** A window [fromMs, toMs) of one occurrence, with its window start as the origin of its bins. */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface LearnedEffect {
  /** Multiplier per bin of wall-clock time from the window's start. */
  readonly factors: Float64Array;
  readonly binMs: number;
  /** Occurrences that contributed to at least one bin. */
  readonly occurrences: number;
  /** The factor where no occurrence was seen (the prior). */
  readonly prior: number;
  /** Each bin's occurrences' log ratios, ascending (for the bands: bandFactor). */
  readonly logs: readonly Float64Array[];
}

/**
 * The factor of a quantile band in a bin: as the mean's, with the band's quantile of the
 * occurrences' log ratios in place of their median (linear between order statistics), so a band
 * spreads as far as the occurrences disagree: a p90 over holidays that halve the load on some and
 * leave it on others stays near the normal p90.
 */
export function bandFactor(e: LearnedEffect, bin: number, q: number): number {
  const logs = e.logs[bin];
  if (logs === undefined || logs.length === 0) return e.prior;
  const n = logs.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const v = logs[lo]! + (logs[Math.min(lo + 1, n - 1)]! - logs[lo]!) * (h - lo);
  return Math.exp((n * v + Math.log(e.prior)) / (n + 1));
}

export const binMsFor = (stepMs: number): number => Math.max(stepMs, HOUR_MS);

/** Bin of an instant inside a window: wall-clock time since the window's start. */
export function binOf(zone: Zone, w: Window, tMs: number, binMs: number, offsets?: { from: number; to: number }): number {
  const from = offsets?.from ?? zone.offsetAt(w.fromMs);
  const to = offsets?.to ?? zone.offsetAt(w.toMs);
  // No offset change inside the window (nearly always): elapsed time is wall-clock time.
  const wall = from === to ? tMs - w.fromMs : zone.wallElapsed(w.fromMs, tMs);
  return Math.max(0, Math.floor(wall / binMs));
}

/**
 * The effect of one event from its occurrences `past` (windows overlapping `s`), with `masked`
 * marking every point of `s` inside any event's window (left out of the normal load).
 */
export function learnEffect(s: Series, past: readonly Window[], masked: Uint8Array, zone: Zone, opts: { readonly prior: number; readonly bins: number }): LearnedEffect {
  const { prior, bins } = opts;
  const binMs = binMsFor(s.stepMs);
  const refSteps = Math.round((s.values.length * s.stepMs >= 3 * 7 * 86_400_000 ? 7 * 86_400_000 : 86_400_000) / s.stepMs);
  const perBin: number[][] = Array.from({ length: bins }, () => []);
  const binPoints = binMs / s.stepMs;
  let occurrences = 0;
  for (const w of past) {
    const sumA = new Float64Array(bins);
    const sumR = new Float64Array(bins);
    const count = new Uint32Array(bins);
    const offsets = { from: zone.offsetAt(w.fromMs), to: zone.offsetAt(w.toMs) };
    const i0 = Math.max(0, Math.ceil((w.fromMs - s.startMs) / s.stepMs));
    const i1 = Math.min(s.values.length, Math.ceil((w.toMs - s.startMs) / s.stepMs));
    for (let i = i0; i < i1; i++) {
      const a = s.values[i]!;
      if (Number.isNaN(a)) continue;
      const r = normalAt(s.values, masked, i, refSteps);
      if (r === undefined) continue;
      const b = binOf(zone, w, s.startMs + i * s.stepMs, binMs, offsets);
      if (b >= bins) continue;
      sumA[b]! += a;
      sumR[b]! += r;
      count[b]!++;
    }
    let used = false;
    for (let b = 0; b < bins; b++) {
      if (count[b]! < binPoints / 2 || !(sumR[b]! > 0)) continue;
      perBin[b]!.push(Math.log(Math.min(MAX_RATIO, Math.max(MIN_RATIO, sumA[b]! / sumR[b]!))));
      used = true;
    }
    if (used) occurrences++;
  }
  const logPrior = Math.log(prior);
  const factors = Float64Array.from(perBin, (logs) => {
    const n = logs.length;
    return n === 0 ? prior : Math.exp((n * median(logs) + logPrior) / (n + 1));
  });
  return { factors, binMs, occurrences, prior, logs: perBin.map((l) => Float64Array.from(l).sort()) };
}

/** Median of the present, unmasked values one and two reference periods before and after i (at least two). */
function normalAt(values: Float64Array, masked: Uint8Array, i: number, ref: number): number | undefined {
  const got: number[] = [];
  for (const j of [i - 2 * ref, i - ref, i + ref, i + 2 * ref]) {
    if (j < 0 || j >= values.length || masked[j] === 1) continue;
    const v = values[j]!;
    if (!Number.isNaN(v)) got.push(v);
  }
  return got.length >= 2 ? median(got) : undefined;
}
