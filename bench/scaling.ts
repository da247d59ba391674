/**
 * Scaling benchmark on the real traces (fixtures/traces/*.csv), and the dry-run replay speed.
 *
 * Protocol (the issue's): the scaler of manifests/samples/backtest-5m.yaml (pods ready 5 minutes
 * after they are requested, floor planned at p80 with a 5-minute lead in steps of >= 10 minutes), with, per trace,
 * capacity.perReplica = p95(load) / 20 (the oracle needs about 20 replicas at the trace's
 * 95th-percentile load) and metric.step = the trace's step. Each policy (src/backtest/policies.ts:
 * predictive floor + HPA, HPA alone, the "same time last week" floor + HPA; oracle) is replayed over
 * [start + 7 days, end): the first week is the loop's warm-up history. Traces shorter than 9 days
 * are skipped (a week of warm-up leaves under two days to score).
 *
 * Targets:
 * - on the median trace the predictive floor cuts the shortfall of HPA alone by >= 85 % (median of
 *   the per-trace cut 1 - predictive / hpa, in replica-minutes; a trace where both are 0 counts as 100 %);
 * - median cost <= 1.10 x the oracle's replica-hours;
 * - better than the last-week floor on both shortfall and cost on the median trace (medians of the
 *   per-trace differences predictive - last-week, in shortfall % of demand and in cost vs oracle, < 0);
 * - on no trace a larger shortfall (replica-minutes) than HPA alone;
 * - the last 60 days of worldcup98_1min (1-minute samples) replay through replayPredictive, what
 *   `prescale dry-run` runs, in < 10 s (median of REPLAY_RUNS runs); the whole `prescale dry-run`
 *   process is timed as well.
 *
 * Run alone: `node --import tsx bench/scaling.ts [--scaler FILE] [--no-replay] [--perfect-scale X]
 * [TRACE...]` prints the Markdown tables and the verdicts (progress on stderr).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { DAY_MS, formatDuration } from '../src/core/duration.js';
import { formatTimestamp } from '../src/core/time.js';
import { loadScalerFile } from '../src/config/load.js';
import type { Scaler } from '../src/config/scaler.js';
import { runPolicies, scoreTrace } from '../src/backtest/policies.js';
import { replayPredictive, simulate } from '../src/backtest/replay.js';
import { planOptions } from '../src/control/reconcile.js';
import type { Series } from '../src/core/series.js';
import { type AppliedFloor, buildPlan, floorAt } from '../src/plan/index.js';
import type { ScalingScore } from '../src/backtest/score.js';
import { readSeriesFile } from '../src/metrics/file-source.js';
import { RecordedSource } from '../src/metrics/recorded-source.js';
import { median } from '../src/forecast/linalg.js';

const ROOT = join(import.meta.dirname, '..');
export const SCALING_SCALER = join(ROOT, 'manifests', 'samples', 'backtest-5m.yaml');
const WARM_UP_MS = 7 * DAY_MS;
const MIN_TRACE_MS = 9 * DAY_MS;
/** The oracle needs this many replicas at the trace's 95th-percentile load. */
const REPLICAS_AT_P95 = 20;
const REPLAY_TRACE = 'worldcup98_1min';
const REPLAY_DAYS = 60;
/**
 * The replay is timed this many times in a row (median reported and judged, fastest and all kept):
 * on this shared machine single runs of the same code ranged from 8.8 to 15.7 s in one afternoon.
 */
const REPLAY_RUNS = 3;
/**
 * `perfect` is a reference, not a policy anyone can run: the same plan rules (and HPA) fed the load
 * that actually came, at the trace's own step, as the forecast. What no forecaster can beat with
 * these plan settings: the gap between it and the oracle is the plan's (lead time, step length);
 * the gap between predictive and it is the forecast's, plus the loop's 5-minute working step
 * (see perfectForecastFloor).
 */
const POLICIES = ['predictive', 'hpa', 'last-week', 'perfect', 'perfect-foresight'] as const;
type PolicyName = (typeof POLICIES)[number];

export interface PolicyFigures {
  shortfallPct: number;
  shortfallReplicaMinutes: number;
  costVsOracle: number;
  costReplicaHours: number;
  underMinutes: number;
  scalingEvents: number;
}

