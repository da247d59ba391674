import { DEFAULT_HPA_BEHAVIOR, HPA_RULE_LIMITS, type HpaPolicy, type HpaScalingRules as ResolvedRules } from '../config/scaler-types.js';
import { invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { clampInt, replicasFor } from '../plan/capacity.js';
import { Deployment } from './pods.js';

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) in simulated time, following the Kubernetes
 * controller (kubernetes/kubernetes pkg/controller/podautoscaler: horizontal.go
 * reconcileAutoscaler, stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate,
 * calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors; replica_calculator.go
 * calcPlainMetricReplicas; apis/autoscaling/v2/defaults.go for the default behavior).
 *
 * The metric is an average-value pods metric: load per ready pod against a target of
 * `targetPerPod` (the planner's perReplica), so outside the tolerance desired = ceil(load / target).
 *
 * Deviations, on purpose: the behavior path is always used (with Kubernetes' default rules when
 * `behavior` is absent; an HPA without behavior in a real cluster uses the legacy rule
 * "scale up to max(2 x current, 4)" instead of "+max(4 pods, 100 %) per 15 s"); scale events are
 * kept for the longest policy period of either direction rather than replaced per direction.
 */

/**
 * Scaling rules as an HPA spec may give them (config/scaler-types.ts HpaScalingRules, each field
 * optional): an absent field takes DEFAULT_HPA_BEHAVIOR's.
 */
export type HpaScalingRules = Partial<ResolvedRules>;

export interface HpaBehavior {
  readonly scaleUp?: HpaScalingRules;
  readonly scaleDown?: HpaScalingRules;
}

export interface HpaSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average load per ready pod (load units), i.e. perReplica. */
  readonly targetPerPod: number;
  /** Default 0.1 (kube-controller-manager --horizontal-pod-autoscaler-tolerance). */
  readonly tolerance?: number;
  readonly behavior?: HpaBehavior;
}

/** What the controller sees at a sync. */
export interface HpaObservation {
  /** The target's scale.spec.replicas. */
  readonly currentReplicas: number;
  readonly readyPods: number;
  /** Pods created but not ready yet. */
  readonly notReadyPods: number;
  /** Total load over the pods (load units); NaN when the metric is unavailable. */
  readonly load: number;
}

export type HpaReason =
  | 'ScalingDisabled'
  | 'AboveMaxReplicas'
  | 'BelowMinReplicas'
  | 'FailedGetMetrics'
  | 'DesiredWithinRange'
  | 'ScaleUpLimit'
  | 'ScaleDownLimit'
  | 'TooManyReplicas'
  | 'TooFewReplicas';

export interface HpaDecision {
  readonly desiredReplicas: number;
  /** Replicas the metric alone asks for; -1 when not computed. */
  readonly metricReplicas: number;
  readonly reason: HpaReason;
}

interface Rules {
  readonly windowMs: number;
  readonly select: ResolvedRules['selectPolicy'];
  readonly policies: readonly HpaPolicy[];
}

/**
 * The rules of one direction with the defaults filled in (Kubernetes' defaults, DEFAULT_HPA_BEHAVIOR:
 * GenerateHPAScaleUpRules / GenerateHPAScaleDownRules and the controller's 300 s
 * --horizontal-pod-autoscaler-downscale-stabilization), checked against the API's limits.
 */
function resolveRules(given: HpaScalingRules | undefined, dflt: ResolvedRules, what: string): Rules {
  const r = {
    windowMs: (given?.stabilizationWindowSeconds ?? dflt.stabilizationWindowSeconds) * 1000,
    select: given?.selectPolicy ?? dflt.selectPolicy,
    policies: given?.policies ?? dflt.policies,
  };
  const { maxStabilizationSeconds, maxPeriodSeconds } = HPA_RULE_LIMITS;
  if (!(r.windowMs >= 0 && r.windowMs <= maxStabilizationSeconds * 1000)) throw invalidInput(`behavior.${what}.stabilizationWindowSeconds must be in [0, ${maxStabilizationSeconds}]`);
  if (r.policies.length === 0 && r.select !== 'Disabled') throw invalidInput(`behavior.${what}.policies must not be empty`);
  for (const p of r.policies) {
    if (!(Number.isInteger(p.value) && p.value > 0)) throw invalidInput(`behavior.${what}.policies: value must be an integer > 0 (got ${p.value})`);
    if (!(Number.isInteger(p.periodSeconds) && p.periodSeconds > 0 && p.periodSeconds <= maxPeriodSeconds)) {
      throw invalidInput(`behavior.${what}.policies: periodSeconds must be in (0, ${maxPeriodSeconds}] (got ${p.periodSeconds})`);
    }
  }
  return r;
}

