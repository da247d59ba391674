import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS } from '../../../src/core/duration.js';
import { parseTimestampMs } from '../../../src/core/time.js';
import { CleanFlag, cleanSeries, type CleanResult } from '../../../src/forecast/clean/index.js';
import { detectSeasonality, periodsInSteps } from '../../../src/forecast/seasonality.js';
import { gaussian, noisy, pattern, trace } from '../../support/synthetic.js';

const FIVE_MIN = 5 * MINUTE_MS;
const START = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC
const DAY = DAY_MS / FIVE_MIN; // 288 steps
const WEEK = WEEK_MS / FIVE_MIN; // 2016 steps

/** Invariants of every result: same length, no NaN, non-negative for non-negative input, counts match flags. */
function assertWellFormed(input: Float64Array, r: CleanResult): void {
  assert.equal(r.values.length, input.length);
  assert.equal(r.flags.length, input.length);
  const nonNegative = input.every((v) => Number.isNaN(v) || v >= 0);
  const tally = [0, 0, 0, 0, 0];
  for (let i = 0; i < input.length; i++) {
    assert.ok(Number.isFinite(r.values[i]!), `value ${i} finite`);
    if (nonNegative) assert.ok(r.values[i]! >= 0, `value ${i} non-negative`);
    tally[r.flags[i]!]!++;
    if (r.flags[i] === CleanFlag.kept) assert.equal(r.values[i], input[i], `kept value ${i} unchanged`);
    if (Number.isNaN(input[i]!)) assert.notEqual(r.flags[i], CleanFlag.kept, `gap ${i} not kept`);
  }
  assert.deepEqual(r.counts, { gaps: tally[1], outliers: tally[2], outages: tally[3], excluded: tally[4] });
}

const ctx = (periods: number[], startMs = START, stepMs = FIVE_MIN) => ({ stepMs, startMs, periods });

test('gaps are filled from the seasonal profile, not with zeros or straight lines', () => {
  const truth = pattern(4 * WEEK, true);
  const y = noisy(truth, 3, 1);
  const holeFrom = 2 * WEEK + 2 * DAY; // a whole Wednesday
  for (let i = holeFrom; i < holeFrom + DAY; i++) y[i] = NaN;
  for (let i = 100; i < y.length; i += 997) y[i] = NaN; // scattered single gaps
  const r = cleanSeries(y, ctx([DAY, WEEK]));
  assertWellFormed(y, r);
  assert.equal(r.counts.gaps, y.filter(Number.isNaN).length);
  assert.ok(r.counts.gaps > DAY);
  let maxErr = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = holeFrom; i < holeFrom + DAY; i++) {
    assert.equal(r.flags[i], CleanFlag.gap);
    maxErr = Math.max(maxErr, Math.abs(r.values[i]! - truth[i]!));
    lo = Math.min(lo, r.values[i]!);
    hi = Math.max(hi, r.values[i]!);
  }
  // The filled day follows the daily swing (true range 120) within a few noise sd.
  assert.ok(maxErr < 15, `max error ${maxErr.toFixed(1)} in the filled day`);
  assert.ok(hi - lo > 100, `filled day spans ${(hi - lo).toFixed(0)}, a line or a constant would not`);
});