export interface ScalingRow {
  trace: string;
  stepMs: number;
  /** Days scored (from day 8 to the end). */
  days: number;
  p95: number;
  perReplica: number;
  oracleReplicaHours: number;
  policies: Record<PolicyName, PolicyFigures>;
  /** Wall time of runPolicies for this trace, s. */
  seconds: number;
  /** Ticks whose planning-quantile forecast exceeded 1.5x the highest load seen so far. */
  insaneTicks: number;
}

export interface Target {
  name: string;
  value: string;
  met: boolean;
}

export interface ReplaySpeed {
  trace: string;
  days: number;
  ticks: number;
  refitInterval: string;
  /**
   * replayPredictive alone (in this process, first thing it runs, REPLAY_RUNS times): the median
   * wall seconds, the fastest, every run, and the CPU seconds of all threads over all runs.
   */
  seconds: number;
  fastestSeconds: number;
  runsSeconds: number[];
  cpuSeconds: number;
  /** The whole `prescale dry-run` process (from source with tsx: start-up, read, replay, HPA-alone run, summary), s. */
  dryRunProcessSeconds: number | null;
  /** What the dry-run command itself reports as "replayed in X s". */
  dryRunReportedSeconds: number | null;
  /** The same as the installed `prescale` bin runs it: `npm run build`, then node dist/cli/main.js, s. */
  dryRunBuiltSeconds: number | null;
}

export interface ScalingBench {
  scaler: string;
  rows: ScalingRow[];
  skipped: Array<{ trace: string; reason: string }>;
  medians: Record<PolicyName, PolicyFigures>;
  /** Median per-trace shortfall cut of predictive vs HPA alone (0.9 = 90 %). */
  medianCutVsHpa: number;
  /** The same for the perfect-forecast reference. */
  medianPerfectCutVsHpa: number;
  /** Median per-trace predictive replica-hours / the perfect-foresight floor's. */
  medianCostVsPerfectForesight: number;
  /** What the perfect-forecast reference multiplied the real load by (1: the load itself). */
  perfectScale: number;
  replay: ReplaySpeed | null;
  targets: Target[];
}

export interface ScalingOptions {
  /** Scaler file; default manifests/samples/backtest-5m.yaml. */
  scalerFile?: string;
  /** Only these traces (file names without .csv); default all. */
  traces?: string[];
  /** Measure the 60-day replay (default true). */
  replay?: boolean;
  /**
   * The perfect-forecast reference plans from the real load times this (default 1): below 1 it
   * shows what covering less than all of the need would cost even with a perfect forecast.
   */
  perfectScale?: number;
  log?: (line: string) => void;
}

