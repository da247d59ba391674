/**
 * The operator's work queue (src/operator/queue.ts) on a clock the test moves, with passes the
 * test finishes by hand: no two passes of one key at once, at most `concurrency` at a time, a key
 * added while its pass runs runs again after it, the earlier due time wins, stop() waits for the
 * passes in flight.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { WorkQueue, resyncAtMs } from '../../../src/operator/queue.js';

/** A clock that moves only in `advance`; `sleep` waits until then (or until its signal aborts). */
class ManualClock implements Clock {
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  constructor(private t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const w = { at: this.t + ms, resolve };
      this.waiters.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.waiters.filter((w) => w.at <= this.t);
    this.waiters = this.waiters.filter((w) => w.at > this.t);
    for (const w of due) w.resolve();
    await settle();
  }
}

/** Lets promise callbacks and the queue's loop run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

interface Run {
  key: string;
  signal: AbortSignal;
  finish(nextAt?: number): void;
  fail(e: unknown): void;
  done: boolean;
}

/** A queue whose passes wait for the test to finish them. */
function harness(concurrency: number, clock = new ManualClock()) {
  const runs: Run[] = [];
  const errors: Array<{ key: string; e: unknown }> = [];
  let active = 0;
  let maxActive = 0;
  const activeByKey = new Map<string, number>();
  let overlap = false;
  const queue = new WorkQueue(
    clock,
    concurrency,
    (key, signal) =>
      new Promise<number | undefined>((resolve, reject) => {
        active++;
        maxActive = Math.max(maxActive, active);
        const k = (activeByKey.get(key) ?? 0) + 1;
        activeByKey.set(key, k);
        if (k > 1) overlap = true;
        const end = (): void => {
          active--;
          activeByKey.set(key, activeByKey.get(key)! - 1);
          run.done = true;
        };
        const run: Run = {
          key,
          signal,
          done: false,
          finish: (nextAt) => {
            end();
            resolve(nextAt);
          },
          fail: (e) => {
            end();
            reject(e);
          },
        };
        runs.push(run);
      }),
    (key, e) => errors.push({ key, e }),
  );
  return {
    clock,
    queue,
    runs,
    errors,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
    get overlap() {
      return overlap;
    },
    /** The runs not finished yet, by key. */
    open: (key?: string) => runs.filter((r) => !r.done && (key === undefined || r.key === key)),
    started: (key: string) => runs.filter((r) => r.key === key).length,
  };
}

