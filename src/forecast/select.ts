/**
 * The rolling-origin model search: which model, or mean of models, forecasts this very series
 * best out of sample, and the distribution of its errors by horizon behind the quantiles. Pure.
 */
import { DAY_MS } from '../core/duration.js';
import { type OriginErrors, calibrateLevels, errorDistribution, scaleByOrigin, sortErrors } from './calibrate.js';
import { bestMembers, combine, originMae } from './choose.js';
import { type Distribution, weightedDistribution } from './distribution.js';
import type { ModelName } from './model-names.js';
import type { Model, ModelContext, ModelFit } from './types.js';

/** Rolling origins the model is chosen on (at each, the errors of the other origins' choice). */
const MAX_ORIGINS = 6;
/** Fewest origins a model choice is made on (fewer: the candidates needing most history sit out). */
const MIN_SELECT_ORIGINS = 3;
/**
 * Half-life of an origin's weight in the error quantiles (and in the error scale predicted from
 * the origins, calibrate.ts scaleByOrigin), in origins (days for a 1-day horizon).
 */
const ERROR_HALF_LIFE = 5;
/**
 * Rolling origins behind the error quantiles (beyond the search's, the chosen models only): two
 * weeks of daily origins (when their errors are put on a predicted scale, the three oldest only
 * predict the scale of the newer ones).
 */
const MAX_ERROR_ORIGINS = 14;
/** Horizon buckets for the error quantiles. */
const MAX_BUCKETS = 8;
/** The model run when the history is too short to compare any: the richest that can run first. */
const FALLBACK_ORDER: readonly ModelName[] = ['mstl', 'decomposition', 'holt-winters', 'regression', 'fft', 'seasonal-naive-day', 'seasonal-naive-week'];

/**
 * The observed load at the input's step when it is finer than the working step: working point i
 * is the mean of values[i * factor .. (i + 1) * factor - 1].
 */
export interface FineLoad {
  readonly values: Float64Array;
  readonly factor: number;
}

/** The result of the model search, reusable while the series keeps its step and periods. */
export interface Selection {
  readonly models: readonly string[];
  readonly stepMs: number;
  readonly periodsMs: readonly number[];
  /**
   * Relative errors (actual - forecast) / max(|forecast|, scaleFloor) per horizon bucket, the
   * actual load at the input's step (each minute of a 1-minute series against its 5-minute
   * forecast), recent origins weighted more, each divided by the error scale predicted for its
   * origin when the origins are a day apart (calibrate.ts scaleByOrigin); multiply by `errorScale`.
   */
  readonly errorBuckets: readonly Distribution[];
  /** The error scale predicted for this forecast (1 when the errors are not scaled). */
  readonly errorScale: number;
  /** Horizon (steps) covered by each bucket. */
  readonly bucketSteps: number;
  /** Scale floor for relative errors, in load units. */
  readonly scaleFloor: number;
  /** Mean absolute error per candidate over the rolling origins (for diagnostics and reports). */
  readonly scores: ReadonlyArray<{ readonly model: string; readonly mae: number }>;
  /** Calibrated levels: quantile q of the error distribution is taken at `level` (see calibrateLevels). */
  readonly levels: ReadonlyArray<{ readonly q: number; readonly level: number }>;
  /**
   * Set on a selection reduced for reuse (engine.ts forReuse): the only quantiles its error
   * buckets can still answer.
   */
  readonly quantilesKept?: readonly number[];
  /**
   * Fitted parameters of the chosen models that have any, by model name: a refit that reuses this
   * selection runs the models with them (a new state from the new data, no new optimisation).
   */
  readonly params: Readonly<Record<string, readonly number[]>>;
}

/** What the model search runs on besides the candidates and the cleaned history. */
export interface SearchOptions {
  /** The observed load forecasts are scored against (NaN where not observed), at the working step. */
  readonly truth: Float64Array;
  readonly ctx: ModelContext;
  /** Forecast horizon, steps. */
  readonly h: number;
  /** Quantiles the error levels are calibrated for. */
  readonly quantiles: readonly number[];
  /** The load at the input's step, when finer than the working step. */
  readonly fine?: FineLoad | undefined;
}

/**
 * The rolling-origin model search. Each candidate forecasts `hEval` steps from up to MAX_ORIGINS
 * origins in the recent history; the best single model, or the mean of the best two or three
 * (forecast combination rarely loses to its parts), wins by mean absolute error. The errors
 * behind the quantiles are, at each of those origins, those of the choice the other origins would
 * have made (the winner's own would be flattered by its having won there; later origins take
 * part in that choice, as in any leave-one-out), and the winner's at older origins, with
 * parameters fitted again at the oldest of them. Errors are taken against `fine` (the load at the
 * input's step) when given, and on origins a day apart are put on the scale the origins before
 * each predicted (calibrate.ts scaleByOrigin).
 */
