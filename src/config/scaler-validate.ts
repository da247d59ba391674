/**
 * Validates a PredictiveScaler object (from YAML, or from the Kubernetes API in the operator)
 * and resolves it: every problem is collected with its field path, defaults are filled in,
 * durations become ms. Pure: no I/O, no clock.
 */
import { formatDuration } from '../core/duration.js';
import { MAX_PLAN_BLOCKS } from '../plan/options.js';
import { readHpaSim } from './hpa-behavior.js';
import { MapReader, readDuration } from './fields.js';
import { ProblemList, type LineOf, type Problem } from './problems.js';
import {
  API_VERSION,
  DEFAULTS,
  KIND,
  LIMITS,
  MODEL_NAMES,
  MODES,
  TARGET_API_VERSION,
  TARGET_KINDS,
  type CapacitySpec,
  type ForecastSpec,
  type MetricSpec,
  type PlanSpec,
  type SafetySpec,
  type Scaler,
  type ScalerSpec,
  type TargetRef,
} from './scaler-types.js';
import { readExcludedWindows, readPrometheus } from './scaler-parts.js';
import { readEvents } from './events.js';

export type ScalerSpecResult =
  | { readonly ok: true; readonly scaler: Scaler; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly warnings: readonly Problem[] };

/** DNS-1123 subdomain (object names) and label (namespaces), as Kubernetes validates them. */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_HINT = 'is not a valid Kubernetes name (lower-case letters, digits, "-" and ".")';
const API_VERSION_RE = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v\d+((alpha|beta)\d+)?$/;

const TOP_KEYS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'] as const;
const SPEC_KEYS = ['mode', 'target', 'metric', 'capacity', 'forecast', 'plan', 'minReplicas', 'maxReplicas', 'hpa', 'safety'] as const;

/**
 * Validates `value` (a parsed document). `lineOf` maps a field path to its source line (YAML
 * input); the operator passes none. `status` is ignored so `kubectl get -o yaml` output validates.
 */
export function validateScaler(value: unknown, lineOf?: LineOf): ScalerSpecResult {
  const problems = new ProblemList(lineOf);
  const top = MapReader.of(problems, [], value, TOP_KEYS);
  if (top === undefined) return { ok: false, problems: problems.sortedProblems(), warnings: [] };
  readHeader(top);
  const metadata = top.map('metadata', null, true);
  const name = metadata?.requiredString('name', { pattern: DNS_SUBDOMAIN, hint: DNS_HINT }) ?? '';
  const namespace = metadata?.string('namespace', { pattern: DNS_LABEL, hint: DNS_HINT }) ?? DEFAULTS.namespace;
  const specMap = top.map('spec', SPEC_KEYS, true);
  const spec = specMap === undefined ? undefined : readSpec(specMap, namespace);
  if (problems.problems.length > 0 || spec === undefined) {
    return { ok: false, problems: problems.sortedProblems(), warnings: problems.sortedWarnings() };
  }
  return { ok: true, scaler: { name, namespace, spec }, warnings: problems.sortedWarnings() };
}

function readHeader(top: MapReader): void {
  for (const [key, want] of [['apiVersion', API_VERSION], ['kind', KIND]] as const) {
    const got = top.requiredString(key);
    if (got !== '' && got !== want) top.problems.add(top.at(key), `must be ${want}, got ${JSON.stringify(got)}`);
  }
}

function readSpec(spec: MapReader, scalerNamespace: string): ScalerSpec {
  const mode = spec.enumOf('mode', MODES, DEFAULTS.mode);
  const target = readTarget(spec, scalerNamespace);
  const metric = readMetric(spec);
  const capacity = readCapacity(spec);
  const forecast = readForecast(spec, metric.stepMs);
  const plan = readPlan(spec);
  const minReplicas = spec.number('minReplicas', { integer: true, min: 0 }, DEFAULTS.minReplicas);
  const maxReplicas = spec.number('maxReplicas', { integer: true, min: 1 });
  // Only between two valid counts, so one typo is not reported twice.
  const valid = (n: number, min: number): boolean => Number.isInteger(n) && n >= min;
  if (valid(minReplicas, 0) && valid(maxReplicas, 1) && maxReplicas < minReplicas) {
    spec.problems.add(spec.at('maxReplicas'), `${maxReplicas} is less than minReplicas (${minReplicas})`);
  }
  const hpa = readHpaSim(spec, plan.leadTimeMs);
  const safety = readSafety(spec);
  checkTimes(spec, metric, forecast, plan);
  checkSafety(spec, forecast, safety);
  return { mode, target, metric, capacity, forecast, plan, minReplicas, maxReplicas, hpa, safety };
}

