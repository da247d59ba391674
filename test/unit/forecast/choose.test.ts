import assert from 'node:assert/strict';
import test from 'node:test';
import { bestMembers, combine, originMae } from '../../../src/forecast/choose.js';

// Three origins, 2 steps each, at 0, 2, 4; the truth is 10 everywhere.
const origins = [0, 2, 4];
const truth = new Float64Array(6).fill(10);
const flat = (...perOrigin: number[]) => perOrigin.map((v) => Float64Array.of(v, v));

test('originMae: mean absolute error over every origin, or all but one; NaN when a forecast is missing', () => {
  assert.equal(originMae(flat(11, 12, 16), origins, truth, 2), 3);
  assert.equal(originMae(flat(11, 12, 16), origins, truth, 2, 2), 1.5);
  assert.ok(Number.isNaN(originMae([Float64Array.of(1, 1), undefined, Float64Array.of(1, 1)], origins, truth, 2, 1)));
  assert.ok(Number.isNaN(originMae(flat(1, 1, 1), origins, new Float64Array(6).fill(NaN), 2)));
});

test('bestMembers: the best single forecast when no mean of the best ones beats it', () => {
  const best = bestMembers([flat(13, 13, 13), flat(11, 11, 11), flat(15, 15, 15)], origins, truth, 2);
  assert.deepEqual(best, { members: [1], mae: 1 });
});

test('bestMembers: the mean of the best two when their errors cancel', () => {
  const best = bestMembers([flat(12, 12, 12), flat(8, 8, 8), flat(20, 20, 20)], origins, truth, 2);
  assert.deepEqual(best, { members: [0, 1], mae: 0 });
});

test('bestMembers: leaving an origin out changes the choice to what the other origins say', () => {
  // Model 0 is perfect at the last origin only, model 1 good at the first two and far off at the last.
  const forecasts = [flat(14, 14, 10), flat(11, 11, 20)];
  assert.deepEqual(bestMembers(forecasts, origins, truth, 2), { members: [0], mae: 8 / 3 });
  assert.deepEqual(bestMembers(forecasts, origins, truth, 2, 2), { members: [1], mae: 1 });
  assert.deepEqual(bestMembers(forecasts, origins, truth, 2, 0), { members: [0], mae: 2 });
});

test('bestMembers: undefined when nothing was observed after any origin', () => {
  assert.equal(bestMembers([flat(1, 1, 1)], origins, new Float64Array(6).fill(NaN), 2), undefined);
});

test('combine: the mean point by point; one part is returned as is', () => {
  const a = Float64Array.of(1, 2);
  assert.equal(combine([a]), a);
  assert.deepEqual([...combine([a, Float64Array.of(3, 6)])], [2, 4]);
});

test('bestMembers: the mean of the best three when it beats every pair', () => {
  const best = bestMembers([flat(11, 11, 11), flat(11, 11, 11), flat(8, 8, 8)], origins, truth, 2);
  assert.deepEqual(best, { members: [0, 1, 2], mae: 0 });
});

test('bestMembers: a combination must be strictly better; a candidate missing at one origin never enters', () => {
  // The mean of all three is the first one itself (as good, not better): the single model stays.
  assert.deepEqual(bestMembers([flat(10, 10, 12), flat(11, 11, 13), flat(9, 9, 11)], origins, truth, 2)!.members, [0]);
  const perfectButMissing = [Float64Array.of(10, 10), undefined, Float64Array.of(10, 10)];
  assert.deepEqual(bestMembers([perfectButMissing, flat(11, 11, 11)], origins, truth, 2)!.members, [1]);
});

test('bestMembers: undefined when the origins left after `skip` saw no load', () => {
  const onlyFirst = Float64Array.of(10, 10, NaN, NaN, NaN, NaN);
  assert.deepEqual(bestMembers([flat(11, 11, 11)], origins, onlyFirst, 2)!.members, [0]);
  assert.equal(bestMembers([flat(11, 11, 11)], origins, onlyFirst, 2, 0), undefined);
});