export async function benchScaling(fixtures: string, opts: ScalingOptions = {}): Promise<ScalingBench> {
  const scalerFile = opts.scalerFile ?? SCALING_SCALER;
  const log = opts.log ?? ((line: string) => process.stderr.write(`bench: ${line}\n`));
  const base = await loadScalerFile(scalerFile);
  // Timed first, in a fresh process state (no JIT warm-up from the traces), as a dry-run would run.
  const replay = opts.replay === false ? null : await benchReplay(fixtures, scalerFile, base, log);

  const names = readdirSync(fixtures)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => basename(f, '.csv'))
    .filter((t) => !opts.traces || opts.traces.includes(t))
    .sort();
  const rows: ScalingRow[] = [];
  const skipped: Array<{ trace: string; reason: string }> = [];
  for (const trace of names) {
    const load = await readSeriesFile(join(fixtures, `${trace}.csv`));
    const endMs = load.startMs + load.values.length * load.stepMs;
    if (endMs - load.startMs < MIN_TRACE_MS) {
      skipped.push({ trace, reason: `${((endMs - load.startMs) / DAY_MS).toFixed(1)} days long, under 9 (7 days of warm-up leave under 2 days to score)` });
      continue;
    }
    const p95 = quantile(load.values, 0.95);
    const scaler = sized(base, p95 / REPLICAS_AT_P95, load.stepMs);
    const range = { fromMs: load.startMs + WARM_UP_MS, toMs: endMs };
    const t0 = performance.now();
    const run = await runPolicies(scaler, new RecordedSource(load, trace), load, range);
    const seconds = (performance.now() - t0) / 1000;
    const perfect = scoreTrace(simulate(scaler, load, range, perfectForecastFloor(scaler, load, opts.perfectScale ?? 1)), scaler);
    const get = (name: PolicyName): ScalingScore => (name === 'perfect' ? perfect : run.policies.find((p) => p.name === name)!.score);
    const policies = Object.fromEntries(POLICIES.map((p) => [p, figures(get(p))])) as Record<PolicyName, PolicyFigures>;
    rows.push({
      trace,
      stepMs: load.stepMs,
      days: (range.toMs - range.fromMs) / DAY_MS,
      p95,
      perReplica: scaler.spec.capacity.perReplica,
      oracleReplicaHours: get('predictive').oracleReplicaHours,
      policies,
      seconds,
      insaneTicks: insaneTicks(run.predictive.rows, load),
    });
    const pr = policies.predictive;
    log(`${trace}: ${seconds.toFixed(1)} s; predictive ${pr.shortfallPct.toFixed(3)}% short, ${pr.costVsOracle.toFixed(3)}x oracle; hpa ${policies.hpa.shortfallPct.toFixed(3)}% short`);
  }

  const medians = Object.fromEntries(
    POLICIES.map((p) => [p, Object.fromEntries(FIGURES.map((k) => [k, median(rows.map((r) => r.policies[p][k]))])) as unknown as PolicyFigures]),
  ) as Record<PolicyName, PolicyFigures>;
  const cuts = rows.map((r) => cutVsHpa(r));
  const medianCutVsHpa = median(cuts);
  const medianPerfectCutVsHpa = median(rows.map((r) => cutVsHpa(r, 'perfect')));
  const vsPff = median(rows.map((r) => costVsPerfectForesight(r)));
  const dShort = median(rows.map((r) => r.policies.predictive.shortfallPct - r.policies['last-week'].shortfallPct));
  const dCost = median(rows.map((r) => r.policies.predictive.costVsOracle - r.policies['last-week'].costVsOracle));
  const worse = rows.filter((r) => worseThanHpa(r));
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const targets: Target[] = [
    { name: 'median trace: predictive cuts the shortfall of HPA alone by >= 85 %', value: pct(medianCutVsHpa), met: medianCutVsHpa >= 0.85 },
    { name: 'median trace: predictive costs <= 1.10 x the oracle', value: `${medians.predictive.costVsOracle.toFixed(3)} x`, met: medians.predictive.costVsOracle <= 1.1 },
    { name: 'median trace: predictive cuts the shortfall of HPA alone by >= 90 % at <= 1.10 x the perfect-foresight floor\'s replica-hours', value: `${pct(medianCutVsHpa)} at ${vsPff.toFixed(3)} x`, met: medianCutVsHpa >= 0.9 && vsPff <= 1.1 },
    {
      name: 'median trace: predictive beats last-week on shortfall and on cost',
      value: `median difference predictive - last-week: shortfall ${dShort >= 0 ? '+' : ''}${dShort.toFixed(3)} points of demand, cost ${dCost >= 0 ? '+' : ''}${dCost.toFixed(3)} x oracle`,
      met: dShort < 0 && dCost < 0,
    },
    {
      name: 'no trace: predictive shortfall above HPA alone',
      value: worse.length === 0 ? 'none' : worse.map((r) => `${r.trace} (${r.policies.predictive.shortfallReplicaMinutes.toFixed(0)} vs ${r.policies.hpa.shortfallReplicaMinutes.toFixed(0)} rm)`).join(', '),
      met: worse.length === 0,
    },
  ];
  if (replay) targets.push({ name: `${replay.days}-day 1-minute replay (${replay.trace}) through dry-run < 10 s`, value: `${replay.seconds.toFixed(1)} s (median of ${replay.runsSeconds.length} runs; fastest ${replay.fastestSeconds.toFixed(1)} s)`, met: replay.seconds < 10 });
  return { scaler: relative(ROOT, scalerFile), rows, skipped, medians, medianCutVsHpa, medianPerfectCutVsHpa, medianCostVsPerfectForesight: vsPff, perfectScale: opts.perfectScale ?? 1, replay, targets };
}

const FIGURES = ['shortfallPct', 'shortfallReplicaMinutes', 'costVsOracle', 'costReplicaHours', 'underMinutes', 'scalingEvents'] as const;

