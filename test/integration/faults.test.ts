/**
 * Fault injection against the real `prescale operator` process: a real Prometheus behind a fault
 * proxy (the operator's --prometheus), the in-process API server with its own fault hooks, and the
 * operator's clock under libfaketime (a timestamp file the test rewrites). Several scalers run in
 * one operator, each with its own fault, so the scenarios run side by side:
 *
 *   steady    no fault of its own: Prometheus SIGKILLed and restarted, watches cut mid-event and
 *             410 Gone, the operator SIGKILLed and restarted, the clock jumping forward an hour
 *   slow      Prometheus answers its queries after its spec.metric.prometheus.timeout
 *   flaky     500s and 429s (Retry-After)
 *   garbled   truncated bodies, a 200 that is not JSON, JSON of the wrong shape
 *   vanish    its series deleted from Prometheus (the admin API's delete_series)
 *   storm     its data stale, then a 409 storm and 500s on the HPA write that gives the floor back
 *   rbac/locked  the role loses `patch` on HPAs after the first write, then its data goes stale
 *   gone      deleted while the API answers 500 to the write that gives its floor back
 *   killpatch the operator SIGKILLed while its first HPA patch is held by the API server (the
 *             patch lands later, from the dead process)
 *   killdrop  the same, but the held patch is then refused (it never lands)
 *   late, later  created after the watch was cut mid-event, and after a compaction (410 Gone)
 *
 * For every HPA the API server's object history is checked: minReplicas never below the original,
 * never a value outside {original} ∪ the floors `prescale dry-run --prometheus` computes for the
 * same spec and minutes (the floor at a minute depends only on the spec, the data and the minute),
 * the original annotation never lost while a floor is in force and never anything but the
 * original; the original back once data is stale past staleAfter or the scaler is deleted.
 * Status conditions and prescale_errors_total{reason} must name each fault; the operator must
 * stay up (except where the test kills it) and log no unhandled rejection.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Samples } from '../../src/core/series.js';
import { ROOT, runCli } from '../cli/run-cli.js';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../support/fake-apiserver.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { dump, type OperatorProcess, startOperator } from '../support/operator-process.js';
import { readCsvSamples, servePrometheus, startPrometheus, type PromServer } from '../support/prometheus.js';

const MIN = 60_000;
const STEP = 5 * MIN;
const ANNOTATION = 'prescale.dev/original-min-replicas';
const SCALERS = ['prescale.dev/v1alpha1', 'predictivescalers'] as const;
const HPAS = ['autoscaling/v2', 'horizontalpodautoscalers'] as const;
const NS = 'faults';
/** Each scaler's HPA and its own minReplicas (steady's is above the spec's minReplicas: clamped floors show). */
const ORIGINAL: Record<string, number> = { steady: 3, slow: 2, flaky: 2, garbled: 2, vanish: 2, storm: 2, locked: 2, gone: 2, killpatch: 2, killdrop: 2, late: 2, later: 2 };
const HPA_MAX = 40;

/**
 * libfaketime (Debian's `faketime` package; scripts/pretest.sh installs it): the multi-threaded
 * preload library, found where Debian puts it for any architecture.
 */
function faketimeLibrary(): string {
  const roots = ['/usr/lib', '/usr/local/lib'];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const d of ['', ...readdirSync(root)]) {
      const p = join(root, d, 'faketime', 'libfaketimeMT.so.1');
      if (existsSync(p)) return p;
    }
  }
  throw new Error(
    'libfaketime not found (no faketime/libfaketimeMT.so.1 under /usr/lib or /usr/local/lib): this test moves the operator\'s clock forward an hour with it; ' +
      'install it with `apt-get install -y --no-install-recommends faketime` (npm test does so through scripts/pretest.sh)',
  );
}

let prom: PromServer;
let proxy: FaultProxy;
let api: FakeApiServer;
let dir: string;
let kubeconfig: string;
let timeFile: string;
let faketimeEnv: Record<string, string>;
const operators: OperatorProcess[] = [];
const startedAt = Date.now();
/** Per job label: the fault the proxy answers that job's queries with (undefined: passed through). */
const promFaults = new Map<string, (n: number) => Fault | undefined>();

