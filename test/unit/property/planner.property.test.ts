/**
 * The planner (src/plan/) under arbitrary forecasts: values NaN, ±Infinity, negative, huge or tiny,
 * at any step and start, with any applied floor. buildPlan either refuses with the project's
 * invalid-input error naming what is wrong (the forecast value and its time, or the option), or
 * returns a plan whose every floor is a finite whole number within [minReplicas, maxReplicas],
 * whose steps are contiguous from now to the forecast's end less the lead time, and whose steps
 * all last at least minStepDuration except the first (the rest of the block in progress) and the
 * last (cut at the plan's end), with every inner boundary on the minStep grid. Every step's reason
 * can be read and printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPrescaleError } from '../../../src/core/errors.js';
import type { Series } from '../../../src/core/series.js';
import { buildPlan, floorAt, nextChange, type AppliedFloor, type Plan, type PlanOptions } from '../../../src/plan/index.js';
import { anyNumber, runs } from './fc.js';

const MIN = 60_000;
const T2025 = Date.UTC(2025, 0, 1);

/** What a broken model might emit in place of a load: NaN, infinities, negative, huge, tiny, anything. */
const hostileValue = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity),
  fc.constantFrom(-1, -1e308, 1e308, Number.MAX_VALUE, 5e-324, -0, 2 ** 53 + 1),
  fc.double(),
);

/** Uniform in [lo, hi] (fc.double favours values near 0 and the bounds). */
const uniform = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: 1_000_000 }).map((i) => lo + ((hi - lo) * i) / 1_000_000);
/** log-uniform in [10^lo, 10^hi]. */
const logUniform = (lo: number, hi: number): fc.Arbitrary<number> => uniform(lo, hi).map((e) => 10 ** e);

/** A series of loads around a level, with spikes and drops; sometimes with hostile values in it. */
const values = fc
  .record({
    level: logUniform(-3, 9),
    shape: fc.array(uniform(0, 3), { minLength: 0, maxLength: 300, size: 'max' }),
    hostile: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Array<[number, number]>) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat(), hostileValue), { minLength: 1, maxLength: 3 }) }),
  })
  .map(({ level, shape, hostile }) => {
    const v = shape.map((x) => x * level);
    for (const [i, x] of hostile) if (v.length > 0) v[i % v.length] = x;
    return { level, v };
  });

interface Case {
  forecast: Series;
  nowMs: number;
  options: PlanOptions;
  applied: AppliedFloor | undefined;
}

/**
 * Valid options and a forecast around now. minStep is at least 1/2000 of the forecast's span, so a
 * plan has at most a few thousand blocks (the planner's work is linear in them).
 */
const validCase: fc.Arbitrary<Case> = fc
  .record({
    values,
    stepMs: fc.constantFrom(1_000, 15_000, MIN, 5 * MIN, 30 * MIN, 3_600_000),
    nowMs: fc.oneof(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), fc.constant(T2025), fc.integer({ min: T2025, max: T2025 + 86_400_000 })),
    startOffsetSteps: fc.integer({ min: -20, max: 3 }),
    /** Replicas the level needs: perReplica = level / this. */
    replicasAtLevel: fc.oneof({ weight: 8, arbitrary: logUniform(-1, 2.5) }, { weight: 1, arbitrary: fc.constantFrom(1e-300, 1e300) }),
    headroom: fc.oneof(fc.constant(undefined), fc.constant(0), uniform(0, 1)),
    minReplicas: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1000 }) }),
    extra: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) }),
    /** leadTime as a fraction of the forecast's span (the plan covers the rest). */
    leadFraction: fc.oneof(fc.constant(0), uniform(0, 0.6)),
    tickMs: fc.oneof(fc.constant(undefined), fc.constantFrom(1, 1_000, 15_000, MIN, 5 * MIN)),
    /** minStep as a fraction of the forecast's span, from 1/2000 (many steps) to 2 (one). */
    minStepFraction: logUniform(Math.log10(1 / 2000), Math.log10(2)),
    scaleDownDelayMs: fc.oneof(fc.constant(undefined), fc.constant(0), fc.integer({ min: 1, max: 6 * 3_600_000 })),
    maxStepChange: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 20 })),
    gridOriginMs: fc.oneof(fc.constant(undefined), fc.integer({ min: -1e12, max: 1e12 })),
    applied: fc.option(fc.record({ replicas: fc.integer({ min: 0, max: 300 }), agoMs: fc.integer({ min: -3_600_000, max: 6 * 3_600_000 }) }), { nil: undefined }),
  })
  .map((r) => {
    const span = Math.max(1, r.values.v.length) * r.stepMs;
    const minStepMs = Math.max(1, Math.round(span * r.minStepFraction));
    const perReplica = r.values.level / r.replicasAtLevel;
    const options: PlanOptions = {
      perReplica: perReplica > 0 && Number.isFinite(perReplica) ? perReplica : 1,
      minReplicas: r.minReplicas,
      maxReplicas: Math.max(1, r.minReplicas + r.extra),
      leadTimeMs: Math.round(span * r.leadFraction),
      minStepMs,
      ...(r.headroom === undefined ? {} : { headroom: r.headroom }),
      ...(r.tickMs === undefined ? {} : { tickMs: r.tickMs }),
      ...(r.scaleDownDelayMs === undefined ? {} : { scaleDownDelayMs: r.scaleDownDelayMs }),
      ...(r.maxStepChange === undefined ? {} : { maxStepChange: r.maxStepChange }),
      ...(r.gridOriginMs === undefined ? {} : { gridOriginMs: r.gridOriginMs }),
      quantile: 0.9,
    };
    // The forecast starts at the last metric step before now (as a refit's does), or a few steps earlier.
    const startMs = Math.floor(r.nowMs / r.stepMs) * r.stepMs + Math.min(0, r.startOffsetSteps) * r.stepMs;
    return {
      forecast: { startMs, stepMs: r.stepMs, values: Float64Array.from(r.values.v) },
      nowMs: r.nowMs,
      options,
      applied: r.applied && { replicas: r.applied.replicas, sinceMs: r.nowMs - r.applied.agoMs },
    };
  });

