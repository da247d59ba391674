/**
 * PredictiveScaler specs (src/config/) under bad input: a complete valid spec with one or more
 * fields replaced by values of any type (NaN, infinities, huge and negative numbers, lists,
 * mappings, nulls, strings that look like durations or not), deleted, or joined by unknown
 * fields; as an object (what the operator gets from the API server), as YAML and as JSON text; and
 * texts that are not specs at all. validateScaler and parseScaler never throw. A rejection lists
 * problems that each name a field (and, from text, the line of that field or of its nearest
 * parent); a problem without either is about the whole file. A spec they accept has every value
 * in its bounds, keeps every cross-field rule, and plans: the planner takes its options and a
 * forecast over its horizon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { MAX_DURATION_MS } from '../../../src/core/duration.js';
import { formatProblems, parseScaler, validateScaler, type Problem, type Scaler, type ScalerSpecResult } from '../../../src/config/scaler.js';
import { planOptions } from '../../../src/control/reconcile.js';
import { buildPlan, resolvePlanOptions } from '../../../src/plan/index.js';
import { anyValue, runs } from './fc.js';

const DAY = 86_400_000;

/** A spec that sets every field the parser knows. */
const BASE = {
  apiVersion: 'prescale.dev/v1alpha1',
  kind: 'PredictiveScaler',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    mode: 'Enforce',
    target: { kind: 'HorizontalPodAutoscaler', name: 'web', apiVersion: 'autoscaling/v2', namespace: 'shop' },
    metric: {
      query: 'sum(rate(http_requests_total{job="web"}[2m]))',
      step: '1m',
      history: '28d',
      prometheus: {
        url: 'https://mimir.monitoring:8080/prometheus',
        headers: { 'X-Scope-OrgID': 'shop' },
        basicAuth: { username: 'prescale', passwordSecretRef: { name: 'prometheus-auth', key: 'password' } },
        timeout: '30s',
      },
    },
    capacity: { perReplica: 120, headroom: 0.1 },
    forecast: {
      model: 'auto',
      quantile: 0.9,
      horizon: '6h',
      refitInterval: '1h',
      seasonalities: ['1d', '1w'],
      excludedWindows: [{ from: '2024-11-29T00:00:00Z', to: '2024-11-30T00:00:00Z', reason: 'sale' }],
      levelCorrection: true,
    },
    plan: { leadTime: '5m', tickInterval: '1m', minStepDuration: '30m', scaleDownDelay: '30m', maxStepChange: 5 },
    minReplicas: 2,
    maxReplicas: 50,
    hpa: {
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
      startupDelay: '5m',
    },
    safety: { staleAfter: '2h' },
  },
};

type Path = Array<string | number>;

/** Every path into BASE (mappings, lists and leaves). */
function pathsOf(v: unknown, at: Path = []): Path[] {
  const out: Path[] = at.length > 0 ? [at] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}
const PATHS = pathsOf(BASE);

const clone = <T>(v: T): T => structuredClone(v);

function setAt(root: Record<string, unknown>, path: Path, value: unknown, op: 'set' | 'delete' | 'unknown'): void {
  let parent = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (op === 'unknown') {
    const target = parent[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[`x${typeof value === 'string' ? value.replace(/[^A-Za-z0-9]/g, '').slice(0, 6) : ''}`] = value;
    else parent[last] = value;
  } else parent[last] = value;
}

/** A value a field may be given: anything, or text shaped like a duration, a time, a name, a URL. */
const fieldValue = fc.oneof(
  { weight: 4, arbitrary: anyValue() },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(fc.nat({ max: 100_000 }).map(String), fc.constantFrom('0', '0.4', '0.5', '1.5', '99999999', '999999999999999999999')), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '', 'y')).map(([n, u]) => n + u) },
  { weight: 1, arbitrary: fc.constantFrom('2024-02-30T00:00:00Z', '2024-11-29', '1e12', '2024-11-29T00:00:00+25:00', '9999-12-31T23:59:59Z', 'http://user:pw@host', 'ftp://x', 'Web', 'a'.repeat(300), '-', 'HorizontalPodAutoscaler', 'Percent', 'Min', 'DryRun') },
);

const mutation = fc.record({ path: fc.constantFrom(...PATHS), op: fc.constantFrom('set', 'set', 'set', 'delete', 'unknown') as fc.Arbitrary<'set' | 'delete' | 'unknown'>, value: fieldValue });
const mutated = fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => {
  const obj = clone(BASE) as unknown as Record<string, unknown>;
  for (const m of ms) {
    try {
      setAt(obj, m.path, m.value, m.op);
    } catch {
      // An earlier mutation removed or replaced a parent of this path: nothing to change there.
    }
  }
  return { obj, mutations: ms };
});

