import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrescaleError } from '../../../src/core/errors.js';
import { RecordedSource } from '../../../src/metrics/recorded-source.js';
import { alignRange, planChunks } from '../../../src/metrics/prometheus.js';

const M = 60_000;
const T0 = Date.UTC(2014, 6, 1);
// 5-minute recording: 10, 20, gap, 40, 50 at T0, T0+5m, ..., T0+20m.
const rec = new RecordedSource({ startMs: T0, stepMs: 5 * M, values: Float64Array.from([10, 20, NaN, 40, 50]) }, 'rec');

test('same step: the recording on the grid, gaps stay gaps, outside the recording is NaN', async () => {
  const s = await rec.fetchRange(T0 - 10 * M, T0 + 30 * M, 5 * M);
  assert.equal(s.startMs, T0 - 10 * M);
  assert.deepEqual([...s.values], [NaN, NaN, 10, 20, NaN, 40, 50, NaN, NaN]);
});

test('finer step: each point takes the sample whose interval contains it (bounded lookback)', async () => {
  const s = await rec.fetchRange(T0 + 3 * M, T0 + 12 * M, 3 * M);
  // points at +3, +6, +9, +12 min -> samples at 0, 5, 5, 10 (gap)
  assert.deepEqual([...s.values], [10, 20, 20, NaN]);
});

test('coarser step and unaligned bounds are aligned like Prometheus: start up, end down', async () => {
  const s = await rec.fetchRange(T0 + 1, T0 + 21 * M, 10 * M);
  assert.equal(s.startMs, T0 + 10 * M);
  assert.deepEqual([...s.values], [NaN, 50]);
});

test('an aborted signal and an empty range are rejected', async () => {
  const ctrl = new AbortController();
  ctrl.abort(new Error('stop'));
  await assert.rejects(rec.fetchRange(T0, T0 + M, M, ctrl.signal), /stop/);
  await assert.rejects(rec.fetchRange(T0 + 1, T0 + 59_000, M), (e: unknown) => isPrescaleError(e, 'invalid-input'));
});

test('fromFile reads a CSV recording with the shared parser', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'prescale-rec-'));
  try {
    const path = join(dir, 'r.csv');
    await writeFile(path, 'timestamp,value\n2014-07-01T00:00:00Z,1.5\n2014-07-01T00:01:00Z,2\n2014-07-01T00:03:00Z,4\n');
    const src = await RecordedSource.fromFile(path);
    assert.match(src.description, /r\.csv/);
    assert.deepEqual([...(await src.fetchRange(T0, T0 + 3 * M, M)).values], [1.5, 2, NaN, 4]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('alignRange rounds start up and end down to multiples of the step', () => {
  const table: [number, number, number, { startMs: number; endMs: number }][] = [
    [0, 600_000, M, { startMs: 0, endMs: 600_000 }],
    [1, 599_999, M, { startMs: M, endMs: 540_000 }],
    [T0 + 30_000, T0 + 30_000, 30_000, { startMs: T0 + 30_000, endMs: T0 + 30_000 }],
  ];
  for (const [from, to, step, want] of table) assert.deepEqual(alignRange(from, to, step), want);
  assert.throws(() => alignRange(0, 10, 0), /step/);
  assert.throws(() => alignRange(10, 20, M), /empty range/);
});

test('planChunks: contiguous, no overlap, at most maxPoints each, covering the range exactly', () => {
  for (const [points, maxPoints] of [[1, 11_000], [11_000, 11_000], [11_001, 11_000], [40_320, 11_000], [10, 3], [7, 1]] as const) {
    const end = T0 + (points - 1) * M;
    const chunks = planChunks(T0, end, M, maxPoints);
    assert.equal(chunks.length, Math.ceil(points / maxPoints), `${points}/${maxPoints}`);
    assert.equal(chunks[0]!.startMs, T0);
    assert.equal(chunks.at(-1)!.endMs, end);
    let total = 0;
    for (const [i, c] of chunks.entries()) {
      const n = (c.endMs - c.startMs) / M + 1;
      assert.ok(n >= 1 && n <= maxPoints);
      total += n;
      if (i > 0) assert.equal(c.startMs, chunks[i - 1]!.endMs + M);
    }
    assert.equal(total, points);
  }
});
