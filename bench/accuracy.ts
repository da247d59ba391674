/**
 * Forecast accuracy benchmark (rolling origin) against the seasonal naive baselines and R's
 * forecast package (snaive, stlf, mstl, dshw), plus the forecast speed benchmark against R's mstl.
 *
 * Protocol: for each trace, 7 origins one day apart (the last 7 whole days), horizon 1 day,
 * history up to 35 days before each origin, native step. MASE is scaled by the in-sample
 * seasonal-naive error at the shortest detected season (lag 1 when none), sMAPE in percent,
 * p90 coverage pooled over the origins.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, WEEK_MS } from '../src/core/duration.js';
import { countPresent, type Series } from '../src/core/series.js';
import { formatTimestamp } from '../src/core/time.js';
import { type Origin, rollingOrigins, scoreModel, scoreOrigins } from '../src/backtest/accuracy.js';
import { forecastSeries } from '../src/forecast/engine.js';
import { MODEL_NAMES } from '../src/forecast/registry.js';
import { readSeriesFile } from '../src/metrics/file-source.js';
import { median } from '../src/forecast/linalg.js';
import { sampleStandardDeviation } from 'simple-statistics';

export const ACCURACY_TRACES = [
  'nyc_taxi_30min',
  'uk_academic_net_5min',
  'worldcup98_1min',
  'nab_twitter_amzn_5min',
  'crane_cpu_1',
  'crane_cpu_2',
  'google2019_cpu_5min',
  'nab_asg_misconfig_cpu_5min',
];
const ORIGINS = 7;

/** The p90 coverage target: within 0.85-0.95. */
export const inCoverageTarget = (c: number): boolean => c >= 0.85 && c <= 0.95;
const HISTORY_DAYS = 35;
const R_METHODS = ['R snaive', 'R stlf', 'R mstl'] as const;
/**
 * Taylor's (2003) double-seasonal Holt-Winters, R's forecast::dshw(y, period1 = day, period2 =
 * week, h): only where the history has two full weeks and no value <= 0 (its seasonality is
 * multiplicative), else NA. Its parameters are fitted in R code (on this 2-core machine 1-5
 * minutes for 35 days at 5 minutes, 18 for worldcup98's 50,400 1-minute points: fits at all
 * 7 origins would take hours), so they are fitted at a trace's oldest origin that has them and
 * reused, unchanged, at its later origins
 * (`dshw(y, model = fit)`: states re-initialised from the new history, as prescale's engine
 * reuses a search's parameters). NaN for a trace unless it forecast from every origin.
 */
const R_DSHW = 'R dshw';
const DSHW_SCRIPT = `suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
jobs <- read.table(args[1], sep = "\t", header = TRUE, stringsAsFactors = FALSE)
fits <- list()
for (i in seq_len(nrow(jobs))) {
  j <- jobs[i, ]
  y <- scan(j$history_csv, quiet = TRUE, na.strings = "NA")
  y <- as.numeric(na.interp(ts(y, frequency = j$day_steps)))
  t0 <- proc.time()[["elapsed"]]
  fc <- rep(NA_real_, j$horizon)
  if (j$week_steps > 0 && min(y) > 0) {
    prev <- fits[[j$trace]]
    fit <- tryCatch(
      if (is.null(prev)) dshw(y, period1 = j$day_steps, period2 = j$week_steps, h = j$horizon)
      else dshw(y, h = j$horizon, model = prev),
      error = function(e) NULL)
    if (!is.null(fit)) {
      if (is.null(prev)) fits[[j$trace]] <- fit
      fc <- as.numeric(fit$mean)
    }
  }
  write.csv(data.frame(dshw = fc), j$out_csv, row.names = FALSE)
  cat(sprintf("%d %.4f\n", i, proc.time()[["elapsed"]] - t0))
}
`;
/** R's mstl runs this many times in the speed benchmark (median and minimum kept). */
const R_REPEATS = 7;

