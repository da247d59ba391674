/**
 * readSeriesFile: a CSV read in chunks gives what the parser gives on the whole text; reading only
 * the newest part (`tailMs`) gives the end of the whole read on the same grid, names lines by
 * their number in the file, and does not read the rows before it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrescaleError } from '../../../src/core/errors.js';
import type { Series } from '../../../src/core/series.js';
import { forecastSeries } from '../../../src/forecast/engine.js';
import { peekSeriesSpan, readSeriesFile } from '../../../src/metrics/file-source.js';
import { parseSeriesText } from '../../../src/metrics/parse.js';
import { toRegular } from '../../../src/metrics/resample.js';

const dir = mkdtempSync(join(tmpdir(), 'prescale-file-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2020, 0, 1);
const MIN = 60_000;
const DAY = 1440 * MIN;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** `n` rows of a daily cycle at a 1-minute step; `row(i)` may replace row i's text. */
function rows(n: number, row?: (i: number, t: number, v: number) => string | undefined): string[] {
  return Array.from({ length: n }, (_, i) => {
    const t = T0 + i * MIN;
    const v = Math.round(1000 * (2 + Math.sin((2 * Math.PI * i) / 1440))) / 10;
    return row?.(i, t, v) ?? `${iso(t)},${v}`;
  });
}
function write(name: string, lines: string[], header = 'timestamp,value'): string {
  const path = join(dir, name);
  writeFileSync(path, `${header}\n${lines.join('\n')}\n`);
  return path;
}
const same = (a: Series, b: Series) => {
  assert.equal(a.startMs, b.startMs);
  assert.equal(a.stepMs, b.stepMs);
  assert.deepEqual([...a.values].map(String), [...b.values].map(String));
};
/** The end of `whole` from `tail.startMs` on. */
const endOf = (whole: Series, startMs: number): Series => ({ startMs, stepMs: whole.stepMs, values: whole.values.slice((startMs - whole.startMs) / whole.stepMs) });
const invalid = (message: RegExp) => (e: unknown) => isPrescaleError(e, 'invalid-input') && message.test(e.message) && !e.message.includes('\n');

test('a CSV read in small chunks (lines cut across them, one longer than a chunk) equals the parse of its whole text', async () => {
  const lines = rows(3000, (i, t) => (i === 1234 ? `${iso(t)},${'0'.repeat(200)}7.25` : undefined));
  const path = write('chunks.csv', lines);
  const text = `timestamp,value\n${lines.join('\n')}\n`;
  const expected = toRegular(parseSeriesText(text, path), path);
  for (const chunkBytes of [37, 64, 1000, 1 << 20]) same(await readSeriesFile(path, { chunkBytes }), expected);
});

test('tailMs reads the end of a long file: the same grid and values as the end of a whole read', async () => {
  // 20 days of 1-minute rows (~0.6 MB); chunks of 16 KB make the file "long".
  const path = write('long.csv', rows(20 * 1440));
  const whole = await readSeriesFile(path);
  const tail = await readSeriesFile(path, { tailMs: 3 * DAY, chunkBytes: 16 * 1024 });
  assert.ok(tail.values.length >= 3 * 1440 + 1, `${tail.values.length} points cover 3 days`);
  assert.ok(tail.values.length < whole.values.length / 2, 'only the end was read');
  same(tail, endOf(whole, tail.startMs));
});

test('tailMs keeps the grid of the whole file when samples are irregular (the grid starts at the first sample)', async () => {
  // Samples every 40 s, starting 17 s past the minute, read onto a 1-minute grid.
  const lines = Array.from({ length: 30_000 }, (_, i) => `${(T0 + 17_000 + i * 40_000) / 1000},${i % 97}`);
  const path = write('irregular.csv', lines);
  const whole = await readSeriesFile(path, 60_000);
  const tail = await readSeriesFile(path, { stepMs: 60_000, tailMs: DAY, chunkBytes: 8 * 1024 });
  assert.equal((tail.startMs - whole.startMs) % 60_000, 0);
  same(tail, endOf(whole, tail.startMs));
});

