/**
 * `restoreAll` (src/operator/restore.ts), the way out when uninstalling, against the fake API
 * server: every annotated HPA gets its original minReplicas back and loses the annotation, the
 * others are not written, one failure does not stop the rest, and a namespace filter is respected.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../src/core/clock.js';
import { ORIGINAL_MIN_ANNOTATION } from '../../../src/actuate/hpa-floor.js';
import { restoreAll } from '../../../src/operator/restore.js';
import type { FakeApiServer } from '../../support/fake-apiserver.js';
import { hpa, requestsTo, withKube } from './kube-fixture.js';

const HPA = 'autoscaling/v2';
const annotated = (original: string) => ({ [ORIGINAL_MIN_ANNOTATION]: original });
const clock = () => new SimulatedClock(Date.parse('2025-03-01T00:00:00Z'));
const stored = (api: FakeApiServer, ns: string, name: string) => api.get(HPA, 'HorizontalPodAutoscaler', ns, name)!;
const versions = (api: FakeApiServer, ns: string, name: string) => api.history(HPA, 'HorizontalPodAutoscaler', ns, name).length;

/** shop/web and other/web carry prescale's annotation; shop/plain does not. */
function arrange(api: FakeApiServer): void {
  api.create(hpa('shop', 'web', { minReplicas: 7, maxReplicas: 10 }, annotated('2')));
  api.create(hpa('shop', 'plain', { minReplicas: 4, maxReplicas: 10 }, { 'example.com/keep': 'yes' }));
  api.create(hpa('other', 'web', { minReplicas: 9, maxReplicas: 20 }, { ...annotated('3'), 'example.com/keep': 'yes' }));
}

describe('restoreAll', () => {
  test('annotated HPAs in every namespace get their original back and lose the annotation; others are not written', async () => {
    await withKube(async ({ api, kube }) => {
      arrange(api);
      const r = await restoreAll(kube, clock(), []);
      assert.deepEqual(r.failed, []);
      assert.deepEqual([...r.restored].sort(), ['other/web minReplicas 3', 'shop/web minReplicas 2']);

      assert.equal(stored(api, 'shop', 'web').spec.minReplicas, 2);
      assert.equal(stored(api, 'shop', 'web').metadata.annotations?.[ORIGINAL_MIN_ANNOTATION], undefined);
      assert.equal(stored(api, 'other', 'web').spec.minReplicas, 3);
      assert.deepEqual(stored(api, 'other', 'web').metadata.annotations, { 'example.com/keep': 'yes' }, 'other annotations stay');
      assert.equal(versions(api, 'shop', 'web'), 2, 'one write each');
      assert.equal(versions(api, 'other', 'web'), 2);
      assert.equal(versions(api, 'shop', 'plain'), 1, 'an HPA without the annotation is not written');
      assert.equal(stored(api, 'shop', 'plain').spec.minReplicas, 4);
      assert.equal(requestsTo(api, 'GET', '/apis/autoscaling/v2/horizontalpodautoscalers').length, 1, 'one list across the cluster');

      const again = await restoreAll(kube, clock(), []);
      assert.deepEqual(again, { restored: [], failed: [] }, 'nothing left to restore');
    });
  });

  test('a namespace filter restores only there and lists only there', async () => {
    await withKube(async ({ api, kube }) => {
      arrange(api);
      const r = await restoreAll(kube, clock(), ['other']);
      assert.deepEqual(r, { restored: ['other/web minReplicas 3'], failed: [] });
      assert.equal(stored(api, 'shop', 'web').spec.minReplicas, 7);
      assert.equal(stored(api, 'shop', 'web').metadata.annotations?.[ORIGINAL_MIN_ANNOTATION], '2');
      const listed = new Set(api.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/horizontalpodautoscalers')).map((q) => q.path));
      assert.deepEqual([...listed], ['/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers']);
    });
  });

  test('one failure does not stop the rest: a garbage annotation and a refused patch are reported, the others restored', async () => {
    await withKube(async ({ api, kube }) => {
      arrange(api);
      api.create(hpa('shop', 'broken', { minReplicas: 5 }, annotated('abc')));
      api.create(hpa('locked', 'web', { minReplicas: 6 }, annotated('1')));
      api.deny({ verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'locked' });
      const r = await restoreAll(kube, clock(), []);
      assert.deepEqual([...r.restored].sort(), ['other/web minReplicas 3', 'shop/web minReplicas 2']);
      assert.deepEqual(
        r.failed.map((f) => f.hpa).sort(),
        ['locked/web', 'shop/broken'],
      );
      const why = Object.fromEntries(r.failed.map((f) => [f.hpa, f.error]));
      assert.match(why['shop/broken']!, /annotation prescale\.dev\/original-min-replicas is "abc", not a decimal replica count/);
      assert.match(why['locked/web']!, /403 Forbidden/);
      assert.equal(stored(api, 'shop', 'broken').spec.minReplicas, 5);
      assert.equal(stored(api, 'locked', 'web').spec.minReplicas, 6);
    });
  });

  test('a namespace that cannot be listed is a failure of that namespace, not of the others', async () => {
    await withKube(async ({ api, kube }) => {
      arrange(api);
      api.deny({ verb: 'list', group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'shop' });
      const r = await restoreAll(kube, clock(), ['shop', 'other']);
      assert.deepEqual(r.restored, ['other/web minReplicas 3']);
      assert.equal(r.failed.length, 1);
      assert.equal(r.failed[0]!.hpa, 'shop/*');
      assert.match(r.failed[0]!.error, /403 Forbidden: .*cannot list resource "horizontalpodautoscalers"/);
      assert.equal(stored(api, 'other', 'web').spec.minReplicas, 3);
    });
  });
});
