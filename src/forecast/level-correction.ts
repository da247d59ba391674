/**
 * Near-term level correction. Pure.
 *
 * A model fitted on weeks of history (and on history cleaned of outages) can be far off the level
 * the load has had for the last half hour: a burst has just ended, the load collapsed and stays
 * down (nab_grok_asg_cpu_5min's last two days, crane_cpu_5 after its night bursts), or it runs
 * well above the pattern. Planning from such a forecast holds a floor of 20 replicas for 5 of
 * need for hours, until the next model search. The correction measures how far the last
 * TAIL_WINDOW_MS of observed load sit from what the model forecast for them from just before that
 * window, and shifts the forecast by that relative error, fading with time constant FADE_MS, so
 * the near term follows the load and the later hours return to the pattern.
 *
 * Only the part of the tail's median error beyond two standard errors of that median is applied
 * (the spread measured on the tail itself, so a regime change that has widened the model's error
 * distribution does not hide it): a tail inside its own noise changes nothing, a collapse of the
 * load with little noise left is followed almost whole, and the correction grows continuously
 * with the miss. Both ways: a load well above the pattern raises the near term too. Cleaning is
 * unchanged: an outage is still not learned as the pattern; only the next hours' level follows it.
 *
 * Measured on the scaling benchmark (p80 plan, Nov 2026): nab_grok_asg cost 1.36x -> 1.14x the
 * oracle, crane_cpu_5 1.76x -> 1.46x, uk_academic shortfall 0.22 -> 0.07 % of demand; a little
 * dearer on some noisy traces (crane_cpu_1 1.39x -> 1.46x). Taking the deadband from the model's
 * error distribution instead missed grok's second day of ~0 load (its errors had absorbed the
 * drop); correcting downwards only cut cost further but raised shortfall on most traces.
 */
import { HOUR_MS, MINUTE_MS } from '../core/duration.js';
import { median } from './linalg.js';

/** How much recent observed load the correction looks at, ms. */
export const TAIL_WINDOW_MS = 30 * MINUTE_MS;
/** At least this many points in the window (coarse steps look further back). */
const MIN_TAIL_POINTS = 3;
/** Time constant with which the correction fades back to the model's forecast, ms. */
export const FADE_MS = 2 * HOUR_MS;
/** A tail median within this many standard errors of the forecast changes nothing. */
const DEADBAND_SE = 2;

/** The window, in steps of `stepMs`. */
export function tailSteps(stepMs: number): number {
  return Math.max(MIN_TAIL_POINTS, Math.round(TAIL_WINDOW_MS / stepMs));
}

/**
 * The relative level error to apply at horizon 0: the median m of (observed - forecast) / scale
 * over the tail, less the deadband of DEADBAND_SE standard errors of that median (0 inside it).
 * `truth` and `back` cover the same tail (NaN = not observed); undefined when under half of it
 * was observed.
 */
export function tailLevelError(truth: Float64Array, back: Float64Array, scaleFloor: number): number | undefined {
  const rel: number[] = [];
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    if (Number.isNaN(a)) continue;
    rel.push((a - back[i]!) / Math.max(Math.abs(back[i]!), scaleFloor));
  }
  if (rel.length * 2 < truth.length || rel.length === 0) return undefined;
  const med = median(rel);
  // Standard error of a median: 1.2533 sigma / sqrt(k), sigma estimated as 1.4826 MAD.
  const se = (1.2533 * 1.4826 * median(rel.map((r) => Math.abs(r - med)))) / Math.sqrt(rel.length);
  const lo = -DEADBAND_SE * se;
  const hi = DEADBAND_SE * se;
  return med - Math.min(hi, Math.max(lo, med));
}

/** Shifts `mean` in place by `error` (relative, at horizon 0), fading with FADE_MS. */
export function applyLevelCorrection(mean: Float64Array, error: number, scaleFloor: number, stepMs: number): void {
  if (error === 0) return;
  const decay = Math.exp(-stepMs / FADE_MS);
  let w = 1;
  for (let j = 0; j < mean.length; j++) {
    w *= decay;
    mean[j] = mean[j]! + error * w * Math.max(Math.abs(mean[j]!), scaleFloor);
  }
}

