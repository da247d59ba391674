/**
 * Kubernetes API objects as the operator reads them, with fields missing or of the wrong type (or
 * no object at all, as an empty 200 body gives): HPAs under the floor actuator and `restore`, scale
 * subresources under the workload actuator, Leases under leader election, and PredictiveScalers
 * (metadata, finalizers, generation, status) under a whole controller pass. An in-memory API client
 * answers with the generated object and records every write.
 *
 * Nothing throws but the project's own errors, which name the object and the field; every write is
 * well-typed: minReplicas a whole count within [the HPA's own minReplicas, its maxReplicas], the
 * original recorded as a decimal string, Lease fields of their API types, status conditions with
 * CamelCase reasons. A Lease another holder renews is never taken on first sight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimulatedClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import { HpaFloorActuator, ORIGINAL_MIN_ANNOTATION } from '../../../src/actuate/hpa-floor.js';
import type { Kube, KubeRequest } from '../../../src/actuate/kube.js';
import { WorkloadScaleActuator } from '../../../src/actuate/workload-scale.js';
import { ScalerController } from '../../../src/operator/controller.js';
import { EventRecorder } from '../../../src/operator/events.js';
import type { ScalerObject } from '../../../src/operator/informer.js';
import { LeaderElector } from '../../../src/operator/leader.js';
import { restoreAll } from '../../../src/operator/restore.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createOperatorMetrics } from '../../../src/telemetry/metrics.js';
import { anyValue, runs } from './fc.js';

const T0 = Date.UTC(2025, 3, 1, 12);

/** An API client that answers from `answer` and records every request. */
class FakeKube implements Kube {
  readonly requests: KubeRequest[] = [];
  constructor(private readonly answer: (req: KubeRequest) => unknown) {}
  async request<T>(req: KubeRequest): Promise<T> {
    this.requests.push(req);
    return this.answer(req) as T;
  }
  writes(): KubeRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }
}

type Path = string[];
function withField(base: Record<string, unknown>, path: Path, value: unknown, remove: boolean): Record<string, unknown> {
  const obj = structuredClone(base);
  let parent: Record<string, unknown> = obj;
  for (const seg of path.slice(0, -1)) {
    const next = parent[seg];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return obj;
    parent = next as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete parent[last];
  else parent[last] = value;
  return obj;
}

/** A valid object with up to three fields replaced by anything or removed; sometimes no object at all. */
function objects(base: Record<string, unknown>, paths: Path[], extra: fc.Arbitrary<unknown> = anyValue()): fc.Arbitrary<unknown> {
  const change = fc.record({ path: fc.constantFrom(...paths), value: fc.oneof(anyValue(), extra), remove: fc.boolean() });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(base) },
    { weight: 8, arbitrary: fc.array(change, { minLength: 1, maxLength: 3 }).map((cs) => cs.reduce((o, c) => withField(o, c.path, c.value, c.remove), base)) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 'x', [], 7) },
  );
}

/** A replica count as the Kubernetes API types it (int32, not negative). */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483_647;
/** metadata.generation is an int64: any non-negative integer a number holds exactly. */
const isGeneration = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// ---------------------------------------------------------------------------------------------
// HPAs

const HPA = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '1001', annotations: { [ORIGINAL_MIN_ANNOTATION]: '2' } },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 4, maxReplicas: 20 },
};
const HPA_PATHS: Path[] = [['metadata'], ['metadata', 'resourceVersion'], ['metadata', 'annotations'], ['metadata', 'annotations', ORIGINAL_MIN_ANNOTATION], ['spec'], ['spec', 'minReplicas'], ['spec', 'maxReplicas']];
const counts = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constantFrom<unknown>('3', '03', '-1', '1e3', '2.5', ' 2', 2.5, -1, 2 ** 40, 2 ** 31 - 1, 2 ** 31, '2147483647', '9999999999'));