function figures(s: ScalingScore): PolicyFigures {
  return {
    shortfallPct: s.shortfallPct,
    shortfallReplicaMinutes: s.shortfallReplicaMinutes,
    costVsOracle: s.costVsOracle,
    costReplicaHours: s.costReplicaHours,
    underMinutes: s.underMinutes,
    scalingEvents: s.scalingEvents,
  };
}

/**
 * The floor the control loop would apply if its forecast were the load that actually came: at
 * every tick, buildPlan on the next forecast.horizon of the real load, with the floor applied so
 * far, as reconcile plans from a forecast. Called in time order (simulateHpa). Where it differs
 * from the loop, it is kinder: it plans at the trace's own step (1-minute peaks, where the loop
 * forecasts 5-minute means), the first value is the interval holding `now`, and the horizon is
 * always whole; gaps and the time past the trace's end count as load 0 (the floor may drop there).
 */
function perfectForecastFloor(scaler: Scaler, load: Series, scale: number): (tMs: number) => number {
  const s = scaler.spec;
  const opts = planOptions(scaler);
  const tick = s.plan.tickIntervalMs;
  const n = Math.ceil(s.forecast.horizonMs / load.stepMs);
  const values = new Float64Array(n);
  let lastTick = NaN;
  let floor = s.minReplicas;
  let applied: AppliedFloor | undefined;
  return (tMs) => {
    const now = Math.floor(tMs / tick) * tick;
    if (now === lastTick) return floor;
    lastTick = now;
    const i0 = Math.floor((now - load.startMs) / load.stepMs);
    for (let j = 0; j < n; j++) {
      const v = load.values[i0 + j];
      values[j] = v === undefined || Number.isNaN(v) ? 0 : v * scale;
    }
    const plan = buildPlan({ startMs: load.startMs + i0 * load.stepMs, stepMs: load.stepMs, values }, now, opts, applied);
    floor = floorAt(plan, now) ?? floor;
    if (applied?.replicas !== floor) applied = { replicas: floor, sinceMs: now };
    return floor;
  };
}

/** Ready replica-hours of the predictive floor over the perfect-foresight floor's. */
function costVsPerfectForesight(r: ScalingRow): number {
  return r.policies.predictive.costReplicaHours / r.policies['perfect-foresight'].costReplicaHours;
}

/** 1 - policy / hpa shortfall (replica-minutes; predictive by default); 1 when both are 0, -Infinity when only HPA alone has none. */
function cutVsHpa(r: ScalingRow, policy: PolicyName = 'predictive'): number {
  const p = r.policies[policy].shortfallReplicaMinutes;
  const h = r.policies.hpa.shortfallReplicaMinutes;
  if (h > 0) return 1 - p / h;
  return p > 0 ? -Infinity : 1;
}

/** A larger shortfall than HPA alone, beyond float noise. */
const worseThanHpa = (r: ScalingRow): boolean =>
  r.policies.predictive.shortfallReplicaMinutes > r.policies.hpa.shortfallReplicaMinutes * (1 + 1e-9) + 1e-9;

/** The scaler with perReplica and the metric step set (a Scaler is plain data). */
function sized(base: Scaler, perReplica: number, stepMs: number): Scaler {
  const s = base.spec;
  return { ...base, spec: { ...s, capacity: { ...s.capacity, perReplica }, metric: { ...s.metric, stepMs } } };
}

