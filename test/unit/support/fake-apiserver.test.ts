/**
 * The fake API server (test/support/fake-apiserver.ts) is only useful if it behaves like the real
 * one: checked here over plain HTTP (fetch: exact status codes, Status bodies, headers, watch
 * lines) and through @kubernetes/client-node 1.4 (KubeConfig, typed API clients, Watch and the
 * informer), the library the operator uses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from '../../support/fake-apiserver.js';

const HPA_PATH = '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers';
const PS_PATH = '/apis/prescale.dev/v1alpha1/namespaces/shop/predictivescalers';
const DEPLOY_PATH = '/apis/apps/v1/namespaces/shop/deployments';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const CONFLICT_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-apiserver-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fresh server per test, closed afterwards. */
async function withServer(fn: (api: FakeApiServer) => Promise<void>, opts: Parameters<typeof startFakeApiServer>[0] = {}): Promise<void> {
  const api = await startFakeApiServer(opts);
  try {
    await fn(api);
  } finally {
    await api.close();
  }
}

type AnyJson = any;

interface Reply {
  status: number;
  body: AnyJson;
  headers: Headers;
}

async function call(api: FakeApiServer, method: string, path: string, body?: unknown, contentType = 'application/json', token = api.token): Promise<Reply> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const res = await fetch(api.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function hpa(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: 'shop', labels: { app: name } },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 10, ...spec },
  };
}

function scaler(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name, namespace: 'shop' },
    spec: { target: { kind: 'HorizontalPodAutoscaler', name: 'web' }, metric: { query: 'sum(rate(http_requests_total[1m]))' }, capacity: { perReplica: 50 }, maxReplicas: 20 },
    ...extra,
  };
}

function deployment(name: string, replicas = 3): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: { replicas, selector: { matchLabels: { app: name, tier: 'web' } }, template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    status: { replicas },
  };
}