test('an outage (zeros for 2 hours) and its retry storm (3x for 15 min) are replaced by the pattern', async (t) => {
  const table = [
    { scenario: 'at the daily peak', at: 2 * WEEK + 3 * DAY + 4 * 12 },
    { scenario: 'at the daily trough', at: 2 * WEEK + 3 * DAY + 16 * 12 },
    { scenario: 'in the last day of history', at: 3 * WEEK - DAY + 4 * 12 },
  ];
  for (const row of table) {
    await t.test(row.scenario, () => {
      const truth = pattern(3 * WEEK);
      const y = noisy(truth, 3, 2);
      const outage = 2 * 12; // 2 hours
      const storm = 3; // 15 minutes
      for (let i = row.at; i < row.at + outage; i++) y[i] = 0;
      for (let i = row.at + outage; i < row.at + outage + storm; i++) y[i] = 3 * truth[i]!;
      const r = cleanSeries(y, ctx([DAY]));
      assertWellFormed(y, r);
      for (let i = row.at; i < row.at + outage + storm; i++) {
        assert.equal(r.flags[i], CleanFlag.outage, `point ${i - row.at} of the outage/storm flagged`);
        assert.ok(Math.abs(r.values[i]! - truth[i]!) < 0.1 * truth[i]! + 6, `point ${i - row.at}: ${r.values[i]} vs ${truth[i]}`);
      }
      assert.equal(r.counts.outages, outage + storm);
      assert.deepEqual(r.levelShifts, []);
      // Nothing else of note: the rest is kept (a few stray outliers at most).
      assert.ok(r.counts.outliers <= 3, `${r.counts.outliers} outliers`);
    });
  }
});

test('excluded windows are honoured: [fromMs, toMs), gaps inside included, replaced by the pattern', () => {
  const truth = pattern(3 * WEEK);
  const y = noisy(truth, 3, 3);
  const from = 2 * WEEK + 10 * 12; // a 3-hour load test at double load
  for (let i = from; i < from + 36; i++) y[i] = 2 * truth[i]!;
  y[from + 5] = NaN;
  const excluded = [{ fromMs: START + from * FIVE_MIN, toMs: START + (from + 36) * FIVE_MIN }];
  const r = cleanSeries(y, ctx([DAY]), { excluded });
  assertWellFormed(y, r);
  assert.equal(r.counts.excluded, 36);
  assert.notEqual(r.flags[from - 1], CleanFlag.excluded);
  assert.notEqual(r.flags[from + 36], CleanFlag.excluded);
  for (let i = from; i < from + 36; i++) {
    assert.equal(r.flags[i], CleanFlag.excluded);
    assert.ok(Math.abs(r.values[i]! - truth[i]!) < 0.1 * truth[i]!, `excluded point ${i - from}`);
  }
});

test('a window outside the series, or empty, changes nothing', () => {
  const y = noisy(pattern(2 * DAY), 3, 4);
  const r = cleanSeries(y, ctx([]), { excluded: [{ fromMs: START - DAY_MS, toMs: START - HOUR_MS }, { fromMs: START + HOUR_MS, toMs: START + HOUR_MS }] });
  assertWellFormed(y, r);
  assert.equal(r.counts.excluded, 0);
});

test('a clean noisy sine is left untouched (fewer than 0.5% flagged)', async (t) => {
  const table = [
    { scenario: 'daily + weekly at 5 min, 4 weeks', truth: pattern(4 * WEEK, true), periods: [DAY, WEEK], step: FIVE_MIN },
    { scenario: 'daily at 1 min, 4 weeks', truth: pattern(28 * 1440, false, MINUTE_MS), periods: [1440], step: MINUTE_MS },
    { scenario: 'no periods given', truth: pattern(2 * WEEK), periods: [], step: FIVE_MIN },
  ];
  for (const row of table) {
    await t.test(row.scenario, () => {
      const y = noisy(row.truth, 4, 5);
      const r = cleanSeries(y, ctx(row.periods, START, row.step));
      assertWellFormed(y, r);
      const flagged = y.length - r.flags.filter((f) => f === CleanFlag.kept).length;
      assert.ok(flagged < 0.005 * y.length, `${flagged} of ${y.length} flagged`);
      assert.deepEqual(r.levelShifts, []);
    });
  }
});

test('a noise-free sine: nothing flagged', () => {
  const y = pattern(2 * WEEK, true);
  const r = cleanSeries(y, ctx([DAY, WEEK]));
  assertWellFormed(y, r);
  assert.equal(r.flags.filter((f) => f !== CleanFlag.kept).length, 0);
});

