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
  const problems: string[] = [];
  const check = (ok: boolean, msg: string): void => {
    if (!ok) problems.push(msg);
  };
  const isInt = (n: number): boolean => Number.isInteger(n);
  check(Number.isFinite(r.perReplica) && r.perReplica > 0, `perReplica must be > 0 (got ${r.perReplica})`);
  check(Number.isFinite(r.headroom) && r.headroom >= 0, `headroom must be >= 0 (got ${r.headroom})`);
  check(isInt(r.minReplicas) && r.minReplicas >= 0, `minReplicas must be an integer >= 0 (got ${r.minReplicas})`);
  check(isInt(r.maxReplicas) && r.maxReplicas >= 1, `maxReplicas must be an integer >= 1 (got ${r.maxReplicas})`);
  check(!(r.minReplicas > r.maxReplicas), `minReplicas (${r.minReplicas}) must not exceed maxReplicas (${r.maxReplicas})`);
  check(Number.isFinite(r.leadTimeMs) && r.leadTimeMs >= 0, `leadTime must be >= 0 (got ${r.leadTimeMs} ms)`);
  check(Number.isFinite(r.tickMs) && r.tickMs > 0, `tick must be > 0 (got ${r.tickMs} ms)`);
  check(Number.isFinite(r.minStepMs) && r.minStepMs > 0, `minStep must be > 0 (got ${r.minStepMs} ms)`);
  check(Number.isFinite(r.scaleDownDelayMs) && r.scaleDownDelayMs >= 0, `scaleDownDelay must be >= 0 (got ${r.scaleDownDelayMs} ms)`);
  check(r.maxStepChange === undefined || (isInt(r.maxStepChange) && r.maxStepChange >= 1), `maxStepChange must be an integer >= 1 (got ${r.maxStepChange})`);
  check(r.quantile === undefined || (r.quantile > 0 && r.quantile < 1), `quantile must be in (0, 1) (got ${r.quantile})`);
  check(Number.isFinite(r.gridOriginMs), `gridOrigin must be finite (got ${r.gridOriginMs})`);
  if (problems.length > 0) throw invalidInput(`plan options: ${problems.join('; ')}`);
  return r;
}
