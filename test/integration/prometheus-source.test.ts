/**
 * PrometheusSource and HistoryWindow against a real Prometheus (test/support/prometheus.ts),
 * with requests counted by the fault proxy (no faults injected here).
 * Fixture: 28 days of fixtures/traces/worldcup98_1min.csv (1998-05-01 .. 1998-05-29, 1-minute
 * step, 40,320 points, 7 short gaps), plus small series for the error and special-value cases.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from '../../src/core/clock.js';
import { isPrescaleError } from '../../src/core/errors.js';
import type { Samples } from '../../src/core/series.js';
import { HistoryWindow } from '../../src/metrics/history.js';
import { MAX_POINTS_PER_REQUEST, PrometheusSource, type PrometheusSourceOptions } from '../../src/metrics/prometheus.js';
import { RecordedSource } from '../../src/metrics/recorded-source.js';
import { toRegular } from '../../src/metrics/resample.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { readCsvSamples, sliceSamples, startPrometheus, type PromServer } from '../support/prometheus.js';

const MIN = 60_000;
const DAY = 86_400_000;
const FROM = Date.UTC(1998, 4, 1); // 1998-05-01T00:00:00Z
const TO = FROM + 28 * DAY; // exclusive
const LOOKBACK = 5 * MIN; // Prometheus' default --query.lookback-delta

const fixture: Samples = sliceSamples(readCsvSamples('fixtures/traces/worldcup98_1min.csv'), FROM, TO);
const fixtureAt = new Map(fixture.timesMs.map((t, i) => [t, fixture.values[i]!]));

/**
 * What Prometheus answers at time t for a raw selector: the latest sample at or before t that
 * is at most the lookback delta old (gaps shorter than 5 minutes are bridged), else nothing.
 */
function expectedAt(t: number): number {
  for (let back = 0; back <= LOOKBACK; back += MIN) {
    const v = fixtureAt.get(t - back);
    if (v !== undefined) return v;
  }
  return NaN;
}

// Written exactly as Prometheus stores them; 'NaN' / '+Inf' / '-Inf' and negative values must come back as gaps.
const SPECIAL: [number, number][] = [
  [0, 0.1],
  [1, NaN],
  [2, 123456789.12345679],
  [3, Infinity],
  [4, -Infinity],
  [5, 1e-7],
  [6, -2.5],
  [7, 4.9e-300],
];

let prom: PromServer;
let proxy: FaultProxy;

before(async () => {
  prom = await startPrometheus([
    { metric: 'worldcup_requests', labels: { site: 'wc98' }, samples: fixture },
    { metric: 'multi_metric', labels: { pod: 'a' }, samples: { timesMs: [FROM, FROM + MIN], values: [1, 2] } },
    { metric: 'multi_metric', labels: { pod: 'b' }, samples: { timesMs: [FROM, FROM + MIN], values: [3, 4] } },
    { metric: 'special_values', samples: { timesMs: SPECIAL.map(([i]) => FROM + i * MIN), values: SPECIAL.map(([, v]) => v) } },
  ]);
  proxy = await startFaultProxy(prom.url);
});

after(async () => {
  await proxy?.close();
  await prom?.stop();
});

const source = (over: Partial<PrometheusSourceOptions> = {}): PrometheusSource =>
  new PrometheusSource({ url: proxy.url, query: 'worldcup_requests', ...over }, { clock: new SimulatedClock(0), random: () => 0.5 });

const rangeParams = () =>
  proxy.requests
    .map((r) => ({ start: Number(r.params.get('start')) * 1000, end: Number(r.params.get('end')) * 1000, step: Number(r.params.get('step')) * 1000 }))
    .sort((a, b) => a.start - b.start);