test('single spikes and dips are outliers', () => {
  const truth = pattern(2 * WEEK);
  const y = noisy(truth, 3, 6);
  const spikes = [1000, 2000, 3000];
  y[spikes[0]!] = 10 * truth[spikes[0]!]!;
  y[spikes[1]!] = truth[spikes[1]!]! + 60;
  y[spikes[2]!] = 0.2 * truth[spikes[2]!]!;
  const r = cleanSeries(y, ctx([DAY]));
  assertWellFormed(y, r);
  for (const i of spikes) {
    assert.equal(r.flags[i], CleanFlag.outlier, `point ${i}`);
    assert.ok(Math.abs(r.values[i]! - truth[i]!) < 10);
  }
});

test('outage or level shift: drops longer than maxOutageMs are kept', async (t) => {
  const table = [
    { scenario: '6-hour drop mid-series: outage', from: WEEK + 100, len: 72, end: false, replaced: true },
    { scenario: '6-hour drop at the end: treated as an ongoing outage', from: 2 * WEEK - 72, len: 72, end: true, replaced: true },
    { scenario: '2-day drop at the end: level shift, kept', from: 2 * WEEK - 2 * DAY, len: 2 * DAY, end: true, replaced: false },
    { scenario: '36-hour drop that recovered (a blizzard): outage, replaced', from: WEEK + 100, len: 432, end: false, replaced: true },
    { scenario: '3-day drop mid-series (a holiday): level shift, kept', from: WEEK, len: 3 * DAY, end: false, replaced: false },
  ];
  for (const row of table) {
    await t.test(row.scenario, () => {
      const truth = pattern(2 * WEEK + (row.end ? 0 : WEEK));
      const y = noisy(truth, 3, 7);
      for (let i = row.from; i < row.from + row.len; i++) y[i] = 0.05 * truth[i]!;
      const r = cleanSeries(y, ctx([DAY]));
      assertWellFormed(y, r);
      let kept = 0;
      for (let i = row.from; i < row.from + row.len; i++) if (r.flags[i] === CleanFlag.kept) kept++;
      if (row.replaced) {
        assert.equal(kept, 0);
        assert.deepEqual(r.levelShifts, []);
      } else {
        assert.ok(kept > 0.95 * row.len, `${kept} of ${row.len} kept`);
        assert.equal(r.levelShifts.length, 1);
        assert.equal(r.levelShifts[0]!.fromMs, START + row.from * FIVE_MIN);
      }
    });
  }
});

test('maxOutageMs is an option: a 6-hour drop is a level shift when outages last at most 2 hours', () => {
  const truth = pattern(2 * WEEK);
  const y = noisy(truth, 3, 8);
  for (let i = WEEK; i < WEEK + 72; i++) y[i] = 0;
  const r = cleanSeries(y, ctx([DAY]), { maxOutageMs: 2 * HOUR_MS });
  assert.equal(r.counts.outages, 0);
  assert.equal(r.levelShifts.length, 1);
});

test('nab_grok_asg_cpu: the final 3-day drop to ~0 is kept as a level shift, not refilled', async () => {
  const s = await trace('nab_grok_asg_cpu_5min');
  const periods = periodsInSteps(detectSeasonality(s.values, s.stepMs).periodsMs, s.stepMs);
  const r = cleanSeries(s.values, { stepMs: s.stepMs, startMs: s.startMs, periods });
  assertWellFormed(s.values, r);
  const dropAt = parseTimestampMs('2014-01-29T00:45:00Z');
  assert.equal(r.levelShifts.length, 1);
  assert.ok(Math.abs(r.levelShifts[0]!.fromMs - dropAt) <= HOUR_MS, `shift starts ${new Date(r.levelShifts[0]!.fromMs).toISOString()}`);
  const from = Math.round((dropAt - s.startMs) / s.stepMs) + 12;
  let kept = 0;
  let sum = 0;
  for (let i = from; i < s.values.length; i++) {
    if (r.flags[i] === CleanFlag.kept) kept++;
    sum += r.values[i]!;
  }
  const len = s.values.length - from;
  // The few blips (up to 14%) inside the drop are outliers against the new level; the rest stays.
  assert.ok(kept > 0.9 * len, `${kept} of ${len} kept`);
  assert.ok(sum / len < 2, `mean after the drop ${(sum / len).toFixed(2)}`);
});

