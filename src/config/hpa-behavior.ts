/**
 * `spec.hpa`: what the simulator (backtest, dry-run without a cluster) assumes about the HPA.
 * `behavior` is an autoscaling/v2 HorizontalPodAutoscalerBehavior; missing parts take the
 * Kubernetes defaults, field by field, as the API server would fill them in.
 */
import { MapReader } from './fields.js';
import type { PathSeg } from './problems.js';
import {
  DEFAULT_HPA_BEHAVIOR,
  HPA_RULE_LIMITS,
  POLICY_TYPES,
  SELECT_POLICIES,
  type HpaBehavior,
  type HpaPolicy,
  type HpaScalingRules,
  type HpaSimSpec,
} from './scaler-types.js';

/** Reads `spec.hpa` (absent: all defaults). `leadTimeMs` is the startupDelay default. */
export function readHpaSim(spec: MapReader, leadTimeMs: number): HpaSimSpec {
  const hpa = spec.map('hpa', ['behavior', 'startupDelay']);
  if (hpa === undefined) return { behavior: DEFAULT_HPA_BEHAVIOR, startupDelayMs: leadTimeMs };
  const behaviorMap = hpa.map('behavior', ['scaleUp', 'scaleDown']);
  const behavior: HpaBehavior =
    behaviorMap === undefined
      ? DEFAULT_HPA_BEHAVIOR
      : {
          scaleUp: readRules(behaviorMap, 'scaleUp', DEFAULT_HPA_BEHAVIOR.scaleUp),
          scaleDown: readRules(behaviorMap, 'scaleDown', DEFAULT_HPA_BEHAVIOR.scaleDown),
        };
  // Zero is allowed: "pods are ready at once" is a useful what-if in a backtest.
  return { behavior, startupDelayMs: hpa.duration('startupDelay', leadTimeMs, { allowZero: true }) };
}

function readRules(behavior: MapReader, key: 'scaleUp' | 'scaleDown', defaults: HpaScalingRules): HpaScalingRules {
  const rules = behavior.map(key, ['stabilizationWindowSeconds', 'selectPolicy', 'policies']);
  if (rules === undefined) return defaults;
  const stabilizationWindowSeconds = rules.number(
    'stabilizationWindowSeconds',
    { integer: true, min: 0, max: HPA_RULE_LIMITS.maxStabilizationSeconds },
    defaults.stabilizationWindowSeconds,
  );
  const selectPolicy = rules.enumOf('selectPolicy', SELECT_POLICIES, defaults.selectPolicy);
  const list = rules.list('policies');
  let policies = defaults.policies;
  if (list !== undefined) {
    if (list.length === 0) rules.problems.add(rules.at('policies'), 'must list at least one policy');
    policies = list.map((item, i) => readPolicy(rules, [...rules.at('policies'), i], item));
  }
  return { stabilizationWindowSeconds, selectPolicy, policies };
}

function readPolicy(rules: MapReader, path: PathSeg[], item: unknown): HpaPolicy {
  const p = MapReader.of(rules.problems, path, item, ['type', 'value', 'periodSeconds']);
  if (p === undefined) return { type: 'Pods', value: NaN, periodSeconds: NaN };
  return {
    type: p.enumOf('type', POLICY_TYPES),
    value: p.number('value', { integer: true, min: 1 }),
    periodSeconds: p.number('periodSeconds', { integer: true, min: 1, max: HPA_RULE_LIMITS.maxPeriodSeconds }),
  };
}
