/**
 * `npm run bench`: every benchmark, printed as Markdown tables (for BENCHMARKS.md) and saved as
 * JSON in bench/results.json. Select parts with arguments: `npm run bench -- accuracy speed`
 * (parts: accuracy, speed, prometheus, sanity, scaling, scale, large, startup, soak, events).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type CoverageOverDays, type Score, type TraceCoverage, benchAccuracy, benchSpeed, coverageAllTraces, coverageOverDays, inCoverageTarget } from './accuracy.js';
import { benchPrometheus } from './prometheus.js';
import { benchScaling, scalingTables } from './scaling.js';
import { benchScale, scaleOptionsFromArgv, scaleTables } from './scale.js';
import { benchSanity } from './sanity.js';
import { benchLarge, benchStartup, largeTables, startupTables } from './large.js';
import { benchSoak, soakOptionsFromArgv, soakTables } from './soak.js';
import { benchEvents, eventsTables } from './events.js';
import { median } from '../src/forecast/linalg.js';

const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'fixtures', 'traces');
const parts = process.argv.slice(2);
const want = (p: string) => parts.length === 0 || parts.includes(p);
const results: Record<string, unknown> = {
  machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
};
const f = (v: number | null, d = 3) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));

function accuracyTables(scores: Score[]): string {
  const traces = [...new Set(scores.map((s) => s.trace))];
  const methods = [...new Set(scores.map((s) => s.method))];
  const get = (t: string, m: string) => scores.find((s) => s.trace === t && s.method === m);
  const out: string[] = [];
  for (const [title, key, d] of [['MASE', 'mase', 3], ['sMAPE %', 'smape', 1]] as const) {
    out.push(`\n#### ${title}\n`, `| trace | ${methods.join(' | ')} |`, `|---|${methods.map(() => '---:').join('|')}|`);
    for (const t of traces) out.push(`| ${t} | ${methods.map((m) => f(get(t, m)?.[key] ?? null, d)).join(' | ')} |`);
    out.push(`| **median** | ${methods.map((m) => f(median(traces.map((t) => get(t, m)![key]).filter(Number.isFinite)), d)).join(' | ')} |`);
  }
  const qm = methods.filter((m) => get(traces[0]!, m)?.coverage90 !== null);
  out.push('\n#### p90 coverage (target 0.85–0.95)\n', `| trace | ${qm.join(' | ')} |`, `|---|${qm.map(() => '---:').join('|')}|`);
  for (const t of traces) out.push(`| ${t} | ${qm.map((m) => f(get(t, m)?.coverage90 ?? null)).join(' | ')} |`);
  const med = (m: string) => median(traces.map((t) => get(t, m)?.mase ?? NaN).filter(Number.isFinite));
  const baselines = ['seasonal-naive-day', 'seasonal-naive-week', 'R snaive', 'R stlf', 'R mstl', 'R dshw'];
  const bestBase = baselines.reduce((b, m) => (med(m) < med(b) ? m : b));
  // The best baseline of each trace, chosen after the fact (a bar no single method sets).
  const perTraceBest = traces.map((t) => Math.min(...baselines.map((m) => get(t, m)?.mase ?? NaN).filter(Number.isFinite)));
  const bestOf = median(perTraceBest);
  const ratio = (a: number, b: number, within: number) => `${f(a)} vs ${f(b)} (ratio ${f(a / b)}): ${a / b <= within ? 'target met' : 'TARGET MISSED'}`;
  const bestEs = ['R dshw', 'R stlf'].reduce((b, m) => (med(m) < med(b) ? m : b));
  const covs = traces.map((t) => get(t, 'auto')!.coverage90!);
  out.push(
    '',
    `- median MASE: auto ${f(med('auto'))} vs best baseline ${bestBase} ${f(med(bestBase))} (ratio ${f(med('auto') / med(bestBase))}): ${med('auto') < med(bestBase) ? 'target met' : 'TARGET MISSED'}`,
    `- median MASE, auto vs the median of each trace's best baseline (${baselines.join(', ')}), target <= 0.95x: ${ratio(med('auto'), bestOf, 0.95)}`,
    `- median MASE, mstl vs R mstl, target <= 1.05x: ${ratio(med('mstl'), med('R mstl'), 1.05)}`,
    `- median MASE, holt-winters vs R's best exponential smoothing (${bestEs}; of R dshw, R stlf), target <= 1.05x: ${ratio(med('holt-winters'), med(bestEs), 1.05)}`,
    `- auto p90 coverage range ${f(Math.min(...covs))}–${f(Math.max(...covs))}: ${covs.every(inCoverageTarget) ? 'target met' : 'TARGET MISSED on ' + traces.filter((_, i) => !inCoverageTarget(covs[i]!)).join(', ')}`,
  );
  return out.join('\n');
}

function coverageTable(all: TraceCoverage[]): string {
  const covs = all.map((c) => c.coverage90).filter((c): c is number => c !== null);
  const inRange = covs.filter(inCoverageTarget).length;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return [
    '\n#### p90 coverage of auto on every bundled trace (same protocol)\n',
    '| trace | auto |',
    '|---|---:|',
    ...all.map((c) => `| ${c.trace} | ${f(c.coverage90)} |`),
    '',
    `- ${inRange} of ${covs.length} traces within 0.85–0.95; mean ${f(mean(covs))}, mean distance from 0.9 ${f(mean(covs.map((c) => Math.abs(c - 0.9))), 4)}`,
  ].join('\n');
}

function overDaysTable(all: CoverageOverDays[]): string {
  const inRange = all.filter((c) => inCoverageTarget(c.coverage90)).length;
  // The chance that one window of 7 days has every trace in range, were the traces independent.
  const pAll = all.reduce((p, c) => p * (c.windows > 0 ? c.windowsInRange / c.windows : 1), 1);
  return [
    '\n#### p90 coverage of auto over every day with a week of history (up to the last 21)\n',
    '| trace | days | pooled | sd of one day\'s | windows of 7 days within 0.85–0.95 |',
    '|---|---:|---:|---:|---:|',
    ...all.map((c) => `| ${c.trace} | ${c.days} | ${f(c.coverage90)} | ${f(c.dailySd)} | ${c.windowsInRange} of ${c.windows} |`),
    '',
    `- pooled over all these days: ${inRange} of ${all.length} traces within 0.85–0.95`,
    `- share of 7-day windows with every trace within 0.85–0.95, the traces taken as independent: ${f(pAll, 2)} (the benchmark scores the last window)`,
  ].join('\n');
}

if (want('accuracy')) {
  const scores = await benchAccuracy(fixtures);
  results.accuracy = scores;
  console.log('\n### Forecast accuracy (rolling origin: 7 origins 1 day apart, horizon 1 day, history <= 35 days)');
  console.log(accuracyTables(scores));
  const all = await coverageAllTraces(fixtures);
  results.coverageAllTraces = all;
  console.log(coverageTable(all));
  const overDays = await coverageOverDays(fixtures);
  results.coverageOverDays = overDays;
  console.log(overDaysTable(overDays));
}

if (want('speed')) {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const speeds = await benchSpeed(fixtures, join(root, 'dist', 'cli', 'main.js'));
  results.speed = speeds;
  console.log('\n### Forecast speed (28 days of 1-minute data = 40,320 points, auto, 1-day horizon)\n');
  console.log('| worldcup98_1min window | auto chose | prescale in-process, median / fastest ms | R mstl + forecast, median / fastest ms | R / prescale on medians | on the fastest | whole `prescale forecast` process ms |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const s of speeds) {
    console.log(`| ${s.window} | ${s.model} | ${f(s.inProcessMs, 1)} / ${f(s.inProcessMinMs, 1)} | ${f(s.rMstlMs, 0)} / ${f(s.rMstlMinMs, 0)} | ${f(s.speedupVsR, 1)}x | ${f(s.speedupVsRMin, 1)}x | ${f(s.processMs, 0)} |`);
  }
  console.log('\nprescale: 18 runs after 3 warm-up runs (9 before R, 9 after); R: 7 runs in one R process; the process: 3 runs.');
  for (const s of speeds) {
    console.log(`- ${s.window}: in-process ${s.inProcessMs < 1000 ? '< 1 s: target met' : '>= 1 s: TARGET MISSED'}; R mstl / prescale ${f(s.speedupVsR, 1)}x on medians (target >= 10x: ${s.speedupVsR >= 10 ? 'met' : 'MISSED'})`);
  }
}

if (want('prometheus')) {
  const p = await benchPrometheus();
  results.prometheus = p;
  console.log('\n### Prometheus source (28 days at a 1-minute step from a real local Prometheus)\n');
  console.log('| measure | ms | target |\n|---|---:|---|');
  console.log(`| cold read of 28 days (median) | ${f(p.coldMs, 0)} | < 1500 |`);
  console.log(`| incremental tick (median) | ${f(p.tickMs, 1)} | < 20 |`);
}

if (want('sanity')) {
  const rows = await benchSanity(fixtures);
  results.sanity = rows;
  const total = rows.reduce((a, r) => a + r.over, 0);
  console.log('\n### Forecast sanity: every daily origin of every bundled trace (a week of history or more, up to 35 days, auto, 1 day ahead)\n');
  console.log('| trace | origins | p90 > 1.5x training max | worst p90 / training max | at | model |\n|---|---:|---:|---:|---|---|');
  for (const r of rows) console.log(`| ${r.trace} | ${r.origins} | ${r.over} | ${f(r.worst, 2)} | ${r.worstAt} | ${r.worstModel} |`);
  console.log(`\n- ${total} of ${rows.reduce((a, r) => a + r.origins, 0)} forecasts over 1.5x their training window's max: ${total === 0 ? 'target met' : 'TARGET MISSED'}`);
}

if (want('scaling')) {
  const sc = await benchScaling(fixtures);
  results.scaling = sc;
  console.log('\n' + scalingTables(sc));
}

if (want('scale')) {
  const flags = parts.filter((p) => p.startsWith('--') || /^\d/.test(p));
  const sc = await benchScale(scaleOptionsFromArgv(flags, `npm run bench -- ${parts.join(' ')}`));
  results.scale = sc;
  console.log('\n' + scaleTables(sc));
}

// Large input and start-up (bench/large.ts): `npm run bench -- large startup`.
if (want('large')) {
  const r = await benchLarge();
  results.large = r;
  console.log('\n' + largeTables(r));
}

if (want('startup')) {
  const r = benchStartup();
  results.startup = r;
  console.log('\n' + startupTables(r));
}

// Soak (bench/soak.ts): `npm run bench -- soak [--minutes N]`, 30 minutes unless told.
if (want('soak')) {
  const r = await benchSoak(soakOptionsFromArgv(parts, `npm run bench -- ${parts.join(' ')}`));
  results.soak = r;
  console.log('\n' + soakTables(r));
}

// Event calendar (bench/events.ts): `npm run bench -- events`.
if (want('events')) {
  const r = await benchEvents(fixtures);
  results.events = r;
  console.log('\n' + eventsTables(r));
}

// Parts not run this time keep their last figures.
const resultsFile = join(import.meta.dirname, 'results.json');
const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(resultsFile, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
console.log(`\nmachine: ${results.machine as string}`);