/** The HPA controller's memory for one HPA: recommendations and scale events. Time passed in (epoch ms). */
export class HpaController {
  readonly spec: HpaSpec;
  private readonly tolerance: number;
  private readonly up: Rules;
  private readonly down: Rules;
  private readonly keepRecsMs: number;
  private readonly keepEventsMs: number;
  // Parallel arrays, oldest first (appended in time order).
  private readonly recT: number[] = [];
  private readonly recV: number[] = [];
  private readonly evT: number[] = [];
  /** Replica change of each event: > 0 scale-up, < 0 scale-down. */
  private readonly evV: number[] = [];
  private initialised = false;
  private limitReason: HpaReason = 'DesiredWithinRange';

  constructor(spec: HpaSpec) {
    if (!(Number.isInteger(spec.minReplicas) && spec.minReplicas >= 0)) throw invalidInput(`hpa.minReplicas must be an integer >= 0`);
    if (!(Number.isInteger(spec.maxReplicas) && spec.maxReplicas >= Math.max(1, spec.minReplicas))) throw invalidInput(`hpa.maxReplicas must be an integer >= max(1, minReplicas)`);
    if (!(spec.targetPerPod > 0 && Number.isFinite(spec.targetPerPod))) throw invalidInput(`hpa target per pod must be > 0`);
    this.spec = spec;
    this.tolerance = spec.tolerance ?? 0.1;
    this.up = resolveRules(spec.behavior?.scaleUp, DEFAULT_HPA_BEHAVIOR.scaleUp, 'scaleUp');
    this.down = resolveRules(spec.behavior?.scaleDown, DEFAULT_HPA_BEHAVIOR.scaleDown, 'scaleDown');
    this.keepRecsMs = Math.max(this.up.windowMs, this.down.windowMs);
    const longest = (r: Rules): number => Math.max(0, ...r.policies.map((p) => p.periodSeconds * 1000));
    this.keepEventsMs = Math.max(longest(this.up), longest(this.down));
  }

  /**
   * One sync at nowMs (non-decreasing). `minReplicas` overrides spec.minReplicas (the predictive
   * floor written into the HPA); it takes effect at once: when current < minReplicas the controller
   * sets desired = minReplicas without stabilisation or rate limits (reconcileAutoscaler's
   * "Current number of replicas below Spec.MinReplicas" branch), and later scale-downs never go
   * below it (convertDesiredReplicasWithBehaviorRate). Raising maxReplicas is not rate limited either.
   */
  reconcile(nowMs: number, obs: HpaObservation, minReplicas = this.spec.minReplicas): HpaDecision {
    const max = this.spec.maxReplicas;
    const min = Math.min(minReplicas, max); // the API server rejects min > max; a floor never exceeds max
    const cur = obs.currentReplicas;
    if (!this.initialised) {
      // recordInitialRecommendation: the current count counts as a recommendation from now.
      this.recT.push(nowMs);
      this.recV.push(cur);
      this.initialised = true;
    }
    let d: HpaDecision;
    if (cur === 0 && min !== 0) d = { desiredReplicas: 0, metricReplicas: -1, reason: 'ScalingDisabled' };
    else if (cur > max) d = { desiredReplicas: max, metricReplicas: -1, reason: 'AboveMaxReplicas' };
    else if (cur < min) d = { desiredReplicas: min, metricReplicas: -1, reason: 'BelowMinReplicas' };
    else {
      const metric = this.metricReplicas(obs);
      if (metric < 0) d = { desiredReplicas: cur, metricReplicas: -1, reason: 'FailedGetMetrics' };
      else {
        const stabilised = this.stabilise(nowMs, cur, metric);
        const desired = this.rateLimit(nowMs, cur, stabilised, min, max);
        d = { desiredReplicas: desired, metricReplicas: metric, reason: this.limitReason };
      }
    }
    if (d.desiredReplicas !== cur && d.reason !== 'ScalingDisabled') this.storeEvent(nowMs, d.desiredReplicas - cur);
    return d;
  }

