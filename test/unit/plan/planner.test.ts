import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPlan } from '../../../src/plan/planner.js';
import { floorAt, nextChange, stepAt } from '../../../src/plan/floor.js';
import type { AppliedFloor, Plan, PlanOptions } from '../../../src/plan/types.js';
import { isPrescaleError } from '../../../src/core/errors.js';

const MIN = 60_000;
const H = 60 * MIN;

/** A 5-minute forecast from startMs whose value is f(t) at each sample time. */
function forecastOf(hours: number, f: (tMs: number) => number, startMs = 0) {
  const n = (hours * H) / (5 * MIN);
  return { startMs, stepMs: 5 * MIN, values: Float64Array.from({ length: n }, (_, i) => f(startMs + i * 5 * MIN)) };
}

const opts: PlanOptions = { perReplica: 100, minReplicas: 1, maxReplicas: 20, leadTimeMs: 5 * MIN, tickMs: MIN, minStepMs: 30 * MIN, scaleDownDelayMs: 0 };

/** Steps as [fromMinute, toMinute, replicas, reason kind]. */
const shape = (p: Plan): Array<[number, number, number, string]> => p.steps.map((s) => [s.fromMs / MIN, s.toMs / MIN, s.replicas, s.reason.kind]);

test('planner: hand-worked plans', () => {
  const cases: Array<{ name: string; load: (t: number) => number; o?: Partial<PlanOptions>; nowMs?: number; applied?: AppliedFloor; want: Array<[number, number, number, string]> }> = [
    { name: 'flat 250/s -> 3 replicas for the whole horizon', load: () => 250, want: [[0, 355, 3, 'forecast']] },
    {
      // Block [90, 120) covers demand up to 120 + 5 lead + 1 tick, which includes the rise at 120.
      name: 'rise at 2 h to 950/s: 10 replicas from the block before (lead time)',
      load: (t) => (t < 2 * H ? 250 : 950),
      want: [
        [0, 90, 3, 'forecast'],
        [90, 355, 10, 'forecast'],
      ],
    },
    {
      // Block [60, 90) must cover t = 89:59 + 5 min lead + 1 min tick, inside the sample [95, 100).
      name: 'rise at 95 min, within lead + tick of the block end: floor from 60 min',
      load: (t) => (t < 95 * MIN ? 250 : 950),
      want: [
        [0, 60, 3, 'forecast'],
        [60, 355, 10, 'forecast'],
      ],
    },
    {
      name: 'rise at 100 min, beyond lead + tick of the block end: floor from 90 min',
      load: (t) => (t < 100 * MIN ? 250 : 950),
      want: [
        [0, 90, 3, 'forecast'],
        [90, 355, 10, 'forecast'],
      ],
    },
    {
      name: 'drop at 3 h without scale-down delay',
      load: (t) => (t < 3 * H ? 950 : 250),
      want: [
        [0, 180, 10, 'forecast'],
        [180, 355, 3, 'forecast'],
      ],
    },
    {
      name: 'drop at 3 h with a 30-min scale-down delay: held one more block',
      load: (t) => (t < 3 * H ? 950 : 250),
      o: { scaleDownDelayMs: 30 * MIN },
      want: [
        [0, 210, 10, 'forecast'],
        [210, 355, 3, 'forecast'],
      ],
    },
    {
      // 4, 6, 8 within one block: a single rise to the block's max.
      name: 'increments within a step are batched into one rise',
      load: (t) => (t < 60 * MIN ? 250 : t < 70 * MIN ? 450 : t < 80 * MIN ? 650 : 850),
      want: [
        [0, 30, 3, 'forecast'],
        [30, 60, 5, 'forecast'],
        [60, 355, 9, 'forecast'],
      ],
    },
    { name: 'no load: minReplicas', load: () => 0, o: { minReplicas: 2 }, want: [[0, 355, 2, 'min-replicas']] },
    { name: 'load beyond capacity: maxReplicas', load: () => 5000, want: [[0, 355, 20, 'max-replicas']] },
    { name: 'headroom 10 %: 300/s needs ceil(3.3) = 4', load: () => 300, o: { headroom: 0.1 }, want: [[0, 355, 4, 'forecast']] },
    {
      name: 'maxStepChange 2: ramp up ahead of a jump from 2 to 10, ramp down after it',
      load: (t) => (t < 2 * H || t >= 4 * H ? 150 : 950),
      want: [
        [0, 30, 4, 'max-step-change'],
        [30, 60, 6, 'max-step-change'],
        [60, 90, 8, 'max-step-change'],
        [90, 240, 10, 'forecast'],
        [240, 270, 8, 'max-step-change'],
        [270, 300, 6, 'max-step-change'],
        [300, 330, 4, 'max-step-change'],
        [330, 355, 2, 'forecast'],
      ],
      o: { maxStepChange: 2 },
    },
    {
      // Ticks off the step grid must still be able to lower a floor applied long ago.
      name: 'mid-block now, floor applied two hours ago: the block in progress takes its planned 3 at once',
      load: () => 250,
      nowMs: 10 * MIN,
      applied: { replicas: 8, sinceMs: -2 * H },
      want: [[10, 355, 3, 'forecast']],
    },
    {
      name: 'applied 5 min ago: it lasts the minimum step, to the boundary after since + 30 min',
      load: () => 250,
      nowMs: 10 * MIN,
      applied: { replicas: 8, sinceMs: 5 * MIN },
      want: [
        [10, 60, 8, 'hold-min-step'],
        [60, 355, 3, 'forecast'],
      ],
    },
    {
      name: 'applied floor 2 and maxStepChange 3: an immediate need of 10 is limited (and says so)',
      load: () => 950,
      applied: { replicas: 2, sinceMs: -2 * H },
      o: { maxStepChange: 3 },
      want: [
        [0, 30, 5, 'max-step-change'],
        [30, 60, 8, 'max-step-change'],
        [60, 355, 10, 'forecast'],
      ],
    },
  ];
  for (const c of cases) {
    const p = buildPlan(forecastOf(6, c.load), c.nowMs ?? 0, { ...opts, ...c.o }, c.applied);
    assert.deepEqual(shape(p), c.want, c.name);
  }
});

