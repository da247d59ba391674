import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MINUTE_MS } from '../../../src/core/duration.js';
import { applyLevelShift, FADE_MS, tailLevelShift, tailSteps } from '../../../src/forecast/level-correction.js';

const STEP = 5 * MINUTE_MS;
const arr = (xs: number[]) => Float64Array.from(xs);
const flat = (v: number, n = 6) => new Float64Array(n).fill(v);

test('tail window: 30 minutes, at least 3 points on coarse steps', () => {
  assert.equal(tailSteps(STEP), 6);
  assert.equal(tailSteps(MINUTE_MS), 30);
  assert.equal(tailSteps(30 * MINUTE_MS), 3);
});

const tailCases: Array<{ name: string; truth: number[]; back: number; want: (shift: number | undefined) => boolean }> = [
  { name: 'a tail scattered around the forecast changes nothing', truth: [96, 104, 99, 103, 97, 101], back: 100, want: (s) => s === 0 },
  { name: 'a noisy tail only a little off counts only beyond its own noise', truth: [80, 140, 95, 130, 85, 125], back: 100, want: (s) => s === 0 },
  { name: 'one spike in a steady tail is ignored (median)', truth: [100, 100, 400, 100, 101, 99], back: 100, want: (s) => s === 0 },
  // Median miss -75, MAD 0.5: the deadband is 2 x 1.2533 x 1.4826 x 0.5 / sqrt(6) = 0.76.
  { name: 'a collapse to a quarter of the forecast is followed almost whole', truth: [25, 24, 26, 25, 25, 24], back: 100, want: (s) => Math.abs(s! - (-75 + 0.7586)) < 0.01 },
  { name: 'a load half again above the forecast raises it by about that much', truth: [150, 148, 153, 149, 151, 150], back: 100, want: (s) => s! > 48 && s! < 50 },
  { name: 'under half the tail observed: no verdict', truth: [NaN, NaN, NaN, NaN, 25, 25], back: 100, want: (s) => s === undefined },
  { name: 'half observed is enough', truth: [NaN, NaN, NaN, 25, 25, 26], back: 100, want: (s) => s! < -70 },
  { name: 'a forecast that is not a number: no verdict', truth: [25, 25, 25, 25, 25, 25], back: NaN, want: (s) => s === undefined },
];
for (const c of tailCases) {
  test(`tailLevelShift: ${c.name}`, () => {
    const r = tailLevelShift(arr(c.truth), flat(c.back, c.truth.length), 1);
    assert.ok(c.want(r?.shift), `got ${JSON.stringify(r)}`);
  });
}

test('tailLevelShift: relative to the forecast level over the tail, or to the scale floor when that is ~0', () => {
  assert.ok(Math.abs(tailLevelShift(arr([25, 25, 25, 25, 25, 25]), flat(100), 1)!.relative - -0.75) < 1e-12);
  // A night job of 20 above a forecast of ~0: the shift is the 20 of load, not a multiple of the forecast.
  const r = tailLevelShift(arr([20, 20, 20, 20, 20, 20]), flat(0.01), 5)!;
  assert.ok(Math.abs(r.shift - 19.99) < 1e-9, `shift ${r.shift}`);
  assert.ok(Math.abs(r.relative - 19.99 / 5) < 1e-9, `relative ${r.relative}`);
});

test('applyLevelShift adds the shift at the first step almost whole and fades it with FADE_MS', () => {
  const n = 100;
  const mean = flat(100, n);
  applyLevelShift(mean, -50, STEP);
  const fade = (j: number) => Math.exp((-(j + 1) * STEP) / FADE_MS);
  for (let j = 0; j < n; j++) assert.ok(Math.abs(mean[j]! - (100 - 50 * fade(j))) < 1e-9, `step ${j}: ${mean[j]}`);
  // One time constant after the first step: e^-1 of the shift is left.
  const j = FADE_MS / STEP - 1;
  assert.ok(Math.abs(100 - mean[j]! - 50 / Math.E) < 1e-9);
  assert.ok(mean[0]! < mean[10]! && mean[10]! < mean[99]!, 'monotone back to the pattern');
});

test('applyLevelShift in load units: a shift of 20 over a forecast near 0 adds about 20, whatever the forecast', () => {
  const mean = arr([0, 0.5, 1, 80]);
  applyLevelShift(mean, 20, STEP);
  const w = (j: number) => Math.exp((-(j + 1) * STEP) / FADE_MS);
  assert.deepEqual(Array.from(mean, (v) => Math.round(v * 1e6) / 1e6), [0, 0.5, 1, 80].map((v, j) => Math.round((v + 20 * w(j)) * 1e6) / 1e6));
});

test('applyLevelShift with no shift leaves the forecast untouched', () => {
  const mean = arr([1, 2, 3]);
  applyLevelShift(mean, 0, STEP);
  assert.deepEqual(Array.from(mean), [1, 2, 3]);
});
