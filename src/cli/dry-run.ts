/**
 * `prescale dry-run -f SCALER.yaml (--input FILE | --prometheus URL) [--from TS] [--to TS]
 *  [--decisions FILE] [--report FILE.html]`: replays the operator's control loop over recorded
 * load in simulated time, with the simulated HPA reacting under the floor, and writes what it would
 * have done. Floor changes are logged as JSON lines (pino) at info, unchanged ticks at debug.
 * The work is estimated before the replay: a default range (no --from/--to) that would take more
 * than a few minutes is refused with a range to try; an asked-for one is announced, and a long
 * replay logs its progress every few seconds.
 */
import { systemClock } from '../core/clock.js';
import { DAY_MS, formatDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { formatTimestamp, requireTimestampMs } from '../core/time.js';
import { loadScalerFile } from '../config/load.js';
import { readLeadTimes } from './lead-times.js';
import { capacityWarning } from '../plan/capacity.js';
import type { Scaler } from '../config/scaler.js';
import { DryRunActuator } from '../actuate/dry-run.js';
import { scoreTrace } from '../backtest/policies.js';
import { type ReplayRange, describeGated, replayPredictive, simulate } from '../backtest/replay.js';
import { renderReport } from '../backtest/report.js';
import { settingsOf, traceReport } from '../backtest/report-data.js';
import type { ScalingScore } from '../backtest/score.js';
import { FailFastSource } from '../metrics/fail-fast.js';
import { peekSeriesSpan, readSeriesFile } from '../metrics/file-source.js';
import { RecordedSource } from '../metrics/recorded-source.js';
import { prometheusSourceFor } from '../metrics/scaler-source.js';
import type { MetricSource } from '../metrics/source.js';
import type { Logger } from '../telemetry/logger.js';
import { checkOutputs, formatNumber, writeOutput } from './output.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, Progress } from './progress.js';
import { REFUSE_OVER_S, type WorkEstimate, describeWork, estimateReplay, formatSeconds } from './work-estimate.js';

export interface DryRunCommand {
  file: string;
  /** Which PredictiveScaler of the file (required when it holds several). */
  name?: string;
  input?: string;
  prometheus?: string;
  from?: string;
  to?: string;
  decisions?: string;
  report?: string;
  /** Wall time between progress lines of a long replay, ms (default 5 s). */
  progressIntervalMs?: number;
  /** plan.leadTime auto: recorded start-ups (CSV timestamp,seconds) or a fixed duration (cli/lead-times.ts). */
  leadTimes?: string;
}

export async function runDryRun(cmd: DryRunCommand, logger: Logger, out: NodeJS.WritableStream): Promise<void> {
  if ((cmd.input === undefined) === (cmd.prometheus === undefined)) throw invalidInput('give exactly one of --input FILE or --prometheus URL');
  // Outputs are checked before the replay, which can take minutes: a typo fails at once.
  await checkOutputs([['--decisions', cmd.decisions], ['--report', cmd.report]]);
  const scaler = await loadScalerFile(cmd.file, { ...(cmd.name === undefined ? {} : { name: cmd.name }), onWarning: (line) => logger.warn(line) });
  const leadTime = await readLeadTimes(cmd.leadTimes, scaler);
  const opened = await openSource(cmd, scaler, logger);
  const { load, range, work } = opened;
  const idle = capacityWarning(load.values, scaler.spec.capacity.perReplica, scaler.spec.minReplicas);
  if (idle) logger.warn(`${cmd.input ?? opened.source.description}: ${idle}`);
  // A replay must not differ silently from one of a recording: the first failed read fails the
  // dry-run (the operator, instead, holds the floor and retries). Later reads fail fast.
  const source = new FailFastSource(opened.source);
  const actuator = new DryRunActuator(logger);
  const progress = new Progress({
    label: 'replay',
    ...range,
    intervalMs: cmd.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
    estimatedS: work.seconds,
    now: () => performance.now(),
    report: (p) => logger.info({ progress: Math.floor(p.fraction * 1000) / 1000, elapsedS: Math.round(p.elapsedS), ...(Number.isFinite(p.leftS) ? { leftS: Math.round(p.leftS) } : {}) }, p.text),
  });
  const started = performance.now();
  const result = await replayPredictive(scaler, source, load, range, {
    onDecision: (d) => {
      progress.at(d.atMs);
      return actuator.apply(d);
    },
    ...(leadTime ? { leadTime } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  if (source.failure) throw source.failure;

  if (cmd.decisions) {
    const lines = ['timestamp,load,forecast,floor_replicas,reactive_replicas,desired_replicas,ready_replicas,reason,model'];
    for (const r of result.rows) {
      lines.push([formatTimestamp(r.atMs), formatNumber(r.load), formatNumber(r.forecast), r.floor, Number.isNaN(r.reactive) ? '' : r.reactive, r.desired, r.ready, r.decision.reason, r.decision.model ?? ''].join(','));
    }
    await writeOutput(cmd.decisions, lines.join('\n') + '\n');
  }

  const s = scaler.spec;
  const pred = scoreTrace(result.trace, scaler);
  const hpaTrace = simulate(scaler, load, range);
  const hpa = scoreTrace(hpaTrace, scaler);

  if (cmd.report) {
    const t = traceReport(cmd.input ?? source.description, scaler, load, result, [
      { name: 'predictive', trace: result.trace, score: pred, floorAt: result.floorAt },
      { name: 'hpa', trace: hpaTrace, score: hpa },
    ]);
    await writeOutput(cmd.report, renderReport({ title: `prescale dry-run: ${scaler.namespace}/${scaler.name}`, scaler: `${scaler.namespace}/${scaler.name}`, generatedAtMs: systemClock.now(), settings: settingsOf(scaler, range), traces: [t] }));
  }

  const reasons = new Map<string, number>();
  for (const r of result.rows) reasons.set(r.decision.reason, (reasons.get(r.decision.reason) ?? 0) + 1);
  const what = cmd.input ?? source.description;
  // Say what a summary of PlanApplied ticks would hide: no forecast at all, or no data under the ticks.
  const short = reasons.get('InsufficientHistory') ?? 0;
  if (short === result.rows.length && result.rows.length > 0) {
    logger.warn(`${what}: no tick had enough history to forecast (${result.rows[0]!.decision.detail}); start later with --from, or record more history before the range`);
  }
  const missing = result.rows.filter((r) => Number.isNaN(r.load)).length;
  if (missing > 0) {
    logger.warn(`${what}: ${missing} of ${result.rows.length} ticks (${((100 * missing) / result.rows.length).toFixed(1)} %) fall where the recording has no data: MetricsUnavailable there (the floor holds, and is given back after spec.safety.staleAfter), not scored`);
  }
  const modelTicks = new Map<string, number>();
  for (const r of result.rows) if (r.decision.model) modelTicks.set(r.decision.model, (modelTicks.get(r.decision.model) ?? 0) + 1);
  const ranked = [...modelTicks].sort((a, b) => b[1] - a[1]);
  const models = ranked.slice(0, 3).map(([m, n]) => `${m} ${Math.round((100 * n) / result.rows.length)}%`);
  if (ranked.length > 3) models.push(`${ranked.length - 3} other combinations`);
  const changes = result.rows.filter((r, i) => i > 0 && r.floor !== result.rows[i - 1]!.floor).length;
  const ratio = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '-');
  const row = (label: string, sc: ScalingScore) =>
    `  ${label.padEnd(12)} ${`${sc.shortfallPct.toFixed(2)}%`.padStart(9)} ${formatNumber(Math.round(sc.shortfallReplicaMinutes)).padStart(7)} rm  ` +
    `${formatNumber(Math.round(sc.underMinutes)).padStart(9)} min  ${formatNumber(Math.round(sc.costReplicaHours)).padStart(12)}  ` +
    `${ratio(sc.costVsOracle).padStart(9)}  ${String(sc.scalingEvents).padStart(14)}`;
  out.write(
    [
      `prescale dry-run: ${scaler.namespace}/${scaler.name} (${s.mode}, target ${s.target.kind}/${s.target.name})`,
      `  range      ${formatTimestamp(range.fromMs)} .. ${formatTimestamp(range.toMs)} (${formatDuration(range.toMs - range.fromMs)}), ${result.rows.length} ticks of ${formatDuration(s.plan.tickIntervalMs)}, replayed in ${seconds.toFixed(1)} s`,
      `  decisions  ${[...reasons].map(([k, n]) => `${k} ${n}`).join(', ')}; floor changed ${changes} times`,
      `  gate       ${describeGated(result.gated, result.rows.length)}`,
      `  models     ${models.join(', ') || 'none'} (of ticks)`,
      `  floor      min ${result.rows.reduce((m, r) => Math.min(m, r.floor), Infinity)}, max ${result.rows.reduce((m, r) => Math.max(m, r.floor), -Infinity)} replicas (spec ${s.minReplicas}..${s.maxReplicas})`,
      `               shortfall        under-capacity  replica-hours  vs oracle  scaling events`,
      row('predictive', pred),
      row('hpa alone', hpa),
      ...(cmd.decisions ? [`  decisions written to ${cmd.decisions}`] : []),
      ...(cmd.report ? [`  report written to ${cmd.report}`] : []),
      '',
    ].join('\n'),
  );
}

/**
 * The replay's estimated work; a default range (no --from, no --to) estimated at more than
 * REFUSE_OVER_S is refused with a shorter range to try, an asked-for one is announced.
 */
function checkWork(cmd: DryRunCommand, scaler: Scaler, what: string, range: ReplayRange, logger: Logger): WorkEstimate {
  const work = estimateReplay(scaler.spec, range.fromMs, range.toMs);
  if (work.seconds <= REFUSE_OVER_S) return work;
  const span = `${formatTimestamp(range.fromMs)} .. ${formatTimestamp(range.toMs)}, ${describeWork(range.fromMs, range.toMs, work)}`;
  if (cmd.from === undefined && cmd.to === undefined) {
    const lastMonth = formatTimestamp(Math.max(range.fromMs, range.toMs - 30 * DAY_MS));
    throw invalidInput(
      `${what}: replaying the whole recording (${span}) would take ${formatSeconds(work.seconds)}; ` +
        `choose the range with --from/--to (--from ${lastMonth} replays the last 30 days), or give --from ${formatTimestamp(range.fromMs)} to replay all of it`,
    );
  }
  logger.warn(`${what}: replaying ${span} will take ${formatSeconds(work.seconds)}; progress is logged every ${formatDuration(cmd.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS)}`);
  return work;
}

/** The history source, the load the simulator sees, the replay range and its estimated work. */
async function openSource(cmd: DryRunCommand, scaler: Scaler, logger: Logger): Promise<{ source: MetricSource; load: Series; range: ReplayRange; work: WorkEstimate }> {
  const s = scaler.spec;
  if (cmd.input !== undefined) {
    if (cmd.from === undefined && cmd.to === undefined) {
      // A default range too long to replay is refused from the file's ends, before reading millions of rows.
      const peek = await peekSeriesSpan(cmd.input);
      if (peek) checkWork(cmd, scaler, cmd.input, defaultRange(peek.firstMs, peek.firstMs + (Math.floor((peek.lastMs - peek.firstMs) / peek.stepMs) + 1) * peek.stepMs, peek.stepMs), logger);
    }
    const load = await readSeriesFile(cmd.input, { onWarning: (line) => logger.warn(line) });
    const endMs = load.startMs + load.values.length * load.stepMs;
    const fromMs = cmd.from ? requireTimestampMs(cmd.from, '--from') : defaultRange(load.startMs, endMs, load.stepMs).fromMs;
    const toMs = cmd.to ? requireTimestampMs(cmd.to, '--to') : endMs;
    if (!cmd.to && fromMs >= endMs) throw invalidInput(`--from: ${formatTimestamp(fromMs)} is at or after the end of the recording (${formatTimestamp(endMs)})`);
    checkRange(fromMs, toMs);
    if (fromMs >= endMs || toMs <= load.startMs) {
      throw invalidInput(`--from/--to: ${formatTimestamp(fromMs)} .. ${formatTimestamp(toMs)} is outside the recording (${formatTimestamp(load.startMs)} .. ${formatTimestamp(endMs)})`);
    }
    const work = checkWork(cmd, scaler, cmd.input, { fromMs, toMs }, logger);
    return { source: new RecordedSource(load, cmd.input), load, range: { fromMs, toMs }, work };
  }
  if (!cmd.from || !cmd.to) throw invalidInput('--prometheus needs --from and --to (the range to replay)');
  const fromMs = requireTimestampMs(cmd.from, '--from');
  const toMs = requireTimestampMs(cmd.to, '--to');
  checkRange(fromMs, toMs);
  if (s.metric.prometheus?.basicAuth?.passwordSecretRef) {
    throw invalidInput(`${cmd.file}: spec.metric.prometheus.basicAuth.passwordSecretRef is read by the operator only; use passwordFile for a dry-run`);
  }
  // --prometheus names the server to read, even when the spec names its own.
  const source = prometheusSourceFor(scaler, { url: cmd.prometheus!, ignoreSpecUrl: true }, { clock: systemClock, logger });
  const work = checkWork(cmd, scaler, source.description, { fromMs, toMs }, logger);
  const step = s.metric.stepMs;
  const alignedFrom = Math.floor(fromMs / step) * step;
  const load = await source.fetchRange(alignedFrom, toMs, step);
  return { source, load, range: { fromMs, toMs }, work };
}

/** The default replay of a recording [startMs, endMs): after a week of warm-up history (or half the recording when shorter). */
function defaultRange(startMs: number, endMs: number, stepMs: number): ReplayRange {
  return { fromMs: startMs + Math.min(7 * DAY_MS, Math.floor((endMs - startMs) / 2 / stepMs) * stepMs), toMs: endMs };
}

function checkRange(fromMs: number, toMs: number): void {
  if (!(toMs > fromMs)) throw invalidInput(`--to (${formatTimestamp(toMs)}) must be after --from (${formatTimestamp(fromMs)})`);
}
