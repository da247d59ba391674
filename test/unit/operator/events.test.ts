/**
 * Kubernetes Events on PredictiveScalers (src/operator/events.ts) written to the fake API server:
 * core/v1 Events about the scaler, rate-limited per scaler and reason, and best effort (a refused
 * POST is logged, never thrown).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SimulatedClock } from '../../../src/core/clock.js';
import { EventRecorder, RATE_MS } from '../../../src/operator/events.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { requestsTo, withKube } from './kube-fixture.js';

const T0 = Date.parse('2025-03-01T12:34:56.789Z');
const SCALER = { apiVersion: 'prescale.dev/v1alpha1', metadata: { name: 'web', namespace: 'shop', uid: '1234-uid', resourceVersion: '42' } };

/** A logger whose JSON lines the test can read. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', stream }), lines };
}

describe('EventRecorder', () => {
  test('a Normal event is a core/v1 Event about the scaler, with type, reason, message, source and timestamps', async () => {
    await withKube(async ({ api, kube }) => {
      const { logger } = capturedLogger();
      const events = new EventRecorder(kube, new SimulatedClock(T0), logger, 'pod-a_1234');
      await events.normal(SCALER, 'FloorRaised', 'floor 3 -> 5: the plan steps up at 09:00');

      const stored = api.list('v1', 'Event', 'shop');
      assert.equal(stored.length, 1);
      const e = stored[0]!;
      assert.equal(e.apiVersion, 'v1');
      assert.equal(e.kind, 'Event');
      assert.match(e.metadata.name!, /^web\.[a-z0-9]+$/, 'generated from the scaler\'s name');
      assert.deepEqual(e.involvedObject, { apiVersion: 'prescale.dev/v1alpha1', kind: 'PredictiveScaler', name: 'web', namespace: 'shop', uid: '1234-uid', resourceVersion: '42' });
      assert.equal(e.type, 'Normal');
      assert.equal(e.reason, 'FloorRaised');
      assert.equal(e.message, 'floor 3 -> 5: the plan steps up at 09:00');
      assert.deepEqual(e.source, { component: 'prescale' });
      assert.equal(e.reportingComponent, 'prescale.dev/operator');
      assert.equal(e.reportingInstance, 'pod-a_1234');
      assert.equal(e.firstTimestamp, '2025-03-01T12:34:56Z', 'Time: whole seconds');
      assert.equal(e.lastTimestamp, '2025-03-01T12:34:56Z');
      assert.equal(e.eventTime, '2025-03-01T12:34:56.789000Z', 'MicroTime');
      assert.equal(e.count, 1);
      assert.equal(requestsTo(api, 'POST', '/api/v1/namespaces/shop/events').length, 1);
    });
  });

  test('a Warning event has type Warning; long messages are cut to 1 KiB', async () => {
    await withKube(async ({ api, kube }) => {
      const events = new EventRecorder(kube, new SimulatedClock(T0), capturedLogger().logger, 'pod-a');
      await events.warn(SCALER, 'MetricsUnavailable', 'x'.repeat(5000));
      const e = api.list('v1', 'Event', 'shop')[0]!;
      assert.equal(e.type, 'Warning');
      assert.equal(e.reason, 'MetricsUnavailable');
      assert.equal((e.message as string).length, 1024);
    });
  });

  test('the same scaler and reason within RATE_MS is written once; another reason or scaler is not held back', async () => {
    await withKube(async ({ api, kube }) => {
      const clock = new SimulatedClock(T0);
      const events = new EventRecorder(kube, clock, capturedLogger().logger, 'pod-a');
      const reasons = (): string[] =>
        api
          .list('v1', 'Event')
          .map((e) => {
            const o = e.involvedObject as { namespace: string; name: string };
            return `${o.namespace}/${o.name} ${e.reason}`;
          })
          .sort();

      await events.warn(SCALER, 'MetricsUnavailable', 'first');
      clock.advance(60_000);
      await events.warn(SCALER, 'MetricsUnavailable', 'second');
      clock.advance(RATE_MS - 60_001);
      await events.warn(SCALER, 'MetricsUnavailable', 'third, 1 ms before the window ends');
      assert.equal(api.list('v1', 'Event').length, 1);
      assert.equal(api.list('v1', 'Event')[0]!.message, 'first');

      await events.warn(SCALER, 'ForecastStale', 'another reason');
      await events.warn({ metadata: { name: 'api', namespace: 'shop' } }, 'MetricsUnavailable', 'another scaler');
      await events.warn({ metadata: { name: 'web', namespace: 'other' } }, 'MetricsUnavailable', 'same name, another namespace');
      assert.equal(api.list('v1', 'Event').length, 4);

      clock.advance(1);
      await events.warn(SCALER, 'MetricsUnavailable', 'after the window');
      assert.deepEqual(reasons(), ['other/web MetricsUnavailable', 'shop/api MetricsUnavailable', 'shop/web ForecastStale', 'shop/web MetricsUnavailable', 'shop/web MetricsUnavailable']);
      assert.equal(requestsTo(api, 'POST', /\/events$/).length, 5, 'held-back events are not sent at all');
    });
  });

  test('a refused POST is logged as a warning, never thrown', async () => {
    await withKube(async ({ api, kube }) => {
      const { logger, lines } = capturedLogger();
      const events = new EventRecorder(kube, new SimulatedClock(T0), logger, 'pod-a');
      api.deny({ verb: 'create', group: '', resource: 'events' });
      await events.normal(SCALER, 'FloorRaised', 'floor 3 -> 5');
      assert.equal(api.list('v1', 'Event').length, 0);
      const warn = lines.find((l) => l.msg === 'event FloorRaised not recorded');
      assert.ok(warn, JSON.stringify(lines));
      assert.equal(warn.level, 40);
      assert.equal(warn.namespace, 'shop');
      assert.equal(warn.name, 'web');
      assert.match(String(warn.err), /403 Forbidden: .*cannot create resource "events"/);

      api.failNext({ verb: 'create', resource: 'events', status: 500 });
      api.allow({ verb: 'create', group: '', resource: 'events' });
      await assert.doesNotReject(events.warn(SCALER, 'MetricsUnavailable', 'down'));
      assert.ok(lines.some((l) => l.msg === 'event MetricsUnavailable not recorded' && /500/.test(String(l.err))));
    });
  });

  test('an object without a namespace gets its event in default', async () => {
    await withKube(async ({ api, kube }) => {
      const events = new EventRecorder(kube, new SimulatedClock(T0), capturedLogger().logger, 'pod-a');
      await events.normal({ metadata: { name: 'lonely' } }, 'DryRun', 'only logging');
      const e = api.list('v1', 'Event', 'default');
      assert.equal(e.length, 1);
      assert.equal((e[0]!.involvedObject as { namespace: string }).namespace, 'default');
    });
  });
});
