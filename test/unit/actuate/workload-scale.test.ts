/**
 * The floor of a workload without an HPA (src/actuate/workload-scale.ts) through the scale
 * subresource of the fake API server: raised to the floor, never lowered, restore changes nothing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../src/core/clock.js';
import type { FloorDecision } from '../../../src/actuate/actuator.js';
import { MERGE_PATCH } from '../../../src/actuate/kube.js';
import { WorkloadScaleActuator } from '../../../src/actuate/workload-scale.js';
import { deployment, requestsTo, withKube } from '../operator/kube-fixture.js';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const SCALE = '/apis/apps/v1/namespaces/shop/deployments/web/scale';
const decision = (floor: number, restore = false): FloorDecision => ({ atMs: T0, scaler: 'shop/web', floor, reason: 'PlanApplied', detail: 'test', ...(restore ? { restore } : {}) });

describe('WorkloadScaleActuator on a Deployment', () => {
  test('replicas below the floor are raised to it with a merge patch of the scale under the resourceVersion read', async () => {
    await withKube(async ({ api, kube }) => {
      const created = api.create(deployment('shop', 'web', 3));
      const a = new WorkloadScaleActuator(kube, 'Deployment', { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(5));
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')!.spec.replicas, 5);
      assert.deepEqual(a.last, { replicas: 5, changed: true });
      const patches = requestsTo(api, 'PATCH', SCALE);
      assert.equal(patches.length, 1);
      assert.equal(patches[0]!.contentType, MERGE_PATCH);
      assert.deepEqual(patches[0]!.body, { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { replicas: 5 } });
    });
  });

  test('replicas at or above the floor are never lowered and nothing is written', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(deployment('shop', 'web', 8));
      const a = new WorkloadScaleActuator(kube, 'Deployment', { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      await a.apply(decision(4));
      assert.deepEqual(a.last, { replicas: 8, changed: false });
      await a.apply(decision(8));
      assert.deepEqual(a.last, { replicas: 8, changed: false });
      assert.equal(requestsTo(api, 'PATCH', SCALE).length, 0);
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')!.spec.replicas, 8);

      // Someone scales it down by hand below the floor: raised again.
      api.patch('apps/v1', 'Deployment', 'shop', 'web', { spec: { replicas: 2 } });
      await a.apply(decision(6));
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')!.spec.replicas, 6);
      // The plan's floor going down leaves the replicas where they are.
      await a.apply(decision(3));
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')!.spec.replicas, 6);
      assert.equal(requestsTo(api, 'PATCH', SCALE).length, 1);
    });
  });

  test('restore changes nothing, whatever the floor says', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(deployment('shop', 'web', 2));
      const a = new WorkloadScaleActuator(kube, 'Deployment', { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      const rv = api.resourceVersion;
      await a.apply(decision(9, true));
      assert.deepEqual(a.last, { replicas: 2, changed: false });
      assert.equal(api.resourceVersion, rv);
      assert.equal(requestsTo(api, 'PATCH', SCALE).length, 0);
    });
  });

  test('a 409 on the scale is re-read and retried', async () => {
    await withKube(async ({ api, kube }) => {
      api.create(deployment('shop', 'web', 1));
      const clock = new SimulatedClock(T0);
      const a = new WorkloadScaleActuator(kube, 'Deployment', { namespace: 'shop', name: 'web' }, clock);
      api.failNext({ verb: 'patch', resource: 'deployments/scale', status: 409, count: 2 });
      await a.apply(decision(4));
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')!.spec.replicas, 4);
      assert.deepEqual(requestsTo(api, 'PATCH', SCALE).map((r) => r.status), [409, 409, 200]);
      assert.equal(requestsTo(api, 'GET', SCALE).length, 3);
      assert.equal(clock.now() - T0, 300);
    });
  });

  test('a StatefulSet goes through its own scale subresource', async () => {
    await withKube(async ({ api, kube }) => {
      api.create({ ...deployment('shop', 'db', 1), kind: 'StatefulSet' });
      const a = new WorkloadScaleActuator(kube, 'StatefulSet', { namespace: 'shop', name: 'db' }, new SimulatedClock(T0));
      await a.apply(decision(3));
      assert.equal(api.get('apps/v1', 'StatefulSet', 'shop', 'db')!.spec.replicas, 3);
      assert.equal(requestsTo(api, 'PATCH', '/apis/apps/v1/namespaces/shop/statefulsets/db/scale').length, 1);
    });
  });
});
