import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScaler, validateScaler, type Problem, type ScalerSpecResult } from '../../../src/config/scaler.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The minimal spec of the README ("The PredictiveScaler spec"), in block style. */
const MINIMAL = `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: web
  namespace: shop
spec:
  mode: Enforce
  target:
    kind: HorizontalPodAutoscaler
    name: web
  metric:
    query: sum(rate(http_requests_total{job="web"}[2m]))
  capacity:
    perReplica: 120        # load one ready replica serves at target
  plan:
    leadTime: 5m           # request-to-ready time of a new pod
  minReplicas: 2
  maxReplicas: 50
`;

/** 1-based number of the only line of `text` that contains `needle` (the test's own count). */
function lineOf(text: string, needle: string): number {
  const hits = text.split('\n').flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  assert.equal(hits.length, 1, `expected exactly one line containing ${JSON.stringify(needle)}, found ${hits.length}`);
  return hits[0]!;
}

/** MINIMAL with one whole line replaced (the line may become several lines or none). */
function edit(text: string, line: string, replacement: string): string {
  const lines = text.split('\n');
  const i = lines.indexOf(line);
  assert.ok(i >= 0, `no line ${JSON.stringify(line)}`);
  return [...lines.slice(0, i), ...(replacement === '' ? [] : [replacement]), ...lines.slice(i + 1)].join('\n');
}

function problemsOf(r: ScalerSpecResult): readonly Problem[] {
  assert.equal(r.ok, false, 'expected problems, got a valid spec');
  return r.ok ? [] : r.problems;
}

function okScaler(r: ScalerSpecResult) {
  if (!r.ok) assert.fail(`expected a valid spec, got:\n${r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n')}`);
  return r.scaler;
}

test('the README\'s minimal spec parses with every default filled in', () => {
  const s = okScaler(parseScaler(MINIMAL, 'web.yaml'));
  assert.equal(s.name, 'web');
  assert.equal(s.namespace, 'shop');
  assert.equal(s.spec.mode, 'Enforce');
  assert.deepEqual(s.spec.target, { kind: 'HorizontalPodAutoscaler', name: 'web', apiVersion: 'autoscaling/v2' });
  assert.deepEqual(s.spec.metric, { query: 'sum(rate(http_requests_total{job="web"}[2m]))', stepMs: MIN, historyMs: 28 * DAY });
  assert.deepEqual(s.spec.capacity, { perReplica: 120, headroom: 0 });
  assert.deepEqual(s.spec.forecast, {
    model: 'auto',
    quantile: 0.9,
    horizonMs: 6 * HOUR,
    refitIntervalMs: HOUR,
    seasonalitiesMs: 'auto',
    excludedWindows: [],
    events: [],
    levelCorrection: true,
  });
  assert.deepEqual(s.spec.plan, { leadTimeMs: 5 * MIN, tickIntervalMs: MIN, minStepDurationMs: 30 * MIN, scaleDownDelayMs: 30 * MIN });
  assert.equal(s.spec.minReplicas, 2);
  assert.equal(s.spec.maxReplicas, 50);
  // Kubernetes autoscaling/v2 default behaviour.
  assert.deepEqual(s.spec.hpa.behavior.scaleUp, {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  });
  assert.deepEqual(s.spec.hpa.behavior.scaleDown, {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  });
  assert.equal(s.spec.hpa.startupDelayMs, 5 * MIN);
});

test('defaults that depend on other fields: namespace, mode, startupDelay follows leadTime', () => {
  let text = edit(MINIMAL, '  namespace: shop', '');
  text = edit(text, '  mode: Enforce', '');
  text = edit(text, '    leadTime: 5m           # request-to-ready time of a new pod', '    leadTime: 7m');
  const s = okScaler(parseScaler(text, 'x.yaml'));
  assert.equal(s.namespace, 'default');
  assert.equal(s.spec.mode, 'DryRun');
  assert.equal(s.spec.plan.leadTimeMs, 7 * MIN);
  assert.equal(s.spec.hpa.startupDelayMs, 7 * MIN);
});

