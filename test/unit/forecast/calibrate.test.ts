import assert from 'node:assert/strict';
import test from 'node:test';
import { type BucketErrors, CALIBRATION_MAX, calibrateLevels as calibrateSorted, errorDistribution, scaleByOrigin, sortErrors } from '../../../src/forecast/calibrate.js';
import { distributionQuantile, weightedDistribution } from '../../../src/forecast/distribution.js';

/** One bucket: `perOrigin` errors from each origin, drawn by `errorAt(origin, i)`, weighted `weightOf(origin)`. */
function bucket(origins: number, perOrigin: number, errorAt: (origin: number, i: number) => number, weightOf = (_k: number) => 1): BucketErrors {
  return Array.from({ length: origins }, (_, o) => {
    const k = o + 1;
    return { origin: k, weight: weightOf(k), values: Float64Array.from({ length: perOrigin }, (_, i) => errorAt(k, i)) };
  });
}

/** A bucket's errors one by one, with the weight and origin of each. */
function flat(b: BucketErrors): { values: number[]; weights: number[]; origins: number[] } {
  return {
    values: b.flatMap((r) => [...r.values]),
    weights: b.flatMap((r) => [...r.values].map(() => r.weight)),
    origins: b.flatMap((r) => [...r.values].map(() => r.origin)),
  };
}

const calibrateLevels = (qs: readonly number[], buckets: readonly BucketErrors[]) => calibrateSorted(qs, buckets.map(sortErrors));

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
function bruteForceLevel(q: number, runs: readonly BucketErrors[]): number {
  const buckets = runs.map(flat);
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
    const buckets = [1, 2, 3].map((b) => bucket(origins, 20, (k) => (rnd() - 0.5) * (1 + ((k * b) % 4)) + (k % 3) * 0.2, (k) => 2 ** (-(k - 1) / 5)));
    for (const q of [0.3, 0.5, 0.8, 0.9, 0.95]) {
      const [got] = calibrateLevels([q], buckets);
      assert.ok(Math.abs(got!.level - bruteForceLevel(q, buckets)) < 1e-9, `origins ${origins}, q ${q}: ${got!.level} vs ${bruteForceLevel(q, buckets)}`);
    }
  }
});

/** Origin k's scale (mean absolute error) of a `spread(x)` bucket is x/2 (its values are evenly spread). */
const scaleOfSpread = (x: number): number => x / 2;
/** Origin weights as the engine gives them: halving every 5 origins back. */
const halving = (k: number): number => 2 ** (-(k - 1) / 5);

