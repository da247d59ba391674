import type { Series } from '../core/series.js';
import type { Scaler } from '../config/scaler.js';
import type { PolicyOutcome } from '../backtest/policies.js';
import type { ReplayResult } from '../backtest/replay.js';
import type { ModelAccuracy, PlanStepView, TraceReport } from '../backtest/report.js';

/** Builds the report's view of one replayed trace (the report itself computes nothing). */
export function traceReport(
  name: string,
  scaler: Scaler,
  load: Series,
  replay: ReplayResult,
  policies: readonly PolicyOutcome[],
  accuracy?: readonly ModelAccuracy[],
): TraceReport {
  const rows = replay.rows;
  const tick = scaler.spec.plan.tickIntervalMs;
  const start = rows[0]?.atMs ?? load.startMs;
  const onTicks = (pick: (i: number) => number) => ({ startMs: start, stepMs: tick, values: Float64Array.from(rows, (_, i) => pick(i)) });
  const steps: PlanStepView[] = [];
  rows.forEach((r, i) => {
    if (i > 0 && r.floor === rows[i - 1]!.floor) return;
    const next = rows.findIndex((x, j) => j > i && x.floor !== r.floor);
    steps.push({ fromMs: r.atMs, toMs: next < 0 ? r.atMs + tick : rows[next]!.atMs, replicas: r.floor, reason: r.decision.detail });
  });
  return {
    name,
    perReplica: scaler.spec.capacity.perReplica,
    load,
    forecast: {
      mean: onTicks((i) => rows[i]!.decision.forecastMean ?? NaN),
      upper: onTicks((i) => rows[i]!.forecast),
      quantile: scaler.spec.forecast.quantile,
    },
    policies: policies.map((p) => ({
      name: p.name,
      ready: { startMs: p.trace.startMs, stepMs: p.trace.stepMs, values: p.trace.ready },
      ...(p.floorAt ? { floor: { startMs: p.trace.startMs, stepMs: p.trace.stepMs, values: p.trace.minReplicas } } : {}),
    })),
    scores: policies.map((p) => ({
      name: p.name,
      shortfallReplicaMinutes: p.score.shortfallReplicaMinutes,
      shortfallPct: p.score.shortfallPct,
      underMinutes: p.score.underMinutes,
      replicaHours: p.score.costReplicaHours,
      costVsOracle: p.score.costVsOracle,
      scalingEvents: p.score.scalingEvents,
    })),
    ...(accuracy ? { accuracy } : {}),
    planSteps: steps,
  };
}
