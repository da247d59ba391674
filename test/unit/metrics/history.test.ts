import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Series } from '../../../src/core/series.js';
import { HistoryWindow } from '../../../src/metrics/history.js';
import type { MetricSource } from '../../../src/metrics/source.js';

const STEP = 60_000;
const T0 = 1_000 * STEP;

/** A source whose value at t is `f(t)` (changeable), recording every range asked for. */
class FakeSource implements MetricSource {
  readonly description = 'fake';
  readonly calls: { from: number; to: number }[] = [];
  failNext = false;
  constructor(public f: (t: number) => number = (t) => t / STEP) {}
  async fetchRange(fromMs: number, toMs: number, stepMs: number): Promise<Series> {
    this.calls.push({ from: fromMs, to: toMs });
    if (this.failNext) {
      this.failNext = false;
      throw new Error('backend down');
    }
    const n = Math.floor((toMs - fromMs) / stepMs) + 1;
    return { startMs: fromMs, stepMs, values: Float64Array.from({ length: n }, (_, i) => this.f(fromMs + i * stepMs)) };
  }
}

/** The window a fresh read must equal: f at every point of the last `points` steps up to `end`. */
const expected = (f: (t: number) => number, end: number, points: number) =>
  Float64Array.from({ length: points }, (_, i) => f(end - (points - 1 - i) * STEP));

test('cold read fetches the window; each later tick fetches only the tail plus overlap, and equals a fresh read', async () => {
  const src = new FakeSource();
  const w = new HistoryWindow(src, { stepMs: STEP, historyMs: 100 * STEP, overlapSteps: 2 });
  const cold = await w.read(T0 + 25_000);
  assert.deepEqual(src.calls, [{ from: T0 - 99 * STEP, to: T0 }]);
  assert.equal(cold.startMs, T0 - 99 * STEP);
  assert.deepEqual(cold.values, expected(src.f, T0, 100));
  let prevEnd = T0;
  for (const [advanceSteps, name] of [[1, 'one step'], [5, 'five steps'], [0, 'same step again']] as const) {
    const nowEnd = prevEnd + advanceSteps * STEP;
    const s = await w.read(nowEnd + 1);
    assert.deepEqual(src.calls.at(-1), { from: prevEnd - 2 * STEP, to: nowEnd }, name);
    assert.deepEqual(s.values, expected(src.f, nowEnd, 100), name);
    assert.equal(s.values.length, 100, 'memory bounded by the window');
    prevEnd = nowEnd;
  }
});

test('late-arriving samples inside the overlap are corrected; older cached points are kept', async () => {
  const src = new FakeSource((t) => (t > T0 - 3 * STEP ? NaN : 1));
  const w = new HistoryWindow(src, { stepMs: STEP, historyMs: 10 * STEP, overlapSteps: 3 });
  const first = await w.read(T0);
  assert.equal(Number.isNaN(first.values[9]!), true);
  src.f = () => 2; // the backend now has the late samples, and (pretend) rewrote history
  const s = await w.read(T0 + STEP);
  // window T0-8..T0+1: T0-8..T0-4 cached (1), T0-3..T0+1 re-fetched (2)
  assert.deepEqual([...s.values], [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
});

test('a jump past the whole window, or time going backwards, refetches everything', async () => {
  for (const [name, next] of [['jump forward beyond history', T0 + 50 * STEP], ['clock went backwards', T0 - 5 * STEP]] as const) {
    const src = new FakeSource();
    const w = new HistoryWindow(src, { stepMs: STEP, historyMs: 10 * STEP });
    await w.read(T0);
    const s = await w.read(next);
    assert.deepEqual(src.calls.at(-1), { from: next - 9 * STEP, to: next }, name);
    assert.deepEqual(s.values, expected(src.f, next, 10), name);
  }
});

test('a failed tail fetch keeps the cache; the next tick fetches the longer tail', async () => {
  const src = new FakeSource();
  const w = new HistoryWindow(src, { stepMs: STEP, historyMs: 30 * STEP, overlapSteps: 1 });
  await w.read(T0);
  src.failNext = true;
  await assert.rejects(w.read(T0 + STEP), /backend down/);
  const s = await w.read(T0 + 2 * STEP);
  assert.deepEqual(src.calls.at(-1), { from: T0 - STEP, to: T0 + 2 * STEP });
  assert.deepEqual(s.values, expected(src.f, T0 + 2 * STEP, 30));
});

test('concurrent reads are serialized and the returned arrays are copies', async () => {
  const src = new FakeSource();
  const w = new HistoryWindow(src, { stepMs: STEP, historyMs: 10 * STEP, overlapSteps: 0 });
  const [a, b] = await Promise.all([w.read(T0), w.read(T0 + STEP)]);
  assert.deepEqual(src.calls, [{ from: T0 - 9 * STEP, to: T0 }, { from: T0, to: T0 + STEP }]);
  a.values[9] = -1;
  assert.deepEqual(b.values, expected(src.f, T0 + STEP, 10));
  assert.deepEqual((await w.read(T0 + STEP)).values, expected(src.f, T0 + STEP, 10));
});

test('invalid options are rejected', () => {
  const src = new FakeSource();
  for (const opts of [{ stepMs: 0, historyMs: 10 }, { stepMs: STEP, historyMs: STEP / 4 }, { stepMs: STEP, historyMs: 10 * STEP, overlapSteps: -1 }]) {
    assert.throws(() => new HistoryWindow(src, opts), /history|step|overlap/i, JSON.stringify(opts));
  }
});

test('a window keeps its cache and nothing more: the series a read returned is the caller\'s to drop', async () => {
  // `gc` from V8, as --expose-gc gives it, without the flag on the test runner's command line.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const w = new HistoryWindow(new FakeSource(), { stepMs: STEP, historyMs: 1000 * STEP });
  let read: Series | undefined = await w.read(T0);
  const returned = new WeakRef(read.values);
  read = undefined;
  await new Promise((r) => setImmediate(r));
  gc();
  assert.equal(returned.deref(), undefined, 'the returned values were collected (a copy of the whole window per scaler otherwise)');
  assert.equal((await w.read(T0 + STEP)).values.length, 1000, 'and the window still reads incrementally');
});