test('28 days at 1 minute read back equal to the fixture, in 4 aligned contiguous chunks of at most 11,000 points', async () => {
  proxy.reset();
  const s = await source().fetchRange(FROM, TO - MIN, MIN);
  assert.equal(s.startMs, FROM);
  assert.equal(s.stepMs, MIN);
  assert.equal(s.values.length, 28 * 1440);
  let present = 0;
  for (let i = 0; i < s.values.length; i++) {
    const t = FROM + i * MIN;
    const want = fixtureAt.get(t);
    if (want !== undefined) {
      present++;
      assert.equal(s.values[i], want, `value at ${new Date(t).toISOString()}`);
    } else {
      assert.deepEqual(s.values[i], expectedAt(t), `gap bridged by lookback at ${new Date(t).toISOString()}`);
    }
  }
  assert.equal(present, fixture.timesMs.length);
  assert.ok(present < s.values.length, 'the fixture has gaps, so lookback was exercised');

  const chunks = rangeParams();
  assert.equal(chunks.length, Math.ceil((28 * 1440) / MAX_POINTS_PER_REQUEST));
  assert.equal(chunks[0]!.start, FROM);
  assert.equal(chunks.at(-1)!.end, TO - MIN);
  for (const [i, c] of chunks.entries()) {
    assert.equal(c.step, MIN);
    assert.equal(c.start % MIN, 0);
    assert.ok((c.end - c.start) / MIN + 1 <= MAX_POINTS_PER_REQUEST, `chunk ${i} has too many points`);
    if (i > 0) assert.equal(c.start, chunks[i - 1]!.end + MIN, `chunk ${i} is not contiguous`);
  }
});

test('unaligned bounds are aligned to the step: start rounded up, end rounded down', async () => {
  proxy.reset();
  const s = await source().fetchRange(FROM + 17_000, FROM + 3 * 3_600_000 + 42_000, MIN);
  assert.equal(s.startMs, FROM + MIN);
  assert.equal(s.values.length, 180);
  const [c] = rangeParams();
  assert.deepEqual(c, { start: FROM + MIN, end: FROM + 3 * 3_600_000, step: MIN });
  assert.equal(s.values[0], fixtureAt.get(FROM + MIN));
});

for (const [name, points, requests] of [
  ['exactly 11,000 points is one request', 11_000, 1],
  ['11,001 points are two requests', 11_001, 2],
] as const) {
  test(`chunk boundary: ${name}`, async () => {
    proxy.reset();
    const s = await source().fetchRange(FROM, FROM + (points - 1) * MIN, MIN);
    assert.equal(s.values.length, points);
    assert.equal(proxy.requests.length, requests);
    assert.equal(s.values[points - 1], expectedAt(FROM + (points - 1) * MIN));
  });
}

test('Prometheus itself refuses more than 11,000 points: its 400 text is surfaced as a query error, not retried', async () => {
  proxy.reset();
  const err = await source({ maxPointsPerRequest: 20_000, concurrency: 1 }).fetchRange(FROM, TO - MIN, MIN).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'query'), String(err));
  assert.match(err.message, /exceeded maximum resolution of 11,000 points/);
  assert.equal(proxy.requests.length, 1);
});

test('a PromQL parse error is surfaced as Prometheus wrote it, without retries', async () => {
  proxy.reset();
  const err = await source({ query: 'sum(rate(worldcup_requests[5m]' }).fetchRange(FROM, FROM + DAY, MIN).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'query'), String(err));
  assert.match(err.message, /parse error/);
  assert.equal(proxy.requests.length, 1);
});

test('several series: the error names the label sets found and suggests an aggregation', async () => {
  const err = await source({ query: 'multi_metric' }).fetchRange(FROM, FROM + 10 * MIN, MIN).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'invalid-input'), String(err));
  assert.match(err.message, /2 series/);
  assert.match(err.message, /pod="a"/);
  assert.match(err.message, /pod="b"/);
  assert.match(err.message, /sum\(/);
  const ok = await source({ query: 'sum(multi_metric)' }).fetchRange(FROM, FROM + MIN, MIN);
  assert.deepEqual([...ok.values], [4, 6]);
});

