/**
 * The real `prescale operator` process against the in-process API server (test/support/
 * fake-apiserver.ts) and a real Prometheus whose series ends at the current minute (the UK
 * academic backbone trace, shifted so its last 5-minute sample is now).
 *
 * - Enforce: the finalizer comes first, the HPA's own minReplicas is recorded in the annotation,
 *   and minReplicas equals the floor `prescale dry-run --prometheus` computes for the same minute;
 *   status and /metrics say the same; deleting the scaler restores the HPA and lets the scaler go.
 * - DryRun never writes the HPA; a 409 is retried; a 403 becomes Forbidden; a target in another
 *   namespace is refused; switching to DryRun gives the floor back.
 * - Two operators with --leader-elect: one leads and writes; SIGKILL it and the other takes over
 *   within the lease duration.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Samples } from '../../src/core/series.js';
import { ROOT, runCli } from '../cli/run-cli.js';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../support/fake-apiserver.js';
import { dump, type OperatorProcess, startOperator } from '../support/operator-process.js';
import { readCsvSamples, startPrometheus, type PromServer } from '../support/prometheus.js';
import { startFaultProxy } from '../support/fault-proxy.js';

const MIN = 60_000;
const STEP = 5 * MIN;
const DAYS = 9;
const ANNOTATION = 'prescale.dev/original-min-replicas';
const FINALIZER = 'prescale.dev/restore';
const SCALERS = ['prescale.dev/v1alpha1', 'predictivescalers'] as const;
const HPAS = ['autoscaling/v2', 'horizontalpodautoscalers'] as const;

let prom: PromServer;
let api: FakeApiServer;
let dir: string;
let kubeconfig: string;
let operator: OperatorProcess | undefined;
const nowMs = Date.now();

before(async () => {
  // The last 9 days of the trace, shifted so the last sample sits at the current 5-minute step.
  const trace = readCsvSamples(join(ROOT, 'fixtures/traces/uk_academic_net_5min.csv'));
  const n = (DAYS * 24 * 60 * MIN) / STEP;
  const lastAt = Math.floor(nowMs / STEP) * STEP;
  const values = trace.values.slice(trace.values.length - n);
  const samples: Samples = { timesMs: values.map((_, i) => lastAt - (n - 1 - i) * STEP), values };
  [prom, api, dir] = await Promise.all([startPrometheus([{ metric: 'uk_load', labels: { job: 'backbone' }, samples }]), startFakeApiServer(), mkdtemp(join(tmpdir(), 'prescale-operator-'))]);
  kubeconfig = await api.writeKubeconfig(join(dir, 'kubeconfig'));
});

after(async () => {
  await operator?.stop('SIGKILL');
  await api?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function hpa(ns: string, name: string, minReplicas = 2): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas, maxReplicas: 40, metrics: [] },
  };
}

function scalerYaml(ns: string, name: string, opts: { mode?: string; target?: string; targetNamespace?: string; refit?: string; staleAfter?: string } = {}): string {
  return `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  mode: ${opts.mode ?? 'Enforce'}
  target:
    kind: HorizontalPodAutoscaler
    name: ${opts.target ?? name}${opts.targetNamespace ? `\n    namespace: ${opts.targetNamespace}` : ''}
  metric:
    query: 'uk_load{job="backbone"}'
    step: 5m
    history: 7d
  capacity:
    perReplica: 370
  forecast:
    horizon: 6h
    refitInterval: ${opts.refit ?? '1h'}
  plan:
    leadTime: 5m
  minReplicas: 2
  maxReplicas: 40${opts.staleAfter ? `\n  safety:\n    staleAfter: ${opts.staleAfter}` : ''}
`;
}

/** The same YAML the CLI reads, as the JSON object kubectl would send. */
const scaler = (ns: string, name: string, opts: Parameters<typeof scalerYaml>[2] = {}): KubeObject => parseYaml(scalerYaml(ns, name, opts)) as KubeObject;

