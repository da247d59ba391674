import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityWarning, clampInt, isShort, replicasFor } from '../../../src/plan/capacity.js';
import { resolvePlanOptions } from '../../../src/plan/options.js';

test('replicasFor: ceil(load x (1 + headroom) / perReplica), robust to float noise', () => {
  const cases: Array<[string, number, number, number, number]> = [
    ['exact multiple', 360, 120, 0, 3],
    ['just above a multiple', 361, 120, 0, 4],
    ['3.3000000000000003 in floats is still 4', 300, 100, 0.1, 4],
    ['0.3 / 0.1 = 2.9999999999999996 is 3', 0.3, 0.1, 0, 3],
    ['330 x 1.1 / 121 is 3 exactly (3.0000000000000004 in floats)', 330, 121, 0.1, 3],
    ['no load', 0, 100, 0, 0],
    ['negative forecast counts as no load', -50, 100, 0, 0],
    ['tiny load needs one', 0.001, 100, 0, 1],
  ];
  for (const [name, load, per, head, want] of cases) assert.equal(replicasFor(load, per, head), want, name);
});

test('isShort agrees with replicasFor: short exactly when ready < replicasFor(load)', () => {
  for (const load of [0, 99.9, 100, 100.1, 300, 0.3, 1234.5]) {
    for (const ready of [0, 1, 2, 3, 4, 13]) {
      assert.equal(isShort(load, ready, load === 0.3 ? 0.1 : 100), ready < replicasFor(load, load === 0.3 ? 0.1 : 100), `${load} ${ready}`);
    }
  }
  assert.deepEqual([clampInt(0, 2, 5), clampInt(9, 2, 5), clampInt(3, 2, 5)], [2, 5, 3]);
});

test('plan option defaults: tick 60 s, min step 30 min, scale-down delay 30 min, headroom 0', () => {
  const o = resolvePlanOptions({ perReplica: 10, minReplicas: 1, maxReplicas: 5, leadTimeMs: 0 });
  assert.deepEqual([o.tickMs, o.minStepMs, o.scaleDownDelayMs, o.headroom, o.maxStepChange], [60_000, 1_800_000, 1_800_000, 0, undefined]);
});

test('capacityWarning: a load that never needs more than minReplicas says so, naming the field', () => {
  const cpu = [0.002, 0.0164, NaN, 0.004]; // cores, against perReplica 1
  const w = capacityWarning(cpu, 1, 1);
  assert.ok(w !== undefined);
  assert.match(w, /capacity\.perReplica 1\b/);
  assert.match(w, /peak is 0\.0164/);
  assert.match(w, /minReplicas \(1\)/);
  // Two replicas at the peak: the floor can move above a minimum of 1, not above one of 2.
  assert.equal(capacityWarning([150, 180, 90], 100, 1), undefined);
  assert.ok(capacityWarning([150, 180, 90], 100, 2) !== undefined);
  assert.equal(capacityWarning([NaN, NaN], 100, 1), undefined);
  assert.equal(capacityWarning([], 100, 1), undefined);
});