test('an empty result is a clear error, not an empty or zero series', async () => {
  const err = await source({ query: 'no_such_metric' }).fetchRange(FROM, FROM + DAY, MIN).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'invalid-input'), String(err));
  assert.match(err.message, /no series/);
  assert.match(err.message, /no_such_metric/);
});

test('NaN, +Inf, -Inf and negative values come back as gaps, with a warning per kind; other values parse to the exact doubles written', async () => {
  const warnings: string[] = [];
  const logger = { warn: (_obj: object, msg: string) => void warnings.push(msg) };
  const s = await new PrometheusSource({ url: proxy.url, query: 'special_values' }, { clock: new SimulatedClock(0), logger }).fetchRange(FROM, FROM + 7 * MIN, MIN);
  assert.equal(s.values.length, SPECIAL.length);
  for (const [i, v] of SPECIAL) {
    const want = Number.isFinite(v) && v >= 0 ? v : NaN;
    assert.deepEqual(s.values[i], want, `point ${i} (written ${v})`);
  }
  const at = (i: number) => new Date(FROM + i * MIN).toISOString().replace('.000Z', 'Z');
  assert.deepEqual(warnings.map((w) => w.replace(/^prometheus \S+ query special_values /, '')), [
    `at ${at(1)}: warning: 3 values without a finite number (NaN, Inf or empty) read as gaps, the first here ("NaN")`,
    `at ${at(6)}: warning: one value below zero read as gaps, the first here ("-2.5"); a load is never negative: check the query or the export`,
  ]);
});

test('incremental reads: a cold read fetches the window, each tick fetches only the tail plus overlap', async () => {
  proxy.reset();
  const historyMs = 7 * DAY;
  const w = new HistoryWindow(source(), { stepMs: MIN, historyMs, overlapSteps: 3 });
  const now0 = FROM + 20 * DAY + 30_000; // mid-step: the window ends at the last whole step
  const cold = await w.read(now0);
  const end0 = FROM + 20 * DAY;
  assert.equal(cold.startMs, end0 - historyMs + MIN);
  assert.equal(cold.values.length, historyMs / MIN);
  assert.equal(proxy.requests.length, 1);

  for (let tick = 1; tick <= 3; tick++) {
    proxy.reset();
    const s = await w.read(now0 + tick * MIN);
    const end = end0 + tick * MIN;
    assert.deepEqual(rangeParams(), [{ start: end - 4 * MIN, end, step: MIN }], `tick ${tick} fetched more than the tail`);
    assert.equal(s.startMs, end - historyMs + MIN);
    assert.equal(s.values.length, historyMs / MIN);
    // Whole window still equal to what Prometheus holds.
    for (let i = 0; i < s.values.length; i += 97) assert.deepEqual(s.values[i], expectedAt(s.startMs + i * MIN));
    assert.deepEqual(s.values[s.values.length - 1], expectedAt(end));
  }
});

test('a recording of the same data and Prometheus give identical history windows tick after tick', async () => {
  // 1998-05-20 .. 05-29 has no gaps in the fixture, so lookback plays no part.
  const from = FROM + 19 * DAY;
  const recording = toRegular(sliceSamples(fixture, from, TO), 'fixture', MIN);
  const opts = { stepMs: MIN, historyMs: 7 * DAY };
  const live = new HistoryWindow(source(), opts);
  const replay = new HistoryWindow(new RecordedSource(recording, 'recording'), opts);
  for (let now = from + 7 * DAY; now < from + 7 * DAY + 30 * MIN; now += 7 * MIN) {
    const [a, b] = [await live.read(now), await replay.read(now)];
    assert.equal(a.startMs, b.startMs);
    assert.deepEqual(a.values, b.values, `windows differ at ${new Date(now).toISOString()}`);
  }
});
