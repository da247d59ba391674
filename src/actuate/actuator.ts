/**
 * Where a decided floor goes: the HPA's minReplicas, a scale subresource, or only a log line
 * (dry-run). Narrow on purpose (docs/architecture.md, "Habits"); the control loop does not know which.
 */
export interface FloorDecision {
  /** Epoch ms of the decision. */
  readonly atMs: number;
  readonly scaler: string;
  /** The floor to apply (minReplicas). */
  readonly floor: number;
  /** The floor in force before this decision, when known. */
  readonly previous?: number;
  /** Why (CamelCase, as in status conditions) and the plan step's explanation. */
  readonly reason: string;
  readonly detail: string;
  /**
   * Give the floor back: the data is stale, so the target's own minReplicas applies again (an HPA's
   * recorded original value; a workload is left as it is). `floor` is then spec.minReplicas.
   */
  readonly restore?: boolean;
  /** The model and the planning-quantile forecast of load at `atMs`, when a forecast exists. */
  readonly model?: string;
  readonly forecast?: number;
  /** When the floor changes next according to the plan (epoch ms), and to what. */
  readonly nextChange?: { readonly atMs: number; readonly floor: number };
}

export interface Actuator {
  readonly description: string;
  apply(decision: FloorDecision, signal?: AbortSignal): Promise<void>;
}
