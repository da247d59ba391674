import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../src/core/clock.js';
import { PrescaleError, isPrescaleError } from '../../../src/core/errors.js';
import {
  AttemptFailure,
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  classifyStatus,
  parseRetryAfterMs,
  withRetry,
} from '../../../src/metrics/http-retry.js';

const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };

test('backoff doubles per retry, is capped, and jitter spans the upper half of the ceiling', () => {
  for (const [retry, ceiling] of [[0, 100], [1, 200], [2, 400], [3, 800], [4, 1_000], [10, 1_000]] as const) {
    assert.equal(backoffDelayMs(retry, policy, () => 0), ceiling / 2, `retry ${retry}, random 0`);
    assert.equal(backoffDelayMs(retry, policy, () => 0.999999), ceiling, `retry ${retry}, random ~1`);
    assert.equal(backoffDelayMs(retry, policy, () => 0.5), 0.75 * ceiling, `retry ${retry}, random 0.5`);
  }
  assert.equal(backoffDelayMs(0, policy, () => 7), 100, 'a random source out of range is clamped');
});

test('Retry-After: delay-seconds or an HTTP date; junk is ignored', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  const table: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['0', 0],
    ['7', 7_000],
    [' 120 ', 120_000],
    ['Mon, 01 Jan 2024 12:00:30 GMT', 30_000],
    ['Mon, 01 Jan 2024 11:00:00 GMT', 0], // in the past: do not wait
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
  ];
  for (const [header, want] of table) assert.equal(parseRetryAfterMs(header, now), want, String(header));
});

test('status classes: 429 and 5xx but 501 retried; 401/403 forbidden; 400/422 query; 501 and other 4xx invalid input', () => {
  const table: [number, string, boolean][] = [
    [429, 'transient', true],
    [500, 'transient', true],
    [502, 'transient', true],
    [503, 'transient', true],
    [501, 'invalid-input', false],
    [401, 'forbidden', false],
    [403, 'forbidden', false],
    [400, 'query', false],
    [422, 'query', false],
    [404, 'invalid-input', false],
    [405, 'invalid-input', false],
    [302, 'unexpected', false],
  ];
  for (const [status, kind, retryable] of table) assert.deepEqual(classifyStatus(status), { kind, retryable }, String(status));
});

const transient = (msg: string, retryAfterMs?: number) => new AttemptFailure(new PrescaleError('transient', msg), true, retryAfterMs);

test('withRetry: retries retryable failures, sleeping on the clock, then returns the value', async () => {
  const clock = new SimulatedClock(0);
  let calls = 0;
  const seen: number[] = [];
  const v = await withRetry(
    async (n) => {
      calls++;
      if (n < 2) throw transient(`fail ${n}`);
      return 'ok';
    },
    { policy, clock, random: () => 0, onRetry: (i) => seen.push(i.delayMs) },
  );
  assert.equal(v, 'ok');
  assert.equal(calls, 3);
  assert.deepEqual(seen, [50, 100]);
  assert.equal(clock.now(), 150, 'slept on the injected clock');
});

test('withRetry: Retry-After longer than the backoff wins, capped by maxRetryAfterMs', async () => {
  for (const [asked, want] of [[5_000, 5_000], [10, 50], [3_600_000, 60_000]] as const) {
    const clock = new SimulatedClock(0);
    await withRetry(async (n) => {
      if (n === 0) throw transient('429', asked);
      return 1;
    }, { policy, clock, random: () => 0 });
    assert.equal(clock.now(), want, `Retry-After ${asked} ms`);
  }
});

test('withRetry: gives up after maxRetries with a transient error that counts attempts', async () => {
  let calls = 0;
  const err = await withRetry(async () => {
    calls++;
    throw transient('HTTP 503');
  }, { policy: { ...policy, maxRetries: 2 }, clock: new SimulatedClock(0) }).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'));
  assert.match(err.message, /^HTTP 503 \(gave up after 3 attempts\)$/);
  assert.equal(calls, 3);
});

test('withRetry: non-retryable failures and foreign errors are thrown at once', async () => {
  for (const thrown of [new AttemptFailure(new PrescaleError('query', 'parse error'), false), new TypeError('bug')]) {
    let calls = 0;
    const err = await withRetry(async () => {
      calls++;
      throw thrown;
    }, { policy, clock: new SimulatedClock(0) }).catch((e: unknown) => e);
    assert.equal(calls, 1);
    assert.equal(err, thrown instanceof AttemptFailure ? thrown.error : thrown);
  }
});

test('withRetry: an aborted signal stops before the next attempt with its reason', async () => {
  const ctrl = new AbortController();
  let calls = 0;
  const err = await withRetry(async () => {
    calls++;
    ctrl.abort(new Error('stop'));
    throw transient('x');
  }, { policy, clock: new SimulatedClock(0), signal: ctrl.signal }).catch((e: unknown) => e);
  assert.equal((err as Error).message, 'stop');
  assert.equal(calls, 1);
});
