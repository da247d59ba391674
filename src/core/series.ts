/**
 * A regular time series: value i is the load at `startMs + i * stepMs`.
 * Missing samples are NaN (gaps are never zeros). All times are epoch milliseconds, UTC.
 */
export interface Series {
  readonly startMs: number;
  readonly stepMs: number;
  readonly values: Float64Array;
}

/** Raw samples as read from a file or an API, sorted by time, before resampling. */
export interface Samples {
  readonly timesMs: number[];
  readonly values: number[];
}

export const seriesEndMs = (s: Series): number => s.startMs + (s.values.length - 1) * s.stepMs;

/** The sub-series covering [fromMs, toMs) on the same grid (clipped to what exists). */
export function sliceByTime(s: Series, fromMs: number, toMs: number): Series {
  const a = Math.max(0, Math.ceil((fromMs - s.startMs) / s.stepMs));
  const b = Math.min(s.values.length, Math.ceil((toMs - s.startMs) / s.stepMs));
  return { startMs: s.startMs + a * s.stepMs, stepMs: s.stepMs, values: s.values.slice(a, Math.max(a, b)) };
}

export function countPresent(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++;
  return n;
}

/** Mean of the finite values of `s` at times in [fromMs, toMs), or undefined when there are none. */
export function meanInRange(s: Series, fromMs: number, toMs: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, Math.ceil((fromMs - s.startMs) / s.stepMs)); i < s.values.length && s.startMs + i * s.stepMs < toMs; i++) {
    const v = s.values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? undefined : sum / n;
}
