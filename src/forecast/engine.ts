/**
 * The forecast engine: history in, mean and quantile forecasts out. Pure.
 *
 *   trim history -> working resolution -> detect seasonality -> clean -> evaluate models on
 *   rolling origins of this very series -> choose a model or a combination -> fit on all of it
 *   -> quantiles from out-of-sample errors by horizon (at the search origins, those of the choice
 *   the other origins would have made).
 *
 * The evaluation (model choice and error quantiles) can be reused between refits through
 * `ForecastOutcome.selection`, so a control loop that refits every few hours does not pay for a
 * full model search each time.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, formatDuration } from '../core/duration.js';
import type { Series } from '../core/series.js';
import { countPresent } from '../core/series.js';
import { type OriginErrors, calibrateLevels, errorDistribution, scaleByOrigin, sortErrors } from './calibrate.js';
import { bestMembers, combine, originMae } from './choose.js';
import { type Distribution, distributionQuantile, weightedDistribution } from './distribution.js';
import { CleanFlag, cleanSeries } from './clean.js';
import { applyLevelShift, type LevelShift, tailLevelShift, tailSteps } from './level-correction.js';
import { allModels } from './registry.js';
import { detectSeasonality, periodsInSteps } from './seasonality.js';
import { type Envelope, clipTo, envelopeOf, excess, upperAt } from './envelope.js';
import type { InsufficientHistory, Model, ModelContext, ModelFit } from './types.js';

const EXCLUDED_FLAG = CleanFlag.excluded;

/** Less history than this cannot be forecast at all (half a day: not even a level is reliable). */
export const MIN_HISTORY_MS = 12 * HOUR_MS;
/** History beyond this is not used (five weeks: enough for weekly cycles and their change). */
export const DEFAULT_MAX_HISTORY_MS = 35 * DAY_MS;
/** Models fit at no finer than this step; finer input is averaged (1-minute noise is not forecastable). */
export const DEFAULT_WORKING_STEP_MS = 5 * MINUTE_MS;
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

/**
 * The observed load at the input's step when it is finer than the working step: working point i
 * is the mean of values[i * factor .. (i + 1) * factor - 1].
 */
export interface FineLoad {
  readonly values: Float64Array;
  readonly factor: number;
}

export interface ExcludedWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ForecastOptions {
  readonly horizonMs: number;
  /** A model name from the registry, or `auto` (default). */
  readonly model?: string;
  /** Quantiles to produce, each in (0, 1). */
  readonly quantiles?: readonly number[];
  /** Windows of history to ignore (holidays, incidents, load tests). */
  readonly excluded?: readonly ExcludedWindow[];
  /** Seasonal periods to use instead of detecting them. */
  readonly seasonalitiesMs?: readonly number[];
  readonly maxHistoryMs?: number;
  /** Finest step models fit at (default 5 min). */
  readonly workingStepMs?: number;
  /** A previous outcome's selection to reuse (skips the model search when still compatible). */
  readonly reuse?: Selection;
  /**
   * Shift the near term by how far the last 30 minutes of observed load sit from the model's
   * forecast for them (level-correction.ts). Default true.
   */
  readonly levelCorrection?: boolean;
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
   * Fitted parameters of the chosen models that have any, by model name: a refit that reuses this
   * selection runs the models with them (a new state from the new data, no new optimisation).
   */
  readonly params: Readonly<Record<string, readonly number[]>>;
}

export interface Forecast {
  readonly kind: 'forecast';
  /** Time of the first forecast point (one working step after the last history point). */
  readonly startMs: number;
  readonly stepMs: number;
  readonly mean: Float64Array;
  /** One array per requested quantile, in the order requested. */
  readonly quantiles: ReadonlyArray<{ readonly q: number; readonly values: Float64Array }>;
  /** `holt-winters`, or `mstl+fft` for a combination. */
  readonly model: string;
  readonly periodsMs: readonly number[];
  readonly selection: Selection;
  readonly cleaned: { readonly gaps: number; readonly outliers: number; readonly outages: number; readonly excluded: number };
  /**
   * The level correction (level-correction.ts) relative to the forecast's level over the last 30
   * minutes: e.g. -0.7 when the near term was shifted down by 70% of it (fading over the next
   * hours); 0 when there was none.
   */
  readonly levelCorrection: number;
  /** The models' mean forecast before the level correction. */
  readonly modelMean: Float64Array;
  /** The cleaned history at the working step, ending one step before `startMs`. */
  readonly history: Series;
  /**
   * Present when the forecast was kept inside what its history supports (envelope.ts): the chosen
   * models dropped (with how far out they went, a ratio to the bound), the seasonal naive that took
   * over when none was left, how many mean and band points were clipped, and the bound at the end.
   */
  readonly envelope?: {
    readonly dropped: ReadonlyArray<{ readonly model: string; readonly excess: number }>;
    readonly fallback?: string;
    readonly clippedMean: number;
    readonly clippedBands: number;
    readonly upper: number;
  };
}

