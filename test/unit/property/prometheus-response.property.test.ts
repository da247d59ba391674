/**
 * The Prometheus client (src/metrics/prometheus.ts) against any answer a server, a proxy or a
 * broken Thanos/Mimir may give: query_range responses with wrong-typed or missing fields, value
 * strings like "NaN", "+Inf", "1e999" or "0x10", samples off the grid or out of order, several
 * series or none, bodies cut short, bodies that are not JSON (or JSON `null`), huge bodies, and
 * error statuses with any body. A local HTTP server gives each answer to the real client.
 *
 * fetchRange either resolves to the requested grid (every value finite, or NaN for a gap; never
 * ±Infinity) or rejects with the project's own error whose message names the source, and for a
 * response it could not read, the field or the HTTP status. A clean response reads back exactly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SimulatedClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import { PrometheusSource } from '../../../src/metrics/prometheus.js';
import { runs } from './fc.js';

const STEP = 60_000;
const FROM = Date.UTC(2025, 0, 1);
const POINTS = 12;
const TO = FROM + (POINTS - 1) * STEP;
const T0 = FROM / 1000;

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

let server: Server;
let url: string;
/** The answer to every request until changed. */
let answer: Answer = { status: 200, body: '' };

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One fresh client per case: retries sleep on a simulated clock, so a 5xx costs no time. */
function source(): PrometheusSource {
  return new PrometheusSource({ url, query: 'sum(rate(http_requests_total[2m]))', maxRetries: 2, timeoutMs: 5_000 }, { clock: new SimulatedClock(FROM), random: () => 0.5 });
}

const valueText = fc.oneof(
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('NaN', 'nan', '+Inf', '-Inf', 'Inf', 'inf', '1e999', '-1e999', '1e308', '5e-324', '0', '-0', '') },
  { weight: 1, arbitrary: fc.constantFrom('0x10', '1_000', ' 1', '1 ', '1,5', 'null', 'true', '١', '1e', '.', '+', '--1', 'Infinity', '9'.repeat(400)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
/** A timestamp in seconds: on the grid, off it, outside the range, or of another type. */
const timeValue = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -2, max: POINTS + 2 }).map((k) => T0 + (k * STEP) / 1000) },
  { weight: 1, arbitrary: fc.double({ min: T0 - 600, max: T0 + 1800, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 0, 1e300, 8.64e12, 1.7e9, '1735689600', null, true, [], {}) },
);
const pair = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(timeValue, valueText) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], [T0], [T0, '1', 'x'], null, 'x', [T0, 1], [T0, null], { 0: T0, 1: '1' }) },
);
const labels = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.stringMatching(/^[a-z_]{1,6}$/), fc.string({ maxLength: 6 }), { maxKeys: 3 }) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'job', 7, { job: 7 }, { job: null }, { toString: 1 }) },
);
const seriesItem = fc.oneof(
  { weight: 8, arbitrary: fc.record({ metric: labels, values: fc.array(pair, { maxLength: 20 }) }) as fc.Arbitrary<unknown> },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, {}, [], { metric: {} }, { values: [] }, { metric: {}, values: null }, { metric: {}, values: {} }, { metric: {}, value: [T0, '1'] }) },
);
/** A query_range response with any of its parts wrong, missing or of another type. */
const response = fc.record({
  status: fc.oneof({ weight: 6, arbitrary: fc.constant<unknown>('success') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('error', null, 1, ['success'], undefined) }),
  resultType: fc.oneof({ weight: 6, arbitrary: fc.constant<unknown>('matrix') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('vector', 'scalar', 'string', null, undefined, 1) }),
  result: fc.oneof({ weight: 6, arbitrary: fc.array(seriesItem, { minLength: 0, maxLength: 3 }) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, {}, 'x', undefined, 0) }),
  data: fc.oneof({ weight: 8, arbitrary: fc.constant('keep') }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'x', undefined) }),
  warnings: fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(['PromQL info: metric might not be a counter'], 'a warning', [null, {}, 7, { toString: 1 }], []) }),
  error: fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom<unknown>([], 7)), { nil: undefined }),
}).map((r) => {
  const data = r.data === 'keep' ? { resultType: r.resultType, result: r.result } : r.data;
  return { status: r.status, data, ...(r.warnings === undefined ? {} : { warnings: r.warnings }), ...(r.error === undefined ? {} : { error: r.error }) };
});

/** What reaches the client: a response's JSON (whole, cut short, padded), other texts, and error statuses. */
const answers: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 6, arbitrary: response.map((j) => ({ status: 200, body: JSON.stringify(j) })) },
  { weight: 2, arbitrary: fc.tuple(response, fc.double({ min: 0, max: 1, noNaN: true })).map(([j, f]) => { const b = JSON.stringify(j); return { status: 200, body: b.slice(0, Math.floor(b.length * f)) }; }) },
  { weight: 1, arbitrary: fc.constantFrom('null', '[]', '0', '"success"', 'true', '{}', '', ' ', '<html>502 Bad Gateway</html>', '{"status":"success"', '\uFEFF{}').map((body) => ({ status: 200, body })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((body) => ({ status: 200, body })) },
  {
    weight: 2,
    arbitrary: fc.record({
      status: fc.constantFrom(204, 301, 400, 401, 403, 404, 405, 422, 429, 500, 501, 502, 503, 504),
      body: fc.oneof(fc.constantFrom('', 'null', '{"status":"error","errorType":"bad_data","error":"parse error at char 4"}', '{"error":7}', '<html><body>oops</body></html>', 'x'.repeat(5000)), fc.string({ maxLength: 30 })),
      retryAfter: fc.option(fc.constantFrom('0', '1', '-1', 'soon', '99999999999', 'Wed, 21 Oct 2015 07:28:00 GMT'), { nil: undefined }),
    }).map((a) => ({ status: a.status, body: a.body, ...(a.retryAfter === undefined ? {} : { headers: { 'retry-after': a.retryAfter } }) })),
  },
);

