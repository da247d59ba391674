import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MINUTE_MS } from '../../../src/core/duration.js';
import { regression } from '../../../src/forecast/models/regression.js';
import { median, theilSen, weightedRidge } from '../../../src/forecast/linalg.js';
import { ctxOf, lcgGaussian, mae, series, truth } from '../../support/synthetic.js';

// The scenarios every model must pass (known answers, edges, speed, nyc_taxi) are in
// model-contract.test.ts; these are the regression model's own, and its linear-algebra helpers.

const DAY = 288; // 5-minute steps per day

test('regression: horizons longer than the period are forecast recursively', () => {
  // Daily period only, growth of 2.9 per day, three days ahead: lags beyond the history are
  // earlier forecasts, and the trend must keep compounding correctly through them.
  const f = (t: number): number => 200 + 0.01 * t + 40 * Math.sin((2 * Math.PI * t) / DAY);
  const n = 10 * DAY;
  const y = series(n, f, { normal: 1 });
  const h = 3 * DAY;
  const out = regression().forecast(y, h, ctxOf(5 * MINUTE_MS, [DAY]));
  const want = truth(n, h, f);
  for (let d = 0; d < 3; d++) {
    const err = mae(out.slice(d * DAY, (d + 1) * DAY), want.slice(d * DAY, (d + 1) * DAY));
    assert.ok(err < 1, `day ${d + 1} ahead: MAE ${err.toFixed(2)} (noise sigma 1)`);
  }
});

test('linalg: median by quickselect matches a sort, and leaves its input alone', () => {
  const g = lcgGaussian(5);
  const cases: { name: string; v: number[] }[] = [
    { name: 'odd count', v: [5, 1, 4, 2, 3] },
    { name: 'even count', v: [10, 2, 8, 4] },
    { name: 'duplicates', v: [3, 3, 1, 3, 9, 3] },
    { name: 'sorted', v: Array.from({ length: 101 }, (_, i) => i) },
    { name: 'random', v: Array.from({ length: 1000 }, () => g()) },
  ];
  for (const c of cases) {
    const sorted = [...c.v].sort((a, b) => a - b);
    const k = sorted.length >> 1;
    const want = sorted.length % 2 ? sorted[k]! : (sorted[k - 1]! + sorted[k]!) / 2;
    const input = Float64Array.from(c.v);
    assert.equal(median(input), want, c.name);
    assert.deepEqual(Array.from(input), c.v, `${c.name}: input modified`);
  }
});

test('linalg: Theil-Sen ignores a wild point, weighted ridge recovers coefficients or its prior', () => {
  const x = [0, 1, 2, 3, 4, 5, 6];
  const y = x.map((v) => 2 + 0.5 * v);
  y[3] = 100;
  const line = theilSen(x, y);
  assert.ok(Math.abs(line.slope - 0.5) < 1e-12 && Math.abs(line.intercept - 2) < 1e-12, JSON.stringify(line));

  // y = 1 + 2 a - 3 b exactly: no penalty gives the coefficients back; a huge one, the prior.
  const rows = 50;
  const X = new Float64Array(rows * 3);
  const Y = new Float64Array(rows);
  const g = lcgGaussian(9);
  for (let r = 0; r < rows; r++) {
    const a = g();
    const b = g();
    X.set([1, a, b], r * 3);
    Y[r] = 1 + 2 * a - 3 * b;
  }
  const w = new Float64Array(rows).fill(1);
  const free = weightedRidge(X, Y, w, rows, 3, [0, 0, 0], [0, 0, 0])!;
  [1, 2, -3].forEach((v, j) => assert.ok(Math.abs(free[j]! - v) < 1e-9, `free beta ${j} = ${free[j]}`));
  const pinned = weightedRidge(X, Y, w, rows, 3, [0, 1e12, 1e12], [0, 0.5, 0.5])!;
  assert.ok(Math.abs(pinned[1]! - 0.5) < 1e-6 && Math.abs(pinned[2]! - 0.5) < 1e-6, `pinned ${Array.from(pinned)}`);
});
