/**
 * The HPA floor (src/actuate/hpa-floor.ts) against the fake API server over real HTTP: the original
 * minReplicas recorded in the same write as the first change, the clamp to [original, maxReplicas],
 * no write when nothing changes, merge patches under the resourceVersion read, 409s retried with
 * backoff, restore in one write, and a garbage annotation refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import type { FloorDecision } from '../../../src/actuate/actuator.js';
import { HpaFloorActuator, ORIGINAL_MIN_ANNOTATION } from '../../../src/actuate/hpa-floor.js';
import { MERGE_PATCH } from '../../../src/actuate/kube.js';
import { hpa, requestsTo, withKube } from '../operator/kube-fixture.js';

const HPA = 'autoscaling/v2';
const PATH = '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/web';
const T0 = Date.parse('2025-03-01T00:00:00Z');

const decision = (floor: number, restore = false): FloorDecision => ({ atMs: T0, scaler: 'shop/web', floor, reason: 'PlanApplied', detail: 'test', ...(restore ? { restore } : {}) });

describe('HpaFloorActuator', () => {
  test('the first apply raises minReplicas and records the original in the annotation, in one merge patch', async () => {
    await withKube(async ({ api, kube }) => {
      const created = api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(5));

      const versions = api.history(HPA, 'HorizontalPodAutoscaler', 'shop', 'web');
      assert.equal(versions.length, 2, 'one write');
      assert.equal(versions[1]!.spec.minReplicas, 5);
      assert.equal(versions[1]!.metadata.annotations?.[ORIGINAL_MIN_ANNOTATION], '2', 'the original is in the same write as the change');
      assert.deepEqual(a.last, { replicas: 5, original: 2, changed: true });

      const patches = requestsTo(api, 'PATCH', PATH);
      assert.equal(patches.length, 1);
      assert.equal(patches[0]!.contentType, MERGE_PATCH);
      assert.deepEqual(patches[0]!.body, {
        spec: { minReplicas: 5 },
        metadata: { annotations: { [ORIGINAL_MIN_ANNOTATION]: '2' }, resourceVersion: created.metadata.resourceVersion },
      });
    });
  });

  test('a later apply keeps the recorded original, even after the floor went up and down', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 3, maxReplicas: 20 }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(8));
      await a.apply(decision(12));
      await a.apply(decision(4));
      const stored = api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!;
      assert.equal(stored.spec.minReplicas, 4);
      assert.equal(stored.metadata.annotations?.[ORIGINAL_MIN_ANNOTATION], '3');
      assert.deepEqual(a.last, { replicas: 4, original: 3, changed: true });
      for (const p of requestsTo(api, 'PATCH', PATH).slice(1)) assert.equal((p.body as { metadata: { annotations?: unknown } }).metadata.annotations, undefined, 'the annotation is written once');
    });
  });

  test('a floor below the original is clamped up to it, one above maxReplicas down to it, with clampedBy', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 3, maxReplicas: 10 }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(50));
      assert.deepEqual(a.last, { replicas: 10, original: 3, clampedBy: 'hpa-max-replicas', changed: true });
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 10);

      await a.apply(decision(1));
      assert.deepEqual(a.last, { replicas: 3, original: 3, clampedBy: 'original-min-replicas', changed: true });
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 3);

      await a.apply(decision(7));
      assert.deepEqual(a.last, { replicas: 7, original: 3, changed: true });
    });
  });

  test('an unchanged floor writes nothing, also when the clamp gives what is already there', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      const patches = (): number => requestsTo(api, 'PATCH', PATH).length;
      await a.apply(decision(6));
      assert.equal(patches(), 1);
      const rv = api.resourceVersion;
      await a.apply(decision(6));
      assert.equal(patches(), 1);
      assert.equal(api.resourceVersion, rv, 'no write at all');
      assert.deepEqual(a.last, { replicas: 6, original: 2, changed: false });

      await a.apply(decision(60));
      assert.equal(patches(), 2);
      await a.apply(decision(60));
      await a.apply(decision(10));
      assert.equal(patches(), 2, 'clamped to maxReplicas, which is already the floor');
      assert.deepEqual(a.last, { replicas: 10, original: 2, changed: false });

      await a.apply(decision(1));
      assert.equal(patches(), 3);
      await a.apply(decision(0));
      assert.equal(patches(), 3, 'clamped to the original, which is already the floor');
      assert.deepEqual(a.last, { replicas: 2, original: 2, clampedBy: 'original-min-replicas', changed: false });
    });
  });

  test('the patch carries the resourceVersion it read: a change in between is a real 409, re-read and retried', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }));
      const clock = new SimulatedClock(T0);
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, clock);
      // Hold the first PATCH while someone else changes the HPA (maxReplicas 10 -> 6).
      api.delayNext({ verb: 'patch', resource: 'horizontalpodautoscalers', ms: 300 });
      const applying = a.apply(decision(8));
      await api.waitFor(() => requestsTo(api, 'PATCH', PATH).length === 1, 2000, 'the held PATCH');
      const readRv = api.resourceVersion;
      api.patch(HPA, 'HorizontalPodAutoscaler', 'shop', 'web', { spec: { maxReplicas: 6 } });
      await applying;

      const patches = requestsTo(api, 'PATCH', PATH);
      assert.deepEqual(patches.map((p) => p.status), [409, 200]);
      assert.equal((patches[0]!.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion, readRv);
      assert.equal((patches[1]!.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion, api.history(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')[1]!.metadata.resourceVersion);
      assert.equal(requestsTo(api, 'GET', PATH).length, 2, 're-read after the 409');
      // Decided again on what it re-read: the new maxReplicas clamps the floor.
      assert.deepEqual(a.last, { replicas: 6, original: 2, clampedBy: 'hpa-max-replicas', changed: true });
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 6);
      assert.equal(clock.now() - T0, 100, 'one backoff of 100 ms on the injected clock');
    });
  });

  test('injected 409s are retried with exponential backoff up to six attempts; a storm of six fails as conflict', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }));
      const patches = (): number => requestsTo(api, 'PATCH', PATH).length;
      // The budget (kube.ts CONFLICT_ATTEMPTS): five conflicts are absorbed, the sixth attempt succeeds.
      const clock = new SimulatedClock(T0);
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, clock);
      api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', status: 409, count: 5 });
      await a.apply(decision(4));
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 4);
      assert.equal(patches(), 6);
      assert.equal(requestsTo(api, 'GET', PATH).length, 6, 'each attempt re-reads');
      assert.equal(clock.now() - T0, 100 + 200 + 400 + 800 + 1600, 'exponential backoff on the injected clock');

      const storm = new SimulatedClock(T0);
      const b = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, storm);
      api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', status: 409, count: 6 });
      await assert.rejects(b.apply(decision(9)), (e: unknown) => {
        assert.ok(isPrescaleError(e, 'conflict'), String(e));
        assert.match((e as Error).message, /^PATCH \/apis\/autoscaling\/v2\/namespaces\/shop\/horizontalpodautoscalers\/web: 409 Conflict/);
        return true;
      });
      assert.equal(patches(), 12, 'gave up after six attempts');
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 4, 'nothing written');
      assert.equal(b.last, undefined);
      // The storm is over: the next pass goes through.
      await b.apply(decision(9));
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 9);
    });
  });

  test('other failures are not retried: a 403 fails at once as forbidden', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web'));
      api.deny({ verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers' });
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await assert.rejects(a.apply(decision(5)), (e: unknown) => isPrescaleError(e, 'forbidden') && /cannot patch/.test((e as Error).message));
      assert.equal(requestsTo(api, 'PATCH', PATH).length, 1);
    });
  });

  test('restore puts the original back and removes the annotation in one write; without an annotation it writes nothing', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(7));
      const versions = api.history(HPA, 'HorizontalPodAutoscaler', 'shop', 'web').length;

      await a.apply(decision(3, true));
      const all = api.history(HPA, 'HorizontalPodAutoscaler', 'shop', 'web');
      assert.equal(all.length, versions + 1, 'one write');
      const restored = all.at(-1)!;
      assert.equal(restored.spec.minReplicas, 2);
      assert.equal(restored.metadata.annotations?.[ORIGINAL_MIN_ANNOTATION], undefined);
      assert.deepEqual(a.last, { replicas: 2, changed: true });
      const patch = requestsTo(api, 'PATCH', PATH).at(-1)!;
      assert.equal(patch.contentType, MERGE_PATCH);
      assert.deepEqual(patch.body, { spec: { minReplicas: 2 }, metadata: { annotations: { [ORIGINAL_MIN_ANNOTATION]: null }, resourceVersion: all.at(-2)!.metadata.resourceVersion } });

      const again = await a.restore();
      assert.deepEqual(again, { replicas: 2, changed: false });
      assert.equal(api.history(HPA, 'HorizontalPodAutoscaler', 'shop', 'web').length, versions + 1, 'nothing to restore: no write');
    });
  });

  test('a garbage annotation is refused with a clear message and nothing is written', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(hpa('shop', 'web', { minReplicas: 2, maxReplicas: 10 }, { [ORIGINAL_MIN_ANNOTATION]: 'abc' }));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      const refused = (e: unknown): boolean => {
        assert.ok(isPrescaleError(e, 'invalid-input'), String(e));
        assert.equal((e as Error).message, `HorizontalPodAutoscaler shop/web: annotation ${ORIGINAL_MIN_ANNOTATION} is "abc", not a decimal replica count; fix or remove it`);
        return true;
      };
      await assert.rejects(a.apply(decision(5)), refused);
      await assert.rejects(a.apply(decision(5, true)), refused);
      for (const bad of ['-1', '2.5', ' 3', '']) {
        api.patch(HPA, 'HorizontalPodAutoscaler', 'shop', 'web', { metadata: { annotations: { [ORIGINAL_MIN_ANNOTATION]: bad } } });
        await assert.rejects(a.apply(decision(5)), (e: unknown) => isPrescaleError(e, 'invalid-input'), bad);
      }
      assert.equal(requestsTo(api, 'PATCH', PATH).length, 0);
      assert.equal(api.get(HPA, 'HorizontalPodAutoscaler', 'shop', 'web')!.spec.minReplicas, 2);
    });
  });

  test('a missing HPA fails as not-found', async () => {
    await withKube(async ({ kube }) => {
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'nope' }, new SimulatedClock(T0));
      await assert.rejects(a.apply(decision(5)), (e: unknown) => isPrescaleError(e, 'not-found'));
    });
  });
});
