/**
 * `prescale backtest -f SCALER.yaml --input FILE... [--json FILE] [--report FILE.html]`:
 * for each input, forecast accuracy per model (rolling origin) and the scaling outcome of each
 * policy (predictive floor + HPA, HPA alone, same time last week, oracle), scored from day 8.
 */
import { basename } from 'node:path';
import { systemClock } from '../core/clock.js';
import { DAY_MS } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { loadScalerFile } from '../config/load.js';
import { type AccuracyScore, rollingOrigins, scoreModel } from '../backtest/accuracy.js';
import { type PolicyRow, oracleRow } from '../backtest/oracle.js';
import { PERFECT_FORESIGHT, runPolicies } from '../backtest/policies.js';
import { policyLabel, renderReport, type TraceReport } from '../backtest/report.js';
import { settingsOf, traceReport } from '../backtest/report-data.js';
import { type GatedInterval, describeGated } from '../backtest/replay.js';
import { MODEL_NAMES } from '../forecast/registry.js';
import { capacityWarning } from '../plan/capacity.js';
import { readSeriesFile } from '../metrics/file-source.js';
import { RecordedSource } from '../metrics/recorded-source.js';
import { checkOutputs, writeOutput } from './output.js';

/** Scaling is scored from day 8: the first week is the loop's warm-up history. */
export const WARM_UP_MS = 7 * DAY_MS;
const ACCURACY_ORIGINS = 7;

export interface BacktestCommand {
  file: string;
  /** Which PredictiveScaler of the file (required when it holds several). */
  name?: string;
  inputs: string[];
  json?: string;
  report?: string;
}

export interface BacktestResult {
  input: string;
  accuracy: AccuracyScore[];
  scaling: PolicyRow[];
  /** When the predictive policy's confidence gate was closed (the floor given back). */
  gated: readonly GatedInterval[];
  /** Ticks replayed, for the share gated. */
  ticks: number;
}

export async function runBacktest(cmd: BacktestCommand, out: NodeJS.WritableStream, err: NodeJS.WriteStream | NodeJS.WritableStream): Promise<BacktestResult[]> {
  if (cmd.inputs.length === 0) throw invalidInput('--input: give at least one recorded series');
  await checkOutputs([['--json', cmd.json], ['--report', cmd.report]]);
  const scaler = await loadScalerFile(cmd.file, { ...(cmd.name === undefined ? {} : { name: cmd.name }), onWarning: (line) => err.write(`prescale: ${line}\n`) });
  // Per input: auto and every model, then the replay, then the scoring.
  const progress = new Progress(err, cmd.inputs.length * (MODEL_NAMES.length + 3));
  const results: BacktestResult[] = [];
  const traces: TraceReport[] = [];
  for (const input of cmd.inputs) {
    const load = await readSeriesFile(input, { onWarning: (line) => err.write(`prescale: ${line}\n`) });
    const endMs = load.startMs + load.values.length * load.stepMs;
    if (endMs - load.startMs <= WARM_UP_MS + DAY_MS) throw invalidInput(`${input}: a backtest needs more than 8 days of data (7 days of warm-up, then scoring)`);
    const range = { fromMs: load.startMs + WARM_UP_MS, toMs: endMs };
    const idle = capacityWarning(load.values, scaler.spec.capacity.perReplica, scaler.spec.minReplicas);
    if (idle) err.write(`prescale: ${input}: ${idle}\n`);

    const origins = rollingOrigins(load, ACCURACY_ORIGINS, Math.round(scaler.spec.metric.historyMs / DAY_MS));
    const accuracy: AccuracyScore[] = [];
    for (const model of ['auto', ...MODEL_NAMES]) {
      progress.tick(`${basename(input)}: accuracy of ${model}`);
      accuracy.push(scoreModel(model, origins, scaler.spec.forecast.quantile));
    }
    progress.tick(`${basename(input)}: replaying the policies`);
    const run = await runPolicies(scaler, new RecordedSource(load, input), load, range);
    progress.tick(`${basename(input)}: scoring`);
    const scaling: PolicyRow[] = run.policies.map((p) => ({ policy: p.name, ...p.score }));
    scaling.push(oracleRow(run.policies[0]!, scaler));
    results.push({ input, accuracy, scaling, gated: run.predictive.gated, ticks: run.predictive.rows.length });
    traces.push(traceReport(basename(input), scaler, load, run.predictive, run.policies, accuracy.map((a) => ({ model: a.method, mase: a.mase, smape: a.smape, coverage: a.coverage }))));
  }
  progress.done();

  out.write(formatResults(results, scaler.spec.forecast.quantile));
  if (cmd.json) {
    await writeOutput(cmd.json, JSON.stringify({ scaler: `${scaler.namespace}/${scaler.name}`, results }, null, 2) + '\n');
    out.write(`figures written to ${cmd.json}\n`);
  }
  if (cmd.report) {
    const range = { fromMs: Math.min(...traces.map((t) => t.load.startMs)) + WARM_UP_MS, toMs: Math.max(...traces.map((t) => t.load.startMs + t.load.values.length * t.load.stepMs)) };
    await writeOutput(
      cmd.report,
      renderReport({ title: `prescale backtest: ${scaler.namespace}/${scaler.name}`, scaler: `${scaler.namespace}/${scaler.name}`, generatedAtMs: systemClock.now(), settings: settingsOf(scaler, range), traces }),
    );
    out.write(`report written to ${cmd.report}\n`);
  }
  return results;
}