export function select(candidates: readonly Model[], y: Float64Array, opts: SearchOptions): Selection {
  const { truth, ctx, h } = opts;
  const n = y.length;
  const stepsPerDay = Math.max(1, Math.round(DAY_MS / ctx.stepMs));
  const hEval = Math.max(1, Math.min(h, stepsPerDay));
  const originsFor = (need: number, from = 1, to = MAX_ORIGINS): number[] => rollingOrigins(n, hEval, need, from, to);
  const compared = onSameOrigins(candidates, ctx, originsFor);
  const minNeed = Math.max(...compared.map((m) => m.minHistory(ctx)));
  const origins = originsFor(minNeed);
  const scaleFloor = Math.max(meanAbs(y) * 0.05, Number.EPSILON);
  const periodsMs = ctx.periods.map((p) => p * ctx.stepMs);

  if (origins.length === 0) return fallbackSelection(compared, y, ctx, h, scaleFloor);

  // forecasts[m][o] = model m's forecast of hEval steps from origin o.
  const evaluated = compared.map((m) => atOrigins(m, y, ctx, origins, hEval));
  const forecasts = evaluated.map((e) => e.forecasts);
  const scores = compared.map((m, i) => ({ model: m.name, mae: originMae(forecasts[i]!, origins, truth, hEval) }));

  const best = bestMembers(forecasts, origins, truth, hEval);
  // No observation at any origin (a long gap at the end): nothing to compare, as if too short.
  if (best === undefined) return fallbackSelection(compared, y, ctx, h, scaleFloor);
  const chosen = best.members.map((i) => compared[i]!);
  const errors = originErrors(truth, opts.fine, hEval, scaleFloor);
  // At the search's own origins the winner's errors are flattered by its having been chosen on
  // them: each origin's error is that of the choice the other origins would have made.
  // Where the other origins saw no load at all, the winner stands in (its errors there flattered).
  origins.forEach((o, oi) => {
    const members = bestMembers(forecasts, origins, truth, hEval, oi)?.members ?? best.members;
    errors.add(oi + 1, o, combine(members.map((m) => forecasts[m]![oi]!)));
  });
  // More origins for the error distribution than for the choice: regime changes (holidays, level
  // shifts) are rare, and two weeks of them calibrate the quantiles better than six days. The chosen
  // models' parameters are fitted again at the oldest of these origins (those of the search were
  // fitted on data that includes these origins' windows: their errors there came out too small).
  const older = originsFor(Math.max(...chosen.map((m) => m.minHistory(ctx))), origins.length + 1, MAX_ERROR_ORIGINS);
  if (older.length > 0) {
    const olderForecasts = chosen.map((m) => atOrigins(m, y, ctx, older, hEval).forecasts);
    older.forEach((o, i) => errors.add(origins.length + 1 + i, o, combine(olderForecasts.map((r) => r[i]!))));
  }
  // The size of errors changes from day to day (a tournament ends, a noisy week passes): on
  // origins a whole day apart, each origin's errors are put on the scale the origins before it
  // predicted. Shorter windows cover different hours of the day, whose errors differ in size.
  const scaled = hEval === stepsPerDay ? scaleByOrigin(errors.runs) : undefined;
  const sorted = (scaled?.buckets ?? errors.runs).map(sortErrors);
  return {
    models: chosen.map((m) => m.name),
    stepMs: ctx.stepMs,
    periodsMs,
    errorBuckets: sorted.map(errorDistribution),
    errorScale: scaled?.scale ?? 1,
    levels: calibrateLevels(opts.quantiles, sorted),
    bucketSteps: errors.bucketSteps,
    scaleFloor,
    scores,
    params: paramsOf(chosen, best.members.map((i) => evaluated[i]!)),
  };
}

/** Origins k = from..to (1 = the most recent) `hEval` steps apart, as far back as `need` steps of history allow. */
function rollingOrigins(n: number, hEval: number, need: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k <= to && n - k * hEval >= need; k++) out.push(n - k * hEval);
  return out;
}

/**
 * The candidates compared on the same origins: the most demanding ones drop out until at least
 * MIN_SELECT_ORIGINS origins have history enough for all that remain (or one is left).
 */
function onSameOrigins(candidates: readonly Model[], ctx: ModelContext, originsFor: (need: number) => number[]): Model[] {
  const byNeed = [...candidates].sort((a, b) => a.minHistory(ctx) - b.minHistory(ctx));
  while (byNeed.length > 1 && originsFor(byNeed[byNeed.length - 1]!.minHistory(ctx)).length < MIN_SELECT_ORIGINS) byNeed.pop();
  return candidates.filter((m) => byNeed.includes(m));
}

/**
 * The relative errors of forecasts from rolling origins, by horizon bucket (Selection.errorBuckets
 * before scaling). Errors are taken against the load at the input's step when it is finer than the
 * working step: a p90 must cover the minutes, not only the 5-minute means the models fit.
 */
