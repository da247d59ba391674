/**
 * One PredictiveScaler's pass in the operator: the shell around the shared control loop
 * (src/control/reconcile.ts). Numbered scenarios:
 *   1. Gone from the cache: forget it.
 *   2. Being deleted: give the target's floor back, then remove the finalizer (a failed write is
 *      reported in status and retried at the next tick).
 *   3. Invalid spec (including a target outside the scaler's namespace): say so in status; give back
 *      a floor this process wrote under the last valid spec.
 *   4. DryRun: give back a floor written before (the switch from Enforce), run the loop with a
 *      log-only actuator; the plan is in status.
 *   5. Enforce: the finalizer first, then the loop with the HPA (or scale subresource) actuator.
 *   6. Status (one write), events on floor changes and faults, metrics; run again at the plan's next
 *      change or refit (the next tick after a fault).
 * The loop state lives in memory. After a restart it is rebuilt: the forecast from the data (the
 * floor at a minute does not depend on when the loop started), the floor in force from the HPA,
 * the last good data time from status.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { PrescaleError, errorMessage, isPrescaleError } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { formatTimestamp, parseTimestampMs } from '../core/time.js';
import { formatProblem, validateScaler, type Scaler } from '../config/scaler.js';
import type { ForecastError } from '../control/forecast-error.js';
import { type ControlState, initialState, reconcile } from '../control/reconcile.js';
import { refitAtFor } from '../control/schedule.js';
import type { Actuator } from '../actuate/actuator.js';
import { DryRunActuator } from '../actuate/dry-run.js';
import { HpaFloorActuator, originalOf, readHpa } from '../actuate/hpa-floor.js';
import { type Kube, MERGE_PATCH, paths, retryOnConflict } from '../actuate/kube.js';
import { WorkloadScaleActuator } from '../actuate/workload-scale.js';
import { HistoryWindow } from '../metrics/history.js';
import { prometheusSourceFor } from '../metrics/scaler-source.js';
import type { MetricSource } from '../metrics/source.js';
import type { Logger } from '../telemetry/logger.js';
import type { OperatorMetrics } from '../telemetry/metrics.js';
import { type AllowedPrefix, isAllowed, safeUrl } from './allow-list.js';
import { EventRecorder } from './events.js';
import { type LearnedLeadTime, PodStartupRegistry } from './pod-startup.js';
import { keyOf, type ScalerObject } from './informer.js';
import { type ConditionIn, type ScalerStatus, failedConditions, gateFromStatus, loopConditions, mergeConditions, stepsOf } from './status.js';

export const FINALIZER = 'prescale.dev/restore';

/** A pass that could not run the loop (bad spec, unreadable Secret) is retried this often. */
const RETRY_MS = 60_000;

export interface ControllerDeps {
  readonly kube: Kube;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly events: EventRecorder;
  /** Prometheus for scalers whose spec names none. */
  readonly defaultPrometheus?: string;
  /** What a scaler's own spec.metric.prometheus.url may name (allow-list.ts). */
  readonly allowedPrometheus: readonly AllowedPrefix[];
  /** For watching the pods of scalers with plan.leadTime auto (without it, they are listed at each pass). */
  readonly kubeConfig?: KubeConfig;
}

/** What the operator keeps per scaler between passes (in memory only). */
interface Entry {
  specKey?: string;
  control: ControlState;
  history?: HistoryWindow;
  lastLoad?: number;
  /** The target this process may have written a floor to (restored on DryRun, invalid spec, delete). */
  wrote?: Scaler;
  seeded: boolean;
}

export class ScalerController {
  private readonly entries = new Map<string, Entry>();

  private readonly podStartups: PodStartupRegistry;

  constructor(private readonly deps: ControllerDeps) {
    this.podStartups = new PodStartupRegistry(deps.kube, deps.kubeConfig, deps.clock, (key, message) => {
      deps.metrics.errors.inc({ reason: 'PodsUnavailable' });
      deps.logger.warn({ key }, message);
    });
  }

  /** Stops the pod watches of plan.leadTime auto. */
  async stop(): Promise<void> {
    await this.podStartups.stop();
  }

