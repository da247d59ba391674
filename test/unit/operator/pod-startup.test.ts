/**
 * Pod start-ups for plan.leadTime auto (src/operator/pod-startup.ts) against the fake API server:
 * the target's pods found through the scale subresource's selector (of the HPA's Deployment),
 * listed and then watched with that selector from the list's resourceVersion; readiness that
 * arrives after creation (a MODIFIED event) is a start-up of known delay; a slow outlier does not
 * set the lead time, a rollout with slower pods moves it; other apps' pods, restarted and unready
 * pods do not count; a cut watch resumes, one whose resourceVersion expired lists again; a deleted
 * pod's start-up stays; a pod dropped by the bound of 80 is not counted again after a readiness flap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/core/clock.js';
import { parseScaler, type Scaler } from '../../../src/config/scaler.js';
import { PodStartupRegistry, PodStartups, startupOf } from '../../../src/operator/pod-startup.js';
import { deployment, hpa, requestsTo, withKube } from './kube-fixture.js';

const S = 1000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function autoScaler(target = 'kind: HorizontalPodAutoscaler, name: web'): Scaler {
  const r = parseScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { ${target} }
  metric: { query: 'x' }
  capacity: { perReplica: 10 }
  plan: { leadTime: auto }
  maxReplicas: 10
`,
    'web.yaml',
  );
  assert.ok(r.ok);
  return r.scaler;
}

test('startupOf: creation to the Ready condition; not yet Ready, restarted, or unreadable is none', () => {
  const pod = (ready: string | undefined, extra: object = {}) => ({
    metadata: { uid: 'u', creationTimestamp: '2026-12-01T08:00:00Z' },
    status: { conditions: ready === undefined ? [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-12-01T08:00:01Z' }] : [{ type: 'Ready', status: 'True', lastTransitionTime: ready }], ...extra },
  });
  assert.deepEqual(startupOf(pod('2026-12-01T08:01:30Z')), { readyMs: Date.parse('2026-12-01T08:01:30Z'), durationMs: 90 * S });
  assert.equal(startupOf(pod(undefined)), undefined);
  assert.equal(startupOf(pod('2026-12-01T08:01:30Z', { containerStatuses: [{ restartCount: 0 }, { restartCount: 2 }] })), undefined);
  assert.equal(startupOf(pod('2026-12-01T07:59:00Z')), undefined, 'Ready before created');
  assert.equal(startupOf({ metadata: {}, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T08:00:00Z' }] } }), undefined);
  assert.equal(startupOf({}), undefined);
});

test('the pods of the HPA\'s Deployment, listed then watched: known delays, an outlier, a rollout, a cut watch', async () => {
  let fakeNow = T0;
  await withKube(
    async (k) => {
      k.api.create(deployment('shop', 'web', 3));
      k.api.create(deployment('shop', 'other', 1));
      k.api.create(hpa('shop', 'web'));
      const errors: string[] = [];
      const registry = new PodStartupRegistry(k.kube, k.config, systemClock, (_key, m) => errors.push(m));
      const scaler = autoScaler();
      let n = 0;
      /** A pod created at `atMs` (the API server's clock), Pending, whose Ready condition arrives `delayS` later. */
      const startPod = (app: string, atMs: number, delayS: number, restarts = 0): void => {
        fakeNow = atMs;
        const name = `${app}-${n++}`;
        k.api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { app } }, spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(atMs) }] } });
        fakeNow = atMs + delayS * S;
        k.api.patchStatus('v1', 'pods', 'shop', name, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(atMs + delayS * S) }], containerStatuses: [{ name: 'app', restartCount: restarts, ready: true }] });
      };
      try {
        // Before any pod: the fallback (the spec's default 5m).
        const lead = await registry.sync('shop/web', scaler);
        assert.deepEqual(lead.status(T0, undefined), { value: '5m', seconds: 300, source: 'Default', pods: 0, message: '0 pod start-ups seen, fewer than 5: the default 5m holds of pods app=web' });
        const watch = requestsTo(k.api, 'GET', '/api/v1/namespaces/shop/pods').find((r) => r.query.watch === 'true');
        assert.equal(watch?.query.labelSelector, 'app=web');
        assert.ok(Number(watch?.query.resourceVersion) > 0, 'watched from the list\'s resourceVersion');

        // Ten pods of about a minute, the fifth a 15-minute outlier; another app's fast pods, a restarted and a never-ready pod.
        const delays = [60, 61, 62, 63, 900, 64, 65, 66, 67, 68];
        delays.forEach((d, i) => startPod('web', T0 + i * 10 * 60 * S, d));
        startPod('other', T0, 5);
        startPod('web', T0 + 3 * 60 * S, 10, 1);
        fakeNow = T0 + 5 * 60 * S;
        k.api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-pending', namespace: 'shop', labels: { app: 'web' } }, status: { phase: 'Pending' } });
        const end1 = T0 + 9 * 10 * 60 * S + 68 * S;
        await k.api.waitFor(() => lead.status(end1, undefined).pods === 10, 5000, 'ten start-ups');
        // p90 of 10, never the highest: the 9th of 10 sorted, 68 s (not the outlier's 900 s).
        const s1 = lead.status(end1, undefined);
        assert.equal(s1.seconds, 68);
        assert.equal(s1.source, 'Learned');
        assert.equal(s1.lastChangeTime, iso(end1), 'the tenth start-up moved it last');
        assert.equal(lead.at(end1), 68 * S);
        // The control loop asks at refit times: start-ups after one do not count for it.
        assert.equal(lead.at(T0 + 4 * 10 * 60 * S), 300 * S, 'four start-ups by then (the outlier is Ready later): the fallback');

        // A cut watch resumes; a rollout whose pods take 2.5 minutes moves the lead time after three of them.
        k.api.cutWatches();
        const t1 = T0 + 3 * 60 * 60 * S;
        for (let i = 0; i < 20; i++) startPod('web', t1 + i * 2 * 60 * S, 150 + (i % 5));
        const end2 = t1 + 19 * 2 * 60 * S + 154 * S;
        await k.api.waitFor(() => lead.status(end2, undefined).pods === 20 && lead.at(end2) !== 68 * S, 10_000, 'the rollout\'s start-ups');
        // Through the rollout it moves from the old pods' 68 s to the new ones' 2.5 minutes, never to the outlier's 15.
        const during = Array.from({ length: 20 }, (_, i) => lead.at(t1 + i * 2 * 60 * S + (150 + (i % 5)) * S) / S);
        assert.ok(during.every((v) => v >= 68 && v <= 154), during.join(' '));
        assert.equal(during[0], 150, 'one slow start-up with the outlier in the window: the second highest of 11');
        assert.equal(during.at(-1), 154);
        const s2 = lead.status(end2, 154 * S);
        assert.deepEqual([s2.seconds, s2.pods, s2.value], [154, 20, '2m34s']);
        // The change log compacted while the watch was down: resuming from its resourceVersion is 410 Gone, so it lists again.
        const lists = () => requestsTo(k.api, 'GET', '/api/v1/namespaces/shop/pods').filter((r) => r.query.watch === undefined).length;
        const listed = lists();
        k.api.cutWatches();
        startPod('other', t1, 4); // a write the cut watch misses, then the log is compacted past it
        k.api.compact();
        const t2 = t1 + 2 * 60 * 60 * S;
        for (let i = 0; i < 20; i++) startPod('web', t2 + i * 60 * S, 30);
        const end3 = t2 + 19 * 60 * S + 30 * S;
        await k.api.waitFor(() => lead.at(end3) === 30 * S, 10_000, 'the start-ups after the 410');
        assert.ok(lists() > listed, 'relisted after 410 Gone');
        // A deleted pod's start-up stays (the watch saw it).
        k.api.delete('v1', 'pods', 'shop', 'web-0');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(lead.at(end1), 68 * S);
        assert.deepEqual(errors.filter((e) => !e.includes('watching pods')), []);
      } finally {
        await registry.stop();
      }
    },
    { now: () => fakeNow },
  );
});