test('tailMs: a bad row before the tail is not read; one inside it is refused with its line number in the file', async () => {
  const n = 20 * 1440;
  const early = write('bad-early.csv', rows(n, (i, t) => (i === 10 ? `${iso(t)},abc` : undefined)));
  await assert.rejects(readSeriesFile(early), invalid(/bad-early\.csv:12: value "abc" is not a number$/));
  const tail = await readSeriesFile(early, { tailMs: 3 * DAY, chunkBytes: 16 * 1024 });
  assert.ok(tail.values.every((v) => Number.isFinite(v)));

  const late = write('bad-late.csv', rows(n, (i, t) => (i === n - 100 ? `${iso(t)},abc` : undefined)));
  await assert.rejects(readSeriesFile(late, { tailMs: 3 * DAY, chunkBytes: 16 * 1024 }), invalid(new RegExp(`bad-late\\.csv:${n - 100 + 2}: value "abc" is not a number$`)));
});

test('tailMs: values read as gaps are reported with their line number in the file', async () => {
  const n = 20 * 1440;
  const path = write('gaps-late.csv', rows(n, (i, t) => (i === n - 50 || i === n - 10 ? `${iso(t)},-1` : undefined)));
  const warnings: string[] = [];
  const tail = await readSeriesFile(path, { tailMs: 3 * DAY, chunkBytes: 16 * 1024, onWarning: (l) => warnings.push(l) });
  assert.deepEqual(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${n - 50 + 2}: warning: 2 values below zero read as gaps, the first here \\("-1"\\)`));
  assert.ok(Number.isNaN(tail.values[tail.values.length - 50]!));
});

test('the span of a long file from its first row and its end, without reading the middle; none for a short file', async () => {
  const n = 20 * 1440;
  // A bad row in the middle is not read.
  const path = write('span.csv', rows(n, (i, t) => (i === n / 2 ? `${iso(t)},abc` : undefined)));
  assert.deepEqual(await peekSeriesSpan(path, { chunkBytes: 16 * 1024 }), { firstMs: T0, lastMs: T0 + (n - 1) * MIN, stepMs: MIN });
  assert.equal(await peekSeriesSpan(path), undefined, 'under two 4 MB chunks: read whole instead');
});

test('a forecast from the tail read equals the one from the whole file', async () => {
  const path = write('forecast.csv', rows(40 * 1440));
  const opts = { horizonMs: DAY, model: 'seasonal-naive-day', quantiles: [0.5, 0.9] };
  const a = forecastSeries(await readSeriesFile(path), opts);
  const b = forecastSeries(await readSeriesFile(path, { tailMs: 35 * DAY, chunkBytes: 64 * 1024 }), opts);
  assert.equal(a.kind, 'forecast');
  assert.equal(b.kind, 'forecast');
  if (a.kind !== 'forecast' || b.kind !== 'forecast') return;
  assert.equal(a.startMs, b.startMs);
  assert.deepEqual([...a.mean], [...b.mean]);
  assert.deepEqual(a.quantiles.map((q) => [...q.values]), b.quantiles.map((q) => [...q.values]));
});

test('file problems are one line naming the file: missing, a folder, empty, blank only, JSON read whole', async () => {
  await assert.rejects(readSeriesFile(join(dir, 'nope.csv')), invalid(/nope\.csv: no such file$/));
  await assert.rejects(readSeriesFile(dir), invalid(/: is a directory, not a series file$/));
  writeFileSync(join(dir, 'empty.csv'), '');
  await assert.rejects(readSeriesFile(join(dir, 'empty.csv')), invalid(/empty\.csv: file is empty$/));
  writeFileSync(join(dir, 'blank.csv'), '\n  \n\n');
  await assert.rejects(readSeriesFile(join(dir, 'blank.csv')), invalid(/blank\.csv: file is empty$/));
  const json = join(dir, 'r.json');
  writeFileSync(json, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1404172800, '1'], [1404172860, '-1'], [1404172920, '3']] }] } }));
  const warnings: string[] = [];
  const s = await readSeriesFile(json, { tailMs: DAY, chunkBytes: 16, onWarning: (l) => warnings.push(l) });
  assert.deepEqual([...s.values].map(String), ['1', 'NaN', '3']);
  assert.match(warnings[0]!, /r\.json: data\.result\[0\]\.values\[1\]: warning: one value below zero read as gaps/);
});
