import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MINUTE_MS } from '../../../src/core/duration.js';
import { applyLevelCorrection, FADE_MS, tailLevelError, tailSteps } from '../../../src/forecast/level-correction.js';

const STEP = 5 * MINUTE_MS;
const arr = (xs: number[]) => Float64Array.from(xs);
const flat = (v: number, n = 6) => new Float64Array(n).fill(v);

test('tail window: 30 minutes, at least 3 points on coarse steps', () => {
  assert.equal(tailSteps(STEP), 6);
  assert.equal(tailSteps(MINUTE_MS), 30);
  assert.equal(tailSteps(30 * MINUTE_MS), 3);
});

const tailCases: Array<{ name: string; truth: number[]; back: number; want: (e: number | undefined) => boolean }> = [
  { name: 'a tail scattered around the forecast changes nothing', truth: [96, 104, 99, 103, 97, 101], back: 100, want: (e) => e === 0 },
  { name: 'a tail at the forecast exactly changes nothing', truth: [100, 100, 100, 100, 100, 100], back: 100, want: (e) => e === 0 },
  { name: 'a collapse to a quarter of the forecast is followed almost whole', truth: [25, 24, 26, 25, 25, 24], back: 100, want: (e) => e! < -0.73 && e! > -0.76 },
  { name: 'a load half again above the forecast raises it', truth: [150, 148, 153, 149, 151, 150], back: 100, want: (e) => e! > 0.47 && e! < 0.5 },
  { name: 'a noisy tail only a little off counts only beyond its own noise', truth: [80, 140, 95, 130, 85, 125], back: 100, want: (e) => e === 0 },
  { name: 'one spike in a steady tail is ignored (median)', truth: [100, 100, 400, 100, 101, 99], back: 100, want: (e) => e === 0 },
  { name: 'under half the tail observed: no verdict', truth: [NaN, NaN, NaN, NaN, 25, 25], back: 100, want: (e) => e === undefined },
  { name: 'half observed is enough', truth: [NaN, NaN, NaN, 25, 25, 26], back: 100, want: (e) => e! < -0.7 },
];
for (const c of tailCases) {
  test(`tailLevelError: ${c.name}`, () => {
    const e = tailLevelError(arr(c.truth), flat(c.back, c.truth.length), 1);
    assert.ok(c.want(e), `got ${e}`);
  });
}

test('tailLevelError: a forecast of 0 is measured against the scale floor, not divided by zero', () => {
  const e = tailLevelError(arr([5, 5, 5, 5, 5, 5]), flat(0), 10);
  assert.ok(e !== undefined && Math.abs(e - 0.5) < 1e-12, `got ${e}`);
});

test('applyLevelCorrection shifts the first step almost fully and fades with FADE_MS', () => {
  const n = 100;
  const mean = flat(100, n);
  applyLevelCorrection(mean, -0.5, 1, STEP);
  const fade = (j: number) => Math.exp((-(j + 1) * STEP) / FADE_MS);
  for (let j = 0; j < n; j++) assert.ok(Math.abs(mean[j]! - (100 - 50 * fade(j))) < 1e-9, `step ${j}: ${mean[j]}`);
  // One time constant after the first step: e^-1 of the shift is left.
  const j = FADE_MS / STEP - 1;
  assert.ok(Math.abs(100 - mean[j]! - 50 / Math.E) < 1e-9);
  assert.ok(mean[0]! < mean[10]! && mean[10]! < mean[99]!, 'monotone back to the pattern');
});

test('applyLevelCorrection with no error leaves the forecast untouched', () => {
  const mean = arr([1, 2, 3]);
  applyLevelCorrection(mean, 0, 1, STEP);
  assert.deepEqual(Array.from(mean), [1, 2, 3]);
});