  /** One pass; returns when to run again (epoch ms), or undefined to wait for a change. */
  async pass(obj: ScalerObject | undefined, key: string, signal?: AbortSignal): Promise<number | undefined> {
    // 1. Gone.
    if (!obj) {
      this.entries.delete(key);
      await this.podStartups.forget(key);
      return undefined;
    }
    const entry = this.entries.get(key) ?? { control: initialState(), seeded: false };
    this.entries.set(key, entry);
    const log = this.deps.logger.child({ namespace: obj.metadata.namespace, name: obj.metadata.name });
    const started = performance.now();
    try {
      return await this.run(obj, entry, log, signal);
    } finally {
      this.deps.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
    }
  }

  private async run(obj: ScalerObject, entry: Entry, log: Logger, signal?: AbortSignal): Promise<number | undefined> {
    const now = this.deps.clock.now();
    const parsed = validateScaler({ ...obj, status: undefined });

    // 2. Being deleted: give the floor back, then let the object go.
    if (obj.metadata.deletionTimestamp) {
      if (!finalizersOf(obj).includes(FINALIZER)) return undefined;
      const target = parsed.ok ? parsed.scaler : entry.wrote;
      try {
        if (target) await this.restoreTarget(target, signal);
        await this.removeFinalizer(obj);
      } catch (e) {
        // The finalizer stays until the floor is back: say why, and try again at the next tick.
        const reason = reasonOf(e, 'ActuationFailed');
        const message = `scaler deleted, but giving its floor back and releasing it failed (retried): ${errorMessage(e)}`;
        await this.writeStatus(obj, failedConditions(reason, message), {});
        this.deps.metrics.errors.inc({ reason });
        await this.deps.events.warn(obj, reason, message);
        log.warn({ reason }, message);
        return now + (parsed.ok ? parsed.scaler.spec.plan.tickIntervalMs : RETRY_MS);
      }
      log.info({ target: target?.spec.target.name }, 'scaler deleted: target floor restored, finalizer removed');
      this.forgetMetrics(obj, target);
      this.entries.delete(keyOf(obj));
      await this.podStartups.forget(keyOf(obj));
      return undefined;
    }

    // 3. Invalid spec; or what a scaler may not make the operator do: read files on the operator's
    // disk, or send requests (and credentials) to a Prometheus off the allow-list. Refused before
    // any request; a floor this process wrote is given back; a spec change brings it back here.
    const refusal = parsed.ok ? this.refusal(parsed.scaler) : { reason: 'InvalidSpec', message: parsed.problems.map((p) => formatProblem(keyOf(obj), p)).join('; ') };
    if (refusal || !parsed.ok) {
      const { reason, message } = refusal!;
      if (entry.wrote) await this.restoreTarget(entry.wrote, signal).catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'restoring the target failed'));
      entry.wrote = undefined;
      await this.writeStatus(obj, failedConditions(reason, message), {});
      this.deps.metrics.errors.inc({ reason });
      await this.deps.events.warn(obj, reason, message);
      log.warn({ reason }, message);
      return undefined;
    }
    const scaler = parsed.scaler;
    const s = scaler.spec;
    const specKey = JSON.stringify(s);
    if (entry.specKey !== specKey) {
      // A new spec is a new plan: the loop starts afresh (its floors do not depend on when it starts).
      entry.specKey = specKey;
      entry.control = { ...initialState(), ...(entry.control.applied ? { applied: entry.control.applied } : {}), ...(entry.control.lastDataMs !== undefined ? { lastDataMs: entry.control.lastDataMs } : {}) };
      entry.history = undefined;
    }

    let actuator: Actuator;
    let target: HpaFloorActuator | WorkloadScaleActuator | undefined;
    try {
      entry.history ??= await this.historyFor(scaler, entry, log);
      if (s.mode === 'DryRun') {
        // 4. DryRun: a floor written under Enforce goes back (the first pass after a start checks too).
        const previous = entry.wrote ?? (entry.seeded ? undefined : scaler);
        if (previous) await this.restoreTarget(previous, signal);
        entry.wrote = undefined;
        actuator = new DryRunActuator(log);
      } else {
        // 5. Enforce: the finalizer is on the scaler before the first write to its target.
        await this.ensureFinalizer(obj);
        target = this.targetActuator(scaler);
        actuator = target;
        if (!entry.seeded) entry.control = await this.seed(scaler, obj, entry.control);
        entry.wrote = scaler;
      }
      entry.seeded = true;
    } catch (e) {
      const reason = reasonOf(e, 'MetricsUnavailable');
      const message = errorMessage(e);
      await this.writeStatus(obj, failedConditions(reason, message), {});
      this.deps.metrics.errors.inc({ reason });
      await this.deps.events.warn(obj, reason, message);
      log.warn({ reason }, message);
      return now + RETRY_MS;
    }

    let actuationError: unknown;
    const watched: Actuator = {
      description: actuator.description,
      apply: async (d, sig) => {
        try {
          await actuator.apply(d, sig);
        } catch (e) {
          actuationError = e;
          throw e;
        }
      },
    };
    const previousFloor = entry.control.applied?.replicas;
    // plan.leadTime auto: the lead time learned from the target's pod start-ups (pod-startup.ts).
    let lead: LearnedLeadTime | undefined;
    if (s.plan.leadTimeAuto) lead = await this.podStartups.sync(keyOf(obj), scaler);
    else await this.podStartups.forget(keyOf(obj));
    const r = await reconcile(scaler, entry.control, { history: entry.history, actuator: watched, clock: this.deps.clock, ...(lead ? { leadTime: lead.at } : {}) }, signal);
    entry.control = r.state;
    const d = r.decision;
    const enforce = s.mode === 'Enforce';
    const inForce = target?.last?.replicas ?? d.floor;

    // 6. Status, events, metrics.
    const targetReason = actuationError === undefined ? undefined : reasonOf(actuationError, 'ActuationFailed');
    const f = r.state.forecast;
    // The forecast is ready when this refit's forecast exists and the data is not stale (whatever became of the write).
    const forecastOk = f !== undefined && r.state.forecastAtMs === refitAtFor(scaler, now) && !d.restore;
    const forecastMessage = forecastOk ? `${f.model} forecast of ${formatTimestamp(r.state.forecastAtMs)}` : d.detail;
    const conditions = loopConditions(d, { enforce, ...(targetReason ? { targetReason } : {}), forecastOk, forecastMessage });
    await this.writeStatus(obj, conditions, {
      ...(f ? { model: f.model } : {}),
      ...(r.state.forecastAtMs !== undefined ? { lastRefitTime: formatTimestamp(r.state.forecastAtMs) } : {}),
      ...(r.state.lastDataMs !== undefined ? { lastDataTime: formatTimestamp(r.state.lastDataMs) } : {}),
      ...(r.state.forecastError ? { forecastError: forecastErrorStatus(r.state.forecastError) } : {}),
      ...(d.restore ? {} : stepsOf(d.plan, now, inForce)),
      lastDecision: { time: formatTimestamp(now), floorReplicas: inForce, reason: targetReason ?? d.reason, message: d.detail },
      ...(lead ? { leadTime: lead.status(r.state.forecastAtMs ?? now, r.state.planLeadTimeMs) } : {}),
    });
    this.recordState(obj, scaler, r.state);
    this.record(obj, scaler, { ...d, reason: targetReason ?? d.reason }, inForce, !enforce ? 'dry-run' : actuationError !== undefined ? 'failed' : !target?.last?.changed ? 'unchanged' : d.restore ? 'restored' : 'changed', entry);
    if (enforce && actuationError === undefined && target?.last?.changed) {
      const was = previousFloor !== undefined ? ` (was ${previousFloor})` : target.last.original !== undefined ? ` (the HPA's own minReplicas: ${target.last.original})` : '';
      await this.deps.events.normal(obj, d.restore ? 'FloorRestored' : 'FloorChanged', d.restore ? `${target.description}: its own minReplicas ${inForce} is back: ${d.detail}` : `floor ${inForce}${was}: ${d.detail}`);
    }
    if (d.error !== undefined) await this.deps.events.warn(obj, targetReason ?? d.reason, d.detail);
    log.info({ floor: inForce, reason: targetReason ?? d.reason, model: d.model, next: formatTimestamp(r.wakeAtMs) }, d.detail);
    return Math.max(now + 1000, r.wakeAtMs);
  }

  private record(obj: ScalerObject, scaler: Scaler, d: { reason: string; forecast?: number; forecastMean?: number; error?: string }, inForce: number, result: string, entry: Entry): void {
    const m = this.deps.metrics;
    const labels = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
    m.floor.set(labels, inForce);
    if (d.forecast !== undefined) m.forecastLoad.set({ ...labels, quantile: String(scaler.spec.forecast.quantile) }, d.forecast);
    if (d.forecastMean !== undefined) m.forecastLoad.set({ ...labels, quantile: 'mean' }, d.forecastMean);
    if (entry.lastLoad !== undefined) m.load.set(labels, entry.lastLoad);
    if (d.error !== undefined) m.errors.inc({ reason: d.reason });
    m.actuations.inc({ result });
  }

  /** Gauges of the loop's state: the limit, the last day's forecast error, the last good data time. */
  private recordState(obj: ScalerObject, scaler: Scaler, state: ControlState): void {
    const m = this.deps.metrics;
    const labels = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
    m.maxReplicas.set(labels, scaler.spec.maxReplicas);
    if (state.lastDataMs !== undefined) m.lastData.set(labels, state.lastDataMs / 1000);
    m.leadTime.set(labels, (state.planLeadTimeMs ?? scaler.spec.plan.leadTimeMs) / 1000);
    const e = state.forecastError;
    if (e) {
      m.forecastError.set({ ...labels, measure: 'smape' }, e.smape);
      if (e.mase !== undefined) m.forecastError.set({ ...labels, measure: 'mase' }, e.mase);
    }
  }

  /** A deleted scaler's series leave /metrics. */
  private forgetMetrics(obj: ScalerObject, scaler: Scaler | undefined): void {
    const labels = { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
    const m = this.deps.metrics;
    for (const g of [m.floor, m.load, m.maxReplicas, m.lastData, m.leadTime]) g.remove(labels);
    for (const quantile of ['mean', ...(scaler ? [String(scaler.spec.forecast.quantile)] : [])]) m.forecastLoad.remove({ ...labels, quantile });
    for (const measure of ['smape', 'mase']) m.forecastError.remove({ ...labels, measure });
  }

  /** Why the operator refuses to run this scaler at all, if it does. */
  private refusal(scaler: Scaler): { reason: string; message: string } | undefined {
    const p = scaler.spec.metric.prometheus;
    const files = (['bearerTokenFile', 'caFile'] as const).filter((k) => p?.[k] !== undefined).map((k) => `spec.metric.prometheus.${k}`);
    if (p?.basicAuth?.passwordFile !== undefined) files.push('spec.metric.prometheus.basicAuth.passwordFile');
    if (files.length > 0) {
      return { reason: 'InvalidSpec', message: `${files.join(', ')}: files on the operator's disk are not for scalers to read (they stay for the CLI); use basicAuth.passwordSecretRef` };
    }
    if (p?.url !== undefined && !isAllowed(p.url, this.deps.allowedPrometheus)) {
      return { reason: 'PrometheusNotAllowed', message: `spec.metric.prometheus.url ${safeUrl(p.url)} is not on the operator's allow-list (--allowed-prometheus); no request was made` };
    }
    return undefined;
  }

  /** The scaler's history: its query on its Prometheus (or the default), read incrementally. */
  private async historyFor(scaler: Scaler, entry: Entry, log: Logger): Promise<HistoryWindow> {
    const s = scaler.spec;
    const ref = s.metric.prometheus?.basicAuth?.passwordSecretRef;
    let password: string | undefined;
    try {
      password = ref ? await this.secretValue(scaler.namespace, ref.name, ref.key) : undefined;
    } catch (e) {
      throw new PassError('MetricsUnavailable', `reading the Prometheus password from Secret ${ref!.name}: ${errorMessage(e)}`);
    }
    const source = prometheusSourceFor(scaler, { ...(this.deps.defaultPrometheus ? { url: this.deps.defaultPrometheus } : {}), ...(password !== undefined ? { password } : {}) }, { clock: this.deps.clock, logger: log, onRequest: () => this.deps.metrics.prometheusRequests.inc() });
    const timed: MetricSource = {
      description: source.description,
      fetchRange: async (fromMs, toMs, stepMs, signal) => {
        const end = this.deps.metrics.prometheusDuration.startTimer();
        try {
          const series = await source.fetchRange(fromMs, toMs, stepMs, signal);
          const last = lastValue(series);
          if (last !== undefined) entry.lastLoad = last;
          return series;
        } finally {
          end();
        }
      },
    };
    return new HistoryWindow(timed, { stepMs: s.metric.stepMs, historyMs: s.metric.historyMs });
  }

  private async secretValue(namespace: string, name: string, key: string): Promise<string> {
    const secret = await this.deps.kube.request<{ data?: Record<string, string> }>({ method: 'GET', path: paths.secret(namespace, name) });
    const v = secret.data?.[key];
    if (v === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${JSON.stringify(key)}`);
    return Buffer.from(v, 'base64').toString('utf8');
  }

  private targetActuator(scaler: Scaler): HpaFloorActuator | WorkloadScaleActuator {
    const t = scaler.spec.target;
    const ref = { namespace: scaler.namespace, name: t.name, apiVersion: t.apiVersion };
    return t.kind === 'HorizontalPodAutoscaler' ? new HpaFloorActuator(this.deps.kube, ref, this.deps.clock) : new WorkloadScaleActuator(this.deps.kube, t.kind, ref, this.deps.clock);
  }

  /** After a start: the floor in force from an annotated HPA, the last good data time and a closed confidence gate from status. */
  private async seed(scaler: Scaler, obj: ScalerObject, control: ControlState): Promise<ControlState> {
    let next = control;
    const lastData = typeof obj.status?.lastDataTime === 'string' ? parseTimestampMs(obj.status.lastDataTime) : undefined;
    if (lastData !== undefined && Number.isFinite(lastData) && next.lastDataMs === undefined) next = { ...next, lastDataMs: lastData };
    const gate = next.gate ?? gateFromStatus(obj.status, this.deps.clock.now());
    if (gate) next = { ...next, gate };
    const t = scaler.spec.target;
    if (t.kind !== 'HorizontalPodAutoscaler') return next;
    try {
      const where = `HorizontalPodAutoscaler ${scaler.namespace}/${t.name}`;
      const hpa = readHpa(await this.deps.kube.request<unknown>({ method: 'GET', path: paths.hpa(scaler.namespace, t.name, t.apiVersion) }), where);
      if (originalOf(hpa, t.name) !== undefined && hpa.spec?.minReplicas !== undefined) next = { ...next, applied: { replicas: hpa.spec.minReplicas, sinceMs: this.deps.clock.now() } };
    } catch (e) {
      if (!isPrescaleError(e, 'not-found')) throw e;
    }
    return next;
  }

  private async restoreTarget(scaler: Scaler, signal?: AbortSignal): Promise<void> {
    const t = scaler.spec.target;
    if (t.kind !== 'HorizontalPodAutoscaler') return;
    try {
      await new HpaFloorActuator(this.deps.kube, { namespace: scaler.namespace, name: t.name, apiVersion: t.apiVersion }, this.deps.clock).restore(signal);
    } catch (e) {
      if (!isPrescaleError(e, 'not-found')) throw e;
    }
  }

  private async ensureFinalizer(obj: ScalerObject): Promise<void> {
    if (finalizersOf(obj).includes(FINALIZER)) return;
    await this.patchFinalizers(obj, (list) => (list.includes(FINALIZER) ? undefined : [...list, FINALIZER]));
  }

  private async removeFinalizer(obj: ScalerObject): Promise<void> {
    await this.patchFinalizers(obj, (list) => (list.includes(FINALIZER) ? list.filter((f) => f !== FINALIZER) : undefined));
  }

  /** A merge patch replaces the whole list: read it fresh and carry the resourceVersion, so no other finalizer is lost. */
  private async patchFinalizers(obj: ScalerObject, change: (list: string[]) => string[] | undefined): Promise<void> {
    const path = paths.scaler(obj.metadata.namespace ?? '', obj.metadata.name);
    await retryOnConflict(this.deps.clock, undefined, async () => {
      let current: ScalerObject;
      try {
        current = await this.deps.kube.request<ScalerObject>({ method: 'GET', path });
      } catch (e) {
        if (isPrescaleError(e, 'not-found')) return;
        throw e;
      }
      if (typeof current !== 'object' || current === null) throw new PrescaleError('transient', `GET ${path}: the API server answered with no object`);
      const next = change(finalizersOf(current));
      if (next === undefined) return;
      await this.deps.kube.request({ method: 'PATCH', path, contentType: MERGE_PATCH, body: { metadata: { resourceVersion: current.metadata.resourceVersion, finalizers: next } } });
    });
  }

  /** One status write (merge patch on the status subresource; conditions keep their transition times). */
  private async writeStatus(obj: ScalerObject, conditions: ConditionIn[], fields: Partial<ScalerStatus>): Promise<void> {
    // The previous status as read, kept only where it has the types this operator writes.
    const prev = (isObject(obj.status) ? obj.status : {}) as ScalerStatus;
    const prevConditions = Array.isArray(prev.conditions) ? prev.conditions.filter((c) => isObject(c) && typeof c.lastTransitionTime === 'string') : undefined;
    const now = this.deps.clock.now();
    const g = obj.metadata.generation;
    const generation = typeof g === 'number' && Number.isSafeInteger(g) && g >= 0 ? g : undefined;
    const status: ScalerStatus = {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: mergeConditions(prevConditions, conditions, now, generation),
      ...fields,
    };
    // Fields of the previous status that this pass does not set are removed (null in a merge patch).
    const cleared = Object.fromEntries(Object.keys(prev).filter((k) => !(k in status) && k !== 'lastDataTime').map((k) => [k, null]));
    try {
      await this.deps.kube.request({ method: 'PATCH', path: `${paths.scaler(obj.metadata.namespace ?? '', obj.metadata.name)}/status`, contentType: MERGE_PATCH, body: { status: { ...cleared, ...status } } });
    } catch (e) {
      // Status is for people; a failed write must not stop the loop (the next pass writes again).
      this.deps.metrics.errors.inc({ reason: 'StatusWriteFailed' });
      this.deps.logger.warn({ namespace: obj.metadata.namespace, name: obj.metadata.name, err: errorMessage(e) }, 'status write failed');
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scaler's finalizers as read: a list of strings (anything else holds none of ours). */
function finalizersOf(obj: { metadata?: { finalizers?: unknown } }): string[] {
  const f = obj.metadata?.finalizers;
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

/** An error that already knows its condition reason. */
class PassError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A condition reason for an edge error: the target's 404 and 403 have their own. */
function reasonOf(e: unknown, fallback: string): string {
  if (e instanceof PassError) return e.reason;
  if (isPrescaleError(e, 'not-found')) return 'TargetNotFound';
  if (isPrescaleError(e, 'forbidden')) return 'Forbidden';
  if (isPrescaleError(e, 'invalid-input')) return 'InvalidSpec';
  return fallback;
}

/** Rounded for people (status is not a data store). */
function forecastErrorStatus(e: ForecastError): ScalerStatus['forecastError'] {
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return { ...(e.mase !== undefined ? { mase: round(e.mase) } : {}), smape: round(e.smape), windowStart: formatTimestamp(e.windowStartMs) };
}

function lastValue(s: Series): number | undefined {
  for (let i = s.values.length - 1; i >= 0; i--) if (Number.isFinite(s.values[i]!)) return s.values[i]!;
  return undefined;
}
