/**
 * `dry-run --lead-times` with `plan.leadTime: auto`: a recorded series of pod start-ups replays
 * the lead time the operator would have learned at each refit (the plan of a refit uses the lead
 * time in force at it), a fixed value replays a fixed one, and bad input is one line naming the
 * file and line. The bundled default scaler over the last day of a 10-day slice of the UK trace.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, HOUR_MS, MINUTE_MS, ROOT, fixtureRows, linesOf, parseCsv, runCli, tempDir, timestampMs, writeSeries } from './run-cli.js';

const FROM = '2004-11-28T09:30:00Z';
const TO = '2004-11-29T09:30:00Z';
const FROM_MS = Date.parse(FROM);
const tmp = tempDir('lead-times');
after(() => tmp.remove());
const INPUT = writeSeries(tmp.file('uk-10d.csv'), fixtureRows('uk_academic_net_5min.csv').slice(0, 10 * 288));
const FIXED = join(ROOT, 'manifests/samples/default.yaml');
const AUTO = tmp.file('auto.yaml');
writeFileSync(AUTO, readFileSync(FIXED, 'utf8').replace(/leadTime: 5m/, 'leadTime: auto').replace(/startupDelay: 5m/, 'startupDelay: 5m'));
/** The start-ups: 20 pods of 4-5 minutes before the replay, then a rollout at +12h whose 20 pods take 50 minutes (one outlier of 3 h among the first). */
const CHANGE_MS = FROM_MS + 12 * HOUR_MS;
const iso = (ms: number): string => new Date(ms).toISOString();
const rows = [
  'timestamp,seconds',
  ...Array.from({ length: 20 }, (_, i) => `${iso(FROM_MS - 2 * HOUR_MS + i * MINUTE_MS)},${i === 7 ? 10_800 : 240 + (i % 4) * 15}`),
  ...Array.from({ length: 20 }, (_, i) => `${(CHANGE_MS + i * 1000) / 1000},${3000 - (i % 3)}`),
];
const STARTUPS = tmp.file('startups.csv');
writeFileSync(STARTUPS, rows.join('\n') + '\n');

const floors = (file: string): Map<number, number> => new Map(parseCsv(readFileSync(file, 'utf8')).rows.map((r) => [timestampMs(r[0]!), Number(r[3])]));
let runs: CliResult[];

before(async () => {
  const run = (spec: string, out: string, extra: string[] = []) => runCli(['dry-run', '-f', spec, '--input', INPUT, '--from', FROM, '--to', TO, '--decisions', tmp.file(out), ...extra]);
  runs = await Promise.all([
    run(FIXED, 'fixed-5m.csv'),
    run(AUTO, 'auto-none.csv'),
    run(AUTO, 'auto-recorded.csv', ['--lead-times', STARTUPS]),
    run(AUTO, 'auto-50m.csv', ['--lead-times', '50m']),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr.slice(-2000));
});

test('auto without start-ups plans with the documented fallback (5m): the same floors as leadTime: 5m', () => {
  assert.deepEqual([...floors(tmp.file('auto-none.csv'))], [...floors(tmp.file('fixed-5m.csv'))]);
});

test('a recorded series: the lead time learned before a refit is that refit plan\'s; the 3 h outlier never is', () => {
  const fixed = floors(tmp.file('fixed-5m.csv'));
  const slow = floors(tmp.file('auto-50m.csv'));
  const learned = floors(tmp.file('auto-recorded.csv'));
  let before = 0;
  let afterChange = 0;
  let differs = 0;
  for (const [t, f] of learned) {
    if (slow.get(t) !== fixed.get(t)) differs++;
    // Before the rollout the learned p90 is 4m45s (not the outlier's 3 h): at most the 5m run's floor, never the 50m run's where they differ.
    if (t < CHANGE_MS) {
      assert.ok(f <= slow.get(t)!, `${iso(t)}: ${f} above the 50m plan's ${slow.get(t)}`);
      if (f === fixed.get(t)) before++;
    } else if (t >= CHANGE_MS + HOUR_MS + MINUTE_MS) {
      // From the first refit after the rollout's third slow start-up, the plan is the 50m one.
      assert.equal(f, slow.get(t), `${iso(t)}`);
      afterChange++;
    }
  }
  assert.ok(differs > 30, `a 50m lead time changes ${differs} minutes of the floor`);
  assert.ok(before > 0 && afterChange > 600, `${before} ${afterChange}`);
});

test('bad input: one line naming the file and line, exit 2; a fixed leadTime refuses the flag', async () => {
  const bad = tmp.file('bad.csv');
  writeFileSync(bad, 'timestamp,seconds\n2004-11-28T00:00:00Z,30\n2004-11-28T00:01:00Z,thirty\n');
  const noHeader = tmp.file('no-header.csv');
  writeFileSync(noHeader, '2004-11-28T00:00:00Z,30\n');
  const results = await Promise.all([
    runCli(['dry-run', '-f', AUTO, '--input', INPUT, '--from', FROM, '--to', TO, '--lead-times', bad]),
    runCli(['dry-run', '-f', AUTO, '--input', INPUT, '--from', FROM, '--to', TO, '--lead-times', noHeader]),
    runCli(['dry-run', '-f', FIXED, '--input', INPUT, '--from', FROM, '--to', TO, '--lead-times', '2m']),
    runCli(['backtest', '-f', AUTO, '--input', INPUT, '--lead-times', tmp.file('missing.csv')]),
  ]);
  const expected = [`${bad}:3: "thirty" is not a start-up time in seconds`, `${noHeader}:1: the first line must name the columns timestamp,seconds`, '--lead-times: the scaler\'s plan.leadTime is fixed (5m)', `${tmp.file('missing.csv')}: no such file`];
  results.forEach((r, i) => {
    assert.equal(r.code, 2, r.stderr);
    const lines = linesOf(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(expected[i]!), lines[0]);
  });
});