const OPTION_NAMES = /perReplica|headroom|minReplicas|maxReplicas|leadTime|tick|minStep|scaleDownDelay|maxStepChange|quantile|gridOrigin/;
const FORECAST_FIELDS = /^forecast: (value \d+ \(\d{4}-\d\d-\d\dT[\d:]+Z\) is (NaN|Infinity|-Infinity), not a number|step must be > 0|start .* is not a time|end .* is not a time)|^plan: (now .* is not a time|applied floor .* is not valid)/;

/** Every invariant of a plan buildPlan returned. */
function checkPlan(c: Case, plan: Plan): void {
  const o = c.options;
  const { startMs, stepMs, values: v } = c.forecast;
  const planEnd = startMs + v.length * stepMs - o.leadTimeMs;
  if (v.length === 0 || planEnd <= c.nowMs) {
    assert.equal(plan.steps.length, 0, 'no plan without a forecast past now + leadTime');
    return;
  }
  const steps = plan.steps;
  assert.ok(steps.length > 0);
  assert.equal(steps[0]!.fromMs, c.nowMs, 'the plan starts now');
  assert.equal(steps.at(-1)!.toMs, planEnd, 'the plan ends at the forecast end less the lead time');
  const origin = o.gridOriginMs ?? 0;
  const M = o.minStepMs!;
  steps.forEach((s, i) => {
    assert.ok(Number.isInteger(s.replicas), `step ${i}: ${s.replicas} replicas is a whole number`);
    assert.ok(s.replicas >= o.minReplicas && s.replicas <= o.maxReplicas, `step ${i}: ${s.replicas} within [${o.minReplicas}, ${o.maxReplicas}]`);
    assert.ok(s.toMs > s.fromMs, `step ${i} is not empty`);
    if (i > 0) {
      assert.equal(s.fromMs, steps[i - 1]!.toMs, `step ${i} starts where step ${i - 1} ends`);
      assert.notEqual(s.replicas, steps[i - 1]!.replicas, 'consecutive steps differ (equal ones are merged)');
      assert.equal((((s.fromMs - origin) % M) + M) % M, 0, `step ${i} starts on the ${M} ms grid`);
    }
    if (i > 0 && i < steps.length - 1) assert.ok(s.toMs - s.fromMs >= M, `step ${i} lasts ${s.toMs - s.fromMs} ms >= minStep ${M} ms`);
    // The reason is readable (its text is built lazily) and survives JSON.
    assert.equal(typeof s.reason.detail, 'string');
    assert.ok(s.reason.detail.length > 0);
    JSON.stringify(s.reason);
  });
  assert.equal(floorAt(plan, c.nowMs), steps[0]!.replicas);
  const next = nextChange(plan, c.nowMs);
  if (next !== undefined) assert.notEqual(next.replicas, steps[0]!.replicas);
}

