/**
 * Forecast accuracy by rolling origin (docs/architecture.md, "Scoring"): origins one day apart at the end of
 * the series, horizon one day, history up to `historyDays` before each origin, native step.
 * MASE is scaled by the in-sample seasonal-naive error at the shortest detected season (lag 1 when
 * none); sMAPE in percent; quantile coverage pooled over the origins.
 */
import { DAY_MS } from '../core/duration.js';
import type { Series } from '../core/series.js';
import { coverage, mae, seasonalNaiveScale, smape } from '../forecast/accuracy.js';
import { forecastSeries } from '../forecast/engine.js';
import { onGrid } from '../forecast/grid.js';
import { detectSeasonality, periodsInSteps } from '../forecast/seasonality.js';

export interface Origin {
  readonly history: Series;
  readonly actual: Float64Array;
  /** MASE denominator. */
  readonly scale: number;
}

export interface AccuracyScore {
  readonly method: string;
  readonly mase: number;
  readonly smape: number;
  readonly coverage: number | null;
  /** Mean seconds per origin. */
  readonly seconds: number;
}

/**
 * Up to `count` origins one day apart ending at the end of the series, each with a whole day ahead.
 * The MASE season is detected once, on the longest history (the last origin's), so every origin
 * is scaled alike.
 */
export function rollingOrigins(series: Series, count: number, historyDays: number): Origin[] {
  const day = Math.round(DAY_MS / series.stepMs);
  const out: Origin[] = [];
  const lastAt = series.values.length - day;
  const longest = series.values.subarray(Math.max(0, lastAt - historyDays * day), Math.max(0, lastAt));
  const season = periodsInSteps(detectSeasonality(longest, series.stepMs).periodsMs, series.stepMs)[0] ?? 1;
  for (let k = count; k >= 1; k--) {
    const at = series.values.length - k * day;
    if (at < day) continue; // less than a day of history before this origin
    const from = Math.max(0, at - historyDays * day);
    const values = series.values.slice(from, at);
    out.push({
      history: { startMs: series.startMs + from * series.stepMs, stepMs: series.stepMs, values },
      actual: series.values.slice(at, at + day),
      scale: seasonalNaiveScale(values, season),
    });
  }
  return out;
}

/** Scores forecasts made at each origin (`means[i]`, and `uppers[i]` for coverage). */
export function scoreOrigins(method: string, os: readonly Origin[], means: Float64Array[], uppers: Float64Array[] | null, seconds: number): AccuracyScore {
  let maseSum = 0;
  let smapeSum = 0;
  const actual: number[] = [];
  const upper: number[] = [];
  os.forEach((o, i) => {
    maseSum += mae(o.actual, means[i]!) / o.scale;
    smapeSum += smape(o.actual, means[i]!);
    if (uppers) {
      actual.push(...o.actual);
      upper.push(...uppers[i]!);
    }
  });
  return { method, mase: maseSum / os.length, smape: smapeSum / os.length, coverage: uppers ? coverage(actual, upper) : null, seconds };
}

/**
 * prescale's forecast with `model` at every origin, on the native grid, scored over the origins
 * with enough history for it (`origins` says how many).
 */
export function scoreModel(model: string, all: readonly Origin[], quantile: number): AccuracyScore & { origins: number } {
  const t0 = performance.now();
  const means: Float64Array[] = [];
  const uppers: Float64Array[] = [];
  const os: Origin[] = [];
  for (const o of all) {
    const n = o.actual.length;
    const step = o.history.stepMs;
    const f = forecastSeries(o.history, { horizonMs: n * step + 2 * step, model, quantiles: [quantile] });
    if (f.kind !== 'forecast') continue;
    os.push(o);
    const outStart = o.history.startMs + o.history.values.length * step;
    const anchor = f.history.values[f.history.values.length - 1];
    const grid = (values: Float64Array) => onGrid({ startMs: f.startMs, stepMs: f.stepMs, values }, outStart, step, n, anchor);
    means.push(grid(f.mean));
    uppers.push(grid(f.quantiles[0]!.values));
  }
  if (os.length === 0) return { method: model, mase: NaN, smape: NaN, coverage: null, seconds: 0, origins: 0 };
  return { ...scoreOrigins(model, os, means, uppers, (performance.now() - t0) / 1000 / os.length), origins: os.length };
}