before(async () => {
  const lib = faketimeLibrary();
  // The trace's last 9 days, shifted so its samples run to two hours after now: data is there for
  // the whole run and for the operator after its clock jumps an hour ahead.
  const trace = readCsvSamples(join(ROOT, 'fixtures/traces/uk_academic_net_5min.csv'));
  const n = (9 * 24 * 60 * MIN) / STEP;
  const lastAt = Math.floor(startedAt / STEP) * STEP + 2 * 60 * MIN;
  const values = trace.values.slice(trace.values.length - n);
  const samples: Samples = { timesMs: values.map((_, i) => lastAt - (n - 1 - i) * STEP), values };
  const jobs = Object.keys(ORIGINAL);
  [prom, api, dir] = await Promise.all([
    startPrometheus(
      jobs.map((job) => ({ metric: 'uk_load', labels: { job }, samples })),
      { extraArgs: ['--web.enable-admin-api'] },
    ),
    startFakeApiServer(),
    mkdtemp(join(tmpdir(), 'prescale-faults-')),
  ]);
  proxy = await startFaultProxy(prom.url);
  const counts = new Map<string, number>();
  proxy.setRule((req) => {
    const job = /job="([a-z]+)"/.exec(req.params.get('query') ?? '')?.[1];
    const fault = job === undefined ? undefined : promFaults.get(job);
    if (!fault) return undefined;
    const k = (counts.get(job!) ?? 0) + 1;
    counts.set(job!, k);
    return fault(k);
  });
  kubeconfig = await api.writeKubeconfig(join(dir, 'kubeconfig'));
  timeFile = join(dir, 'faketime');
  await writeFile(timeFile, '+0\n');
  // The monotonic clock is left alone (timers keep their pace); the wall clock follows the file,
  // re-read at most once a second.
  faketimeEnv = { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: timeFile, FAKETIME_CACHE_DURATION: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
});

after(async () => {
  for (const o of operators) await o.stop('SIGKILL');
  await proxy?.close();
  await api?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function scalerYaml(ns: string, name: string, o: { staleAfter?: string; timeout?: string; job?: string } = {}): string {
  return `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  mode: Enforce
  target:
    kind: HorizontalPodAutoscaler
    name: ${name}
  metric:
    query: 'uk_load{job="${o.job ?? name}"}'
    step: 5m
    history: 3d${o.timeout ? `\n    prometheus:\n      url: ${proxy.url}\n      timeout: ${o.timeout}` : ''}
  capacity:
    perReplica: 370
  forecast:
    model: seasonal-naive-day
    horizon: 6h
    refitInterval: 20s
  plan:
    leadTime: 5m
    tickInterval: 20s
  safety:
    staleAfter: ${o.staleAfter ?? '1m'}
  minReplicas: 2
  maxReplicas: ${HPA_MAX}
`;
}

const scaler = (ns: string, name: string, o: Parameters<typeof scalerYaml>[2] = {}): KubeObject => parseYaml(scalerYaml(ns, name, o)) as KubeObject;

function hpa(ns: string, name: string): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: ORIGINAL[name], maxReplicas: HPA_MAX, metrics: [] },
  };
}

type Conditions = Array<{ type: string; status: string; reason: string; message: string }>;
const statusOf = (o: KubeObject | undefined) => o?.status as { conditions?: Conditions; lastDecision?: { time: string; floorReplicas: number; reason: string; message: string } } | undefined;
const condition = (o: KubeObject | undefined, type: string) => statusOf(o)?.conditions?.find((c) => c.type === type);
const hpaNow = (ns: string, name: string) => api.get(...HPAS, ns, name)!;
const minOf = (h: KubeObject): number => (h.spec as { minReplicas: number }).minReplicas;
const annotationOf = (h: KubeObject): string | undefined => h.metadata?.annotations?.[ANNOTATION];
const annotated = (ns: string, name: string): boolean => annotationOf(hpaNow(ns, name)) !== undefined;

/** The running operator (the last started). */
const op = (): OperatorProcess => operators[operators.length - 1]!;