export type ForecastOutcome = Forecast | InsufficientHistory;

export function forecastSeries(series: Series, opts: ForecastOptions): ForecastOutcome {
  const maxHistoryMs = opts.maxHistoryMs ?? DEFAULT_MAX_HISTORY_MS;
  const trimmed = trimHistory(series, maxHistoryMs);
  const working = toWorkingResolution(trimmed, opts.workingStepMs ?? DEFAULT_WORKING_STEP_MS);
  const short = checkHistory(working);
  if (short) return short;
  return forecastWorking(working, opts, fineLoad(trimmed, working), envelopeOf(observedOnly(trimmed, opts.excluded), trimmed.stepMs, working.stepMs));
}

/** The series' values with user-excluded windows as gaps (a load test does not widen the envelope). */
function observedOnly(s: Series, excluded: readonly ExcludedWindow[] | undefined): Float64Array {
  if (!excluded || excluded.length === 0) return s.values;
  const values = s.values.slice();
  for (const w of excluded ?? []) {
    const from = Math.max(0, Math.ceil((w.fromMs - s.startMs) / s.stepMs));
    const to = Math.min(values.length, Math.ceil((w.toMs - s.startMs) / s.stepMs));
    if (to > from) values.fill(NaN, from, to);
  }
  return values;
}

/** The observed load at the input's step, aligned with the working grid (see FineLoad). */
export function fineLoad(input: Series, working: Series): FineLoad | undefined {
  const factor = working.stepMs / input.stepMs;
  if (factor <= 1) return undefined;
  const used = working.values.length * factor;
  return { values: input.values.subarray(input.values.length - used), factor };
}

