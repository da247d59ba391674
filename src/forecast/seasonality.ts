/**
 * Seasonality detection: which of a few candidate cycles (hour, day, week) a load series really
 * has, with a reason for every verdict. Pure: arrays in, a report out.
 *
 * Method, per candidate cycle P:
 * 1. Feasibility: at least MIN_SAMPLES_PER_CYCLE samples per cycle at the series' step, and at
 *    least MIN_CYCLES whole cycles between the first and the last present sample.
 * 2. Aggregation: the series is averaged into buckets so that sampling noise does not hide the
 *    cycle (a daily cycle in 1-minute data has an ACF at lag 1440 pulled down by minute-level noise).
 *    The bucket is the largest shorter candidate that divides P (a week is tested on daily means,
 *    a day on hourly means), which also averages the shorter cycle out: otherwise a purely daily
 *    series would show the same autocorrelation at lag 7 d as at lag 1 d and pass for weekly.
 *    Without such a candidate the bucket is ~P/24 (at least one step).
 * 3. Detrending: a centred moving average spanning exactly one cycle (the 2xP average when P is
 *    even, as in classical decomposition) is removed. A one-cycle window contains every phase
 *    once, so it follows the level without absorbing the cycle itself. At the edges the window is
 *    clamped inside the series (still exactly one cycle), so no history is thrown away.
 * 4. Test: the autocorrelation r_P of the detrended buckets at the cycle's lag must
 *    (a) exceed the large-lag Bartlett bound 1.96 * sqrt((1 + 2 * sum_{k<P} r_k^2) / n), the 95%
 *        two-sided limit for r_P under the null that the series is MA(P-1) (Box, Jenkins & Reinsel,
 *        Time Series Analysis, sec. 6.2; the same test as R's `forecast` seasonality checks and
 *        darts' `check_seasonality`);
 *    (b) reach MIN_EFFECT: with long histories the bound tends to 0 and tiny, useless correlations
 *        become "significant"; below 0.2 a cycle explains under ~20% of the detrended variance
 *        at that lag, too little for a seasonal model to beat a level forecast;
 *    (c) be a local peak of the ACF: r_P >= r at a quarter cycle either side (lags P -+ P/4). A
 *        slowly decaying ACF (trend residue, random walk) is high at every lag and fails this; a
 *        real cycle peaks at its period. The immediate neighbours (P -+ 1 bucket) are not used:
 *        with 24 buckets per cycle they sit at cos(2*pi/24) = 0.97 of the peak, closer than their
 *        sampling error, so noise alone would reject a real weak cycle.
 * 5. Or, when the ACF test fails or the history is too short for it: a one-way ANOVA of the
 *    detrended buckets by phase (phaseAnova) with p < ANOVA_ALPHA and a phase share of the variance
 *    >= MIN_EFFECT, r_P > 0 and the local peak of (c). The verdict's reason names which test passed.
 *
 * Why both: the Bartlett bound is conservative for strong cycles. For a clean sine observed for C
 * cycles, r_P ~ (C-1)/C while the bound ~ 1.96/sqrt(C), so the ACF test alone declares even a
 * perfect cycle only after about 6 cycles of history (6 days for daily, 6 weeks for weekly). The
 * ANOVA has power from MIN_CYCLES cycles on, which is what finds a weekly cycle in a few weeks.
 * The MIN_CYCLES rule of step 1 only explains the obvious cases with a clearer reason.
 */
import { invalidInput } from '../core/errors.js';
import { DAY_MS, HOUR_MS, WEEK_MS, formatDuration } from '../core/duration.js';
import { fSurvival } from './stats.js';

/** Candidate cycles tried by default, ms: 1 hour, 1 day, 1 week. */
export const DEFAULT_SEASONALITY_CANDIDATES_MS: readonly number[] = [HOUR_MS, DAY_MS, WEEK_MS];

