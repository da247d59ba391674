/**
 * `prescale backtest` as a user runs it: the benchmark scaler (manifests/samples/backtest-5m.yaml,
 * sized so about 20 replicas serve the input's 95th-percentile load) on a 10-day slice of the UK
 * academic trace. Every model and policy in the table, the JSON figures, and the 8-day minimum.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, DAY_MS, MINUTE_MS, ROOT, fixtureRows, linesOf, quantile, runCli, scalerName, tempDir, writeSeries } from './run-cli.js';

const MODELS = ['auto', 'seasonal-naive-day', 'seasonal-naive-week', 'holt-winters', 'fft', 'regression', 'decomposition', 'mstl'];
const POLICIES = ['predictive', 'hpa', 'last-week', 'perfect-foresight', 'oracle'];
/** The figures of each policy's row in --json (ScalingScore in src/backtest/score.ts). */
const SCALING_FIGURES = ['shortfallReplicaMinutes', 'demandReplicaMinutes', 'shortfallPct', 'underMinutes', 'costReplicaHours', 'oracleReplicaHours', 'costVsOracle', 'scalingEvents', 'minutes', 'missingTicks'];

// Ten days at 5 minutes: a week of warm-up, then three scored days.
const slice = fixtureRows('uk_academic_net_5min.csv').slice(0, 10 * 288);
const times = slice.map((r) => Date.parse(r.split(',')[0]!));
const values = slice.map((r) => Number(r.split(',')[1]));
const STEP_MS = 5 * MINUTE_MS;
const PER_REPLICA = Math.ceil(quantile(values, 0.95) / 20); // ceil(p95 / perReplica) = 20

const sample = readFileSync(join(ROOT, 'manifests/samples/backtest-5m.yaml'), 'utf8');
const MIN = Number(/^\s+minReplicas:\s*(\d+)/m.exec(sample)![1]);
const MAX = Number(/^\s+maxReplicas:\s*(\d+)/m.exec(sample)![1]);

const tmp = tempDir('backtest');
after(() => tmp.remove());
const INPUT = writeSeries(tmp.file('uk-10d.csv'), slice);
const SCALER = tmp.file('backtest.yaml');
writeFileSync(SCALER, sample.replace(/^(\s+perReplica:\s*)\S+/m, `$1${PER_REPLICA}`));

// The same sample with a capacity far above the load (the sample's own perReplica, 1, against a
// load in the thousands would be the opposite mistake): every policy sits at minReplicas.
const IDLE_SCALER = tmp.file('idle.yaml');
writeFileSync(IDLE_SCALER, sample.replace(/^(\s+perReplica:\s*)\S+/m, `$1${100 * Math.max(...values)}`));

let run: CliResult;
let tooShort: CliResult;
let idle: CliResult;

before(async () => {
  const short = writeSeries(tmp.file('uk-7.5d.csv'), slice.slice(0, Math.round(7.5 * 288)));
  [run, tooShort, idle] = await Promise.all([
    runCli(['backtest', '-f', SCALER, '--input', INPUT, '--json', tmp.file('backtest.json'), '--report', tmp.file('backtest.html')], { timeoutMs: 120_000 }),
    runCli(['backtest', '-f', SCALER, '--input', short, '--json', tmp.file('short.json')]),
    runCli(['backtest', '-f', IDLE_SCALER, '--input', INPUT], { timeoutMs: 120_000 }),
  ]);
});

test('the scaler copy is sized for ~20 replicas at the p95 load and is the only change to the sample', () => {
  assert.ok(PER_REPLICA > 1, `perReplica ${PER_REPLICA}`);
  const copy = readFileSync(SCALER, 'utf8');
  assert.match(copy, new RegExp(`^\\s+perReplica:\\s*${PER_REPLICA}\\b`, 'm'));
  assert.equal(copy.split('\n').length, sample.split('\n').length);
  assert.equal(Math.ceil(quantile(values, 0.95) / PER_REPLICA), 20);
});