function originErrors(truth: Float64Array, fine: FineLoad | undefined, hEval: number, scaleFloor: number): { runs: OriginErrors[][]; bucketSteps: number; add(k: number, o: number, f: Float64Array): void } {
  const n = truth.length;
  const buckets = Math.min(MAX_BUCKETS, hEval);
  const bucketSteps = Math.ceil(hEval / buckets);
  const runs: OriginErrors[][] = Array.from({ length: buckets }, () => []);
  const factor = fine?.factor ?? 1;
  const observed = fine?.values ?? truth;
  // Origin k (1 = the most recent) weighs 2^-((k-1)/ERROR_HALF_LIFE): the quantiles follow the
  // volatility of late, while a regime change two weeks back still counts.
  const add = (k: number, o: number, f: Float64Array): void => {
    const w = 2 ** (-(k - 1) / ERROR_HALF_LIFE);
    const values: number[][] = Array.from({ length: buckets }, () => []);
    for (let j = 0; j < hEval && o + j < n; j++) {
      if (Number.isNaN(truth[o + j]!)) continue; // a gap or a user-excluded window
      const b = Math.floor(j / bucketSteps);
      const scale = Math.max(Math.abs(f[j]!), scaleFloor);
      for (let i = (o + j) * factor, end = i + factor; i < end; i++) {
        const a = observed[i]!;
        const e = (a - f[j]!) / scale;
        if (Number.isFinite(e)) values[b]!.push(e); // a missing minute (or a model's NaN) has none
      }
    }
    values.forEach((v, b) => {
      if (v.length > 0) runs[b]!.push({ origin: k, weight: w, values: Float64Array.from(v) });
    });
  };
  return { runs, bucketSteps, add };
}

/**
 * Model m's forecasts of `h` steps from each origin (undefined where it lacks history). Its
 * parameters are fitted at the oldest origin it can run from and reused at the newer ones: fitted
 * on data before every evaluated window, and one optimisation instead of one per origin.
 */
function atOrigins(m: Model, y: Float64Array, ctx: ModelContext, origins: readonly number[], h: number): { forecasts: Array<Float64Array | undefined>; params?: readonly number[] } {
  const forecasts: Array<Float64Array | undefined> = origins.map(() => undefined);
  let params: readonly number[] | undefined;
  for (let oi = origins.length - 1; oi >= 0; oi--) {
    const o = origins[oi]!;
    if (m.minHistory(ctx) > o) continue;
    const r = runModel(m, y.subarray(0, o), h, withParams(ctx, params, false));
    params ??= r.params;
    forecasts[oi] = r.forecast;
  }
  return params === undefined ? { forecasts } : { forecasts, params };
}

/** Model m's forecast of `h` steps after `y`, with its parameters when it fits any. */
export function runModel(m: Model, y: Float64Array, h: number, ctx: ModelContext): ModelFit {
  return m.fit ? m.fit(y, h, ctx) : { forecast: m.forecast(y, h, ctx) };
}

/** The context with parameters fitted earlier (ModelContext.params), run as they are or, with `refine`, refined. */
export function withParams(ctx: ModelContext, params: readonly number[] | undefined, refine: boolean): ModelContext {
  return params === undefined ? ctx : { ...ctx, params, refine };
}

/** The fitted parameters of the models that have any, by model name (Selection.params). */
export function paramsOf(models: readonly Model[], fits: ReadonlyArray<{ readonly params?: readonly number[] | undefined }>): Record<string, readonly number[]> {
  const out: Record<string, readonly number[]> = {};
  models.forEach((m, i) => {
    const p = fits[i]!.params;
    if (p !== undefined) out[m.name] = p;
  });
  return out;
}

/**
 * Too short (or too empty) to evaluate out of sample: prefer the richest model that can run, and
 * take the error distribution from the in-sample seasonal-naive differences (wide, but honest).
 */
function fallbackSelection(candidates: readonly Model[], y: Float64Array, ctx: ModelContext, h: number, scaleFloor: number): Selection {
  const model = preferredFallback(candidates);
  const lag = ctx.periods[0] ?? 1;
  const errs: number[] = [];
  for (let i = lag; i < y.length; i++) errs.push((y[i]! - y[i - lag]!) / Math.max(Math.abs(y[i - lag]!), scaleFloor));
  const dist = weightedDistribution(errs, errs.map(() => 1));
  const periodsMs = ctx.periods.map((p) => p * ctx.stepMs);
  return { models: [model.name], stepMs: ctx.stepMs, periodsMs, errorBuckets: [dist], errorScale: 1, bucketSteps: h, scaleFloor, scores: [], levels: [], params: {} };
}

function preferredFallback(candidates: readonly Model[]): Model {
  const order: readonly string[] = FALLBACK_ORDER;
  return [...candidates].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))[0]!;
}

function meanAbs(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i]!);
  return y.length === 0 ? 0 : s / y.length;
}