/** forecastSeries on history already at the working resolution and long enough. */
function forecastWorking(working: Series, opts: ForecastOptions, fine?: FineLoad, envelope?: Envelope): ForecastOutcome {
  // A reused selection brings its periods: detection runs with the model search. (If the selection
  // then cannot be reused after all, the whole forecast runs again without it, below.)
  const spanMs = working.values.length * working.stepMs;
  const reusePeriods = !opts.seasonalitiesMs && opts.reuse !== undefined && opts.reuse.stepMs === working.stepMs;
  const detected = opts.seasonalitiesMs
    ? opts.seasonalitiesMs.filter((p) => p * 2 <= spanMs)
    : reusePeriods
      ? opts.reuse!.periodsMs.filter((p) => p * 2 <= spanMs)
      : detectSeasonality(working.values, working.stepMs).periodsMs;
  const periods = periodsInSteps(detected, working.stepMs).filter((p) => p >= 2);
  const periodsMs = periods.map((p) => p * working.stepMs);
  const ctx: ModelContext = { stepMs: working.stepMs, startMs: working.startMs, periods };
  const clean = cleanSeries(working.values, ctx, { excluded: opts.excluded ? [...opts.excluded] : [] });
  const y = clean.values;
  const h = Math.max(1, Math.ceil(opts.horizonMs / working.stepMs));

  const candidates = chooseCandidates(opts.model ?? 'auto', ctx, y.length);
  if ('kind' in candidates) return candidates;

  const reusable =
    opts.reuse && compatible(opts.reuse, ctx, periodsMs) && opts.reuse.models.every((name) => candidates.some((m) => m.name === name)) ? opts.reuse : undefined;
  if (reusePeriods && !reusable) {
    const { reuse: _stale, ...fresh } = opts;
    return forecastWorking(working, fresh, fine, envelope);
  }
  const truth = observedLoad(working.values, clean.flags);
  const found = reusable ?? select(candidates, y, truth, ctx, h, opts.quantiles ?? [], fine);
  const chosen = candidates.filter((m) => found.models.includes(m.name));
  // A new search's parameters are refined on the whole history; a reused selection's are used as they are.
  const fits = chosen.map((m) => runModel(m, y, h, withParams(ctx, found.params[m.name], !reusable)));
  const selection: Selection = reusable ?? { ...found, params: paramsOf(chosen, fits) };
  // Members whose forecast leaves what the history supports sit this refit out (envelope.ts).
  const sane = keepSane(chosen, fits, y, h, ctx, envelope);
  const mean = combine(sane.fits.map((f) => f.forecast));
  const modelMean = mean.slice();
  const level = opts.levelCorrection === false ? undefined : nearTermLevelShift(sane.models, y, truth, ctx, selection);
  applyLevelShift(mean, level?.shift ?? 0, working.stepMs);
  const levelCorrection = level?.relative ?? 0;
  const nonNegative = allNonNegative(y);
  if (nonNegative) clampAtZero(mean);
  const clipped = envelope ? clipTo(envelope, mean) : 0;
  const quantiles = quantileForecasts(mean, opts.quantiles ?? [], selection, nonNegative);
  // The bands are bounded likewise (clipping is monotone, so quantiles stay ordered).
  let bandsClipped = 0;
  if (envelope) for (const q of quantiles) bandsClipped += clipTo(envelope, q.values);
  const startMs = working.startMs + working.values.length * working.stepMs;
  return {
    kind: 'forecast',
    startMs,
    stepMs: working.stepMs,
    mean,
    quantiles,
    model: sane.models.map((m) => m.name).join('+'),
    periodsMs,
    selection,
    cleaned: clean.counts,
    levelCorrection,
    modelMean,
    history: { startMs: working.startMs, stepMs: working.stepMs, values: y },
    ...(envelope && (sane.dropped.length > 0 || clipped + bandsClipped > 0)
      ? { envelope: { dropped: sane.dropped, ...(sane.fallback ? { fallback: sane.fallback } : {}), clippedMean: clipped, clippedBands: bandsClipped, upper: upperAt(envelope, h - 1) } }
      : {}),
  };
}

/** A mean forecast more than this far outside the envelope (ratio to the bound) drops its model; less is clipped. */
const DROP_EXCESS = 1.1;
/** What takes over when every chosen model left the envelope: the same time a week (else a day) before. */
const FALLBACKS = ['seasonal-naive-week', 'seasonal-naive-day'];

/** The chosen models and fits that stay inside the envelope, and the ones dropped with how far out they went. */
function keepSane(
  chosen: readonly Model[],
  fits: readonly ModelFit[],
  y: Float64Array,
  h: number,
  ctx: ModelContext,
  envelope: Envelope | undefined,
): { models: Model[]; fits: ModelFit[]; dropped: Array<{ model: string; excess: number }>; fallback?: string } {
  if (!envelope) return { models: [...chosen], fits: [...fits], dropped: [] };
  const models: Model[] = [];
  const kept: ModelFit[] = [];
  const dropped: Array<{ model: string; excess: number }> = [];
  chosen.forEach((m, i) => {
    const x = excess(envelope, fits[i]!.forecast);
    if (x > DROP_EXCESS) dropped.push({ model: m.name, excess: x });
    else {
      models.push(m);
      kept.push(fits[i]!);
    }
  });
  if (models.length > 0) return { models, fits: kept, dropped };
  const all = allModels();
  const fallback = FALLBACKS.map((name) => all.find((m) => m.name === name)).find((m) => m !== undefined && m.minHistory(ctx) <= y.length);
  if (!fallback) return { models: [...chosen], fits: [...fits], dropped: [] }; // nothing safer to run: clipped below
  return { models: [fallback], fits: [runModel(fallback, y, h, ctx)], dropped, fallback: fallback.name };
}

/**
 * The level shift for the near term (level-correction.ts): the observed load over the last
 * TAIL_WINDOW_MS against what the chosen models, with the selection's parameters, forecast for it
 * from just before it. Undefined when there is too little history or data.
 */
