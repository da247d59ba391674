import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEAD_TIME_MIN_OBSERVATIONS, LEAD_TIME_WINDOW, estimateOf, leadTimeAt, sortObservations, type StartupObservation } from '../../../src/plan/lead-time.js';

const T0 = Date.UTC(2026, 0, 5);
const S = 1000;
const opts = { fallbackMs: 300 * S };
/** Start-ups of the given seconds, one a minute from T0 (Ready times). */
const series = (seconds: number[], fromMs = T0): StartupObservation[] => seconds.map((s, i) => ({ readyMs: fromMs + i * 60 * S, durationMs: s * S }));

test('the fallback holds until five start-ups are seen, then p90 of them, never the highest', () => {
  const obs = series([40, 42, 41, 43, 44]);
  assert.deepEqual(leadTimeAt(obs, T0 + 3 * 60 * S, opts), { leadTimeMs: 300 * S, observations: 4, fallback: true });
  const five = leadTimeAt(obs, T0 + 4 * 60 * S, opts);
  // p90 of 5 by nearest rank is the 5th (the highest): capped at n - 1, so the 4th, 43 s.
  assert.deepEqual(five, { leadTimeMs: 43 * S, observations: 5, fallback: false });
  assert.equal(LEAD_TIME_MIN_OBSERVATIONS, 5);
});

test('a slow outlier does not move it; two in twenty do not either', () => {
  const base = Array.from({ length: 19 }, (_, i) => 60 + (i % 5));
  const withOutlier = series([...base.slice(0, 10), 900, ...base.slice(10)]);
  const at = withOutlier.at(-1)!.readyMs;
  const e = leadTimeAt(withOutlier, at, opts);
  assert.equal(e.observations, LEAD_TIME_WINDOW);
  assert.equal(e.leadTimeMs, 64 * S, 'p90 of 20 is the 3rd highest: the outlier is not it');
  // A single outlier among the first five is not it either (the rank is capped at n - 1).
  const early = series([30, 31, 600, 32, 33]);
  assert.equal(leadTimeAt(early, early.at(-1)!.readyMs, opts).leadTimeMs, 33 * S);
  // Two outliers in twenty: still the third highest.
  const two = series([...base.slice(0, 5), 900, ...base.slice(5, 15), 800, ...base.slice(15, 18)]);
  assert.equal(leadTimeAt(two, two.at(-1)!.readyMs, opts).leadTimeMs, 64 * S);
});

test('a rollout that makes start-up slower raises it after 3 of 20; one that makes it faster lowers it after 18', () => {
  const old = series(Array(20).fill(60));
  const slow = series(Array(20).fill(180), old.at(-1)!.readyMs + 60 * S);
  const all = [...old, ...slow];
  const after = (k: number) => leadTimeAt(all, slow[k - 1]!.readyMs, opts).leadTimeMs;
  assert.equal(after(2), 60 * S);
  assert.equal(after(3), 180 * S);
  const fast = series(Array(20).fill(30), slow.at(-1)!.readyMs + 60 * S);
  const back = [...all, ...fast];
  const afterFast = (k: number) => leadTimeAt(back, fast[k - 1]!.readyMs, opts).leadTimeMs;
  assert.equal(afterFast(17), 180 * S);
  assert.equal(afterFast(18), 30 * S);
});

test('only start-ups up to the asked time count (a replay at an earlier refit sees what the operator saw then)', () => {
  const obs = series([10, 10, 10, 10, 10, 100, 100, 100, 100, 100, 100, 100]);
  assert.equal(leadTimeAt(obs, T0 + 4 * 60 * S, opts).leadTimeMs, 10 * S);
  assert.equal(leadTimeAt(obs, T0 + 4 * 60 * S + 59 * S, opts).leadTimeMs, 10 * S);
  assert.equal(leadTimeAt(obs, obs.at(-1)!.readyMs, opts).leadTimeMs, 100 * S);
  assert.equal(leadTimeAt(obs, T0 - 1, opts).observations, 0);
});

test('when it last changed: the Ready time of the start-up that set the value in force', () => {
  const obs = series([10, 10, 10, 10, 10, 10, 10, 50, 50, 50, 50]);
  const e = leadTimeAt(obs, obs.at(-1)!.readyMs, opts, true);
  // 10 s from the 5th start-up; the value moves to 50 s when two 50s are in (7 + 2 = 9: the 8th of 9 is 50).
  assert.equal(e.leadTimeMs, 50 * S);
  assert.equal(e.changedAtMs, obs[8]!.readyMs);
  const first = leadTimeAt(obs, obs[5]!.readyMs, opts, true);
  assert.equal(first.changedAtMs, obs[4]!.readyMs, 'the fallback gave way at the fifth');
  assert.equal(leadTimeAt(obs.slice(0, 3), T0 + 10 * 60 * S, opts, true).changedAtMs, undefined);
});

test('rounded up to whole seconds, kept within [0, maxMs], deterministic in the order of the input', () => {
  const obs: StartupObservation[] = series([1.2, 1.4, 1.3, 1.1, 1.25]).map((o) => ({ ...o }));
  assert.equal(estimateOf(obs, opts).leadTimeMs, 2 * S);
  assert.equal(estimateOf(series([900, 900, 900, 900, 900]), { ...opts, maxMs: 300 * S }).leadTimeMs, 300 * S);
  assert.equal(estimateOf([], { fallbackMs: 600 * S, maxMs: 120 * S }).leadTimeMs, 120 * S);
  const shuffled = [obs[3]!, obs[0]!, obs[4]!, obs[1]!, obs[2]!];
  assert.deepEqual(sortObservations(shuffled), obs);
});