const SOURCE = /^prometheus http:\/\/127\.0\.0\.1:\d+\/? query sum\(rate\(http_requests_total\[2m\]\)\)/;
/** The field, the status or the form of what could not be read. */
const NAMED = /data\.result|resultType|response status|JSON|HTTP \d{3}|series|samples|values|timestamp|gave up|not a number|status is/i;

async function outcomeOf(a: Answer): Promise<{ values: Float64Array; startMs: number; stepMs: number } | { error: unknown }> {
  answer = a;
  try {
    return await source().fetchRange(FROM, TO, STEP);
  } catch (error) {
    return { error };
  }
}

test('any answer: the requested grid with finite values or gaps, or a typed error naming the source and what was wrong', async () => {
  let resolved = 0;
  await fc.assert(
    fc.asyncProperty(answers, async (a) => {
      const r = await outcomeOf(a);
      if ('error' in r) {
        const e = r.error;
        assert.ok(isPrescaleError(e), `not the project's own error: ${e instanceof Error ? e.stack : String(e)}`);
        assert.match(e.message, SOURCE, 'the message names the source');
        assert.match(e.message, NAMED, `the message names what was wrong: ${e.message}`);
        return;
      }
      resolved++;
      assert.equal(a.status, 200, 'only a 200 gives a series');
      assert.equal(r.startMs, FROM);
      assert.equal(r.stepMs, STEP);
      assert.equal(r.values.length, POINTS);
      for (const v of r.values) assert.ok(Number.isNaN(v) || Number.isFinite(v), `${v} is a load or a gap`);
    }),
    {
      ...runs<[Answer]>(300),
      // Found by this property: a body of JSON null, and a warning {"toString": 1}, threw a TypeError out of the client.
      examples: [[{ status: 200, body: 'null' }], [{ status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":[{"toString":1}]}' }]],
    },
  );
  assert.ok(resolved > 0, 'some answers are read');
});

test('a clean response reads back exactly: each load at its grid point, NaN and infinities as gaps, the rest NaN', async () => {
  // Loads (>= 0; -0 written as 0), and the values Prometheus writes for no number.
  const load = fc.double({ min: 0, max: 1e12, noNaN: true }).map((x) => x + 0);
  const sample = fc.tuple(fc.integer({ min: 0, max: POINTS - 1 }), fc.oneof(load, fc.constantFrom(NaN, Infinity, -Infinity)));
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(sample, { selector: ([k]) => k, minLength: 1, maxLength: POINTS }), async (samples) => {
      samples.sort((x, y) => x[0] - y[0]);
      const text = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
      const body = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values: samples.map(([k, v]) => [T0 + (k * STEP) / 1000, text(v)]) }] } });
      const r = await outcomeOf({ status: 200, body });
      assert.ok(!('error' in r), `read: ${'error' in r ? String(r.error) : ''}`);
      const want = new Float64Array(POINTS).fill(NaN);
      for (const [k, v] of samples) want[k] = Number.isFinite(v) ? v : NaN;
      assert.deepEqual([...r.values], [...want]);
    }),
    runs<[Array<[number, number]>]>(150),
  );
});

test('huge answers: many samples, many series, long labels and long error bodies are read or refused, never hang or throw', async () => {
  const big = fc.oneof(
    fc.integer({ min: 10_000, max: 60_000 }).map((n) => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: Array.from({ length: n }, (_, i) => [T0 - 600 + i, String(i)]) }] } })),
    fc.integer({ min: 100, max: 2000 }).map((n) => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: Array.from({ length: n }, (_, i) => ({ metric: { pod: `p${i}` }, values: [[T0, '1']] })) } })),
    fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'x'.repeat(n) }, values: [[T0, '1']] }] } })),
    fc.integer({ min: 10_000, max: 500_000 }).map((n) => JSON.stringify({ status: 'error', errorType: 'execution', error: 'e'.repeat(n) })),
  );
  await fc.assert(
    fc.asyncProperty(big, fc.constantFrom(200, 422, 503), async (body, status) => {
      const r = await outcomeOf({ status, body });
      if ('error' in r) {
        assert.ok(isPrescaleError(r.error), String(r.error));
        assert.ok(r.error.message.length < 2000, `a readable one-line error, not the body (${r.error.message.length} characters)`);
      } else assert.equal(r.values.length, POINTS);
    }),
    {
      ...runs<[string, number]>(12),
      // Found by this property: redacting a 200 kB run of letters took minutes (the URL-userinfo pattern backtracked quadratically).
      examples: [[JSON.stringify({ status: 'error', errorType: 'execution', error: `see ${'x'.repeat(200_000)}` }), 401]],
    },
  );
});
