import assert from 'node:assert/strict';
import test from 'node:test';
import { type BucketErrors, CALIBRATION_MAX, calibrateLevels } from '../../../src/forecast/calibrate.js';

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
