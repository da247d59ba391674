import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrescaleError } from '../../../src/core/errors.js';
import { parsePromMatrix, parseSeriesText, parseValue, singleSeries } from '../../../src/metrics/parse.js';
import { inferStepMs, toRegular } from '../../../src/metrics/resample.js';

const csv = (...rows: string[]) => ['timestamp,value', ...rows].join('\n');

test('CSV rows parse into sorted samples with ISO and epoch timestamps', () => {
  const s = parseSeriesText(csv('2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z,2.5', '1404173400,3e2'), 'f.csv');
  assert.deepEqual(s.timesMs, [1404172800000, 1404173100000, 1404173400000]);
  assert.deepEqual(s.values, [1, 2.5, 300]);
});

const badInputs: Array<[string, string, RegExp]> = [
  ['bad timestamp', csv('2014-07-01T00:00:00Z,1', 'yesterday,2'), /^f\.csv:3: bad timestamp "yesterday"$/],
  ['impossible date', csv('2014-02-30T00:00:00Z,1'), /^f\.csv:2: bad timestamp/],
  ['non-numeric value', csv('2014-07-01T00:00:00Z,abc'), /^f\.csv:2: value "abc" is not a number$/],
  ['duplicate timestamp', csv('2014-07-01T00:00:00Z,1', '2014-07-01T00:00:00Z,2'), /^f\.csv:3: duplicate timestamp 2014-07-01T00:00:00Z$/],
  ['unsorted rows', csv('2014-07-01T00:05:00Z,1', '2014-07-01T00:00:00Z,2'), /^f\.csv:3: rows are not sorted by time/],
  ['empty file', '', /^f\.csv: file is empty$/],
  ['header only', 'timestamp,value\n', /^f\.csv: no data rows after the header$/],
  ['wrong header', 'time,val\n1,2', /^f\.csv:1: header must name the columns timestamp,value/],
  ['truncated JSON', '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"]', /^f\.csv: not valid JSON/],
  ['error response', '{"status":"error","error":"parse error"}', /^f\.csv: response status is "error": parse error$/],
];
for (const [name, text, message] of badInputs) {
  test(`bad input is one invalid-input line naming file and line: ${name}`, () => {
    assert.throws(
      () => parseSeriesText(text, 'f.csv'),
      (e: unknown) => isPrescaleError(e, 'invalid-input') && message.test(e.message) && !e.message.includes('\n'),
    );
  });
}

test('Prometheus values parse exactly; NaN and infinities become gaps', () => {
  assert.equal(parseValue('0.1'), 0.1);
  assert.equal(parseValue('1e-3'), 0.001);
  for (const gap of ['NaN', '+Inf', '-Inf', '']) assert.ok(Number.isNaN(parseValue(gap)));
  assert.equal(parseValue('12abc'), undefined);
});

test('a saved query_range response is read like a CSV', () => {
  const body = { status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values: [[100, '1'], [160, 'NaN'], [220, '3']] }] } };
  const s = parseSeriesText(JSON.stringify(body), 'r.json');
  assert.deepEqual(s.timesMs, [100000, 160000, 220000]);
  assert.equal(s.values[0], 1);
  assert.ok(Number.isNaN(s.values[1]));
});

test('several series is an error naming their labels and suggesting an aggregation', () => {
  const series = parsePromMatrix(
    { status: 'success', data: { resultType: 'matrix', result: [{ metric: { pod: 'a' }, values: [] }, { metric: { pod: 'b' }, values: [] }] } },
    'q',
  );
  assert.throws(() => singleSeries(series, 'q'), /returned 2 series \(\{pod="a"\}, \{pod="b"\}\).*sum/);
  assert.throws(() => singleSeries([], 'q'), /returned no series/);
});

test('the step is inferred from the common spacing and gaps stay NaN, never zero', () => {
  const t0 = Date.UTC(2020, 0, 1);
  const times = [0, 1, 2, 5, 6].map((i) => t0 + i * 60_000);
  assert.equal(inferStepMs(times), 60_000);
  const s = toRegular({ timesMs: times, values: [1, 2, 3, 6, 7] }, 'x');
  assert.equal(s.values.length, 7);
  assert.deepEqual([...s.values].map((v) => (Number.isNaN(v) ? 'gap' : v)), [1, 2, 3, 'gap', 'gap', 6, 7]);
});

test('irregular samples are averaged per bucket', () => {
  const t0 = Date.UTC(2020, 0, 1);
  const times = [0, 20, 50, 70, 130].map((s) => t0 + s * 1000);
  const s = toRegular({ timesMs: times, values: [1, 2, 3, 4, 5] }, 'x', 60_000);
  assert.deepEqual([...s.values], [2, 4, 5]);
});

test('epoch milliseconds are refused on the first row with a hint, in CSV and in a saved response; so is a time before 1970', () => {
  const ms = 'timestamp,value\n1404172800000,1\n1404173100000,2\n';
  assert.throws(() => parseSeriesText(ms, 'ms.csv'), (e: unknown) => isPrescaleError(e, 'invalid-input') && /^ms\.csv:2: timestamp "1404172800000" is in the year 46466, .*\(epoch milliseconds\? write epoch seconds or ISO-8601\)$/.test((e as Error).message));
  const json = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1404172800000, '1']] }] } });
  assert.throws(() => parseSeriesText(json, 'r.json'), /r\.json: data\.result\[0\]\.values\[0\]: timestamp "1404172800000" is in the year 46466.*epoch milliseconds\?/);
  assert.throws(() => parseSeriesText('timestamp,value\n-5,1\n', 'neg.csv'), /neg\.csv:2: timestamp "-5" is in the year 1969, not a time a load was measured$/);
  // Epoch seconds and ISO-8601 of today's and next century's dates are fine.
  assert.equal(parseSeriesText('timestamp,value\n1404172800,1\n2150-01-01T00:00:00Z,2\n', 'ok.csv').timesMs.length, 2);
});
