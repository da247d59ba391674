import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitHoltWinters, usablePeriods, criterionHorizons } from '../../../src/forecast/models/holt-winters.js';
import { assertFiniteOfLength, gaussian, series, weekly } from '../../support/synthetic.js';

// The scenarios every model must pass (known answers, edges, nyc_taxi) are in
// model-contract.test.ts; these are Holt-Winters' own.

test('holt-winters: periods too long for the history are dropped, not used', () => {
  assert.deepEqual(usablePeriods([12, 288, 2016], 1000), [12, 288]);
  assert.deepEqual(usablePeriods([12, 288, 2016], 5000), [288, 2016]);
  const y = series(1000, (i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 288), { uniform: 0.1 });
  const fit = fitHoltWinters(y, [288, 2016], { horizon: 24 });
  assert.deepEqual(fit.periods, [288]);
  assertFiniteOfLength(fit.forecast(24), 24);
});

/** Parameters in the order of `HoltWintersFit.free`, as `fixed` takes them. */
interface Truth {
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
  readonly gamma1: number;
  readonly gamma2: number;
}

/**
 * A series drawn from the model itself (no AR term): N(0, 1) one-step errors e_t drive the
 * recursions in their error-correction form (L' = L + phi*T + alpha*e, T' = phi*T + alpha*beta*e,
 * s' = s + gamma*(1 - alpha)*e), so the parameters are the true ones the fit should find.
 */
function simulated(n: number, periods: readonly [number, number], q: Truth, seed: number): Float64Array {
  const noise = gaussian(seed);
  const [p1, p2] = periods;
  const s1 = Float64Array.from({ length: p1 }, (_, i) => 20 * Math.sin((2 * Math.PI * i) / p1));
  const s2 = Float64Array.from({ length: p2 }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / p2));
  let level = 100;
  let trend = 0.05;
  const y = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const e = noise();
    y[t] = level + q.phi * trend + s1[t % p1]! + s2[t % p2]! + e;
    level += q.phi * trend + q.alpha * e;
    trend = q.phi * trend + q.alpha * q.beta * e;
    s1[t % p1]! += q.gamma1 * (1 - q.alpha) * e;
    s2[t % p2]! += q.gamma2 * (1 - q.alpha) * e;
  }
  return y;
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
/** Damped Holt (no cycle; the fit keeps 2,000 steps) and a daily cycle with a long second one (4 cycles of 500 kept). */
const DAMPED: Truth = { alpha: 0.3, beta: 0.1, phi: 0.9, gamma1: 0, gamma2: 0 };
const SEASONAL: Truth = { alpha: 0.3, beta: 0.1, phi: 0.9, gamma1: 0.2, gamma2: 0 };

test('holt-winters: the optimiser beats its starting point and does at least as well as the true parameters', () => {
  // The optimiser's start (fitHoltWinters' x0): alpha 0.2, beta 0.01, phi 0.9, gammas 0.1, lambda 0.5.
  const cases = [
    { name: 'weekly pattern', y: series(28 * 48, weekly(48, 0.05), { uniform: 3 }), periods: [48, 336], ar: true, start: [0.2, 0.01, 0.9, 0.1, 0.1, 0.5] },
    { name: 'damped Holt', y: simulated(2000, [1, 1], DAMPED, 3), periods: [], ar: false, start: [0.2, 0.01, 0.9], truth: [0.3, 0.1, 0.9] },
    { name: 'seasonal', y: simulated(2000, [24, 500], SEASONAL, 3), periods: [24, 500], ar: false, start: [0.2, 0.01, 0.9, 0.1, 0.1], truth: [0.3, 0.1, 0.9, 0.2, 0] },
  ];
  for (const c of cases) {
    const fit = fitHoltWinters(c.y, c.periods, { horizon: 1, ar: c.ar });
    const start = fitHoltWinters(c.y, c.periods, { horizon: 1, ar: c.ar, fixed: c.start });
    assert.equal(fit.free.length, c.start.length, c.name);
    assert.ok(fit.score < 0.95 * start.score, `${c.name}: fitted ${fit.score} against ${start.score} at the start`);
    if (c.truth) {
      const truth = fitHoltWinters(c.y, c.periods, { horizon: 1, ar: c.ar, fixed: c.truth });
      assert.ok(fit.score <= truth.score * (1 + 1e-6), `${c.name}: fitted ${fit.score} against ${truth.score} at the true parameters`);
    }
  }
});