test('a target whose pods cannot be found: the fallback, and the status says why; a Deployment target uses its own selector', async () => {
  await withKube(async (k) => {
    const errors: string[] = [];
    const registry = new PodStartupRegistry(k.kube, undefined, systemClock, (_key, m) => errors.push(m));
    try {
      const lead = await registry.sync('shop/web', autoScaler());
      assert.equal(lead.at(Date.now()), 300 * S);
      assert.match(lead.status(Date.now(), undefined).message ?? '', /not found|NotFound|horizontalpodautoscalers/i);
      assert.equal(errors.length, 1);
      k.api.create(deployment('shop', 'api', 2));
      const direct = await registry.sync('shop/api', autoScaler('kind: Deployment, name: api'));
      assert.match(direct.status(Date.now(), undefined).message ?? '', /of pods app=api$/);
    } finally {
      await registry.stop();
    }
  });
});

test('a pod whose start-up the bound of 80 dropped is not read again: a later Ready time is a readiness flap, not a start', async () => {
  let fakeNow = T0;
  await withKube(
    async (k) => {
      k.api.create(deployment('shop', 'web', 3));
      // Without a KubeConfig every sync lists the pods: the dropped pods are in every list.
      const startups = new PodStartups(k.kube, undefined, systemClock, 'shop', () => undefined);
      const scaler = autoScaler('kind: Deployment, name: web');
      const ready = (name: string, atMs: number): void => {
        fakeNow = atMs;
        k.api.patchStatus('v1', 'pods', 'shop', name, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(atMs) }], containerStatuses: [{ name: 'app', restartCount: 0, ready: true }] });
      };
      for (let i = 0; i < 85; i++) {
        const atMs = T0 + i * 60 * S;
        fakeNow = atMs;
        k.api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${i}`, namespace: 'shop', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }] }, status: { phase: 'Pending' } });
        ready(`web-${i}`, atMs + 30 * S);
      }
      await startups.sync(scaler);
      assert.equal(startups.observations().length, 80);
      assert.ok(startups.observations().every((o) => o.durationMs === 30 * S));
      // The oldest pod's readiness probe fails and recovers a day later: no start-up of a day.
      const later = T0 + 24 * 60 * 60 * S;
      ready('web-0', later);
      await startups.sync(scaler);
      assert.equal(startups.observations().length, 80);
      assert.ok(startups.observations().every((o) => o.durationMs === 30 * S), 'the flap is not a start-up');
      // Once the pod is gone, its UID is forgotten too.
      k.api.delete('v1', 'pods', 'shop', 'web-0');
      await startups.sync(scaler);
      assert.equal((startups as unknown as { dropped: Set<string> }).dropped.size, 4);
    },
    { now: () => fakeNow },
  );
});
