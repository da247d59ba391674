import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitHoltWinters, usablePeriods, criterionHorizons } from '../../../src/forecast/models/holt-winters.js';
import { assertFiniteOfLength, series, weekly } from '../../support/synthetic.js';

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

test('holt-winters: fitted parameters stay in their ranges (phi in [0.8, 0.98])', () => {
  const y = series(28 * 48, weekly(48, 0.05), { uniform: 3 });
  const { params } = fitHoltWinters(y, [48, 336], { horizon: 48 });
  for (const v of [params.alpha, params.beta, params.gamma1, params.gamma2]) assert.ok(v >= 0 && v <= 1);
  assert.ok(params.phi >= 0.8 && params.phi <= 0.98, `phi ${params.phi}`);
  assert.ok(Math.abs(params.lambda) < 1);
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