test('exit 0 and stdout lists every model and every policy', () => {
  assert.equal(run.code, 0, `exit ${run.code}; stderr:\n${run.stderr}`);
  const lines = linesOf(run.stdout);
  assert.equal(lines[0], INPUT, 'the table starts with the input it scores');
  const rowNames = lines.map((l) => /^\s+(\S+)\s/.exec(l)?.[1]);
  for (const name of [...MODELS, ...POLICIES]) assert.ok(rowNames.includes(name), `no row for ${name} in:\n${run.stdout}`);
  // A scaling row: name, then shortfall rm, shortfall %, under-minutes, replica-hours, vs-oracle.
  for (const policy of POLICIES) {
    const label = policy === 'hpa' ? 'hpa alone' : policy;
    const row = lines.find((l) => l.trim().startsWith(`${label} `))!;
    const cells = row.trim().slice(label.length).trim().split(/\s+/).slice(0, 5);
    assert.equal(cells.length, 5, row);
    for (const c of cells) assert.ok(Number.isFinite(Number(c)), `${JSON.stringify(c)} in ${JSON.stringify(row)}`);
  }
  // Whether, and when, the predictive policy's confidence gate would have given the floor back: on
  // this input, never (the form of a closed gate is checked in dry-run.test.ts, which closes one).
  const gate = lines.find((l) => l.trim().startsWith('confidence gate (spec.safety.maxForecastError)'));
  assert.ok(lines.includes(`report written to ${tmp.file('backtest.html')}`) && lines.includes(`figures written to ${tmp.file('backtest.json')}`), run.stdout.slice(-400));
  assert.ok(lines.some((l) => /^\s+hpa alone\s/.test(l)) && lines.some((l) => l.includes('under-capacity min')), 'the labels the dry-run summary uses');
  assert.match(gate ?? '', /^\s+confidence gate \(spec\.safety\.maxForecastError\) +never closed$/);
});

interface ScalingEntry {
  policy: string;
  [figure: string]: unknown;
}

function json(): { scaler: string; results: Array<{ input: string; accuracy: Array<{ method: string }>; scaling: ScalingEntry[]; gated: Array<{ fromMs: number; toMs: number; ticks: number }>; ticks: number }> } {
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(readFileSync(tmp.file('backtest.json'), 'utf8'));
}

test('--json: every model scored and the scaling policies with finite figures', () => {
  const j = json();
  assert.equal(j.scaler, scalerName(sample));
  assert.equal(j.results.length, 1);
  const r = j.results[0]!;
  assert.equal(r.input, INPUT);
  assert.deepEqual(r.accuracy.map((a) => a.method).sort(), [...MODELS].sort());
  assert.ok(Array.isArray(r.gated) && r.ticks > 0, 'the gate\'s closed intervals and the ticks replayed');
  // One row per policy, in the table's order, the oracle last as a row of its own.
  assert.deepEqual(r.scaling.map((s) => s.policy), POLICIES);
  for (const s of r.scaling) {
    assert.deepEqual(Object.keys(s).sort(), ['policy', ...SCALING_FIGURES].sort(), s.policy);
    for (const k of SCALING_FIGURES) assert.ok(typeof s[k] === 'number' && Number.isFinite(s[k]), `${s.policy}.${k} = ${JSON.stringify(s[k])}`);
  }
  // Every policy is compared with the same oracle, whose own row costs exactly that and is never short.
  const oracle = r.scaling.at(-1)!;
  for (const s of r.scaling) assert.equal(s.oracleReplicaHours, oracle.oracleReplicaHours, `${s.policy}.oracleReplicaHours`);
  assert.equal(oracle.costReplicaHours, oracle.oracleReplicaHours);
  assert.equal(oracle.costVsOracle, 1);
  assert.deepEqual([oracle.shortfallReplicaMinutes, oracle.shortfallPct, oracle.underMinutes], [0, 0, 0]);
});

