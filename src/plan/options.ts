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
/**
 * Most blocks of minStep one plan may have, 100,000 (a 69-day plan of 1-minute steps): the
 * planner's time and memory grow with them, so a minStep far too short for the horizon (1ms over
 * 6h: 21.6 million blocks) is refused instead of exhausting the process's memory.
 */
export const MAX_PLAN_BLOCKS = 100_000;
/** Times a Date can hold, ms either side of the epoch: a plan prints its times. */
export const MAX_TIME_MS = 8.64e15;

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
  // Durations in whole ms (as the spec's are): the step grid is computed with % and floor.
  if (!(Number.isSafeInteger(r.leadTimeMs) && r.leadTimeMs >= 0)) problems.push(`leadTime must be >= 0, in whole ms (got ${r.leadTimeMs} ms)`);
  if (!(Number.isSafeInteger(r.tickMs) && r.tickMs > 0)) problems.push(`tick must be > 0, in whole ms (got ${r.tickMs} ms)`);
  if (!(Number.isSafeInteger(r.minStepMs) && r.minStepMs > 0)) problems.push(`minStep must be > 0, in whole ms (got ${r.minStepMs} ms)`);
  if (!(Number.isSafeInteger(r.scaleDownDelayMs) && r.scaleDownDelayMs >= 0)) problems.push(`scaleDownDelay must be >= 0, in whole ms (got ${r.scaleDownDelayMs} ms)`);
  if (!(r.maxStepChange === undefined || (Number.isInteger(r.maxStepChange) && r.maxStepChange >= 1))) problems.push(`maxStepChange must be an integer >= 1 (got ${r.maxStepChange})`);
  if (!(r.quantile === undefined || (r.quantile > 0 && r.quantile < 1))) problems.push(`quantile must be in (0, 1) (got ${r.quantile})`);
  if (!(Number.isSafeInteger(r.gridOriginMs) && Math.abs(r.gridOriginMs) <= MAX_TIME_MS)) problems.push(`gridOrigin must be a time in whole ms (got ${r.gridOriginMs})`);
  if (problems.length > 0) throw invalidInput(`plan options: ${problems.join('; ')}`);
  return r;
}
