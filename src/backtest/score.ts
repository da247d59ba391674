import { invalidInput } from '../core/errors.js';
import { clampInt, isShort, replicasFor } from '../plan/capacity.js';

/** Per-tick samples on a regular grid (a ScalingTrace fits). Sample k holds over [k*dt, (k+1)*dt). */
export interface ScoreInput {
  readonly stepMs: number;
  readonly load: ArrayLike<number>;
  readonly ready: ArrayLike<number>;
  /** Desired replica counts, for scalingEvents; optional. */
  readonly desired?: ArrayLike<number>;
}

export interface ScoreOptions {
  readonly perReplica: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
}

/**
 * Scaling outcome (docs/architecture.md, "Scoring"). Ticks whose load is NaN (gaps) are left out of every
 * figure, so policy and oracle are compared over the same time.
 */
export interface ScalingScore {
  /** ∫ max(0, load/perReplica - ready) dt, replica-minutes. */
  readonly shortfallReplicaMinutes: number;
  /** Demand ∫ load/perReplica dt, replica-minutes. */
  readonly demandReplicaMinutes: number;
  /** shortfall as % of demand (0 when there is no demand). */
  readonly shortfallPct: number;
  /** Minutes with load above ready capacity (load > ready * perReplica). */
  readonly underMinutes: number;
  /** Ready replica-hours. */
  readonly costReplicaHours: number;
  /** Replica-hours of the oracle: clamp(ceil(load/perReplica), min, max) at every tick. */
  readonly oracleReplicaHours: number;
  /** cost / oracle cost (1.25 = 25 % more than the oracle); NaN when the oracle costs 0. */
  readonly costVsOracle: number;
  /** Changes of the desired count between consecutive ticks (0 without `desired`). */
  readonly scalingEvents: number;
  /** Minutes scored (ticks with a load). */
  readonly minutes: number;
  /** Ticks left out because the load was missing. */
  readonly missingTicks: number;
}

export function scoreScaling(s: ScoreInput, o: ScoreOptions): ScalingScore {
  if (!(s.stepMs > 0)) throw invalidInput(`score: step must be > 0 ms (got ${s.stepMs})`);
  if (!(o.perReplica > 0)) throw invalidInput(`score: perReplica must be > 0 (got ${o.perReplica})`);
  if (s.ready.length !== s.load.length || (s.desired && s.desired.length !== s.load.length)) {
    throw invalidInput(`score: load, ready and desired must have the same length`);
  }
  const dtMin = s.stepMs / 60_000;
  let shortfall = 0;
  let demand = 0;
  let underTicks = 0;
  let readySum = 0;
  let oracleSum = 0;
  let scored = 0;
  for (let k = 0; k < s.load.length; k++) {
    const load = s.load[k]!;
    if (Number.isNaN(load)) continue;
    const ready = s.ready[k]!;
    const need = load / o.perReplica;
    scored++;
    demand += need;
    readySum += ready;
    oracleSum += clampInt(replicasFor(load, o.perReplica), o.minReplicas, o.maxReplicas);
    if (isShort(load, ready, o.perReplica)) {
      shortfall += need - ready;
      underTicks++;
    }
  }
  let events = 0;
  if (s.desired) for (let k = 1; k < s.desired.length; k++) if (s.desired[k] !== s.desired[k - 1]) events++;
  const cost = (readySum * dtMin) / 60;
  const oracle = (oracleSum * dtMin) / 60;
  return {
    shortfallReplicaMinutes: shortfall * dtMin,
    demandReplicaMinutes: demand * dtMin,
    shortfallPct: demand > 0 ? (100 * shortfall) / demand : 0,
    underMinutes: underTicks * dtMin,
    costReplicaHours: cost,
    oracleReplicaHours: oracle,
    costVsOracle: oracle > 0 ? cost / oracle : NaN,
    scalingEvents: events,
    minutes: scored * dtMin,
    missingTicks: s.load.length - scored,
  };
}