const condition = (obj: KubeObject | undefined, type: string): Record<string, unknown> | undefined =>
  ((obj?.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []).find((c) => c.type === type);

async function dryRunFloorAt(ns: string, name: string, minuteMs: number): Promise<number> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, scalerYaml(ns, name));
  const decisions = join(dir, `${name}-decisions.csv`);
  const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  const r = await runCli(['dry-run', '-f', file, '--prometheus', prom.url, '--from', iso(minuteMs - 3 * 60 * MIN), '--to', iso(minuteMs + MIN), '--decisions', decisions], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const rows = (await readFile(decisions, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const row = rows.find((c) => c[0] === iso(minuteMs));
  assert.ok(row, `the dry-run has a row for ${iso(minuteMs)}`);
  return Number(row[3]);
}

test('operator: Enforce, DryRun, 409, 403, cross-namespace target, switch to DryRun and delete', { timeout: 240_000 }, async () => {
  for (const [ns, name] of [['shop', 'web'], ['shop', 'dry'], ['shop', 'busy'], ['locked', 'web'], ['shop', 'switch']] as const) api.create(hpa(ns, name));
  api.create(hpa('other', 'web'));
  // Two conflicts on the first HPA writes of `busy`; `locked` may not patch HPAs at all.
  api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: 'shop', name: 'busy', status: 409, count: 2 });
  api.deny({ verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'locked' });
  api.create(scaler('shop', 'web'));
  api.create(scaler('shop', 'dry', { mode: 'DryRun' }));
  api.create(scaler('shop', 'busy'));
  api.create(scaler('locked', 'web'));
  api.create(scaler('shop', 'switch'));
  api.create(scaler('shop', 'thief', { target: 'web', targetNamespace: 'other' }));
  // A scaler may not point the operator at another Prometheus, nor at files on its disk.
  const elsewhere = await startFaultProxy(prom.url);
  const withPrometheus = (name: string, extra: object): KubeObject => {
    const o = scaler('shop', name);
    const spec = o.spec as { metric: Record<string, unknown> };
    spec.metric.prometheus = extra;
    return o;
  };
  api.create(withPrometheus('exfil', { url: elsewhere.url.replace('127.0.0.1', 'localhost') }));
  api.create(withPrometheus('disk', { url: prom.url, bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }));
  // A scaler an earlier operator run had gated (its forecasts were off): the restarted operator
  // keeps the gate closed until the error is measured again, so the floor is not raised.
  api.create(hpa('shop', 'gated'));
  api.create({
    ...scaler('shop', 'gated'),
    status: { conditions: [{ type: 'Active', status: 'False', reason: 'ForecastInaccurate', message: 'forecast error above safety.maxForecastError', lastTransitionTime: new Date(nowMs - 60 * MIN).toISOString().replace('.000Z', 'Z') }] },
  });

  operator = await startOperator(['--kubeconfig', kubeconfig, '--prometheus', prom.url, '--concurrency', '3']);
  const op = operator;
  const annotated = (ns: string, name: string) => api.get(...HPAS, ns, name)?.metadata?.annotations?.[ANNOTATION];
  await api.waitFor(() => annotated('shop', 'web') && annotated('shop', 'busy') && annotated('shop', 'switch'), 90_000, 'the Enforce HPAs annotated').catch((e: Error) => {
    throw new Error(`${e.message}\n${dump(op.logs)}`);
  });

  // Enforce: original recorded, finalizer first, floor = the dry-run's floor at the same minute.
  const web = api.get(...HPAS, 'shop', 'web')!;
  assert.equal(web.metadata!.annotations![ANNOTATION], '2');
  const webScaler = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'web');
    return condition(s, 'Ready')?.status === 'True' ? s : undefined;
  }, 30_000, 'web Ready');
  assert.deepEqual(webScaler.metadata!.finalizers, [FINALIZER]);
  const firstHpaPatch = api.requests.findIndex((r) => r.method === 'PATCH' && r.path.endsWith('/namespaces/shop/horizontalpodautoscalers/web'));
  const finalizerPatch = api.requests.findIndex((r) => r.method === 'PATCH' && r.path.endsWith('/namespaces/shop/predictivescalers/web'));
  assert.ok(finalizerPatch >= 0 && finalizerPatch < firstHpaPatch, 'the finalizer is on the scaler before the first write to its target');
  assert.equal(condition(webScaler, 'Ready')!.reason, 'PlanApplied');
  assert.equal(condition(webScaler, 'Active')!.status, 'True');
  const status = webScaler.status as { currentStep: { replicas: number }; lastDecision: { time: string; floorReplicas: number }; model: string; observedGeneration: number };
  const floor = (web.spec as { minReplicas: number }).minReplicas;
  assert.equal(status.currentStep.replicas, floor);
  assert.equal(status.lastDecision.floorReplicas, floor);
  assert.equal(status.observedGeneration, 1);
  assert.ok(floor >= 2 && floor <= 40);
  const decidedAt = Date.parse(status.lastDecision.time);
  assert.equal(await dryRunFloorAt('shop', 'web', Math.floor(decidedAt / MIN) * MIN), floor, 'the dry-run previews the operator exactly');
  const metrics = await (await fetch(`${op.metricsUrl}/metrics`)).text();
  assert.match(metrics, new RegExp(`prescale_floor_replicas\\{namespace="shop",name="web"\\} ${floor}\\n`));
  assert.match(metrics, /prescale_reconcile_duration_seconds_count \d+/);
  assert.match(metrics, /prescale_scheduling_lag_seconds_count [1-9]\d*\n/, 'each pass reports how late it started');
  assert.match(metrics, /prescale_prometheus_requests_total [1-9]\d*\n/, 'each request to Prometheus is counted');
  assert.match(metrics, /prescale_max_replicas\{namespace="shop",name="web"\} 40\n/);
  assert.match(metrics, /prescale_last_data_timestamp_seconds\{namespace="shop",name="web"\} \d+/);
  assert.equal((await fetch(`${op.healthUrl}/readyz`)).status, 200);
  assert.equal((await fetch(`${op.healthUrl}/healthz`)).status, 200);

  // 409s on the HPA were re-read and retried.
  const busyPatches = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/namespaces/shop/horizontalpodautoscalers/busy')).map((r) => r.status);
  assert.deepEqual(busyPatches.slice(0, 3), [409, 409, 200]);

  // DryRun: the plan is in status, the HPA is never written.
  const dry = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'dry');
    return condition(s, 'Ready')?.reason === 'DryRun' ? s : undefined;
  }, 30_000, 'dry Ready');
  assert.ok((dry.status as { currentStep?: { replicas: number } }).currentStep!.replicas >= 2);
  assert.equal(api.history(...HPAS, 'shop', 'dry').length, 1, 'the DryRun target was never written');

  // 403 on the HPA: Forbidden.
  const locked = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'locked', 'web');
    return condition(s, 'Ready')?.reason === 'Forbidden' ? s : undefined;
  }, 30_000, 'locked Forbidden');
  assert.match(String(condition(locked, 'Ready')!.message), /forbidden/);

  // A target in another namespace is refused, and never touched.
  const thief = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'thief');
    return condition(s, 'Ready')?.reason === 'InvalidSpec' ? s : undefined;
  }, 30_000, 'thief refused');
  assert.match(String(condition(thief, 'Ready')!.message), /not the scaler's own namespace/);
  assert.equal(api.history(...HPAS, 'other', 'web').length, 1);

  // Off the allow-list: refused, and no request made; file fields: refused.
  const exfil = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'exfil');
    return condition(s, 'Ready')?.reason === 'PrometheusNotAllowed' ? s : undefined;
  }, 30_000, 'exfil refused');
  assert.match(String(condition(exfil, 'Ready')!.message), /not on the operator's allow-list/);
  assert.equal(elsewhere.requests.length, 0, 'no request went to the scaler\'s own Prometheus');
  await elsewhere.close();
  const disk = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'disk');
    return condition(s, 'Ready')?.reason === 'InvalidSpec' ? s : undefined;
  }, 30_000, 'disk refused');
  assert.match(String(condition(disk, 'Ready')!.message), /bearerTokenFile: files on the operator's disk/);

  // The gated scaler: still ForecastInaccurate after the restart, its HPA never raised.
  const gated = await api.waitFor(() => {
    const s = api.get(...SCALERS, 'shop', 'gated');
    return (s?.status as { lastDecision?: unknown } | undefined)?.lastDecision ? s : undefined;
  }, 30_000, 'gated decided');
  assert.equal(condition(gated, 'Active')!.reason, 'ForecastInaccurate');
  assert.equal(condition(gated, 'Active')!.status, 'False');
  assert.match(String((gated.status as { lastDecision: { message: string } }).lastDecision.message), /above safety\.maxForecastError 3 since .*, now not measured yet/);
  assert.ok(api.history(...HPAS, 'shop', 'gated').every((v) => (v.spec as { minReplicas: number }).minReplicas === 2), 'the gated target is never raised');

  // Switching to DryRun gives the floor back.
  const sw = api.get(...SCALERS, 'shop', 'switch')!;
  api.patch(...SCALERS, 'shop', 'switch', { spec: { ...(sw.spec as object), mode: 'DryRun' } });
  await api.waitFor(() => annotated('shop', 'switch') === undefined && (api.get(...HPAS, 'shop', 'switch')!.spec as { minReplicas: number }).minReplicas === 2, 30_000, 'switch restored');

  // Deleting the scaler restores the HPA, then the finalizer goes and with it the scaler.
  api.delete(...SCALERS, 'shop', 'web');
  await api.waitFor(() => api.get(...SCALERS, 'shop', 'web') === undefined, 30_000, 'web scaler gone');
  const restored = api.get(...HPAS, 'shop', 'web')!;
  assert.equal((restored.spec as { minReplicas: number }).minReplicas, 2);
  assert.equal(restored.metadata!.annotations?.[ANNOTATION], undefined);
  assert.doesNotMatch(await (await fetch(`${op.metricsUrl}/metrics`)).text(), /prescale_floor_replicas\{namespace="shop",name="web"\}/, 'a deleted scaler leaves /metrics');
  // Every minReplicas the HPA ever had: the original, then the plan's floors, never below 2.
  for (const v of api.history(...HPAS, 'shop', 'web')) assert.ok((v.spec as { minReplicas: number }).minReplicas >= 2);

  // SIGTERM: passes finish, exit 0, floors stay.
  assert.equal(await op.stop('SIGTERM'), 0);
  operator = undefined;
  assert.ok(annotated('shop', 'busy'), 'a floor stays in place when the operator stops');

  // A restart rebuilds the loop from the HPA and the data: same floor, original kept, no write.
  const busyBefore = api.get(...HPAS, 'shop', 'busy')!;
  const decidedBefore = (api.get(...SCALERS, 'shop', 'busy')!.status as { lastDecision: { time: string } }).lastDecision.time;
  await new Promise((r) => setTimeout(r, 1100)); // a later second, so the new decision is told apart
  const restartedAt = Date.now();
  operator = await startOperator(['--kubeconfig', kubeconfig, '--prometheus', prom.url]);
  await api.waitFor(() => (api.get(...SCALERS, 'shop', 'busy')!.status as { lastDecision: { time: string } }).lastDecision.time !== decidedBefore, 60_000, 'a pass after the restart');
  const busyAfter = api.get(...HPAS, 'shop', 'busy')!;
  const step = (api.get(...SCALERS, 'shop', 'busy')!.status as { currentStep: { start: string; replicas: number } }).currentStep;
  if (Date.parse(step.start) < restartedAt) {
    assert.equal(busyAfter.metadata!.resourceVersion, busyBefore.metadata!.resourceVersion, 'the restarted operator did not write the HPA');
  } else {
    // A plan step began during the restart (a :00 or :30 boundary): then that step's floor, once.
    assert.equal((busyAfter.spec as { minReplicas: number }).minReplicas, step.replicas);
  }
  assert.equal(busyAfter.metadata!.annotations![ANNOTATION], '2');
  assert.equal(await operator.stop('SIGTERM'), 0);
  operator = undefined;
});