function readSafety(spec: MapReader): SafetySpec {
  const s = spec.map('safety', ['staleAfter', 'maxForecastError', 'recoverAfter']);
  if (s === undefined) return { staleAfterMs: DEFAULTS.staleAfterMs, maxForecastError: DEFAULTS.maxForecastError, recoverAfterMs: DEFAULTS.recoverAfterMs };
  return {
    staleAfterMs: s.duration('staleAfter', DEFAULTS.staleAfterMs),
    maxForecastError: s.number('maxForecastError', { above: 0 }, DEFAULTS.maxForecastError),
    recoverAfterMs: s.duration('recoverAfter', DEFAULTS.recoverAfterMs),
  };
}

/** A floor may outlive a failed refit: staleness must be judged over more than one refit interval. */
function checkSafety(spec: MapReader, forecast: ForecastSpec, safety: SafetySpec): void {
  const { staleAfterMs } = safety;
  const refitMs = forecast.refitIntervalMs;
  // Skipped when either is already broken (NaN), so one typo is not reported twice.
  if (!Number.isFinite(staleAfterMs) || !Number.isFinite(refitMs) || staleAfterMs > refitMs) return;
  const raw = (spec.obj.safety as Record<string, unknown> | null | undefined)?.staleAfter;
  const shown = typeof raw === 'string' ? raw : `${formatDuration(staleAfterMs)} (default)`;
  spec.problems.add([...spec.path, 'safety', 'staleAfter'], `${shown} must be longer than forecast.refitInterval (${formatDuration(refitMs)}): history is read once per refit`);
}

function readTarget(spec: MapReader, scalerNamespace: string): TargetRef {
  const t = spec.map('target', ['kind', 'name', 'apiVersion', 'namespace'], true);
  if (t === undefined) return { kind: 'HorizontalPodAutoscaler', name: '', apiVersion: '' };
  const kind = t.enumOf('kind', TARGET_KINDS);
  const name = t.requiredString('name', { pattern: DNS_SUBDOMAIN, hint: DNS_HINT });
  const wanted = TARGET_API_VERSION[kind];
  const apiVersion = t.string('apiVersion', { pattern: API_VERSION_RE, hint: 'is not an apiVersion like apps/v1' }) ?? wanted;
  // The group must serve the kind (autoscaling for HPAs, apps for workloads); the version may differ.
  const group = wanted.split('/')[0]!;
  if (t.has('apiVersion') && API_VERSION_RE.test(apiVersion) && !apiVersion.startsWith(`${group}/`)) {
    t.problems.add(t.at('apiVersion'), `${JSON.stringify(apiVersion)} does not serve ${kind} (use ${wanted})`);
  }
  // prescale scales only what sits next to its scaler: RBAC and ownership stay per namespace.
  const ns = t.string('namespace', { pattern: DNS_LABEL, hint: DNS_HINT });
  if (ns !== undefined && ns !== scalerNamespace) t.problems.add(t.at('namespace'), `${JSON.stringify(ns)} is not the scaler's own namespace (${scalerNamespace}): a target must be in the same namespace`);
  return { kind, name, apiVersion };
}

function readMetric(spec: MapReader): MetricSpec {
  const m = spec.map('metric', ['query', 'step', 'history', 'prometheus'], true);
  if (m === undefined) return { query: '', stepMs: DEFAULTS.stepMs, historyMs: DEFAULTS.historyMs };
  const query = m.requiredString('query');
  const stepMs = m.duration('step', DEFAULTS.stepMs);
  const historyMs = m.duration('history', DEFAULTS.historyMs);
  const prometheus = readPrometheus(m);
  return prometheus === undefined ? { query, stepMs, historyMs } : { query, stepMs, historyMs, prometheus };
}

