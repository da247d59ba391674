/**
 * Forecast accuracy by rolling origin (DESIGN.md "Scoring"): origins one day apart at the end of
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

/** Up to `count` origins one day apart ending at the end of the series, each with a whole day ahead. */
export function rollingOrigins(series: Series, count: number, historyDays: number): Origin[] {
  const day = Math.round(DAY_MS / series.stepMs);
  const out: Origin[] = [];
  for (let k = count; k >= 1; k--) {
    const at = series.values.length - k * day;
    if (at < day) continue; // less than a day of history before this origin
    const from = Math.max(0, at - historyDays * day);
    const values = series.values.slice(from, at);
    const season = periodsInSteps(detectSeasonality(values, series.stepMs).periodsMs, series.stepMs)[0] ?? 1;
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

/** prescale's forecast with `model` at every origin, on the native grid, scored. */
export function scoreModel(model: string, os: readonly Origin[], quantile: number): AccuracyScore {
  const t0 = performance.now();
  const means: Float64Array[] = [];
  const uppers: Float64Array[] = [];
  for (const o of os) {
    const n = o.actual.length;
    const step = o.history.stepMs;
    const f = forecastSeries(o.history, { horizonMs: n * step + 2 * step, model, quantiles: [quantile] });
    if (f.kind !== 'forecast') return { method: model, mase: NaN, smape: NaN, coverage: null, seconds: 0 };
    const outStart = o.history.startMs + o.history.values.length * step;
    const anchor = f.history.values[f.history.values.length - 1];
    const grid = (values: Float64Array) => onGrid({ startMs: f.startMs, stepMs: f.stepMs, values }, outStart, step, n, anchor);
    means.push(grid(f.mean));
    uppers.push(grid(f.quantiles[0]!.values));
  }
  return scoreOrigins(model, os, means, uppers, (performance.now() - t0) / 1000 / os.length);
}
