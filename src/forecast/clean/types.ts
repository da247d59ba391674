/** The vocabulary of the cleaning (index.ts): what it takes, what it returns, how points are flagged. */

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

/** [from, to) index range. */
export type Run = [number, number];

/** The series being cleaned: its values, which of them are usable for fitting, and each point's CleanFlag. */
export interface Points {
  readonly values: Float64Array;
  readonly usable: Uint8Array;
  readonly flags: Uint8Array;
}
