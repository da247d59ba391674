/**
 * What a series' own history supports: no forecast, mean or quantile, may leave the range the
 * history has shown by more than the history's trend explains over the horizon. Pure.
 *
 * A fitted model can run away from its data: a Holt-Winters trend fitted on a ramp, or a
 * regression on the same time of earlier cycles taken just after an outage, forecast several times
 * the highest load ever seen, and a floor planned from that pins maxReplicas for hours. The
 * envelope of a history is [min, max] of its observed values at the input's step, widened by its
 * robust trend over the horizon: the Theil-Sen slope of its daily medians (a trend of a few
 * percent a day, like a growing service, is followed; a ramp within one day is not a trend). A
 * chosen model whose mean forecast leaves the envelope is dropped for that refit (the other members
 * of a combination carry on; with none left, a seasonal naive takes over, which cannot leave it),
 * and what remains, mean and quantile bands alike, is clipped to it.
 */
import { DAY_MS } from '../core/duration.js';
import { median, medianRange } from './median.js';

export interface Envelope {
  /** Lowest and highest observed value of the history. */
  readonly min: number;
  readonly max: number;
  /** Robust trend of the level, load units per step of the forecast (0 when flat or unknown). */
  readonly slopePerStep: number;
}

/** Fewest days of history for a trend; below it the envelope is [min, max]. */
const MIN_TREND_DAYS = 3;
/** Samples a day's median is taken from, at most. */
const TREND_SAMPLES_PER_DAY = 288;

/**
 * The envelope of `values` (observed at `stepMs`, NaN = gap), for a forecast at `forecastStepMs`.
 * Undefined when nothing was observed.
 */
export function envelopeOf(values: ArrayLike<number>, stepMs: number, forecastStepMs: number): Envelope | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max >= min)) return undefined;
  const perDay = Math.round(DAY_MS / stepMs);
  const days = Math.floor(values.length / perDay);
  let slopePerDay = 0;
  if (perDay >= 1 && days >= MIN_TREND_DAYS) {
    // Whole days counted back from the end, so the last day is complete. One scratch buffer for
    // the days' values (a control loop computes this at every refit).
    const medians: number[] = [];
    const at: number[] = [];
    const start = values.length - days * perDay;
    // A day's median from at most ~288 of its samples (every 5 minutes of a 1-minute series).
    const stride = Math.max(1, Math.floor(perDay / TREND_SAMPLES_PER_DAY));
    const day = new Float64Array(Math.ceil(perDay / stride));
    for (let d = 0; d < days; d++) {
      let n = 0;
      for (let i = start + d * perDay; i < start + (d + 1) * perDay; i += stride) if (Number.isFinite(values[i]!)) day[n++] = values[i]!;
      if (n * 2 >= day.length) {
        medians.push(medianRange(day, 0, n));
        at.push(d);
      }
    }
    slopePerDay = theilSen(at, medians);
  }
  return { min, max, slopePerStep: Number.isFinite(slopePerDay) ? (slopePerDay * forecastStepMs) / DAY_MS : 0 };
}

/** Median of the pairwise slopes (Theil-Sen); 0 with fewer than MIN_TREND_DAYS points. */
function theilSen(x: number[], y: number[]): number {
  if (x.length < MIN_TREND_DAYS) return 0;
  const slopes: number[] = [];
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) slopes.push((y[j]! - y[i]!) / (x[j]! - x[i]!));
  return median(slopes);
}

/** Upper bound at forecast step j (0-based): the history's max, plus a rising trend over j + 1 steps. */
export const upperAt = (e: Envelope, j: number): number => e.max + Math.max(0, e.slopePerStep) * (j + 1);
/** Lower bound at forecast step j: the history's min, less a falling trend over j + 1 steps. */
export const lowerAt = (e: Envelope, j: number): number => e.min + Math.min(0, e.slopePerStep) * (j + 1);

/** How far `forecast` leaves the envelope, as a ratio to the bound it crosses most (1 = inside). */
export function excess(e: Envelope, forecast: ArrayLike<number>): number {
  let worst = 1;
  const span = Math.max(e.max - e.min, Math.abs(e.max), 1e-12);
  for (let j = 0; j < forecast.length; j++) {
    const v = forecast[j]!;
    const hi = upperAt(e, j);
    const lo = lowerAt(e, j);
    // Above: relative to the bound; below: relative to the history's span (the bound may be ~0).
    if (v > hi) worst = Math.max(worst, hi > 0 ? v / hi : 1 + (v - hi) / span);
    else if (v < lo) worst = Math.max(worst, 1 + (lo - v) / span);
  }
  return worst;
}

/** Clips `values` into the envelope in place; returns how many points were clipped. */
export function clipTo(e: Envelope, values: Float64Array): number {
  let n = 0;
  for (let j = 0; j < values.length; j++) {
    const hi = upperAt(e, j);
    const lo = lowerAt(e, j);
    if (values[j]! > hi) {
      values[j] = hi;
      n++;
    } else if (values[j]! < lo) {
      values[j] = lo;
      n++;
    }
  }
  return n;
}
