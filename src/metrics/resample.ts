/**
 * Samples onto a regular grid. Pure.
 * - The step is inferred as the most common spacing between samples (robust to gaps).
 * - Samples are put in buckets [start + i*step, start + (i+1)*step) and averaged per bucket
 *   (irregular samples); a bucket with no sample is a gap (NaN), never a zero.
 */
import { invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';

/** Sample times and values, sorted by time (number arrays or typed arrays). */
export interface SampleColumns {
  readonly timesMs: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export function inferStepMs(timesMs: ArrayLike<number>): number {
  if (timesMs.length < 2) return NaN;
  if (isRegular(timesMs)) return timesMs[1]! - timesMs[0]!;
  // A spacing that more than half of all share is the most common one (Boyer-Moore majority vote).
  let candidate = NaN;
  let votes = 0;
  for (let i = 1; i < timesMs.length; i++) {
    const d = timesMs[i]! - timesMs[i - 1]!;
    if (votes === 0) candidate = d;
    votes += d === candidate ? 1 : -1;
  }
  let share = 0;
  for (let i = 1; i < timesMs.length; i++) if (timesMs[i]! - timesMs[i - 1]! === candidate) share++;
  if (share * 2 > timesMs.length - 1) return candidate;
  const counts = new Map<number, number>();
  for (let i = 1; i < timesMs.length; i++) {
    const d = timesMs[i]! - timesMs[i - 1]!;
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best = NaN;
  let bestN = 0;
  for (const [d, n] of counts) if (n > bestN || (n === bestN && d < best)) [best, bestN] = [d, n];
  // Irregular sampling (no spacing dominates): use the median spacing.
  if (bestN < (timesMs.length - 1) / 4) {
    const diffs = new Float64Array(timesMs.length - 1);
    for (let i = 1; i < timesMs.length; i++) diffs[i - 1] = timesMs[i]! - timesMs[i - 1]!;
    diffs.sort();
    best = diffs[Math.floor(diffs.length / 2)]!;
  }
  return best;
}

/** Whether every spacing equals the first (the usual recording: no gap, no jitter). */
function isRegular(timesMs: ArrayLike<number>): boolean {
  const step = timesMs[1]! - timesMs[0]!;
  for (let i = 2; i < timesMs.length; i++) if (timesMs[i]! - timesMs[i - 1]! !== step) return false;
  return true;
}

/** Puts samples on a grid of `stepMs` (inferred when omitted) starting at `startMs` (default: first sample). */
export function toRegular(samples: SampleColumns, source: string, stepMs?: number, startMs?: number): Series {
  const { timesMs, values } = samples;
  if (timesMs.length === 0) throw invalidInput(`${source}: no samples`);
  const step = stepMs ?? inferStepMs(timesMs);
  if (!Number.isFinite(step) || step <= 0) {
    throw invalidInput(`${source}: cannot infer the sampling step from a single sample`);
  }
  const start = startMs ?? timesMs[0]!;
  // Samples already on the grid, one per point: the values are the series (a copy, no averaging).
  if (start === timesMs[0] && timesMs.length >= 2 && timesMs[1]! - timesMs[0] === step && values instanceof Float64Array && isRegular(timesMs)) {
    return { startMs: start, stepMs: step, values: values.slice() };
  }
  const last = timesMs[timesMs.length - 1]!;
  const n = Math.floor((last - start) / step) + 1;
  if (n > 50_000_000) throw invalidInput(`${source}: ${n} samples at a ${step} ms step is too many`);
  const sum = new Float64Array(n);
  const cnt = new Uint32Array(n);
  for (let i = 0; i < timesMs.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const b = Math.floor((timesMs[i]! - start) / step);
    if (!(b >= 0 && b < n)) continue;
    // b is in [0, n), the length of both arrays.
    sum[b] = sum[b]! + v;
    cnt[b] = cnt[b]! + 1;
  }
  // The sums become the means in place (a grid of millions of points is built once).
  for (let i = 0; i < n; i++) sum[i] = cnt[i] === 0 ? NaN : sum[i]! / cnt[i]!;
  return { startMs: start, stepMs: step, values: sum };
}
