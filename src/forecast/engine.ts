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
import { combine } from './choose.js';
import { distributionQuantile } from './distribution.js';
import { CleanFlag, cleanSeries } from './clean/index.js';
import { applyLevelShift, type LevelShift, tailLevelShift, tailSteps } from './level-correction.js';
import type { ModelName } from './model-names.js';
import { allModels } from './registry.js';
import { detectSeasonality, periodsInSteps } from './seasonality.js';
import { type FineLoad, type Selection, paramsOf, runModel, select, withParams } from './select.js';
import { type Envelope, clipTo, envelopeOf, excess, upperAt } from './envelope.js';
import type { InsufficientHistory, Model, ModelContext, ModelFit } from './types.js';
import { type CalendarEvent, type EventPlan, type ForecastEvent, applyEvents, pastWindows, planEvents, tailTruth } from './events/index.js';

export type { FineLoad, Selection } from './select.js';
export type { CalendarEvent, ForecastEvent } from './events/index.js';
export { describeEvents } from './events/index.js';

const EXCLUDED_FLAG = CleanFlag.excluded;

/** Less history than this cannot be forecast at all (half a day: not even a level is reliable). */
export const MIN_HISTORY_MS = 12 * HOUR_MS;
/**
 * History used when the caller sets no `maxHistoryMs` (`prescale forecast` on a file, the accuracy
 * backtest): five weeks, enough for weekly cycles and their change. A scaler passes its own
 * `metric.history` instead (28 days by default: config/scaler-types.ts DEFAULTS.historyMs).
 */
export const DEFAULT_MAX_HISTORY_MS = 35 * DAY_MS;
/** Models fit at no finer than this step; finer input is averaged (1-minute noise is not forecastable). */
export const DEFAULT_WORKING_STEP_MS = 5 * MINUTE_MS;
/**
 * History the event calendar learns from (events/effect.ts): all the history given, up to this. The
 * models fit `maxHistoryMs` of it; an event's earlier occurrences may lie further back.
 */
export const EVENT_HISTORY_MS = 400 * DAY_MS;
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
  /**
   * The event calendar (events/index.ts): occurrences in the history are kept out of the normal
   * pattern, their effect is learned and applied to the mean and bands inside the horizon.
   */
  readonly events?: readonly CalendarEvent[];
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
  /** The event occurrences the horizon reaches and what was applied (only with `events`). */
  readonly events?: readonly ForecastEvent[];
  /** The product of the event factors applied at each step (only when an occurrence is inside the horizon). */
  readonly eventFactors?: Float64Array;
}

export type ForecastOutcome = Forecast | InsufficientHistory;

export function forecastSeries(series: Series, opts: ForecastOptions): ForecastOutcome {
  const maxHistoryMs = opts.maxHistoryMs ?? DEFAULT_MAX_HISTORY_MS;
  const trimmed = trimHistory(series, maxHistoryMs);
  const working = toWorkingResolution(trimmed, opts.workingStepMs ?? DEFAULT_WORKING_STEP_MS);
  const short = checkHistory(working);
  if (short) return short;
  const events = opts.events && opts.events.length > 0 ? eventPlan(series, working, opts) : undefined;
  return forecastWorking(working, opts, fineLoad(trimmed, working), envelopeOf(observedOnly(trimmed, opts.excluded), trimmed.stepMs, working.stepMs), events);
}