/** The last REPLAY_DAYS of worldcup98_1min through replayPredictive, then the same as a `prescale dry-run` process. */
async function benchReplay(fixtures: string, scalerFile: string, base: Scaler, log: (line: string) => void): Promise<ReplaySpeed> {
  const file = join(fixtures, `${REPLAY_TRACE}.csv`);
  const load = await readSeriesFile(file);
  const endMs = load.startMs + load.values.length * load.stepMs;
  const range = { fromMs: endMs - REPLAY_DAYS * DAY_MS, toMs: endMs };
  const perReplica = quantile(load.values, 0.95) / REPLICAS_AT_P95;
  const scaler = sized(base, perReplica, load.stepMs);
  const c0 = process.cpuUsage();
  const runsSeconds: number[] = [];
  let ticks = 0;
  for (let i = 0; i < REPLAY_RUNS; i++) {
    const t0 = performance.now();
    const r = await replayPredictive(scaler, new RecordedSource(load, file), load, range);
    runsSeconds.push((performance.now() - t0) / 1000);
    ticks = r.rows.length;
    log(`replay ${i + 1}/${REPLAY_RUNS}: ${REPLAY_DAYS} days of ${REPLAY_TRACE} (${ticks} ticks) in ${runsSeconds[i]!.toFixed(1)} s`);
  }
  const c = process.cpuUsage(c0);

  // The same range as a whole `prescale dry-run` process, with perReplica written into a copy of the file.
  let dryRunProcessSeconds: number | null = null;
  let dryRunReportedSeconds: number | null = null;
  let dryRunBuiltSeconds: number | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'prescale-scaling-'));
  try {
    const doc = parseDocument(readFileSync(scalerFile, 'utf8'));
    doc.setIn(['spec', 'capacity', 'perReplica'], perReplica);
    const yamlFile = join(dir, 'scaler.yaml');
    writeFileSync(yamlFile, doc.toString());
    const dryRun = ['dry-run', '-f', yamlFile, '--input', file, '--from', formatTimestamp(range.fromMs)];
    const timed = (args: string[]): { seconds: number; out: string } => {
      const p0 = performance.now();
      const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 });
      return { seconds: (performance.now() - p0) / 1000, out };
    };
    const fromSource = timed(['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...dryRun]);
    dryRunProcessSeconds = fromSource.seconds;
    const m = /replayed in ([\d.]+) s/.exec(fromSource.out);
    dryRunReportedSeconds = m ? Number(m[1]) : null;
    log(`replay: prescale dry-run process ${dryRunProcessSeconds.toFixed(1)} s (it reports replayed in ${dryRunReportedSeconds ?? '?'} s)`);
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
    dryRunBuiltSeconds = timed([join(ROOT, 'dist', 'cli', 'main.js'), ...dryRun]).seconds;
    log(`replay: built prescale dry-run process ${dryRunBuiltSeconds.toFixed(1)} s`);
  } catch (e) {
    log(`replay: prescale dry-run process failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    trace: REPLAY_TRACE,
    days: REPLAY_DAYS,
    ticks,
    refitInterval: formatDuration(scaler.spec.forecast.refitIntervalMs),
    seconds: median(runsSeconds),
    fastestSeconds: Math.min(...runsSeconds),
    runsSeconds,
    cpuSeconds: (c.user + c.system) / 1e6,
    dryRunProcessSeconds,
    dryRunReportedSeconds,
    dryRunBuiltSeconds,
  };
}

/** Linear-interpolation quantile (R type 7) of the present values. */
function quantile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

const f = (v: number, d: number): string => (Number.isFinite(v) ? v.toFixed(d) : '–');
const stepText = (ms: number): string => formatDuration(ms);

/** The per-trace table, medians, skipped traces, the replay timing and each target's verdict, as Markdown. */
/** Ticks of a replay whose forecast exceeds 1.5x the highest load observed up to that tick. */
export function insaneTicks(rows: ReadonlyArray<{ atMs: number; forecast: number }>, load: Series): number {
  let seen = -Infinity;
  let k = 0;
  let n = 0;
  for (const r of rows) {
    const upTo = Math.floor((r.atMs - load.startMs) / load.stepMs);
    for (; k <= upTo && k < load.values.length; k++) if (load.values[k]! > seen) seen = load.values[k]!;
    if (r.forecast > 1.5 * seen) n++;
  }
  return n;
}

export function scalingTables(b: ScalingBench): string {
  const out: string[] = [];
  const cols = POLICIES.flatMap((p) => [`${p} short %`, `${p} short rm`, `${p} cost×`, `${p} events`]);
  out.push(
    `\n#### Scaling from day 8 (${basename(b.scaler)}, perReplica = p95 / ${REPLICAS_AT_P95}, pods ready 5 min after the request)\n`,
    `| trace | step | days | perReplica | ${cols.join(' | ')} | cut vs hpa | perfect cut vs hpa | p90 > 1.5x max seen |`,
    `|---|---|---:|---:|${cols.map(() => '---:').join('|')}|---:|---:|---:|`,
  );
  const cells = (x: PolicyFigures) => [f(x.shortfallPct, 3), f(x.shortfallReplicaMinutes, 0), f(x.costVsOracle, 3), f(x.scalingEvents, 0)];
  for (const r of b.rows) {
    const name = worseThanHpa(r) ? `${r.trace} (worse than hpa)` : r.trace;
    out.push(`| ${name} | ${stepText(r.stepMs)} | ${f(r.days, 1)} | ${Number(r.perReplica.toPrecision(4))} | ${POLICIES.flatMap((p) => cells(r.policies[p])).join(' | ')} | ${f(100 * cutVsHpa(r), 1)} % | ${f(100 * cutVsHpa(r, 'perfect'), 1)} % | ${r.insaneTicks} |`);
  }
  out.push(`| **median** | | | | ${POLICIES.flatMap((p) => cells(b.medians[p])).join(' | ')} | ${f(100 * b.medianCutVsHpa, 1)} % | ${f(100 * b.medianPerfectCutVsHpa, 1)} % | ${b.rows.reduce((a, r) => a + r.insaneTicks, 0)} (total) |`);
  out.push(
    '',
    '`short %`: shortfall as % of demand; `short rm`: shortfall in replica-minutes; `cost×`: ready replica-hours / the oracle\'s; `events`: changes of the desired count.',
    `\`perfect\`: a reference, not a policy: the same plan settings and HPA with ${b.perfectScale === 1 ? 'the load that actually came' : `${b.perfectScale} x the load that actually came`} as the forecast (at the trace's own step).`,
    '`perfect-foresight`: the floor ceil(max load over [t, t + leadTime] / perReplica) at every instant under the same HPA: what a perfect forecast costs with the pods\' lead time.',
    '',
    `- median trace: predictive costs ${f(b.medianCostVsPerfectForesight, 3)} x the perfect-foresight floor's replica-hours`,
  );
  for (const s of b.skipped) out.push(`- skipped ${s.trace}: ${s.reason}`);
  if (b.replay) {
    const r = b.replay;
    out.push(
      '',
      `#### Replay speed: last ${r.days} days of ${r.trace} (${r.ticks} ticks, refit every ${r.refitInterval})\n`,
      '| measure | s |',
      '|---|---:|',
      `| replayPredictive (what dry-run runs), wall, median of ${r.runsSeconds.length} runs | ${f(r.seconds, 1)} |`,
      `| the same, fastest run (runs: ${r.runsSeconds.map((x) => x.toFixed(1)).join(', ')}) | ${f(r.fastestSeconds, 1)} |`,
      `| replayPredictive, CPU (all threads, all runs) | ${f(r.cpuSeconds, 1)} |`,
      `| \`prescale dry-run\` process from source (tsx), wall | ${r.dryRunProcessSeconds === null ? '–' : f(r.dryRunProcessSeconds, 1)} |`,
      `| what that dry-run reports as "replayed in" | ${r.dryRunReportedSeconds === null ? '–' : f(r.dryRunReportedSeconds, 1)} |`,
      `| the built \`prescale\` bin (dist/cli/main.js) process, wall | ${r.dryRunBuiltSeconds === null ? '–' : f(r.dryRunBuiltSeconds, 1)} |`,
    );
  }
  out.push('', '#### Targets\n');
  for (const t of b.targets) out.push(`- ${t.name}: ${t.value}: ${t.met ? 'target met' : 'TARGET MISSED'}`);
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--scaler');
  const scalerFile = at >= 0 ? args[at + 1] : undefined;
  const ps = args.indexOf('--perfect-scale');
  const perfectScale = ps >= 0 ? Number(args[ps + 1]) : 1;
  if (!(Number.isFinite(perfectScale) && perfectScale > 0)) throw new Error(`--perfect-scale: ${args[ps + 1]} is not a number > 0`);
  const traces = args.filter((a, i) => !a.startsWith('--') && !(at >= 0 && i === at + 1) && !(ps >= 0 && i === ps + 1));
  const result = await benchScaling(join(ROOT, 'fixtures', 'traces'), {
    ...(scalerFile ? { scalerFile } : {}),
    perfectScale,
    ...(traces.length > 0 ? { traces } : {}),
    replay: !args.includes('--no-replay'),
  });
  console.log(scalingTables(result));
}

