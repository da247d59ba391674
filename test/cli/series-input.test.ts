/**
 * The series-file rules (README, "Series files") as the commands apply them: values read as gaps
 * (negative, NaN, infinities, empty) are warned about once per kind with the first one's line and
 * a count, in forecast, dry-run and backtest alike; a missing header, another column or a row with
 * more or fewer cells is refused with `FILE:LINE:` and exit 2, and nothing is written.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { fixtureRows, linesOf, runCli, tempDir, writeSeries } from './run-cli.js';

const tmp = tempDir('series-input');
after(() => tmp.remove());

// 25 hours of a 5-minute trace (enough to forecast) with values replaced on some rows.
const rows = fixtureRows('nab_elb_requests_5min.csv').slice(0, 300);
const withValues = (over: Record<number, string>) => rows.map((r, i) => (i in over ? `${r.split(',')[0]},${over[i]}` : r));
const GAPPY = writeSeries(tmp.file('gappy.csv'), withValues({ 10: '-4.5', 20: 'NaN', 30: '-1', 40: '+Inf', 50: '' }));

test('forecast: values read as gaps are one warning line per kind with the first line and a count; the forecast is written', async () => {
  const out = tmp.file('gappy-forecast.csv');
  const r = await runCli(['forecast', '--input', GAPPY, '--horizon', '1h', '--model', 'seasonal-naive-day', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const warnings = linesOf(r.stderr).filter((l) => l.includes('warning:'));
  assert.deepEqual(warnings, [
    `prescale: ${GAPPY}:12: warning: 2 values below zero read as gaps, the first here ("-4.5"); a load is never negative: check the query or the export`,
    `prescale: ${GAPPY}:22: warning: 3 values without a finite number (NaN, Inf or empty) read as gaps, the first here ("NaN")`,
  ]);
  assert.ok(existsSync(out));
});

test('dry-run: the same warnings as JSON log lines (level warn), and the replay runs', async () => {
  const r = await runCli(['dry-run', '-f', 'manifests/samples/default.yaml', '--input', GAPPY, '--from', '2014-04-11T00:00:00Z', '--to', '2014-04-11T01:00:00Z']);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const warnings = linesOf(r.stderr)
    .map((l) => JSON.parse(l) as { level?: number; msg?: string })
    .filter((o) => o.level === 40 && o.msg?.includes('read as gaps'))
    .map((o) => o.msg);
  assert.deepEqual(warnings, [
    `${GAPPY}:12: warning: 2 values below zero read as gaps, the first here ("-4.5"); a load is never negative: check the query or the export`,
    `${GAPPY}:22: warning: 3 values without a finite number (NaN, Inf or empty) read as gaps, the first here ("NaN")`,
  ]);
});

test('backtest: the warning is printed when the file is read (here before the refusal of a file too short)', async () => {
  const r = await runCli(['backtest', '-f', 'manifests/samples/default.yaml', '--input', GAPPY]);
  assert.equal(r.code, 2, r.stderr);
  const lines = linesOf(r.stderr);
  assert.ok(lines.includes(`prescale: ${GAPPY}:12: warning: 2 values below zero read as gaps, the first here ("-4.5"); a load is never negative: check the query or the export`), r.stderr);
  assert.match(lines[lines.length - 1]!, /needs more than 8 days/);
});

describe('malformed series files exit 2 with one line naming the file and line, and write nothing', { concurrency: 4 }, () => {
  const [t1, v1] = rows[0]!.split(',');
  const cases: Array<{ name: string; text: string; message: RegExp }> = [
    { name: 'missing header', text: `${rows.join('\n')}\n`, message: /:1: no header: the first line is a data row \(".*"\); add the line timestamp,value above it$/ },
    { name: 'extra column', text: `timestamp,value,host\n${rows.map((r) => `${r},web-1`).join('\n')}\n`, message: /:1: header has an extra column "host"; a series file has exactly the columns timestamp,value/ },
    { name: 'extra cell in one row', text: `timestamp,value\n${rows.map((r, i) => (i === 5 ? `${r},x` : r)).join('\n')}\n`, message: /:7: 3 cells where the header has 2 \(timestamp,value\)/ },
    { name: 'decimal comma', text: `timestamp,value\n${t1},${v1!.replace('.', ',')}\n`, message: /:2: 3 cells where the header has 2 \(timestamp,value\) \(a decimal comma\? write 1\.5, not 1,5\)/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const input = tmp.file(`${c.name}.csv`);
      const out = tmp.file(`${c.name}-out.csv`);
      writeFileSync(input, c.text);
      const r = await runCli(['forecast', '--input', input, '--horizon', '1h', '--output', out]);
      assert.equal(r.code, 2, r.stderr);
      const err = linesOf(r.stderr);
      assert.equal(err.length, 1, r.stderr);
      assert.ok(err[0]!.startsWith(`prescale: error: ${input}:`), err[0]);
      assert.match(err[0]!, c.message);
      assert.ok(!existsSync(out), 'no output on an error');
    });
  }
});