test('--json: the figures agree with the input (scored from day 8, oracle = ceil(load / perReplica))', () => {
  const r = json().results[0]!;
  // Independent computation from the CSV over [start + 7 days, end).
  const fromMs = times[0]! + 7 * DAY_MS;
  let oracleHours = 0;
  let demandMinutes = 0;
  let minutes = 0;
  values.forEach((v, i) => {
    if (times[i]! < fromMs) return;
    const stepMin = STEP_MS / MINUTE_MS;
    oracleHours += (Math.min(MAX, Math.max(MIN, Math.ceil(v / PER_REPLICA))) * stepMin) / 60;
    demandMinutes += (v / PER_REPLICA) * stepMin;
    minutes += stepMin;
  });
  assert.equal(minutes, 3 * 24 * 60);
  const close = (a: unknown, b: number, what: string) => assert.ok(typeof a === 'number' && Math.abs(a - b) <= 0.005 * b, `${what}: ${a}, expected ${b}`);
  for (const s of r.scaling) {
    if (s.policy === 'oracle') continue;
    assert.equal(s.minutes, minutes, `${s.policy}.minutes`);
    close(s.oracleReplicaHours, oracleHours, `${s.policy}.oracleReplicaHours`);
    close(s.demandReplicaMinutes, demandMinutes, `${s.policy}.demandReplicaMinutes`);
    const cost = s.costReplicaHours as number;
    assert.ok(cost >= (MIN * minutes) / 60 && cost <= (MAX * minutes) / 60, `${s.policy}.costReplicaHours ${cost}`);
    close(s.costVsOracle, cost / oracleHours, `${s.policy}.costVsOracle`);
    const pct = s.shortfallPct as number;
    assert.ok(pct >= 0 && pct <= 100, `${s.policy}.shortfallPct ${pct}`);
    close(pct, (100 * (s.shortfallReplicaMinutes as number)) / demandMinutes, `${s.policy}.shortfallPct vs shortfallReplicaMinutes`);
    assert.ok((s.underMinutes as number) >= 0 && (s.underMinutes as number) <= minutes, `${s.policy}.underMinutes`);
  }
});

test('--report writes a self-contained HTML file', () => {
  assert.equal(run.code, 0, run.stderr);
  const html = readFileSync(tmp.file('backtest.html'), 'utf8');
  assert.match(html, /^<!doctype html>/i);
  assert.ok(html.includes('<svg'));
  assert.ok(!html.includes('http://') && !html.includes('https://'));
  for (const p of ['predictive', 'hpa', 'last-week']) assert.ok(html.includes(p), `the report shows ${p}`);
});

test('an input shorter than 8 days exits 2 with one line naming the file, and writes no JSON', () => {
  assert.equal(tooShort.code, 2, `exit ${tooShort.code}; stderr:\n${tooShort.stderr}`);
  assert.equal(tooShort.stdout, '');
  const err = linesOf(tooShort.stderr);
  assert.equal(err.length, 1, tooShort.stderr);
  assert.ok(err[0]!.startsWith(`prescale: error: ${tmp.file('uk-7.5d.csv')}: `), err[0]);
  assert.match(err[0]!, /8 days/);
  assert.throws(() => readFileSync(tmp.file('short.json')), /ENOENT/);
});

test('a capacity the load never fills: still exit 0, with a one-line warning naming the input and the field', () => {
  assert.equal(idle.code, 0, `exit ${idle.code}; stderr:\n${idle.stderr}`);
  const warnings = linesOf(idle.stderr).filter((l) => l.includes('warning:'));
  assert.equal(warnings.length, 1, idle.stderr);
  assert.match(warnings[0]!, new RegExp(`^prescale: ${INPUT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: warning: .*capacity\\.perReplica`));
  // Sized for ~20 replicas at the p95 load, the regular run has no such warning.
  assert.ok(!run.stderr.includes('warning:'), run.stderr);
});
