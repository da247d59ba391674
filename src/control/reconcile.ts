/**
 * One pass of the control loop, the same for the operator, the dry-run and the backtest: they
 * call the very functions the operator calls (docs/architecture.md). It reads the wall clock
 * only through the injected Clock, so a dry-run replays weeks in seconds.
 *
 * The floor at a minute is a function of the spec, the data and that minute, never of when the
 * loop started or of what earlier passes happened to see (ADR 0005):
 *   - refits sit on a grid of `forecast.refitInterval` shifted by the scaler's own phase (a hash
 *     of namespace/name, refitSchedule: thousands of scalers do not all refit at :00), and each
 *     fits the history up to its own grid time, not up to the pass that runs it;
 *   - the model search sits on a daily grid at one of those refits: refit k reuses the search
 *     made on the history up to the search time before it (after a restart that search is simply
 *     run again);
 *   - the level correction compares the recent load with the models run from just before it (not
 *     with an earlier refit's forecast, which a restarted loop would not have);
 *   - the plan is built once per refit from the start of the step block holding the refit, with
 *     the observed load before it as the scale-down delay's look-back, and the floor at a minute
 *     is that plan's step at the minute.
 * So `prescale dry-run` started at any earlier time previews the operator exactly, and an
 * operator restart never moves a floor.
 *
 *   1. Is this refit-grid point's forecast missing? Read the history (and the day's search),
 *      forecast, and build the plan from the forecast (once per refit).
 *   2. Update the confidence gate: a forecast error above spec.safety.maxForecastError gives the
 *      floor back until the error has stayed at or below it for spec.safety.recoverAfter.
 *   3. Take the plan's step due now; faults never lower the floor; stale data gives the floor back.
 *   4. Apply it through the Actuator.
 *   5. Return the new state, the decision and when to run next.
 */
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { PrescaleError, errorMessage } from '../core/errors.js';
import { meanInRange, type Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import type { Scaler } from '../config/scaler.js';
import { type Forecast, type ForecastOptions, type Selection, describeEvents, forReuse, forecastSeries } from '../forecast/engine.js';
import { describeLevelShift } from '../forecast/level-correction.js';
import { type ForecastError, type ForecastLog, forecastError, logForecast } from './forecast-error.js';
import { RESELECT_INTERVAL_MS, gridFloor, refitAtFor, refitSchedule } from './schedule.js';
import { buildPlan, nextChange, stepAt, type AppliedFloor, type Plan } from '../plan/index.js';
import type { Actuator } from '../actuate/actuator.js';

export interface HistoryReader {
  /** The history window ending at the last whole step <= atMs. */
  read(atMs: number, signal?: AbortSignal): Promise<Series>;
}

export interface ControlDeps {
  readonly history: HistoryReader;
  readonly actuator: Actuator;
  readonly clock: Clock;
  /**
   * The lead time in force at a refit-grid time (`plan.leadTime: auto`: learned from pod start-ups,
   * plan/lead-time.ts); absent, `plan.leadTime`. Asked once per refit: that refit's plan keeps it.
   */
  readonly leadTime?: (atMs: number) => number;
}

/** The day's model search: the grid day it was made for, and its choice (none: too little history then). */
export interface DaySearch {
  readonly dayMs: number;
  readonly selection?: Selection;
}

/**
 * A forecast as the loop keeps it until the next refit: without the cleaned history it was made
 * from and the search behind it (the day's search is kept once, in `search`).
 */
export type HeldForecast = Omit<Forecast, 'history' | 'selection'>;

const held = (f: Forecast): HeldForecast => {
  const { history: _h, selection: _s, ...rest } = f;
  return rest;
};

/** What the loop carries from one pass to the next (held by the caller; no hidden state). */
export interface ControlState {
  readonly forecast?: HeldForecast;
  /** The refit-grid time `forecast` was made for (history up to it). */
  readonly forecastAtMs?: number;
  /** The plan of `forecast`, built once per refit. */
  readonly plan?: Plan;
  /** The lead time `plan` was built with (deps.leadTime at its refit). */
  readonly planLeadTimeMs?: number;
  readonly search?: DaySearch;
  /** Why the last refit could not forecast (too little history), until one can. */
  readonly insufficient?: string;
  /**
   * The last refit-grid time whose refit ran to an outcome (a forecast, too little history, or
   * the engine throwing): not run again before the next grid point. A failed read leaves it, so
   * the next tick retries.
   */
  readonly refitAtMs?: number;
  /** When history was last read successfully (clock time); the operator keeps it across restarts. */
  readonly lastDataMs?: number;
  readonly applied?: AppliedFloor;
  /** The forecasts made over the last day (each refit's mean while it was in force) and their error. */
  readonly forecastLog?: ForecastLog;
  readonly forecastError?: ForecastError;
  /** The confidence gate, while closed: the floor is given back because the forecasts are off. */
  readonly gate?: Gate;
  /** Consecutive passes with a fault (for status and metrics). */
  readonly failures: number;
}

/** A closed confidence gate (spec.safety.maxForecastError). */
export interface Gate {
  /** When it closed (clock time). */
  readonly sinceMs: number;
  /** Since when the error has been at or below the limit, if it is now. */
  readonly clearSinceMs?: number;
}

export const initialState = (): ControlState => ({ failures: 0 });

/** CamelCase reasons, as shown in status conditions. */
export type DecisionReason = 'PlanApplied' | 'InsufficientHistory' | 'MetricsUnavailable' | 'ForecastFailed' | 'ForecastStale' | 'ForecastInaccurate' | 'ActuationFailed';

export interface Decision {
  readonly atMs: number;
  readonly floor: number;
  readonly reason: DecisionReason;
  readonly detail: string;
  /**
   * The floor is given back: data is stale (or no forecast covers now after data was seen), so the
   * target's own minReplicas applies again (`floor` is spec.minReplicas, what a dry-run assumes).
   */
  readonly restore?: boolean;
  readonly model?: string;
  /** Planning-quantile forecast of load at atMs. */
  readonly forecast?: number;
  /** Mean forecast of load at atMs. */
  readonly forecastMean?: number;
  readonly plan?: Plan;
  /** A fault, when there was one (already reported in `detail`), and its reason (e.g. MetricsUnavailable). */
  readonly error?: string;
  readonly errorReason?: DecisionReason;
}

export interface PassResult {
  readonly state: ControlState;
  readonly decision: Decision;
  /** Time to the next tick boundary (a replay runs every tick). */
  readonly requeueAfterMs: number;
  /**
   * The next time the floor can change without a fault: the plan's next change or the next refit,
   * whichever is first (the operator sleeps until then; a fault retries at the next tick).
   */
  readonly wakeAtMs: number;
}


export async function reconcile(scaler: Scaler, state: ControlState, deps: ControlDeps, signal?: AbortSignal): Promise<PassResult> {
  const s = scaler.spec;
  const nowMs = deps.clock.now();
  const refitAtMs = refitAtFor(scaler, nowMs);
  let next: ControlState = state;
  let fault: string | undefined;
  let faultReason: DecisionReason = 'MetricsUnavailable';

  // 1. Forecast for this refit-grid point, unless its refit ran already. A failed read is retried
  // at the next tick; a forecast that threw waits for the next grid point.
  if (state.refitAtMs !== refitAtMs) {
    const r = await refit(scaler, state, refitAtMs, deps, nowMs, signal);
    next = r.state;
    if (r.fault) ({ message: fault, reason: faultReason } = r.fault);
  }
  const shortHistory = next.insufficient;
  next = withGate(next, s.safety, nowMs);

  // 2-3. The plan's step now; hold on a fault; give the floor back when the data is stale.
  const f = next.forecast;
  const plan = f !== undefined && f.startMs + f.mean.length * f.stepMs - (next.planLeadTimeMs ?? s.plan.leadTimeMs) > nowMs ? next.plan : undefined;
  const step = plan ? stepAt(plan, nowMs) : undefined;
  const held = next.applied?.replicas ?? s.minReplicas;
  const degraded = next.forecastAtMs !== refitAtMs;
  const staleFor = next.lastDataMs === undefined ? 0 : nowMs - next.lastDataMs;
  let decision: Decision;
  if (next.lastDataMs !== undefined && (staleFor > s.safety.staleAfterMs || (step === undefined && !shortHistory))) {
    const why = fault ?? (step === undefined ? 'no forecast covers now' : 'no fresh data');
    decision = {
      atMs: nowMs,
      floor: s.minReplicas,
      reason: fault ? faultReason : 'ForecastStale',
      restore: true,
      detail: `last history read ${formatDuration(staleFor)} ago (staleAfter ${formatDuration(s.safety.staleAfterMs)}): ${why}; the target's own minReplicas applies`,
      ...(fault ? { error: fault, errorReason: faultReason } : {}),
    };
  } else if (next.gate && step !== undefined) {
    decision = {
      atMs: nowMs,
      floor: s.minReplicas,
      reason: 'ForecastInaccurate',
      restore: true,
      detail: `${gateDetail(next, s.safety)}; the target's own minReplicas applies`,
      ...(f ? { model: f.model } : {}),
      ...(fault ? { error: fault, errorReason: faultReason } : {}),
    };
  } else if (step !== undefined && plan && f) {
    // During a fault the floor in force holds: no step down until fresh data returns.
    const holding = degraded && step.replicas < held;
    const detail = holding ? `holding ${held} replicas until fresh data (the plan of ${formatTimestamp(next.forecastAtMs!)} says ${step.replicas})` : step.reason.detail + levelNote(f, next.forecastAtMs!) + envelopeNote(f, step.reason.load) + describeEvents(f.events, f.eventFactors, f.startMs, f.stepMs, nowMs);
    const q = quantileValues(f);
    decision = {
      atMs: nowMs,
      floor: holding ? held : step.replicas,
      reason: 'PlanApplied',
      detail: fault ? `${detail} (forecast of ${formatTimestamp(next.forecastAtMs!)}: ${fault})` : detail,
      model: f.model,
      forecast: forecastAt(f, nowMs, q),
      forecastMean: forecastAt(f, nowMs, f.mean),
      plan,
      ...(fault ? { error: fault, errorReason: faultReason } : {}),
    };
  } else if (shortHistory) {
    decision = { atMs: nowMs, floor: held, reason: 'InsufficientHistory', detail: `${shortHistory}; holding ${held} replicas` };
  } else {
    decision = {
      atMs: nowMs,
      floor: held,
      reason: fault ? faultReason : 'ForecastStale',
      detail: `${fault ?? 'no forecast covers now'}; holding ${held} replicas`,
      ...(fault ? { error: fault, errorReason: faultReason } : {}),
    };
  }

  // 4. Apply through the actuator; on failure keep what was applied.
  const change = plan && !decision.restore ? nextChange(plan, nowMs) : undefined;
  try {
    await deps.actuator.apply(
      {
        atMs: nowMs,
        scaler: `${scaler.namespace}/${scaler.name}`,
        floor: decision.floor,
        ...(next.applied ? { previous: next.applied.replicas } : {}),
        reason: decision.reason,
        detail: decision.detail,
        ...(decision.restore ? { restore: true } : {}),
        ...(decision.model ? { model: decision.model } : {}),
        ...(decision.forecast !== undefined ? { forecast: decision.forecast } : {}),
        ...(change ? { nextChange: { atMs: change.fromMs, floor: change.replicas } } : {}),
      },
      signal,
    );
    const applied = next.applied?.replicas === decision.floor ? next.applied : { replicas: decision.floor, sinceMs: nowMs };
    next = { ...next, applied, failures: decision.error ? next.failures + 1 : 0 };
  } catch (e) {
    const error = errorMessage(e);
    decision = { ...decision, reason: 'ActuationFailed', detail: `could not apply floor ${decision.floor}: ${error}`, error };
    next = { ...next, failures: next.failures + 1 };
  }

  // 5. Requeue at the next tick boundary (computed from the clock, so passes land on the tick grid
  // and thus on the plan's step boundaries whatever woke this one). A fault retries there too.
  const tick = s.plan.tickIntervalMs;
  const requeueAfterMs = tick - (((nowMs % tick) + tick) % tick);
  const nextRefitMs = refitAtMs + s.forecast.refitIntervalMs;
  const wakeAtMs = decision.error || degraded ? nowMs + requeueAfterMs : Math.min(nextRefitMs, change?.fromMs ?? Infinity);
  return { state: next, decision, requeueAfterMs, wakeAtMs };
}

interface RefitResult {
  readonly state: ControlState;
  readonly fault?: { readonly message: string; readonly reason: DecisionReason };
}

/** Step 1: the day's search (when not made yet), the history up to `atMs`, the forecast and its plan. */
async function refit(scaler: Scaler, state: ControlState, atMs: number, deps: ControlDeps, nowMs: number, signal?: AbortSignal): Promise<RefitResult> {
  const s = scaler.spec;
  const dayMs = gridFloor(atMs, RESELECT_INTERVAL_MS, refitSchedule(scaler).searchPhaseMs);
  const opts = forecastOptions(scaler);
  let search = state.search?.dayMs === dayMs ? state.search : undefined;
  let history: Series;
  try {
    // The day's search runs on the history up to the day boundary; read it first, so the window
    // then moves forward to atMs incrementally.
    if (search === undefined && dayMs !== atMs) {
      const dayHistory = await deps.history.read(dayMs, signal);
      search = { dayMs, ...inEngine(() => selectionOf(forecastSeries(dayHistory, opts), scaler)) };
    }
    history = await deps.history.read(atMs, signal);
    // A series that stopped (its samples end well before the refit) is no data, not a forecast
    // from old data: the floor holds and staleness counts from the last sample that came.
    const lastMs = lastSampleMs(history);
    if (lastMs === undefined || atMs - lastMs > freshnessMs(s.metric.stepMs)) {
      throw new PrescaleError('transient', lastMs === undefined ? 'the query returned no samples in the history window' : `the series has no samples since ${formatTimestamp(lastMs)}`);
    }
  } catch (e) {
    const failed = e instanceof EngineError;
    const message = errorMessage(failed ? e.cause : e);
    // The day's search, when it ran, is kept: the next tick's retry does not run it again.
    const kept = search ? { ...state, search } : state;
    return failed
      ? { state: { ...kept, refitAtMs: atMs, lastDataMs: nowMs }, fault: { message, reason: 'ForecastFailed' } }
      : { state: kept, fault: { message, reason: 'MetricsUnavailable' } };
  }
  const read: ControlState = { ...state, refitAtMs: atMs, lastDataMs: nowMs, ...(search ? { search } : {}) };
  try {
    const outcome = forecastSeries(history, search?.selection ? { ...opts, reuse: search.selection } : opts);
    if (outcome.kind !== 'forecast') {
      const { forecast: _f, plan: _p, forecastAtMs: _a, planLeadTimeMs: _l, ...rest } = read;
      return { state: { ...rest, search: search ?? { dayMs }, insufficient: outcome.message } };
    }
    // At the day boundary this refit is the day's search.
    const day = search ?? { dayMs, ...selectionOf(outcome, scaler) };
    const leadTimeMs = deps.leadTime?.(atMs) ?? s.plan.leadTimeMs;
    const po = { ...planOptions(scaler), leadTimeMs };
    const plan = buildPlan(withLookBack(outcome, history, s.plan.scaleDownDelayMs), gridFloor(atMs, po.minStepMs, po.gridOriginMs), po);
    const { insufficient: _i, forecastError: _e, ...rest } = read;
    const error = forecastError(state.forecastLog, history, atMs);
    const forecastLog = logForecast(state.forecastLog, outcome, atMs, atMs + s.forecast.refitIntervalMs);
    return { state: { ...rest, search: day, forecast: held(outcome), forecastAtMs: atMs, plan, planLeadTimeMs: leadTimeMs, forecastLog, ...(error ? { forecastError: error } : {}) } };
  } catch (e) {
    // A bug or a pathological series in the engine: hold, say so, and try again at the next refit.
    return { state: read, fault: { message: errorMessage(e), reason: 'ForecastFailed' } };
  }
}

/** Forecast points behind an error before the gate judges it: six hours' worth. */
const GATE_MIN_JUDGED_MS = 6 * 60 * 60_000;

/**
 * The confidence gate after this pass's refit: it closes when the day's forecast error (MASE)
 * exceeds the limit, and opens again once the error has stayed at or below it for recoverAfter.
 * An error over too few points (after a start, or a long gap) leaves the gate as it is.
 */
export function withGate(state: ControlState, safety: Scaler['spec']['safety'], nowMs: number): ControlState {
  const e = state.forecastError;
  const judged = e !== undefined && e.mase !== undefined && state.forecastLog !== undefined && e.points * state.forecastLog.stepMs >= GATE_MIN_JUDGED_MS;
  if (!judged) return state;
  const over = e.mase > safety.maxForecastError;
  const gate = state.gate;
  if (!gate) return over ? { ...state, gate: { sinceMs: nowMs } } : state;
  if (over) return gate.clearSinceMs === undefined ? state : { ...state, gate: { sinceMs: gate.sinceMs } };
  const clearSinceMs = gate.clearSinceMs ?? nowMs;
  if (nowMs - clearSinceMs >= safety.recoverAfterMs) {
    const { gate: _g, ...rest } = state;
    return rest;
  }
  return gate.clearSinceMs === undefined ? { ...state, gate: { sinceMs: gate.sinceMs, clearSinceMs } } : state;
}

function gateDetail(state: ControlState, safety: Scaler['spec']['safety']): string {
  const gate = state.gate!;
  const mase = state.forecastError?.mase;
  const now = mase === undefined ? 'not measured yet' : `${mase.toFixed(2)}`;
  const since = `forecast error (MASE over the last day) above safety.maxForecastError ${safety.maxForecastError} since ${formatTimestamp(gate.sinceMs)}, now ${now}`;
  return gate.clearSinceMs === undefined
    ? since
    : `${since}, at or below it since ${formatTimestamp(gate.clearSinceMs)} (resumes after recoverAfter ${formatDuration(safety.recoverAfterMs)})`;
}

/** How old the newest sample may be at a refit: three metric steps, at least 5 minutes (scrape and rule lag). */
const freshnessMs = (stepMs: number): number => Math.max(3 * stepMs, 5 * 60_000);

/** Time of the last finite sample of a series, or undefined. */
function lastSampleMs(h: Series): number | undefined {
  for (let i = h.values.length - 1; i >= 0; i--) if (Number.isFinite(h.values[i]!)) return h.startMs + i * h.stepMs;
  return undefined;
}

/** The engine's options from a spec (one quantile: the one planned for). */
function forecastOptions(scaler: Scaler): ForecastOptions {
  const f = scaler.spec.forecast;
  return {
    horizonMs: f.horizonMs,
    model: f.model,
    quantiles: [f.quantile],
    excluded: f.excludedWindows,
    ...(f.events.length > 0 ? { events: f.events } : {}),
    ...(f.seasonalitiesMs === 'auto' ? {} : { seasonalitiesMs: f.seasonalitiesMs }),
    maxHistoryMs: scaler.spec.metric.historyMs,
    levelCorrection: f.levelCorrection,
  };
}

/** The selection of a search's outcome; a search that throws is reported as the engine's failure. */
function selectionOf(outcome: ReturnType<typeof forecastSeries>, scaler: Scaler): { selection?: Selection } {
  return outcome.kind === 'forecast' ? { selection: forReuse(outcome.selection, [scaler.spec.forecast.quantile]) } : {};
}

/** Marks an error thrown by the engine (as opposed to the history read) inside one try block. */
class EngineError extends Error {}

function inEngine<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw new EngineError('forecast failed', { cause: e });
  }
}