describe('WorkQueue', () => {
  test('a key added while its pass runs is not run twice at once, but runs again right after', async () => {
    const h = harness(4);
    h.queue.start();
    h.queue.add('shop/web');
    await settle();
    assert.equal(h.started('shop/web'), 1);

    h.queue.add('shop/web');
    h.queue.add('shop/web');
    await settle();
    assert.equal(h.started('shop/web'), 1, 'not a second pass while the first runs');
    assert.equal(h.queue.size, 1, 'one pending pass, however often it was added');

    h.open('shop/web')[0]!.finish();
    await settle();
    assert.equal(h.started('shop/web'), 2, 'run again after the first pass');
    h.open('shop/web')[0]!.finish();
    await settle();
    assert.equal(h.started('shop/web'), 2, 'the adds were folded into one pass');
    assert.equal(h.overlap, false);
    await h.queue.stop();
  });

  test('at most `concurrency` passes run at once; the others wait for a free worker', async () => {
    const h = harness(2);
    h.queue.start();
    for (const k of ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']) h.queue.add(k);
    await settle();
    assert.equal(h.active, 2);
    assert.equal(h.queue.size, 3);

    h.open()[0]!.finish();
    await settle();
    assert.equal(h.active, 2, 'a freed worker takes the next key');
    assert.equal(h.runs.length, 3);

    while (h.open().length > 0) {
      h.open()[0]!.finish();
      await settle();
    }
    assert.equal(h.runs.length, 5);
    assert.deepEqual(h.runs.map((r) => r.key).sort(), ['a/1', 'a/2', 'a/3', 'a/4', 'a/5']);
    assert.equal(h.maxActive, 2);
    await h.queue.stop();
  });

  test('the earliest due key runs first when workers are scarce', async () => {
    const h = harness(1);
    const now = h.clock.now();
    h.queue.add('late', now);
    h.queue.add('early', now - 5_000);
    h.queue.add('middle', now - 1_000);
    h.queue.start();
    for (let i = 0; i < 3; i++) {
      await settle();
      h.open()[0]!.finish();
    }
    await settle();
    assert.deepEqual(
      h.runs.map((r) => r.key),
      ['early', 'middle', 'late'],
    );
    await h.queue.stop();
  });

  test('a pass is not run before its due time; an earlier request wins over a later one', async () => {
    const h = harness(4);
    h.queue.start();
    const t0 = h.clock.now();
    h.queue.add('shop/a', t0 + 60_000);
    h.queue.add('shop/a', t0 + 10_000); // earlier: wins
    h.queue.add('shop/b', t0 + 10_000);
    h.queue.add('shop/b', t0 + 60_000); // later: ignored
    await h.clock.advance(9_999);
    assert.equal(h.runs.length, 0, 'nothing due yet');
    await h.clock.advance(1);
    assert.deepEqual(h.runs.map((r) => r.key).sort(), ['shop/a', 'shop/b']);
    for (const r of h.open()) r.finish();
    await h.clock.advance(60_000);
    assert.equal(h.runs.length, 2, 'the later requests were dropped, not queued as well');
    await h.queue.stop();
  });

  test('the time a pass returns is when its key runs next', async () => {
    const h = harness(1);
    h.queue.start();
    h.queue.add('shop/web');
    await settle();
    h.open()[0]!.finish(h.clock.now() + 30_000);
    await h.clock.advance(29_000);
    assert.equal(h.runs.length, 1);
    await h.clock.advance(1_000);
    assert.equal(h.runs.length, 2);
    // An informer event before that time brings the next pass forward.
    h.open()[0]!.finish(h.clock.now() + 30_000);
    await settle();
    h.queue.add('shop/web');
    await settle();
    assert.equal(h.runs.length, 3);
    h.open()[0]!.finish(undefined);
    await h.clock.advance(120_000);
    assert.equal(h.runs.length, 3, 'undefined: no next pass');
    await h.queue.stop();
  });

  test('forget drops a pending pass', async () => {
    const h = harness(1);
    h.queue.start();
    h.queue.add('shop/gone', h.clock.now() + 1_000);
    h.queue.forget('shop/gone');
    await h.clock.advance(2_000);
    assert.equal(h.runs.length, 0);
    await h.queue.stop();
  });

  test('a failing pass is reported with its key and does not stop the others', async () => {
    const h = harness(1);
    h.queue.start();
    h.queue.add('shop/bad');
    h.queue.add('shop/good', h.clock.now() + 1);
    await settle();
    h.open('shop/bad')[0]!.fail(new Error('boom'));
    await h.clock.advance(1);
    assert.equal(h.errors.length, 1);
    assert.equal(h.errors[0]!.key, 'shop/bad');
    assert.equal(h.started('shop/good'), 1);
    h.open('shop/good')[0]!.finish();
    h.queue.add('shop/bad');
    await settle();
    assert.equal(h.started('shop/bad'), 2, 'the failed key can run again');
    h.open()[0]!.finish();
    await h.queue.stop();
  });

  test('a pass that throws before returning a promise is reported and frees its worker and key', async () => {
    const errors: string[] = [];
    let calls = 0;
    const queue = new WorkQueue(
      new ManualClock(),
      1,
      (key) => {
        calls++;
        if (calls === 1) throw new Error(`sync failure of ${key}`);
        return Promise.resolve(undefined);
      },
      (key, e) => errors.push(`${key}: ${(e as Error).message}`),
    );
    queue.start();
    queue.add('shop/a');
    await settle();
    queue.add('shop/a');
    queue.add('shop/b');
    await settle();
    assert.deepEqual(errors, ['shop/a: sync failure of shop/a']);
    assert.equal(calls, 3, 'the worker and the key were freed');
    assert.equal(queue.size, 0);
    await queue.stop();
  });

  test('stop() aborts the passes\' signal, waits for the passes in flight and starts no more', async () => {
    const h = harness(2);
    h.queue.start();
    h.queue.add('shop/a');
    h.queue.add('shop/b');
    h.queue.add('shop/c');
    await settle();
    assert.equal(h.active, 2);
    let stopped = false;
    const stopping = h.queue.stop().then(() => (stopped = true));
    await settle();
    assert.equal(stopped, false, 'still waiting for the passes in flight');
    assert.ok(h.open().every((r) => r.signal.aborted), 'the passes are told to wind down');
    h.open()[0]!.finish(h.clock.now());
    await settle();
    assert.equal(stopped, false);
    h.open()[0]!.finish();
    await stopping;
    assert.equal(stopped, true);
    assert.equal(h.runs.length, 2, 'the third key never started');
    h.queue.add('shop/d');
    await h.clock.advance(120_000);
    assert.equal(h.runs.length, 2, 'nothing runs after stop');
  });

  test('onStart hears each pass start with its lag: start minus due time, waits for a worker included', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const finishers: Array<() => void> = [];
    const started: Array<[string, number]> = [];
    const queue = new WorkQueue(
      clock,
      1,
      () => new Promise<undefined>((resolve) => finishers.push(() => resolve(undefined))),
      () => undefined,
      (key, lagMs) => started.push([key, lagMs]),
    );
    queue.add('a', t0);
    queue.add('b', t0);
    queue.add('c', t0 + 10_000);
    queue.start();
    await settle();
    assert.deepEqual(started, [['a', 0]], 'on time: no lag');
    await clock.advance(3_000);
    finishers.shift()!();
    await settle();
    assert.deepEqual(started[1], ['b', 3_000], 'b waited 3 s for the only worker');
    await clock.advance(7_000);
    assert.equal(started.length, 2, 'c is due, but the worker is busy');
    await clock.advance(500);
    finishers.shift()!();
    await settle();
    assert.deepEqual(started[2], ['c', 500]);
    finishers.shift()!();
    await queue.stop();
  });

  test('with the system clock and real delays, no key ever runs twice at once and the limit holds', async () => {
    const active = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let overlap = false;
    let passes = 0;
    const queue = new WorkQueue(
      systemClock,
      3,
      async (key) => {
        passes++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        active.set(key, (active.get(key) ?? 0) + 1);
        if (active.get(key)! > 1) overlap = true;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        active.set(key, active.get(key)! - 1);
        inFlight--;
        return passes < 60 ? Date.now() + Math.random() * 10 : undefined;
      },
      () => undefined,
    );
    queue.start();
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const adder = setInterval(() => queue.add(keys[Math.floor(Math.random() * keys.length)]!), 2);
    await new Promise((r) => setTimeout(r, 400));
    clearInterval(adder);
    await queue.stop();
    assert.equal(overlap, false);
    assert.equal(maxInFlight, 3);
    assert.equal(inFlight, 0, 'stop waited for every pass');
    assert.ok(passes >= 20, `${passes} passes`);
  });
});

