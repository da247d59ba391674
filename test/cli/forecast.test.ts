/**
 * `prescale forecast` as a user runs it (a child process): the CSV contract of the README
 * ("Commands", "Series files"), and one-line errors with exit code 2 for every kind of bad input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { type CliResult, HOUR_MS, MINUTE_MS, fixtureRows, linesOf, parseCsv, runCli, tempDir, timestampMs, writeSeries } from './run-cli.js';

const TRACE = 'fixtures/traces/nab_elb_requests_5min.csv';
const rows = fixtureRows('nab_elb_requests_5min.csv');
const LAST_MS = Date.parse(rows[rows.length - 1]!.split(',')[0]!); // 2014-04-24T00:39:00Z
const STEP_MS = 5 * MINUTE_MS;

const tmp = tempDir('forecast');
after(() => tmp.remove());

// The good-path runs, started together (they are independent) and shared by the tests below.
let byDefault: CliResult;
let otherQuantilesToFile: CliResult;
let naive5m: CliResult;
let naiveHourly: CliResult;
const OUT = tmp.file('forecast.csv');
// 25 hours of the trace: enough to forecast (the base of the bad-input cases) and quick.
const SMALL = writeSeries(tmp.file('small.csv'), rows.slice(0, 300));

before(async () => {
  [byDefault, otherQuantilesToFile, naive5m, naiveHourly] = await Promise.all([
    runCli(['forecast', '--input', TRACE, '--horizon', '6h']),
    runCli(['forecast', '--input', TRACE, '--horizon', '6h', '--quantiles', '0.1,0.95', '--output', OUT]),
    runCli(['forecast', '--input', TRACE, '--horizon', '8h', '--model', 'seasonal-naive-day']),
    runCli(['forecast', '--input', TRACE, '--horizon', '6h', '--step', '1h', '--model', 'seasonal-naive-day']),
  ]);
});

/** Asserts exit 0 and returns the CSV written on stdout. */
function okCsv(r: CliResult) {
  assert.equal(r.code, 0, `exit code ${r.code}; stderr: ${r.stderr}`);
  return parseCsv(r.stdout);
}

/** Every cell after the timestamp as a number; asserts all are finite and >= 0. */
function numbersOf(row: string[]): number[] {
  return row.slice(1).map((cell) => {
    const v = Number(cell);
    assert.ok(cell !== '' && Number.isFinite(v), `${JSON.stringify(cell)} in ${row.join(',')} is not a finite number`);
    assert.ok(v >= 0, `${v} in ${row.join(',')} is negative (the input has no negative value)`);
    return v;
  });
}

test('the bundled trace is non-negative (precondition of the >= 0 checks)', () => {
  assert.equal(rows.length, 4032);
  assert.ok(rows.every((r) => Number(r.split(',')[1]) >= 0));
});

test('default run: header timestamp,mean,p50,p90 and horizon/step rows starting one step after the last sample', () => {
  const csv = okCsv(byDefault);
  assert.deepEqual(csv.header, ['timestamp', 'mean', 'p50', 'p90']);
  assert.equal(csv.rows.length, (6 * HOUR_MS) / STEP_MS);
  const times = csv.rows.map((r) => timestampMs(r[0]!));
  assert.equal(csv.rows[0]![0], '2014-04-24T00:44:00Z');
  assert.equal(times[0], LAST_MS + STEP_MS);
  times.forEach((t, i) => assert.equal(t, LAST_MS + (i + 1) * STEP_MS, `row ${i + 1}: ${csv.rows[i]![0]}`));
  for (const row of csv.rows) {
    assert.equal(row.length, 4, row.join(','));
    const [, p50, p90] = numbersOf(row);
    assert.ok(p50! <= p90!, `p50 > p90 in ${row.join(',')}`);
  }
  // The summary goes to stderr, so stdout is only the CSV.
  const err = linesOf(byDefault.stderr);
  assert.equal(err.length, 1, byDefault.stderr);
  assert.match(err[0]!, /^prescale: forecast 72 x 5m with \S+/);
});