function planOrRefusal(c: Case): Plan | undefined {
  try {
    return buildPlan(c.forecast, c.nowMs, c.options, c.applied);
  } catch (e) {
    assert.ok(isPrescaleError(e, 'invalid-input'), `not the project's invalid-input error: ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.message, FORECAST_FIELDS, 'the refusal names the forecast value and its time, or the field');
    return undefined;
  }
}

test('any forecast: a plan within [min, max] in whole replicas with steps of at least minStep, or a refusal naming the value', () => {
  const seen = { cases: 0, refused: 0, multiStep: 0 };
  fc.assert(
    fc.property(validCase, (c) => {
      seen.cases++;
      const plan = planOrRefusal(c);
      const finite = c.forecast.values.every((x) => Number.isFinite(x));
      if (!finite) {
        assert.equal(plan, undefined, 'a forecast with a non-finite value is refused');
        seen.refused++;
        return;
      }
      assert.ok(plan, 'a finite forecast with valid options is planned');
      checkPlan(c, plan);
      if (plan.steps.length >= 3) seen.multiStep++;
    }),
    runs(600),
  );
  // The cases exercise both outcomes, and plans long enough to have inner steps.
  assert.ok(seen.refused >= seen.cases / 20 && seen.multiStep >= seen.cases / 20, JSON.stringify(seen));
});

test('a higher forecast never plans a lower floor (the planner is monotone)', () => {
  fc.assert(
    fc.property(validCase, fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { maxLength: 300 }), (c, bumps) => {
      if (!c.forecast.values.every((x) => Number.isFinite(x))) return;
      const higher = { ...c.forecast, values: c.forecast.values.map((x, i) => x + (bumps[i] ?? 0)) };
      const a = buildPlan(c.forecast, c.nowMs, c.options, c.applied);
      const b = buildPlan(higher, c.nowMs, c.options, c.applied);
      // maxStepChange limits a step relative to its neighbours, so it alone may break monotonicity.
      if (c.options.maxStepChange !== undefined) return;
      for (const s of a.steps) assert.ok(floorAt(b, s.fromMs)! >= s.replicas, `at ${s.fromMs}: ${floorAt(b, s.fromMs)} >= ${s.replicas}`);
    }),
    runs(200),
  );
});

test('hostile options and times are refused with an invalid-input error naming the option, never planned', () => {
  const hostile = fc.record({
    field: fc.constantFrom('perReplica', 'headroom', 'minReplicas', 'maxReplicas', 'leadTimeMs', 'tickMs', 'minStepMs', 'scaleDownDelayMs', 'maxStepChange', 'quantile', 'gridOriginMs'),
    value: anyNumber(),
  });
  fc.assert(
    fc.property(validCase, hostile, (c, h) => {
      const options = { ...c.options, [h.field]: h.value } as PlanOptions;
      let plan: Plan;
      try {
        plan = buildPlan(c.forecast, c.nowMs, options, c.applied);
      } catch (e) {
        assert.ok(isPrescaleError(e, 'invalid-input'), `not the project's invalid-input error: ${e instanceof Error ? e.stack : String(e)}`);
        assert.match(e.message, new RegExp(`${OPTION_NAMES.source}|^forecast: |^plan: `));
        return;
      }
      // Accepted: then the value was a valid one for that option, and the plan keeps every invariant.
      if (c.forecast.values.every((x) => Number.isFinite(x))) checkPlan({ ...c, options }, plan);
    }),
    runs(300),
  );
});

test('times outside what a clock or a recording gives are refused, not planned into dates that cannot be printed', () => {
  const far = fc.oneof(fc.constantFrom(8.64e15 + 1, 1e17, 1e22, -1e17, Number.MAX_SAFE_INTEGER, 1e300), fc.double({ min: 8.7e15, max: 1e300, noNaN: true }));
  fc.assert(
    fc.property(validCase, far, fc.constantFrom('now', 'start', 'since'), (c, t, which) => {
      if (!c.forecast.values.every((x) => Number.isFinite(x)) || c.forecast.values.length === 0) return;
      const shifted: Case =
        which === 'now' ? { ...c, nowMs: t, forecast: { ...c.forecast, startMs: t } }
        : which === 'start' ? { ...c, forecast: { ...c.forecast, startMs: t } }
        : { ...c, applied: { replicas: 3, sinceMs: t } };
      const plan = planOrRefusal(shifted);
      if (plan) checkPlan(shifted, plan);
    }),
    runs(100),
  );
});

test('a minStep far too short for the plan is refused at once (1ms over 6h would be 21.6 million blocks)', () => {
  const forecast: Series = { startMs: T2025, stepMs: MIN, values: new Float64Array(360).fill(500) };
  const started = performance.now();
  assert.throws(
    () => buildPlan(forecast, T2025, { perReplica: 100, minReplicas: 1, maxReplicas: 20, leadTimeMs: 0, tickMs: 1, minStepMs: 1 }),
    (e: unknown) => isPrescaleError(e, 'invalid-input') && /^plan: minStep 1ms cuts the 6h plan into more than 100000 steps/.test((e as Error).message),
  );
  assert.ok(performance.now() - started < 1000, 'refused without building the blocks');
  // The largest plan allowed still plans: 99,998 blocks of 1 s over 27.8 hours.
  const long: Series = { startMs: T2025, stepMs: 1000, values: new Float64Array(99_998).fill(500) };
  const plan = buildPlan(long, T2025, { perReplica: 100, minReplicas: 1, maxReplicas: 20, leadTimeMs: 0, tickMs: 1000, minStepMs: 1000 });
  assert.deepEqual(plan.steps.map((s) => s.replicas), [5]);
});
