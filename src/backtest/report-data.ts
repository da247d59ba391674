/**
 * The data of a dry-run or backtest report: the view of each replayed trace and the settings
 * table. Assembly only; `report.ts` renders, and neither computes any figure.
 */
import { formatDuration } from '../core/duration.js';
import type { Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import type { Scaler } from '../config/scaler.js';
import type { PolicyOutcome } from './policies.js';
import type { ReplayRange, ReplayResult } from './replay.js';
import type { ModelAccuracy, PlanStepView, TraceReport } from './report.js';

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
  // Rows after the first sit on the tick grid (the loop requeues to it); the first may not.
  const start = rows.length > 1 ? rows[1]!.atMs - tick : (rows[0]?.atMs ?? load.startMs);
  const onTicks = (pick: (i: number) => number) => ({ startMs: start, stepMs: tick, values: Float64Array.from(rows, (_, i) => pick(i)) });
  // One step per run of equal floors, in one pass (a 60-day replay has 86,400 rows).
  const steps: PlanStepView[] = [];
  for (let i = 0; i < rows.length; ) {
    const r = rows[i]!;
    let next = i + 1;
    while (next < rows.length && rows[next]!.floor === r.floor) next++;
    steps.push({ fromMs: r.atMs, toMs: next < rows.length ? rows[next]!.atMs : r.atMs + tick, replicas: r.floor, reason: r.decision.detail });
    i = next;
  }
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

/** The report's settings table: the replayed range and the spec's figures that shape the result. */
export function settingsOf(scaler: Scaler, range: ReplayRange): Array<[string, string]> {
  const s = scaler.spec;
  return [
    ['range', `${formatTimestamp(range.fromMs)} .. ${formatTimestamp(range.toMs)}`],
    ['model', s.forecast.model],
    ['quantile', `p${Math.round(s.forecast.quantile * 100)}`],
    ['per replica', String(s.capacity.perReplica)],
    ['min / max replicas', `${s.minReplicas} / ${s.maxReplicas}`],
    ['lead time', s.plan.leadTimeAuto ? `auto (${formatDuration(s.plan.leadTimeMs)} without --lead-times)` : formatDuration(s.plan.leadTimeMs)],
    ['pod start-up', formatDuration(s.hpa.startupDelayMs)],
    ['horizon', formatDuration(s.forecast.horizonMs)],
    ['refit every', formatDuration(s.forecast.refitIntervalMs)],
    ['min step', formatDuration(s.plan.minStepDurationMs)],
  ];
}