test('--quantiles 0.1,0.95 --output: p10 and p95 columns in the file, p10 <= p95 on every row, nothing on stdout', () => {
  assert.equal(otherQuantilesToFile.code, 0, otherQuantilesToFile.stderr);
  assert.equal(otherQuantilesToFile.stdout, '', 'with --output, stdout stays empty');
  assert.match(linesOf(otherQuantilesToFile.stderr)[0]!, /^prescale: forecast 72 x 5m with /);
  assert.deepEqual(readdirSync(tmp.path).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  const text = readFileSync(OUT, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file is complete (ends with a newline)');
  const csv = parseCsv(text);
  assert.deepEqual(csv.header, ['timestamp', 'mean', 'p10', 'p95']);
  assert.equal(csv.rows.length, 72);
  for (const row of csv.rows) {
    assert.equal(row.length, 4, row.join(','));
    const [, p10, p95] = numbersOf(row);
    assert.ok(p10! <= p95!, `p10 > p95 in ${row.join(',')}`);
  }
  // The quantiles asked for do not change the fit: timestamps and mean match the default run...
  const byDefaultCsv = okCsv(byDefault);
  assert.deepEqual(csv.rows.map((r) => r.slice(0, 2)), byDefaultCsv.rows.map((r) => r.slice(0, 2)));
  // ...and the bands differ from the default p50/p90 (the flag is not ignored).
  assert.notDeepEqual(csv.rows.map((r) => r.slice(2)), byDefaultCsv.rows.map((r) => r.slice(2)));
});

test('--step 1h writes one row per hour of the horizon, starting after the last sample', () => {
  const csv = okCsv(naiveHourly);
  assert.deepEqual(csv.header, ['timestamp', 'mean', 'p50', 'p90']);
  assert.equal(csv.rows.length, 6);
  const times = csv.rows.map((r) => timestampMs(r[0]!));
  assert.ok(times[0]! > LAST_MS && times[0]! <= LAST_MS + HOUR_MS, `first row ${csv.rows[0]![0]}`);
  times.forEach((t, i) => i > 0 && assert.equal(t - times[i - 1]!, HOUR_MS, `row ${i + 1}: ${csv.rows[i]![0]}`));
  for (const row of csv.rows) {
    const [, p50, p90] = numbersOf(row);
    assert.ok(p50! <= p90!, row.join(','));
  }
  assert.match(linesOf(naiveHourly.stderr)[0]!, /^prescale: forecast 6 x 1h with seasonal-naive-day /);
});

test('--step 1h averages the 5-minute forecast over each hour (same model, seasonal-naive-day)', () => {
  const fine = okCsv(naive5m);
  const coarse = okCsv(naiveHourly);
  const fineByTime = new Map(fine.rows.map((r) => [timestampMs(r[0]!), Number(r[1])]));
  assert.equal(coarse.rows.length, 6);
  for (const row of coarse.rows) {
    const t = timestampMs(row[0]!);
    const inHour: number[] = [];
    for (let s = t; s < t + HOUR_MS; s += STEP_MS) {
      const v = fineByTime.get(s);
      assert.ok(v !== undefined, `the 8h forecast has no row at ${new Date(s).toISOString()}`);
      inHour.push(v);
    }
    const expected = inHour.reduce((x, y) => x + y, 0) / inHour.length;
    assert.ok(Math.abs(Number(row[1]) - expected) <= 1e-4 * Math.max(1, expected), `${row[0]}: mean ${row[1]}, average of the 5-minute forecast ${expected}`);
  }
});

/** Asserts exit 2, nothing on stdout, and exactly one stderr line `prescale: error: ...` matching `names`. */
function assertOneLineError(r: CliResult, names: RegExp): void {
  assert.equal(r.code, 2, `exit code ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'no CSV on stdout');
  const err = linesOf(r.stderr);
  assert.equal(err.length, 1, `one stderr line expected, got:\n${r.stderr}`);
  assert.ok(err[0]!.startsWith('prescale: error: '), err[0]);
  assert.match(err[0]!, names);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('bad input exits 2 with one line naming the file:line or the flag', { concurrency: 4 }, () => {
  // Each bad file is SMALL with one row changed, so each failure comes from that row.
  const good = rows.slice(0, 300);
  const file = (name: string, lines: readonly string[]) => writeSeries(tmp.file(name), lines);
  const at51 = (row: string) => [...good.slice(0, 49), row, ...good.slice(49)]; // data row 50 is file line 51
  const cases: Array<{ name: string; args: () => string[]; names: () => RegExp }> = [
    {
      name: 'bad timestamp',
      args: () => ['--input', file('bad-ts.csv', at51('2014-04-10T04:1x:00Z,12')), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('bad-ts.csv'))}:51: .*timestamp.*2014-04-10T04:1x:00Z`),
    },
    {
      name: 'non-numeric value',
      args: () => ['--input', file('bad-value.csv', at51('2014-04-10T04:06:00Z,12;5')), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('bad-value.csv'))}:51: .*"12;5".*not a number`),
    },
    {
      name: 'duplicate timestamp',
      args: () => ['--input', file('dup.csv', at51(good[48]!)), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('dup.csv'))}:51: .*duplicate`),
    },
    {
      name: 'rows not sorted by time',
      args: () => ['--input', file('unsorted.csv', at51(good[10]!)), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('unsorted.csv'))}:51: .*sorted`),
    },
    {
      name: 'empty file',
      args: () => {
        writeFileSync(tmp.file('empty.csv'), '');
        return ['--input', tmp.file('empty.csv'), '--horizon', '1h'];
      },
      names: () => new RegExp(`${esc(tmp.file('empty.csv'))}: .*empty`),
    },
    {
      name: 'missing file',
      args: () => ['--input', tmp.file('no-such.csv'), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('no-such.csv'))}: no such file`),
    },
    { name: 'bad --horizon', args: () => ['--input', SMALL, '--horizon', '6 hours'], names: () => /--horizon: "6 hours" is not a duration/ },
    { name: '--horizon shorter than one step', args: () => ['--input', SMALL, '--horizon', '1m'], names: () => /--horizon: .*shorter than one step/ },
    { name: 'unknown --model', args: () => ['--input', SMALL, '--horizon', '1h', '--model', 'prophet'], names: () => /--model: unknown model "prophet"/ },
    { name: '--quantiles above 1', args: () => ['--input', SMALL, '--horizon', '1h', '--quantiles', '0.5,1.5'], names: () => /--quantiles: "1\.5"/ },
    {
      name: 'two hours of history: insufficient history',
      args: () => ['--input', file('two-hours.csv', good.slice(0, 24)), '--horizon', '1h'],
      names: () => new RegExp(`${esc(tmp.file('two-hours.csv'))}: insufficient history`),
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await runCli(['forecast', ...c.args()]);
      assertOneLineError(r, c.names());
    });
  }

  test('missing --input (a usage error reported by commander): exit 2, the first line names --input', async () => {
    const r = await runCli(['forecast', '--horizon', '1h']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(linesOf(r.stderr)[0]!, /--input/);
  });
});

