/**
 * The event calendar through the control loop (src/control/reconcile.ts): a scaler's
 * `spec.forecast.events` reach the engine, and the decision note names the event in force.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock } from '../../../src/core/clock.js';
import { DAY_MS, HOUR_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import type { Scaler } from '../../../src/config/scaler.js';
import type { FloorDecision } from '../../../src/actuate/actuator.js';
import { initialState, reconcile } from '../../../src/control/reconcile.js';
import { describeEvents } from '../../../src/forecast/events/index.js';
import { STEP, T0, fourteenDays, testScaler } from '../../support/control-fixtures.js';

function scaler(events: string): Scaler {
  return testScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load, step: 5m, history: 14d }
  capacity: { perReplica: 10 }
  forecast:
    horizon: 6h
    refitInterval: 1h
${events}
  plan: { leadTime: 5m }
  minReplicas: 2
  maxReplicas: 100
`,
  );
}

/** 14 days of a daily cycle between 100 and 300, doubled every fourth day from 2024-01-03 (UTC): not a weekly pattern. */
function history(nowMs: number): Series {
  return fourteenDays(nowMs, (k) => {
    const t = T0 + k * STEP;
    const rush = (Math.floor((t - T0) / DAY_MS) - 2) % 4 === 0;
    return (200 + 100 * Math.sin((2 * Math.PI * (t - T0)) / DAY_MS)) * (rush ? 2 : 1);
  });
}

async function pass(s: Scaler) {
  const clock = new SimulatedClock(T0 + 14 * DAY_MS + 6 * HOUR_MS); // 2024-01-15 06:00, a rush day
  const applied: FloorDecision[] = [];
  const deps = { history: { read: async (now: number) => history(now) }, actuator: { description: 'test', apply: async (d: FloorDecision) => void applied.push(d) }, clock };
  return (await reconcile(s, initialState(), deps)).decision;
}

test('a recurring event learned from the history raises the forecast, and the decision note names it', async () => {
  // Without the level correction, which would follow the doubled load of the last half hour either way.
  const plain = await pass(scaler('    levelCorrection: false'));
  const withEvent = await pass(scaler('    levelCorrection: false\n    events:\n      - { name: rush, rrule: "FREQ=DAILY;INTERVAL=4", start: 2024-01-03 }'));
  assert.equal(withEvent.reason, 'PlanApplied');
  // 01-03 (from 06:05, where the history starts), 01-07, 01-11 and the first six hours of today.
  assert.match(withEvent.detail, /; event rush \(2024-01-15, learned from 4 occurrences in the history\) in force, forecast x1\.\d+ here$/);
  assert.doesNotMatch(plain.detail, /event/);
  assert.ok(withEvent.forecastMean! > 1.3 * plain.forecastMean!, `mean with the event ${withEvent.forecastMean}, without ${plain.forecastMean}`);
});

test('hours of an occurrence no earlier one covers take the multiplier', async () => {
  // Today is the only occurrence: its first six hours are in the history, the rest stands on the multiplier.
  const d = await pass(scaler('    events:\n      - { name: launch, dates: [2024-01-15], multiplier: 1.5 }'));
  assert.match(d.detail, /; event launch \(2024-01-15, learned from 1 occurrence in the history\) in force, forecast x1\.5 here$/);
  // The forecast was clipped to the history before the multiplier took it above: not "capped" for this step.
  assert.doesNotMatch(d.detail, /capped at 600/);
});

test('an event whose history holds no occurrence says it stands on its multiplier', () => {
  const e = { name: 'launch', date: '2024-01-15', fromMs: 0, toMs: DAY_MS, source: 'multiplier' as const, occurrences: 0, min: 1.5, max: 1.5 };
  assert.equal(describeEvents([e], Float64Array.of(1.5, 1.5), 0, HOUR_MS, HOUR_MS), '; event launch (2024-01-15, its multiplier, no occurrence in the history) in force, forecast x1.5 here');
  assert.equal(describeEvents([{ ...e, source: 'none' }], undefined, 0, HOUR_MS, HOUR_MS), '; event launch (2024-01-15, no effect known: no occurrence in the history and no multiplier) in force');
  assert.equal(describeEvents([e], undefined, 0, HOUR_MS, DAY_MS), '');
});