function nearTermLevelShift(chosen: readonly Model[], y: Float64Array, truth: Float64Array, ctx: ModelContext, sel: Selection): LevelShift | undefined {
  const k = tailSteps(ctx.stepMs);
  const o = y.length - k;
  if (o <= 0 || chosen.some((m) => m.minHistory(ctx) > o)) return undefined;
  const back = combine(chosen.map((m) => runModel(m, y.subarray(0, o), k, withParams(ctx, sel.params[m.name], false)).forecast));
  return tailLevelShift(truth.subarray(o), back, sel.scaleFloor);
}

/**
 * What forecasts are scored against: the observed load (spikes and outages included, since the
 * plan must cover them), except gaps and user-excluded windows. Plain loops here and below: a
 * control loop runs them at every refit.
 */
function observedLoad(values: Float64Array, flags: Uint8Array): Float64Array {
  const truth = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) truth[i] = flags[i] === EXCLUDED_FLAG ? NaN : values[i]!;
  return truth;
}

function allNonNegative(y: Float64Array): boolean {
  for (let i = 0; i < y.length; i++) if (!(y[i]! >= 0)) return false;
  return true;
}

/** Keeps the last `maxHistoryMs` of the series. */
function trimHistory(s: Series, maxHistoryMs: number): Series {
  const keep = Math.max(1, Math.floor(maxHistoryMs / s.stepMs));
  if (s.values.length <= keep) return s;
  const drop = s.values.length - keep;
  return { startMs: s.startMs + drop * s.stepMs, stepMs: s.stepMs, values: s.values.subarray(drop) };
}

/**
 * Averages a fine series into buckets of the working step, aligned so the last bucket ends with
 * the last sample (a partial bucket at the start is dropped, never at the end).
 */
export function toWorkingResolution(s: Series, workingStepMs: number): Series {
  const factor = Math.max(1, Math.floor(workingStepMs / s.stepMs));
  if (factor === 1) return s;
  const n = Math.floor(s.values.length / factor);
  const offset = s.values.length - n * factor;
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let sum = 0;
    let c = 0;
    for (let i = offset + b * factor, end = i + factor; i < end; i++) {
      const v = s.values[i]!;
      if (!Number.isNaN(v)) {
        sum += v;
        c++;
      }
    }
    out[b] = c === 0 ? NaN : sum / c;
  }
  return { startMs: s.startMs + offset * s.stepMs, stepMs: s.stepMs * factor, values: out };
}

function checkHistory(s: Series): InsufficientHistory | undefined {
  let first = -1;
  let last = -1;
  for (let i = 0; i < s.values.length; i++) {
    if (Number.isNaN(s.values[i]!)) continue;
    if (first < 0) first = i;
    last = i;
  }
  const haveMs = first < 0 ? 0 : (last - first + 1) * s.stepMs;
  const present = countPresent(s.values);
  const needSamples = 24;
  if (haveMs >= MIN_HISTORY_MS && present >= needSamples && present >= (last - first + 1) / 2) return undefined;
  const needMs = Math.max(MIN_HISTORY_MS, needSamples * s.stepMs);
  return {
    kind: 'insufficient-history',
    haveMs,
    needMs,
    message:
      present < (last - first + 1) / 2 && haveMs >= needMs
        ? `insufficient history: only ${present} of ${last - first + 1} samples are present (at least half are needed)`
        : `insufficient history: have ${formatDuration(haveMs)} (${present} samples), need at least ${formatDuration(needMs)} and ${needSamples} samples`,
  };
}

function chooseCandidates(name: string, ctx: ModelContext, n: number): Model[] | InsufficientHistory {
  const models = allModels();
  if (name !== 'auto') {
    const m = models.find((x) => x.name === name);
    if (!m) throw new Error(`unknown model ${name}`); // the config and CLI validate names first
    const need = m.minHistory(ctx);
    if (need > n) return modelNeedsMore(m.name, n, need, ctx.stepMs);
    return [m];
  }
  const eligible = models.filter((m) => m.inAuto !== false);
  const usable = eligible.filter((m) => m.minHistory(ctx) <= n);
  if (usable.length === 0) {
    const need = Math.min(...eligible.map((m) => m.minHistory(ctx)));
    return modelNeedsMore('any model', n, need, ctx.stepMs);
  }
  return usable;
}

function modelNeedsMore(model: string, n: number, need: number, stepMs: number): InsufficientHistory {
  return {
    kind: 'insufficient-history',
    haveMs: n * stepMs,
    needMs: need * stepMs,
    message: `insufficient history for ${model}: have ${formatDuration(n * stepMs)}, need at least ${formatDuration(need * stepMs)}`,
  };
}

