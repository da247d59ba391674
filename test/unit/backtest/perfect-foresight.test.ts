/** The perfect-foresight floor covers the lead time in force: the spec's, or the one learned at each refit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScaler } from '../../../src/config/scaler.js';
import { perfectForesightFloorAt } from '../../../src/backtest/policies.js';
import { refitAtFor } from '../../../src/control/schedule.js';

const MIN = 60_000;

function scaler(leadTime: string) {
  const r = parseScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load }
  capacity: { perReplica: 100 }
  plan: { leadTime: ${leadTime} }
  minReplicas: 1
  maxReplicas: 20
`,
    'web.yaml',
  );
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.scaler;
}

/** 100 a minute for 3 hours, 1,000 in minute 120 only. */
const load = { startMs: 0, stepMs: MIN, values: Float64Array.from({ length: 180 }, (_, i) => (i === 120 ? 1000 : 100)) };

test('a fixed lead time: the floor covers the peak from leadTime before it', () => {
  const floorAt = perfectForesightFloorAt(load, scaler('5m'));
  assert.equal(floorAt(114 * MIN), 1);
  assert.equal(floorAt(115 * MIN), 10);
  assert.equal(floorAt(120 * MIN), 10);
  assert.equal(floorAt(121 * MIN), 1);
});

test('a learned lead time: the floor at each minute covers the lead time its refit planned with', () => {
  const sc = scaler('auto');
  const asked: number[] = [];
  const floorAt = perfectForesightFloorAt(load, sc, (atMs) => {
    asked.push(atMs);
    return 15 * MIN;
  });
  assert.equal(floorAt(104 * MIN), 1);
  assert.equal(floorAt(105 * MIN), 10, '15 minutes ahead, not the 5m fallback');
  assert.ok(asked.every((t) => t === refitAtFor(sc, t)), 'asked at refit times');
});