test('operator: two replicas with --leader-elect; the leader writes, SIGKILL it and the other takes over', { timeout: 180_000 }, async () => {
  api.create(hpa('ha', 'one'));
  api.create(scaler('ha', 'one'));
  const args = ['--kubeconfig', kubeconfig, '--prometheus', prom.url, '--namespace', 'ha', '--leader-elect', '--leader-election-namespace', 'prescale'];
  const a = await startOperator(args);
  const b = await startOperator(args);
  try {
    const lease = await api.waitFor(() => api.get('coordination.k8s.io/v1', 'leases', 'prescale', 'prescale-operator')?.spec as { holderIdentity?: string } | undefined, 30_000, 'a lease');
    const leaderLogs = (p: OperatorProcess) => p.logs.some((l) => l.msg === 'leading: reconciling scalers');
    await api.waitFor(() => api.get(...HPAS, 'ha', 'one')?.metadata?.annotations?.[ANNOTATION], 90_000, 'the leader writes');
    const [leader, follower] = leaderLogs(a) ? [a, b] : [b, a];
    assert.ok(leaderLogs(leader) && !leaderLogs(follower), 'exactly one leads');
    assert.ok(lease.holderIdentity);
    leader.child.kill('SIGKILL');
    await leader.exited;
    const killedAt = Date.now();
    await follower.waitForLog((l) => l.msg === 'leading: reconciling scalers', 30_000, 'the follower leading');
    assert.ok(Date.now() - killedAt < 15_000 + 3_000, `took over in ${Date.now() - killedAt} ms (lease 15 s)`);
    // The new leader acts: a new scaler gets its floor.
    api.create(hpa('ha', 'two'));
    api.create(scaler('ha', 'two'));
    await api.waitFor(() => api.get(...HPAS, 'ha', 'two')?.metadata?.annotations?.[ANNOTATION], 90_000, 'the new leader writes');
  } finally {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
  }
});