export interface Score {
  trace: string;
  method: string;
  mase: number;
  smape: number;
  coverage90: number | null;
  seconds: number;
}

function prescaleScores(trace: string, os: Origin[]): Score[] {
  return ['auto', ...MODEL_NAMES].map((model) => {
    const r = scoreModel(model, os, 0.9);
    return { trace, method: model, mase: r.mase, smape: r.smape, coverage90: r.coverage, seconds: r.seconds };
  });
}

/** Writes one R job per origin, runs R once, and scores its forecasts. */
/**
 * Writes one R job per origin, runs R once for the jobs not in the cache, and scores the
 * forecasts. R's answers depend only on the history and the periods, so they are cached in
 * bench/.cache/r by a hash of those (delete the folder to re-run R; its timings are cached too).
 */
function rScores(traces: Array<{ trace: string; os: Origin[] }>, dir: string): Score[] {
  const cacheDir = join(import.meta.dirname, '.cache', 'r');
  mkdirSync(cacheDir, { recursive: true });
  const lines = ['history_csv\tday_steps\tweek_steps\thorizon\tout_csv'];
  const jobs: Array<{ trace: string; o: Origin; out: string; timing: string }> = [];
  const pending: string[] = [];
  for (const { trace, os } of traces) {
    os.forEach((o) => {
      const step = o.history.stepMs;
      const day = Math.round(DAY_MS / step);
      const week = o.history.values.length >= 2 * Math.round(WEEK_MS / step) ? Math.round(WEEK_MS / step) : 0;
      const text = Array.from(o.history.values, (v) => (Number.isNaN(v) ? 'NA' : String(v))).join('\n') + '\n';
      const key = createHash('sha256').update(`${day} ${week} ${o.actual.length}\n${text}`).digest('hex').slice(0, 24);
      const out = join(cacheDir, `${key}.csv`);
      const timing = join(cacheDir, `${key}.secs`);
      jobs.push({ trace, o, out, timing });
      if (existsSync(out) && existsSync(timing)) return;
      const hist = join(dir, `${key}.txt`);
      writeFileSync(hist, text);
      lines.push([hist, day, week, o.actual.length, out].join('\t'));
      pending.push(timing);
    });
  }
  if (pending.length > 0) {
    const jobsFile = join(dir, 'jobs.tsv');
    writeFileSync(jobsFile, lines.join('\n') + '\n');
    const out = execFileSync('Rscript', [join(import.meta.dirname, 'r', 'peers.R'), jobsFile], { encoding: 'utf8', maxBuffer: 1 << 26 });
    out.trim().split('\n').forEach((l, i) => writeFileSync(pending[i]!, l.split(' ').slice(1).join(' ')));
  }
  const scores: Score[] = [];
  for (const { trace } of traces) {
    const mine = jobs.filter((j) => j.trace === trace);
    const secs = mine.map((j) => readFileSync(j.timing, 'utf8').trim().split(' ').map(Number));
    R_METHODS.forEach((method, m) => {
      const means = mine.map((j) => {
        const rows = readFileSync(j.out, 'utf8').trim().split('\n').slice(1);
        return Float64Array.from(rows, (r) => Number(r.split(',')[m]));
      });
      const seconds = secs.reduce((s, t) => s + t[m]!, 0) / mine.length;
      const r = scoreOrigins(method, mine.map((j) => j.o), means, null, seconds);
      scores.push({ trace, method, mase: r.mase, smape: r.smape, coverage90: null, seconds });
    });
  }
  return scores;
}

/**
 * R's dshw at every origin (see R_DSHW), one R process for the traces not in the cache. A trace's
 * origins depend on each other (parameters from the oldest), so they are cached together, by a
 * hash of all its histories (bench/.cache/r, as rScores).
 */
