import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fSurvival, incompleteBeta, logGamma } from '../../../src/forecast/stats.js';

test('logGamma matches factorials', () => {
  for (const [x, fact] of [[1, 1], [2, 1], [5, 24], [10, 362880]] as const) assert.ok(Math.abs(logGamma(x) - Math.log(fact)) < 1e-6);
  assert.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-6);
});

test('incomplete beta: I_x(1,1) = x and symmetry', () => {
  assert.ok(Math.abs(incompleteBeta(0.3, 1, 1) - 0.3) < 1e-6);
  assert.ok(Math.abs(incompleteBeta(0.3, 2, 5) + incompleteBeta(0.7, 5, 2) - 1) < 1e-12);
});

// Critical values from standard F tables: P(F > crit) = alpha.
const table: Array<[number, number, number, number]> = [
  [3.58, 6, 28, 0.01], // F(6, 28) at 1%: 3.53 (table), 3.58 is just above
  [2.45, 6, 28, 0.05],
  [4.26, 2, 9, 0.05],
  [10.56, 2, 9, 0.005],
];
for (const [crit, d1, d2, alpha] of table) {
  test(`F(${d1}, ${d2}) upper tail at ${crit} is about ${alpha}`, () => {
    const p = fSurvival(crit, d1, d2);
    assert.ok(Math.abs(p - alpha) / alpha < 0.15, `p ${p}`);
  });
}
