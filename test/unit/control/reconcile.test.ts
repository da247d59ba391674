import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimulatedClock } from '../../../src/core/clock.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import { PrescaleError } from '../../../src/core/errors.js';
import type { Series } from '../../../src/core/series.js';
import type { Scaler } from '../../../src/config/scaler.js';
import type { FloorDecision } from '../../../src/actuate/actuator.js';
import { initialState, reconcile, type HistoryReader } from '../../../src/control/reconcile.js';
import { refitAtFor, refitSchedule } from '../../../src/control/schedule.js';
import { formatTimestamp } from '../../../src/core/time.js';
import { STEP, T0, dailyCycle, fourteenDays, testScaler } from '../../support/control-fixtures.js';

function scaler(forecastExtra = ''): Scaler {
  return testScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load, step: 5m, history: 14d }
  capacity: { perReplica: 10 }
  forecast: { horizon: 6h, refitInterval: 1h${forecastExtra} }
  plan: { leadTime: 5m }
  minReplicas: 2
  maxReplicas: 50
`,
  );
}

/** 14 days of a daily cycle between 100 and 300 (10 to 30 replicas). */
const history = (nowMs: number): Series => fourteenDays(nowMs, dailyCycle);

function fixture(reader: HistoryReader, fail?: () => boolean) {
  const clock = new SimulatedClock(T0 + 14 * DAY_MS + 6 * HOUR_MS); // near the daily peak
  const applied: FloorDecision[] = [];
  const actuator = {
    description: 'test',
    apply: async (d: FloorDecision) => {
      if (fail?.()) throw new PrescaleError('forbidden', 'patch refused: 403');
      applied.push(d);
    },
  };
  return { clock, applied, deps: { history: reader, actuator, clock } };
}

test('a healthy pass plans from the forecast and applies a floor inside [min, max]', async () => {
  const f = fixture({ read: async (now) => history(now) });
  const r = await reconcile(scaler(), initialState(), f.deps);
  assert.equal(r.decision.reason, 'PlanApplied');
  assert.ok(r.decision.floor >= 25 && r.decision.floor <= 50, `floor ${r.decision.floor} covers the peak (~30 replicas)`);
  assert.equal(f.applied.length, 1);
  assert.equal(r.requeueAfterMs, MINUTE_MS);
});

test('the load collapsed 2 hours ago: the floor follows it and the decision says why; with levelCorrection false it holds the pattern', async () => {
  const collapsedSince = (fromMs: number) => (now: number): Series => {
    const h = history(now);
    const values = h.values.slice();
    for (let i = 0; i < values.length; i++) if (h.startMs + i * STEP >= fromMs) values[i] = values[i]! * 0.1;
    return { ...h, values };
  };
  const start = T0 + 14 * DAY_MS + 6 * HOUR_MS; // the fixture's clock
  const read = collapsedSince(start - 2 * HOUR_MS);
  const on = fixture({ read: async (now) => read(now) });
  const first = await reconcile(scaler(), initialState(), on.deps);
  const off = await reconcile(scaler(', levelCorrection: false'), initialState(), fixture({ read: async (now) => read(now) }).deps);
  assert.equal(first.decision.reason, 'PlanApplied');
  const refit = refitAtFor(scaler(), start);
  assert.match(first.decision.detail, new RegExp(`; the ${formatTimestamp(refit)} refit shifted the forecast -\\d+% towards the last 30m of load \\(fading over hours\\)`));
  assert.doesNotMatch(off.decision.detail, /shifted/);
  assert.ok(off.decision.floor >= 25, `without the correction the peak is covered: ${off.decision.floor}`);
  // The plan's first step runs 30 minutes (+ lead), over which a quarter of the shift has faded.
  assert.ok(first.decision.floor <= off.decision.floor / 2, `with it the floor follows the load down: ${first.decision.floor} vs ${off.decision.floor}`);

  // An hour later the refit compares the tail with the models run from just before it, which do
  // not expect the drop either: still corrected, the floor still down.
  on.clock.advance(HOUR_MS);
  const second = await reconcile(scaler(), first.state, on.deps);
  assert.equal(second.state.forecastAtMs, refit + HOUR_MS);
  assert.equal(second.state.search!.selection, first.state.search!.selection, 'the selection is reused');
  assert.match(second.decision.detail, new RegExp(`the ${formatTimestamp(refit + HOUR_MS)} refit shifted the forecast -\\d+%`));
  assert.ok(second.decision.floor <= off.decision.floor / 2, `floor ${second.decision.floor}`);
});

test('Prometheus down after a good pass: the floor in force holds (never lowered) until staleAfter, then the floor is given back', async () => {
  let up = true;
  const f = fixture({ read: async (now) => { if (!up) throw new PrescaleError('transient', 'connect ECONNREFUSED'); return history(now); } });
  const s = scaler();
  const first = await reconcile(s, initialState(), f.deps);
  up = false;
  // Past the daily peak the last plan steps down; while the source is down (from the next refit
  // on, where history is read again) the floor holds.
  let state = first.state;
  const floors: number[] = [];
  for (let t = HOUR_MS; t <= 2 * HOUR_MS; t += 10 * MINUTE_MS) {
    f.clock.set(first.decision.atMs + t);
    const r = await reconcile(s, state, f.deps);
    state = r.state;
    floors.push(r.decision.floor);
    assert.equal(r.decision.error, 'connect ECONNREFUSED');
    assert.equal(r.decision.restore, undefined);
    assert.ok(r.decision.floor >= first.decision.floor, `floor ${r.decision.floor} at +${t / MINUTE_MS}m is below the held ${first.decision.floor}`);
    assert.equal(r.wakeAtMs, r.decision.atMs + r.requeueAfterMs, 'a fault retries at the next tick');
  }
  assert.equal(state.forecastAtMs, first.state.forecastAtMs, 'the last good forecast is kept');
  assert.equal(state.failures, floors.length);
  // Past staleAfter (2h by default) without a read: the floor is given back.
  f.clock.set(first.decision.atMs + 2 * HOUR_MS + MINUTE_MS);
  const stale = await reconcile(s, state, f.deps);
  assert.equal(stale.decision.reason, 'MetricsUnavailable');
  assert.equal(stale.decision.restore, true);
  assert.equal(stale.decision.floor, 2);
  assert.match(stale.decision.detail, /last history read 2h1m ago \(staleAfter 2h\): connect ECONNREFUSED/);
  // Data back: a new forecast, the plan applies again.
  up = true;
  const back = await reconcile(s, stale.state, f.deps);
  assert.equal(back.decision.reason, 'PlanApplied');
  assert.equal(back.decision.restore, undefined);
});

test('a healthy loop wakes at the plan\'s next change or the next refit, whichever is first', async () => {
  const f = fixture({ read: async (now) => history(now) });
  const r = await reconcile(scaler(), initialState(), f.deps);
  const refitEnd = refitAtFor(scaler(), r.decision.atMs) + HOUR_MS;
  const change = r.decision.plan!.steps.find((st) => st.fromMs > r.decision.atMs && st.replicas !== r.decision.floor);
  assert.equal(r.wakeAtMs, Math.min(refitEnd, change?.fromMs ?? Infinity));
  assert.ok(r.wakeAtMs > r.decision.atMs);
});

test('garbage from the source before any forecast holds minReplicas and says why', async () => {
  const f = fixture({ read: async () => { throw new PrescaleError('invalid-input', 'not valid JSON'); } });
  const r = await reconcile(scaler(), initialState(), f.deps);
  assert.equal(r.decision.reason, 'MetricsUnavailable');
  assert.equal(r.decision.floor, 2);
  assert.match(r.decision.detail, /not valid JSON; holding 2 replicas/);
});

test('too little history is InsufficientHistory at minReplicas, not a forecast of zero', async () => {
  const f = fixture({ read: async (now) => { const h = history(now); return { ...h, startMs: h.startMs + (h.values.length - 24) * STEP, values: h.values.slice(-24) }; } });
  const r = await reconcile(scaler(), initialState(), f.deps);
  assert.equal(r.decision.reason, 'InsufficientHistory');
  assert.equal(r.decision.floor, 2);
});

test('a refused patch keeps the state that was applied and reports ActuationFailed', async () => {
  let refuse = false;
  const f = fixture({ read: async (now) => history(now) }, () => refuse);
  const s = scaler();
  const first = await reconcile(s, initialState(), f.deps);
  refuse = true;
  f.clock.advance(MINUTE_MS);
  const second = await reconcile(s, first.state, f.deps);
  assert.equal(second.decision.reason, 'ActuationFailed');
  assert.deepEqual(second.state.applied, first.state.applied);
  assert.equal(second.state.failures, 1);
});

test('a series that stops (its samples end) is no data: the floor holds, staleness counts from the last sample, the floor is given back after staleAfter', async () => {
  let stoppedAt: number | undefined;
  const read = async (now: number): Promise<Series> => {
    const h = history(now);
    if (stoppedAt === undefined) return h;
    const values = h.values.slice();
    for (let i = 0; i < values.length; i++) if (h.startMs + i * STEP > stoppedAt) values[i] = NaN;
    return { ...h, values };
  };
  const f = fixture({ read });
  const s = scaler();
  const first = await reconcile(s, initialState(), f.deps);
  assert.equal(first.decision.reason, 'PlanApplied');
  stoppedAt = first.decision.atMs;
  f.clock.set(first.decision.atMs + HOUR_MS);
  const second = await reconcile(s, first.state, f.deps);
  assert.equal(second.decision.errorReason, 'MetricsUnavailable');
  assert.match(second.decision.error!, /the series has no samples since 2024-01-15T06:00:00Z/);
  assert.ok(second.decision.floor >= first.decision.floor, 'held, not lowered');
  assert.equal(second.state.lastDataMs, first.state.lastDataMs, 'no fresh data: the last good data time stays');
  f.clock.set(first.decision.atMs + 2 * HOUR_MS + MINUTE_MS);
  const stale = await reconcile(s, second.state, f.deps);
  assert.equal(stale.decision.restore, true);
  assert.equal(stale.decision.floor, 2);
});

test('the floor changes only on the step grid, which has the refits\' phase: a refit never moves a step under way', async () => {
  const sc = scaler();
  const { phaseMs } = refitSchedule(sc);
  const minStep = sc.spec.plan.minStepDurationMs;
  assert.notEqual(phaseMs % minStep, 0, 'this scaler\'s phase is off the epoch-aligned step grid (else the test proves nothing)');
  const f = fixture({ read: async (now) => history(now) });
  let state = initialState();
  let last: number | undefined;
  const changes: number[] = [];
  for (let t = 0; t < 8 * 60; t++) {
    const r = await reconcile(sc, state, f.deps);
    state = r.state;
    if (last !== undefined && r.decision.floor !== last) changes.push(r.decision.atMs);
    last = r.decision.floor;
    f.clock.advance(MINUTE_MS);
  }
  assert.ok(changes.length >= 4, `the daily cycle moves the floor (${changes.length} changes)`);
  for (const at of changes) assert.equal((((at - phaseMs) % minStep) + minStep) % minStep, 0, `a change at ${formatTimestamp(at)} is off the grid`);
});