test('scaleByOrigin: errors that shrink day after day give the next forecast the recent scale, not the pooled one', () => {
  // 14 origins: the older eight four times as wide as the recent six (a tournament, then calm).
  const wide = (k: number) => (k > 6 ? 4 : 1);
  const b = bucket(14, 100, (k, i) => spread(wide(k))(k, i), halving);
  const s = scaleByOrigin([b])!;
  assert.ok(s !== undefined);
  assert.ok(Math.abs(s.scale - scaleOfSpread(1)) < 1e-12, `scale ${s.scale}`);
  // Errors of origins 1-4 are divided by the calm scale before them (3 of the 4 nearest origins
  // are calm and weigh most), those of 5-11 by the wide one; 12-14 have too few before them.
  assert.deepEqual(s.buckets[0]!.map((r) => r.origin), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const bandOf = (buckets: readonly BucketErrors[], scale: number): number => scale * distributionQuantile(errorDistribution(sortErrors(buckets[0]!)), 0.9);
  const pooled = bandOf([b], 1);
  const scaled = bandOf(s.buckets, s.scale);
  // The recent days' own 90th percentile is 0.8; the pooled errors (recent days weighing more) put
  // the band at 1.6.
  assert.ok(pooled > 1.5, `pooled ${pooled}`);
  assert.ok(scaled < 1.2, `scaled ${scaled}`);
});

test('scaleByOrigin: one wide day among calm ones leaves the next scale calm, its errors in the tail', () => {
  const b = bucket(14, 100, (k, i) => spread(k === 2 ? 10 : 1)(k, i), halving);
  const s = scaleByOrigin([b])!;
  assert.ok(Math.abs(s.scale - scaleOfSpread(1)) < 1e-12, `scale ${s.scale}`);
  const scores = flat(s.buckets[0]!);
  // The wide day's errors, divided by the calm scale before it, reach 20 calm scales.
  assert.ok(Math.max(...scores.values) > 19, `max ${Math.max(...scores.values)}`);
  assert.ok(Math.max(...scores.values.filter((_, i) => scores.origins[i] !== 2)) < 2.01);
});

test('scaleByOrigin: every bucket of an origin is divided by the same predicted scale; weights and origins kept', () => {
  const near = bucket(8, 10, (k, i) => spread(k)(k, i), halving);
  const far = bucket(8, 10, (k, i) => spread(3 * k)(k, i), halving);
  const s = scaleByOrigin([near, far])!;
  // The definition, the slow way: origin k's scale is its mean absolute error over both buckets;
  // the scale predicted for it, the median of the older origins' scales, weighted as their errors.
  const scaleOf = (k: number): number => {
    const vs = [near, far].flatMap((b) => [...b.find((r) => r.origin === k)!.values]);
    return vs.reduce((a, v) => a + Math.abs(v), 0) / vs.length;
  };
  const predicted = (k: number): number => {
    const before = [1, 2, 3, 4, 5, 6, 7, 8].filter((x) => x > k);
    return distributionQuantile(weightedDistribution(before.map(scaleOf), before.map(halving)), 0.5);
  };
  assert.ok(Math.abs(s.scale - predicted(0)) < 1e-12);
  // Origins 1-5 have 3 or more origins before them.
  for (const [bi, source] of [near, far].entries()) {
    const got = s.buckets[bi]!;
    assert.deepEqual(got.map((r) => r.origin), [1, 2, 3, 4, 5]);
    got.forEach((run, r) => {
      assert.equal(run.weight, source[r]!.weight);
      run.values.forEach((v, i) => assert.ok(Math.abs(v - source[r]!.values[i]! / predicted(run.origin)) < 1e-12));
    });
  }
});

test('sortErrors and errorDistribution: the runs merged in order, each error weighted by its origin', () => {
  const b: BucketErrors = [
    { origin: 1, weight: 2, values: Float64Array.from([0.3, -0.1, 0.2]) },
    { origin: 2, weight: 1, values: Float64Array.from([0.25, -0.5]) },
    { origin: 3, weight: 1, values: new Float64Array(0) },
    { origin: 4, weight: 0.5, values: Float64Array.from([0.1, 0.4, -0.1]) },
  ];
  const s = sortErrors(b);
  assert.deepEqual([...s.values], [-0.5, -0.1, -0.1, 0.1, 0.2, 0.25, 0.3, 0.4]);
  assert.deepEqual([...s.values].map((v, pos) => b[s.runAt[pos]!]!.values.includes(v)), Array(8).fill(true));
  const f = flat(b);
  const expected = weightedDistribution(f.values, f.weights);
  const got = errorDistribution(s);
  assert.deepEqual([...got.values], [...expected.values]);
  got.cum.forEach((c, i) => assert.ok(Math.abs(c - expected.cum[i]!) < 1e-12));
});

test('scaleByOrigin: too few origins, or no error at all, leave the errors as they are', () => {
  // Origins with 3 or more before them get a scale: 4 of 7 origins, 5 of 8; 5 are needed (a band
  // from three or four days' errors is too thin).
  assert.equal(scaleByOrigin([bucket(7, 10, spread(1), halving)]), undefined);
  assert.notEqual(scaleByOrigin([bucket(8, 10, spread(1), halving)]), undefined);
  assert.equal(scaleByOrigin([bucket(14, 10, () => 0, halving)]), undefined);
});