/** The events expanded over up to EVENT_HISTORY_MS of history and the horizon, their effects learned. */
function eventPlan(series: Series, working: Series, opts: ForecastOptions): EventPlan {
  const long = trimHistory(series, EVENT_HISTORY_MS);
  const learnFrom = long.values.length * long.stepMs > working.values.length * working.stepMs ? toWorkingResolution(long, working.stepMs) : working;
  const endMs = working.startMs + (working.values.length + 1) * working.stepMs + opts.horizonMs;
  return planEvents(opts.events ?? [], learnFrom, endMs);
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
function forecastWorking(working: Series, opts: ForecastOptions, fine?: FineLoad, envelope?: Envelope, events?: EventPlan): ForecastOutcome {
  // A reused selection brings its periods: detection runs with the model search. (If the selection
  // then cannot be reused after all, the whole forecast runs again without it, below.)
  const spanMs = working.values.length * working.stepMs;
  const reusePeriods = !opts.seasonalitiesMs && opts.reuse !== undefined && opts.reuse.stepMs === working.stepMs;
  const detected = opts.seasonalitiesMs
    ? opts.seasonalitiesMs.filter((p) => p * 2 <= spanMs)
    : reusePeriods
      ? opts.reuse.periodsMs.filter((p) => p * 2 <= spanMs)
      : detectSeasonality(working.values, working.stepMs).periodsMs;
  const periods = periodsInSteps(detected, working.stepMs).filter((p) => p >= 2);
  const periodsMs = periods.map((p) => p * working.stepMs);
  const ctx: ModelContext = { stepMs: working.stepMs, startMs: working.startMs, periods };
  const clean = cleanSeries(working.values, ctx, { excluded: excludedWindows(opts, working, events) });
  const y = clean.values;
  const h = Math.max(1, Math.ceil(opts.horizonMs / working.stepMs));

  const candidates = chooseCandidates(opts.model ?? 'auto', ctx, y.length);
  if ('kind' in candidates) return candidates;

  const r = opts.reuse;
  const reusable =
    r && compatible(r, ctx, periodsMs) && r.models.every((name) => candidates.some((m) => m.name === name)) && (opts.quantiles ?? []).every((q) => r.quantilesKept?.includes(q) ?? true)
      ? r
      : undefined;
  if (reusePeriods && !reusable) {
    const { reuse: _stale, ...fresh } = opts;
    return forecastWorking(working, fresh, fine, envelope, events);
  }
  const truth = observedLoad(working.values, clean.flags);
  const found = reusable ?? select(candidates, y, { truth, ctx, h, quantiles: opts.quantiles ?? [], fine });
  const chosen = candidates.filter((m) => found.models.includes(m.name));
  // A new search's parameters are refined on the whole history; a reused selection's are used as they are.
  const fits = chosen.map((m) => runModel(m, y, h, withParams(ctx, found.params[m.name], !reusable)));
  const selection: Selection = reusable ?? { ...found, params: paramsOf(chosen, fits) };
  // Members whose forecast leaves what the history supports sit this refit out (envelope.ts).
  const sane = keepSane(chosen, fits, y, h, ctx, envelope);
  const mean = combine(sane.fits.map((f) => f.forecast));
  const modelMean = mean.slice();
  // Inside an occurrence in progress the tail is compared after dividing out the event's effect (events/index.ts tailTruth).
  const tail = events ? tailTruth(events, working, truth, tailSteps(working.stepMs), opts.excluded ?? []) : truth;
  const level = opts.levelCorrection === false ? undefined : nearTermLevelShift(sane.models, y, tail, ctx, selection);
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
  // Event effects come last: learned from the history (or given by the user), they may take the forecast past the envelope.
  const applied = events ? applyEvents(events, startMs, working.stepMs, { mean, bands: quantiles }) : undefined;
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
    ...(events ? { events: applied?.applied ?? [], ...(applied ? { eventFactors: applied.factors } : {}) } : {}),
  };
}

/** The windows cleaning keeps out of the normal pattern: the user's, and the calendar's past occurrences. */
function excludedWindows(opts: ForecastOptions, working: Series, events: EventPlan | undefined): ExcludedWindow[] {
  const excluded = opts.excluded ? [...opts.excluded] : [];
  if (events) excluded.push(...pastWindows(events, working.startMs, working.startMs + working.values.length * working.stepMs));
  return excluded;
}

/** A mean forecast more than this far outside the envelope (ratio to the bound) drops its model; less is clipped. */
const DROP_EXCESS = 1.1;
/** What takes over when every chosen model left the envelope: the same time a week (else a day) before. */
const FALLBACKS: readonly ModelName[] = ['seasonal-naive-week', 'seasonal-naive-day'];

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

/** Where quantile q is read off a selection's error distributions (its calibrated level). */
const levelOf = (sel: Selection, q: number): number => sel.levels.find((l) => l.q === q)?.level ?? q;

/**
 * A selection as later refits reuse it for the quantiles `qs`: each error bucket reduced to its
 * values at the levels those quantiles are read at, which give the very same quantile forecasts,
 * so that a control loop holding the day's search keeps a few numbers per bucket instead of every
 * error of the search (tens of KiB per scaler).
 */
export function forReuse(sel: Selection, qs: readonly number[]): Selection {
  const levels = [...new Set(qs.map((q) => levelOf(sel, q)))].sort((a, b) => a - b);
  const errorBuckets = sel.errorBuckets.map((d) => ({ values: Float64Array.from(levels, (l) => distributionQuantile(d, l)), cum: Float64Array.from(levels) }));
  return { ...sel, errorBuckets, quantilesKept: [...qs] };
}

function quantileForecasts(mean: Float64Array, qs: readonly number[], sel: Selection, nonNegative: boolean): Forecast['quantiles'] {
  const sortedQs = [...qs].sort((a, b) => a - b);
  const byQ = new Map<number, Float64Array>();
  for (const q of sortedQs) {
    const level = levelOf(sel, q);
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