  /** calcPlainMetricReplicas with ready pods reporting; not-ready pods are "unready" (no metric). */
  private metricReplicas(obs: HpaObservation): number {
    const { load, readyPods: ready, notReadyPods: unready, currentReplicas: cur } = obs;
    const target = this.spec.targetPerPod;
    if (!(load >= 0) || ready <= 0) return -1; // "did not receive metrics for targeted pods"
    const ratio = load / ready / target;
    if (!(unready > 0 && ratio > 1)) return Math.abs(1 - ratio) <= this.tolerance ? cur : replicasFor(load, target);
    // Scale-up with unready pods: count them as using 0, re-check; never flip direction.
    const newRatio = load / (ready + unready) / target;
    if (Math.abs(1 - newRatio) <= this.tolerance || newRatio < 1) return cur;
    const n = replicasFor(load, target);
    return n < cur ? cur : n;
  }

  /** stabilizeRecommendationWithBehaviors: min over the scale-up window, max over the scale-down window. */
  private stabilise(nowMs: number, cur: number, desired: number): number {
    const upCut = nowMs - this.up.windowMs;
    const downCut = nowMs - this.down.windowMs;
    let upRec = desired;
    let downRec = desired;
    for (let i = 0; i < this.recT.length; i++) {
      const t = this.recT[i]!;
      const v = this.recV[i]!;
      if (t > upCut && v < upRec) upRec = v; // strictly after the cutoff, as time.After
      if (t > downCut && v > downRec) downRec = v;
    }
    let rec = cur;
    if (rec < upRec) rec = upRec;
    if (rec > downRec) rec = downRec;
    this.recT.push(nowMs);
    this.recV.push(desired); // the unstabilised recommendation is what is remembered
    while (this.recT.length > 0 && this.recT[0]! <= nowMs - this.keepRecsMs) {
      this.recT.shift();
      this.recV.shift();
    }
    return rec;
  }

  /** convertDesiredReplicasWithBehaviorRate; sets limitReason (no tuple: this runs 345,600 times per 60 days). */
  private rateLimit(nowMs: number, cur: number, desired: number, min: number, max: number): number {
    this.limitReason = 'DesiredWithinRange';
    if (desired > cur) {
      const limit = Math.max(cur, this.scaleUpLimit(nowMs, cur));
      const allowed = max > limit ? limit : max;
      if (desired > allowed) {
        this.limitReason = max > limit ? 'ScaleUpLimit' : 'TooManyReplicas';
        return allowed;
      }
    } else if (desired < cur) {
      const limit = Math.min(cur, this.scaleDownLimit(nowMs, cur));
      const allowed = min < limit ? limit : min;
      if (desired < allowed) {
        this.limitReason = min < limit ? 'ScaleDownLimit' : 'TooFewReplicas';
        return allowed;
      }
    }
    return desired;
  }

  /** Replicas at the start of the period: current minus what was added plus what was removed since. */
  private periodStart(nowMs: number, cur: number, periodSeconds: number): number {
    const cut = nowMs - periodSeconds * 1000;
    let start = cur;
    for (let i = this.evT.length - 1; i >= 0 && this.evT[i]! > cut; i--) start -= this.evV[i]!;
    return start;
  }

