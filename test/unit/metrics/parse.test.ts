import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrescaleError } from '../../../src/core/errors.js';
import { describeDropped, parsePromMatrix, parseSeriesText, parseValue, singleSeries } from '../../../src/metrics/parse.js';
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
  ['missing header', '2014-07-01T00:00:00Z,1\n2014-07-01T00:05:00Z,2', /^f\.csv:1: no header: the first line is a data row \("2014-07-01T00:00:00Z,1"\); add the line timestamp,value above it$/],
  ['missing header, epoch seconds', '1404172800,1\n', /^f\.csv:1: no header: the first line is a data row/],
  ['extra column in the header', 'timestamp,value,instance\n2014-07-01T00:00:00Z,1,a', /^f\.csv:1: header has an extra column "instance"; a series file has exactly the columns timestamp,value/],
  ['empty column in the header', 'timestamp,value,\n2014-07-01T00:00:00Z,1,', /^f\.csv:1: header has an empty column 3;/],
  ['value column twice', 'timestamp,value,value\n2014-07-01T00:00:00Z,1,2', /^f\.csv:1: header has a second column "value";/],
  ['extra cell in a row', csv('2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z,2,x'), /^f\.csv:3: 3 cells where the header has 2 \(timestamp,value\): "2014-07-01T00:05:00Z,2,x"$/],
  ['decimal comma', csv('2014-07-01T00:00:00Z,1,5'), /^f\.csv:2: 3 cells where the header has 2 \(timestamp,value\) \(a decimal comma\? write 1\.5, not 1,5\)/],
  ['missing cell', csv('2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z'), /^f\.csv:3: 1 cells where the header has 2/],
  ['value that is not a number after a good row', csv('2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z,1e'), /^f\.csv:3: value "1e" is not a number$/],
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

/** The value cells of a parse as numbers or 'gap'. */
const cells = (values: readonly number[]) => values.map((v) => (Number.isNaN(v) ? 'gap' : v));

const dropCases: Array<[string, string[], Array<number | 'gap'>, Array<[string, RegExp]>]> = [
  [
    'negative values are gaps, counted, the first named by its line',
    ['2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z,-3', '2014-07-01T00:10:00Z,2', '2014-07-01T00:15:00Z,-0.5'],
    [1, 'gap', 2, 'gap'],
    [['negative', /^f\.csv:3: warning: 2 values below zero read as gaps, the first here \("-3"\); a load is never negative: check the query or the export$/]],
  ],
  [
    'NaN, infinities and empty cells are gaps, counted together',
    ['2014-07-01T00:00:00Z,1', '2014-07-01T00:05:00Z,+Inf', '2014-07-01T00:10:00Z,NaN', '2014-07-01T00:15:00Z,', '2014-07-01T00:20:00Z,-Inf', '2014-07-01T00:25:00Z,4'],
    [1, 'gap', 'gap', 'gap', 'gap', 4],
    [['not-finite', /^f\.csv:3: warning: 4 values without a finite number \(NaN, Inf or empty\) read as gaps, the first here \("\+Inf"\)$/]],
  ],
  [
    'one of each: one warning per kind',
    ['2014-07-01T00:00:00Z,-1', '2014-07-01T00:05:00Z,nan'],
    ['gap', 'gap'],
    [
      ['negative', /^f\.csv:2: warning: one value below zero/],
      ['not-finite', /^f\.csv:3: warning: one value without a finite number/],
    ],
  ],
  ['zero and minus zero are loads, not gaps', ['2014-07-01T00:00:00Z,0', '2014-07-01T00:05:00Z,-0'], [0, 0], []],
];
for (const [name, rows, values, warnings] of dropCases) {
  test(`CSV: ${name}`, () => {
    const s = parseSeriesText(csv(...rows), 'f.csv');
    assert.deepEqual(cells(s.values), values);
    assert.equal(s.timesMs.length, rows.length, 'a dropped value keeps its row as a gap');
    assert.deepEqual(s.dropped.map((d) => d.kind), warnings.map(([k]) => k));
    s.dropped.forEach((d, i) => assert.match(describeDropped(d), warnings[i]![1]));
  });
}

test('cells may be quoted and padded, lines may end in CRLF, a byte order mark is skipped; the header in either order', () => {
  const a = parseSeriesText('\uFEFFtimestamp,value\r\n"2014-07-01T00:00:00Z", 1.5 \r\n\r\n 2014-07-01T00:05:00Z ,"2"\r\n', 'f.csv');
  assert.deepEqual(a.timesMs, [1404172800000, 1404173100000]);
  assert.deepEqual(a.values, [1.5, 2]);
  const b = parseSeriesText('Value,"Timestamp"\n1.5,2014-07-01T00:00:00Z\n2,1404173100\n', 'f.csv');
  assert.deepEqual(b.timesMs, a.timesMs);
  assert.deepEqual(b.values, a.values);
});

test('values read exactly as Number() reads them, short and long', () => {
  const texts = ['0.1', '123456789012345', '0.000001', '-0', '1.', '.5', '+7', '0.4416155843647663', '12345678901234567890', '1e3', '2.5E-3', '00012.50'];
  const s = parseSeriesText(csv(...texts.map((v, i) => `${1404172800 + i * 60},${v}`)), 'f.csv');
  assert.deepEqual(s.values, texts.map((v) => Number(v) + 0));
});

test('a saved query_range response: NaN, infinities and negative values are gaps, named by their element', () => {
  const body = { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[100, '1'], [160, '-2'], [220, 'NaN'], [280, '-Inf'], [340, '5']] }] } };
  const s = parseSeriesText(JSON.stringify(body), 'r.json');
  assert.deepEqual(cells(s.values), [1, 'gap', 'gap', 'gap', 5]);
  assert.deepEqual(s.dropped.map(describeDropped), [
    'r.json: data.result[0].values[1]: warning: one value below zero read as gaps, the first here ("-2"); a load is never negative: check the query or the export',
    'r.json: data.result[0].values[2]: warning: 2 values without a finite number (NaN, Inf or empty) read as gaps, the first here ("NaN")',
  ]);
});

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
