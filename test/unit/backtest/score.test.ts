import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreScaling } from '../../../src/backtest/score.js';
import { simulateHpa } from '../../../src/backtest/hpa-sim.js';

const o = { perReplica: 100, minReplicas: 1, maxReplicas: 10 };

// Worked by hand, per tick (demand = load / 100; short = max(0, demand - ready); oracle = clamp(ceil(demand), 1, 10)):
//   k  load  ready  demand  short  oracle
//   0   100    1     1       0      1
//   1   250    2     2.5     0.5    3
//   2   250    3     2.5     0      3
//   3    50    3     0.5     0      1
//   4   NaN    3     (gap: left out)
//   5  1000    5    10       5     10
//   6  2000   10    20      10     10   (max 10)
const tiny = {
  load: [100, 250, 250, 50, NaN, 1000, 2000],
  ready: [1, 2, 3, 3, 3, 5, 10],
  desired: [1, 3, 3, 3, 3, 10, 10],
};

test('scores of a tiny hand-made trace at 1-minute and 15-second ticks', () => {
  const cases: Array<{ name: string; stepMs: number; minutesPerTick: number }> = [
    { name: '1-minute ticks', stepMs: 60_000, minutesPerTick: 1 },
    { name: '15-second ticks', stepMs: 15_000, minutesPerTick: 0.25 },
  ];
  for (const c of cases) {
    const s = scoreScaling({ stepMs: c.stepMs, ...tiny }, o);
    const m = c.minutesPerTick;
    assert.equal(s.shortfallReplicaMinutes, 15.5 * m, c.name);
    assert.equal(s.demandReplicaMinutes, 36.5 * m, c.name);
    assert.ok(Math.abs(s.shortfallPct - (100 * 15.5) / 36.5) < 1e-9, c.name);
    assert.equal(s.underMinutes, 3 * m, c.name);
    assert.ok(Math.abs(s.costReplicaHours - (24 * m) / 60) < 1e-12, c.name);
    assert.ok(Math.abs(s.oracleReplicaHours - (28 * m) / 60) < 1e-12, c.name);
    assert.ok(Math.abs(s.costVsOracle - 24 / 28) < 1e-12, c.name);
    assert.equal(s.scalingEvents, 2, c.name);
    assert.equal(s.minutes, 6 * m, c.name);
    assert.equal(s.missingTicks, 1, c.name);
  }
});

test('scores: exactly enough is not short; no demand gives 0 %, not NaN', () => {
  const exact = scoreScaling({ stepMs: 60_000, load: [300, 0.3 * 1000], ready: [3, 3] }, o);
  assert.equal(exact.underMinutes, 0);
  assert.equal(exact.shortfallReplicaMinutes, 0);
  assert.equal(exact.scalingEvents, 0);
  const idle = scoreScaling({ stepMs: 60_000, load: [0, 0], ready: [1, 1] }, { ...o, minReplicas: 0 });
  assert.equal(idle.shortfallPct, 0);
  assert.ok(Number.isNaN(idle.costVsOracle), 'an oracle costing nothing has no ratio');
  assert.throws(() => scoreScaling({ stepMs: 60_000, load: [1, 2], ready: [1] }, o), /same length/);
});

test('scores of simulated runs: the reactive HPA is short after a step the floor anticipated', () => {
  const values = new Float64Array(120).map((_, i) => (i >= 60 && i < 90 ? 1500 : 300));
  const series = { startMs: 0, stepMs: 60_000, values };
  const opts = { hpa: { minReplicas: 1, maxReplicas: 30, targetPerPod: 100 }, startupMs: 120_000 };
  const reactive = scoreScaling(simulateHpa(series, opts), { ...o, maxReplicas: 30 });
  const floor = scoreScaling(simulateHpa(series, opts, (t) => (t >= 55 * 60_000 && t < 95 * 60_000 ? 15 : undefined)), { ...o, maxReplicas: 30 });
  assert.ok(reactive.shortfallReplicaMinutes > 0 && reactive.underMinutes >= 2, `reactive shortfall ${reactive.shortfallReplicaMinutes}`);
  assert.equal(floor.shortfallReplicaMinutes, 0);
  assert.ok(floor.costReplicaHours > reactive.costReplicaHours, 'prediction pays for its early pods');
  assert.ok(floor.costVsOracle >= 1 && reactive.costVsOracle > 0.9);
  assert.equal(reactive.minutes, 120);
});
