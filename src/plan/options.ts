import { invalidInput } from '../core/errors.js';
import type { PlanOptions, ResolvedPlanOptions } from './types.js';

/**
 * Control-loop interval, 60 s: the operator re-reads the plan once a minute. The floor at t must
 * cover the need up to one tick past the lead time, because the next chance to raise it is a tick away.
 */
export const DEFAULT_TICK_MS = 60_000;
/** Minimum step duration, 30 min (Scryer-style coarse steps; few scaling events). */
export const DEFAULT_MIN_STEP_MS = 30 * 60_000;
/**
 * Scale-down delay, 30 min: one step. Far above the HPA's own 5-min stabilisation, so the floor
 * does not follow dips in the forecast that come back within the half-hour.
 */
export const DEFAULT_SCALE_DOWN_DELAY_MS = 30 * 60_000;

/** Fills defaults and checks every field; throws one invalid-input error listing all problems. */
export function resolvePlanOptions(o: PlanOptions): ResolvedPlanOptions {
  const r: ResolvedPlanOptions = {
    perReplica: o.perReplica,
    headroom: o.headroom ?? 0,
    minReplicas: o.minReplicas,
    maxReplicas: o.maxReplicas,
    leadTimeMs: o.leadTimeMs,
    tickMs: o.tickMs ?? DEFAULT_TICK_MS,
    minStepMs: o.minStepMs ?? DEFAULT_MIN_STEP_MS,
    scaleDownDelayMs: o.scaleDownDelayMs ?? DEFAULT_SCALE_DOWN_DELAY_MS,
    maxStepChange: o.maxStepChange,
    quantile: o.quantile,
    gridOriginMs: o.gridOriginMs ?? 0,
  };
  // Plain ifs, messages built only on failure: this runs on every control tick (86,400 times
  // in a 60-day replay).
  const problems: string[] = [];
  if (!(Number.isFinite(r.perReplica) && r.perReplica > 0)) problems.push(`perReplica must be > 0 (got ${r.perReplica})`);
  if (!(Number.isFinite(r.headroom) && r.headroom >= 0)) problems.push(`headroom must be >= 0 (got ${r.headroom})`);
  if (!(Number.isInteger(r.minReplicas) && r.minReplicas >= 0)) problems.push(`minReplicas must be an integer >= 0 (got ${r.minReplicas})`);
  if (!(Number.isInteger(r.maxReplicas) && r.maxReplicas >= 1)) problems.push(`maxReplicas must be an integer >= 1 (got ${r.maxReplicas})`);
  if (r.minReplicas > r.maxReplicas) problems.push(`minReplicas (${r.minReplicas}) must not exceed maxReplicas (${r.maxReplicas})`);
  if (!(Number.isFinite(r.leadTimeMs) && r.leadTimeMs >= 0)) problems.push(`leadTime must be >= 0 (got ${r.leadTimeMs} ms)`);
  if (!(Number.isFinite(r.tickMs) && r.tickMs > 0)) problems.push(`tick must be > 0 (got ${r.tickMs} ms)`);
  if (!(Number.isFinite(r.minStepMs) && r.minStepMs > 0)) problems.push(`minStep must be > 0 (got ${r.minStepMs} ms)`);
  if (!(Number.isFinite(r.scaleDownDelayMs) && r.scaleDownDelayMs >= 0)) problems.push(`scaleDownDelay must be >= 0 (got ${r.scaleDownDelayMs} ms)`);
  if (!(r.maxStepChange === undefined || (Number.isInteger(r.maxStepChange) && r.maxStepChange >= 1))) problems.push(`maxStepChange must be an integer >= 1 (got ${r.maxStepChange})`);
  if (!(r.quantile === undefined || (r.quantile > 0 && r.quantile < 1))) problems.push(`quantile must be in (0, 1) (got ${r.quantile})`);
  if (!Number.isFinite(r.gridOriginMs)) problems.push(`gridOrigin must be finite (got ${r.gridOriginMs})`);
  if (problems.length > 0) throw invalidInput(`plan options: ${problems.join('; ')}`);
  return r;
}