function readCapacity(spec: MapReader): CapacitySpec {
  const c = spec.map('capacity', ['perReplica', 'headroom'], true);
  if (c === undefined) return { perReplica: NaN, headroom: DEFAULTS.headroom };
  return {
    perReplica: c.number('perReplica', { above: 0 }),
    // Up to 1 (= twice the forecast); more would mean the forecast is not trusted at all.
    headroom: c.number('headroom', { min: 0, max: 1 }, DEFAULTS.headroom),
  };
}

const FORECAST_KEYS = ['model', 'quantile', 'horizon', 'refitInterval', 'seasonalities', 'excludedWindows', 'events', 'levelCorrection'] as const;

function readForecast(spec: MapReader, stepMs: number): ForecastSpec {
  const f = spec.map('forecast', FORECAST_KEYS);
  const d = DEFAULTS;
  if (f === undefined) {
    return { model: d.model, quantile: d.quantile, horizonMs: d.horizonMs, refitIntervalMs: d.refitIntervalMs, seasonalitiesMs: 'auto', excludedWindows: [], events: [], levelCorrection: d.levelCorrection };
  }
  return {
    model: f.enumOf('model', MODEL_NAMES, d.model),
    quantile: f.number('quantile', { above: 0, below: 1 }, d.quantile),
    horizonMs: f.duration('horizon', d.horizonMs),
    refitIntervalMs: f.duration('refitInterval', d.refitIntervalMs),
    seasonalitiesMs: readSeasonalities(f, stepMs),
    excludedWindows: readExcludedWindows(f),
    events: readEvents(f),
    levelCorrection: f.boolean('levelCorrection', d.levelCorrection),
  };
}

/**
 * `[auto]` or a list of durations (sorted ascending, each at least two steps). A bare `auto` is
 * refused with a hint because the CRD schema (a list) would refuse it in the cluster.
 */
function readSeasonalities(f: MapReader, stepMs: number): 'auto' | number[] {
  if (!f.has('seasonalities')) return 'auto';
  if (f.obj.seasonalities === 'auto') {
    f.problems.add(f.at('seasonalities'), 'expected a list, got string "auto" (write [auto])');
    return 'auto';
  }
  const list = f.list('seasonalities');
  if (list === undefined) return 'auto';
  if (list.length === 1 && list[0] === 'auto') return 'auto';
  if (list.length === 0) f.problems.add(f.at('seasonalities'), 'must be auto or list at least one season');
  const out: number[] = [];
  list.forEach((item, i) => {
    const path = [...f.at('seasonalities'), i];
    if (item === 'auto') {
      f.problems.add(path, 'auto cannot be mixed with explicit seasons');
      return;
    }
    const ms = readDuration(f.problems, path, item, false);
    if (ms < 2 * stepMs) f.problems.add(path, `${String(item)} is shorter than two metric steps (${formatDuration(2 * stepMs)})`);
    out.push(ms);
  });
  return out.sort((a, b) => a - b);
}

function readPlan(spec: MapReader): PlanSpec {
  const p = spec.map('plan', ['leadTime', 'tickInterval', 'minStepDuration', 'scaleDownDelay', 'maxStepChange']);
  const d = DEFAULTS;
  const base = { leadTimeMs: d.leadTimeMs, tickIntervalMs: d.tickIntervalMs, minStepDurationMs: d.minStepDurationMs, scaleDownDelayMs: d.scaleDownDelayMs };
  if (p === undefined) return base;
  const plan: PlanSpec = {
    // Zero lead time (pods ready at once) and zero scale-down delay are meaningful choices.
    // `auto`: learned from the target's pod start-ups (plan/lead-time.ts); the default until then.
    leadTimeMs: p.obj.leadTime === 'auto' ? d.leadTimeMs : p.duration('leadTime', d.leadTimeMs, { allowZero: true }),
    ...(p.obj.leadTime === 'auto' ? { leadTimeAuto: true } : {}),
    tickIntervalMs: p.duration('tickInterval', d.tickIntervalMs),
    minStepDurationMs: p.duration('minStepDuration', d.minStepDurationMs),
    scaleDownDelayMs: p.duration('scaleDownDelay', d.scaleDownDelayMs, { allowZero: true }),
  };
  const maxStepChange = p.optionalNumber('maxStepChange', { integer: true, min: 1 });
  return maxStepChange === undefined ? plan : { ...plan, maxStepChange };
}

