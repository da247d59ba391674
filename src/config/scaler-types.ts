/**
 * The resolved PredictiveScaler: what parseScaler/validateScaler hand to the rest of prescale.
 * Every default is filled in and every duration is in milliseconds (fields named `...Ms`).
 * HPA behaviour keeps Kubernetes' own units (seconds, percent) so it can be written into an
 * autoscaling/v2 object unchanged. Field reference with reasons: docs/scaler-spec.md.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS } from '../core/duration.js';
import type { CalendarEvent } from '../forecast/events/index.js';
import { MODEL_NAMES as FORECAST_MODEL_NAMES } from '../forecast/model-names.js';

export type { CalendarEvent } from '../forecast/events/index.js';

export const API_VERSION = 'prescale.dev/v1alpha1';
export const KIND = 'PredictiveScaler';

export const MODES = ['DryRun', 'Enforce'] as const;
export type ScalerMode = (typeof MODES)[number];

export const TARGET_KINDS = ['HorizontalPodAutoscaler', 'Deployment', 'StatefulSet'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** `auto` (choose by rolling-origin backtest) or one of the forecast models. */
export const MODEL_NAMES = ['auto', ...FORECAST_MODEL_NAMES] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const POLICY_TYPES = ['Pods', 'Percent'] as const;
export const SELECT_POLICIES = ['Max', 'Min', 'Disabled'] as const;

/** A key of a Secret in the scaler's namespace (operator only; the CLI cannot read Secrets). */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

export interface BasicAuth {
  readonly username: string;
  /** Exactly one of passwordSecretRef / passwordFile is set. */
  readonly passwordSecretRef?: SecretKeyRef;
  readonly passwordFile?: string;
}

export interface PrometheusSpec {
  /** Base URL of the Prometheus HTTP API, e.g. `http://prometheus.monitoring:9090`. */
  readonly url: string;
  /** Extra request headers, e.g. `X-Scope-OrgID` for Mimir/Cortex/Thanos tenants. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bearerTokenFile?: string;
  readonly basicAuth?: BasicAuth;
  /** PEM CA bundle for https URLs. */
  readonly caFile?: string;
  readonly timeoutMs: number;
}

export interface MetricSpec {
  /** PromQL; with a recorded `--input FILE` it is only a label. */
  readonly query: string;
  readonly stepMs: number;
  readonly historyMs: number;
  /** Per-scaler Prometheus; absent = the operator's / CLI's default. */
  readonly prometheus?: PrometheusSpec;
}

export interface CapacitySpec {
  /** Load (in the metric's unit) that one ready replica serves at its target. > 0. */
  readonly perReplica: number;
  /** Fraction of extra capacity on top of the forecast: replicas = ceil(load × (1 + headroom) / perReplica). */
  readonly headroom: number;
}

export interface ExcludedWindow {
  readonly fromMs: number;
  /** Exclusive end, > fromMs. */
  readonly toMs: number;
  readonly reason?: string;
}

export interface ForecastSpec {
  readonly model: ModelName;
  /** Quantile of the forecast distribution to plan for, in (0, 1). */
  readonly quantile: number;
  readonly horizonMs: number;
  readonly refitIntervalMs: number;
  /** 'auto' = detect from the data; otherwise the season lengths in ms, ascending. */
  readonly seasonalitiesMs: 'auto' | readonly number[];
  /** History to ignore when fitting (outages, incidents, one-off events), sorted by fromMs. */
  readonly excludedWindows: readonly ExcludedWindow[];
  /**
   * The event calendar (`spec.forecast.events`): dates as day numbers in each event's zone,
   * durations in ms; the engine learns and applies the effects (forecast/events/).
   */
  readonly events: readonly CalendarEvent[];
  /** Shift the near term towards the last 30 minutes of observed load when the model is off it. */
  readonly levelCorrection: boolean;
}

export interface PlanSpec {
  /** Request-to-ready time of a new pod: the plan raises the floor this long before demand. */
  readonly leadTimeMs: number;
  /**
   * `leadTime: auto`: the operator learns the lead time from the target's pod start-ups (a replay
   * from a recorded series or a fixed value); `leadTimeMs` is the fallback until enough are seen.
   */
  readonly leadTimeAuto?: boolean;
  /** Control-loop interval (one decision per tick). */
  readonly tickIntervalMs: number;
  /** Shortest time a plan step lasts before the floor changes again. */
  readonly minStepDurationMs: number;
  /** How long a predicted drop must last before the floor is lowered. */
  readonly scaleDownDelayMs: number;
  /** Largest change of the floor, in replicas, from one step to the next; absent = unlimited. */
  readonly maxStepChange?: number;
}

export interface HpaPolicy {
  readonly type: (typeof POLICY_TYPES)[number];
  /** Pods, or percent of current replicas. */
  readonly value: number;
  readonly periodSeconds: number;
}

export interface HpaScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: (typeof SELECT_POLICIES)[number];
  readonly policies: readonly HpaPolicy[];
}

export interface HpaBehavior {
  readonly scaleUp: HpaScalingRules;
  readonly scaleDown: HpaScalingRules;
}

/** What the backtest / dry-run simulator assumes about the HPA and pods when no cluster is there. */
export interface HpaSimSpec {
  readonly behavior: HpaBehavior;
  /** Time from a replica being requested to it being ready, in the simulator. */
  readonly startupDelayMs: number;
}

