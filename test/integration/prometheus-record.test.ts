/**
 * `prescale record` (runRecord) against a real Prometheus: CSV written exactly as the fixture
 * (gaps are absent rows), JSON as one query_range response read back by the shared parser,
 * a failure never leaves a half-written output, and `--timeout` bounds each request (a slow answer
 * through the fault proxy is abandoned and retried).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRecord } from '../../src/cli/record.js';
import { SimulatedClock } from '../../src/core/clock.js';
import { isPrescaleError } from '../../src/core/errors.js';
import { readSeriesFile } from '../../src/metrics/file-source.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startPrometheus, type PromServer } from '../support/prometheus.js';
import { linesOf, runCli } from '../cli/run-cli.js';

// Three days of the NYC taxi trace (30-minute step) with some rows removed: gaps longer than
// Prometheus' 5-minute lookback, so they must come back as absent rows.
const lines = (await readFile('fixtures/traces/nyc_taxi_30min.csv', 'utf8')).trim().split('\n');
const dropped = new Set([10, 11, 12, 50, 100]);
const rows = lines.slice(1, 1 + 144).filter((_, i) => !dropped.has(i));
const FIXTURE_CSV = `timestamp,value\n${rows.join('\n')}\n`;
const FIRST = rows[0]!.split(',')[0]!;
const LAST = lines[144]!.split(',')[0]!; // the range end is the 144th row, dropped or not

let prom: PromServer;
let proxy: FaultProxy;
let dir: string;

before(async () => {
  const samples = {
    timesMs: rows.map((r) => Date.parse(r.split(',')[0]!)),
    values: rows.map((r) => Number(r.split(',')[1]!)),
  };
  prom = await startPrometheus([{ metric: 'taxi_passengers', labels: { city: 'nyc' }, samples }]);
  proxy = await startFaultProxy(prom.url);
  dir = await mkdtemp(join(tmpdir(), 'prescale-record-'));
});

after(async () => {
  await proxy?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const deps = () => ({ clock: new SimulatedClock(0) });
const base = () => ({ prometheus: prom.url, query: 'taxi_passengers', from: FIRST, to: LAST, step: '30m' });

test('csv: byte-for-byte the fixture rows, gaps absent, header timestamp,value', async () => {
  const output = join(dir, 'taxi.csv');
  const res = await runRecord({ ...base(), output }, deps());
  assert.equal(await readFile(output, 'utf8'), FIXTURE_CSV);
  assert.equal(res.points, 144);
  assert.equal(res.present, rows.length);
});

test('json: one merged query_range response that reads back to the same series', async () => {
  const output = join(dir, 'taxi.json');
  proxy.reset();
  await runRecord({ ...base(), prometheus: proxy.url, step: '1m', output, format: 'json', headers: ['X-Scope-OrgID: tenant-a'] }, deps());
  assert.equal(proxy.requests[0]!.headers['x-scope-orgid'], 'tenant-a');
  const body = JSON.parse(await readFile(output, 'utf8'));
  assert.equal(body.status, 'success');
  assert.equal(body.data.resultType, 'matrix');
  assert.equal(body.data.result.length, 1);
  assert.deepEqual(body.data.result[0].metric, { __name__: 'taxi_passengers', city: 'nyc' });
  for (const [t, v] of body.data.result[0].values.slice(0, 20)) {
    assert.equal(typeof t, 'number');
    assert.equal(typeof v, 'string');
  }
  // At a 1m step Prometheus' 5-minute lookback repeats each sample for 5 more minutes.
  const fromJson = await readSeriesFile(output, 60_000);
  const csvPath = join(dir, 'taxi-1m.csv');
  await runRecord({ ...base(), step: '1m', output: csvPath }, deps());
  const fromCsv = await readSeriesFile(csvPath, 60_000);
  assert.equal(fromJson.startMs, Date.parse(FIRST));
  assert.deepEqual(fromJson, fromCsv);
  assert.equal(fromJson.values[5], Number(rows[0]!.split(',')[1]));
  assert.ok(Number.isNaN(fromJson.values[6]!), 'beyond the lookback the gap between 30-minute samples shows');
});

test('a failing read leaves no output and no temporary file, and keeps an older output intact', async () => {
  const output = join(dir, 'keep.csv');
  await writeFile(output, 'old content\n');
  proxy.reset();
  proxy.setRule(() => ({ kind: 'status', status: 503 }));
  const err = await runRecord({ ...base(), prometheus: proxy.url, output }, deps()).catch((e: unknown) => e);
  proxy.reset();
  assert.ok(isPrescaleError(err, 'transient'), String(err));
  assert.equal(await readFile(output, 'utf8'), 'old content\n');
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes('keep')), ['keep.csv']);
});

test('bad flags are invalid input naming the flag', async () => {
  const table: [Partial<ReturnType<typeof base>> & { headers?: string[]; timeout?: string }, RegExp][] = [
    [{ timeout: '0s' }, /^--timeout: /],
    [{ timeout: 'soon' }, /^--timeout: /],
    [{ timeout: '2h' }, /^--timeout: 2h is longer than 1h/],
    [{ from: 'yesterday' }, /--from/],
    [{ step: '0m' }, /--step/],
    [{ to: '2014-06-01T00:00:00Z' }, /--to .* is before --from/],
    [{ headers: ['no colon here'] }, /--header/],
    [{ query: 'sum(' }, /parse error/],
  ];
  for (const [over, message] of table) {
    const err = await runRecord({ ...base(), ...over, output: join(dir, 'x.csv') }, deps()).catch((e: unknown) => e);
    assert.ok(isPrescaleError(err), String(err));
    assert.match(err.message, message);
  }
  assert.ok(!(await readdir(dir)).includes('x.csv'));
});

test('the CLI: a PromQL syntax error exits 2 with one line; a 501 is not retried', async () => {
  const out = join(dir, 'bad.csv');
  const r = await runCli(['record', '--prometheus', prom.url, '--query', 'sum(rate(taxi_passengers[1h]', '--from', FIRST, '--to', LAST, '--step', '30m', '--output', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(linesOf(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, /^prescale: error: .*Prometheus rejected the query \(HTTP 400, bad_data\): .*parse error/);
  proxy.reset();
  proxy.setRule(() => ({ kind: 'status', status: 501, body: 'not implemented' }));
  try {
    const n = await runCli(['record', '--prometheus', proxy.url, '--query', 'taxi_passengers', '--from', FIRST, '--to', LAST, '--step', '30m', '--output', out]);
    assert.equal(n.code, 2, n.stderr);
    assert.equal(proxy.requests.length, 1, 'one request: a 501 is not retried');
  } finally {
    proxy.setRule(undefined);
  }
});

test('--timeout: an answer later than the deadline is abandoned and the request retried; within it, one request', async () => {
  const args = (timeout: string, output: string) => ['record', '--prometheus', proxy.url, '--query', 'taxi_passengers', '--from', FIRST, '--to', LAST, '--step', '30m', '--output', output, '--timeout', timeout];
  const late = join(dir, 'late.csv');
  proxy.reset();
  const arrived: number[] = [];
  proxy.setRule((_req, i) => {
    arrived.push(performance.now());
    return i === 0 ? { kind: 'delay', ms: 2500 } : undefined;
  });
  const short = await runCli(args('1s', late));
  assert.equal(short.code, 0, short.stderr);
  assert.equal(proxy.requests.length, 2, 'the slow request, then its retry');
  // The retry came after the 1 s deadline and a backoff of 125-250 ms, not after the slow answer.
  const gap = arrived[1]! - arrived[0]!;
  assert.ok(gap >= 1000 && gap < 2400, `retried ${gap.toFixed(0)} ms after the first request`);
  const retry = linesOf(short.stderr).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; err?: string }).find((o) => o.msg === 'prometheus request failed; retrying');
  assert.match(retry?.err ?? '', /no complete answer within 1000 ms$/, short.stderr);
  assert.equal(await readFile(late, 'utf8'), FIXTURE_CSV);

  proxy.reset();
  proxy.inject({ kind: 'delay', ms: 1500 });
  const patient = await runCli(args('5s', join(dir, 'patient.csv')));
  assert.equal(patient.code, 0, patient.stderr);
  assert.equal(proxy.requests.length, 1, 'the slow answer came within the deadline');
  assert.equal(await readFile(join(dir, 'patient.csv'), 'utf8'), FIXTURE_CSV);

  const bad = await runCli(args('2h', join(dir, 'never.csv')));
  assert.equal(bad.code, 2, bad.stderr);
  assert.deepEqual(linesOf(bad.stderr), ['prescale: error: --timeout: 2h is longer than 1h; a request that needs longer asks for too much at once: use a longer --step or a shorter range']);
});

test('--timeout: when every answer is later than the deadline, each of the 5 attempts gives up at it and nothing is written', async () => {
  const output = join(dir, 'slow.csv');
  proxy.reset();
  proxy.setRule(() => ({ kind: 'delay', ms: 3000 }));
  const started = performance.now();
  const err = await runRecord({ ...base(), prometheus: proxy.url, output, timeout: '300ms' }, deps()).catch((e: unknown) => e);
  const seconds = (performance.now() - started) / 1000;
  const requests = proxy.requests.length;
  proxy.reset();
  assert.ok(isPrescaleError(err, 'transient'), String(err));
  assert.match(err.message, /no complete answer within 300 ms \(gave up after 5 attempts\)$/);
  assert.equal(requests, 5);
  assert.ok(seconds < 2.9, `each attempt stopped at 300 ms (${seconds.toFixed(2)} s in all)`);
  assert.ok(!(await readdir(dir)).some((f) => f.includes('slow')));
});