  private scaleUpLimit(nowMs: number, cur: number): number {
    if (this.up.select === 'Disabled') return cur;
    const pickMin = this.up.select === 'Min';
    let result = pickMin ? Infinity : -Infinity;
    for (const p of this.up.policies) {
      const start = this.periodStart(nowMs, cur, p.periodSeconds);
      // Percent rounds up so that a small count can still grow (Kubernetes' comment).
      const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
      result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  private scaleDownLimit(nowMs: number, cur: number): number {
    if (this.down.select === 'Disabled') return cur;
    const pickMin = this.down.select === 'Min'; // the smallest change = the highest count
    let result = pickMin ? -Infinity : Infinity;
    for (const p of this.down.policies) {
      const start = this.periodStart(nowMs, cur, p.periodSeconds);
      const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100)); // int32() truncates
      result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private storeEvent(nowMs: number, change: number): void {
    this.evT.push(nowMs);
    this.evV.push(change);
    while (this.evT.length > 0 && this.evT[0]! <= nowMs - this.keepEventsMs) {
      this.evT.shift();
      this.evV.shift();
    }
  }
}

/** One HPA scaling one Deployment: what the backtest and the dry-run step through. */
export class ScalingSim {
  readonly hpa: HpaController;
  readonly pods: Deployment;

  /** `initialReplicas` ready pods at startMs. */
  constructor(spec: HpaSpec, startupMs: number, initialReplicas: number, startMs: number) {
    this.hpa = new HpaController(spec);
    this.pods = new Deployment(startupMs, initialReplicas, startMs);
  }

  /** One HPA sync at nowMs with the observed total load and the floor in force (minReplicas). */
  step(nowMs: number, load: number, minReplicas?: number): { decision: HpaDecision; ready: number; replicas: number } {
    const ready = this.pods.ready(nowMs);
    const obs: HpaObservation = { currentReplicas: this.pods.replicas, readyPods: ready, notReadyPods: this.pods.notReady(nowMs), load };
    const decision = this.hpa.reconcile(nowMs, obs, minReplicas);
    if (decision.desiredReplicas !== obs.currentReplicas) this.pods.scaleTo(decision.desiredReplicas, nowMs);
    return { decision, ready: this.pods.ready(nowMs), replicas: this.pods.replicas };
  }
}

export interface SimulateOptions {
  readonly hpa: HpaSpec;
  /** Request-to-ready time of a new pod, ms. */
  readonly startupMs: number;
  /** HPA sync period, ms. Default 15 s (--horizontal-pod-autoscaler-sync-period). */
  readonly syncMs?: number;
  /** The HPA sees the load this much late (metrics pipeline), ms. Default 0. */
  readonly metricLagMs?: number;
  /** Simulated range [fromMs, toMs); default the whole series (its last sample's interval included). */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Ready pods at fromMs. Default: what the first load needs, clamped to [min, max]. */
  readonly initialReplicas?: number;
}

/** Per-sync samples on the grid startMs + i * stepMs. */
export interface ScalingTrace {
  readonly startMs: number;
  readonly stepMs: number;
  /** True load at each sync (step-held from the series; NaN in gaps). */
  readonly load: Float64Array;
  /** minReplicas in force (the floor). */
  readonly minReplicas: Int32Array;
  /** The HPA's desired count after the sync (= the Deployment's replicas). */
  readonly desired: Int32Array;
  /** Ready pods after the sync (removals are immediate, new pods not ready yet). */
  readonly ready: Int32Array;
}

/**
 * Replays a load series through an HPA and a Deployment. `floorAt(tMs)` gives the minReplicas in
 * force at each sync (the predictive floor; undefined = spec.minReplicas); it is called with
 * increasing times, so it may keep state (e.g. re-plan every few minutes).
 */
export function simulateHpa(series: Series, opts: SimulateOptions, floorAt?: (tMs: number) => number | undefined): ScalingTrace {
  const syncMs = opts.syncMs ?? 15_000;
  const lag = opts.metricLagMs ?? 0;
  if (!(syncMs > 0)) throw invalidInput(`sync period must be > 0 ms (got ${syncMs})`);
  const { startMs, stepMs, values } = series;
  const fromMs = opts.fromMs ?? startMs;
  const toMs = opts.toMs ?? startMs + values.length * stepMs;
  const n = Math.max(0, Math.ceil((toMs - fromMs) / syncMs));
  const loadAt = (t: number): number => {
    const i = Math.floor((t - startMs) / stepMs);
    return i >= 0 && i < values.length ? values[i]! : NaN;
  };
  const spec = opts.hpa;
  const floor0 = floorAt?.(fromMs) ?? spec.minReplicas;
  const initial = opts.initialReplicas ?? clampInt(replicasFor(firstPresent(values, loadAt(fromMs)), spec.targetPerPod), Math.min(floor0, spec.maxReplicas), spec.maxReplicas);
  const sim = new ScalingSim(spec, opts.startupMs, initial, fromMs);
  const out: ScalingTrace = {
    startMs: fromMs,
    stepMs: syncMs,
    load: new Float64Array(n),
    minReplicas: new Int32Array(n),
    desired: new Int32Array(n),
    ready: new Int32Array(n),
  };
  for (let k = 0; k < n; k++) {
    const t = fromMs + k * syncMs;
    const min = k === 0 ? floor0 : (floorAt?.(t) ?? spec.minReplicas);
    const r = sim.step(t, lag === 0 ? loadAt(t) : loadAt(t - lag), min);
    out.load[k] = loadAt(t);
    out.minReplicas[k] = min;
    out.desired[k] = r.replicas;
    out.ready[k] = r.ready;
  }
  return out;
}

function firstPresent(values: Float64Array, preferred: number): number {
  if (!Number.isNaN(preferred)) return preferred;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) return values[i]!;
  return 0;
}