test('nyc_taxi: the 2015-01-27 blizzard night is replaced, and little else is touched', async () => {
  const s = await trace('nyc_taxi_30min');
  const periods = periodsInSteps(detectSeasonality(s.values, s.stepMs).periodsMs, s.stepMs);
  const r = cleanSeries(s.values, { stepMs: s.stepMs, startMs: s.startMs, periods });
  assertWellFormed(s.values, r);
  const i = Math.round((parseTimestampMs('2015-01-27T08:00:00Z') - s.startMs) / s.stepMs);
  assert.equal(s.values[i], 8); // 8 passengers in 30 minutes: the travel ban
  assert.equal(r.flags[i], CleanFlag.outage);
  assert.ok(r.values[i]! > 500);
  assert.equal(r.counts.gaps, 2); // the DST artefact
  const flagged = s.values.length - r.flags.filter((f) => f === CleanFlag.kept).length;
  assert.ok(flagged < 0.02 * s.values.length, `${flagged} flagged`);
});

test('degenerate inputs: no NaN, no negative, no throw', async (t) => {
  const g = gaussian(9);
  const table: Array<{ scenario: string; values: Float64Array; periods: number[] }> = [
    { scenario: 'empty', values: new Float64Array(0), periods: [DAY] },
    { scenario: 'all gaps', values: new Float64Array(500).fill(NaN), periods: [DAY] },
    { scenario: 'all zeros', values: new Float64Array(3 * DAY), periods: [DAY] },
    { scenario: 'constant', values: new Float64Array(3 * DAY).fill(7), periods: [DAY] },
    { scenario: 'one value', values: Float64Array.of(5), periods: [] },
    { scenario: 'shorter than the period', values: noisy(pattern(100), 3, 10), periods: [DAY, WEEK] },
    { scenario: 'mostly zeros with bursts', values: Float64Array.from({ length: 3 * DAY }, () => (g() > 1.5 ? 50 : 0)), periods: [DAY] },
    { scenario: 'half gaps', values: noisy(pattern(2 * WEEK), 3, 11).map((v, i) => (i % 2 ? NaN : v)), periods: [DAY, WEEK] },
    { scenario: 'signed values (additive model)', values: noisy(pattern(2 * WEEK), 3, 12).map((v) => v - 100), periods: [DAY] },
  ];
  for (const row of table) {
    await t.test(row.scenario, () => assertWellFormed(row.values, cleanSeries(row.values, ctx(row.periods))));
  }
});

test('all gaps: filled with zeros, all flagged as gaps', () => {
  const r = cleanSeries(new Float64Array(10).fill(NaN), ctx([]));
  assert.deepEqual(Array.from(r.values), new Array(10).fill(0));
  assert.equal(r.counts.gaps, 10);
});

test('signed series: an additive spike is still an outlier', () => {
  const y = noisy(pattern(2 * WEEK), 3, 13).map((v) => v - 100);
  y[1500] = (y[1500] ?? assert.fail('the series is shorter than 1500 points')) + 80;
  const r = cleanSeries(y, ctx([DAY]));
  assertWellFormed(y, r);
  assert.equal(r.flags[1500], CleanFlag.outlier);
});

test('performance: 40,320 one-minute points with periods [1440, 10080] (figure reported, not asserted)', (t) => {
  const y = noisy(pattern(40_320, true, MINUTE_MS), 4, 14);
  for (let i = 20_000; i < 20_120; i++) y[i] = 0;
  const runs: number[] = [];
  let r: CleanResult | undefined;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    r = cleanSeries(y, ctx([1440, 10_080], START, MINUTE_MS));
    runs.push(performance.now() - t0);
  }
  t.diagnostic(`cleanSeries 40,320 points: ${runs.map((ms) => ms.toFixed(1)).join(', ')} ms (first call includes JIT warm-up)`);
  assertWellFormed(y, r!);
  assert.equal(r!.counts.outages, 120);
});