/** Problems of a rejection, or the scaler of an acceptance; the call must not throw. */
function outcome(run: () => ScalerSpecResult): ScalerSpecResult {
  let r: ScalerSpecResult;
  try {
    r = run();
  } catch (e) {
    assert.fail(`threw instead of reporting problems: ${e instanceof Error ? e.stack : String(e)}`);
  }
  if (!r.ok) assert.ok(r.problems.length > 0, 'a rejection lists at least one problem');
  return r;
}

const WHOLE_FILE = /^(file is empty|none of the \d+ YAML documents|the file holds \d+|no PredictiveScaler named|not valid YAML|cannot read YAML document|expected a mapping)/;

/**
 * Each problem names a field or the whole file; from text, it has a line, and (with `fieldLines`,
 * where keys are plain names) that line holds the field or its nearest parent.
 */
function checkProblems(problems: readonly Problem[], fromText: string | undefined, fieldLines = true): void {
  for (const p of problems) {
    assert.ok(typeof p.message === 'string' && p.message.trim() !== '', 'a problem says what is wrong');
    const unquoted = p.message.replace(/"(?:[^"\\]|\\.)*"/g, '');
    assert.ok(!unquoted.includes('[object Object]') && !/\bundefined\b/.test(unquoted), `a readable message: ${p.message}`);
    // Named by its field, or by its line, or about the whole file.
    if (p.path === '') assert.ok(p.line !== undefined || WHOLE_FILE.test(p.message), `a problem without a field path has a line or is about the whole file: ${p.message}`);
    else if (!p.message.startsWith('unknown field')) assert.match(p.path, /^(apiVersion|kind|metadata|spec)\b/, `the path names a field: ${p.path}`);
    if (fromText !== undefined && p.path !== '') {
      assert.ok(p.line !== undefined, `from text, ${p.path} has a line`);
      const lines = fromText.split('\n');
      assert.ok(p.line >= 1 && p.line <= lines.length, `line ${p.line} of ${lines.length}`);
      if (!fieldLines) continue;
      // The line holds the field, or (for one that is missing) its nearest parent: a key of the
      // path (as written, or escaped as JSON writes it), a list item, or the document.
      const keys = p.path.split(/[.[\]]+/).filter((k) => !/^\d+$/.test(k));
      const text = lines[p.line - 1]!;
      const holds = (k: string): boolean => (k === '' ? /""|''/.test(text) : text.includes(k) || text.includes(JSON.stringify(k).slice(1, -1)));
      const missingTopLevel = keys.length === 1 && p.message === 'required field is missing';
      const inList = /\]$/.test(p.path) || (p.path.includes('[') && /^\s*(-|[{[])/.test(text));
      assert.ok(missingTopLevel || inList || keys.some(holds) || /^[{[]/.test(text.trim()), `line ${p.line} (${JSON.stringify(text)}) holds a field of ${p.path}`);
    }
  }
}

/** Everything a spec the parser accepts must be, whoever wrote it. */
function checkScaler(s: Scaler): void {
  const { spec } = s;
  const positiveMs = (ms: number, what: string, zero = false): void =>
    assert.ok(Number.isSafeInteger(ms) && (zero ? ms >= 0 : ms >= 1) && ms <= MAX_DURATION_MS, `${what}: ${ms} ms`);
  positiveMs(spec.metric.stepMs, 'metric.step');
  positiveMs(spec.metric.historyMs, 'metric.history');
  positiveMs(spec.forecast.horizonMs, 'forecast.horizon');
  positiveMs(spec.forecast.refitIntervalMs, 'forecast.refitInterval');
  positiveMs(spec.plan.leadTimeMs, 'plan.leadTime', true);
  positiveMs(spec.plan.tickIntervalMs, 'plan.tickInterval');
  positiveMs(spec.plan.minStepDurationMs, 'plan.minStepDuration');
  positiveMs(spec.plan.scaleDownDelayMs, 'plan.scaleDownDelay', true);
  positiveMs(spec.hpa.startupDelayMs, 'hpa.startupDelay', true);
  positiveMs(spec.safety.staleAfterMs, 'safety.staleAfter');
  if (spec.metric.prometheus) positiveMs(spec.metric.prometheus.timeoutMs, 'metric.prometheus.timeout');
  assert.ok(Number.isInteger(spec.minReplicas) && spec.minReplicas >= 0, 'minReplicas');
  assert.ok(Number.isInteger(spec.maxReplicas) && spec.maxReplicas >= Math.max(1, spec.minReplicas), 'maxReplicas');
  assert.ok(Number.isFinite(spec.capacity.perReplica) && spec.capacity.perReplica > 0, 'perReplica');
  assert.ok(spec.capacity.headroom >= 0 && spec.capacity.headroom <= 1, 'headroom');
  assert.ok(spec.forecast.quantile > 0 && spec.forecast.quantile < 1, 'quantile');
  if (spec.plan.maxStepChange !== undefined) assert.ok(Number.isInteger(spec.plan.maxStepChange) && spec.plan.maxStepChange >= 1);
  if (spec.forecast.seasonalitiesMs !== 'auto') {
    for (const [i, ms] of spec.forecast.seasonalitiesMs.entries()) {
      positiveMs(ms, 'season');
      if (i > 0) assert.ok(ms >= spec.forecast.seasonalitiesMs[i - 1]!, 'seasons ascending');
    }
  }
  for (const w of spec.forecast.excludedWindows) assert.ok(Number.isFinite(w.fromMs) && w.fromMs < w.toMs, 'excluded window');
  for (const rules of [spec.hpa.behavior.scaleUp, spec.hpa.behavior.scaleDown]) {
    assert.ok(rules.policies.length > 0);
    for (const p of rules.policies) assert.ok(Number.isInteger(p.value) && p.value >= 1 && Number.isInteger(p.periodSeconds) && p.periodSeconds >= 1);
  }
  // The cross-field rules (docs/scaler-spec.md).
  const { stepMs, historyMs } = spec.metric;
  const { horizonMs, refitIntervalMs } = spec.forecast;
  const { leadTimeMs, tickIntervalMs, minStepDurationMs } = spec.plan;
  assert.ok(horizonMs >= refitIntervalMs + leadTimeMs, 'horizon >= refit + lead');
  assert.ok(stepMs < horizonMs, 'step < horizon');
  assert.ok(historyMs >= DAY && historyMs >= horizonMs, 'history >= 1d and >= horizon');
  assert.ok(refitIntervalMs >= tickIntervalMs && minStepDurationMs >= tickIntervalMs, 'refit, minStep >= tick');
  assert.ok(spec.safety.staleAfterMs > refitIntervalMs, 'staleAfter > refit');
  // It plans: the planner takes its options, and a forecast over the whole horizon.
  resolvePlanOptions(planOptions(s));
  const now = Date.UTC(2025, 0, 1);
  const plan = buildPlan({ startMs: now, stepMs: horizonMs, values: Float64Array.of(spec.capacity.perReplica) }, now, planOptions(s));
  for (const step of plan.steps) assert.ok(step.replicas >= spec.minReplicas && step.replicas <= spec.maxReplicas);
}

test('the base spec is valid (so each rejection below comes from a mutation)', () => {
  const r = validateScaler(clone(BASE));
  assert.ok(r.ok, r.ok ? '' : formatProblems('base', r.problems));
  checkScaler(r.scaler);
});

test('a spec object with fields of any type, deleted or unknown: problems naming each field, or a spec in bounds that plans', () => {
  let accepted = 0;
  fc.assert(
    fc.property(mutated, ({ obj, mutations }) => {
      const r = outcome(() => validateScaler(obj));
      if (r.ok) {
        accepted++;
        checkScaler(r.scaler);
        return;
      }
      checkProblems(r.problems, undefined);
      // A value of the wrong type where a number, a boolean, a list or a mapping belongs is reported at that field.
      const last = mutations[mutations.length - 1]!;
      const original = last.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], BASE);
      const wrongType = last.op === 'set' && last.value !== null && last.value !== undefined && typeof original !== 'string' && kindOf(original) !== kindOf(last.value);
      const where = last.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '').replace(/\.\[/g, '[');
      if (wrongType && mutations.length === 1 && !where.startsWith('metadata.labels') && !where.startsWith('spec.metric.prometheus.headers') && where !== 'metadata') {
        assert.ok(r.problems.some((p) => p.path === where), `a problem at ${where}: ${formatProblems('spec', r.problems)}`);
      }
    }),
    runs(1000),
  );
  assert.ok(accepted > 0, 'some mutated specs are still valid');
});