/**
 * The planning quantile, preceded by the load observed over the scale-down delay before it (the
 * raw history averaged to the forecast's step, not the cleaned one, where an outage is filled with
 * the pattern): the first block's hold looks back at what really happened, so a drop at a refit
 * boundary waits for the delay like any other (the forecast alone starts at the refit).
 */
function withLookBack(f: Forecast, observed: Series, delayMs: number): Series {
  const q = quantileValues(f);
  const back = Math.ceil(delayMs / f.stepMs);
  const values = new Float64Array(back + q.length);
  const startMs = f.startMs - back * f.stepMs;
  for (let j = 0; j < back; j++) values[j] = Math.max(0, meanInRange(observed, startMs + j * f.stepMs, startMs + (j + 1) * f.stepMs) ?? 0);
  values.set(q, back);
  return { startMs, stepMs: f.stepMs, values };
}

/** Shifts smaller than this (percent) are applied but not mentioned: they rarely change a step. */
const LEVEL_NOTE_MIN_PCT = 5;

/** Says so when the last refit shifted the forecast's near term towards the recent load (level-correction.ts). */
function levelNote(f: HeldForecast, refitAtMs: number): string {
  const shift = describeLevelShift(f.levelCorrection, f.stepMs, LEVEL_NOTE_MIN_PCT);
  return shift === undefined ? '' : `; the ${formatTimestamp(refitAtMs)} refit shifted the forecast ${shift} (fading over hours)`;
}