function compatible(sel: Selection, ctx: ModelContext, periodsMs: readonly number[]): boolean {
  return sel.stepMs === ctx.stepMs && sel.periodsMs.length === periodsMs.length && sel.periodsMs.every((p, i) => p === periodsMs[i]);
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
export function select(candidates: Model[], y: Float64Array, truth: Float64Array, ctx: ModelContext, h: number, qs: readonly number[], fine?: FineLoad): Selection {
  const n = y.length;
  const stepsPerDay = Math.max(1, Math.round(DAY_MS / ctx.stepMs));
  const hEval = Math.max(1, Math.min(h, stepsPerDay));
  // Compare candidates on the same origins: drop the most demanding ones until at least
  // MIN_SELECT_ORIGINS origins have history enough for all that remain (or one is left).
  const byNeed = [...candidates].sort((a, b) => a.minHistory(ctx) - b.minHistory(ctx));
  // Origins k = from..to (1 = the most recent) an hEval apart, as far back as `need` allows.
  const originsFor = (need: number, from = 1, to = MAX_ORIGINS): number[] => {
    const out: number[] = [];
    for (let k = from; k <= to && n - k * hEval >= need; k++) out.push(n - k * hEval);
    return out;
  };
  while (byNeed.length > 1 && originsFor(byNeed[byNeed.length - 1]!.minHistory(ctx)).length < MIN_SELECT_ORIGINS) byNeed.pop();
  candidates = candidates.filter((m) => byNeed.includes(m));
  const minNeed = Math.max(...candidates.map((m) => m.minHistory(ctx)));
  const origins = originsFor(minNeed);
  const level = meanAbs(y);
  const scaleFloor = Math.max(level * 0.05, Number.EPSILON);
  const periodsMs = ctx.periods.map((p) => p * ctx.stepMs);

  if (origins.length === 0) return fallbackSelection(candidates, y, ctx, h, scaleFloor, periodsMs);

  // forecasts[m][o] = model m's forecast of hEval steps from origin o.
  const evaluated = candidates.map((m) => atOrigins(m, y, ctx, origins, hEval));
  const forecasts = evaluated.map((e) => e.forecasts);
  const scores = candidates.map((m, i) => ({ model: m.name, mae: originMae(forecasts[i]!, origins, truth, hEval) }));

  const best = bestMembers(forecasts, origins, truth, hEval);
  // No observation at any origin (a long gap at the end): nothing to compare, as if too short.
  if (best === undefined) return fallbackSelection(candidates, y, ctx, h, scaleFloor, periodsMs);
  const buckets = Math.min(MAX_BUCKETS, hEval);
  const bucketSteps = Math.ceil(hEval / buckets);
  const runs: OriginErrors[][] = Array.from({ length: buckets }, () => []);
  const chosen = best.members.map((i) => candidates[i]!);
  const need = Math.max(...chosen.map((m) => m.minHistory(ctx)));
  // Errors against the load at the input's step when it is finer than the working step: a p90 must
  // cover the minutes, not only the 5-minute means the models fit.
  const factor = fine?.factor ?? 1;
  const observed = fine?.values ?? truth;
  // Origin k (1 = the most recent) weighs 2^-((k-1)/ERROR_HALF_LIFE): the quantiles follow the
  // volatility of late, while a regime change two weeks back still counts.
  const addErrors = (k: number, o: number, f: Float64Array): void => {
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
  // At the search's own origins the winner's errors are flattered by its having been chosen on
  // them: each origin's error is that of the choice the other origins would have made.
  // Where the other origins saw no load at all, the winner stands in (its errors there flattered).
  origins.forEach((o, oi) => {
    const members = bestMembers(forecasts, origins, truth, hEval, oi)?.members ?? best.members;
    addErrors(oi + 1, o, combine(members.map((m) => forecasts[m]![oi]!)));
  });
  // More origins for the error distribution than for the choice: regime changes (holidays, level
  // shifts) are rare, and two weeks of them calibrate the quantiles better than six days. The chosen
  // models' parameters are fitted again at the oldest of these origins (those of the search were
  // fitted on data that includes these origins' windows: their errors there came out too small).
  const older = originsFor(need, origins.length + 1, MAX_ERROR_ORIGINS);
  if (older.length > 0) {
    const olderForecasts = chosen.map((m) => atOrigins(m, y, ctx, older, hEval).forecasts);
    older.forEach((o, i) => addErrors(origins.length + 1 + i, o, combine(olderForecasts.map((r) => r[i]!))));
  }
  // The size of errors changes from day to day (a tournament ends, a noisy week passes): on
  // origins a whole day apart, each origin's errors are put on the scale the origins before it
  // predicted. Shorter windows cover different hours of the day, whose errors differ in size.
  const scaled = hEval === stepsPerDay ? scaleByOrigin(runs) : undefined;
  const sorted = (scaled?.buckets ?? runs).map(sortErrors);
  return {
    models: chosen.map((m) => m.name),
    stepMs: ctx.stepMs,
    periodsMs,
    errorBuckets: sorted.map(errorDistribution),
    errorScale: scaled?.scale ?? 1,
    levels: calibrateLevels(qs, sorted),
    bucketSteps,
    scaleFloor,
    scores: scores.map(({ model, mae }) => ({ model, mae })),
    params: paramsOf(chosen, best.members.map((i) => evaluated[i]!)),
  };
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

function runModel(m: Model, y: Float64Array, h: number, ctx: ModelContext): ModelFit {
  return m.fit ? m.fit(y, h, ctx) : { forecast: m.forecast(y, h, ctx) };
}

function withParams(ctx: ModelContext, params: readonly number[] | undefined, refine: boolean): ModelContext {
  return params === undefined ? ctx : { ...ctx, params, refine };
}

function paramsOf(models: readonly Model[], fits: ReadonlyArray<{ readonly params?: readonly number[] | undefined }>): Record<string, readonly number[]> {
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
function fallbackSelection(candidates: Model[], y: Float64Array, ctx: ModelContext, h: number, scaleFloor: number, periodsMs: number[]): Selection {
  const model = preferredFallback(candidates);
  const lag = ctx.periods[0] ?? 1;
  const errs: number[] = [];
  for (let i = lag; i < y.length; i++) errs.push((y[i]! - y[i - lag]!) / Math.max(Math.abs(y[i - lag]!), scaleFloor));
  const dist = weightedDistribution(errs, errs.map(() => 1));
  return { models: [model.name], stepMs: ctx.stepMs, periodsMs, errorBuckets: [dist], errorScale: 1, bucketSteps: h, scaleFloor, scores: [], levels: [], params: {} };
}

function preferredFallback(candidates: Model[]): Model {
  const order = ['mstl', 'decomposition', 'holt-winters', 'regression', 'fft', 'seasonal-naive-day', 'seasonal-naive-week'];
  return [...candidates].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))[0]!;
}

function quantileForecasts(mean: Float64Array, qs: readonly number[], sel: Selection, nonNegative: boolean): Forecast['quantiles'] {
  const sortedQs = [...qs].sort((a, b) => a - b);
  const byQ = new Map<number, Float64Array>();
  for (const q of sortedQs) {
    const level = sel.levels.find((l) => l.q === q)?.level ?? q;
    const out = new Float64Array(mean.length);
    for (let j = 0; j < mean.length; j++) {
      const bucket = sel.errorBuckets[Math.min(sel.errorBuckets.length - 1, Math.floor(j / sel.bucketSteps))]!;
      const e = distributionQuantile(bucket, level) * sel.errorScale;
      out[j] = mean[j]! + e * Math.max(Math.abs(mean[j]!), sel.scaleFloor);
    }
    if (nonNegative) clampAtZero(out);
    byQ.set(q, out);
  }
  // Keep quantiles ordered point by point (a p90 never below a p50).
  for (let k = 1; k < sortedQs.length; k++) {
    const lo = byQ.get(sortedQs[k - 1]!)!;
    const hi = byQ.get(sortedQs[k]!)!;
    for (let j = 0; j < hi.length; j++) if (hi[j]! < lo[j]!) hi[j] = lo[j]!;
  }
  return qs.map((q) => ({ q, values: byQ.get(q)! }));
}

function clampAtZero(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) if (!(a[i]! >= 0)) a[i] = 0;
}

function meanAbs(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i]!);
  return y.length === 0 ? 0 : s / y.length;
}
