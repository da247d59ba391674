/**
 * A changing lead time (plan.leadTime auto) and the control loop's grid: the lead time is asked
 * once per refit, at the refit's grid time, and that refit's plan keeps it until the next refit;
 * so the floor at a minute equals that of a loop whose lead time was fixed at the value in force at
 * the minute's refit. Injected clock, no wall time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock } from '../../../src/core/clock.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import type { Series } from '../../../src/core/series.js';
import type { Scaler } from '../../../src/config/scaler.js';
import { type ControlState, initialState, reconcile } from '../../../src/control/reconcile.js';
import { T0, dailyCycle, fourteenDays, testScaler } from '../../support/control-fixtures.js';

function scaler(): Scaler {
  return testScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load, step: 5m, history: 14d }
  capacity: { perReplica: 10 }
  forecast: { horizon: 6h, refitInterval: 1h }
  plan: { leadTime: auto, minStepDuration: 10m, scaleDownDelay: 0s }
  minReplicas: 2
  maxReplicas: 50
`,
  );
}

/** A daily cycle between 100 and 300 (10 to 30 replicas), up to the last whole step. */
const history = (nowMs: number): Series => fourteenDays(nowMs, dailyCycle);

interface Tick {
  atMs: number;
  floor: number;
  refitMs: number;
  planLeadTimeMs: number | undefined;
}

async function run(leadTime: ((atMs: number) => number) | undefined, fromMs: number, toMs: number): Promise<{ ticks: Tick[]; asked: number[] }> {
  const clock = new SimulatedClock(fromMs);
  const asked: number[] = [];
  const deps = {
    history: { read: async (now: number) => history(now) },
    actuator: { description: 'test', apply: async () => undefined },
    clock,
    ...(leadTime ? { leadTime: (atMs: number) => (asked.push(atMs), leadTime(atMs)) } : {}),
  };
  let state: ControlState = initialState();
  const ticks: Tick[] = [];
  for (let t = fromMs; t < toMs; t += MINUTE_MS) {
    clock.set(t);
    const r = await reconcile(scaler(), state, deps);
    state = r.state;
    ticks.push({ atMs: t, floor: r.decision.floor, refitMs: state.forecastAtMs!, planLeadTimeMs: state.planLeadTimeMs });
  }
  return { ticks, asked };
}

test('the lead time in force at a refit is that refit plan\'s: asked once per refit at its grid time, kept until the next', async () => {
  // Morning ramp of the daily cycle (the load rises from 00:00 to 06:00 of each day).
  const from = T0 + 14 * DAY_MS + 1 * HOUR_MS;
  const to = from + 4 * HOUR_MS;
  // Pods became slow at from + 1h30m: the learned lead time goes from 5m to 2h.
  const changeMs = from + 90 * MINUTE_MS;
  const learned = (atMs: number): number => (atMs >= changeMs ? 2 * HOUR_MS : 5 * MINUTE_MS);
  const [auto, fast, slow] = await Promise.all([run(learned, from, to), run(() => 5 * MINUTE_MS, from, to), run(() => 2 * HOUR_MS, from, to)]);

  const refits = [...new Set(auto.ticks.map((t) => t.refitMs))];
  assert.ok(refits.length >= 4, `${refits.length} refits`);
  assert.deepEqual(auto.asked, refits, 'asked exactly once per refit, at its grid time');
  let before = 0;
  let after = 0;
  auto.ticks.forEach((t, i) => {
    assert.equal(t.planLeadTimeMs, learned(t.refitMs), `the plan in force at ${new Date(t.atMs).toISOString()} uses its refit's lead time`);
    // The floor is that of a loop with the lead time fixed at the refit's value.
    const same = t.refitMs >= changeMs ? slow.ticks[i]! : fast.ticks[i]!;
    assert.equal(t.floor, same.floor, new Date(t.atMs).toISOString());
    if (t.refitMs >= changeMs) after++;
    else before++;
    // Between the change and the next refit, the plan made before the change holds.
    if (t.atMs >= changeMs && t.refitMs < changeMs) assert.equal(t.planLeadTimeMs, 5 * MINUTE_MS);
  });
  assert.ok(before > 60 && after > 60, `${before} ${after}`);
  const differs = fast.ticks.filter((t, i) => t.floor !== slow.ticks[i]!.floor).length;
  assert.ok(differs > 0, 'a 2h lead time changes the floor on the ramp (the comparison is not vacuous)');
});

test('without deps.leadTime the plan uses plan.leadTime (auto: its 5m fallback)', async () => {
  const from = T0 + 14 * DAY_MS + 2 * HOUR_MS;
  const none = await run(undefined, from, from + 10 * MINUTE_MS);
  assert.ok(none.ticks.every((t) => t.planLeadTimeMs === 5 * MINUTE_MS));
});
