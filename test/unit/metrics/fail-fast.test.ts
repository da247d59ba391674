import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrescaleError, isPrescaleError } from '../../../src/core/errors.js';
import type { Series } from '../../../src/core/series.js';
import { FailFastSource } from '../../../src/metrics/fail-fast.js';
import type { MetricSource } from '../../../src/metrics/source.js';

const T0 = Date.UTC(2014, 6, 1);

/** Answers each read from `answers` in turn: a series, or an error to throw. */
function scripted(answers: Array<Series | Error>): MetricSource & { calls: number } {
  return {
    description: 'prometheus http://prom:9090 query up',
    calls: 0,
    async fetchRange() {
      const a = answers[this.calls++]!;
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

const ONE: Series = { startMs: T0, stepMs: 60_000, values: Float64Array.of(1) };

test('reads pass through until the first failure, which names the source and range and keeps its kind', async () => {
  const inner = scripted([ONE, new PrescaleError('transient', 'connect ECONNREFUSED'), ONE]);
  const s = new FailFastSource(inner);
  assert.equal(s.description, inner.description);
  assert.equal(await s.fetchRange(T0, T0, 60_000), ONE);
  assert.equal(s.failure, undefined);
  const err = await s.fetchRange(T0, T0 + 60_000, 60_000).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'));
  assert.equal(err.message, 'prometheus http://prom:9090 query up: reading history for 2014-07-01T00:00:00Z .. 2014-07-01T00:01:00Z failed: connect ECONNREFUSED');
  assert.equal(s.failure, err);
  // Later reads fail with the same error without asking the inner source.
  await assert.rejects(s.fetchRange(T0, T0, 60_000), (e) => e === err);
  assert.equal(inner.calls, 2);
});

test('an unclassified error becomes unexpected, with the original as cause', async () => {
  const boom = new TypeError('boom');
  const s = new FailFastSource(scripted([boom]));
  await assert.rejects(s.fetchRange(T0, T0, 60_000), (e: unknown) => isPrescaleError(e, 'unexpected') && (e as Error).cause === boom);
});