interface ProblemCase {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  /** Text of the line the problem must point at. */
  readonly at: string;
  readonly message: RegExp;
}

const LEAD = '    leadTime: 5m           # request-to-ready time of a new pod';
const PLAN_WITH = (extra: string): string => edit(MINIMAL, LEAD, `    leadTime: 5m\n${extra}`);
const FORECAST = (body: string): string => edit(MINIMAL, '  minReplicas: 2', `  minReplicas: 2\n  forecast:\n${body}`);

const PROBLEM_CASES: ProblemCase[] = [
  { name: 'missing required target.name', text: edit(MINIMAL, '    name: web', ''), path: 'spec.target.name', at: '  target:', message: /required field is missing/ },
  { name: 'missing required maxReplicas', text: edit(MINIMAL, '  maxReplicas: 50', ''), path: 'spec.maxReplicas', at: 'spec:', message: /required field is missing/ },
  { name: 'missing metadata.name', text: edit(MINIMAL, '  name: web', ''), path: 'metadata.name', at: 'metadata:', message: /required/ },
  { name: 'wrong type: word for a boolean', text: FORECAST('    levelCorrection: "no"'), path: 'spec.forecast.levelCorrection', at: 'levelCorrection: "no"', message: /expected true or false, got string "no"/ },
  { name: 'wrong type: word for a number', text: edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: fifty'), path: 'spec.maxReplicas', at: 'maxReplicas: fifty', message: /expected a number, got string "fifty"/ },
  { name: 'wrong type: list for a number', text: edit(MINIMAL, '  minReplicas: 2', '  minReplicas: [2]'), path: 'spec.minReplicas', at: 'minReplicas: [2]', message: /expected a number, got a list/ },
  { name: 'wrong type: scalar for a mapping', text: edit(MINIMAL, '    perReplica: 120        # load one ready replica serves at target', '    perReplica:\n      value: 120'), path: 'spec.capacity.perReplica', at: 'perReplica:', message: /expected a number, got a mapping/ },
  { name: 'wrong type: quoted number', text: edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: "50"'), path: 'spec.maxReplicas', at: 'maxReplicas: "50"', message: /got string "50"/ },
  { name: 'not a whole number of replicas', text: edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: 50.5'), path: 'spec.maxReplicas', at: 'maxReplicas: 50.5', message: /whole number/ },
  { name: 'bad duration: words', text: edit(MINIMAL, LEAD, '    leadTime: 5 minutes'), path: 'spec.plan.leadTime', at: 'leadTime: 5 minutes', message: /not a duration/ },
  { name: 'bad duration: bare number', text: edit(MINIMAL, LEAD, '    leadTime: 300'), path: 'spec.plan.leadTime', at: 'leadTime: 300', message: /write the unit/ },
  { name: 'bad duration: zero where zero is meaningless', text: PLAN_WITH('    tickInterval: 0s'), path: 'spec.plan.tickInterval', at: 'tickInterval: 0s', message: /longer than zero/ },
  { name: 'unknown field with case-only typo', text: edit(MINIMAL, LEAD, '    leadtime: 5m'), path: 'spec.plan.leadtime', at: 'leadtime: 5m', message: /^unknown field \(did you mean leadTime\?\)$/ },
  { name: 'unknown field with spelling typo', text: edit(MINIMAL, '    perReplica: 120        # load one ready replica serves at target', '    perReplika: 120'), path: 'spec.capacity.perReplika', at: 'perReplika', message: /did you mean perReplica\?/ },
  { name: 'unknown field with nothing close', text: edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: 50\n  colour: blue'), path: 'spec.colour', at: 'colour: blue', message: /^unknown field$/ },
  { name: 'unknown top-level field', text: `${MINIMAL}specs: {}\n`, path: 'specs', at: 'specs: {}', message: /did you mean spec\?/ },
  { name: 'minReplicas above maxReplicas', text: edit(MINIMAL, '  minReplicas: 2', '  minReplicas: 60'), path: 'spec.maxReplicas', at: '  maxReplicas: 50', message: /50 is less than minReplicas \(60\)/ },
  { name: 'negative minReplicas', text: edit(MINIMAL, '  minReplicas: 2', '  minReplicas: -1'), path: 'spec.minReplicas', at: 'minReplicas: -1', message: /at least 0/ },
  { name: 'bad enum: mode', text: edit(MINIMAL, '  mode: Enforce', '  mode: Enforced'), path: 'spec.mode', at: 'mode: Enforced', message: /is not one of DryRun, Enforce \(did you mean Enforce\?\)/ },
  { name: 'bad enum: target kind', text: edit(MINIMAL, '    kind: HorizontalPodAutoscaler', '    kind: Pod'), path: 'spec.target.kind', at: 'kind: Pod', message: /HorizontalPodAutoscaler, Deployment, StatefulSet/ },
  { name: 'bad enum: model', text: FORECAST('    model: prophet'), path: 'spec.forecast.model', at: 'model: prophet', message: /not one of auto, seasonal-naive-day/ },
  { name: 'quantile of 1', text: FORECAST('    quantile: 1'), path: 'spec.forecast.quantile', at: 'quantile: 1', message: /less than 1/ },
  { name: 'quantile of 0', text: FORECAST('    quantile: 0'), path: 'spec.forecast.quantile', at: 'quantile: 0', message: /greater than 0/ },
  { name: 'quantile as percent', text: FORECAST('    quantile: 90'), path: 'spec.forecast.quantile', at: 'quantile: 90', message: /less than 1/ },
  { name: 'quantile as text', text: FORECAST('    quantile: p90'), path: 'spec.forecast.quantile', at: 'quantile: p90', message: /expected a number/ },
  {
    name: 'excluded window ends before it starts',
    text: FORECAST('    excludedWindows:\n      - from: 2024-01-02T00:00:00Z\n        to: 2024-01-01T00:00:00Z'),
    path: 'spec.forecast.excludedWindows[0].to', at: 'to: 2024-01-01T00:00:00Z', message: /is not after from/,
  },
  {
    name: 'excluded window of zero length',
    text: FORECAST('    excludedWindows:\n      - from: 2024-01-01T00:00:00Z\n        to: 2024-01-01T00:00:00Z'),
    path: 'spec.forecast.excludedWindows[0].to', at: '        to: 2024-01-01T00:00:00Z', message: /is not after from/,
  },
  {
    name: 'excluded window with a local time and no zone',
    text: FORECAST('    excludedWindows:\n      - from: 2024-01-01 10:00\n        to: 2024-01-02T00:00:00Z'),
    path: 'spec.forecast.excludedWindows[0].from', at: 'from: 2024-01-01 10:00', message: /not a timestamp/,
  },
  {
    name: 'second excluded window missing to',
    text: FORECAST('    excludedWindows:\n      - from: 2024-01-01T00:00:00Z\n        to: 2024-01-02T00:00:00Z\n      - from: 2024-02-01T00:00:00Z'),
    path: 'spec.forecast.excludedWindows[1].to', at: '- from: 2024-02-01T00:00:00Z', message: /required/,
  },
  { name: 'wrong apiVersion', text: edit(MINIMAL, 'apiVersion: prescale.dev/v1alpha1', 'apiVersion: prescale.dev/v1'), path: 'apiVersion', at: 'apiVersion:', message: /must be prescale.dev\/v1alpha1, got "prescale.dev\/v1"/ },
  { name: 'wrong kind', text: edit(MINIMAL, 'kind: PredictiveScaler', 'kind: Deployment'), path: 'kind', at: 'kind: Deployment', message: /must be PredictiveScaler/ },
  { name: 'invalid Kubernetes name', text: edit(MINIMAL, '  name: web', '  name: Web_App'), path: 'metadata.name', at: 'name: Web_App', message: /not a valid Kubernetes name/ },
  { name: 'target apiVersion of the wrong group', text: edit(MINIMAL, '    name: web', '    name: web\n    apiVersion: apps/v1'), path: 'spec.target.apiVersion', at: 'apiVersion: apps/v1', message: /does not serve HorizontalPodAutoscaler/ },
  { name: 'not YAML: unclosed flow sequence', text: 'spec: [1, 2\nkind: x\n', path: '', at: 'kind: x', message: /^not valid YAML/ },
  { name: 'not YAML: duplicate key', text: edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: 50\n  maxReplicas: 60'), path: '', at: 'maxReplicas: 60', message: /not valid YAML.*unique/ },
  { name: 'YAML but a plain sentence', text: 'hello, this is a text file\n', path: '', at: 'hello', message: /expected a mapping, got string/ },
  { name: 'YAML but a list', text: '- a\n- b\n', path: '', at: '- a', message: /expected a mapping, got a list/ },
];

for (const c of PROBLEM_CASES) {
  test(`problem: ${c.name}`, () => {
    const problems = problemsOf(parseScaler(c.text, 'case.yaml'));
    const hit = problems.find((p) => p.path === c.path && c.message.test(p.message));
    assert.ok(hit, `no problem at ${c.path} matching ${c.message}; got:\n${problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n')}`);
    assert.equal(hit.line, lineOf(c.text, c.at));
  });
}

test('an empty file is one problem without a line', () => {
  for (const text of ['', '# only a comment\n', '---\n']) {
    const problems = problemsOf(parseScaler(text, 'empty.yaml'));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /empty/);
  }
});

test('several problems in one file are all reported, in line order', () => {
  let text = edit(MINIMAL, '  mode: Enforce', '  mode: Auto');
  text = edit(text, '    query: sum(rate(http_requests_total{job="web"}[2m]))', '    step: 1m');
  text = edit(text, LEAD, '    leadtime: 5m');
  text = edit(text, '  minReplicas: 2', '  minReplicas: 80');
  text = edit(text, '  maxReplicas: 50', '  maxReplicas: 50\n  forecast:\n    quantile: 2\n    horizon: soon');
  const problems = problemsOf(parseScaler(text, 'many.yaml'));
  const expected = [
    ['spec.mode', '  mode: Auto'],
    ['spec.metric.query', '  metric:'],
    ['spec.plan.leadtime', 'leadtime'],
    ['spec.maxReplicas', '  maxReplicas: 50'],
    ['spec.forecast.quantile', 'quantile: 2'],
    ['spec.forecast.horizon', 'horizon: soon'],
  ] as const;
  assert.deepEqual(problems.map((p) => p.path).sort(), expected.map(([path]) => path).sort());
  for (const [path, at] of expected) {
    assert.equal(problems.find((p) => p.path === path)!.line, lineOf(text, at), path);
  }
  const lines = problems.map((p) => p.line!);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
});

interface CrossCase {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly message: RegExp;
}

const METRIC = (extra: string): string => edit(MINIMAL, '    query: sum(rate(http_requests_total{job="web"}[2m]))', `    query: q\n${extra}`);

const CROSS_CASES: CrossCase[] = [
  { name: 'horizon shorter than refit interval plus lead time', text: FORECAST('    horizon: 1h\n    refitInterval: 1h'), path: 'spec.forecast.horizon', message: /must cover forecast.refitInterval \+ plan.leadTime \(1h5m\)/ },
  { name: 'horizon not longer than lead time', text: FORECAST('    horizon: 5m'), path: 'spec.forecast.horizon', message: /must cover/ },
  { name: 'history under one day', text: METRIC('    history: 12h'), path: 'spec.metric.history', message: /minimum of 1d/ },
  { name: 'history shorter than horizon', text: edit(METRIC('    history: 2d'), '  minReplicas: 2', '  minReplicas: 2\n  forecast:\n    horizon: 3d'), path: 'spec.metric.history', message: /shorter than forecast.horizon/ },
  { name: 'step not shorter than horizon', text: edit(METRIC('    step: 6h'), '  minReplicas: 2', '  minReplicas: 2\n  forecast:\n    horizon: 6h'), path: 'spec.metric.step', message: /shorter than forecast.horizon/ },
  { name: 'minimum step shorter than a tick', text: PLAN_WITH('    tickInterval: 5m\n    minStepDuration: 2m'), path: 'spec.plan.minStepDuration', message: /shorter than plan.tickInterval/ },
  { name: 'refit more often than ticks', text: FORECAST('    refitInterval: 30s'), path: 'spec.forecast.refitInterval', message: /shorter than plan.tickInterval/ },
  { name: 'season longer than half the history', text: edit(METRIC('    history: 10d'), '  minReplicas: 2', '  minReplicas: 2\n  forecast:\n    seasonalities: [1d, 1w]'), path: 'spec.forecast.seasonalities', message: /season 1w needs at least two seasons/ },
  { name: 'season shorter than two steps', text: edit(METRIC('    step: 5m'), '  minReplicas: 2', '  minReplicas: 2\n  forecast:\n    seasonalities: [5m, 1d]'), path: 'spec.forecast.seasonalities[0]', message: /shorter than two metric steps/ },
  { name: 'bare auto instead of a list', text: FORECAST('    seasonalities: auto'), path: 'spec.forecast.seasonalities', message: /write \[auto\]/ },
  { name: 'auto mixed with seasons', text: FORECAST('    seasonalities: [1d, auto]'), path: 'spec.forecast.seasonalities[1]', message: /cannot be mixed/ },
  { name: 'headroom above 1', text: edit(MINIMAL, '    perReplica: 120        # load one ready replica serves at target', '    perReplica: 120\n    headroom: 1.5'), path: 'spec.capacity.headroom', message: /at most 1/ },
  { name: 'perReplica of zero', text: edit(MINIMAL, '    perReplica: 120        # load one ready replica serves at target', '    perReplica: 0'), path: 'spec.capacity.perReplica', message: /greater than 0/ },
  { name: 'maxStepChange of zero', text: PLAN_WITH('    maxStepChange: 0'), path: 'spec.plan.maxStepChange', message: /at least 1/ },
];

for (const c of CROSS_CASES) {
  test(`cross-field: ${c.name}`, () => {
    const problems = problemsOf(parseScaler(c.text, 'case.yaml'));
    assert.ok(
      problems.some((p) => p.path === c.path && c.message.test(p.message)),
      `no problem at ${c.path} matching ${c.message}; got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`,
    );
  });
}

test('history under two weeks is a warning, not a problem', () => {
  const r = parseScaler(METRIC('    history: 10d'), 'x.yaml');
  okScaler(r);
  assert.deepEqual(r.warnings.map((w) => w.path), ['spec.metric.history']);
  assert.match(r.warnings[0]!.message, /weekly/);
  assert.deepEqual(parseScaler(METRIC('    history: 2w'), 'x.yaml').warnings, []);
});

test('seasonalities: [auto] means detect, explicit seasons are sorted and in ms', () => {
  assert.equal(okScaler(parseScaler(FORECAST('    seasonalities: [auto]'), 'x.yaml')).spec.forecast.seasonalitiesMs, 'auto');
  assert.deepEqual(okScaler(parseScaler(FORECAST('    seasonalities: [1w, 1d]'), 'x.yaml')).spec.forecast.seasonalitiesMs, [DAY, 7 * DAY]);
});

test('excluded windows resolve to epoch ms, sorted by start, reason kept', () => {
  const text = FORECAST(
    '    excludedWindows:\n' +
      '      - { from: 2024-03-01T00:00:00Z, to: 2024-03-02T00:00:00Z }\n' +
      '      - { from: 2024-01-01T00:00:00+01:00, to: 2024-01-01T12:00:00Z, reason: outage }',
  );
  const w = okScaler(parseScaler(text, 'x.yaml')).spec.forecast.excludedWindows;
  assert.deepEqual(w, [
    { fromMs: Date.UTC(2023, 11, 31, 23), toMs: Date.UTC(2024, 0, 1, 12), reason: 'outage' },
    { fromMs: Date.UTC(2024, 2, 1), toMs: Date.UTC(2024, 2, 2) },
  ]);
});

test('zero lead time and zero scale-down delay are allowed', () => {
  const s = okScaler(parseScaler(edit(MINIMAL, LEAD, '    leadTime: 0s\n    scaleDownDelay: "0"'), 'x.yaml'));
  assert.equal(s.spec.plan.leadTimeMs, 0);
  assert.equal(s.spec.plan.scaleDownDelayMs, 0);
});

test('a partial HPA behavior keeps the Kubernetes defaults for what it leaves out', () => {
  const text = edit(MINIMAL, '  maxReplicas: 50', '  maxReplicas: 50\n  hpa:\n    behavior:\n      scaleDown:\n        stabilizationWindowSeconds: 60\n    startupDelay: 2m');
  const hpa = okScaler(parseScaler(text, 'x.yaml')).spec.hpa;
  assert.equal(hpa.behavior.scaleDown.stabilizationWindowSeconds, 60);
  assert.deepEqual(hpa.behavior.scaleDown.policies, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  assert.equal(hpa.behavior.scaleUp.stabilizationWindowSeconds, 0);
  assert.equal(hpa.behavior.scaleUp.policies.length, 2);
  assert.equal(hpa.startupDelayMs, 2 * MIN);
});

test('HPA policies are checked like the Kubernetes API does', () => {
  const text = edit(
    MINIMAL,
    '  maxReplicas: 50',
    '  maxReplicas: 50\n  hpa:\n    behavior:\n      scaleUp:\n        selectPolicy: Maximum\n        stabilizationWindowSeconds: 4000\n        policies:\n          - { type: pods, value: 0, periodSeconds: 3000 }\n      scaleDown:\n        policies: []',
  );
  const paths = problemsOf(parseScaler(text, 'x.yaml')).map((p) => p.path).sort();
  const up = 'spec.hpa.behavior.scaleUp';
  assert.deepEqual(paths, [
    'spec.hpa.behavior.scaleDown.policies',
    `${up}.policies[0].periodSeconds`,
    `${up}.policies[0].type`,
    `${up}.policies[0].value`,
    `${up}.selectPolicy`,
    `${up}.stabilizationWindowSeconds`,
  ]);
});

const PROM = (body: string): string => METRIC(`    prometheus:\n${body}`);

const PROMETHEUS_CASES: CrossCase[] = [
  { name: 'url that is not http', text: PROM('      url: ftp://prom:9090'), path: 'spec.metric.prometheus.url', message: /not an http\(s\) URL/ },
  { name: 'url that is not a URL', text: PROM('      url: prometheus'), path: 'spec.metric.prometheus.url', message: /not an http\(s\) URL/ },
  { name: 'missing url', text: PROM('      timeout: 10s'), path: 'spec.metric.prometheus.url', message: /required/ },
  { name: 'header value not a string', text: PROM('      url: http://p:9090\n      headers:\n        X-Scope-OrgID: 42'), path: 'spec.metric.prometheus.headers.X-Scope-OrgID', message: /expected a string/ },
  { name: 'header name with a space', text: PROM('      url: http://p:9090\n      headers:\n        "Org ID": a'), path: 'spec.metric.prometheus.headers.Org ID', message: /header name/ },
  { name: 'bearer token and basic auth together', text: PROM('      url: http://p:9090\n      bearerTokenFile: /t\n      basicAuth: { username: u, passwordFile: /p }'), path: 'spec.metric.prometheus.basicAuth', message: /not both/ },
  { name: 'basic auth without a password', text: PROM('      url: http://p:9090\n      basicAuth: { username: u }'), path: 'spec.metric.prometheus.basicAuth', message: /exactly one of/ },
  { name: 'basic auth with two passwords', text: PROM('      url: http://p:9090\n      basicAuth: { username: u, passwordFile: /p, passwordSecretRef: { name: s, key: k } }'), path: 'spec.metric.prometheus.basicAuth', message: /exactly one of/ },
  { name: 'secret ref without key', text: PROM('      url: http://p:9090\n      basicAuth: { username: u, passwordSecretRef: { name: s } }'), path: 'spec.metric.prometheus.basicAuth.passwordSecretRef.key', message: /required/ },
  { name: 'Authorization header and a token file', text: PROM('      url: http://p:9090\n      bearerTokenFile: /t\n      headers: { authorization: Bearer x }'), path: 'spec.metric.prometheus.headers.authorization', message: /conflicts/ },
];

for (const c of PROMETHEUS_CASES) {
  test(`prometheus: ${c.name}`, () => {
    const problems = problemsOf(parseScaler(c.text, 'case.yaml'));
    assert.ok(problems.some((p) => p.path === c.path && c.message.test(p.message)), problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  });
}

test('a complete prometheus block resolves with its timeout in ms', () => {
  const text = PROM('      url: https://mimir:8080/prometheus\n      headers: { X-Scope-OrgID: team-a }\n      basicAuth: { username: u, passwordSecretRef: { name: s, key: k } }\n      caFile: /ca.pem\n      timeout: 45s');
  assert.deepEqual(okScaler(parseScaler(text, 'x.yaml')).spec.metric.prometheus, {
    url: 'https://mimir:8080/prometheus',
    headers: { 'X-Scope-OrgID': 'team-a' },
    basicAuth: { username: 'u', passwordSecretRef: { name: 's', key: 'k' } },
    caFile: '/ca.pem',
    timeoutMs: 45_000,
  });
});

const DEPLOYMENT = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n';
const OTHER = MINIMAL.replace('  name: web\n  namespace', '  name: api\n  namespace');

test('several documents: other kinds are ignored', () => {
  const text = `${DEPLOYMENT}---\n${MINIMAL}---\n`;
  assert.equal(okScaler(parseScaler(text, 'x.yaml')).name, 'web');
});

test('several documents: lines point into the right document', () => {
  const text = `${DEPLOYMENT}---\n${edit(MINIMAL, LEAD, '    leadtime: 5m')}`;
  const problems = problemsOf(parseScaler(text, 'x.yaml'));
  assert.deepEqual(problems.map((p) => [p.path, p.line]), [['spec.plan.leadtime', lineOf(text, 'leadtime')]]);
});

test('several scalers: chosen by name, otherwise a problem naming them', () => {
  const text = `${MINIMAL}---\n${OTHER}`;
  assert.equal(okScaler(parseScaler(text, 'x.yaml', { name: 'api' })).name, 'api');
  const [p] = problemsOf(parseScaler(text, 'x.yaml'));
  const apiLine = text.split('\n').indexOf('---') + 2;
  assert.equal(p!.message, `the file holds 2 PredictiveScaler documents: web (line 1), api (line ${apiLine}); choose one by name (--name)`);
  const [missing] = problemsOf(parseScaler(text, 'x.yaml', { name: 'cart' }));
  assert.match(missing!.message, /no PredictiveScaler named "cart"/);
});

test('several documents and none is a scaler', () => {
  const [p] = problemsOf(parseScaler(`${DEPLOYMENT}---\n${DEPLOYMENT}`, 'x.yaml'));
  assert.match(p!.message, /none of the 2 YAML documents has kind PredictiveScaler/);
});

test('operator path: an API object validates without lines, status and server metadata are ignored', () => {
  const obj = {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name: 'web', namespace: 'shop', uid: 'abc', resourceVersion: '42', generation: 3, managedFields: [] },
    spec: { target: { kind: 'Deployment', name: 'web' }, metric: { query: 'q' }, capacity: { perReplica: 10 }, maxReplicas: 5 },
    status: { model: 'holt-winters', anything: true },
  };
  const s = okScaler(validateScaler(obj));
  assert.equal(s.spec.target.apiVersion, 'apps/v1');
  const bad = problemsOf(validateScaler({ ...obj, spec: { ...obj.spec, maxReplicas: 0 } }));
  assert.deepEqual(bad, [{ path: 'spec.maxReplicas', message: '0 must be at least 1' }]);
});
