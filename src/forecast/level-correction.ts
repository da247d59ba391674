/**
 * Near-term level correction. Pure.
 *
 * A model fitted on weeks of history (and on history cleaned of outages) can be far off the level
 * the load has had for the last half hour: a burst has just ended, the load collapsed and stays
 * down (nab_grok_asg_cpu_5min's last two days, crane_cpu_5 after its night bursts), or it runs
 * well above the pattern. Planning from such a forecast holds a floor of 20 replicas for 5 of
 * need for hours, until the next model search. The correction compares the last TAIL_WINDOW_MS
 * of observed load with what the models forecast for that window (the engine runs them from
 * just before the window, with the selection's parameters), and shifts the
 * forecast by the median miss, in load units, fading with time constant FADE_MS: the near term
 * follows the load and the later hours return to the pattern.
 *
 * Only the part of the median miss beyond DEADBAND_SE standard errors of that median is applied
 * (the spread measured on the tail itself, so a regime change that has widened the model's error
 * distribution does not hide it): a tail inside its own noise changes nothing, a collapse of the
 * load with little noise left is followed almost whole, and the correction grows continuously
 * with the miss. In load units, so a load of 20 above a forecast of ~0 adds ~20, never a multiple
 * of the forecast. Both ways: a load above the pattern is the next ramp's starting point. Cleaning
 * is unchanged: an outage is still not learned as the pattern; only the next hours follow it.
 *
 * Measured on the scaling benchmark (p80 plan; BENCHMARKS.md): nab_grok_asg cost 1.34x
 * -> 1.12x the oracle, crane_cpu_5 1.76x -> 1.53x, uk_academic shortfall 0.22 -> 0.09 % of demand;
 * dearer on some noisy traces (crane_cpu_1 1.39x -> 1.47x). Taking the deadband from the model's
 * error distribution instead missed grok's second day of ~0 load (its errors had absorbed the
 * drop); correcting downwards only cut cost further but raised shortfall on most traces.
 */
import { HOUR_MS, MINUTE_MS, formatDuration } from '../core/duration.js';
import { MAD_TO_SIGMA, mad, median } from './median.js';

/** How much recent observed load the correction looks at, ms. */
export const TAIL_WINDOW_MS = 30 * MINUTE_MS;
/** At least this many points in the window (coarse steps look further back). */
const MIN_TAIL_POINTS = 3;
/** Time constant with which the correction fades back to the model's forecast, ms. */
export const FADE_MS = 2 * HOUR_MS;
/** A tail median within this many standard errors of the forecast changes nothing. */
const DEADBAND_SE = 2;
/** Standard error of a sample median is ~1.2533 sigma / sqrt(k) (normal data). */
const MEDIAN_SE = 1.2533;

/** The window, in steps of `stepMs`. */
export function tailSteps(stepMs: number): number {
  return Math.max(MIN_TAIL_POINTS, Math.round(TAIL_WINDOW_MS / stepMs));
}

export interface LevelShift {
  /** Load units to add at horizon 0 (0: none). */
  readonly shift: number;
  /** The shift relative to the forecast's level over the tail (for messages). */
  readonly relative: number;
}

/**
 * The shift to apply: the median of observed - forecast over the tail, less the deadband of
 * DEADBAND_SE standard errors of that median (0 inside it). `truth` and `back` cover the same
 * tail (NaN = not observed); undefined when under half of it was observed or the forecast is not
 * finite there.
 */
export function tailLevelShift(truth: Float64Array, back: Float64Array, scaleFloor: number): LevelShift | undefined {
  const diff: number[] = [];
  let level = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = truth[i]!;
    const f = back[i]!;
    if (!Number.isFinite(f)) return undefined;
    level += Math.abs(f);
    if (!Number.isNaN(a)) diff.push(a - f);
  }
  if (diff.length === 0 || diff.length * 2 < truth.length) return undefined;
  const med = median(diff);
  const se = (MEDIAN_SE * MAD_TO_SIGMA * mad(diff, med)) / Math.sqrt(diff.length);
  const shift = med - Math.min(DEADBAND_SE * se, Math.max(-DEADBAND_SE * se, med));
  return { shift, relative: shift / Math.max(level / truth.length, scaleFloor) };
}

/**
 * A forecast's level correction for people, e.g. `-72% towards the last 30m of load`; undefined
 * when it rounds to less than `minPct` percent. `relative` is Forecast.levelCorrection.
 */
export function describeLevelShift(relative: number, stepMs: number, minPct: number): string | undefined {
  const pct = Math.round(100 * relative);
  if (Math.abs(pct) < Math.max(1, minPct)) return undefined;
  return `${pct > 0 ? '+' : ''}${pct}% towards the last ${formatDuration(tailSteps(stepMs) * stepMs)} of load`;
}

/** Adds `shift` (load units, at horizon 0) to `mean` in place, fading with FADE_MS. */
export function applyLevelShift(mean: Float64Array, shift: number, stepMs: number): void {
  if (shift === 0) return;
  const decay = Math.exp(-stepMs / FADE_MS);
  let w = 1;
  for (let j = 0; j < mean.length; j++) {
    w *= decay;
    mean[j] = mean[j]! + shift * w;
  }
}