/**
 * Says so when the forecast was kept inside what its history supports (forecast/envelope.ts): a model dropped, the mean
 * clipped, or the planning quantile capped where this step's value came from (unless an event's effect took it above).
 */
function envelopeNote(f: HeldForecast, stepLoad: number | undefined): string {
  const e = f.envelope;
  if (!e) return '';
  const parts: string[] = [];
  if (e.dropped.length > 0) {
    const which = e.dropped.map((d) => `${d.model} (${d.excess.toFixed(1)}x the bound)`).join(', ');
    parts.push(`${which} left it and ${e.dropped.length > 1 ? 'were' : 'was'} dropped${e.fallback ? ` for ${e.fallback}` : ''}`);
  }
  const capped = (e.clippedMean > 0 || (stepLoad !== undefined && stepLoad >= e.upper * (1 - 1e-9))) && !(f.eventFactors && stepLoad !== undefined && stepLoad > e.upper * (1 + 1e-9));
  if (capped) parts.push(`capped at ${Number(e.upper.toPrecision(6))}, the history's highest load${e.upper > 0 ? ' plus its trend' : ''}`);
  return parts.length === 0 ? '' : `; forecast kept within its history: ${parts.join('; ')}`;
}

/**
 * The planner's options from a spec (also what the scaling benchmark's perfect-forecast reference
 * plans with). The step grid has the refits' phase, so every refit falls on a step boundary.
 */
export function planOptions(scaler: Scaler) {
  const s = scaler.spec;
  return {
    gridOriginMs: refitSchedule(scaler).phaseMs,
    perReplica: s.capacity.perReplica,
    headroom: s.capacity.headroom,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    leadTimeMs: s.plan.leadTimeMs,
    tickMs: s.plan.tickIntervalMs,
    minStepMs: s.plan.minStepDurationMs,
    scaleDownDelayMs: s.plan.scaleDownDelayMs,
    quantile: s.forecast.quantile,
    ...(s.plan.maxStepChange === undefined ? {} : { maxStepChange: s.plan.maxStepChange }),
  };
}

/** The planning quantile's values (the engine is asked for exactly one quantile). */
function quantileValues(f: HeldForecast): Float64Array {
  return f.quantiles[0]?.values ?? f.mean;
}

/** The forecast value covering tMs; before the first forecast point, that point (never an observation). */
function forecastAt(f: HeldForecast, tMs: number, values: Float64Array): number | undefined {
  const i = Math.max(0, Math.floor((tMs - f.startMs) / f.stepMs));
  return i < values.length ? values[i] : undefined;
}
