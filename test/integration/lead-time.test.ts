/**
 * plan.leadTime auto in the real `prescale operator` process, against the in-process API server
 * and a real Prometheus (the UK trace shifted to end now). The scaler's HPA scales a Deployment;
 * its pods are created by the test with readiness arriving after known delays (the API server's
 * clock set to their creation times in the past, then the Ready condition patched in):
 *   - before any pod: the documented default (5m), status source Default;
 *   - ten pods of about a minute with one 15-minute outlier: p90 of them, not the outlier;
 *   - a rollout whose 20 pods take about 2.5 minutes: the lead time follows;
 *   - status.leadTime, prescale_lead_time_seconds and a dry-run replaying the recorded start-ups
 *     (--lead-times) agree with the operator;
 *   - a namespace where pods may not be read: the default, and the status says Forbidden.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Samples } from '../../src/core/series.js';
import { ROOT, runCli } from '../cli/run-cli.js';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../support/fake-apiserver.js';
import { dump, type OperatorProcess, startOperator } from '../support/operator-process.js';
import { readCsvSamples, startPrometheus, type PromServer } from '../support/prometheus.js';

const MIN = 60_000;
const S = 1000;
const STEP = 5 * MIN;
const DAYS = 8;
const SCALERS = ['prescale.dev/v1alpha1', 'predictivescalers'] as const;

let prom: PromServer;
let api: FakeApiServer;
let dir: string;
let operator: OperatorProcess | undefined;
let fakeNow: number | undefined;
const nowMs = Date.now();
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

before(async () => {
  const trace = readCsvSamples(join(ROOT, 'fixtures/traces/uk_academic_net_5min.csv'));
  const n = (DAYS * 24 * 60 * MIN) / STEP;
  const lastAt = Math.floor(nowMs / STEP) * STEP;
  const values = trace.values.slice(trace.values.length - n);
  const samples: Samples = { timesMs: values.map((_, i) => lastAt - (n - 1 - i) * STEP), values };
  [prom, api, dir] = await Promise.all([
    startPrometheus([{ metric: 'uk_load', labels: { job: 'backbone' }, samples }]),
    startFakeApiServer({ now: () => fakeNow ?? Date.now() }),
    mkdtemp(join(tmpdir(), 'prescale-lead-time-')),
  ]);
});

after(async () => {
  await operator?.stop('SIGKILL');
  await api?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const scalerYaml = (ns: string): string => `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: web
  namespace: ${ns}
spec:
  mode: DryRun
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: 'uk_load{job="backbone"}', step: 5m, history: 7d }
  capacity: { perReplica: 370 }
  forecast: { horizon: 6h, refitInterval: 10s }
  plan: { leadTime: auto, tickInterval: 10s, minStepDuration: 10m, scaleDownDelay: 0s }
  minReplicas: 2
  maxReplicas: 40
`;

function objects(ns: string): KubeObject[] {
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] } } } },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: ns }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 40 } },
  ];
}

let podCount = 0;
const startups: string[] = ['timestamp,seconds'];
/** A pod created at `atMs` on the API server's clock, Pending; its Ready condition comes `delayS` later. */
function startPod(ns: string, app: string, atMs: number, delayS: number): void {
  const name = `${app}-${podCount++}`;
  fakeNow = atMs;
  api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app, 'pod-template-hash': 'h' } }, spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(atMs) }] } });
  fakeNow = atMs + delayS * S;
  api.patchStatus('v1', 'pods', ns, name, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(atMs + delayS * S) }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0 }] });
  fakeNow = undefined;
  if (ns === 'shop' && app === 'web') startups.push(`${iso(atMs + delayS * S)},${delayS}`);
}

type LeadStatus = { value: string; seconds: number; source: string; pods: number; lastChangeTime?: string; message?: string };
const leadOf = (ns: string): LeadStatus | undefined => (api.get(...SCALERS, ns, 'web')?.status as { leadTime?: LeadStatus } | undefined)?.leadTime;

