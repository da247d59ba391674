import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import { parseScaler, type Scaler } from '../../../src/config/scaler.js';
import { gridFloor, refitAtFor, refitSchedule } from '../../../src/control/schedule.js';

function scaler(name: string, namespace = 'shop', extra = ''): Scaler {
  const r = parseScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load${extra} }
  capacity: { perReplica: 10 }
  minReplicas: 1
  maxReplicas: 50
`,
    'test.yaml',
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.scaler;
}

test('refits of 2,000 scalers spread over the hour and their searches over the day', () => {
  const perMinute = new Array<number>(60).fill(0);
  const perHour = new Array<number>(24).fill(0);
  for (let i = 0; i < 2000; i++) {
    const r = refitSchedule(scaler(`app-${i}`, `team-${i % 20}`));
    assert.equal(r.intervalMs, HOUR_MS);
    assert.equal(r.phaseMs % MINUTE_MS, 0, 'on the tick grid');
    assert.ok(r.phaseMs >= 0 && r.phaseMs < HOUR_MS);
    assert.equal((r.searchPhaseMs - r.phaseMs) % HOUR_MS, 0, 'the search is one of the refits');
    assert.ok(r.searchPhaseMs >= 0 && r.searchPhaseMs < DAY_MS);
    perMinute[r.phaseMs / MINUTE_MS]!++;
    perHour[Math.floor(r.searchPhaseMs / HOUR_MS)]!++;
  }
  // 33 a minute on average; a hash leaves some unevenness, never a burst.
  assert.ok(Math.max(...perMinute) <= 60 && Math.min(...perMinute) >= 12, perMinute.join(','));
  assert.ok(Math.max(...perHour) <= 130 && Math.min(...perHour) >= 40, perHour.join(','));
});

test('a scaler\'s phase depends only on its namespace and name (the same in the operator, a dry-run and after a restart)', () => {
  assert.deepEqual(refitSchedule(scaler('web')), refitSchedule(scaler('web')));
  assert.notDeepEqual(refitSchedule(scaler('web')), refitSchedule(scaler('web', 'other')));
  const s = scaler('web');
  const { phaseMs } = refitSchedule(s);
  const t = Date.UTC(2024, 0, 15, 6, 59, 30);
  const at = refitAtFor(s, t);
  assert.ok(at <= t && t - at < HOUR_MS);
  assert.equal((at - phaseMs) % HOUR_MS, 0);
  assert.equal(refitAtFor(s, at), at, 'a refit time is its own grid point');
  assert.equal(refitAtFor(s, at - 1), at - HOUR_MS);
});

test('with a 5-minute metric step the phase falls on the step grid', () => {
  for (let i = 0; i < 200; i++) assert.equal(refitSchedule(scaler(`app-${i}`, 'shop', ', step: 5m')).phaseMs % (5 * MINUTE_MS), 0);
});

test('gridFloor with a phase', () => {
  assert.equal(gridFloor(125, 60, 7), 67);
  assert.equal(gridFloor(67, 60, 7), 67);
  assert.equal(gridFloor(5, 60, 7), -53);
});
