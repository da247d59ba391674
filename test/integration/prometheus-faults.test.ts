/**
 * Resilience and access against a real Prometheus behind test/support/fault-proxy.ts: transient
 * faults are retried (sleeping on an injected clock, so the tests do not wait), the rest fail
 * clearly, a partial series is never returned, and credentials go out on the wire but never
 * into errors or logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../../src/core/clock.js';
import { isPrescaleError } from '../../src/core/errors.js';
import type { Samples } from '../../src/core/series.js';
import { PrometheusSource, type PrometheusSourceOptions } from '../../src/metrics/prometheus.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { readCsvSamples, sliceSamples, startPrometheus, type PromServer } from '../support/prometheus.js';

const MIN = 60_000;
const DAY = 86_400_000;
const FROM = Date.UTC(1998, 4, 20); // a gap-free part of the fixture
const fixture: Samples = sliceSamples(readCsvSamples('fixtures/traces/worldcup98_1min.csv'), FROM, FROM + 9 * DAY);

let prom: PromServer;
let proxy: FaultProxy;
let dir: string;

before(async () => {
  prom = await startPrometheus([{ metric: 'wc', samples: fixture }]);
  proxy = await startFaultProxy(prom.url);
  dir = await mkdtemp(join(tmpdir(), 'prescale-faults-'));
});

after(async () => {
  await proxy?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A SimulatedClock that also remembers every sleep. */
class SleepLog extends SimulatedClock {
  readonly sleeps: number[] = [];
  override async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    await super.sleep(ms);
  }
}

interface Setup {
  src: PrometheusSource;
  clock: SleepLog;
  logs: { obj: object; msg: string }[];
}

function setup(over: Partial<PrometheusSourceOptions> = {}): Setup {
  proxy.reset();
  const clock = new SleepLog(FROM);
  const logs: { obj: object; msg: string }[] = [];
  const src = new PrometheusSource(
    { url: proxy.url, query: 'wc', maxRetries: 3, timeoutMs: 2_000, ...over },
    { clock, random: () => 0.5, logger: { warn: (obj, msg) => void logs.push({ obj, msg }) } },
  );
  return { src, clock, logs };
}

const HOUR_POINTS = 60;
const oneHour = (src: PrometheusSource) => src.fetchRange(FROM, FROM + (HOUR_POINTS - 1) * MIN, MIN);
const assertFixtureHour = (values: Float64Array) => assert.deepEqual([...values], fixture.values.slice(0, HOUR_POINTS));

const recovered: [string, Fault[], number[]][] = [
  // name, faults before success, expected sleeps (equal jitter with random 0.5: 0.75 x min(8s, 250ms x 2^n))
  ['two 500s', [{ kind: 'status', status: 500 }, { kind: 'status', status: 500 }], [188, 375]],
  ['a 503 then a 502', [{ kind: 'status', status: 503 }, { kind: 'status', status: 502 }], [188, 375]],
  ['a connection reset', [{ kind: 'reset' }], [188]],
  ['a JSON body cut in half', [{ kind: 'truncate' }], [188]],
  ['a 429 with Retry-After: 7', [{ kind: 'status', status: 429, retryAfter: '7' }], [7_000]],
];

for (const [name, faults, sleeps] of recovered) {
  test(`retried and recovered after ${name}`, async () => {
    const { src, clock, logs } = setup();
    proxy.inject(...faults);
    const s = await oneHour(src);
    assertFixtureHour(s.values);
    assert.equal(proxy.requests.length, faults.length + 1);
    assert.deepEqual(clock.sleeps, sleeps);
    assert.equal(logs.length, faults.length, 'each retry is logged');
  });
}

test('a request hanging past the timeout is abandoned and retried', async () => {
  const { src, clock } = setup({ timeoutMs: 300 });
  proxy.inject({ kind: 'hang' });
  const t0 = performance.now();
  const s = await oneHour(src);
  assertFixtureHour(s.values);
  assert.equal(proxy.requests.length, 2);
  assert.equal(clock.sleeps.length, 1);
  assert.ok(performance.now() - t0 < 2_000, 'the deadline cut the hanging request');
});

test('retries run out: a transient error naming the attempts, after maxRetries + 1 requests', async () => {
  const { src } = setup({ maxRetries: 2 });
  proxy.setRule(() => ({ kind: 'status', status: 503 }));
  const err = await oneHour(src).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'), String(err));
  assert.match(err.message, /HTTP 503/);
  assert.match(err.message, /gave up after 3 attempts/);
  assert.equal(proxy.requests.length, 3);
});

test('a body truncated on every try is an error, never a shorter series', async () => {
  const { src } = setup({ maxRetries: 1 });
  proxy.setRule(() => ({ kind: 'truncate', fraction: 0.9 }));
  const err = await oneHour(src).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'), String(err));
  assert.match(err.message, /not valid JSON/);
});