test('operator: Prometheus down holds the floor, gives it back after staleAfter, takes it again when data returns', { timeout: 420_000 }, async () => {
  const proxy = await startFaultProxy(prom.url);
  api.create(hpa('faults', 'web'));
  api.create(scaler('faults', 'web', { refit: '1m', staleAfter: '2m' }));
  const op = await startOperator(['--kubeconfig', kubeconfig, '--prometheus', proxy.url, '--namespace', 'faults']);
  const annotated = () => api.get(...HPAS, 'faults', 'web')?.metadata?.annotations?.[ANNOTATION];
  const status = () => api.get(...SCALERS, 'faults', 'web')?.status as { lastDataTime?: string } | undefined;
  try {
    await api.waitFor(annotated, 90_000, 'the floor applied');
    const applied = (api.get(...HPAS, 'faults', 'web')!.spec as { minReplicas: number }).minReplicas;
    assert.ok(applied > 2, `a floor above the original (${applied}) so that giving it back shows`);
    // Prometheus answers 503 to everything from now on.
    proxy.setRule(() => ({ kind: 'status', status: 503, body: 'unavailable' }));
    const downAt = Date.now();
    await api.waitFor(() => condition(api.get(...SCALERS, 'faults', 'web'), 'ForecastReady')?.reason === 'MetricsUnavailable', 120_000, 'ForecastReady MetricsUnavailable');
    assert.equal(annotated(), '2', 'the floor holds while the data is younger than staleAfter');
    await api.waitFor(() => annotated() === undefined, 240_000, 'the floor given back after staleAfter');
    const lastData = Date.parse(status()!.lastDataTime!);
    assert.ok(Date.now() - lastData >= 2 * MIN, `given back ${((Date.now() - lastData) / 1000).toFixed(0)} s after the last read, not before staleAfter (2m)`);
    assert.ok(Date.now() - downAt < 4 * MIN);
    assert.equal((api.get(...HPAS, 'faults', 'web')!.spec as { minReplicas: number }).minReplicas, 2);
    // The status is written after the HPA, in the same pass.
    const s = await api.waitFor(() => {
      const o = api.get(...SCALERS, 'faults', 'web');
      return condition(o, 'Ready')?.reason === 'MetricsUnavailable' ? o : undefined;
    }, 30_000, 'Ready MetricsUnavailable after the floor was given back');
    assert.equal(condition(s, 'Active')!.status, 'False');
    assert.match(String(condition(s, 'Ready')!.message), /staleAfter 2m/);
    // Data back: the floor is taken again at the next tick.
    proxy.setRule(undefined);
    await api.waitFor(annotated, 120_000, 'the floor applied again');
    for (const v of api.history(...HPAS, 'faults', 'web')) assert.ok((v.spec as { minReplicas: number }).minReplicas >= 2, 'never below the original');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${dump(op.logs)}`);
  } finally {
    await op.stop('SIGKILL');
    await proxy.close();
  }
});