/** What a valid HPA (all fields of their types) must become under a floor: clamp(floor, original, max). */
function expectedFloor(hpa: unknown, floor: number): { min: number; original: number; max: number } | undefined {
  const h = hpa as { metadata?: { annotations?: Record<string, unknown>; resourceVersion?: unknown }; spec?: { minReplicas?: unknown; maxReplicas?: unknown } } | undefined;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return undefined;
  const meta = h.metadata;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) return undefined;
  const ann = meta?.annotations;
  if (ann !== undefined && (typeof ann !== 'object' || ann === null || Array.isArray(ann))) return undefined;
  const raw = ann?.[ORIGINAL_MIN_ANNOTATION];
  if (raw !== undefined && !(typeof raw === 'string' && /^\d{1,10}$/.test(raw) && isCount(Number(raw)))) return undefined;
  if (meta?.resourceVersion !== undefined && typeof meta.resourceVersion !== 'string') return undefined;
  const spec = h.spec;
  if (spec !== undefined && (typeof spec !== 'object' || spec === null || Array.isArray(spec))) return undefined;
  const min = spec?.minReplicas ?? 1;
  const max = spec?.maxReplicas;
  if (!isCount(min) || (max !== undefined && !isCount(max))) return undefined;
  const original = raw === undefined ? min : Number(raw);
  return { min, original, max: (max as number | undefined) ?? Infinity, ...{ want: Math.max(original, Math.min(floor, (max as number | undefined) ?? Infinity)) } };
}

function checkRejection(e: unknown, names: RegExp): void {
  assert.ok(isPrescaleError(e), `not the project's own error: ${e instanceof Error ? e.stack : String(e)}`);
  assert.match(e.message, names, 'the error names the object');
}

