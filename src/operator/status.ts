/**
 * The PredictiveScaler's status as the operator writes it (status subresource; only fields the
 * CRD schema declares, since a real API server drops the others). Pure: built from the pass's
 * outcome and the previous status, so a condition keeps its lastTransitionTime while it holds.
 */
import { formatTimestamp, parseTimestampMs } from '../core/time.js';
import type { Decision, Gate } from '../control/reconcile.js';
import { nextChange, stepAt, type Plan } from '../plan/index.js';

export type ConditionType = 'Ready' | 'Active' | 'ForecastReady';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export interface StepStatus {
  readonly start: string;
  readonly end: string;
  readonly replicas: number;
}

export interface ScalerStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  model?: string;
  lastRefitTime?: string;
  lastDataTime?: string;
  currentStep?: StepStatus;
  nextStep?: StepStatus;
  forecastError?: { mase?: number; smape?: number; windowStart?: string };
  lastDecision?: { time: string; floorReplicas: number; reason: string; message: string };
  /** plan.leadTime auto: the learned lead time (operator/pod-startup.ts). */
  leadTime?: { value: string; seconds: number; source: 'Learned' | 'Default'; pods: number; lastChangeTime?: string; message?: string };
}

export type ConditionIn = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** Conditions with lastTransitionTime carried over from `prev` while status is unchanged. */
export function mergeConditions(prev: readonly Condition[] | undefined, next: readonly ConditionIn[], nowMs: number, generation: number | undefined): Condition[] {
  return next.map((c) => {
    const old = prev?.find((p) => p.type === c.type);
    const since = old && old.status === c.status ? old.lastTransitionTime : formatTimestamp(nowMs);
    return { ...c, lastTransitionTime: since, ...(generation === undefined ? {} : { observedGeneration: generation }) };
  });
}

/**
 * The confidence gate a previous run of the operator recorded (Active=False, ForecastInaccurate):
 * a restarted operator keeps it closed until the error is measured again and has recovered,
 * instead of raising a floor its forecasts had lost the right to.
 */
export function gateFromStatus(status: unknown, nowMs: number): Gate | undefined {
  const conditions = (status as ScalerStatus | undefined)?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  const active = conditions.find((c) => c?.type === 'Active');
  if (active?.status !== 'False' || active.reason !== 'ForecastInaccurate') return undefined;
  const since = typeof active.lastTransitionTime === 'string' ? parseTimestampMs(active.lastTransitionTime) : NaN;
  return { sinceMs: Number.isFinite(since) ? since : nowMs };
}

/** The step in force at nowMs and the next one with a different count, as status shows them. */
export function stepsOf(plan: Plan | undefined, nowMs: number, floor: number): { currentStep?: StepStatus; nextStep?: StepStatus } {
  if (!plan) return {};
  const cur = stepAt(plan, nowMs);
  if (!cur) return {};
  const view = (s: { fromMs: number; toMs: number; replicas: number }): StepStatus => ({ start: formatTimestamp(s.fromMs), end: formatTimestamp(s.toMs), replicas: s.replicas });
  const next = nextChange(plan, nowMs);
  return { currentStep: { ...view(cur), replicas: floor }, ...(next ? { nextStep: view(next) } : {}) };
}

/** Ready / Active / ForecastReady for a pass that ran the control loop. */
export function loopConditions(d: Decision, opts: { enforce: boolean; targetReason?: string; forecastOk: boolean; forecastMessage: string }): ConditionIn[] {
  const failed = d.reason !== 'PlanApplied';
  const reason = opts.targetReason ?? d.reason;
  const ready: ConditionIn = failed
    ? { type: 'Ready', status: 'False', reason, message: d.detail }
    : { type: 'Ready', status: 'True', reason: opts.enforce ? 'PlanApplied' : 'DryRun', message: opts.enforce ? `floor ${d.floor}: ${d.detail}` : `planned floor ${d.floor}, not written (mode DryRun): ${d.detail}` };
  const active: ConditionIn = !opts.enforce
    ? { type: 'Active', status: 'False', reason: 'DryRun', message: 'mode DryRun: the target is not written' }
    : d.restore
      ? { type: 'Active', status: 'False', reason, message: `the target's own minReplicas applies: ${d.detail}` }
      : d.reason === 'ActuationFailed'
        ? { type: 'Active', status: 'False', reason, message: d.detail }
        : { type: 'Active', status: 'True', reason: 'FloorApplied', message: `floor ${d.floor} in force` };
  const forecast: ConditionIn = opts.forecastOk
    ? { type: 'ForecastReady', status: 'True', reason: 'ForecastReady', message: opts.forecastMessage }
    : { type: 'ForecastReady', status: 'False', reason: d.errorReason ?? (d.reason === 'PlanApplied' || d.reason === 'ActuationFailed' ? 'ForecastStale' : d.reason), message: opts.forecastMessage };
  return [ready, active, forecast];
}

/** The same condition (status False, one reason) on all three types: a pass that could not run the loop. */
export function failedConditions(reason: string, message: string): ConditionIn[] {
  return (['Ready', 'Active', 'ForecastReady'] as const).map((type) => ({ type, status: 'False' as const, reason, message }));
}