/** Cross-field checks between durations; skipped for fields that are already broken (NaN). */
function checkTimes(spec: MapReader, metric: MetricSpec, forecast: ForecastSpec, plan: PlanSpec): void {
  const add = (path: string[], message: string): void => spec.problems.add([...spec.path, ...path], message);
  // Show a duration as the user wrote it (10d, not 1w3d), or mark it as the default.
  const shown = (section: string, key: string, ms: number): string => {
    const raw = (spec.obj[section] as Record<string, unknown> | null | undefined)?.[key];
    return typeof raw === 'string' ? raw : `${formatDuration(ms)} (default)`;
  };
  const fmt = formatDuration;
  const { stepMs, historyMs } = metric;
  const { horizonMs, refitIntervalMs } = forecast;
  const { leadTimeMs, tickIntervalMs } = plan;
  const step = shown('metric', 'step', stepMs);
  const history = shown('metric', 'history', historyMs);
  const horizon = shown('forecast', 'horizon', horizonMs);
  const refit = shown('forecast', 'refitInterval', refitIntervalMs);
  const tick = shown('plan', 'tickInterval', tickIntervalMs);
  // The plan made at one refit must last until the next refit plus the lead time.
  if (horizonMs < refitIntervalMs + leadTimeMs) {
    add(['forecast', 'horizon'], `${horizon} must cover forecast.refitInterval + plan.leadTime (${fmt(refitIntervalMs + leadTimeMs)}) so the plan never runs out before the next refit`);
  }
  if (stepMs >= horizonMs) add(['metric', 'step'], `${step} must be shorter than forecast.horizon (${horizon})`);
  if (historyMs < LIMITS.minHistoryMs) add(['metric', 'history'], `${history} is less than the minimum of 1d`);
  else if (historyMs < horizonMs) add(['metric', 'history'], `${history} is shorter than forecast.horizon (${horizon})`);
  else if (historyMs < LIMITS.weeklyHistoryMs) spec.problems.warn([...spec.path, 'metric', 'history'], `${history} is less than 2w: weekly seasonality cannot be learned`);
  if (refitIntervalMs < tickIntervalMs) add(['forecast', 'refitInterval'], `${refit} is shorter than plan.tickInterval (${tick}); refits happen on ticks`);
  if (plan.minStepDurationMs < tickIntervalMs) {
    add(['plan', 'minStepDuration'], `${shown('plan', 'minStepDuration', plan.minStepDurationMs)} is shorter than plan.tickInterval (${tick}); the floor changes only on ticks`);
  } else if ((horizonMs + stepMs) / plan.minStepDurationMs + 3 > MAX_PLAN_BLOCKS) {
    // The plan covers the horizon (plus a metric step of rounding and the minStep block in progress).
    add(['plan', 'minStepDuration'], `${shown('plan', 'minStepDuration', plan.minStepDurationMs)} cuts forecast.horizon (${horizon}) into more than ${MAX_PLAN_BLOCKS} plan steps; use a longer minStepDuration`);
  }
  if (forecast.seasonalitiesMs !== 'auto') {
    forecast.seasonalitiesMs.forEach((season) => {
      // Two full seasons are the least from which a season can be estimated.
      if (2 * season > historyMs) add(['forecast', 'seasonalities'], `season ${fmt(season)} needs at least two seasons of metric.history (${fmt(2 * season)}), have ${history}`);
    });
  }
}