/** number, boolean, list, mapping or string, as YAML sees a value. */
function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return Number.isFinite(v) ? 'number' : 'nonfinite';
  return typeof v;
}

test('the same specs as YAML and JSON text: the same verdict, each problem on the line of its field', () => {
  fc.assert(
    fc.property(mutated, fc.boolean(), ({ obj }, asJson) => {
      const text = asJson ? JSON.stringify(obj, null, 2) : toYaml(obj);
      const r = outcome(() => parseScaler(text, 'web.yaml'));
      const direct = outcome(() => validateScaler(parseYaml(text)));
      assert.equal(r.ok, direct.ok, 'text and object agree');
      if (r.ok) {
        checkScaler(r.scaler);
        return;
      }
      checkProblems(r.problems, text);
      assert.deepEqual(
        r.problems.map((p) => `${p.path}: ${p.message}`).sort(),
        (direct.ok ? [] : direct.problems).map((p) => `${p.path}: ${p.message}`).sort(),
      );
      for (const line of formatProblems('web.yaml', r.problems).split('\n')) assert.match(line, /^web\.yaml(:\d+)?: /);
    }),
    runs(300),
  );
});

test('broken and foreign texts (cut short, characters inserted, lines repeated, anything): problems with lines, never a throw', () => {
  const base = toYaml(BASE);
  const edits = fc.oneof(
    fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
    fc.tuple(fc.nat({ max: base.length }), fc.constantFrom(':', '-', ' ', '\t', '"', "'", '{', '[', '&a', '*a', '!!binary ', '\n---\n', '\n  ', '#', '<<: ', '%')).map(([i, c]) => base.slice(0, i) + c + base.slice(i)),
    fc.tuple(fc.nat({ max: 200 }), fc.nat({ max: 200 })).map(([a, b]) => {
      const lines = base.split('\n');
      const i = a % lines.length;
      return [...lines.slice(0, i), lines[b % lines.length]!, ...lines.slice(i)].join('\n');
    }),
    fc.array(fc.constantFrom(base, 'kind: Deployment\napiVersion: apps/v1\n', '', '# only a comment\n', toYaml({ ...BASE, metadata: { name: { toString: 1 } } })), { minLength: 1, maxLength: 3 }).map((docs) => docs.join('\n---\n')),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', '---', '[]', 'null', '42', 'a: &a [*a]', 'x: !!js/function "() => 1"', '\uFEFFapiVersion: v1', `a: &a [1]\nb: [${'*a,'.repeat(200)}*a]`),
  );
  fc.assert(
    fc.property(edits, fc.option(fc.constantFrom('web', 'other', ''), { nil: undefined }), (text, name) => {
      const r = outcome(() => parseScaler(text, 'web.yaml', name === undefined ? {} : { name }));
      if (r.ok) {
        checkScaler(r.scaler);
        return;
      }
      checkProblems(r.problems, text, false);
      formatProblems('web.yaml', r.problems);
    }),
    {
      ...runs<[string, string | undefined]>(400),
      // Found by this property: two scalers, one named by a mapping whose toString is not a function.
      examples: [[`${toYaml(BASE)}---\n${toYaml({ ...BASE, metadata: { name: { toString: 1 } } })}`, undefined]],
    },
  );
});