/** A cycle needs this many samples per cycle at the series' step (below, its shape is not sampled). */
export const MIN_SAMPLES_PER_CYCLE = 4;
/** A cycle needs this many whole cycles of history (one cycle cannot show that it repeats). */
export const MIN_CYCLES = 2;
/** Minimum autocorrelation at the cycle's lag, whatever the sample size (see the header). */
export const MIN_EFFECT = 0.2;
/** Significance level of the phase ANOVA (strict: three candidates are tested, and load is autocorrelated). */
export const ANOVA_ALPHA = 0.001;
/** Two-sided 95% normal quantile used with the Bartlett standard error. */
const Z_95 = 1.96;
/** A bucket with fewer present samples than this share is a gap (its mean would be noisy). */
const MIN_BUCKET_COVERAGE = 0.5;

export interface SeasonalityCandidate {
  /** The candidate cycle, ms. */
  readonly periodMs: number;
  readonly found: boolean;
  /** Autocorrelation of the detrended, aggregated series at the cycle's lag; null when not computed. */
  readonly acf: number | null;
  /** Why it was (not) found, for logs and status. */
  readonly reason: string;
}

export interface SeasonalityReport {
  /** The cycles found, ms, ascending. */
  readonly periodsMs: number[];
  /** One verdict per candidate, in ascending order of period. */
  readonly candidates: SeasonalityCandidate[];
}

/**
 * Detects which candidate cycles `values` has. `values` is a regular series at `stepMs` (ms);
 * NaN marks gaps. `candidatesMs` are cycle lengths in ms (default: hour, day, week).
 */
export function detectSeasonality(
  values: Float64Array,
  stepMs: number,
  candidatesMs: readonly number[] = DEFAULT_SEASONALITY_CANDIDATES_MS,
): SeasonalityReport {
  if (!(stepMs > 0) || !Number.isFinite(stepMs)) throw invalidInput(`seasonality: step must be a positive number of ms (got ${stepMs})`);
  const sorted = [...new Set(candidatesMs)].sort((a, b) => a - b);
  const span = presentSpan(values);
  const candidates = sorted.map((p) => testCandidate(values, stepMs, p, sorted, span));
  return { periodsMs: candidates.filter((c) => c.found).map((c) => c.periodMs), candidates };
}

/** Periods in ms to whole steps (rounded), e.g. [86_400_000] at a 5-minute step -> [288]. */
export function periodsInSteps(periodsMs: readonly number[], stepMs: number): number[] {
  return periodsMs.map((p) => Math.round(p / stepMs));
}

interface Span {
  readonly first: number;
  readonly last: number;
}

/** Index of the first and last present (non-NaN) sample; first > last when there is none. */
function presentSpan(values: Float64Array): Span {
  let first = 0;
  while (first < values.length && Number.isNaN(values[first]!)) first++;
  let last = values.length - 1;
  while (last >= first && Number.isNaN(values[last]!)) last--;
  return { first, last };
}

