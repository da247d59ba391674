import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distributionQuantile, weightedDistribution } from '../../../src/forecast/distribution.js';

test('equal weights give the ordinary empirical quantile', () => {
  const d = weightedDistribution([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], Array(10).fill(1));
  assert.deepEqual([...d.values], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(distributionQuantile(d, 0.5), 5);
  assert.equal(distributionQuantile(d, 0.9), 9);
  assert.equal(distributionQuantile(d, 1), 10);
});

test('heavier weights pull the quantile towards their values', () => {
  // Recent errors (weight 4) are large, old ones (weight 1) small: the p90 follows the recent ones.
  const values = [1, 1, 1, 1, 10, 10];
  const d = weightedDistribution(values, [1, 1, 1, 1, 4, 4]);
  assert.equal(distributionQuantile(d, 0.5), 10);
  const flat = weightedDistribution(values, Array(6).fill(1));
  assert.equal(distributionQuantile(flat, 0.5), 1);
});

test('an empty distribution has quantile 0 (no widening)', () => {
  assert.equal(distributionQuantile(weightedDistribution([], []), 0.9), 0);
});