test('any durations in every duration field: rejected at a named field, or a spec that plans', () => {
  const UNITS: Array<[string, number]> = [['ms', 1], ['s', 1e3], ['m', 6e4], ['h', 3.6e6], ['d', 8.64e7], ['w', 6.048e8]];
  // Log-uniform from 1ms to 100 years, written in the largest unit that divides it.
  const duration = fc.integer({ min: 0, max: 1_000_000 }).map((i) => {
    const ms = Math.max(1, Math.round(10 ** ((Math.log10(MAX_DURATION_MS) * i) / 1_000_000)));
    const [u, size] = [...UNITS].reverse().find(([, size]) => ms % size === 0)!;
    return `${ms / size}${u}`;
  });
  const FIELDS: Path[] = [
    ['spec', 'metric', 'step'], ['spec', 'metric', 'history'], ['spec', 'forecast', 'horizon'], ['spec', 'forecast', 'refitInterval'],
    ['spec', 'plan', 'leadTime'], ['spec', 'plan', 'tickInterval'], ['spec', 'plan', 'minStepDuration'], ['spec', 'plan', 'scaleDownDelay'],
    ['spec', 'safety', 'staleAfter'], ['spec', 'hpa', 'startupDelay'], ['spec', 'metric', 'prometheus', 'timeout'],
  ];
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(duration, { minLength: FIELDS.length, maxLength: FIELDS.length }), fc.boolean(), (ds, autoSeasons) => {
      const obj = clone(BASE) as unknown as Record<string, unknown>;
      FIELDS.forEach((path, i) => setAt(obj, path, ds[i], 'set'));
      if (autoSeasons) setAt(obj, ['spec', 'forecast', 'seasonalities'], ['auto'], 'set');
      const r = outcome(() => validateScaler(obj));
      if (r.ok) {
        accepted++;
        checkScaler(r.scaler);
      } else {
        checkProblems(r.problems, undefined);
        for (const p of r.problems) assert.match(p.path, /^spec\.(metric|forecast|plan|safety|hpa)\./, `${p.path}: ${p.message}`);
      }
    }),
    runs(1000),
  );
  assert.ok(accepted > 0, 'some combinations are valid');
});