async function gauge(): Promise<number | undefined> {
  const text = await (await fetch(`${operator!.metricsUrl}/metrics`)).text();
  const m = /prescale_lead_time_seconds\{namespace="shop",name="web"\} ([0-9.]+)\n/.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('operator: leadTime auto learns p90 of the pods\' start-ups, ignores an outlier, follows a rollout; status, metrics and a replay agree', { timeout: 300_000 }, async () => {
  for (const ns of ['shop', 'locked']) for (const o of objects(ns)) api.create(o);
  api.deny({ verb: 'list', resource: 'pods', namespace: 'locked' });
  api.deny({ verb: 'watch', resource: 'pods', namespace: 'locked' });
  const { parse } = await import('yaml');
  for (const ns of ['shop', 'locked']) api.create(parse(scalerYaml(ns)) as KubeObject);
  operator = await startOperator(['--kubeconfig', await api.writeKubeconfig(join(dir, 'kubeconfig')), '--prometheus', prom.url]);
  const op = operator;
  const wait = <T>(what: string, f: () => T | undefined | false, ms = 90_000): Promise<T> =>
    api.waitFor(f, ms, what).catch((e: Error) => {
      throw new Error(`${e.message}\nshop: ${JSON.stringify(leadOf('shop'))}\n${dump(op.logs)}`);
    });

  // No pod yet: the default.
  const first = await wait('status.leadTime Default', () => leadOf('shop'));
  assert.deepEqual([first.value, first.seconds, first.source, first.pods], ['5m', 300, 'Default', 0]);
  assert.equal(await gauge(), 300);
  const locked = await wait('locked status.leadTime', () => leadOf('locked'));
  assert.equal(locked.source, 'Default');
  assert.match(locked.message ?? '', /forbidden/i);

  // Ten pods of about a minute, started over the last three hours; the fifth took 15 minutes. Another app's pods do not count.
  const t0 = Math.floor(nowMs / S) * S - 3 * 60 * MIN; // Kubernetes' timestamps have whole seconds
  [60, 61, 62, 63, 900, 64, 65, 66, 67, 68].forEach((d, i) => startPod('shop', 'web', t0 + i * 10 * MIN, d));
  startPod('shop', 'other', t0, 3);
  const learned = await wait('ten start-ups learned', () => (leadOf('shop')?.pods === 10 ? leadOf('shop') : undefined));
  // p90 of ten by nearest rank, never the highest: the 9th of 10 sorted, 68 s.
  assert.deepEqual([learned.value, learned.seconds, learned.source], ['1m8s', 68, 'Learned']);
  assert.equal(learned.lastChangeTime, iso(t0 + 9 * 10 * MIN + 68 * S));
  assert.match(learned.message ?? '', /p90 of the last 10 pod start-ups .* of pods app=web/);
  await wait('the gauge at 68 s', async () => (await gauge()) === 68);

  // A rollout: 20 new pods over the last hour take about 2.5 minutes. The lead time follows.
  const t1 = Math.floor(nowMs / S) * S - 60 * MIN;
  for (let i = 0; i < 20; i++) startPod('shop', 'web', t1 + i * 2 * MIN, 150 + (i % 5));
  const rolled = await wait('the rollout learned', () => (leadOf('shop')?.seconds === 154 && leadOf('shop')?.pods === 20 ? leadOf('shop') : undefined));
  assert.equal(rolled.value, '2m34s');
  assert.equal(await gauge(), 154);

  // The same plan replayed: a dry-run over the operator's Prometheus with the recorded start-ups
  // decides the floor the operator decided at the same tick.
  const decided = await wait('a decision after the rollout', () => {
    const st = api.get(...SCALERS, 'shop', 'web')?.status as { lastDecision?: { time: string; floorReplicas: number }; leadTime?: LeadStatus } | undefined;
    return st?.lastDecision && st.leadTime?.seconds === 154 ? st.lastDecision : undefined;
  });
  const file = join(dir, 'web.yaml');
  const csv = join(dir, 'startups.csv');
  const decisions = join(dir, 'decisions.csv');
  await writeFile(file, scalerYaml('shop'));
  await writeFile(csv, startups.join('\n') + '\n');
  const at = Date.parse(decided.time);
  const r = await runCli(['dry-run', '-f', file, '--prometheus', prom.url, '--from', iso(at - 20 * MIN), '--to', iso(at + 10 * S), '--lead-times', csv, '--decisions', decisions], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const row = (await readFile(decisions, 'utf8')).trim().split('\n').find((l) => l.startsWith(`${iso(at)},`));
  assert.ok(row, `the dry-run has a row for ${iso(at)}`);
  assert.equal(Number(row.split(',')[3]), decided.floorReplicas, 'the replay with the recorded start-ups decides the operator\'s floor');
  const watches = api.requests.filter((q) => q.method === 'GET' && q.path === '/api/v1/namespaces/shop/pods' && q.query.watch === 'true');
  assert.ok(watches.length >= 1 && watches.every((q) => q.query.labelSelector === 'app=web'), 'pods watched with the Deployment\'s selector');
});