describe('a failing --output leaves no partial file', { concurrency: 3 }, () => {
  test('into a directory that does not exist: exit 2, one line naming the file, nothing created', async () => {
    const target = tmp.file('no-such-dir/forecast.csv');
    const r = await runCli(['forecast', '--input', SMALL, '--horizon', '1h', '--output', target]);
    assertOneLineError(r, new RegExp(`${esc(target)}: cannot write`));
    assert.equal(existsSync(tmp.file('no-such-dir')), false);
  });

  test('onto an existing directory: exit non-zero, the directory untouched, no temporary file left', async () => {
    const dir = tmp.file('out-is-dir');
    mkdirSync(`${dir}/forecast.csv`, { recursive: true });
    writeFileSync(`${dir}/forecast.csv/keep`, 'x');
    const r = await runCli(['forecast', '--input', SMALL, '--horizon', '1h', '--output', `${dir}/forecast.csv`]);
    assert.notEqual(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(linesOf(r.stderr)[0]!, /^prescale: error: .*forecast\.csv: cannot write/);
    assert.deepEqual(readdirSync(dir), ['forecast.csv'], 'no temporary file beside the target');
    assert.deepEqual(readdirSync(`${dir}/forecast.csv`), ['keep']);
  });

  test('the base of the bad-input cases (SMALL) forecasts to a file, which a later bad input keeps as it was', async () => {
    const target = tmp.file('previous.csv');
    const ok = await runCli(['forecast', '--input', SMALL, '--horizon', '1h', '--output', target]);
    assert.equal(ok.code, 0, ok.stderr);
    const previous = readFileSync(target, 'utf8');
    assert.equal(parseCsv(previous).rows.length, 12);
    const bad = writeSeries(tmp.file('bad-for-output.csv'), ['2014-04-10T00:04:00Z,1', 'not-a-time,2']);
    const r = await runCli(['forecast', '--input', bad, '--horizon', '1h', '--output', target]);
    assertOneLineError(r, new RegExp(`${esc(bad)}:3: `));
    assert.equal(readFileSync(target, 'utf8'), previous);
  });
});

test('a load that collapsed for its last 2 hours: the first row follows it (stderr says so); --no-level-correction keeps the pattern', async () => {
  // The trace with its last 24 samples (2 h) cut to a tenth.
  const cut = rows.map((r, i) => {
    if (i < rows.length - 24) return r;
    const [ts, v] = r.split(',');
    return `${ts},${Number(v) / 10}`;
  });
  const input = writeSeries(tmp.file('collapsed.csv'), cut);
  const [on, off] = await Promise.all([
    runCli(['forecast', '--input', input, '--horizon', '6h']),
    runCli(['forecast', '--input', input, '--horizon', '6h', '--no-level-correction']),
  ]);
  const first = (r: CliResult) => Number(okCsv(r).rows[0]![1]);
  const lastLoad = cut.slice(-6).reduce((a, r) => a + Number(r.split(',')[1]), 0) / 6;
  assert.match(on.stderr, /near term shifted -\d+% towards the last 30m of load/);
  assert.doesNotMatch(off.stderr, /near term shifted/);
  assert.ok(Math.abs(first(on) - lastLoad) < Math.abs(first(off) - lastLoad) / 3, `first mean ${first(on)} (off: ${first(off)}) vs the recent load ${lastLoad}`);
});
