/**
 * The planning vocabulary: a forecast of load becomes a step function of replica floors.
 * Pure data; every time is epoch milliseconds (UTC).
 */

/** Why a step has its replica count. */
export type StepReasonKind =
  | 'forecast' // the forecast needs this many replicas within the step (plus lead time)
  | 'min-replicas' // the forecast needs fewer than minReplicas (or no forecast covers the step)
  | 'max-replicas' // the forecast needs more than maxReplicas; capped
  | 'hold-scale-down-delay' // demand was higher less than scaleDownDelay before the step began
  | 'hold-min-step' // the floor applied at nowMs must last minStep (or the rest of its block)
  | 'max-step-change'; // ramped ahead of a rise, or limited, by maxStepChange

export interface StepReason {
  readonly kind: StepReasonKind;
  /** One human-readable line, e.g. for status conditions and logs. */
  readonly detail: string;
  /** Time of the forecast value that set the count, when one did (epoch ms). */
  readonly atMs?: number;
  /** That forecast value (load units, before headroom). */
  readonly load?: number;
  /** Replicas that value needs before clamping to [min, max]. */
  readonly needed?: number;
}

/** The floor `replicas` holds on [fromMs, toMs). */
export interface PlanStep {
  readonly fromMs: number;
  readonly toMs: number;
  readonly replicas: number;
  readonly reason: StepReason;
}

/** Steps are contiguous and sorted; they cover [steps[0].fromMs, last.toMs) = [nowMs, forecast end - lead time). */
export interface Plan {
  readonly steps: readonly PlanStep[];
}

/** The floor currently written to the HPA, and since when (epoch ms). */
export interface AppliedFloor {
  readonly replicas: number;
  readonly sinceMs: number;
}

export interface PlanOptions {
  /** Load one ready replica serves at its target (load units, > 0). */
  readonly perReplica: number;
  /** Extra capacity as a fraction of the forecast (0.1 = 10 %). Default 0. */
  readonly headroom?: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Request-to-ready time of a new pod, ms (>= 0). */
  readonly leadTimeMs: number;
  /** Control-loop interval, ms. Default 60 s (see DEFAULT_TICK_MS). */
  readonly tickMs?: number;
  /** Minimum step duration, ms; steps change only on a grid of this period. Default 30 min. */
  readonly minStepMs?: number;
  /** Demand must stay lower this long before the floor drops, ms. Default 30 min. */
  readonly scaleDownDelayMs?: number;
  /** Max replicas added or removed between consecutive steps; undefined = unlimited. */
  readonly maxStepChange?: number;
  /** Quantile the forecast values represent (e.g. 0.9); only used in reason texts. */
  readonly quantile?: number;
  /** Origin of the step grid, epoch ms. Default 0, so 30-min steps start at :00 and :30 UTC. */
  readonly gridOriginMs?: number;
}

/** PlanOptions with every default filled in and validated. */
export interface ResolvedPlanOptions {
  readonly perReplica: number;
  readonly headroom: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly leadTimeMs: number;
  readonly tickMs: number;
  readonly minStepMs: number;
  readonly scaleDownDelayMs: number;
  readonly maxStepChange: number | undefined;
  readonly quantile: number | undefined;
  readonly gridOriginMs: number;
}