export interface TargetRef {
  readonly kind: TargetKind;
  readonly name: string;
  readonly apiVersion: string;
}

export interface SafetySpec {
  /**
   * How long the floor in force may outlive the last successful history read. After it the
   * operator puts the target's original minReplicas back (the HPA alone scales) until data returns.
   */
  readonly staleAfterMs: number;
  /**
   * Confidence gate: above this live forecast error (MASE over the last day, against "the same
   * time yesterday") the floor is given back until the error has stayed at or below it for
   * `recoverAfterMs`.
   */
  readonly maxForecastError: number;
  readonly recoverAfterMs: number;
}

export interface ScalerSpec {
  readonly mode: ScalerMode;
  readonly target: TargetRef;
  readonly metric: MetricSpec;
  readonly capacity: CapacitySpec;
  readonly forecast: ForecastSpec;
  readonly plan: PlanSpec;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly hpa: HpaSimSpec;
  readonly safety: SafetySpec;
}

export interface Scaler {
  readonly name: string;
  readonly namespace: string;
  readonly spec: ScalerSpec;
}

/** Defaults, each with its reason (repeated in docs/scaler-spec.md). */
export const DEFAULTS = {
  /** Namespace `default`: what kubectl assumes when none is given. */
  namespace: 'default',
  /** DryRun: a new scaler only logs what it would do until someone has looked at it. */
  mode: 'DryRun' as ScalerMode,
  /** 1m: Prometheus scrapes every 15-60 s; one point a minute resolves a 5m lead time. */
  stepMs: MINUTE_MS,
  /** 28d: four weekly seasons, enough to fit weekly patterns and backtest models on two weeks. */
  historyMs: 28 * DAY_MS,
  /** 30s: long enough for a ~11,000-point range query, short enough not to stall a reconcile. */
  prometheusTimeoutMs: 30_000,
  /** 0: the quantile already buys the safety margin and the HPA covers the rest. */
  headroom: 0,
  /** auto: choose the model by rolling-origin backtest on the scaler's own history. */
  model: 'auto' as ModelName,
  /** 0.9: under-provisioning costs more than a spare pod; the HPA handles the other 10%. */
  quantile: 0.9,
  /** 6h: covers a refit interval plus lead time with hours to spare if Prometheus is down. */
  horizonMs: 6 * HOUR_MS,
  /** 1h: refitting is cheap; hourly picks up a level shift within the hour. */
  refitIntervalMs: HOUR_MS,
  /**
   * true: a floor that follows a collapse (or a surge) of the load within the hour instead of
   * holding the pattern's level until the next model search (src/forecast/level-correction.ts).
   */
  levelCorrection: true,
  /** 5m: a typical request-to-ready time (schedule, image pull, start, readiness). */
  leadTimeMs: 5 * MINUTE_MS,
  /** 1m: one decision per metric step at the default step. */
  tickIntervalMs: MINUTE_MS,
  /** 30m: at most two floor changes an hour, so the plan does not flap with forecast noise. */
  minStepDurationMs: 30 * MINUTE_MS,
  /** 30m: predicted drops are less certain than observed ones; longer than the HPA's 5m window. */
  scaleDownDelayMs: 30 * MINUTE_MS,
  /** 1: the HPA's own default minReplicas. */
  minReplicas: 1,
  /**
   * 2h: two refits at the default 1h interval may fail (a Prometheus upgrade, a short outage) while
   * the forecast made before still covers the hours ahead (6h horizon); longer, and a floor nobody
   * updates keeps costing replicas on a pattern that may have moved. The HPA keeps reacting
   * throughout, so giving the floor back is safe.
   */
  staleAfterMs: 2 * HOUR_MS,
  /**
   * MASE 3: over a whole day the forecasts missed by three times what a copy of yesterday would
   * have. Backtests of the benchmark scaler on every bundled trace of 9 days or more: the live
   * error's 95th percentile is under 3 on most traces (docs/scaler-spec.md gives the figures); a
   * forecast past it has lost the workload's pattern, and the HPA alone is the safer floor.
   */
  maxForecastError: 3,
  /** 2h of the day-window error at or below the limit: two refits agree the pattern is back. */
  recoverAfterMs: 2 * HOUR_MS,
} as const;

/** Bounds that are not defaults. */
export const LIMITS = {
  /** History shorter than a day cannot show a daily season. */
  minHistoryMs: DAY_MS,
  /** Below two weeks a weekly season cannot be learned (warning, not an error). */
  weeklyHistoryMs: 2 * WEEK_MS,
} as const;

/** The `apiVersion` used for a target kind when the spec gives none. */
export const TARGET_API_VERSION: Readonly<Record<TargetKind, string>> = {
  HorizontalPodAutoscaler: 'autoscaling/v2',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
};

/** Kubernetes API validation limits for HPA scaling rules (autoscaling/v2). */
export const HPA_RULE_LIMITS = {
  /** stabilizationWindowSeconds is in [0, 3600]. */
  maxStabilizationSeconds: 3600,
  /** A policy's periodSeconds is in (0, 1800]. */
  maxPeriodSeconds: 1800,
} as const;

/**
 * autoscaling/v2 default behaviour (Kubernetes docs, "Horizontal Pod Autoscaling", section
 * "Default Behavior"): scale up by max(+4 pods, +100%) per 15 s with no stabilization; scale down
 * by up to 100% per 15 s after a 300 s stabilization window.
 */
export const DEFAULT_HPA_BEHAVIOR: HpaBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
};
