/**
 * The confidence gate (spec.safety.maxForecastError, recoverAfter): the floor is given back while
 * the live forecast error is above the limit, and comes back once it has stayed below it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock } from '../../../src/core/clock.js';
import { DAY_MS, HOUR_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import { parseScaler, type Scaler } from '../../../src/config/scaler.js';
import type { ForecastError, ForecastLog } from '../../../src/control/forecast-error.js';
import { type ControlState, type Decision, initialState, reconcile, withGate } from '../../../src/control/reconcile.js';
import { refitAtFor } from '../../../src/control/schedule.js';
import { gatedIntervals } from '../../../src/backtest/replay.js';
import { PER_DAY, STEP, T0, fourteenDays, testScaler } from '../../support/control-fixtures.js';

const scalerText = (safety: string): string => `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load, step: 5m, history: 14d }
  capacity: { perReplica: 10 }
  forecast: { horizon: 6h, refitInterval: 1h }
  plan: { leadTime: 5m }
  safety: { ${safety} }
  minReplicas: 2
  maxReplicas: 50
`;

const scaler = (safety: string): Scaler => testScaler(scalerText(safety));

/** A daily cycle with noise that depends only on the sample's time (every read agrees). */
const history = (nowMs: number): Series =>
  fourteenDays(nowMs, (k) => {
    const noise = 40 * (((Math.sin(k * 12.9898) * 43758.5453) % 1) - 0.5);
    return 200 + 100 * Math.sin((2 * Math.PI * k) / PER_DAY) + noise;
  });

async function run(s: Scaler, hours: number) {
  const clock = new SimulatedClock(T0 + 14 * DAY_MS);
  const deps = { history: { read: async (now: number) => history(now) }, actuator: { description: 'test', apply: async () => {} }, clock };
  let state = initialState();
  const decisions = [];
  for (let h = 0; h < hours; h++) {
    clock.set(T0 + 14 * DAY_MS + h * HOUR_MS);
    const r = await reconcile(s, state, deps);
    state = r.state;
    decisions.push(r.decision);
  }
  return { state, decisions };
}

test('a limit the forecasts miss closes the gate once six hours of them are measured: the floor is given back, ForecastInaccurate, and the loop keeps forecasting', async () => {
  const sc = scaler('maxForecastError: 0.05');
  const { state, decisions } = await run(sc, 9);
  // Before six hours of logged forecasts the error is not judged: the plan applies.
  assert.ok(decisions.slice(0, 6).every((d) => d.reason === 'PlanApplied'), decisions.map((d) => d.reason).join(','));
  const gated = decisions.slice(7);
  for (const d of gated) {
    assert.equal(d.reason, 'ForecastInaccurate');
    assert.equal(d.restore, true);
    assert.equal(d.floor, 2);
    assert.match(d.detail, /forecast error \(MASE over the last day\) above safety\.maxForecastError 0\.05 since 2024-01-15T0\d:\d\d:00Z, now \d+\.\d\d; the target's own minReplicas applies/);
  }
  assert.ok(state.gate !== undefined);
  assert.ok(state.forecastError!.mase! > 0.05);
  assert.equal(state.forecastAtMs, refitAtFor(sc, decisions.at(-1)!.atMs), 'refits go on while gated');
});

test('the default limit leaves a forecast that does its job alone', async () => {
  const { state, decisions } = await run(scaler('staleAfter: 2h'), 9);
  assert.ok(decisions.every((d) => d.reason === 'PlanApplied'));
  assert.equal(state.gate, undefined);
  assert.ok(state.forecastError!.mase! < 3, `mase ${state.forecastError!.mase}`);
});

const safety = { staleAfterMs: 2 * HOUR_MS, maxForecastError: 2, recoverAfterMs: 2 * HOUR_MS };
const log: ForecastLog = { stepMs: STEP, points: [] };
const at = (mase: number | undefined, points = 100, gate?: ControlState['gate']): ControlState => {
  const e: ForecastError = { ...(mase === undefined ? {} : { mase }), smape: 10, windowStartMs: 0, points };
  return { failures: 0, forecastLog: log, forecastError: e, ...(gate ? { gate } : {}) };
};

test('the gate: closes above the limit, opens after recoverAfter at or below it, and starts that count again on a relapse', () => {
  assert.equal(withGate(at(1.9), safety, 0).gate, undefined);
  assert.deepEqual(withGate(at(2.1), safety, 1000).gate, { sinceMs: 1000 });
  // Below the limit: counted from the first pass below it.
  const below = withGate(at(1.5, 100, { sinceMs: 1000 }), safety, 5000).gate;
  assert.deepEqual(below, { sinceMs: 1000, clearSinceMs: 5000 });
  assert.deepEqual(withGate(at(1.5, 100, below), safety, 5000 + HOUR_MS).gate, below, 'an hour below: still closed');
  assert.equal(withGate(at(1.5, 100, below), safety, 5000 + 2 * HOUR_MS).gate, undefined, 'recoverAfter below: open');
  // Above again before that: the count starts over.
  assert.deepEqual(withGate(at(2.5, 100, below), safety, 5000 + HOUR_MS).gate, { sinceMs: 1000 });
});

test('the gate: an error over fewer than six hours of points, or without a MASE, is not judged (a closed gate stays closed)', () => {
  const few = (6 * HOUR_MS) / STEP - 1;
  assert.equal(withGate(at(10, few), safety, 0).gate, undefined);
  assert.equal(withGate(at(undefined), safety, 0).gate, undefined);
  assert.deepEqual(withGate(at(0.1, few, { sinceMs: 7 }), safety, HOUR_MS * 10).gate, { sinceMs: 7 });
  const noError: ControlState = { failures: 0, gate: { sinceMs: 7 } };
  assert.deepEqual(withGate(noError, safety, HOUR_MS * 10).gate, { sinceMs: 7 });
});

test('spec.safety: maxForecastError must be a positive number, recoverAfter a duration', () => {
  for (const [bad, field] of [['maxForecastError: 0', 'maxForecastError'], ['maxForecastError: high', 'maxForecastError'], ['recoverAfter: soon', 'recoverAfter']] as const) {
    const r = parseScaler(scalerText(bad), 'test.yaml');
    assert.equal(r.ok, false, bad);
    assert.ok(!r.ok && r.problems.some((p) => p.path === `spec.safety.${field}`), JSON.stringify(!r.ok && r.problems));
  }
  assert.equal(scaler('recoverAfter: 6h').spec.safety.recoverAfterMs, 6 * HOUR_MS);
  assert.equal(scaler('staleAfter: 3h').spec.safety.maxForecastError, 3);
});

test('a replay reports the runs of gated ticks: from the first ForecastInaccurate tick to the tick after the last', () => {
  const d = (atMs: number, reason: Decision['reason']): Decision => ({ atMs, floor: 2, reason, detail: '' });
  const decisions = [d(0, 'PlanApplied'), d(1, 'ForecastInaccurate'), d(2, 'ForecastInaccurate'), d(3, 'PlanApplied'), d(4, 'ForecastInaccurate')];
  assert.deepEqual(gatedIntervals(decisions, 5), [
    { fromMs: 1, toMs: 3, ticks: 2 },
    { fromMs: 4, toMs: 5, ticks: 1 },
  ]);
  assert.deepEqual(gatedIntervals([d(0, 'PlanApplied')], 1), []);
});