function rDshwScores(traces: Array<{ trace: string; os: Origin[] }>, dir: string): Score[] {
  const cacheDir = join(import.meta.dirname, '.cache', 'r');
  mkdirSync(cacheDir, { recursive: true });
  const lines = ['trace\thistory_csv\tday_steps\tweek_steps\thorizon\tout_csv'];
  const pending: string[] = [];
  const jobs = traces.map(({ trace, os }) => {
    const texts = os.map((o) => Array.from(o.history.values, (v) => (Number.isNaN(v) ? 'NA' : String(v))).join('\n') + '\n');
    const hash = createHash('sha256').update('dshw\n');
    os.forEach((o, i) => hash.update(`${o.history.stepMs} ${o.actual.length}\n${texts[i]}`));
    const key = hash.digest('hex').slice(0, 24);
    const outs = os.map((_, i) => join(cacheDir, `${key}-dshw-${i}.csv`));
    const timings = os.map((_, i) => join(cacheDir, `${key}-dshw-${i}.secs`));
    if (!timings.every((t) => existsSync(t))) {
      os.forEach((o, i) => {
        const day = Math.round(DAY_MS / o.history.stepMs);
        const week = o.history.values.length >= 2 * Math.round(WEEK_MS / o.history.stepMs) ? Math.round(WEEK_MS / o.history.stepMs) : 0;
        const hist = join(dir, `${key}-${i}.txt`);
        writeFileSync(hist, texts[i]!);
        lines.push([trace, hist, day, week, o.actual.length, outs[i]].join('\t'));
        pending.push(timings[i]!);
      });
    }
    return { trace, os, outs, timings };
  });
  if (pending.length > 0) {
    const jobsFile = join(dir, 'dshw-jobs.tsv');
    const script = join(dir, 'dshw.R');
    writeFileSync(jobsFile, lines.join('\n') + '\n');
    writeFileSync(script, DSHW_SCRIPT);
    process.stderr.write(`bench: R dshw, ${pending.length} origins (slow: its fit runs in R code)...\n`);
    const out = execFileSync('Rscript', [script, jobsFile], { encoding: 'utf8', maxBuffer: 1 << 26 });
    out.trim().split('\n').forEach((l, i) => writeFileSync(pending[i]!, l.split(' ').slice(1).join(' ')));
  }
  return jobs.map(({ trace, os, outs, timings }) => {
    const means = outs.map((f) => Float64Array.from(readFileSync(f, 'utf8').trim().split('\n').slice(1), Number));
    const seconds = timings.reduce((a, t) => a + Number(readFileSync(t, 'utf8').trim()), 0) / os.length;
    // NA unless it forecast from every origin (crane_cpu_*: two weeks only at the last origins),
    // so that each score in its column is over the same days as the other methods'.
    if (!means.every((m) => m.length > 0 && m.every(Number.isFinite))) return { trace, method: R_DSHW, mase: NaN, smape: NaN, coverage90: null, seconds };
    const r = scoreOrigins(R_DSHW, os, means, null, seconds);
    return { trace, method: R_DSHW, mase: r.mase, smape: r.smape, coverage90: null, seconds };
  });
}

export function ensureR(): void {
  const ok = spawnSync('Rscript', ['-e', 'suppressMessages(library(forecast))'], { stdio: 'ignore' }).status === 0;
  if (ok) return;
  process.stderr.write('bench: installing R and the forecast package (Debian r-base-core r-cran-forecast)...\n');
  execFileSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-base-core r-cran-forecast >/dev/null'], { stdio: 'inherit' });
}

