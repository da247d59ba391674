export type { AppliedFloor, Plan, PlanOptions, PlanStep, ResolvedPlanOptions, StepReason, StepReasonKind } from './types.js';
export { buildPlan } from './planner.js';
export { floorAt, nextChange, stepAt } from './floor.js';
export { DEFAULT_MIN_STEP_MS, DEFAULT_SCALE_DOWN_DELAY_MS, DEFAULT_TICK_MS, resolvePlanOptions } from './options.js';
export { clampInt, isShort, replicasFor } from './capacity.js';