test('HPA floor: any HPA the API hands back gives a whole floor within [original, maxReplicas], or an error naming the HPA and field', async () => {
  const hpas = objects(HPA, HPA_PATHS, counts);
  await fc.assert(
    fc.asyncProperty(hpas, fc.integer({ min: 0, max: 100 }), fc.boolean(), async (hpa, floor, restore) => {
      const kube = new FakeKube((r) => (r.method === 'GET' ? structuredClone(hpa) : {}));
      const a = new HpaFloorActuator(kube, { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      const valid = expectedFloor(hpa, floor) as ({ min: number; original: number; max: number; want: number } | undefined);
      try {
        await a.apply({ atMs: T0, scaler: 'shop/web', floor, reason: 'PlanApplied', detail: 'test', ...(restore ? { restore } : {}) });
      } catch (e) {
        checkRejection(e, /HorizontalPodAutoscaler shop\/web/);
        assert.equal(valid, undefined, `a valid HPA is not refused: ${String(e)}`);
        assert.equal(kube.writes().length, 0, 'nothing is written to an HPA that could not be read');
        return;
      }
      assert.ok(a.last && isCount(a.last.replicas), `the state in force is a count: ${JSON.stringify(a.last)}`);
      for (const w of kube.writes()) {
        const body = w.body as { spec?: { minReplicas?: unknown }; metadata?: { annotations?: Record<string, unknown>; resourceVersion?: unknown } };
        assert.ok(isCount(body.spec?.minReplicas), `minReplicas written: ${JSON.stringify(body)}`);
        const ann = body.metadata?.annotations?.[ORIGINAL_MIN_ANNOTATION];
        assert.ok(ann === undefined || ann === null || (typeof ann === 'string' && /^\d{1,10}$/.test(ann) && isCount(Number(ann))), `annotation written: ${JSON.stringify(ann)}`);
        assert.ok(body.metadata?.resourceVersion === undefined || typeof body.metadata.resourceVersion === 'string');
      }
      if (valid) {
        const written = kube.writes().at(-1)?.body as { spec: { minReplicas: number } } | undefined;
        const now = written?.spec.minReplicas ?? ((hpa as typeof HPA | undefined)?.spec?.minReplicas ?? 1);
        if (!restore) assert.equal(now, valid.want, `floor ${floor} on ${JSON.stringify(valid)}`);
        else assert.equal(now, valid.original === valid.min && written === undefined ? valid.min : valid.original);
      }
    }),
    {
      ...runs<[unknown, number, boolean]>(400),
      // Found by this property: minReplicas "" was written back as 0 (NaN in a merge patch is null),
      // an empty answer threw TypeError, and 2^40 was recorded as an annotation that cannot be read back.
      examples: [[withField(HPA, ['spec', 'minReplicas'], '', false), 5, false], [undefined, 5, false], [withField(withField(HPA, ['spec', 'minReplicas'], 2 ** 40, false), ['metadata', 'annotations'], {}, false), 5, false]],
    },
  );
});

test('restore of every annotated HPA: any list the API hands back is restored or reported per HPA, never thrown', async () => {
  const lists = fc.oneof(
    fc.array(objects(HPA, HPA_PATHS, counts), { maxLength: 4 }).map((items) => ({ items })),
    fc.constantFrom<unknown>(undefined, null, {}, { items: null }, { items: 'x' }, { items: [null, 7, 'x'] }),
  );
  await fc.assert(
    fc.asyncProperty(lists, async (list) => {
      const kube = new FakeKube((r) => (r.method === 'GET' && r.path.endsWith('horizontalpodautoscalers') ? list : r.method === 'GET' ? HPA : {}));
      const r = await restoreAll(kube, new SimulatedClock(T0), ['shop']);
      for (const f of r.failed) assert.ok(typeof f.error === 'string' && f.error !== '');
    }),
    { ...runs<[unknown]>(200), examples: [[undefined], [{ items: [null] }]] },
  );
});

// ---------------------------------------------------------------------------------------------
// Scale subresources

const SCALE = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' }, spec: { replicas: 3 } };

test('workload scale: any Scale the API hands back is raised to a whole floor, or an error naming the workload', async () => {
  await fc.assert(
    fc.asyncProperty(objects(SCALE, [['metadata'], ['metadata', 'resourceVersion'], ['spec'], ['spec', 'replicas']], counts), fc.integer({ min: 0, max: 100 }), async (scale, floor) => {
      const kube = new FakeKube((r) => (r.method === 'GET' ? structuredClone(scale) : {}));
      const a = new WorkloadScaleActuator(kube, 'Deployment', { namespace: 'shop', name: 'web' }, new SimulatedClock(T0));
      try {
        await a.apply({ atMs: T0, scaler: 'shop/web', floor, reason: 'PlanApplied', detail: 'test' });
      } catch (e) {
        checkRejection(e, /Deployment shop\/web/);
        assert.equal(kube.writes().length, 0);
        return;
      }
      assert.ok(a.last && isCount(a.last.replicas), `the state in force is a count: ${JSON.stringify(a.last)}`);
      for (const w of kube.writes()) {
        const body = w.body as { spec: { replicas: unknown } };
        assert.equal(body.spec.replicas, floor, 'raised to the floor');
      }
    }),
    { ...runs<[unknown, number]>(300), examples: [[undefined, 0], [withField(SCALE, ['spec', 'replicas'], {}, false), 4]] },
  );
});

// ---------------------------------------------------------------------------------------------
// Leases

const ME = 'op-a_1234';
const LEASE_SPEC = { holderIdentity: 'op-b_5678', leaseDurationSeconds: 15, acquireTime: '2025-04-01T11:00:00.000000Z', renewTime: '2025-04-01T11:59:59.000000Z', leaseTransitions: 3 };
const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'prescale-operator', namespace: 'prescale', resourceVersion: '55' }, spec: LEASE_SPEC };
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

