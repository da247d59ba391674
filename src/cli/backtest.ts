/**
 * `prescale backtest -f SCALER.yaml --input FILE... [--from TS] [--to TS] [--json FILE]
 * [--report FILE.html]`: for each input, forecast accuracy per model (rolling origin, up to the
 * end of the range) and the scaling outcome of each policy (predictive floor + HPA, HPA alone,
 * same time last week, oracle), scored over [--from, --to): by default from day 8 (the first week
 * is warm-up history) to the end. The work is estimated before any of it: a default range that
 * would take more than a few minutes is refused with a range to try; a long replay reports its
 * progress every few seconds.
 */
import { basename } from 'node:path';
import { systemClock } from '../core/clock.js';
import { DAY_MS, formatDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { type Series, sliceByTime } from '../core/series.js';
import { formatTimestamp, requireTimestampMs } from '../core/time.js';
import { loadScalerFile } from '../config/load.js';
import { readLeadTimes } from './lead-times.js';
import { type AccuracyScore, rollingOrigins, scoreModel } from '../backtest/accuracy.js';
import { type PolicyRow, oracleRow } from '../backtest/oracle.js';
import { PERFECT_FORESIGHT, runPolicies } from '../backtest/policies.js';
import { policyLabel, renderReport, type TraceReport } from '../backtest/report.js';
import { settingsOf, traceReport } from '../backtest/report-data.js';
import { type GatedInterval, describeGated } from '../backtest/replay.js';
import { MODEL_NAMES } from '../forecast/registry.js';
import { capacityWarning } from '../plan/capacity.js';
import { peekSeriesSpan, readSeriesFile } from '../metrics/file-source.js';
import { RecordedSource } from '../metrics/recorded-source.js';
import type { MetricSource } from '../metrics/source.js';
import type { ReplayRange } from '../backtest/replay.js';
import { checkOutputs, writeOutput } from './output.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, Progress } from './progress.js';
import { BACKTEST_ACCURACY_S, REFUSE_OVER_S, describeWork, estimateReplay, formatSeconds } from './work-estimate.js';

/** Scaling is scored from day 8: the first week is the loop's warm-up history. */
export const WARM_UP_MS = 7 * DAY_MS;
const ACCURACY_ORIGINS = 7;

export interface BacktestCommand {
  file: string;
  /** Which PredictiveScaler of the file (required when it holds several). */
  name?: string;
  inputs: string[];
  /** The scored range (default: from a week into each input to its end). */
  from?: string;
  to?: string;
  json?: string;
  report?: string;
  /** Wall time between progress lines of a long replay, ms (default 5 s). */
  progressIntervalMs?: number;
  /** plan.leadTime auto: recorded start-ups (CSV timestamp,seconds) or a fixed duration (cli/lead-times.ts). */
  leadTimes?: string;
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
  const leadTime = await readLeadTimes(cmd.leadTimes, scaler);
  const asked = { fromMs: cmd.from === undefined ? undefined : requireTimestampMs(cmd.from, '--from'), toMs: cmd.to === undefined ? undefined : requireTimestampMs(cmd.to, '--to') };
  if (asked.fromMs !== undefined && asked.toMs !== undefined && !(asked.toMs > asked.fromMs)) {
    throw invalidInput(`--to (${formatTimestamp(asked.toMs)}) must be after --from (${formatTimestamp(asked.fromMs)})`);
  }
  const explicit = cmd.from !== undefined || cmd.to !== undefined;
  // A default range too long to replay is refused from the files' ends, before reading them.
  if (!explicit) {
    const spans = await Promise.all(cmd.inputs.map(async (input) => ({ input, span: await peekSeriesSpan(input) })));
    const ranges = spans.flatMap(({ input, span }) => (span ? [{ input, range: { fromMs: span.firstMs + WARM_UP_MS, toMs: span.lastMs + span.stepMs } }] : []));
    checkWork(scaler.spec, ranges, cmd.inputs.length, explicit, err);
  }
  // Every input read and its range chosen first, so that the whole work is estimated before any of it.
  const inputs: Array<{ input: string; load: Series; range: ReplayRange }> = [];
  for (const input of cmd.inputs) inputs.push({ input, ...(await openInput(input, scaler.spec.metric.historyMs, asked, err)) });
  const work = checkWork(scaler.spec, inputs, cmd.inputs.length, explicit, err);

  // Per input: auto and every model, then the replay, then the scoring.
  const bar = new StepBar(err, cmd.inputs.length * (MODEL_NAMES.length + 3));
  const tty = (err as NodeJS.WriteStream).isTTY === true;
  const results: BacktestResult[] = [];
  const traces: TraceReport[] = [];
  for (const { input, load, range } of inputs) {
    const idle = capacityWarning(load.values, scaler.spec.capacity.perReplica, scaler.spec.minReplicas);
    if (idle) err.write(`prescale: ${input}: ${idle}\n`);

    const origins = rollingOrigins(load, ACCURACY_ORIGINS, Math.round(scaler.spec.metric.historyMs / DAY_MS));
    const accuracy: AccuracyScore[] = [];
    for (const model of ['auto', ...MODEL_NAMES]) {
      bar.tick(`${basename(input)}: accuracy of ${model}`);
      accuracy.push(scoreModel(model, origins, scaler.spec.forecast.quantile));
    }
    bar.tick(`${basename(input)}: replaying the policies`);
    const progress = new Progress({
      label: `${basename(input)}: replay`,
      ...range,
      intervalMs: cmd.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
      estimatedS: work.get(input) ?? 0,
      now: () => performance.now(),
      report: (p) => (tty ? bar.show(p.text) : err.write(`prescale: ${p.text}\n`)),
    });
    const run = await runPolicies(scaler, readingProgress(new RecordedSource(load, input), (atMs) => progress.at(atMs)), load, range, leadTime);
    bar.tick(`${basename(input)}: scoring`);
    const scaling: PolicyRow[] = run.policies.map((p) => ({ policy: p.name, ...p.score }));
    scaling.push(oracleRow(run.policies[0]!, scaler));
    results.push({ input, accuracy, scaling, gated: run.predictive.gated, ticks: run.predictive.rows.length });
    traces.push(traceReport(basename(input), scaler, load, run.predictive, run.policies, accuracy.map((a) => ({ model: a.method, mase: a.mase, smape: a.smape, coverage: a.coverage }))));
  }
  bar.done();

  out.write(formatResults(results, scaler.spec.forecast.quantile));
  if (cmd.json) {
    await writeOutput(cmd.json, JSON.stringify({ scaler: `${scaler.namespace}/${scaler.name}`, results }, null, 2) + '\n');
    out.write(`figures written to ${cmd.json}\n`);
  }
  if (cmd.report) {
    const range = { fromMs: Math.min(...inputs.map((i) => i.range.fromMs)), toMs: Math.max(...inputs.map((i) => i.range.toMs)) };
    await writeOutput(
      cmd.report,
      renderReport({ title: `prescale backtest: ${scaler.namespace}/${scaler.name}`, scaler: `${scaler.namespace}/${scaler.name}`, generatedAtMs: systemClock.now(), settings: settingsOf(scaler, range), traces }),
    );
    out.write(`report written to ${cmd.report}\n`);
  }
  return results;
}

/**
 * Reads an input and chooses its scored range: [--from, --to), by default from a week into the
 * recording to its end. The load kept holds the history the loop reads before the range (a week,
 * or `metric.history` when longer) and stops at the range's end.
 */
async function openInput(input: string, historyMs: number, asked: { fromMs?: number; toMs?: number }, err: NodeJS.WritableStream): Promise<{ load: Series; range: ReplayRange }> {
  const whole = await readSeriesFile(input, { onWarning: (line) => err.write(`prescale: ${line}\n`) });
  const startMs = whole.startMs;
  const endMs = startMs + whole.values.length * whole.stepMs;
  if (asked.fromMs === undefined && asked.toMs === undefined && endMs - startMs <= WARM_UP_MS + DAY_MS) {
    throw invalidInput(`${input}: a backtest needs more than 8 days of data (7 days of warm-up, then scoring)`);
  }
  const fromMs = asked.fromMs ?? startMs + WARM_UP_MS;
  const toMs = Math.min(asked.toMs ?? endMs, endMs);
  if (fromMs < startMs + WARM_UP_MS) {
    throw invalidInput(`--from: ${formatTimestamp(fromMs)} leaves less than 7 days of warm-up in ${input}, which starts ${formatTimestamp(startMs)}; start at ${formatTimestamp(startMs + WARM_UP_MS)} or later`);
  }
  if (toMs - fromMs < DAY_MS) {
    throw invalidInput(`--from/--to: ${formatTimestamp(fromMs)} .. ${formatTimestamp(toMs)} leaves ${formatDuration(Math.max(0, toMs - fromMs))} of ${input} (${formatTimestamp(startMs)} .. ${formatTimestamp(endMs)}) to score; a backtest scores at least a day`);
  }
  return { load: sliceByTime(whole, fromMs - Math.max(WARM_UP_MS, historyMs), toMs), range: { fromMs, toMs } };
}

/**
 * The estimated seconds of each input's backtest; a default range whose total is over
 * REFUSE_OVER_S is refused (naming the longest input and a range to try), an asked-for one is
 * announced on stderr.
 */
function checkWork(spec: Parameters<typeof estimateReplay>[0], inputs: ReadonlyArray<{ input: string; range: ReplayRange }>, count: number, explicit: boolean, err: NodeJS.WritableStream): Map<string, number> {
  const seconds = new Map(inputs.map(({ input, range }) => [input, BACKTEST_ACCURACY_S + estimateReplay(spec, range.fromMs, range.toMs).seconds]));
  const total = [...seconds.values()].reduce((a, b) => a + b, 0);
  if (total <= REFUSE_OVER_S || inputs.length === 0) return seconds;
  const longest = inputs.reduce((a, b) => (seconds.get(b.input)! > seconds.get(a.input)! ? b : a));
  const { fromMs, toMs } = longest.range;
  const span = `${formatTimestamp(fromMs)} .. ${formatTimestamp(toMs)}, ${describeWork(fromMs, toMs, estimateReplay(spec, fromMs, toMs))}`;
  const what = count > 1 ? `backtesting ${count} recordings (the longest, ${longest.input}: ${span})` : `${longest.input}: backtesting the whole recording (${span})`;
  if (!explicit) {
    const lastMonth = formatTimestamp(Math.max(fromMs, toMs - 30 * DAY_MS));
    throw invalidInput(`${what} would take ${formatSeconds(total)}; choose the range with --from/--to (--from ${lastMonth} scores the last 30 days), or give --from ${formatTimestamp(fromMs)} to score all of it`);
  }
  err.write(`prescale: ${what} will take ${formatSeconds(total)}\n`);
  return seconds;
}

/** `source`, telling `onRead` the end of each range the replay reads (the simulated time reached). */
function readingProgress(source: MetricSource, onRead: (toMs: number) => void): MetricSource {
  return {
    description: source.description,
    fetchRange: (fromMs, toMs, stepMs, signal) => {
      onRead(toMs);
      return source.fetchRange(fromMs, toMs, stepMs, signal);
    },
  };
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
class StepBar {
  private n = 0;
  private readonly tty: boolean;
  constructor(private readonly stream: NodeJS.WritableStream, private readonly total: number) {
    this.tty = (stream as NodeJS.WriteStream).isTTY === true;
  }
  tick(label: string): void {
    this.n++;
    this.show(label);
  }
  /** Redraws the bar with a new label (no step taken). */
  show(label: string): void {
    if (!this.tty) return;
    const width = 24;
    const filled = Math.min(width, Math.round((this.n / this.total) * width));
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.n}/${this.total} ${label.slice(0, 60).padEnd(60)}`);
  }
  done(): void {
    if (this.tty) this.stream.write('\r' + ' '.repeat(100) + '\r');
  }
}