test('holt-winters: recovers the parameters a series was simulated with', () => {
  const damped = SEEDS.map((seed) => fitHoltWinters(simulated(2000, [1, 1], DAMPED, seed), [], { horizon: 1, ar: false }).params);
  for (const p of damped) assert.ok(Math.abs(p.alpha - DAMPED.alpha) < 0.06, `alpha ${p.alpha}`);
  assert.ok(Math.abs(mean(damped.map((p) => p.alpha)) - DAMPED.alpha) < 0.03, `mean alpha ${mean(damped.map((p) => p.alpha))}`);
  assert.ok(Math.abs(mean(damped.map((p) => p.beta)) - DAMPED.beta) < 0.03, `mean beta ${mean(damped.map((p) => p.beta))}`);
  assert.ok(Math.abs(mean(damped.map((p) => p.phi)) - DAMPED.phi) < 0.03, `mean phi ${mean(damped.map((p) => p.phi))}`);

  const seasonal = SEEDS.map((seed) => fitHoltWinters(simulated(2000, [24, 500], SEASONAL, seed), [24, 500], { horizon: 1, ar: false }).params);
  for (const p of seasonal) assert.ok(Math.abs(p.gamma1 - SEASONAL.gamma1) < 0.08, `gamma1 ${p.gamma1}`);
  assert.ok(Math.abs(mean(seasonal.map((p) => p.gamma1)) - SEASONAL.gamma1) < 0.03, `mean gamma1 ${mean(seasonal.map((p) => p.gamma1))}`);
  assert.ok(Math.abs(mean(seasonal.map((p) => p.alpha)) - SEASONAL.alpha) < 0.05, `mean alpha ${mean(seasonal.map((p) => p.alpha))}`);
  assert.ok(mean(seasonal.map((p) => p.gamma2)) < 0.08, `mean gamma2 ${mean(seasonal.map((p) => p.gamma2))} of a cycle that does not change`);
});

test('holt-winters: the criterion scores one step plus horizons up to h', () => {
  assert.deepEqual(criterionHorizons(1, 100), [1]);
  const ks = criterionHorizons(288, 10_000);
  assert.equal(ks[0], 1);
  assert.equal(ks[ks.length - 1], 288);
  assert.deepEqual(criterionHorizons(288, 50).at(-1), 50);
});

test('holt-winters: fixed parameters run without optimising and reproduce the fit they came from', () => {
  const y = series(14 * 48, weekly(48, 0.02), { uniform: 2 });
  const cold = fitHoltWinters(y, [48, 336], { horizon: 48 });
  assert.ok(cold.evals > 0);
  const fixed = fitHoltWinters(y, [48, 336], { horizon: 48, fixed: cold.free });
  assert.equal(fixed.evals, 0);
  assert.deepEqual(fixed.params, cold.params);
  assert.deepEqual(fixed.forecast(48), cold.forecast(48));
  // Out-of-range values are clamped to the parameter bounds, a list of the wrong length is ignored.
  const clamped = fitHoltWinters(y, [48, 336], { horizon: 48, fixed: [2, -1, 0.5, 0.1, 0.1, 0.5] });
  assert.deepEqual([clamped.params.alpha, clamped.params.beta, clamped.params.phi], [1, 0, 0.8]);
  assert.ok(fitHoltWinters(y, [48, 336], { horizon: 48, fixed: [0.2] }).evals > 0);
});