function testCandidate(
  values: Float64Array,
  stepMs: number,
  periodMs: number,
  all: readonly number[],
  span: Span,
): SeasonalityCandidate {
  const verdict = (found: boolean, acf: number | null, reason: string): SeasonalityCandidate => ({ periodMs, found, acf, reason });
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) return verdict(false, null, 'not a positive period');
  const perCycle = periodMs / stepMs;
  if (perCycle < MIN_SAMPLES_PER_CYCLE) {
    return verdict(false, null, `period below ${MIN_SAMPLES_PER_CYCLE} samples at this step (${fmtNum(perCycle)} samples of ${formatDuration(stepMs)})`);
  }
  const historyMs = span.last >= span.first ? (span.last - span.first + 1) * stepMs : 0;
  if (historyMs < MIN_CYCLES * periodMs) {
    return verdict(false, null, `history ${fmtSpan(historyMs, periodMs)} < ${MIN_CYCLES} cycles (${fmtSpan(MIN_CYCLES * periodMs, periodMs)})`);
  }
  const factor = Math.max(1, Math.round(bucketMs(periodMs, all) / stepMs));
  const lag = Math.round(periodMs / (factor * stepMs));
  const buckets = aggregate(values, span, factor);
  const x = detrend(buckets, lag);
  const quarter = Math.max(1, Math.round(lag / 4));
  const { acf, n } = autocorrelation(x, lag + quarter);
  const rP = acf[lag]!;
  if (n < 2 * lag || !Number.isFinite(rP)) {
    return verdict(false, null, `too few present samples after aggregation (${n} buckets of ${formatDuration(factor * stepMs)})`);
  }
  // The biased ACF of even a perfectly repeating series is at most ~(n - lag) / n, and the Bartlett
  // bound is at least 1.96 / sqrt(n): when the first cannot beat the second, the history is too
  // short for the test whatever the data (e.g. 14 days for a weekly cycle: 0.5 < 0.52).
  const best = (n - lag) / n;
  const floor = Z_95 / Math.sqrt(n);
  const quarterPeak = rP >= acf[lag - quarter]! && rP >= acf[Math.min(lag + quarter, acf.length - 1)]!;
  const anova = phaseAnova(x, lag);
  const anovaWhy = `phase ANOVA F ${fmtNum(anova.f)}, p ${anova.p.toExponential(1)}, phase share ${fmtNum(anova.share)}`;
  const anovaFound = anova.p < ANOVA_ALPHA && anova.share >= MIN_EFFECT && rP > 0 && quarterPeak;
  if (best <= Math.max(floor, MIN_EFFECT)) {
    if (anovaFound) return verdict(true, rP, `${anovaWhy} (significant with few cycles)`);
    return verdict(false, rP, `history too short to test (${n} buckets of ${formatDuration(factor * stepMs)}): even a perfect cycle gives acf <= ${fmtNum(best)}, bound >= ${fmtNum(Math.max(floor, MIN_EFFECT))}`);
  }
  let sumSq = 0;
  for (let k = 1; k < lag; k++) sumSq += acf[k]! * acf[k]!;
  const bartlett = Z_95 * Math.sqrt((1 + 2 * sumSq) / n);
  const threshold = Math.max(bartlett, MIN_EFFECT);
  const why = `threshold ${fmtNum(threshold)} = max(Bartlett ${fmtNum(bartlett)}, min effect ${MIN_EFFECT}) on ${n} buckets of ${formatDuration(factor * stepMs)}`;
  if (!(rP > threshold)) {
    if (anovaFound) return verdict(true, rP, `${anovaWhy} (significant; acf ${fmtNum(rP)} <= ${why})`);
    return verdict(false, rP, `acf ${fmtNum(rP)} <= ${why} (not significant)`);
  }
  const before = acf[lag - quarter]!;
  const after = acf[lag + quarter]!;
  if (rP < before || rP < after) {
    return verdict(false, rP, `acf ${fmtNum(rP)} is not a local peak (acf a quarter cycle either side: ${fmtNum(before)}, ${fmtNum(after)})`);
  }
  return verdict(true, rP, `acf ${fmtNum(rP)} > ${why} (significant)`);
}

/**
 * One-way ANOVA of the detrended buckets grouped by phase (bucket index mod lag): does the phase
 * explain the variance? Unlike the ACF test it has power with few cycles, which matters because
 * the history is four or five weeks: a scaler's `metric.history` (28 days by default, DEFAULTS in
 * config/scaler-types.ts; a weekly cycle in its daily means is F(6, 21)) or, without one, the
 * engine's DEFAULT_MAX_HISTORY_MS (35 days: F(6, 28)).
 * `share` is the phase's share of the variance (eta squared).
 */
function phaseAnova(x: Float64Array, lag: number): { f: number; p: number; share: number } {
  const sum = new Float64Array(lag);
  const cnt = new Float64Array(lag);
  let total = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    const phase = i % lag; // in [0, lag): i >= 0
    sum[phase] = sum[phase]! + v;
    cnt[phase] = cnt[phase]! + 1;
    total += v;
    n++;
  }
  const mean = total / n;
  let between = 0;
  let groups = 0;
  for (let k = 0; k < lag; k++) {
    if (cnt[k]! === 0) continue;
    groups++;
    between += cnt[k]! * (sum[k]! / cnt[k]! - mean) ** 2;
  }
  let within = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) continue;
    within += (v - sum[i % lag]! / cnt[i % lag]!) ** 2;
  }
  const d1 = groups - 1;
  const d2 = n - groups;
  if (d1 < 1 || d2 < 1 || !(within > 0)) return { f: NaN, p: 1, share: 0 };
  const f = between / d1 / (within / d2);
  return { f, p: fSurvival(f, d1, d2), share: between / (between + within) };
}

