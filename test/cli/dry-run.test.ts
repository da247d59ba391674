/**
 * `prescale dry-run` as a user runs it: the bundled default scaler replayed over the last two days
 * of a 10-day slice of the UK academic trace. The decisions CSV (one row per 1-minute tick),
 * determinism, the self-contained HTML report, the JSON log lines, and one-line usage errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, type Csv, MINUTE_MS, ROOT, fixtureRows, linesOf, parseCsv, runCli, scalerName, tempDir, timestampMs, writeSeries } from './run-cli.js';

const SCALER = 'manifests/samples/default.yaml';
const spec = readFileSync(join(ROOT, SCALER), 'utf8');
const MIN = Number(/^\s+minReplicas:\s*(\d+)/m.exec(spec)![1]); // 2
const MAX = Number(/^\s+maxReplicas:\s*(\d+)/m.exec(spec)![1]); // 40
const PER_REPLICA = Number(/^\s+perReplica:\s*(\d+)/m.exec(spec)![1]); // 370
const NAME = scalerName(spec); // demo/default

// Ten days at 5 minutes (2004-11-19T09:30Z .. 2004-11-29T09:25Z); replay the last two.
const slice = fixtureRows('uk_academic_net_5min.csv').slice(0, 10 * 288);
const INPUT_START_MS = Date.parse(slice[0]!.split(',')[0]!);
const INPUT_STEP_MS = 5 * MINUTE_MS;
const FROM = '2004-11-27T09:30:00Z';
const TO = '2004-11-29T09:30:00Z';
const TICKS = (Date.parse(TO) - Date.parse(FROM)) / MINUTE_MS; // 2880

const tmp = tempDir('dry-run');
after(() => tmp.remove());
const INPUT = writeSeries(tmp.file('uk-10d.csv'), slice);

let first: CliResult;
let second: CliResult;
let decisions: Csv;

before(async () => {
  // The same replay twice, at the same time: the decisions must not depend on the run.
  [first, second] = await Promise.all([
    runCli(['dry-run', '-f', SCALER, '--input', INPUT, '--from', FROM, '--to', TO, '--decisions', tmp.file('decisions-1.csv'), '--report', tmp.file('report.html')]),
    runCli(['dry-run', '-f', SCALER, '--input', INPUT, '--from', FROM, '--to', TO, '--decisions', tmp.file('decisions-2.csv')]),
  ]);
  assert.equal(first.code, 0, `first run: exit ${first.code}; stderr:\n${first.stderr.slice(-2000)}`);
  decisions = parseCsv(readFileSync(tmp.file('decisions-1.csv'), 'utf8'));
});

test('the replay exits 0 and summarises on stdout', () => {
  assert.equal(first.code, 0);
  assert.equal(second.code, 0, second.stderr.slice(-2000));
  assert.ok(first.stdout.startsWith(`prescale dry-run: ${NAME} `), first.stdout);
  assert.match(first.stdout, new RegExp(`range +${FROM} \\.\\. ${TO} \\(2d\\), ${TICKS} ticks of 1m`));
  assert.ok(first.stdout.includes(`decisions written to ${tmp.file('decisions-1.csv')}`), first.stdout);
  assert.ok(first.stdout.includes(`report written to ${tmp.file('report.html')}`), first.stdout);
});

test('--decisions: the documented columns, one row per 1-minute tick over [--from, --to)', () => {
  assert.deepEqual(decisions.header.slice(0, 7), ['timestamp', 'load', 'forecast', 'floor_replicas', 'reactive_replicas', 'desired_replicas', 'ready_replicas']);
  assert.equal(decisions.rows.length, TICKS);
  decisions.rows.forEach((r, i) => {
    assert.equal(r.length, decisions.header.length, `row ${i + 2}: ${r.join(',')}`);
    assert.equal(timestampMs(r[0]!), Date.parse(FROM) + i * MINUTE_MS, `row ${i + 2}: ${r[0]}`);
  });
});

test('--decisions: replica counts stay within the spec and ready never exceeds desired', () => {
  const col = (name: string) => decisions.header.indexOf(name);
  const [floorC, desiredC, readyC, reactiveC] = ['floor_replicas', 'desired_replicas', 'ready_replicas', 'reactive_replicas'].map(col);
  for (const r of decisions.rows) {
    const row = r.join(',');
    const [floor, desired, ready] = [r[floorC!], r[desiredC!], r[readyC!]].map(Number);
    for (const v of [floor, desired, ready]) assert.ok(Number.isInteger(v), `not an integer count in ${row}`);
    assert.ok(floor! >= MIN && floor! <= MAX, `floor ${floor} outside [${MIN}, ${MAX}] in ${row}`);
    assert.ok(desired! >= floor! && desired! <= MAX, `desired ${desired} outside [floor, ${MAX}] in ${row}`);
    assert.ok(ready! >= 0 && ready! <= desired!, `ready ${ready} outside [0, desired] in ${row}`);
    // Every tick of this range has load, so the reactive count is always there.
    assert.ok(Number.isInteger(Number(r[reactiveC!])) && r[reactiveC!] !== '', row);
  }
  // The plan moves with the daily cycle over two days (a constant floor would be a broken planner).
  assert.ok(new Set(decisions.rows.map((r) => r[floorC!])).size > 3, 'the floor changes over two days');
});

test('--decisions: load is the recorded sample in force at each tick, reactive = ceil(load / perReplica)', () => {
  const values = slice.map((r) => Number(r.split(',')[1]));
  for (const r of decisions.rows) {
    const k = Math.floor((timestampMs(r[0]!) - INPUT_START_MS) / INPUT_STEP_MS);
    const load = Number(r[1]);
    assert.ok(Math.abs(load - values[k]!) <= 1e-6 * Math.max(1, values[k]!), `${r[0]}: load ${r[1]}, recorded ${values[k]}`);
    assert.equal(Number(r[4]), Math.ceil(values[k]! / PER_REPLICA), r.join(','));
    assert.ok(Number.isFinite(Number(r[2])) && Number(r[2]) >= 0, `forecast ${JSON.stringify(r[2])} in ${r.join(',')}`);
  }
});

test('two runs of the same replay write byte-identical decisions', () => {
  assert.equal(second.code, 0, second.stderr.slice(-2000));
  const a = readFileSync(tmp.file('decisions-1.csv'));
  const b = readFileSync(tmp.file('decisions-2.csv'));
  assert.ok(a.length > 0);
  assert.ok(a.equals(b), 'decisions differ between two identical runs');
});

test('--report writes a self-contained HTML file with charts', () => {
  const html = readFileSync(tmp.file('report.html'), 'utf8');
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /<\/html>\s*$/);
  assert.ok(html.includes('<svg'), 'an inline SVG chart');
  assert.ok(!html.includes('http://') && !html.includes('https://'), 'no URL to fetch anything from');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/i, 'no external resource');
  assert.ok(html.includes(NAME), `the report names the scaler ${NAME}`);
});

test('stderr holds one JSON log line per floor change, matching the decisions', () => {
  const lines = linesOf(first.stderr);
  assert.ok(lines.length > 0);
  const logs = lines.map((l) => {
    let obj: Record<string, unknown>;
    assert.doesNotThrow(() => (obj = JSON.parse(l) as Record<string, unknown>), `not JSON: ${l}`);
    return obj!;
  });
  for (const o of logs) {
    assert.equal(typeof o.floor, 'number', JSON.stringify(o));
    assert.ok((o.floor as number) >= MIN && (o.floor as number) <= MAX, JSON.stringify(o));
    assert.equal(typeof o.at, 'string', JSON.stringify(o));
  }
  // The floor changes in the CSV are exactly the logged decisions (the first tick is always logged).
  const changes = decisions.rows.filter((r, i) => i === 0 || r[3] !== decisions.rows[i - 1]![3]).map((r) => ({ at: r[0], floor: Number(r[3]) }));
  assert.deepEqual(logs.map((o) => ({ at: o.at, floor: o.floor })), changes);
});

test('--log-level debug logs every decision, one JSON line per tick (help: "debug every decision")', async () => {
  const from = '2004-11-29T06:30:00Z';
  const r = await runCli(['dry-run', '-f', SCALER, '--input', INPUT, '--from', from, '--to', TO, '--log-level', 'debug', '--decisions', tmp.file('debug.csv')]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const ticks = parseCsv(readFileSync(tmp.file('debug.csv'), 'utf8')).rows.map((row) => row[0]);
  assert.equal(ticks.length, 180);
  const logged = linesOf(r.stderr).map((l) => JSON.parse(l) as { at?: string; floor?: unknown }).filter((o) => typeof o.floor === 'number');
  assert.deepEqual([...new Set(logged.map((o) => o.at))], ticks, `${logged.length} decision lines logged for ${ticks.length} ticks`);
});

test('a capacity the load never fills: the replay runs, with one warning log line naming the input and the field', async () => {
  const idle = tmp.file('idle.yaml');
  writeFileSync(idle, spec.replace(/^(\s+perReplica:\s*)\S+/m, (_line, lead: string) => `${lead}10000000`));
  const r = await runCli(['dry-run', '-f', idle, '--input', INPUT, '--from', '2004-11-29T06:30:00Z', '--to', TO, '--decisions', tmp.file('idle.csv')]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const warnings = linesOf(r.stderr)
    .map((l) => JSON.parse(l) as { level?: number; msg?: string })
    .filter((o) => o.level === 40);
  assert.equal(warnings.length, 1, r.stderr.slice(-2000));
  assert.ok(warnings[0]!.msg!.startsWith(`${INPUT}: warning: `), warnings[0]!.msg);
  assert.match(warnings[0]!.msg!, /capacity\.perReplica 10000000 /);
  // The bundled scaler's replay above has no such warning.
  assert.ok(!first.stderr.includes('"level":40'), first.stderr.slice(-2000));
});

test('the confidence gate: a limit the forecasts miss gives the floor back (ForecastInaccurate at minReplicas) and the summary says when; the bundled scaler is never gated', async () => {
  const strict = tmp.file('strict.yaml');
  writeFileSync(strict, spec.replace(/^(\s+)minReplicas:/m, (_line, lead: string) => `${lead}safety:\n${lead}  maxForecastError: 0.05\n${lead}minReplicas:`));
  const r = await runCli(['dry-run', '-f', strict, '--input', INPUT, '--from', FROM, '--to', TO, '--decisions', tmp.file('strict.csv')]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const m = /gate +closed (\d+) of (\d+) ticks \([\d.]+ %\) in (\d+) intervals? \(ForecastInaccurate: the floor given back\): (\S+)\.\.(\S+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[2]), TICKS);
  const rows = parseCsv(readFileSync(tmp.file('strict.csv'), 'utf8'));
  const reason = rows.header.indexOf('reason');
  const gated = rows.rows.filter((row) => row[reason] === 'ForecastInaccurate');
  assert.equal(gated.length, Number(m[1]));
  assert.ok(gated.every((row) => Number(row[3]) === MIN), 'gated ticks have the floor at minReplicas');
  // Not before six hours of forecasts are measured; the first gated tick is the interval's start.
  assert.ok(timestampMs(gated[0]![0]!) >= Date.parse(FROM) + 6 * 60 * MINUTE_MS);
  assert.equal(gated[0]![0], m[4]);
  assert.match(first.stdout, /gate +never closed/);
});

describe('usage errors exit 2 with one line', { concurrency: 4 }, () => {
  const cases: Array<{ name: string; args: () => string[]; names: RegExp }> = [
    { name: 'neither --input nor --prometheus', args: () => ['-f', SCALER], names: /--input.*--prometheus/ },
    { name: 'both --input and --prometheus', args: () => ['-f', SCALER, '--input', INPUT, '--prometheus', 'http://127.0.0.1:9'], names: /exactly one of --input FILE or --prometheus URL/ },
    { name: '--to before --from', args: () => ['-f', SCALER, '--input', INPUT, '--from', TO, '--to', FROM], names: /--to .* must be after --from/ },
    { name: '--to equal to --from', args: () => ['-f', SCALER, '--input', INPUT, '--from', FROM, '--to', FROM], names: /--to .* must be after --from/ },
    { name: 'a --from that is not a timestamp', args: () => ['-f', SCALER, '--input', INPUT, '--from', 'yesterday'], names: /--from: "yesterday" is not a timestamp/ },
    { name: 'a range after the recording', args: () => ['-f', SCALER, '--input', INPUT, '--from', '2030-01-01T00:00:00Z', '--to', '2030-01-02T00:00:00Z'], names: /is outside the recording/ },
    { name: 'an unknown --log-level', args: () => ['-f', SCALER, '--input', INPUT, '--log-level', 'verbose'], names: /--log-level.*'verbose' is invalid/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await runCli(['dry-run', ...c.args(), '--decisions', tmp.file(`${c.name}.csv`)]);
      assert.equal(r.code, 2, `exit ${r.code}; stderr:\n${r.stderr}`);
      assert.equal(r.stdout, '');
      const err = linesOf(r.stderr);
      assert.equal(err.length, 1, r.stderr);
      assert.ok(err[0]!.startsWith('prescale: error: '), err[0]);
      assert.match(err[0]!, c.names);
      assert.throws(() => readFileSync(tmp.file(`${c.name}.csv`)), /ENOENT/, 'no decisions file on an error');
    });
  }
});

test('a recording with epoch-millisecond timestamps: exit 2 at once, naming line 2 and the likely cause', async () => {
  const dir = tempDir('ms');
  try {
    const rows = fixtureRows('uk_academic_net_5min.csv').slice(0, 3000).map((r) => {
      const [t, v] = r.split(',');
      return `${Date.parse(t!)},${v}`;
    });
    const input = writeSeries(dir.file('ms.csv'), rows);
    const r = await runCli(['dry-run', '-f', 'manifests/samples/default.yaml', '--input', input], { timeoutMs: 30_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ms\.csv:2: timestamp "\d{13}" is in the year \d+, not a time a load was measured \(epoch milliseconds\?/);
  } finally {
    dir.remove();
  }
});

test('a file of several scalers: dry-run asks for --name, and runs the one named', async () => {
  const dir = tempDir('multi');
  try {
    const one = readFileSync(join(ROOT, 'manifests/samples/default.yaml'), 'utf8');
    const file = dir.file('two.yaml');
    writeFileSync(file, `${one}\n---\n${one.replace(/^(\s+name:\s*)default\s*$/m, '$1second')}`);
    const args = ['dry-run', '-f', file, '--input', 'fixtures/traces/uk_academic_net_5min.csv', '--from', '2005-01-26T00:00:00Z'];
    const both = await runCli(args);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /holds 2 PredictiveScaler documents: default \(line \d+\), second \(line \d+\); choose one by name \(--name\)/);
    const named = await runCli([...args, '--name', 'second'], { timeoutMs: 120_000 });
    assert.equal(named.code, 0, named.stderr);
    assert.match(named.stdout, /^prescale dry-run: demo\/second /);
  } finally {
    dir.remove();
  }
});

test('an output that cannot be written, or --from past the recording, fails at once with a message about it', async () => {
  const base = ['dry-run', '-f', 'manifests/samples/default.yaml', '--input', 'fixtures/traces/uk_academic_net_5min.csv'];
  const out = await runCli([...base, '--decisions', '/no/such/dir/d.csv', '--report', 'fixtures']);
  assert.equal(out.code, 2, out.stderr);
  assert.deepEqual(linesOf(out.stderr), [
    'prescale: error: --decisions /no/such/dir/d.csv: cannot be written (no folder /no/such/dir)',
    'prescale: error: --report fixtures: cannot be written (it is a folder)',
  ]);
  const late = await runCli([...base, '--from', '2006-01-01T00:00:00Z']);
  assert.equal(late.code, 2, late.stderr);
  assert.match(late.stderr, /^prescale: error: --from: 2006-01-01T00:00:00Z is at or after the end of the recording \(2005-\d\d-\d\dT[\d:]+Z\)$/m);
  assert.doesNotMatch(late.stderr, /--to/);
});
