import assert from 'node:assert/strict';
import test from 'node:test';
import { type BucketErrors, CALIBRATION_MAX, calibrateLevels } from '../../../src/forecast/calibrate.js';
import { distributionQuantile, weightedDistribution } from '../../../src/forecast/distribution.js';

/** One bucket: `perOrigin` errors from each origin, drawn by `errorAt(origin, i)`, all weighted 1. */
function bucket(origins: number, perOrigin: number, errorAt: (origin: number, i: number) => number): BucketErrors {
  const values: number[] = [];
  const weights: number[] = [];
  const ids: number[] = [];
  for (let k = 1; k <= origins; k++) {
    for (let i = 0; i < perOrigin; i++) {
      values.push(errorAt(k, i));
      weights.push(1);
      ids.push(k);
    }
  }
  return { values, weights, origins: ids };
}

/** Evenly spread errors in [-scale, scale) (no randomness: the test is exact). */
const spread = (scale: number) => (_k: number, i: number) => scale * (((i * 37) % 100) / 50 - 1);

test('calibrateLevels: origins alike keep the level near q', () => {
  const [p90] = calibrateLevels([0.9], [bucket(10, 100, spread(1))]);
  assert.equal(p90!.q, 0.9);
  assert.ok(Math.abs(p90!.level - 0.9) <= 0.02, `level ${p90!.level}`);
});

test('calibrateLevels: days biased each their own way raise the level (pooled errors understate the spread)', () => {
  // Origin k's errors sit tightly around k - 2: the other days' band never reaches the highest day.
  const b = bucket(3, 100, (k, i) => k - 2 + spread(0.1)(k, i));
  const [p90] = calibrateLevels([0.9], [b]);
  assert.ok(p90!.level > 0.9, `level ${p90!.level}`);
  assert.ok(p90!.level <= CALIBRATION_MAX);
});

test('calibrateLevels: one origin far wider than the others lowers the level (the others are over-covered)', () => {
  const b = bucket(10, 100, (k, i) => spread(k === 3 ? 5 : 1)(k, i));
  const [p90] = calibrateLevels([0.9], [b]);
  assert.ok(p90!.level < 0.9, `level ${p90!.level}`);
});

test('calibrateLevels: levels rise with q, one call for several quantiles', () => {
  const b = bucket(8, 50, (k, i) => spread(1 + k / 4)(k, i));
  const levels = calibrateLevels([0.5, 0.8, 0.95], [b, bucket(8, 50, spread(2))]);
  assert.deepEqual(levels.map((l) => l.q), [0.5, 0.8, 0.95]);
  for (let i = 1; i < levels.length; i++) assert.ok(levels[i]!.level >= levels[i - 1]!.level, JSON.stringify(levels));
});

test('calibrateLevels: fewer than 3 origins leave q as it is', () => {
  assert.deepEqual(calibrateLevels([0.9, 0.5], [bucket(2, 100, spread(3))]), [
    { q: 0.9, level: 0.9 },
    { q: 0.5, level: 0.5 },
  ]);
});

/** The definition, the slow way: per level on the grid, rebuild every fold's distribution and count. */
function bruteForceLevel(q: number, buckets: readonly BucketErrors[]): number {
  const origins = [...new Set(buckets.flatMap((b) => b.origins))];
  if (origins.length < 3) return q;
  const coverageAt = (level: number): number => {
    let hit = 0;
    let total = 0;
    for (const k of origins) {
      for (const b of buckets) {
        const idx = b.values.map((_, i) => i);
        const inside = idx.filter((i) => b.origins[i] !== k);
        const out = idx.filter((i) => b.origins[i] === k);
        if (out.length === 0 || inside.length === 0) continue;
        const bound = distributionQuantile(weightedDistribution(inside.map((i) => b.values[i]!), inside.map((i) => b.weights[i]!)), level);
        for (const i of out) if (b.values[i]! <= bound) hit += b.weights[i]!;
        total += b.weights[out[0]!]! * out.length;
      }
    }
    return hit / total;
  };
  for (let level = Math.max(0.005, q - 0.1); level < CALIBRATION_MAX; level += 0.005) if (coverageAt(level) >= q) return level;
  return CALIBRATION_MAX;
}

test('calibrateLevels: the same levels as the definition computed the slow way', () => {
  let seed = 11;
  const rnd = (): number => {
    seed = (seed * 1664525 + 1013904223) % 4294967296;
    return seed / 4294967296;
  };
  for (const origins of [3, 6, 14]) {
    const buckets = [1, 2, 3].map((b) => {
      const e = bucket(origins, 20, (k) => (rnd() - 0.5) * (1 + ((k * b) % 4)) + (k % 3) * 0.2);
      return { ...e, weights: e.origins.map((k) => 2 ** (-(k - 1) / 5)) };
    });
    for (const q of [0.3, 0.5, 0.8, 0.9, 0.95]) {
      const [got] = calibrateLevels([q], buckets);
      assert.ok(Math.abs(got!.level - bruteForceLevel(q, buckets)) < 1e-9, `origins ${origins}, q ${q}: ${got!.level} vs ${bruteForceLevel(q, buckets)}`);
    }
  }
});
