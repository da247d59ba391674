/**
 * The oracle policy of a backtest: perfect foresight, clamp(ceil(load / perReplica), min, max)
 * replicas ready at every instant. Scored, not simulated: its row is derived from another policy's
 * score over the same ticks (docs/architecture.md, "Scoring").
 */
import type { Scaler } from '../config/scaler.js';
import { clampInt, replicasFor } from '../plan/capacity.js';
import type { PolicyOutcome } from './policies.js';
import type { ScalingScore } from './score.js';

/** One policy's scaling outcome, as the backtest prints and writes it (`--json`). */
export type PolicyRow = { policy: string } & ScalingScore;

/**
 * The oracle's row, from `reference`, any policy simulated over the backtest's range (its
 * `oracleReplicaHours`, demand and minutes are the oracle's too): no shortfall, its own cost,
 * and its own scaling events.
 */
export function oracleRow(reference: PolicyOutcome, scaler: Scaler): PolicyRow {
  const ref = reference.score;
  // Key order as before the move (the policy name after the score's keys), so --json is unchanged.
  return {
    ...ref,
    policy: 'oracle',
    shortfallReplicaMinutes: 0,
    shortfallPct: 0,
    underMinutes: 0,
    costReplicaHours: ref.oracleReplicaHours,
    costVsOracle: 1,
    scalingEvents: oracleEvents(reference.trace.load, scaler),
  };
}

/** Changes of the oracle's replica count, clamp(ceil(load / perReplica), min, max), over the ticks; gaps (NaN) are skipped. */
export function oracleEvents(load: ArrayLike<number>, scaler: Scaler): number {
  const s = scaler.spec;
  let events = 0;
  let prev: number | undefined;
  for (let i = 0; i < load.length; i++) {
    const v = load[i]!;
    if (Number.isNaN(v)) continue;
    const r = clampInt(replicasFor(v, s.capacity.perReplica), s.minReplicas, s.maxReplicas);
    if (prev !== undefined && r !== prev) events++;
    prev = r;
  }
  return events;
}