/** Waits for a condition, failing with the operator's last log lines. */
async function until<T>(what: string, predicate: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  try {
    return await api.waitFor(predicate, timeoutMs, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${dump(op().logs)}`);
  }
}

/** Some version of the scaler's status (the API server keeps them all) matches. */
const everStatus = (ns: string, name: string, match: (o: KubeObject) => boolean): boolean => api.history(...SCALERS, ns, name).some(match);

async function metricValue(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${op().metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

function assertOperatorUp(): void {
  const o = op();
  assert.equal(o.child.exitCode, null, `the operator exited (${o.child.exitCode}):\n${dump(o.logs)}`);
  assert.equal(o.child.signalCode, null, `the operator was killed by ${o.child.signalCode}`);
}

async function startOp(): Promise<OperatorProcess> {
  const o = await startOperator(['--kubeconfig', kubeconfig, '--prometheus', proxy.url, '--concurrency', '4'], faketimeEnv);
  operators.push(o);
  return o;
}

/** A PATCH of an HPA that the API server holds (arrived, not answered). */
const heldPatch = (name: string): boolean => api.requests.some((r) => r.method === 'PATCH' && r.path.endsWith(`/horizontalpodautoscalers/${name}`) && r.status === 0);

/**
 * The floors `prescale dry-run --prometheus` computes over [fromMs, toMs] for scaler ns/name's spec
 * on steady's series (every job's series is the same load; a scaler's refit and search phases come
 * from its namespace and name, so each has its own floors).
 */
async function dryRunFloors(ns: string, name: string, fromMs: number, toMs: number): Promise<Set<number>> {
  const file = join(dir, `${ns}-${name}.yaml`);
  await writeFile(file, scalerYaml(ns, name, { job: 'steady' }));
  const decisions = join(dir, `${ns}-${name}-decisions.csv`);
  const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const r = await runCli(['dry-run', '-f', file, '--prometheus', prom.url, '--from', iso(fromMs), '--to', iso(toMs), '--decisions', decisions], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const rows = (await readFile(decisions, 'utf8')).trim().split('\n').slice(1);
  assert.ok(rows.length > 100, `the dry-run replayed the range (${rows.length} ticks)`);
  return new Set(rows.map((l) => Number(l.split(',')[3])));
}

/**
 * The HPA's whole minReplicas history: never below the original, never outside {original} ∪ the
 * plan's floors (as the HPA clamps them), the annotation only ever the original and present
 * whenever minReplicas is not the original.
 */
function assertHistory(ns: string, name: string, planFloors: Set<number>): number[] {
  const original = ORIGINAL[name]!;
  const allowed = new Set([original, ...[...planFloors].map((f) => Math.max(original, Math.min(f, HPA_MAX)))]);
  const versions = api.history(...HPAS, ns, name);
  const mins = versions.map(minOf);
  for (const v of versions) {
    const m = minOf(v);
    const a = annotationOf(v);
    assert.ok(m >= original, `${ns}/${name}: minReplicas ${m} below the original ${original} (history ${mins.join(' ')})`);
    assert.ok(allowed.has(m), `${ns}/${name}: minReplicas ${m} is not a floor of the plan (${[...allowed].sort((x, y) => x - y).join(', ')}; history ${mins.join(' ')})`);
    assert.ok(a === undefined || a === String(original), `${ns}/${name}: annotation ${a}, not the original ${original}`);
    if (m !== original) assert.equal(a, String(original), `${ns}/${name}: floor ${m} in force without the original recorded`);
  }
  return mins;
}

test('faults: Prometheus and API server faults, operator SIGKILL and restart, clock jump; floors never made worse', { timeout: 420_000 }, async () => {
  for (const name of Object.keys(ORIGINAL)) if (name !== 'locked' && name !== 'late' && name !== 'later') api.create(hpa(NS, name));
  api.create(hpa('rbac', 'locked'));
  for (const name of ['steady', 'flaky', 'garbled', 'vanish', 'storm', 'gone', 'killpatch', 'killdrop']) api.create(scaler(NS, name, name === 'steady' ? { staleAfter: '2m' } : {}));
  api.create(scaler(NS, 'slow', { timeout: '1s' }));
  api.create(scaler('rbac', 'locked'));
  // The first write to killpatch's HPA is held 25 s; killdrop's 8 s, and then refused.
  api.delayNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'killpatch', ms: 25_000 });
  api.delayNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'killdrop', ms: 8_000 });
  api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'killdrop', status: 500 });

  // 1. First floors; SIGKILL while two HPA patches are in flight, between the read and the write.
  await startOp();
  const first = ['steady', 'slow', 'flaky', 'garbled', 'vanish', 'storm', 'gone'];
  await until('the first floors written and two patches held', () => first.every((n) => annotated(NS, n)) && annotated('rbac', 'locked') && heldPatch('killpatch') && heldPatch('killdrop'), 90_000);
  for (const n of [...first, 'locked']) assert.ok(minOf(hpaNow(n === 'locked' ? 'rbac' : NS, n)) > ORIGINAL[n]!, `${n}: a floor above the original, so that giving it back shows`);
  assertOperatorUp();
  op().child.kill('SIGKILL');
  await op().exited;
  assert.equal(annotated(NS, 'killpatch'), false, 'killed before the held patch landed');
  // killdrop's held patch is refused before the restart (it is the one request its 500 is for);
  // killpatch's lands while the restarted operator runs.
  await until('the held killdrop patch answered', () => !heldPatch('killdrop'), 20_000);
  assert.equal(heldPatch('killpatch'), true);
  await startOp();
  // The held patch of killpatch lands from the dead process (or meets a 409); killdrop's never does.
  await until('killpatch and killdrop written by the restarted operator', () => annotated(NS, 'killpatch') && annotated(NS, 'killdrop') && !heldPatch('killpatch') && !heldPatch('killdrop'), 60_000);
  const killdropPatches = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/horizontalpodautoscalers/killdrop')).map((r) => r.status);
  assert.equal(killdropPatches[0], 500, 'the held killdrop patch was refused');
  // After the restart nothing already in force is written again (a write is a floor change).
  const restartedAt = Date.now();

  // 2. Faults, side by side. What each HPA holds when its fault starts: held, never lowered, until
  // staleAfter gives the original back.
  const atFault = new Map(['slow', 'flaky', 'garbled', 'vanish', 'storm'].map((n) => [n, { rv: Number(hpaNow(NS, n).metadata!.resourceVersion), min: minOf(hpaNow(NS, n)) }]));
  promFaults.set('slow', () => ({ kind: 'delay', ms: 3_000 }));
  promFaults.set('flaky', (k) => (k % 2 === 0 ? { kind: 'status', status: 500 } : { kind: 'status', status: 429, retryAfter: '1', body: '{"status":"error","errorType":"too_many_requests","error":"slow down"}' }));
  promFaults.set('garbled', (k) =>
    k % 3 === 0 ? { kind: 'truncate', fraction: 0.6 } : k % 3 === 1 ? { kind: 'status', status: 200, body: '<html><body>502 Bad Gateway</body></html>' } : { kind: 'status', status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["soon",7]]}]}}' },
  );
  const del = await fetch(`${prom.url}/api/v1/admin/tsdb/delete_series?match[]=${encodeURIComponent('uk_load{job="vanish"}')}`, { method: 'POST' });
  assert.equal(del.status, 204, 'the vanish series deleted');
  promFaults.set('storm', () => ({ kind: 'status', status: 503, body: 'unavailable' }));
  promFaults.set('locked', () => ({ kind: 'status', status: 503, body: 'unavailable' }));
  // storm's write that gives the floor back meets 8 conflicts (more than one pass retries), then two 500s.
  api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'storm', status: 409, count: 8 });
  api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'storm', status: 500, count: 2 });
  // The operator's role loses `patch` on HPAs in rbac.
  const rbacRule = { verb: 'patch' as const, group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'rbac' };
  api.deny(rbacRule);
  const lockedVersions = api.history(...HPAS, 'rbac', 'locked').length;

  // Watches cut mid-event: a scaler created after the cut is still seen.
  assert.ok(api.cutWatches({ midEvent: true }) >= 1, 'a watch was open');
  api.create(hpa(NS, 'late'));
  api.create(scaler(NS, 'late'));
  await until('late written after the watch was cut mid-event', () => annotated(NS, 'late'));

  // Prometheus SIGKILLed and started again on its data (another port, the proxy follows it).
  const steadyFloor = minOf(hpaNow(NS, 'steady'));
  const steadyRead = () => statusOf(api.get(...SCALERS, NS, 'steady'))?.lastDecision?.time;
  process.kill(prom.pid, 'SIGKILL');
  const killedPromAt = Date.now();
  await until('steady sees Prometheus down', () => condition(api.get(...SCALERS, NS, 'steady'), 'ForecastReady')?.reason === 'MetricsUnavailable', 60_000);
  assert.equal(minOf(hpaNow(NS, 'steady')), steadyFloor, 'the floor holds while Prometheus is down');
  assert.equal(annotated(NS, 'steady'), true);
  prom = await servePrometheus(prom.dir, { extraArgs: ['--web.enable-admin-api'] });
  proxy.retarget(prom.url);
  await until('steady forecasting again after the restart', () => condition(api.get(...SCALERS, NS, 'steady'), 'ForecastReady')?.status === 'True' && steadyRead(), 60_000);
  assert.ok(Date.now() - killedPromAt < 120_000);
  assert.equal(annotated(NS, 'steady'), true, 'the floor was never given back during the outage (shorter than staleAfter)');

  // 410 Gone: the change log is compacted and the watch cut; the informer lists again.
  api.compact();
  api.cutWatches();
  api.create(hpa(NS, 'later'));
  api.create(scaler(NS, 'later'));
  await until('later written after a 410', () => annotated(NS, 'later'));

  // Deleted while the API answers 500 to the write that gives the floor back.
  api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', namespace: NS, name: 'gone', status: 500 });
  api.delete(...SCALERS, NS, 'gone');
  const deletedAt = Date.now();

  // Each Prometheus fault: the floor holds, then the original is back after staleAfter.
  const why: Record<string, RegExp> = { slow: /within 1000 ms/, flaky: /500|429/, garbled: /JSON|json|data\.result|not a number|values/, vanish: /no series|no samples/ };
  for (const name of ['slow', 'flaky', 'garbled', 'vanish']) {
    const s = await until(`${name}: MetricsUnavailable`, () => {
      const o = api.get(...SCALERS, NS, name);
      return condition(o, 'ForecastReady')?.reason === 'MetricsUnavailable' ? o : undefined;
    }, 90_000);
    assert.match(condition(s, 'ForecastReady')!.message, why[name]!, `${name}: the condition names the fault`);
  }
  for (const name of ['slow', 'flaky', 'garbled', 'vanish', 'storm']) {
    await until(`${name}: the original back after staleAfter`, () => !annotated(NS, name) && minOf(hpaNow(NS, name)) === ORIGINAL[name], 180_000);
    // The status is written after the HPA, in the same pass.
    const s = await until(`${name}: Active=False, the data stale past staleAfter`, () => {
      const o = api.get(...SCALERS, NS, name);
      return condition(o, 'Active')?.status === 'False' && /staleAfter 1m/.test(statusOf(o)?.lastDecision?.message ?? '') ? o : undefined;
    }, 30_000);
    assert.equal(condition(s, 'Ready')!.reason, 'MetricsUnavailable');
    const during = api.history(...HPAS, NS, name).filter((v) => Number(v.metadata!.resourceVersion) > atFault.get(name)!.rv);
    const restoredAt = during.findIndex((v) => annotationOf(v) === undefined);
    assert.ok(restoredAt >= 0);
    for (const v of during.slice(0, restoredAt)) assert.ok(minOf(v) >= atFault.get(name)!.min, `${name}: lowered to ${minOf(v)} during the fault (held ${atFault.get(name)!.min})`);
  }
  // The 409 storm was re-read and retried, the 500s reported, then the restore went through.
  const stormPatches = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/horizontalpodautoscalers/storm')).map((r) => r.status);
  assert.deepEqual(stormPatches.filter((s) => s !== 200), [409, 409, 409, 409, 409, 409, 409, 409, 500, 500], `storm patches: ${stormPatches.join(' ')}`);
  assert.ok(everStatus(NS, 'storm', (o) => condition(o, 'Ready')?.reason === 'ActuationFailed' && /409|Conflict/.test(condition(o, 'Ready')!.message)), 'storm: ActuationFailed naming the conflict');
  assert.ok(everStatus(NS, 'storm', (o) => condition(o, 'Ready')?.reason === 'ActuationFailed' && /500|InternalError/.test(condition(o, 'Ready')!.message)), 'storm: ActuationFailed naming the 500');

  // 403 after the role change: the floor cannot be given back; status says Forbidden; the HPA untouched.
  const locked = await until('locked: Forbidden', () => {
    const o = api.get(...SCALERS, 'rbac', 'locked');
    return condition(o, 'Ready')?.reason === 'Forbidden' ? o : undefined;
  }, 120_000);
  assert.match(condition(locked, 'Ready')!.message, /forbidden/i);
  assert.equal(api.history(...HPAS, 'rbac', 'locked').length, lockedVersions, 'no write went through while denied');
  api.allow(rbacRule);
  await until('locked: the original back once allowed', () => !annotated('rbac', 'locked') && minOf(hpaNow('rbac', 'locked')) === ORIGINAL.locked, 60_000);

  // Deleted: the failed write is reported and retried at the next tick; the original back, then the scaler goes.
  await until('gone: restored and deleted', () => api.get(...SCALERS, NS, 'gone') === undefined, 120_000);
  const released = api.requests.find((r) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${NS}/predictivescalers/gone`) && r.status === 200 && r.atMs > deletedAt);
  assert.ok(released, 'the finalizer removed by a PATCH');
  assert.ok(released.atMs - deletedAt < 45_000, `gone: released ${((released.atMs - deletedAt) / 1000).toFixed(0)} s after the delete (a failed write is retried at the next 20s tick)`);
  assert.ok(
    everStatus(NS, 'gone', (o) => condition(o, 'Ready')?.reason === 'ActuationFailed' && /500|InternalError/.test(condition(o, 'Ready')!.message)),
    'gone: status says why the floor could not be given back yet',
  );
  assert.equal(minOf(hpaNow(NS, 'gone')), ORIGINAL.gone);
  assert.equal(annotated(NS, 'gone'), false);

  // Data back: floors are taken again.
  for (const name of ['slow', 'flaky', 'garbled', 'storm', 'locked']) promFaults.delete(name);
  await until('floors taken again when data returns', () => ['slow', 'flaky', 'garbled', 'storm'].every((n) => annotated(NS, n)) && annotated('rbac', 'locked'), 90_000);
  assert.equal(annotated(NS, 'vanish'), false, 'a deleted series stays no data');

  // Every fault has its reason in /metrics.
  for (const reason of ['MetricsUnavailable', 'ActuationFailed', 'Forbidden']) {
    assert.ok((await metricValue('prescale_errors_total', `reason="${reason}"`)) > 0, `prescale_errors_total{reason="${reason}"}`);
  }
  assert.equal(await metricValue('prescale_errors_total', 'reason="Unexpected"'), 0, 'every injected fault has its own reason, none is Unexpected');
  assertOperatorUp();

  // 3. The clock jumps forward an hour: the plan of that hour applies; nothing crashes.
  const jumpedAt = Date.now();
  await writeFile(timeFile, '+1h\n');
  await until('steady decided an hour ahead', () => {
    const t = steadyRead();
    return t !== undefined && Date.parse(t) > jumpedAt + 55 * MIN;
  }, 90_000);
  await until('steady in force after the jump', () => condition(api.get(...SCALERS, NS, 'steady'), 'Active')?.status === 'True', 60_000);
  assert.equal(annotated(NS, 'steady'), true);
  assertOperatorUp();

  // 4. Every HPA's history against the plan's floors, computed by the dry-run over the same minutes.
  const [fromMs, toMs] = [startedAt - 5 * MIN, Date.now() + 65 * MIN];
  for (const name of Object.keys(ORIGINAL)) {
    const ns = name === 'locked' ? 'rbac' : NS;
    assertHistory(ns, name, await dryRunFloors(ns, name, fromMs, toMs));
  }
  // No doubled step after the restart: a floor already in force is not written again (the API
  // server stores no version for a write that changes nothing, so count the accepted writes).
  for (const name of Object.keys(ORIGINAL)) {
    const ns = name === 'locked' ? 'rbac' : NS;
    const accepted = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/namespaces/${ns}/horizontalpodautoscalers/${name}`) && r.status === 200).length;
    assert.equal(accepted, api.history(...HPAS, ns, name).length - 1, `${name}: every accepted write changed the HPA`);
  }
  const writesAfterRestart = api.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/horizontalpodautoscalers/steady') && r.atMs > restartedAt && r.status === 200).length;
  assert.ok(writesAfterRestart <= 2, `steady: ${writesAfterRestart} writes after the restart (at most the jump's floor change)`);

  // No unhandled rejection, no crash.
  for (const o of operators) {
    const bad = o.logs.filter((l) => /unhandled|uncaught|TypeError|ReferenceError/i.test(String(l.msg)) || (typeof l.level === 'number' && l.level >= 60));
    assert.deepEqual(bad, [], 'no unhandled rejection or fatal error in the operator log');
  }
  assert.equal(await op().stop('SIGTERM'), 0, 'a clean stop');
});
