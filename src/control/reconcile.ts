/**
 * One pass of the control loop, the same for the operator, the dry-run and the backtest
 * (DESIGN.md: they call the very functions the operator calls). It reads the wall clock only
 * through the injected Clock, so a dry-run replays weeks in seconds.
 *
 *   1. Is a refit due? Then read the history (incrementally) and forecast.
 *   2. Build the step plan from the forecast's planning quantile, the lead time and the limits.
 *   3. Take the step due now; apply it through the Actuator.
 *   4. Return the new state, the decision and when to run next.
 *
 * Faults never scale down: a failed read or forecast keeps the last forecast (while it still
 * covers now) or the floor in force; a failed apply keeps the state that was applied.
 */
import type { Clock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { errorMessage } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import type { Scaler } from '../config/scaler.js';
import { type Forecast, forecastSeries } from '../forecast/engine.js';
import { describeLevelShift } from '../forecast/level-correction.js';
import { buildPlan, floorAt, nextChange, stepAt, type AppliedFloor, type Plan } from '../plan/index.js';
import type { Actuator } from '../actuate/actuator.js';

/** Model search at most this often; refits in between reuse the chosen models (ADR 0003). */
export const RESELECT_INTERVAL_MS = 24 * 3_600_000;

export interface HistoryReader {
  read(nowMs: number, signal?: AbortSignal): Promise<Series>;
}

export interface ControlDeps {
  readonly history: HistoryReader;
  readonly actuator: Actuator;
  readonly clock: Clock;
}

/** What the loop carries from one pass to the next (held by the caller; no hidden state). */
export interface ControlState {
  readonly forecast?: Forecast;
  readonly forecastAtMs?: number;
  readonly selectedAtMs?: number;
  readonly applied?: AppliedFloor;
  /** When the engine last threw (a refit is then not retried before the refit interval). */
  readonly forecastFailedAtMs?: number;
  /** Consecutive passes with a fault (for status and metrics). */
  readonly failures: number;
}

export const initialState = (): ControlState => ({ failures: 0 });

/** CamelCase reasons, as shown in status conditions. */
export type DecisionReason = 'PlanApplied' | 'InsufficientHistory' | 'MetricsUnavailable' | 'ForecastFailed' | 'ForecastStale' | 'ActuationFailed';

export interface Decision {
  readonly atMs: number;
  readonly floor: number;
  readonly reason: DecisionReason;
  readonly detail: string;
  readonly model?: string;
  /** Planning-quantile forecast of load at atMs. */
  readonly forecast?: number;
  /** Mean forecast of load at atMs. */
  readonly forecastMean?: number;
  readonly plan?: Plan;
  /** A fault, when there was one (already reported in `detail`). */
  readonly error?: string;
}

export interface PassResult {
  readonly state: ControlState;
  readonly decision: Decision;
  readonly requeueAfterMs: number;
}

export async function reconcile(scaler: Scaler, state: ControlState, deps: ControlDeps, signal?: AbortSignal): Promise<PassResult> {
  const s = scaler.spec;
  const nowMs = deps.clock.now();
  const name = `${scaler.namespace}/${scaler.name}`;
  let next: ControlState = state;
  let fault: string | undefined;
  let faultReason: DecisionReason = 'MetricsUnavailable';
  let shortHistory: string | undefined;

  // 1. Refit on the refit cadence (or when there is no forecast yet).
  // A forecast that failed (not a failed read, which the next tick retries) waits a refit interval.
  const refit = s.forecast.refitIntervalMs;
  const due =
    (state.forecastAtMs === undefined || nowMs - state.forecastAtMs >= refit) &&
    (state.forecastFailedAtMs === undefined || nowMs - state.forecastFailedAtMs >= refit);
  if (due) {
    let history: Series | undefined;
    try {
      history = await deps.history.read(nowMs, signal);
    } catch (e) {
      fault = errorMessage(e);
      faultReason = 'MetricsUnavailable';
    }
    if (history) {
      try {
        const reuse = state.selectedAtMs !== undefined && nowMs - state.selectedAtMs < RESELECT_INTERVAL_MS ? state.forecast?.selection : undefined;
        const outcome = forecastSeries(history, {
          horizonMs: s.forecast.horizonMs,
          model: s.forecast.model,
          quantiles: [s.forecast.quantile],
          excluded: s.forecast.excludedWindows,
          ...(s.forecast.seasonalitiesMs === 'auto' ? {} : { seasonalitiesMs: s.forecast.seasonalitiesMs }),
          maxHistoryMs: s.metric.historyMs,
          levelCorrection: s.forecast.levelCorrection,
          ...(state.forecast ? { previous: { startMs: state.forecast.startMs, stepMs: state.forecast.stepMs, values: state.forecast.modelMean } } : {}),
          ...(reuse ? { reuse } : {}),
        });
        if (outcome.kind === 'forecast') {
          next = {
            ...next,
            forecast: outcome,
            forecastAtMs: nowMs,
            // The engine runs a new search when the reused one no longer fits (e.g. a chosen model
            // lacks history now, or the model option changed).
            selectedAtMs: reuse && outcome.selection === reuse ? state.selectedAtMs : nowMs,
          };
        } else {
          shortHistory = outcome.message;
          next = { ...next, forecast: undefined, forecastAtMs: undefined };
        }
      } catch (e) {
        // A bug or a pathological series in the engine: hold, say so, and try again next refit.
        fault = errorMessage(e);
        faultReason = 'ForecastFailed';
        next = { ...next, forecastFailedAtMs: nowMs };
      }
    }
  }

  // 2. Plan from the forecast, if one still covers now.
  const f = next.forecast;
  const covers = f !== undefined && f.startMs + f.mean.length * f.stepMs - s.plan.leadTimeMs > nowMs;
  const q = f && covers ? quantileSeries(f) : undefined;
  const plan = q ? buildPlan(q, nowMs, planOptions(scaler), next.applied) : undefined;
  const planned = plan ? floorAt(plan, nowMs) : undefined;

  // 3. Decide: the plan's step, or hold what is in force (never scale down on a fault).
  const held = next.applied?.replicas ?? s.minReplicas;
  let decision: Decision;
  if (planned !== undefined && plan) {
    const step = stepAt(plan, nowMs)!;
    const detail = step.reason.detail + levelNote(f!, next.forecastAtMs!);
    decision = {
      atMs: nowMs,
      floor: planned,
      reason: 'PlanApplied',
      detail: fault ? `${detail} (forecast from ${formatDuration(nowMs - next.forecastAtMs!)} ago: ${fault})` : detail,
      model: f!.model,
      forecast: forecastAt(f!, nowMs, q!.values),
      forecastMean: forecastAt(f!, nowMs, f!.mean),
      plan,
      ...(fault ? { error: fault } : {}),
    };
  } else if (shortHistory) {
    decision = { atMs: nowMs, floor: held, reason: 'InsufficientHistory', detail: `${shortHistory}; holding ${held} replicas` };
  } else {
    decision = {
      atMs: nowMs,
      floor: held,
      reason: fault ? faultReason : 'ForecastStale',
      detail: `${fault ?? 'the forecast no longer covers now'}; holding ${held} replicas`,
      ...(fault ? { error: fault } : {}),
    };
  }

  // 4. Apply through the actuator; on failure keep what was applied.
  const change = plan ? nextChange(plan, nowMs) : undefined;
  try {
    await deps.actuator.apply(
      {
        atMs: nowMs,
        scaler: name,
        floor: decision.floor,
        ...(next.applied ? { previous: next.applied.replicas } : {}),
        reason: decision.reason,
        detail: decision.detail,
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
  // and thus on the plan's step boundaries whatever woke this one): the plan's steps must be
  // applied on time even while the source is down; a failed read is retried then.
  const tick = s.plan.tickIntervalMs;
  const requeueAfterMs = tick - (((nowMs % tick) + tick) % tick);
  return { state: next, decision, requeueAfterMs };
}

/** Shifts smaller than this (percent) are applied but not mentioned: they rarely change a step. */
const LEVEL_NOTE_MIN_PCT = 5;

/** Says so when the last refit shifted the forecast's near term towards the recent load (level-correction.ts). */
function levelNote(f: Forecast, refitAtMs: number): string {
  const shift = describeLevelShift(f.levelCorrection, f.stepMs, LEVEL_NOTE_MIN_PCT);
  return shift === undefined ? '' : `; the ${formatTimestamp(refitAtMs)} refit shifted the forecast ${shift} (fading over hours)`;
}

/** The planner's options from a spec (also what the scaling benchmark's perfect-forecast reference plans with). */
export function planOptions(scaler: Scaler) {
  const s = scaler.spec;
  return {
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

/** The planning quantile as a series (the engine is asked for exactly one quantile). */
function quantileSeries(f: Forecast): Series {
  return { startMs: f.startMs, stepMs: f.stepMs, values: f.quantiles[0]?.values ?? f.mean };
}

/** The forecast value covering tMs; before the first forecast point, that point (never an observation). */
function forecastAt(f: Forecast, tMs: number, values: Float64Array): number | undefined {
  const i = Math.max(0, Math.floor((tMs - f.startMs) / f.stepMs));
  return i < values.length ? values[i] : undefined;
}