export async function benchAccuracy(fixtures: string, traces = ACCURACY_TRACES): Promise<Score[]> {
  ensureR();
  const dir = join(tmpdir(), `prescale-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const all: Array<{ trace: string; os: Origin[] }> = [];
    const scores: Score[] = [];
    for (const trace of traces) {
      const os = rollingOrigins(await readSeriesFile(join(fixtures, `${trace}.csv`)), ORIGINS, HISTORY_DAYS);
      all.push({ trace, os });
      scores.push(...prescaleScores(trace, os));
      process.stderr.write(`bench: accuracy ${trace} done\n`);
    }
    scores.push(...rScores(all, dir));
    scores.push(...rDshwScores(all, dir));
    return scores;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `auto`'s p90 coverage on one trace, with the accuracy protocol. */
export interface TraceCoverage {
  trace: string;
  coverage90: number | null;
}

/**
 * `auto`'s p90 coverage on every bundled trace (the same protocol as benchAccuracy), to see the
 * quantiles' calibration beyond the benchmark's eight: a trace with too little history for an
 * origin has none.
 */
export async function coverageAllTraces(fixtures: string): Promise<TraceCoverage[]> {
  const traces = readdirSync(fixtures)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.slice(0, -'.csv'.length))
    .sort();
  const out: TraceCoverage[] = [];
  for (const trace of traces) {
    const os = rollingOrigins(await readSeriesFile(join(fixtures, `${trace}.csv`)), ORIGINS, HISTORY_DAYS);
    out.push({ trace, coverage90: scoreModel('auto', os, 0.9).coverage });
  }
  return out;
}

/** `auto`'s p90 coverage on one benchmark trace over every day it can be scored on. */
export interface CoverageOverDays {
  trace: string;
  /** Days scored (the last OVER_DAYS with at least MIN_HISTORY_DAYS of history before them). */
  days: number;
  /** Pooled over all of them. */
  coverage90: number;
  /** Standard deviation of the coverage of single days. */
  dailySd: number;
  /** Windows of ORIGINS consecutive days among them, and how many have coverage within 0.85-0.95. */
  windows: number;
  windowsInRange: number;
}

/** The coverage study scores up to this many days. */
const OVER_DAYS = 21;
/** ...each with at least this much history (a week: the weekly cycle can be seen). */
const MIN_HISTORY_DAYS = 7;

/**
 * How far a 7-day p90 coverage says anything: `auto` (the accuracy protocol otherwise) on each of
 * the last OVER_DAYS days of each benchmark trace, pooled over them, day by day, and over every
 * window of 7 consecutive days. A surge day or a level shift makes one day's coverage 0.3-0.7, so
 * the coverage of 7 days varies from window to window for the same forecaster.
 */
export async function coverageOverDays(fixtures: string): Promise<CoverageOverDays[]> {
  const out: CoverageOverDays[] = [];
  for (const trace of ACCURACY_TRACES) {
    const os = rollingOrigins(await readSeriesFile(join(fixtures, `${trace}.csv`)), OVER_DAYS, HISTORY_DAYS).filter(
      (o) => o.history.values.length * o.history.stepMs >= MIN_HISTORY_DAYS * DAY_MS,
    );
    const daily = os.map((o) => ({ coverage: scoreModel('auto', [o], 0.9).coverage ?? NaN, n: countPresent(o.actual) })).filter((d) => d.n > 0);
    const pooled = (ds: typeof daily): number => ds.reduce((a, d) => a + d.coverage * d.n, 0) / ds.reduce((a, d) => a + d.n, 0);
    const covs = daily.map((d) => d.coverage);
    const dailySd = covs.length > 1 ? sampleStandardDeviation(covs) : 0;
    const windows = Math.max(0, daily.length - ORIGINS + 1);
    let windowsInRange = 0;
    for (let i = 0; i < windows; i++) if (inCoverageTarget(pooled(daily.slice(i, i + ORIGINS)))) windowsInRange++;
    out.push({ trace, days: daily.length, coverage90: pooled(daily), dailySd, windows, windowsInRange });
  }
  return out;
}

export interface SpeedResult {
  /** Which 28 days of worldcup98_1min, and what `auto` chose there. */
  window: string;
  model: string;
  points: number;
  inProcessMs: number;
  processMs: number;
  rMstlMs: number;
  speedupVsR: number;
  /** Fastest of the runs on each side (noise only ever adds time). */
  inProcessMinMs: number;
  rMstlMinMs: number;
  speedupVsRMin: number;
}

/**
 * Windows of worldcup98_1min the speed bench times: the tournament, where the seasonal naive
 * forecasts win, and the weeks before it, where `auto` chooses costlier models.
 */
const SPEED_WINDOWS = [
  { fromDay: 30, label: 'days 30-58 (the tournament)' },
  { fromDay: 0, label: 'days 0-28 (before the tournament)' },
];

/** Fit plus 1-day forecast of 28 days of 1-minute data with `auto`, in-process and as a process, vs R's mstl; one result per window. */
export async function benchSpeed(fixtures: string, cli: string): Promise<SpeedResult[]> {
  ensureR();
  const wc = await readSeriesFile(join(fixtures, 'worldcup98_1min.csv'));
  const out: SpeedResult[] = [];
  for (const w of SPEED_WINDOWS) out.push(await speedOn(wc, w.fromDay, w.label, cli));
  return out;
}

async function speedOn(wc: Series, fromDay: number, window: string, cli: string): Promise<SpeedResult> {
  const n = 28 * 1440;
  const from = fromDay * 1440;
  const series: Series = { startMs: wc.startMs + from * wc.stepMs, stepMs: wc.stepMs, values: wc.values.slice(from, from + n) };
  const dir = join(tmpdir(), `prescale-speed-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    // Warm-up: three runs, so the JIT has compiled the hot loops, as in a running operator or dry-run
    // (the cold start is what the whole-process figure below shows).
    let model = '?';
    for (let i = 0; i < 3; i++) {
      const f = forecastSeries(series, { horizonMs: DAY_MS, quantiles: [0.5, 0.9] });
      if (f.kind === 'forecast') model = f.model;
    }
    const timeRuns = (k: number): number[] =>
      Array.from({ length: k }, () => {
        const t0 = performance.now();
        forecastSeries(series, { horizonMs: DAY_MS, quantiles: [0.5, 0.9] });
        return performance.now() - t0;
      });
    const csv = join(dir, 'speed.csv');
    const rows = ['timestamp,value'];
    series.values.forEach((v, i) => { if (!Number.isNaN(v)) rows.push(`${formatTimestamp(series.startMs + i * series.stepMs)},${v}`); });
    writeFileSync(csv, rows.join('\n') + '\n');
    const hist = join(dir, 'speed.txt');
    writeFileSync(hist, Array.from(series.values, (v) => (Number.isNaN(v) ? 'NA' : String(v))).join('\n') + '\n');
    const jobs = join(dir, 'jobs.tsv');
    writeFileSync(jobs, `history_csv\tday_steps\tweek_steps\thorizon\tout_csv\trepeats\n${hist}\t1440\t10080\t1440\t${join(dir, 'r.csv')}\t${R_REPEATS}\n`);
    // prescale, then R, then prescale again: this shared machine's load comes and goes over
    // seconds, so both sides are timed repeatedly and around each other; medians and minima.
    const runs = timeRuns(9);
    const out = execFileSync('Rscript', [join(import.meta.dirname, 'r', 'peers.R'), jobs], { encoding: 'utf8' });
    runs.push(...timeRuns(9));
    const [, , , rMedian, rMin] = out.trim().split('\n').pop()!.trim().split(/\s+/).map(Number);
    const procRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      execFileSync(process.execPath, [cli, 'forecast', '--input', csv, '--horizon', '1d', '--output', join(dir, 'out.csv')], { stdio: 'ignore' });
      procRuns.push(performance.now() - t0);
    }
    const inProcessMs = median(runs);
    const inProcessMinMs = Math.min(...runs);
    const rMstlMs = rMedian! * 1000;
    const rMstlMinMs = rMin! * 1000;
    return {
      window,
      model,
      points: n,
      inProcessMs,
      inProcessMinMs,
      processMs: median(procRuns),
      rMstlMs,
      rMstlMinMs,
      speedupVsR: rMstlMs / inProcessMs,
      speedupVsRMin: rMstlMinMs / inProcessMinMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
