import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeBounded, minimizeUnit, nelderMead } from '../../../src/forecast/optimize.js';

const cases: { name: string; f: (x: Float64Array) => number; x0: number[]; want: number[]; tol: number }[] = [
  {
    name: 'separable quadratic in 3-D finds the centre',
    f: (x) => (x[0]! - 1) ** 2 + 2 * (x[1]! + 2) ** 2 + 0.5 * (x[2]! - 3) ** 2,
    x0: [0, 0, 0],
    want: [1, -2, 3],
    tol: 1e-3,
  },
  {
    name: 'Rosenbrock valley from the classic start (-1.2, 1) reaches (1, 1)',
    f: (x) => 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2,
    x0: [-1.2, 1],
    want: [1, 1],
    tol: 1e-2,
  },
  {
    name: 'NaN region (x < 0) counts as +Infinity and is avoided',
    f: (x) => (x[0]! < 0 ? NaN : (x[0]! - 2) ** 2),
    x0: [0.5],
    want: [2],
    tol: 1e-3,
  },
];

for (const c of cases) {
  test(`nelderMead: ${c.name}`, () => {
    const r = nelderMead(c.f, c.x0, { maxEvals: 2000, tol: 1e-14 });
    for (let i = 0; i < c.want.length; i++) {
      assert.ok(Math.abs(r.x[i]! - c.want[i]!) < c.tol, `x[${i}] = ${r.x[i]}, want ${c.want[i]}`);
    }
    assert.ok(Number.isFinite(r.fx));
    assert.equal(r.fx, c.f(r.x));
  });
}

test('nelderMead: never evaluates more than maxEvals', () => {
  let calls = 0;
  const r = nelderMead(
    (x) => {
      calls++;
      return 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2;
    },
    [-1.2, 1],
    { maxEvals: 25, tol: 0 },
  );
  assert.equal(calls, r.evals);
  assert.ok(r.evals <= 25, `evals ${r.evals}`);
  // It still improved on the start (f(-1.2, 1) = 24.2).
  assert.ok(r.fx < 24.2);
});

test('nelderMead: stops early once the simplex is flat', () => {
  const r = nelderMead((x) => x[0]! ** 2 + x[1]! ** 2, [1, 1], { maxEvals: 10_000, tol: 1e-6 });
  assert.ok(r.evals < 10_000, `used ${r.evals}`);
  assert.ok(r.fx < 1e-4);
});

test('minimizeUnit: finds an interior optimum and only evaluates inside (0, 1)', () => {
  let lo = Infinity;
  let hi = -Infinity;
  const r = minimizeUnit(
    (p) => {
      for (const v of p) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
      return (p[0]! - 0.3) ** 2 + (p[1]! - 0.9) ** 2;
    },
    [0.5, 0.5],
    { maxEvals: 500, tol: 1e-14 },
  );
  assert.ok(Math.abs(r.x[0]! - 0.3) < 1e-3, `p0 = ${r.x[0]}`);
  assert.ok(Math.abs(r.x[1]! - 0.9) < 1e-3, `p1 = ${r.x[1]}`);
  assert.ok(lo >= 0 && hi <= 1, `evaluated range [${lo}, ${hi}]`);
});

test('minimizeBounded: an optimum outside the bounds ends at the nearest bound', () => {
  // Minimum of (x - 5)^2 is at 5, outside [0.8, 0.98]: the best allowed value is 0.98.
  const r = minimizeBounded((p) => (p[0]! - 5) ** 2, [0.9], [{ lo: 0.8, hi: 0.98 }], { maxEvals: 300 });
  assert.ok(r.x[0]! <= 0.98 && r.x[0]! > 0.975, `x = ${r.x[0]}`);
});

test('minimizeBounded: a start on the boundary still works', () => {
  const r = minimizeBounded((p) => (p[0]! - 0.25) ** 2, [0], [{ lo: 0, hi: 1 }], { maxEvals: 300, tol: 1e-14 });
  assert.ok(Math.abs(r.x[0]! - 0.25) < 1e-3, `x = ${r.x[0]}`);
});

test('minimizeBounded: rejects a bounds list of the wrong length', () => {
  assert.throws(() => minimizeBounded(() => 0, [0.5, 0.5], [{ lo: 0, hi: 1 }]), RangeError);
});
