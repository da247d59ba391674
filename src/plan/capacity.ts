/**
 * Load -> replicas. Shared by the planner, the HPA simulator's oracle and the scores so that all
 * agree on what "enough replicas" means.
 */

/**
 * Relative slack for float noise: 360 / 120 * (1 + 0.1) is 3.3000000000000003, and
 * 0.3 / 0.1 is 2.9999999999999996; a ceil must not turn representation error into a replica.
 */
const EPS = 1e-9;

/** Replicas needed so that load / replicas <= perReplica: ceil(load * (1 + headroom) / perReplica), >= 0. */
export function replicasFor(load: number, perReplica: number, headroom = 0): number {
  const x = (load * (1 + headroom)) / perReplica;
  if (!(x > 0)) return 0;
  return Math.ceil(x - EPS * Math.max(1, x));
}

/** True when `load` exceeds what `ready` replicas serve (with the same float slack as replicasFor). */
export function isShort(load: number, ready: number, perReplica: number): boolean {
  const x = load / perReplica;
  return x - ready > EPS * Math.max(1, x);
}

export const clampInt = (n: number, lo: number, hi: number): number => (n < lo ? lo : n > hi ? hi : n);

/**
 * A warning when the load never needs more than `minReplicas` replicas of `perReplica`: every
 * policy then sits at the minimum and comparing them says nothing (a CPU series in cores, ~0.002,
 * against `perReplica: 1`). Undefined when some load needs more, or there is none.
 */
export function capacityWarning(load: ArrayLike<number>, perReplica: number, minReplicas: number): string | undefined {
  let peak = -Infinity;
  for (let i = 0; i < load.length; i++) if (load[i]! > peak) peak = load[i]!;
  if (!Number.isFinite(peak) || replicasFor(peak, perReplica) > minReplicas) return undefined;
  return `warning: the load never needs more than minReplicas (${minReplicas}) at capacity.perReplica ${perReplica} (its peak is ${Number(peak.toPrecision(3))}): every policy stays at the minimum; set capacity.perReplica to the load one replica serves`;
}