test('leader election: any Lease is renewed, taken or left with well-typed writes; one another holder renews is never taken on first sight', async () => {
  const leases = objects(LEASE, [['metadata'], ['spec'], ['spec', 'holderIdentity'], ['spec', 'leaseDurationSeconds'], ['spec', 'leaseTransitions'], ['spec', 'renewTime'], ['spec', 'acquireTime']], fc.constantFrom<unknown>(ME, '', 'op-b_5678', '15', 0, -5, 1.5, 1e9));
  await fc.assert(
    fc.asyncProperty(leases, async (lease) => {
      const kube = new FakeKube((r) => (r.method === 'GET' ? structuredClone(lease) : {}));
      const stop = new AbortController();
      // One acquire-or-renew: the clock's first sleep ends the run (a leader then releases).
      const clock = new SimulatedClock(T0);
      clock.sleep = async () => stop.abort();
      const errors: string[] = [];
      let led = false;
      await new LeaderElector(kube, clock, { namespace: 'prescale', name: 'prescale-operator' }, ME).run({ onStartedLeading: () => (led = true), onStoppedLeading: () => undefined, onError: (m) => errors.push(m) }, stop.signal);
      for (const m of errors) assert.match(m, /^lease prescale\/prescale-operator: /);
      const spec = (lease as typeof LEASE | undefined)?.spec as Record<string, unknown> | undefined;
      const heldByOther = typeof spec?.holderIdentity === 'string' && spec.holderIdentity !== '' && spec.holderIdentity !== ME && isCount(spec.leaseDurationSeconds) && spec.leaseDurationSeconds > 0;
      if (heldByOther) assert.ok(!led && kube.writes().length === 0, 'a lease another holder renews is not taken on first sight');
      for (const w of kube.writes()) {
        const s = (w.body as { spec?: Record<string, unknown> }).spec!;
        assert.equal(typeof s.holderIdentity, 'string');
        assert.ok(isCount(s.leaseDurationSeconds) && s.leaseDurationSeconds >= 1, `leaseDurationSeconds ${JSON.stringify(s.leaseDurationSeconds)}`);
        assert.ok(s.leaseTransitions === undefined || isCount(s.leaseTransitions), `leaseTransitions ${JSON.stringify(s.leaseTransitions)}`);
        assert.match(String(s.renewTime), MICRO);
      }
    }),
    {
      ...runs<[unknown]>(300),
      // Found by this property: a string leaseTransitions was written back as "31" (string + 1), also on release.
      examples: [[withField(LEASE, ['spec', 'leaseTransitions'], '3', false)], [withField(withField(LEASE, ['spec', 'holderIdentity'], ME, false), ['spec', 'leaseTransitions'], [], false)]],
    },
  );
});

// ---------------------------------------------------------------------------------------------
// PredictiveScalers under a whole controller pass

const SCALER = {
  apiVersion: 'prescale.dev/v1alpha1',
  kind: 'PredictiveScaler',
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', generation: 3, resourceVersion: '900', finalizers: ['prescale.dev/restore'] },
  spec: { mode: 'Enforce', target: { kind: 'HorizontalPodAutoscaler', name: 'web' }, metric: { query: 'sum(rate(http_requests_total[2m]))' }, capacity: { perReplica: 50 }, forecast: { refitInterval: '1m' }, maxReplicas: 20 },
  status: {
    observedGeneration: 2,
    lastDataTime: '2025-04-01T11:58:00Z',
    conditions: [{ type: 'Active', status: 'False', reason: 'ForecastInaccurate', message: 'x', lastTransitionTime: '2025-04-01T10:00:00Z' }],
  },
};
const SCALER_PATHS: Path[] = [
  ['metadata', 'generation'], ['metadata', 'finalizers'], ['metadata', 'deletionTimestamp'], ['metadata', 'uid'], ['metadata', 'resourceVersion'],
  ['spec'], ['spec', 'mode'], ['spec', 'target'], ['spec', 'maxReplicas'], ['spec', 'metric'],
  ['status'], ['status', 'conditions'], ['status', 'lastDataTime'], ['status', 'observedGeneration'],
];
const scalerValues = fc.constantFrom<unknown>('2025-04-01T12:00:00Z', 'prescale.dev/restore', ['prescale.dev/restore', 'other'], [null, 7], [{ type: 'Active' }], 'DryRun', 3.5, -1);