function formatResults(results: BacktestResult[], quantile: number): string {
  const lines: string[] = [];
  const f = (v: number | null, d: number) => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(d));
  for (const r of results) {
    lines.push(`${r.input}`, `  forecast accuracy (rolling origin, 1 day ahead)   MASE   sMAPE%  p${Math.round(quantile * 100)} coverage`);
    for (const a of r.accuracy) lines.push(`    ${a.method.padEnd(44)} ${f(a.mase, 3).padStart(6)} ${f(a.smape, 1).padStart(7)} ${f(a.coverage, 3).padStart(12)}`);
    // Cost against the perfect-foresight floor: what a perfect forecast costs with the pods' lead time.
    const perfect = r.scaling.find((s) => s.policy === PERFECT_FORESIGHT)?.costReplicaHours;
    lines.push(`  scaling (from day 8)   shortfall rm   shortfall%   under-capacity min   replica-hours   vs oracle   vs perfect   scaling events`);
    for (const s of r.scaling) {
      const vsPerfect = perfect ? s.costReplicaHours / perfect : NaN;
      lines.push(`    ${policyLabel(s.policy).padEnd(18)} ${f(s.shortfallReplicaMinutes, 0).padStart(14)} ${f(s.shortfallPct, 3).padStart(12)} ${f(s.underMinutes, 0).padStart(20)} ${f(s.costReplicaHours, 0).padStart(15)} ${f(s.costVsOracle, 3).padStart(11)} ${f(vsPerfect, 3).padStart(12)} ${String(s.scalingEvents).padStart(16)}`);
    }
    lines.push(`  confidence gate (spec.safety.maxForecastError)   ${describeGated(r.gated, r.ticks)}`, '');
  }
  return lines.join('\n');
}

/** A one-line progress bar on stderr, only when it is a terminal. */
class Progress {
  private n = 0;
  private readonly tty: boolean;
  constructor(private readonly stream: NodeJS.WritableStream, private readonly total: number) {
    this.tty = (stream as NodeJS.WriteStream).isTTY === true;
  }
  tick(label: string): void {
    this.n++;
    if (!this.tty) return;
    const width = 24;
    const filled = Math.min(width, Math.round((this.n / this.total) * width));
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.n}/${this.total} ${label.slice(0, 60).padEnd(60)}`);
  }
  done(): void {
    if (this.tty) this.stream.write('\r' + ' '.repeat(100) + '\r');
  }
}
