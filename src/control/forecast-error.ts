/**
 * The live forecast error a scaler shows in status: the forecasts the loop made (each refit's mean
 * over the interval it was in force) against the load that came, over the last day. Pure.
 */
import { DAY_MS } from '../core/duration.js';
import { meanInRange, type Series } from '../core/series.js';
import type { Forecast } from '../forecast/engine.js';
import { mase, smape } from '../forecast/accuracy.js';

/** The window the error is measured over. */
export const ERROR_WINDOW_MS = DAY_MS;

/** Forecast means in force, at the forecast's working step, oldest first. */
export interface ForecastLog {
  readonly stepMs: number;
  readonly points: ReadonlyArray<{ readonly atMs: number; readonly mean: number }>;
}

export interface ForecastError {
  /**
   * Mean absolute scaled error: the forecasts' MAE over the window divided by the MAE that "the
   * same time yesterday" made over the same points, both against the observed load (so a spike
   * counts against both alike); undefined where no point has an observation a day before it.
   * Below 1: better than a copy of yesterday.
   */
  readonly mase?: number;
  /** Symmetric MAPE, percent (0..200). */
  readonly smape: number;
  readonly windowStartMs: number;
  /** Forecast points with an observed load behind the figures. */
  readonly points: number;
}

/** Adds the forecast's mean over [fromMs, toMs) (the interval it is in force) and drops what left the window. */
export function logForecast(log: ForecastLog | undefined, f: Forecast, fromMs: number, toMs: number): ForecastLog {
  const kept = log && log.stepMs === f.stepMs ? log.points.filter((p) => p.atMs >= toMs - ERROR_WINDOW_MS && p.atMs < fromMs) : [];
  const added: Array<{ atMs: number; mean: number }> = [];
  for (let i = 0; i < f.mean.length; i++) {
    const atMs = f.startMs + i * f.stepMs;
    if (atMs >= fromMs && atMs < toMs) added.push({ atMs, mean: f.mean[i]! });
  }
  return { stepMs: f.stepMs, points: [...kept, ...added] };
}

/**
 * The logged forecasts against `observed` (the raw history, averaged to the log's step) over the
 * window ending at nowMs; undefined when no logged point has an observation yet.
 */
export function forecastError(log: ForecastLog | undefined, observed: Series, nowMs: number): ForecastError | undefined {
  if (!log) return undefined;
  const windowStartMs = nowMs - ERROR_WINDOW_MS;
  const actual: number[] = [];
  const predicted: number[] = [];
  let naiveSum = 0;
  let naiveN = 0;
  for (const p of log.points) {
    if (p.atMs < windowStartMs || p.atMs + log.stepMs > nowMs) continue;
    const a = meanInRange(observed, p.atMs, p.atMs + log.stepMs);
    if (a === undefined) continue;
    actual.push(a);
    predicted.push(p.mean);
    const before = meanInRange(observed, p.atMs - DAY_MS, p.atMs - DAY_MS + log.stepMs);
    if (before !== undefined) {
      naiveSum += Math.abs(a - before);
      naiveN++;
    }
  }
  if (actual.length === 0) return undefined;
  const scale = naiveN > 0 ? naiveSum / naiveN : NaN;
  // A load that repeats to rounding error has no naive error to scale by.
  const level = actual.reduce((sum, v) => sum + Math.abs(v), 0) / actual.length;
  const m = Number.isFinite(scale) && scale > 1e-9 * Math.max(level, 1e-9) ? mase(actual, predicted, scale) : NaN;
  return { ...(Number.isFinite(m) ? { mase: m } : {}), smape: smape(actual, predicted), windowStartMs, points: actual.length };
}