test('one chunk failing for good fails the whole 9-day read (no partial series)', async () => {
  const { src } = setup({ maxRetries: 1, concurrency: 2 });
  const badStart = String((FROM + 11_000 * MIN) / 1000); // the second chunk
  proxy.setRule((r) => (r.params.get('start') === badStart ? { kind: 'status', status: 500 } : undefined));
  const err = await src.fetchRange(FROM, FROM + 9 * DAY - MIN, MIN).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'), String(err));
  assert.equal(proxy.requests.filter((r) => r.params.get('start') === badStart).length, 2);
});

const permanent: [string, Fault, string, RegExp][] = [
  ['401', { kind: 'status', status: 401, body: 'unauthorized' }, 'forbidden', /access denied \(HTTP 401\)/],
  ['403', { kind: 'status', status: 403, body: '{"status":"error","error":"tenant not allowed"}' }, 'forbidden', /tenant not allowed/],
  ['400 with Prometheus error text', { kind: 'status', status: 400, body: '{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:5: parse error: unexpected end of input"}' }, 'query', /bad_data\): invalid parameter "query": 1:5: parse error: unexpected end of input/],
  ['422 execution error', { kind: 'status', status: 422, body: '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory"}' }, 'query', /too many samples/],
  ['404 (wrong path prefix)', { kind: 'status', status: 404, body: '404 page not found' }, 'invalid-input', /path prefix/],
];

for (const [name, fault, kind, message] of permanent) {
  test(`not retried: ${name} fails at once as ${kind}`, async () => {
    const { src, clock } = setup();
    proxy.inject(fault);
    const err = await oneHour(src).catch((e: unknown) => e);
    assert.ok(isPrescaleError(err), String(err));
    assert.equal(err.kind, kind);
    assert.match(err.message, message);
    assert.equal(proxy.requests.length, 1);
    assert.deepEqual(clock.sleeps, []);
  });
}

test('aborting the caller signal stops retrying at once with the abort reason', async () => {
  const { src, clock } = setup({ maxRetries: 10 });
  const ctrl = new AbortController();
  proxy.setRule((_r, i) => {
    if (i === 1) ctrl.abort(new Error('shutting down'));
    return { kind: 'status', status: 500 };
  });
  const err = await src.fetchRange(FROM, FROM + (HOUR_POINTS - 1) * MIN, MIN, ctrl.signal).catch((e: unknown) => e);
  assert.equal((err as Error).message, 'shutting down');
  assert.ok(proxy.requests.length <= 2, `${proxy.requests.length} requests`);
  assert.ok(clock.sleeps.length <= 1);
});

test('bearer token file: sent as Authorization, re-read after rotation, never in errors or logs', async () => {
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'token-one-SECRET\n');
  const { src, logs } = setup({ bearerTokenFile: tokenFile, headers: { 'X-Scope-OrgID': 'tenant-a' } });
  assertFixtureHour((await oneHour(src)).values);
  assert.equal(proxy.requests[0]!.headers.authorization, 'Bearer token-one-SECRET');
  assert.equal(proxy.requests[0]!.headers['x-scope-orgid'], 'tenant-a');

  // Kubelet swaps the projected token atomically: write a new file and rename it over.
  await writeFile(`${tokenFile}.new`, 'token-two-SECRET');
  await rename(`${tokenFile}.new`, tokenFile);
  proxy.setRule(() => ({ kind: 'status', status: 500, body: 'boom' }));
  const err = await oneHour(src).catch((e: unknown) => e);
  assert.equal(proxy.requests.at(-1)!.headers.authorization, 'Bearer token-two-SECRET');
  const seen = `${String(err)} ${JSON.stringify(err)} ${JSON.stringify(logs)} ${src.description}`;
  assert.doesNotMatch(seen, /SECRET/);
});

test('basic auth in the URL: sent as a header, redacted from the description, errors and logs', async () => {
  const url = proxy.url.replace('http://', 'http://alice:pa55-SECRET@');
  const { src, logs } = setup({ url, maxRetries: 1 });
  proxy.inject({ kind: 'reset' });
  assertFixtureHour((await oneHour(src)).values);
  const auth = proxy.requests.at(-1)!.headers.authorization;
  assert.equal(auth, `Basic ${Buffer.from('alice:pa55-SECRET').toString('base64')}`);
  proxy.setRule(() => ({ kind: 'status', status: 503 }));
  const err = await oneHour(src).catch((e: unknown) => e);
  assert.ok(isPrescaleError(err, 'transient'));
  const seen = `${String(err)} ${JSON.stringify(err)} ${JSON.stringify(logs)} ${src.description}`;
  assert.doesNotMatch(seen, /SECRET|alice:/);
  assert.doesNotMatch(seen, new RegExp(auth!.slice('Basic '.length)));
});
