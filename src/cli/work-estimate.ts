/**
 * How long a replay will take, estimated before it starts, so that a range of years is refused
 * (or announced) instead of running for hours without a word.
 *
 * The cost is in the refits (each fits the models on `metric.history`) and in the daily model
 * search; ticks themselves are cheap. Measured with the built bin on a 2-core machine under load
 * (CPU seconds of `prescale dry-run`, the bundled default scaler, 28 days of history):
 * worldcup98_1min over 3 and 9 days with 1-hour refits, 5.1 and 9.4 s; over 3 days with 15-minute
 * refits, 9.3 s; uk_academic_net_5min over 9 days, 10.1 s. That is ~20 ms a refit and ~0.25 s a
 * day besides, both for 28 days of history, and ~3 s to start and make the first search.
 */
import { DAY_MS, formatDuration } from '../core/duration.js';
import type { ScalerSpec } from '../config/scaler-types.js';

/** A refit of 28 days of history, s. */
const REFIT_S = 0.02;
/** Per simulated day besides the refits (the daily model search, the ticks), s. */
const DAY_S = 0.25;
/** Start-up and the first model search, s. */
const START_S = 3;
/** The history the figures above were measured with. */
const MEASURED_HISTORY_MS = 28 * DAY_MS;

/**
 * A backtest's forecast accuracy part (every model at 7 daily origins), per input, s: 8-15 s
 * CPU in the runs above.
 */
export const BACKTEST_ACCURACY_S = 10;

/** A replay or backtest longer than this is refused unless its range was asked for (--from/--to). */
export const REFUSE_OVER_S = 5 * 60;

export interface WorkEstimate {
  readonly ticks: number;
  readonly refits: number;
  readonly seconds: number;
}

/** The estimated work of replaying `spec` over [fromMs, toMs). */
export function estimateReplay(spec: Pick<ScalerSpec, 'plan' | 'forecast' | 'metric'>, fromMs: number, toMs: number): WorkEstimate {
  const span = Math.max(0, toMs - fromMs);
  const ticks = Math.ceil(span / spec.plan.tickIntervalMs);
  const refits = Math.ceil(span / Math.max(spec.forecast.refitIntervalMs, spec.plan.tickIntervalMs));
  const history = Math.max(0.25, spec.metric.historyMs / MEASURED_HISTORY_MS);
  const seconds = START_S + history * (refits * REFIT_S + (span / DAY_MS) * DAY_S);
  return { ticks, refits, seconds };
}

/** `about 42 min` / `about 40 s` / `about 3.5 h`. */
export function formatSeconds(s: number): string {
  if (s < 90) return `about ${Math.max(1, Math.round(s))} s`;
  if (s < 90 * 60) return `about ${Math.round(s / 60)} min`;
  return `about ${(s / 3600).toFixed(1)} h`;
}

/** `3465 days (4989600 ticks, 83160 refits)`. */
export function describeWork(fromMs: number, toMs: number, e: WorkEstimate): string {
  const span = Math.max(0, toMs - fromMs);
  return `${span >= 2 * DAY_MS ? `${Math.round(span / DAY_MS)} days` : formatDuration(span)} (${e.ticks} ticks, ${e.refits} refits)`;
}