test('controller pass: any PredictiveScaler ends in a well-formed status write, or an error of the project naming the scaler', async () => {
  const scalers = objects(SCALER, SCALER_PATHS, scalerValues).filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o));
  await fc.assert(
    fc.asyncProperty(scalers, async (raw) => {
      // The informer keys objects by namespace and name, which the API server always sets.
      const obj = { ...raw, metadata: { ...(raw.metadata as object), name: 'web', namespace: 'shop' } } as ScalerObject;
      const kube = new FakeKube((r) => {
        if (r.method === 'GET' && r.path.includes('/predictivescalers/')) return structuredClone(obj);
        if (r.method === 'GET' && r.path.includes('/horizontalpodautoscalers/')) return structuredClone(HPA);
        return {};
      });
      const clock = new SimulatedClock(T0);
      const logger = createLogger({ level: 'silent' });
      const controller = new ScalerController({
        kube,
        clock,
        logger,
        metrics: createOperatorMetrics({ processMetrics: false }),
        events: new EventRecorder(kube, clock, logger, 'test'),
        // Nothing listens there: a read fails at once (connection refused), as Prometheus down does.
        defaultPrometheus: 'http://127.0.0.1:9',
        allowedPrometheus: [],
      });
      let next: number | undefined;
      try {
        next = await controller.pass(obj, 'shop/web');
      } catch (e) {
        checkRejection(e, /shop\/web|PredictiveScaler/);
        return;
      }
      assert.ok(next === undefined || Number.isFinite(next), `the next pass is a time: ${next}`);
      for (const w of kube.writes().filter((r) => r.path.endsWith('/status'))) {
        const status = (w.body as { status: Record<string, unknown> }).status;
        const conditions = status.conditions as Array<Record<string, unknown>>;
        assert.ok(Array.isArray(conditions) && conditions.length === 3, 'three conditions');
        for (const c of conditions) {
          assert.ok(['Ready', 'Active', 'ForecastReady'].includes(c.type as string));
          assert.ok(['True', 'False', 'Unknown'].includes(c.status as string));
          assert.match(String(c.reason), /^[A-Z][A-Za-z]*$/);
          assert.equal(typeof c.message, 'string');
          assert.match(String(c.lastTransitionTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
          assert.ok(c.observedGeneration === undefined || isGeneration(c.observedGeneration), `observedGeneration ${JSON.stringify(c.observedGeneration)}`);
        }
        // null removes the field (merge patch) when the generation read is not a count.
        assert.ok(status.observedGeneration === undefined || status.observedGeneration === null || isGeneration(status.observedGeneration), `status.observedGeneration ${JSON.stringify(status.observedGeneration)}`);
      }
      for (const w of kube.writes().filter((r) => r.path.endsWith('/predictivescalers/web'))) {
        const fin = (w.body as { metadata: { finalizers?: unknown } }).metadata.finalizers;
        assert.ok(Array.isArray(fin) && fin.every((f) => typeof f === 'string'), `finalizers written: ${JSON.stringify(fin)}`);
      }
    }),
    {
      ...runs<[Record<string, unknown>]>(120),
      // Found by this property: a generation "" was written as observedGeneration, conditions that
      // are not a list threw TypeError, and finalizers as a string matched ours as a substring.
      examples: [[withField(SCALER, ['metadata', 'generation'], '', false)], [withField(SCALER, ['status', 'conditions'], 'x', false)], [withField(withField(SCALER, ['metadata', 'finalizers'], 7, false), ['metadata', 'deletionTimestamp'], '2025-04-01T12:00:00Z', false)]],
    },
  );
});
