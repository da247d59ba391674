/**
 * The control loop in simulated time: the operator's own `reconcile` driven by a simulated clock
 * over recorded load, then the HPA simulator with the decided floor as its minReplicas.
 * The loop does not read the HPA's state, so deciding first and simulating after is the same as
 * interleaving them, and keeps both parts simple.
 */
import { formatTimestamp } from '../core/time.js';
import { SimulatedClock } from '../core/clock.js';
import type { Series } from '../core/series.js';
import type { Scaler } from '../config/scaler.js';
import type { Actuator, FloorDecision } from '../actuate/actuator.js';
import { type Decision, initialState, reconcile } from '../control/reconcile.js';
import { HistoryWindow } from '../metrics/history.js';
import type { MetricSource } from '../metrics/source.js';
import { replicasFor } from '../plan/capacity.js';
import { type ScalingTrace, simulateHpa } from './hpa-sim.js';

export interface ReplayRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** One row per control tick, as `dry-run --decisions` writes it. */
export interface DecisionRow {
  readonly atMs: number;
  readonly load: number;
  readonly forecast: number;
  readonly floor: number;
  readonly reactive: number;
  readonly desired: number;
  readonly ready: number;
  /** The tick's decision, without its `plan` (a 60-day replay's 86,400 plans would hold ~1 GB). */
  readonly decision: Decision;
}

export interface ReplayResult {
  readonly rows: DecisionRow[];
  readonly trace: ScalingTrace;
  /** The floor in force at any time of the range. */
  readonly floorAt: (tMs: number) => number;
  /** When the confidence gate had the floor given back (reason ForecastInaccurate), oldest first. */
  readonly gated: readonly GatedInterval[];
}

/** A run of ticks with the confidence gate closed: [fromMs, toMs), toMs the first tick after it (or the range's end). */
export interface GatedInterval {
  readonly fromMs: number;
  readonly toMs: number;
  readonly ticks: number;
}

/** The gated intervals in one line: how many ticks, and the first few intervals. */
export function describeGated(gated: readonly GatedInterval[], ticks: number): string {
  if (gated.length === 0) return 'never closed';
  const closed = gated.reduce((n, g) => n + g.ticks, 0);
  const shown = gated.slice(0, 4).map((g) => `${formatTimestamp(g.fromMs)}..${formatTimestamp(g.toMs)}`);
  if (gated.length > 4) shown.push(`${gated.length - 4} more`);
  return `closed ${closed} of ${ticks} ticks (${((100 * closed) / ticks).toFixed(1)} %) in ${gated.length} interval${gated.length > 1 ? 's' : ''} (ForecastInaccurate: the floor given back): ${shown.join(', ')}`;
}

/** The runs of consecutive ForecastInaccurate decisions. */
export function gatedIntervals(decisions: readonly Decision[], endMs: number): GatedInterval[] {
  const out: GatedInterval[] = [];
  let open: { fromMs: number; ticks: number } | undefined;
  for (const d of decisions) {
    if (d.reason === 'ForecastInaccurate') {
      if (open) open.ticks++;
      else open = { fromMs: d.atMs, ticks: 1 };
    } else if (open) {
      out.push({ fromMs: open.fromMs, toMs: d.atMs, ticks: open.ticks });
      open = undefined;
    }
  }
  if (open) out.push({ fromMs: open.fromMs, toMs: endMs, ticks: open.ticks });
  return out;
}

export interface ReplayOptions {
  /** Receives every applied floor (the dry-run logs it). */
  readonly onDecision?: (d: FloorDecision) => Promise<void> | void;
  /** plan.leadTime auto: the lead time at each refit (from recorded start-ups, cli/lead-times.ts). */
  readonly leadTime?: (atMs: number) => number;
}

/**
 * Replays `scaler` over `range`. `source` gives the history the loop reads (a recording or a live
 * Prometheus); `load` is what the simulated HPA and pods see. `onDecision` receives every applied
 * floor (the dry-run logs it).
 */
export async function replayPredictive(
  scaler: Scaler,
  source: MetricSource,
  load: Series,
  range: ReplayRange,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const { onDecision, leadTime } = opts;
  const s = scaler.spec;
  const clock = new SimulatedClock(range.fromMs);
  const history = new HistoryWindow(source, { stepMs: load.stepMs, historyMs: s.metric.historyMs });
  const actuator: Actuator = { description: 'simulation', apply: async (d) => onDecision?.(d) };
  const decisions: Decision[] = [];
  let state = initialState();
  for (let t = range.fromMs; t < range.toMs; ) {
    clock.set(t);
    const r = await reconcile(scaler, state, { history, actuator, clock, ...(leadTime ? { leadTime } : {}) });
    state = r.state;
    decisions.push(withoutPlan(r.decision));
    t += r.requeueAfterMs;
  }
  const floorAt = floorTimeline(decisions, s.minReplicas);
  const trace = simulate(scaler, load, range, floorAt);
  const rows = decisions.map((d) => {
    const k = Math.min(trace.ready.length - 1, Math.max(0, Math.floor((d.atMs - trace.startMs) / trace.stepMs)));
    const l = trace.load[k]!;
    return {
      atMs: d.atMs,
      load: l,
      forecast: d.forecast ?? NaN,
      floor: d.floor,
      reactive: Number.isNaN(l) ? NaN : replicasFor(l, s.capacity.perReplica),
      desired: trace.desired[k]!,
      ready: trace.ready[k]!,
      decision: d,
    };
  });
  return { rows, trace, floorAt, gated: gatedIntervals(decisions, range.toMs) };
}

/** The HPA and pods of the scaler's `hpa` settings, with an optional floor under minReplicas. */
export function simulate(scaler: Scaler, load: Series, range: ReplayRange, floorAt?: (tMs: number) => number | undefined): ScalingTrace {
  const s = scaler.spec;
  return simulateHpa(
    load,
    {
      hpa: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, targetPerPod: s.capacity.perReplica, behavior: s.hpa.behavior },
      startupMs: s.hpa.startupDelayMs,
      fromMs: range.fromMs,
      toMs: range.toMs,
    },
    floorAt,
  );
}

/** The decision as the rows keep it: without its plan, which nothing reads after the tick. */
function withoutPlan(d: Decision): Decision {
  if (d.plan === undefined) return d;
  const { plan: _plan, ...kept } = d;
  return kept;
}

/** Step function of the decided floors (each holds from its decision to the next). */
function floorTimeline(decisions: readonly Decision[], initial: number): (tMs: number) => number {
  const times = Float64Array.from(decisions, (d) => d.atMs);
  const floors = Float64Array.from(decisions, (d) => d.floor);
  let k = 0;
  return (tMs) => {
    // Called with increasing times by the simulator; fall back to a search otherwise.
    if (k > 0 && times[k - 1]! > tMs) k = 0;
    while (k < times.length && times[k]! <= tMs) k++;
    return k === 0 ? initial : floors[k - 1]!;
  };
}