describe('resyncAtMs', () => {
  test('2,000 keys are spread over the whole period, each at a fixed point of it', () => {
    const period = 5 * 60_000;
    const now = 1_700_000_000_000;
    const keys = Array.from({ length: 2000 }, (_, i) => `team-${String(i % 20).padStart(2, '0')}/s${String(i).padStart(4, '0')}`);
    const offsets = keys.map((k) => resyncAtMs(k, now, period) - now);
    assert.ok(offsets.every((o) => Number.isInteger(o) && o >= 0 && o < period));
    assert.deepEqual(keys.map((k) => resyncAtMs(k, now + 123, period) - now - 123), offsets, 'the same point of the period at every resync');
    const tenths = Array.from({ length: 10 }, (_, d) => offsets.filter((o) => Math.floor((o / period) * 10) === d).length);
    assert.ok(tenths.every((n) => n >= 140 && n <= 260), `each tenth of the period holds about 200 keys: ${tenths.join(', ')}`);
    const perSecond = new Map<number, number>();
    for (const o of offsets) perSecond.set(Math.floor(o / 1000), (perSecond.get(Math.floor(o / 1000)) ?? 0) + 1);
    assert.ok(Math.max(...perSecond.values()) <= 20, 'no second of the period holds more than 1 % of the keys');
  });
});
