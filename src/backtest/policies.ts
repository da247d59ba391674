/**
 * The scaling policies a backtest compares, all on the same simulated HPA and pods:
 * - predictive: prescale's floor under the HPA (the operator's own reconcile, replayed);
 * - hpa: the HPA alone;
 * - last-week: the "same time last week" floor (the Grafana Mimir production pattern): at t the
 *   floor covers last week's highest load over [t - 1w, t - 1w + 30 min], i.e. 30 minutes ahead;
 * - perfect-foresight: the floor a perfect forecast would set with the pods' lead time,
 *   ceil(max load over [t, t + leadTime] / perReplica) at every instant, under the same HPA: the
 *   honest reference for a floor's cost (no floor with a lead time can reach the oracle);
 * - oracle: perfect foresight, ceil(load / perReplica) ready at every instant (scored, not simulated).
 */
import { MINUTE_MS, WEEK_MS } from '../core/duration.js';
import type { Series } from '../core/series.js';
import type { Scaler } from '../config/scaler.js';
import type { MetricSource } from '../metrics/source.js';
import { refitAtFor } from '../control/schedule.js';
import { clampInt, replicasFor } from '../plan/capacity.js';
import type { ScalingTrace } from './hpa-sim.js';
import { type ReplayRange, type ReplayResult, replayPredictive, simulate } from './replay.js';
import { type ScalingScore, scoreScaling } from './score.js';

export const LAST_WEEK_AHEAD_MS = 30 * MINUTE_MS;

export interface PolicyOutcome {
  readonly name: string;
  readonly trace: ScalingTrace;
  readonly score: ScalingScore;
  readonly floorAt?: (tMs: number) => number;
}

export interface PoliciesResult {
  readonly policies: PolicyOutcome[];
  readonly predictive: ReplayResult;
}

export async function runPolicies(scaler: Scaler, source: MetricSource, load: Series, range: ReplayRange, leadTime?: (atMs: number) => number): Promise<PoliciesResult> {
  const s = scaler.spec;
  const score = (t: ScalingTrace) => scoreTrace(t, scaler);
  const predictive = await replayPredictive(scaler, source, load, range, leadTime ? { leadTime } : {});
  const hpa = simulate(scaler, load, range);
  const lastWeekFloor = lastWeekFloorAt(load, scaler);
  const lastWeek = simulate(scaler, load, range, lastWeekFloor);
  const predictiveScore = score(predictive.trace);
  const perfectFloor = perfectForesightFloorAt(load, scaler, leadTime);
  const perfect = simulate(scaler, load, range, perfectFloor);
  return {
    predictive,
    policies: [
      { name: 'predictive', trace: predictive.trace, score: predictiveScore, floorAt: predictive.floorAt },
      { name: 'hpa', trace: hpa, score: score(hpa) },
      { name: 'last-week', trace: lastWeek, score: score(lastWeek), floorAt: (t) => lastWeekFloor(t) ?? s.minReplicas },
      { name: PERFECT_FORESIGHT, trace: perfect, score: score(perfect), floorAt: perfectFloor },
    ],
  };
}

export const PERFECT_FORESIGHT = 'perfect-foresight';

/**
 * The perfect-foresight floor: clamp(ceil(max load over [t, t + leadTime] / perReplica), min, max),
 * from the load that actually came (samples at times in [t - step, t + leadTime], so the sample in
 * force at t counts). Gaps count as no load. With `plan.leadTime: auto` and recorded start-ups,
 * the lead time in force at t is the one the predictive policy planned with at t's refit.
 */
export function perfectForesightFloorAt(load: Series, scaler: Scaler, leadTime?: (atMs: number) => number): (tMs: number) => number {
  const s = scaler.spec;
  return (tMs) => {
    const leadMs = leadTime ? leadTime(refitAtFor(scaler, tMs)) : s.plan.leadTimeMs;
    const from = Math.max(0, Math.floor((tMs - load.startMs) / load.stepMs));
    const to = Math.min(load.values.length - 1, Math.floor((tMs + leadMs - load.startMs) / load.stepMs));
    let max = 0;
    for (let i = from; i <= to; i++) {
      const v = load.values[i]!;
      if (v > max) max = v;
    }
    return clampInt(replicasFor(max, s.capacity.perReplica), s.minReplicas, s.maxReplicas);
  };
}

/** A simulated run's scaling outcome under the scaler's capacity and replica limits. */
export function scoreTrace(t: ScalingTrace, scaler: Scaler): ScalingScore {
  const s = scaler.spec;
  return scoreScaling(
    { stepMs: t.stepMs, load: t.load, ready: t.ready, desired: t.desired },
    { perReplica: s.capacity.perReplica, minReplicas: s.minReplicas, maxReplicas: s.maxReplicas },
  );
}

/** Floor from last week's load, 30 minutes ahead; undefined (minReplicas) where last week is unknown. */
export function lastWeekFloorAt(load: Series, scaler: Scaler): (tMs: number) => number | undefined {
  const s = scaler.spec;
  const span = Math.max(1, Math.round(LAST_WEEK_AHEAD_MS / load.stepMs));
  return (tMs) => {
    const from = Math.floor((tMs - WEEK_MS - load.startMs) / load.stepMs);
    let max = NaN;
    for (let i = Math.max(0, from); i <= from + span && i < load.values.length; i++) {
      const v = load.values[i]!;
      if (!Number.isNaN(v) && !(v <= max)) max = v;
    }
    if (Number.isNaN(max)) return undefined;
    return clampInt(replicasFor(max * (1 + s.capacity.headroom), s.capacity.perReplica), s.minReplicas, s.maxReplicas);
  };
}
