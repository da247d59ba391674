import type { Plan, PlanStep } from './types.js';

/** The step in force at tMs, or undefined outside [first.fromMs, last.toMs). Binary search. */
export function stepAt(plan: Plan, tMs: number): PlanStep | undefined {
  const s = plan.steps;
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const step = s[mid]!;
    if (tMs < step.fromMs) hi = mid - 1;
    else if (tMs >= step.toMs) lo = mid + 1;
    else return step;
  }
  return undefined;
}

/** The floor (replicas) the plan sets at tMs, or undefined outside the plan. */
export function floorAt(plan: Plan, tMs: number): number | undefined {
  return stepAt(plan, tMs)?.replicas;
}

/** The first step starting after tMs whose replica count differs from the one at tMs (status "next step"). */
export function nextChange(plan: Plan, tMs: number): PlanStep | undefined {
  const now = stepAt(plan, tMs);
  if (now === undefined) return undefined;
  for (const s of plan.steps) if (s.fromMs > tMs && s.replicas !== now.replicas) return s;
  return undefined;
}