/** Aggregation bucket for testing `periodMs`, ms (see the header, step 2). */
function bucketMs(periodMs: number, all: readonly number[]): number {
  for (let i = all.length - 1; i >= 0; i--) {
    const c = all[i]!;
    if (c >= periodMs || c <= 0) continue;
    const ratio = periodMs / c;
    if (Math.abs(ratio - Math.round(ratio)) < 1e-9 && ratio >= MIN_SAMPLES_PER_CYCLE) return c;
  }
  return periodMs / 24;
}

/** Means of `factor` consecutive samples over the present span; sparse or partial buckets (under half full) are NaN. */
function aggregate(values: Float64Array, span: Span, factor: number): Float64Array {
  const len = span.last - span.first + 1;
  const n = Math.ceil(len / factor);
  const out = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    const from = span.first + b * factor;
    const to = Math.min(span.last + 1, from + factor);
    let sum = 0;
    let c = 0;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (!Number.isNaN(v)) {
        sum += v;
        c++;
      }
    }
    out[b] = c >= MIN_BUCKET_COVERAGE * factor && c > 0 ? sum / c : NaN;
  }
  return out;
}

/**
 * `x` minus its centred moving average over exactly one cycle of `lag` samples (the 2xlag average
 * for an even lag: half weight on both end points). Windows are clamped inside the series; gaps
 * are skipped (the average is over present samples, weights renormalised).
 */
function detrend(x: Float64Array, lag: number): Float64Array {
  const n = x.length;
  const even = lag % 2 === 0;
  const half = Math.floor(lag / 2);
  // Prefix sums of present values and counts make each window O(1).
  const sum = new Float64Array(n + 1);
  const cnt = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const present = !Number.isNaN(v);
    sum[i + 1] = sum[i]! + (present ? v : 0);
    cnt[i + 1] = cnt[i]! + (present ? 1 : 0);
  }
  const width = even ? lag + 1 : lag;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i]!)) {
      out[i] = NaN;
      continue;
    }
    let a = i - half;
    if (a < 0) a = 0;
    if (a + width > n) a = Math.max(0, n - width);
    const b = Math.min(n, a + width);
    let s = sum[b]! - sum[a]!;
    let c = cnt[b]! - cnt[a]!;
    if (even && b - a === width) {
      // End points carry half weight in the 2xlag moving average.
      for (const e of [a, b - 1]) {
        const v = x[e]!;
        if (!Number.isNaN(v)) {
          s -= v / 2;
          c -= 0.5;
        }
      }
    }
    out[i] = c > 0 ? x[i]! - s / c : NaN;
  }
  return out;
}

/**
 * Sample autocorrelation r_0..r_maxLag of `x` (gaps skipped): the usual biased estimator
 * sum over present pairs of (x_t - mean)(x_{t+k} - mean) / sum over present of (x_t - mean)^2.
 * `n` is the number of present samples.
 */
export function autocorrelation(x: Float64Array, maxLag: number): { acf: Float64Array; n: number } {
  let n = 0;
  let mean = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v)) {
      n++;
      mean += v;
    }
  }
  const acf = new Float64Array(maxLag + 1).fill(NaN);
  if (n === 0) return { acf, n };
  mean /= n;
  const d = new Float64Array(x.length);
  let denom = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    d[i] = Number.isNaN(v) ? 0 : v - mean;
    denom += d[i]! * d[i]!;
  }
  if (!(denom > 0)) return { acf, n };
  for (let k = 0; k <= maxLag; k++) {
    let s = 0;
    for (let i = 0; i + k < d.length; i++) s += d[i]! * d[i + k]!;
    acf[k] = s / denom;
  }
  return { acf, n };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const fmtNum = (v: number): string => (Number.isFinite(v) ? String(round2(v)) : String(v));

/** A history length in the unit of the cycle it is compared with: "1.5 d", "10 h", "2.1 w". */
function fmtSpan(ms: number, periodMs: number): string {
  const [unit, size] = periodMs >= WEEK_MS ? ['w', WEEK_MS] : periodMs >= DAY_MS ? ['d', DAY_MS] : ['h', HOUR_MS];
  return `${Math.round((ms / size) * 10) / 10} ${unit}`;
}