/** A watch over plain fetch: its lines parsed as they arrive. */
interface WatchStream {
  status: number;
  headers: Headers;
  events: AnyJson[];
  /** Resolves when at least `n` events arrived. */
  waitForEvents(n: number, timeoutMs?: number): Promise<AnyJson[]>;
  /** Resolves when the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

async function openWatch(api: FakeApiServer, path: string): Promise<WatchStream> {
  const controller = new AbortController();
  const res = await fetch(api.url + path, { headers: { Authorization: `Bearer ${api.token}` }, signal: controller.signal });
  const events: AnyJson[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, i)));
          buffer = buffer.slice(i + 1);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    ended,
    async waitForEvents(n, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} watch events, got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return events;
    },
    close: () => controller.abort(),
  };
}

const summary = (events: AnyJson[]): string[] => events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`.trim());

describe('fake API server over plain HTTP', () => {
  test('a request without the bearer token, or with another one, gets 401 Unauthorized', async () => {
    await withServer(async (api) => {
      const none = await fetch(api.url + HPA_PATH);
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      const wrong = await call(api, 'GET', HPA_PATH, undefined, 'application/json', 'not-the-token');
      assert.equal(wrong.status, 401);
      assert.equal(api.requests.length, 2, 'refused requests are logged too');
      assert.deepEqual(
        api.requests.map((r) => r.status),
        [401, 401],
      );
    });
  });

  test('addUser: a second token is accepted, and the request log says whose token each request carried', async () => {
    await withServer(async (api) => {
      api.create(hpa('web'));
      const token = api.addUser('shard-1');
      assert.notEqual(token, api.token);
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`, undefined, 'application/json', token)).status, 200);
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`)).status, 200);
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`, undefined, 'application/json', 'not-a-token')).status, 401);
      assert.deepEqual(
        api.requests.map((r) => r.user),
        ['shard-1', 'system:serviceaccount:prescale:prescale', undefined],
      );
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(await api.writeKubeconfig(join(dir, 'kubeconfig-shard-1.yaml'), { token }));
      await kc.makeApiClient(k8s.AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web' });
      assert.equal(api.requests.at(-1)?.user, 'shard-1');
    });
  });

  test('create, get and list: server-managed metadata, defaulting, List kind and resourceVersion', async () => {
    await withServer(async (api) => {
      const before = Number(api.resourceVersion);
      const { minReplicas: _, ...specWithoutMin } = hpa('web').spec;
      const created = await call(api, 'POST', HPA_PATH, { ...hpa('web'), spec: specWithoutMin });
      assert.equal(created.status, 201);
      const meta = created.body.metadata;
      assert.match(meta.uid, /^[0-9a-f-]{36}$/);
      assert.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(meta.generation, 1);
      assert.equal(meta.resourceVersion, String(before + 1));
      assert.equal(meta.namespace, 'shop');
      assert.equal(created.body.spec.minReplicas, 1, 'the HPA default, as the real server applies it');

      await call(api, 'POST', HPA_PATH, hpa('api'));
      await call(api, 'POST', '/apis/autoscaling/v2/namespaces/other/horizontalpodautoscalers', { ...hpa('web'), metadata: { name: 'web' } });
      const got = await call(api, 'GET', `${HPA_PATH}/web`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, created.body);

      const listed = await call(api, 'GET', HPA_PATH);
      assert.equal(listed.body.kind, 'HorizontalPodAutoscalerList');
      assert.equal(listed.body.apiVersion, 'autoscaling/v2');
      assert.equal(listed.body.metadata.resourceVersion, api.resourceVersion);
      assert.deepEqual(
        listed.body.items.map((i: AnyJson) => [i.apiVersion, i.kind, i.metadata.name]),
        [
          ['autoscaling/v2', 'HorizontalPodAutoscaler', 'api'],
          ['autoscaling/v2', 'HorizontalPodAutoscaler', 'web'],
        ],
      );
      const everywhere = await call(api, 'GET', '/apis/autoscaling/v2/horizontalpodautoscalers');
      assert.deepEqual(
        everywhere.body.items.map((i: AnyJson) => `${i.metadata.namespace}/${i.metadata.name}`),
        ['other/web', 'shop/api', 'shop/web'],
      );
    });
  });

  test('the real error Statuses: NotFound, AlreadyExists, unknown paths, name mismatches, resourceVersion on create', async () => {
    await withServer(async (api) => {
      const missing = await call(api, 'GET', `${HPA_PATH}/nope`);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'horizontalpodautoscalers.autoscaling "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', group: 'autoscaling', kind: 'horizontalpodautoscalers' },
        code: 404,
      });
      const secret = await call(api, 'GET', '/api/v1/namespaces/shop/secrets/creds');
      assert.equal(secret.body.message, 'secrets "creds" not found', 'no group suffix for the core group');

      assert.equal((await call(api, 'POST', HPA_PATH, hpa('web'))).status, 201);
      const again = await call(api, 'POST', HPA_PATH, hpa('web'));
      assert.equal(again.status, 409);
      assert.equal(again.body.reason, 'AlreadyExists');
      assert.equal(again.body.message, 'horizontalpodautoscalers.autoscaling "web" already exists');

      assert.equal((await call(api, 'GET', '/apis/autoscaling/v2/namespaces/shop/widgets')).status, 404);
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web/scale`)).status, 404, 'HPAs have no scale subresource');
      const renamed = await call(api, 'PUT', `${HPA_PATH}/web`, hpa('other'));
      assert.equal(renamed.status, 400);
      assert.equal(renamed.body.message, 'the name of the object (other) does not match the name on the URL (web)');
      const wrongNs = await call(api, 'POST', HPA_PATH, { ...hpa('x'), metadata: { name: 'x', namespace: 'elsewhere' } });
      assert.equal(wrongNs.status, 400);
      const withRv = await call(api, 'POST', HPA_PATH, { ...hpa('y'), metadata: { name: 'y', resourceVersion: '5' } });
      assert.equal(withRv.status, 500);
      assert.match(withRv.body.message, /resourceVersion should not be set on objects to be created/);
      const nameless = await call(api, 'POST', HPA_PATH, { ...hpa('z'), metadata: {} });
      assert.equal(nameless.status, 422);
      const generated = await call(api, 'POST', '/api/v1/namespaces/shop/events', { metadata: { generateName: 'web.' }, reason: 'PlanApplied', message: 'floor 4' });
      assert.equal(generated.status, 201);
      assert.match(generated.body.metadata.name, /^web\.[0-9a-f]{5}$/);
    });
  });

  test('built-in validation and defaulting: HPA replica bounds, object names, Secret stringData, JSON bodies only', async () => {
    await withServer(async (api) => {
      await call(api, 'POST', HPA_PATH, hpa('web'));
      const aboveMax = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 12 } }, MERGE);
      assert.equal(aboveMax.status, 422);
      assert.equal(aboveMax.body.message, 'HorizontalPodAutoscaler.autoscaling "web" is invalid: spec.maxReplicas: Invalid value: 10: must be greater than or equal to `minReplicas`');
      assert.deepEqual(aboveMax.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 10: must be greater than or equal to `minReplicas`', field: 'spec.maxReplicas' }]);
      const zero = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 0 } }, MERGE);
      assert.equal(zero.body.message, 'HorizontalPodAutoscaler.autoscaling "web" is invalid: spec.minReplicas: Invalid value: 0: must be greater than or equal to 1');
      assert.equal(api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'web')?.spec.minReplicas, 2);

      const badName = await call(api, 'POST', HPA_PATH, hpa('Web_1'));
      assert.equal(badName.status, 422);
      assert.match(badName.body.message, /^HorizontalPodAutoscaler.autoscaling "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain/);

      const secret = await call(api, 'POST', '/api/v1/namespaces/shop/secrets', { metadata: { name: 'basic' }, stringData: { password: 'pw' } });
      assert.deepEqual(secret.body.data, { password: Buffer.from('pw').toString('base64') });
      assert.equal(secret.body.stringData, undefined);

      const yaml = await call(api, 'POST', HPA_PATH, hpa('other'), MERGE);
      assert.equal(yaml.status, 415);
    });
  });

  test('PUT: a stale resourceVersion is a 409 Conflict with the real message; the current one (or none, for built-ins) replaces', async () => {
    await withServer(async (api) => {
      const created = (await call(api, 'POST', HPA_PATH, hpa('web'))).body;
      const stale = await call(api, 'PUT', `${HPA_PATH}/web`, { ...created, metadata: { ...created.metadata, resourceVersion: '1' } });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      assert.equal(stale.body.message, `Operation cannot be fulfilled on horizontalpodautoscalers.autoscaling "web": ${CONFLICT_MESSAGE}`);
      assert.deepEqual(stale.body.details, { name: 'web', group: 'autoscaling', kind: 'horizontalpodautoscalers' });

      const replaced = await call(api, 'PUT', `${HPA_PATH}/web`, { ...created, spec: { ...created.spec, minReplicas: 5 } });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.body.spec.minReplicas, 5);
      assert.equal(Number(replaced.body.metadata.resourceVersion), Number(created.metadata.resourceVersion) + 1);
      assert.equal(replaced.body.metadata.uid, created.metadata.uid);

      const { resourceVersion: _, ...metaWithoutRv } = replaced.body.metadata;
      const unconditional = await call(api, 'PUT', `${HPA_PATH}/web`, { ...replaced.body, metadata: metaWithoutRv, spec: { ...replaced.body.spec, minReplicas: 6 } });
      assert.equal(unconditional.status, 200, 'built-in kinds allow an unconditional update');
      assert.equal(unconditional.body.spec.minReplicas, 6);

      assert.equal((await call(api, 'PUT', `${HPA_PATH}/absent`, hpa('absent'))).status, 404);
    });
  });

  test('PUT of a custom resource without metadata.resourceVersion is refused (422), as custom resources allow no unconditional update', async () => {
    await withServer(async (api) => {
      const created = (await call(api, 'POST', PS_PATH, scaler('web'))).body;
      const { resourceVersion: _, ...meta } = created.metadata;
      const res = await call(api, 'PUT', `${PS_PATH}/web`, { ...created, metadata: meta });
      assert.equal(res.status, 422);
      assert.equal(res.body.message, 'predictivescalers.prescale.dev "web" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    });
  });

  test('merge patch (RFC 7386): objects merge, null deletes, lists replace; a resourceVersion in the patch is a precondition', async () => {
    await withServer(async (api) => {
      const created = (await call(api, 'POST', HPA_PATH, hpa('web', { behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } }))).body;
      const patched = await call(api, 'PATCH', `${HPA_PATH}/web`, { metadata: { annotations: { a: '1' } }, spec: { minReplicas: 4, behavior: null, metrics: [{ type: 'Resource' }] } }, MERGE);
      assert.equal(patched.status, 200);
      assert.equal(patched.body.spec.minReplicas, 4);
      assert.equal(patched.body.spec.maxReplicas, 10);
      assert.equal(patched.body.spec.behavior, undefined);
      assert.deepEqual(patched.body.spec.metrics, [{ type: 'Resource' }]);
      assert.deepEqual(patched.body.metadata.annotations, { a: '1' });
      assert.deepEqual(patched.body.metadata.labels, { app: 'web' });

      const stale = await call(api, 'PATCH', `${HPA_PATH}/web`, { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { minReplicas: 7 } }, MERGE);
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      assert.equal(stale.body.message, `Operation cannot be fulfilled on horizontalpodautoscalers.autoscaling "web": ${CONFLICT_MESSAGE}`);
      const fresh = await call(api, 'PATCH', `${HPA_PATH}/web`, { metadata: { resourceVersion: patched.body.metadata.resourceVersion }, spec: { minReplicas: 7 } }, MERGE);
      assert.equal(fresh.status, 200);
      assert.equal(fresh.body.spec.minReplicas, 7);
      assert.equal((await call(api, 'PATCH', `${HPA_PATH}/absent`, { spec: {} }, MERGE)).status, 404);
    });
  });

  test('JSON patch (RFC 6902): add, remove, replace, test; a failed test is a 422, an object body a 400', async () => {
    await withServer(async (api) => {
      await call(api, 'POST', HPA_PATH, hpa('web'));
      const ops = [
        { op: 'test', path: '/spec/minReplicas', value: 2 },
        { op: 'replace', path: '/spec/minReplicas', value: 3 },
        { op: 'add', path: '/metadata/annotations', value: { 'prescale.dev/original-min-replicas': '2' } },
        { op: 'add', path: '/metadata/finalizers', value: ['a'] },
        { op: 'add', path: '/metadata/finalizers/-', value: 'b' },
        { op: 'remove', path: '/metadata/labels/app' },
      ];
      const ok = await call(api, 'PATCH', `${HPA_PATH}/web`, ops, JSON_PATCH);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.spec.minReplicas, 3);
      assert.deepEqual(ok.body.metadata.annotations, { 'prescale.dev/original-min-replicas': '2' });
      assert.deepEqual(ok.body.metadata.finalizers, ['a', 'b']);
      assert.deepEqual(ok.body.metadata.labels, {});

      const failedTest = await call(api, 'PATCH', `${HPA_PATH}/web`, [{ op: 'test', path: '/spec/minReplicas', value: 2 }, { op: 'replace', path: '/spec/minReplicas', value: 9 }], JSON_PATCH);
      assert.equal(failedTest.status, 422);
      assert.equal(failedTest.body.reason, 'Invalid');
      assert.equal(failedTest.body.message, 'the server rejected our request due to an error in our request');
      assert.equal(api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'web')?.spec.minReplicas, 3, 'nothing applied');

      const objectBody = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 4 } }, JSON_PATCH);
      assert.equal(objectBody.status, 400);
      assert.equal(objectBody.body.message, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    });
  });

  test('strategic merge patch works on built-in kinds only: custom resources and unknown types get 415 UnsupportedMediaType', async () => {
    await withServer(async (api) => {
      const dep = deployment('web');
      dep.metadata.finalizers = ['a'];
      api.create(dep);
      const res = await call(
        api,
        'PATCH',
        `${DEPLOY_PATH}/web`,
        { metadata: { finalizers: ['b'] }, spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy' }] } } } },
        STRATEGIC,
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.metadata.finalizers, ['a', 'b'], 'finalizers merge as a set');
      assert.deepEqual(
        res.body.spec.template.spec.containers.map((c: AnyJson) => c.name),
        ['app', 'sidecar'],
        'containers merge by name',
      );

      await call(api, 'POST', PS_PATH, scaler('web'));
      const custom = await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { mode: 'Enforce' } }, STRATEGIC);
      assert.equal(custom.status, 415);
      assert.equal(custom.body.reason, 'UnsupportedMediaType');
      assert.equal(custom.body.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json');
      const plainJson = await call(api, 'PATCH', `${DEPLOY_PATH}/web`, { spec: {} }, 'application/json');
      assert.equal(plainJson.status, 415);
      const withCharset = await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { mode: 'Enforce' } }, `${MERGE}; charset=utf-8`);
      assert.equal(withCharset.status, 200, 'parameters of the content type are ignored');
    });
  });

  test('generation moves only with the spec; no-op writes store nothing; every write bumps the one global resourceVersion', async () => {
    await withServer(async (api) => {
      const a = (await call(api, 'POST', PS_PATH, scaler('web'))).body;
      const b = (await call(api, 'POST', HPA_PATH, hpa('web'))).body;
      assert.equal(Number(b.metadata.resourceVersion), Number(a.metadata.resourceVersion) + 1, 'one counter across resources');

      const labelled = (await call(api, 'PATCH', `${PS_PATH}/web`, { metadata: { labels: { team: 'x' } } }, MERGE)).body;
      assert.equal(labelled.metadata.generation, 1, 'metadata does not move generation');
      const status = (await call(api, 'PATCH', `${PS_PATH}/web/status`, { status: { model: 'holt-winters' } }, MERGE)).body;
      assert.equal(status.metadata.generation, 1, 'status does not move generation');
      const spec = (await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { mode: 'Enforce' } }, MERGE)).body;
      assert.equal(spec.metadata.generation, 2);

      const rv = api.resourceVersion;
      const same = await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { mode: 'Enforce' } }, MERGE);
      assert.equal(same.status, 200);
      assert.equal(same.body.metadata.resourceVersion, rv, 'a write that changes nothing is not stored');
      assert.equal(api.resourceVersion, rv);
      assert.equal(api.history('prescale.dev/v1alpha1', 'predictivescalers', 'shop', 'web').length, 4);
    });
  });

  test('status subresource: /status changes only status, main writes ignore status, and a create drops it', async () => {
    await withServer(async (api) => {
      const created = await call(api, 'POST', PS_PATH, scaler('web', { status: { model: 'fft' } }));
      assert.equal(created.body.status, undefined, 'status is not set by a create');

      const viaStatus = await call(api, 'PUT', `${PS_PATH}/web/status`, { ...created.body, spec: { ...created.body.spec, maxReplicas: 99 }, metadata: { ...created.body.metadata, labels: { x: 'y' } }, status: { model: 'mstl' } });
      assert.equal(viaStatus.status, 200);
      assert.equal(viaStatus.body.status.model, 'mstl');
      assert.equal(viaStatus.body.spec.maxReplicas, 20, 'spec unchanged through /status');
      assert.equal(viaStatus.body.metadata.labels, undefined, 'metadata unchanged through /status');

      const viaMain = await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { maxReplicas: 30 }, status: { model: 'fft' } }, MERGE);
      assert.equal(viaMain.body.spec.maxReplicas, 30);
      assert.equal(viaMain.body.status.model, 'mstl', 'status unchanged through the main resource');

      const got = await call(api, 'GET', `${PS_PATH}/web/status`);
      assert.equal(got.body.kind, 'PredictiveScaler', 'GET of /status returns the whole object');

      api.create(hpa('web'));
      const hpaStatus = await call(api, 'PATCH', `${HPA_PATH}/web/status`, { status: { currentReplicas: 3, desiredReplicas: 4 } }, MERGE);
      assert.deepEqual(hpaStatus.body.status, { currentReplicas: 3, desiredReplicas: 4 });
      const stale = await call(api, 'PUT', `${HPA_PATH}/web/status`, { ...hpaStatus.body, metadata: { ...hpaStatus.body.metadata, resourceVersion: '1' } });
      assert.equal(stale.status, 409);
    });
  });

  test('finalizers: DELETE marks the object and keeps it; removing the last finalizer removes it; new finalizers are refused meanwhile', async () => {
    await withServer(async (api) => {
      const created = (await call(api, 'POST', PS_PATH, { ...scaler('web'), metadata: { name: 'web', finalizers: ['prescale.dev/restore'] } })).body;
      const watch = await openWatch(api, `${PS_PATH}?watch=true&resourceVersion=${created.metadata.resourceVersion}`);

      const deleted = await call(api, 'DELETE', `${PS_PATH}/web`);
      assert.equal(deleted.status, 200);
      assert.match(deleted.body.metadata.deletionTimestamp, /Z$/);
      assert.equal(deleted.body.metadata.deletionGracePeriodSeconds, 0);
      assert.equal(deleted.body.metadata.generation, 2, 'marking for deletion moves generation');
      assert.ok(api.get('prescale.dev/v1alpha1', 'PredictiveScaler', 'shop', 'web'), 'still there');
      const again = await call(api, 'DELETE', `${PS_PATH}/web`);
      assert.equal(again.body.metadata.resourceVersion, deleted.body.metadata.resourceVersion, 'a second delete changes nothing');

      const added = await call(api, 'PATCH', `${PS_PATH}/web`, { metadata: { finalizers: ['prescale.dev/restore', 'other'] } }, MERGE);
      assert.equal(added.status, 422);
      assert.equal(added.body.reason, 'Invalid');
      assert.equal(
        added.body.message,
        'PredictiveScaler.prescale.dev "web" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"other"}',
      );

      const released = await call(api, 'PATCH', `${PS_PATH}/web`, [{ op: 'remove', path: '/metadata/finalizers' }], JSON_PATCH);
      assert.equal(released.status, 200);
      assert.equal(api.get('prescale.dev/v1alpha1', 'PredictiveScaler', 'shop', 'web'), undefined, 'gone once the last finalizer is removed');
      assert.deepEqual(summary(await watch.waitForEvents(3)), ['MODIFIED web', 'MODIFIED web', 'DELETED web']);
      watch.close();
      assert.equal((await call(api, 'GET', `${PS_PATH}/web`)).status, 404);
    });
  });

  test('DELETE without finalizers removes at once: a Status for built-in kinds, the object for custom resources; preconditions are checked', async () => {
    await withServer(async (api) => {
      const created = (await call(api, 'POST', HPA_PATH, hpa('web'))).body;
      const wrongRv = await call(api, 'DELETE', `${HPA_PATH}/web`, { preconditions: { resourceVersion: '1' } });
      assert.equal(wrongRv.status, 409);
      assert.match(wrongRv.body.message, /the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record/);
      const gone = await call(api, 'DELETE', `${HPA_PATH}/web`);
      assert.equal(gone.status, 200);
      assert.deepEqual(gone.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'web', group: 'autoscaling', kind: 'horizontalpodautoscalers', uid: created.metadata.uid } });
      assert.equal((await call(api, 'DELETE', `${HPA_PATH}/web`)).status, 404);

      await call(api, 'POST', PS_PATH, scaler('web'));
      const cr = await call(api, 'DELETE', `${PS_PATH}/web`);
      assert.equal(cr.body.kind, 'PredictiveScaler');
    });
  });

  test('scale subresource of a Deployment: an autoscaling/v1 Scale; PATCH and PUT set spec.replicas under the resourceVersion precondition', async () => {
    await withServer(async (api) => {
      const dep = api.create(deployment('web', 3));
      const scale = await call(api, 'GET', `${DEPLOY_PATH}/web/scale`);
      assert.equal(scale.status, 200);
      assert.deepEqual(scale.body, {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name: 'web', namespace: 'shop', uid: dep.metadata.uid, resourceVersion: dep.metadata.resourceVersion, creationTimestamp: dep.metadata.creationTimestamp },
        spec: { replicas: 3 },
        status: { replicas: 3, selector: 'app=web,tier=web' },
      });

      const patched = await call(api, 'PATCH', `${DEPLOY_PATH}/web/scale`, { spec: { replicas: 6 } }, MERGE);
      assert.equal(patched.status, 200);
      assert.equal(patched.body.spec.replicas, 6);
      const stored = api.get('apps/v1', 'Deployment', 'shop', 'web')!;
      assert.equal(stored.spec.replicas, 6);
      assert.equal(stored.metadata.generation, 2);
      assert.equal(patched.body.metadata.resourceVersion, stored.metadata.resourceVersion);

      const stale = await call(api, 'PUT', `${DEPLOY_PATH}/web/scale`, { ...scale.body, spec: { replicas: 2 } });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.message, `Operation cannot be fulfilled on deployments.apps "web": ${CONFLICT_MESSAGE}`);
      const put = await call(api, 'PUT', `${DEPLOY_PATH}/web/scale`, { ...patched.body, spec: { replicas: 2 } });
      assert.equal(put.status, 200);
      assert.equal(api.get('apps/v1', 'deployments', 'shop', 'web')?.spec.replicas, 2);
      const negative = await call(api, 'PATCH', `${DEPLOY_PATH}/web/scale`, { spec: { replicas: -1 } }, MERGE);
      assert.equal(negative.status, 422);

      api.create({ ...deployment('db', 1), apiVersion: 'apps/v1', kind: 'StatefulSet' });
      const sts = await call(api, 'PATCH', '/apis/apps/v1/namespaces/shop/statefulsets/db/scale', { spec: { replicas: 2 } }, STRATEGIC);
      assert.equal(sts.status, 200);
      assert.equal(api.get('apps/v1', 'StatefulSet', 'shop', 'db')?.spec.replicas, 2);
    });
  });

  test('PredictiveScalers are pruned to the CRD schema (with unknown-field warnings), metadata never; invalid values are a 422', async () => {
    await withServer(async (api) => {
      const created = await call(api, 'POST', PS_PATH, {
        ...scaler('web'),
        metadata: { name: 'web', labels: { a: 'b' }, annotations: { 'x/y': 'z' } },
        spec: { ...scaler('web').spec, bogus: 1, metric: { query: 'q', prometheus: { url: 'http://p', headers: { 'X-Scope-OrgID': 't' } } } },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.spec.bogus, undefined);
      assert.deepEqual(created.body.spec.metric.prometheus.headers, { 'X-Scope-OrgID': 't' }, 'additionalProperties are kept');
      assert.deepEqual(created.body.metadata.labels, { a: 'b' });
      assert.equal(created.headers.get('warning'), '299 - "unknown field \\"spec.bogus\\""');

      const status = await call(
        api,
        'PATCH',
        `${PS_PATH}/web/status`,
        { status: { model: 'fft', debug: { internals: true }, currentStep: { replicas: 4, note: 'x' }, conditions: [{ type: 'Ready', status: 'True', reason: 'PlanApplied', lastTransitionTime: '2024-01-01T00:00:00Z', extra: 1 }] } },
        MERGE,
      );
      assert.equal(status.status, 200);
      assert.deepEqual(status.body.status, { model: 'fft', currentStep: { replicas: 4 }, conditions: [{ type: 'Ready', status: 'True', reason: 'PlanApplied', lastTransitionTime: '2024-01-01T00:00:00Z' }] });
      assert.deepEqual(api.requests.at(-1)?.warnings, ['unknown field "status.debug"', 'unknown field "status.currentStep.note"', 'unknown field "status.conditions[0].extra"']);

      const strict = await call(api, 'PATCH', `${PS_PATH}/web/status?fieldValidation=Strict`, { status: { debug: 1 } }, MERGE);
      assert.equal(strict.status, 400);
      assert.match(strict.body.message, /strict decoding error: unknown field "status.debug"/);

      const badEnum = await call(api, 'PATCH', `${PS_PATH}/web`, { spec: { mode: 'Sometimes' } }, MERGE);
      assert.equal(badEnum.status, 422);
      assert.equal(badEnum.body.message, 'PredictiveScaler.prescale.dev "web" is invalid: spec.mode: Unsupported value: "Sometimes": supported values: "DryRun", "Enforce"');
      const badType = await call(api, 'PATCH', `${PS_PATH}/web/status`, { status: { currentStep: { replicas: 'four' } } }, MERGE);
      assert.equal(badType.status, 422);
      assert.match(badType.body.message, /status\.currentStep\.replicas: Invalid value: "string": status\.currentStep\.replicas in body must be of type integer: "string"/);
      const missingReason = await call(api, 'PATCH', `${PS_PATH}/web/status`, { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } }, MERGE);
      assert.equal(missingReason.status, 422);
      assert.match(missingReason.body.message, /status\.conditions\[0\]\.reason: Required value/);
      const badTime = await call(api, 'PATCH', `${PS_PATH}/web/status`, { status: { lastRefitTime: 'yesterday' } }, MERGE);
      assert.equal(badTime.status, 422);
    });
  });

  test('label and field selectors filter lists; limit and continue page through them', async () => {
    await withServer(async (api) => {
      for (const [name, labels] of [
        ['a', { app: 'web', tier: 'front' }],
        ['b', { app: 'web', tier: 'back' }],
        ['c', { app: 'db' }],
      ] as const) {
        api.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { ...labels } }, spec: {} });
      }
      const names = async (query: string): Promise<string[]> => (await call(api, 'GET', `/api/v1/namespaces/shop/pods?${query}`)).body.items.map((i: AnyJson) => i.metadata.name);
      assert.deepEqual(await names('labelSelector=app%3Dweb'), ['a', 'b']);
      assert.deepEqual(await names('labelSelector=app%3Dweb%2Ctier%3Dback'), ['b']);
      assert.deepEqual(await names('labelSelector=app!%3Dweb'), ['c']);
      assert.deepEqual(await names('labelSelector=tier'), ['a', 'b']);
      assert.deepEqual(await names('labelSelector=tier%20in%20(front%2Cmiddle)'), ['a']);
      assert.deepEqual(await names('fieldSelector=metadata.name%3Dc'), ['c']);
      assert.deepEqual(await names('fieldSelector=metadata.namespace%3Dshop&labelSelector=app%3Ddb'), ['c']);
      assert.equal((await call(api, 'GET', '/api/v1/namespaces/shop/pods?fieldSelector=spec.nodeName%3Dx')).status, 400);

      const page1 = (await call(api, 'GET', '/api/v1/namespaces/shop/pods?limit=2')).body;
      assert.deepEqual(
        page1.items.map((i: AnyJson) => i.metadata.name),
        ['a', 'b'],
      );
      assert.equal(page1.metadata.remainingItemCount, 1);
      const page2 = (await call(api, 'GET', `/api/v1/namespaces/shop/pods?limit=2&continue=${page1.metadata.continue}`)).body;
      assert.deepEqual(
        page2.items.map((i: AnyJson) => i.metadata.name),
        ['c'],
      );
      assert.equal(page2.metadata.continue, undefined);

      const future = await call(api, 'GET', `/api/v1/namespaces/shop/pods?resourceVersion=${Number(api.resourceVersion) + 100}`);
      assert.equal(future.status, 504, 'a list at a resourceVersion the server has not reached');
    });
  });

  test('watch without resourceVersion: ADDED for every current object, then live changes of that namespace as chunked JSON lines', async () => {
    await withServer(async (api) => {
      api.create(hpa('a'));
      api.create({ ...hpa('x'), metadata: { name: 'x', namespace: 'other' } });
      const watch = await openWatch(api, `${HPA_PATH}?watch=true`);
      assert.equal(watch.status, 200);
      assert.equal(watch.headers.get('transfer-encoding'), 'chunked');
      assert.equal(watch.headers.get('content-type'), 'application/json');
      await watch.waitForEvents(1);
      await api.waitFor(() => api.openWatches === 1, 2000, 'the watch to register');

      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 3 } });
      api.create({ ...hpa('y'), metadata: { name: 'y', namespace: 'other' } });
      await call(api, 'POST', HPA_PATH, hpa('b'));
      api.delete('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a');
      const events = await watch.waitForEvents(4);
      assert.deepEqual(summary(events), ['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED a']);
      assert.equal(events[1].object.spec.minReplicas, 3);
      assert.equal(events[1].object.kind, 'HorizontalPodAutoscaler');
      assert.equal(events[1].object.apiVersion, 'autoscaling/v2');
      assert.ok(Number(events[3].object.metadata.resourceVersion) > Number(events[2].object.metadata.resourceVersion), 'a DELETED event carries the deletion resourceVersion');
      watch.close();
      await api.waitFor(() => api.openWatches === 0, 2000, 'the closed watch to go');
    });
  });

  test('watch from a resourceVersion replays what came after it; with a label selector, leaving the selection is DELETED and entering it ADDED', async () => {
    await withServer(async (api) => {
      const first = api.create(hpa('a'));
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 5 } });
      api.create(hpa('b'));
      const replay = await openWatch(api, `${HPA_PATH}?watch=1&resourceVersion=${first.metadata.resourceVersion}`);
      assert.deepEqual(summary(await replay.waitForEvents(2)), ['MODIFIED a', 'ADDED b']);
      replay.close();

      const selected = await openWatch(api, `${HPA_PATH}?watch=true&labelSelector=app%3Da&resourceVersion=${api.resourceVersion}`);
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { metadata: { labels: { app: 'gone' } } });
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'b', { metadata: { labels: { app: 'a' } } });
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'b', { spec: { maxReplicas: 11 } });
      assert.deepEqual(summary(await selected.waitForEvents(3)), ['DELETED a', 'ADDED b', 'MODIFIED b']);
      selected.close();

      const single = await openWatch(api, `${HPA_PATH}/b?watch=true`);
      assert.deepEqual(summary(await single.waitForEvents(1)), ['ADDED b'], 'a watch on one name sees only that object');
      single.close();
    });
  });

  test('watch from a compacted resourceVersion: HTTP 200, one ERROR event with a 410 Expired Status, then the stream ends', async () => {
    await withServer(async (api) => {
      const old = api.create(hpa('a'));
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 4 } });
      api.compact();
      const compactedAt = api.resourceVersion;
      const watch = await openWatch(api, `${HPA_PATH}?watch=true&resourceVersion=${old.metadata.resourceVersion}`);
      assert.equal(watch.status, 200);
      await watch.ended;
      assert.deepEqual(watch.events, [
        {
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${old.metadata.resourceVersion} (${compactedAt})`, reason: 'Expired', code: 410 },
        },
      ]);

      const current = await openWatch(api, `${HPA_PATH}?watch=true&resourceVersion=${compactedAt}`);
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 5 } });
      assert.deepEqual(summary(await current.waitForEvents(1)), ['MODIFIED a'], 'the current resourceVersion is still watchable');
      current.close();
    });
  });

  test('the event log is bounded: after maxEvents more writes an old resourceVersion is too old', async () => {
    await withServer(
      async (api) => {
        const first = api.create(hpa('a'));
        for (let i = 3; i < 7; i++) api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: i } });
        const watch = await openWatch(api, `${HPA_PATH}?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
        await watch.ended;
        assert.equal(watch.events[0].object.code, 410);
      },
      { maxEvents: 3 },
    );
  });

  test('watch timeoutSeconds ends the stream cleanly; allowWatchBookmarks sends BOOKMARK events with the current resourceVersion', async () => {
    await withServer(
      async (api) => {
        api.create(hpa('a'));
        const started = Date.now();
        const watch = await openWatch(api, `${HPA_PATH}?watch=true&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion=${api.resourceVersion}`);
        await watch.ended;
        const elapsed = Date.now() - started;
        assert.ok(elapsed >= 900 && elapsed < 3000, `ended after ${elapsed} ms`);
        assert.ok(watch.events.length >= 2, JSON.stringify(watch.events));
        for (const e of watch.events) {
          assert.deepEqual(e, { type: 'BOOKMARK', object: { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2', metadata: { resourceVersion: api.resourceVersion } } });
        }
      },
      { bookmarkIntervalMs: 200 },
    );
  });

  test('deny/allow: a denied verb gets RBAC 403 Forbidden with the real message until it is allowed again', async () => {
    await withServer(async (api) => {
      api.create(hpa('web'));
      const rule = { verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace: 'shop' } as const;
      api.deny(rule);
      const denied = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 3 } }, MERGE);
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'horizontalpodautoscalers.autoscaling "web" is forbidden: User "system:serviceaccount:prescale:prescale" cannot patch resource "horizontalpodautoscalers" in API group "autoscaling" in the namespace "shop"',
        reason: 'Forbidden',
        details: { name: 'web', group: 'autoscaling', kind: 'horizontalpodautoscalers' },
        code: 403,
      });
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`)).status, 200, 'other verbs pass');
      assert.equal(api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'web')?.spec.minReplicas, 2);

      api.deny({ verb: 'list', resource: 'secrets', group: '' });
      const list = await call(api, 'GET', '/api/v1/secrets');
      assert.equal(list.body.message, 'secrets is forbidden: User "system:serviceaccount:prescale:prescale" cannot list resource "secrets" in API group "" at the cluster scope');
      api.deny({ verb: '*', group: 'prescale.dev', resource: 'predictivescalers/status' });
      const status = await call(api, 'PUT', `${PS_PATH}/web/status`, scaler('web'));
      assert.match(status.body.message, /cannot update resource "predictivescalers\/status" in API group "prescale.dev" in the namespace "shop"/);

      api.allow(rule);
      assert.equal((await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 3 } }, MERGE)).status, 200);
    });
  });

  test('failNext answers the next matching requests with 500, 429 (Retry-After) or 409, then serves again; delayNext holds requests', async () => {
    await withServer(async (api) => {
      api.create(hpa('web'));
      api.failNext({ verb: 'patch', resource: 'horizontalpodautoscalers', status: 500, count: 2 });
      api.failNext({ verb: 'get', status: 429, retryAfterSeconds: 2 });
      api.failNext({ verb: 'update', status: 409 });

      const p1 = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 3 } }, MERGE);
      const p2 = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 3 } }, MERGE);
      const p3 = await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 3 } }, MERGE);
      assert.deepEqual([p1.status, p2.status, p3.status], [500, 500, 200]);
      assert.equal(p1.body.reason, 'InternalError');
      assert.match(p1.body.message, /^Internal error occurred: /);

      const g = await call(api, 'GET', `${HPA_PATH}/web`);
      assert.equal(g.status, 429);
      assert.equal(g.headers.get('retry-after'), '2');
      assert.equal(g.body.reason, 'TooManyRequests');
      assert.equal(g.body.details.retryAfterSeconds, 2);
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`)).status, 200);

      const u = await call(api, 'PUT', `${HPA_PATH}/web`, api.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'web'));
      assert.equal(u.status, 409);
      assert.equal(u.body.message, `Operation cannot be fulfilled on horizontalpodautoscalers.autoscaling "web": ${CONFLICT_MESSAGE}`);

      api.delayNext({ verb: 'get', resource: 'horizontalpodautoscalers', ms: 300 });
      const started = Date.now();
      assert.equal((await call(api, 'GET', `${HPA_PATH}/web`)).status, 200);
      assert.ok(Date.now() - started >= 280, 'delayed');
      const quick = Date.now();
      await call(api, 'GET', `${HPA_PATH}/web`);
      assert.ok(Date.now() - quick < 250, 'only the next one');
    });
  });

  test('cutWatches ends open watch streams, optionally after half an event line', async () => {
    await withServer(async (api) => {
      api.create(hpa('a'));
      const clean = await openWatch(api, `${HPA_PATH}?watch=true&resourceVersion=${api.resourceVersion}`);
      await api.waitFor(() => api.openWatches === 1, 2000, 'the watch');
      assert.equal(api.cutWatches({ clean: true }), 1);
      await clean.ended;
      assert.deepEqual(clean.events, []);

      // node:http shows what came over the wire before the socket closed (fetch drops buffered data on an error).
      const wire = new Promise<{ received: string; error?: Error }>((resolve) => {
        const req = httpGet(`${api.url}${HPA_PATH}?watch=true&resourceVersion=${api.resourceVersion}`, { headers: { Authorization: `Bearer ${api.token}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('error', (error) => resolve({ received: text, error }));
          res.on('end', () => resolve({ received: text }));
        });
        req.on('error', (error) => resolve({ received: '', error }));
      });
      await api.waitFor(() => api.openWatches === 1, 2000, 'the second watch');
      api.cutWatches({ midEvent: true });
      const { received, error } = await wire;
      assert.ok(error, 'an abrupt cut is an error for the reader (the chunked body never ends)');
      assert.ok(received.startsWith('{"type":"MODIFIED","object":{'), received);
      assert.ok(!received.includes('\n'), 'half a line, no newline');
      assert.equal(api.openWatches, 0);
    });
  });

  test('discovery: /api, /apis and each group version list the served resources and subresources', async () => {
    await withServer(async (api) => {
      const groups = (await call(api, 'GET', '/apis')).body;
      assert.equal(groups.kind, 'APIGroupList');
      assert.ok(groups.groups.some((g: AnyJson) => g.name === 'prescale.dev' && g.preferredVersion.groupVersion === 'prescale.dev/v1alpha1'));
      const ps = (await call(api, 'GET', '/apis/prescale.dev/v1alpha1')).body;
      assert.equal(ps.kind, 'APIResourceList');
      assert.deepEqual(
        ps.resources.map((r: AnyJson) => r.name),
        ['predictivescalers', 'predictivescalers/status'],
      );
      assert.equal(ps.resources[0].kind, 'PredictiveScaler');
      assert.deepEqual(ps.resources[0].shortNames, ['pscaler']);
      const apps = (await call(api, 'GET', '/apis/apps/v1')).body;
      assert.ok(apps.resources.some((r: AnyJson) => r.name === 'deployments/scale' && r.kind === 'Scale'));
      assert.deepEqual((await call(api, 'GET', '/api')).body.versions, ['v1']);
      assert.equal((await call(api, 'GET', '/apis/nothing.example/v1')).status, 404);
    });
  });

  test('direct store access: writes emit watch events, bump resourceVersions and are kept in history; requests are logged', async () => {
    await withServer(async (api) => {
      const watch = await openWatch(api, `${HPA_PATH}?watch=true&resourceVersion=${api.resourceVersion}`);
      const a = api.create(hpa('web'));
      const b = api.update({ ...a, spec: { ...a.spec, minReplicas: 4 }, status: { currentReplicas: 4 } });
      assert.equal(Number(b.metadata.resourceVersion), Number(a.metadata.resourceVersion) + 1);
      assert.deepEqual(b.status, { currentReplicas: 4 }, 'a test may set status through update');
      const c = api.patchStatus('autoscaling/v2', 'horizontalpodautoscalers', 'shop', 'web', { desiredReplicas: 6 });
      assert.deepEqual(c.status, { currentReplicas: 4, desiredReplicas: 6 });
      await call(api, 'PATCH', `${HPA_PATH}/web`, { spec: { minReplicas: 8 } }, MERGE);
      assert.deepEqual(summary(await watch.waitForEvents(4)), ['ADDED web', 'MODIFIED web', 'MODIFIED web', 'MODIFIED web']);
      watch.close();

      assert.deepEqual(
        api.history('autoscaling/v2', 'horizontalpodautoscalers', 'shop', 'web').map((o) => o.spec.minReplicas),
        [2, 4, 4, 8],
      );
      assert.deepEqual(
        api.list('autoscaling/v2', 'HorizontalPodAutoscaler').map((o) => o.metadata.name),
        ['web'],
      );
      const patchRequest = api.requests.find((r) => r.method === 'PATCH');
      assert.deepEqual(
        { ...patchRequest, atMs: 0 },
        { method: 'PATCH', path: `${HPA_PATH}/web`, query: {}, contentType: MERGE, body: { spec: { minReplicas: 8 } }, status: 200, atMs: 0, user: 'system:serviceaccount:prescale:prescale' },
      );
      assert.ok(Math.abs(patchRequest!.atMs - Date.now()) < 10_000);

      const fin = api.create({ ...scaler('s'), metadata: { name: 's', namespace: 'shop', finalizers: ['prescale.dev/restore'] } });
      const marked = api.delete('prescale.dev/v1alpha1', 'PredictiveScaler', 'shop', 's');
      assert.ok(marked?.metadata.deletionTimestamp);
      assert.equal(api.update({ ...marked!, metadata: { ...marked!.metadata, finalizers: [] } }).metadata.finalizers?.length, 0);
      assert.equal(api.get('prescale.dev/v1alpha1', 'PredictiveScaler', 'shop', 's'), undefined);
      assert.equal(fin.metadata.generation, 1);
      assert.throws(() => api.create(hpa('web')), (e: Error & { code?: number }) => e.code === 409);
      await assert.rejects(api.waitFor(() => false, 50, 'nothing'), /timed out after 50 ms waiting for nothing/);
    });
  });

  test('leases, events and secrets: create, replace with a conflict check, list across namespaces', async () => {
    await withServer(async (api) => {
      const leasePath = '/apis/coordination.k8s.io/v1/namespaces/prescale/leases';
      const lease = (await call(api, 'POST', leasePath, { metadata: { name: 'prescale-leader' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } })).body;
      assert.equal(lease.kind, 'Lease');
      const renewed = await call(api, 'PUT', `${leasePath}/prescale-leader`, { ...lease, spec: { ...lease.spec, renewTime: '2024-01-01T00:00:00.000000Z' } });
      assert.equal(renewed.status, 200);
      const lost = await call(api, 'PUT', `${leasePath}/prescale-leader`, { ...lease, spec: { ...lease.spec, holderIdentity: 'pod-b' } });
      assert.equal(lost.status, 409, 'the second writer with the old resourceVersion loses');
      assert.equal(lost.body.message, `Operation cannot be fulfilled on leases.coordination.k8s.io "prescale-leader": ${CONFLICT_MESSAGE}`);

      const secret = await call(api, 'POST', '/api/v1/namespaces/shop/secrets', { metadata: { name: 'prom' }, data: { password: Buffer.from('s3cret').toString('base64') } });
      assert.equal(secret.body.apiVersion, 'v1');
      assert.equal(secret.body.kind, 'Secret');
      await call(api, 'POST', '/api/v1/namespaces/shop/events', { metadata: { name: 'e1' }, reason: 'PlanApplied' });
      await call(api, 'POST', '/api/v1/namespaces/other/events', { metadata: { name: 'e2' }, reason: 'DryRun' });
      const all = (await call(api, 'GET', '/api/v1/events')).body;
      assert.equal(all.kind, 'EventList');
      assert.deepEqual(
        all.items.map((e: AnyJson) => e.reason),
        ['DryRun', 'PlanApplied'],
      );
    });
  });

  test('listItemTypeMeta custom-only: built-in list items have no apiVersion/kind (as on a real server), custom resources keep them', async () => {
    await withServer(
      async (api) => {
        api.create(hpa('web'));
        api.create(scaler('web'));
        const hpas = (await call(api, 'GET', HPA_PATH)).body;
        assert.equal(hpas.items[0].kind, undefined);
        const scalers = (await call(api, 'GET', PS_PATH)).body;
        assert.equal(scalers.items[0].kind, 'PredictiveScaler');
      },
      { listItemTypeMeta: 'custom-only' },
    );
  });
});

describe('fake API server through @kubernetes/client-node 1.4', () => {
  async function kubeConfig(api: FakeApiServer): Promise<k8s.KubeConfig> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(await api.writeKubeconfig(join(dir, `kubeconfig-${Date.now()}-${Math.random()}.yaml`), { namespace: 'shop' }));
    return kc;
  }

  test('writeKubeconfig: token, namespace and insecure-skip-tls-verify, without which client-node refuses an http:// server', async () => {
    await withServer(async (api) => {
      const kc = await kubeConfig(api);
      assert.equal(kc.getCurrentCluster()?.server, api.url);
      assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true);
      assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'shop');
      api.create(hpa('web'));
      const read = await kc.makeApiClient(k8s.AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web' });
      assert.equal(read.spec?.maxReplicas, 10);
      assert.equal(api.requests.at(-1)?.status, 200);

      const strictPath = join(dir, 'strict.yaml');
      await writeFile(
        strictPath,
        `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: '${api.url}'}}]
users: [{name: u, user: {token: '${api.token}'}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
      );
      const strict = new k8s.KubeConfig();
      strict.loadFromFile(strictPath);
      await assert.rejects(strict.makeApiClient(k8s.AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web' }), /HTTP protocol is not allowed when skipTLSVerify is not set or false/);
    });
  });

  test('AutoscalingV2Api: patches go out as JSON patch by default; a merge patch needs setHeaderOptions(Content-Type, MergePatch)', async () => {
    await withServer(async (api) => {
      const client = (await kubeConfig(api)).makeApiClient(k8s.AutoscalingV2Api);
      const created = await client.createNamespacedHorizontalPodAutoscaler({ namespace: 'shop', body: hpa('web') as k8s.V2HorizontalPodAutoscaler });
      assert.equal(created.metadata?.generation, 1);

      await assert.rejects(client.patchNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web', body: { spec: { minReplicas: 3 } } }), (e: k8s.ApiException<string>) => {
        assert.equal(e.code, 400);
        return true;
      });
      assert.equal(api.requests.at(-1)?.contentType, JSON_PATCH, 'the generated client picks the first JSON-like type of the spec: json-patch');

      const asJsonPatch = await client.patchNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web', body: [{ op: 'replace', path: '/spec/minReplicas', value: 3 }] });
      assert.equal(asJsonPatch.spec?.minReplicas, 3);
      const merged = await client.patchNamespacedHorizontalPodAutoscaler(
        { namespace: 'shop', name: 'web', body: { metadata: { annotations: { 'prescale.dev/original-min-replicas': '2' } }, spec: { minReplicas: 4 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      assert.equal(api.requests.at(-1)?.contentType, MERGE);
      assert.equal(merged.spec?.minReplicas, 4);
      assert.equal(merged.metadata?.annotations?.['prescale.dev/original-min-replicas'], '2');
      assert.deepEqual(
        api.history('autoscaling/v2', 'horizontalpodautoscalers', 'shop', 'web').map((o) => o.spec.minReplicas),
        [2, 3, 4],
      );

      const list = await client.listNamespacedHorizontalPodAutoscaler({ namespace: 'shop' });
      assert.equal(list.items.length, 1);
      assert.equal(list.metadata?.resourceVersion, api.resourceVersion);
    });
  });

  test('errors reach the caller as ApiException with the code and the Status body as JSON text (401 without body)', async () => {
    await withServer(async (api) => {
      const kc = await kubeConfig(api);
      const client = kc.makeApiClient(k8s.AutoscalingV2Api);
      api.create(hpa('web'));
      api.deny({ verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers' });
      await assert.rejects(
        client.patchNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web', body: { spec: { minReplicas: 3 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
        (e: k8s.ApiException<string>) => {
          assert.ok(e instanceof k8s.ApiException);
          assert.equal(e.code, 403);
          assert.equal(typeof e.body, 'string');
          assert.equal(JSON.parse(e.body).reason, 'Forbidden');
          return true;
        },
      );
      const wrong = new k8s.KubeConfig();
      wrong.loadFromOptions({
        clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
        users: [{ name: 'u', token: 'wrong' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
      await assert.rejects(wrong.makeApiClient(k8s.AutoscalingV2Api).readNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web' }), (e: k8s.ApiException<unknown>) => {
        assert.equal(e.code, 401);
        assert.equal(e.body, undefined);
        return true;
      });
    });
  });

  test('CustomObjectsApi: create a PredictiveScaler, merge-patch its status (pruned to the CRD), replace with a stale resourceVersion (409)', async () => {
    await withServer(async (api) => {
      const client = (await kubeConfig(api)).makeApiClient(k8s.CustomObjectsApi);
      const ref = { group: 'prescale.dev', version: 'v1alpha1', namespace: 'shop', plural: 'predictivescalers' };
      const created = await client.createNamespacedCustomObject({ ...ref, body: scaler('web') });
      assert.equal(created.metadata.generation, 1);
      const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      const status = { observedGeneration: 1, model: 'holt-winters', currentStep: { replicas: 4, start: '2024-01-01T00:00:00Z' }, internal: 'dropped' };
      const patched = await client.patchNamespacedCustomObjectStatus({ ...ref, name: 'web', body: { status } }, merge);
      assert.deepEqual(patched.status, { observedGeneration: 1, model: 'holt-winters', currentStep: { replicas: 4, start: '2024-01-01T00:00:00Z' } });
      assert.equal(patched.metadata.generation, 1);

      await assert.rejects(client.replaceNamespacedCustomObject({ ...ref, name: 'web', body: created }), (e: k8s.ApiException<string>) => {
        assert.equal(e.code, 409);
        assert.equal(JSON.parse(e.body).message, `Operation cannot be fulfilled on predictivescalers.prescale.dev "web": ${CONFLICT_MESSAGE}`);
        return true;
      });
      const current = await client.getNamespacedCustomObject({ ...ref, name: 'web' });
      const replaced = await client.replaceNamespacedCustomObject({ ...ref, name: 'web', body: { ...current, spec: { ...current.spec, mode: 'Enforce' } } });
      assert.equal(replaced.metadata.generation, 2);
      assert.equal(replaced.status.model, 'holt-winters');

      const listed = await client.listClusterCustomObject({ group: 'prescale.dev', version: 'v1alpha1', plural: 'predictivescalers' });
      assert.equal(listed.kind, 'PredictiveScalerList');
      assert.equal(listed.items[0].apiVersion, 'prescale.dev/v1alpha1');
      const deleted = await client.deleteNamespacedCustomObject({ ...ref, name: 'web' });
      assert.equal(deleted.kind, 'PredictiveScaler');
    });
  });

  test('AppsV1Api: read and patch the Deployment scale subresource', async () => {
    await withServer(async (api) => {
      api.create(deployment('web', 3));
      const client = (await kubeConfig(api)).makeApiClient(k8s.AppsV1Api);
      const scale = await client.readNamespacedDeploymentScale({ namespace: 'shop', name: 'web' });
      assert.equal(scale.spec?.replicas, 3);
      assert.equal(scale.status?.selector, 'app=web,tier=web');
      const patched = await client.patchNamespacedDeploymentScale({ namespace: 'shop', name: 'web', body: { spec: { replicas: 5 } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      assert.equal(patched.spec?.replicas, 5);
      assert.equal(api.get('apps/v1', 'Deployment', 'shop', 'web')?.spec.replicas, 5);
      const replaced = await client.replaceNamespacedStatefulSetScale({ namespace: 'shop', name: 'db', body: { metadata: { name: 'db' }, spec: { replicas: 1 } } }).catch((e: k8s.ApiException<string>) => e.code);
      assert.equal(replaced, 404);
    });
  });

  test('CoordinationV1Api and CoreV1Api: a lease taken over with replace, events created, secrets read', async () => {
    await withServer(async (api) => {
      const kc = await kubeConfig(api);
      const leases = kc.makeApiClient(k8s.CoordinationV1Api);
      const lease = await leases.createNamespacedLease({ namespace: 'prescale', body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: new k8s.V1MicroTime() } } });
      const renewed = await leases.replaceNamespacedLease({ namespace: 'prescale', name: 'leader', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } });
      assert.equal(renewed.spec?.holderIdentity, 'b');
      await assert.rejects(leases.replaceNamespacedLease({ namespace: 'prescale', name: 'leader', body: lease }), (e: k8s.ApiException<string>) => e.code === 409);

      const core = kc.makeApiClient(k8s.CoreV1Api);
      const event = await core.createNamespacedEvent({
        namespace: 'shop',
        body: { metadata: { generateName: 'web.' }, involvedObject: { kind: 'PredictiveScaler', name: 'web', namespace: 'shop' }, reason: 'PlanApplied', message: 'floor 4', type: 'Normal' },
      });
      assert.match(event.metadata?.name ?? '', /^web\./);
      assert.equal(api.list('v1', 'Event', 'shop')[0]?.reason, 'PlanApplied');
      api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prom', namespace: 'shop' }, data: { password: Buffer.from('pw').toString('base64') } });
      const secret = await core.readNamespacedSecret({ namespace: 'shop', name: 'prom' });
      assert.equal(Buffer.from(secret.data?.password ?? '', 'base64').toString(), 'pw');
    });
  });

  test('KubernetesObjectApi finds resources through discovery and patches with its default strategic merge (refused for custom resources)', async () => {
    await withServer(async (api) => {
      const client = k8s.KubernetesObjectApi.makeApiClient(await kubeConfig(api));
      api.create(hpa('web'));
      const read = await client.read({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'shop' } });
      assert.equal(read.metadata?.name, 'web');
      const patched = await client.patch({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'shop' }, spec: { minReplicas: 6 } } as k8s.KubernetesObject);
      assert.equal((patched as KubeObject).spec.minReplicas, 6);
      api.create(scaler('web'));
      await assert.rejects(client.patch({ apiVersion: 'prescale.dev/v1alpha1', kind: 'PredictiveScaler', metadata: { name: 'web', namespace: 'shop' }, spec: { mode: 'Enforce' } } as k8s.KubernetesObject), (e: k8s.ApiException<string>) => e.code === 415);
    });
  });

  test('informer (makeInformer/ListWatch): lists, then watches; after a clean cut it resumes from its resourceVersion, after a compaction it relists (410)', async () => {
    await withServer(async (api) => {
      const kc = await kubeConfig(api);
      const client = kc.makeApiClient(k8s.AutoscalingV2Api);
      api.create(hpa('a'));
      const seen: string[] = [];
      const informer = k8s.makeInformer(kc, HPA_PATH, () => client.listNamespacedHorizontalPodAutoscaler({ namespace: 'shop' }));
      informer.on('add', (o) => seen.push(`add ${o.metadata?.name} ${o.spec?.minReplicas}`));
      informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.spec?.minReplicas}`));
      informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
      informer.on('error', (e) => seen.push(`error ${(e as Error).message}`));
      try {
        await informer.start();
        await api.waitFor(() => api.openWatches === 1, 2000, 'the informer watch');
        api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 3 } });
        await api.waitFor(() => seen.length === 2, 2000, 'the update');

        api.cutWatches({ clean: true });
        api.create(hpa('b'));
        await api.waitFor(() => seen.length === 3, 2000, 'the add after the reconnect');
        const watches = api.requests.filter((r) => r.query.watch === 'true');
        assert.equal(watches.length, 2);
        assert.equal(watches[1]!.query.resourceVersion, informer.get('a', 'shop')?.metadata?.resourceVersion, 'resumed from the last seen resourceVersion');
        assert.equal(api.requests.filter((r) => r.method === 'GET' && r.query.watch === undefined).length, 1, 'no relist');

        await api.waitFor(() => api.openWatches === 1, 2000, 'the resumed watch');
        api.cutWatches({ clean: true });
        api.delete('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a');
        api.compact();
        await api.waitFor(() => seen.length === 4, 3000, 'the delete found by the relist');
        assert.ok(api.requests.some((r) => r.query.watch === 'true' && r.status === 200 && Number(r.query.resourceVersion) < Number(api.resourceVersion)));
        assert.equal(api.requests.filter((r) => r.method === 'GET' && r.query.watch === undefined).length, 2, 'relisted after 410');
        assert.deepEqual(seen, ['add a 2', 'update a 3', 'add b 2', 'delete a']);
        assert.deepEqual(
          informer.list('shop').map((o) => o.metadata?.name),
          ['b'],
        );

        await api.waitFor(() => api.openWatches === 1, 2000, 'the watch after the relist');
        api.cutWatches({});
        await api.waitFor(() => seen.length === 5, 2000, 'the error');
        assert.equal(seen[4], 'error Premature close', 'an abrupt cut stops the informer with an error; it does not restart by itself');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(api.openWatches, 0);
      } finally {
        await informer.stop();
      }
    });
  });

  test('Watch: events arrive as (phase, object); a too-old resourceVersion arrives as an ERROR phase with a 410 Status, then done(null)', async () => {
    await withServer(async (api) => {
      const kc = await kubeConfig(api);
      const first = api.create(hpa('a'));
      api.patch('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'a', { spec: { minReplicas: 7 } });
      const phases: string[] = [];
      let done: unknown = 'not yet';
      const watch = new k8s.Watch(kc);
      const controller = await watch.watch(
        HPA_PATH,
        { resourceVersion: first.metadata.resourceVersion },
        (phase, obj) => phases.push(`${phase} ${obj.spec?.minReplicas}`),
        (err) => (done = err),
      );
      await api.waitFor(() => phases.length === 1, 2000, 'the replayed event');
      assert.deepEqual(phases, ['MODIFIED 7']);
      controller.abort();

      api.compact();
      const expired: { phase: string; obj: AnyJson }[] = [];
      await watch.watch(HPA_PATH, { resourceVersion: first.metadata.resourceVersion }, (phase, obj) => expired.push({ phase, obj }), (err) => (done = err));
      await api.waitFor(() => done === null, 2000, 'done(null)');
      assert.equal(expired.length, 1);
      assert.equal(expired[0]!.phase, 'ERROR');
      assert.equal(expired[0]!.obj.code, 410);
      assert.equal(expired[0]!.obj.reason, 'Expired');

      api.failNext({ verb: 'watch', status: 500 });
      let failure: AnyJson;
      await watch.watch(HPA_PATH, {}, () => undefined, (err) => (failure = err));
      await api.waitFor(() => failure !== undefined, 2000, 'the failed watch');
      assert.equal(failure.statusCode, 500, 'a watch refused with a non-200 status reaches done(err) with statusCode');
    });
  });
});