test('planner: reasons name the forecast value, time, quantile and lead time', () => {
  const p = buildPlan(forecastOf(6, (t) => (t < 2 * H ? 250 : 950)), 0, { ...opts, quantile: 0.9 });
  const r = p.steps[1]!.reason;
  assert.equal(r.atMs, 2 * H);
  assert.equal(r.load, 950);
  assert.equal(r.needed, 10);
  assert.match(r.detail, /p90 forecast 950 at 1970-01-01T02:00:00Z needs 10 replicas/);
  assert.match(r.detail, /5m lead time \+ 1m tick/);
  assert.match(JSON.stringify(p.steps[1]), /"detail":"p90 forecast 950 at /, 'the text survives serialisation (status, logs)');
  const held = buildPlan(forecastOf(6, (t) => (t < 3 * H ? 950 : 250)), 0, { ...opts, scaleDownDelayMs: 45 * MIN });
  // Block [210, 240) is held by the 950 at 2:55 (within 45 min before 3:30); its lead window alone needs 3.
  assert.deepEqual(shape(held).slice(0, 2), [
    [0, 240, 10, 'forecast'],
    [240, 355, 3, 'forecast'],
  ]);
  const heldBlock = buildPlan(forecastOf(6, (t) => (t < 3 * H ? 950 : 250)), 210 * MIN, { ...opts, scaleDownDelayMs: 45 * MIN });
  assert.equal(heldBlock.steps[0]!.reason.kind, 'hold-scale-down-delay');
  assert.equal(heldBlock.steps[0]!.reason.atMs, 175 * MIN);
});

test('planner: plan bounds, floorAt and nextChange', () => {
  const f = forecastOf(6, (t) => (t < 2 * H ? 250 : 950), 5 * MIN);
  const p = buildPlan(f, 7 * MIN, opts);
  assert.equal(p.steps[0]!.fromMs, 7 * MIN);
  assert.equal(p.steps.at(-1)!.toMs, 5 * MIN + 6 * H - 5 * MIN);
  assert.equal(floorAt(p, 7 * MIN), 3);
  assert.equal(floorAt(p, 90 * MIN - 1), 3);
  assert.equal(floorAt(p, 90 * MIN), 10);
  assert.equal(floorAt(p, 6 * H), undefined);
  assert.equal(floorAt(p, 0), undefined);
  assert.equal(nextChange(p, 10 * MIN)?.fromMs, 90 * MIN);
  assert.equal(stepAt(p, 100 * MIN)?.replicas, 10);
  // A forecast that ends within the lead time gives an empty plan, not a guess.
  assert.deepEqual(buildPlan(forecastOf(1, () => 100), 56 * MIN, opts).steps, []);
});

test('planner: invalid options and forecasts are rejected with every problem named', () => {
  const f = forecastOf(1, () => 100);
  const bad: Array<[Partial<PlanOptions>, RegExp]> = [
    [{ perReplica: 0 }, /perReplica/],
    [{ minReplicas: 5, maxReplicas: 3 }, /minReplicas \(5\) must not exceed maxReplicas \(3\)/],
    [{ minStepMs: 0, maxStepChange: 0 }, /minStep must be > 0.*maxStepChange/],
    [{ headroom: -0.1 }, /headroom/],
  ];
  for (const [o, re] of bad) {
    assert.throws(
      () => buildPlan(f, 0, { ...opts, ...o }),
      (e: unknown) => isPrescaleError(e, 'invalid-input') && re.test((e as Error).message),
      re.source,
    );
  }
  const withNaN = { ...f, values: Float64Array.from(f.values, (v, i) => (i === 3 ? NaN : v)) };
  assert.throws(() => buildPlan(withNaN, 0, opts), /value 3 \(1970-01-01T00:15:00Z\) is NaN/);
});
