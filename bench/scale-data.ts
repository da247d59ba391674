/**
 * Data for the scale benchmark (bench/scale.ts): N distinct 1-minute series in one Prometheus TSDB,
 * each a scaled and shifted copy of one of the bundled real traces that are long enough
 * (fixtures/traces: worldcup98 at 1 minute, the UK academic backbone, NAB's ASG misconfiguration and
 * its two Twitter mention counts at 5 minutes, NYC taxi at 30 minutes; the coarser ones linearly
 * interpolated to 1 minute, a gap stays a gap). Series i copies trace i mod 6 from an offset of
 * 211 minutes times i div 6 into the trace, multiplied by a factor in [0.5, 2), so no two series
 * are alike; values have two decimals.
 *
 * The series sit at fixed dates, [DATA_DAY - 28 days, DATA_DAY + 1 day) (the benchmark runs the
 * operator with its clock on DATA_DAY), inside one 365-day block window of promtool, so the
 * backfill is one pass over the input and one block. The TSDB is built once with
 * `promtool tsdb create-blocks-from openmetrics` from OpenMetrics text written to a file, and kept
 * in bench/.cache/scale/ (gitignored) with a manifest of the series, keyed by N.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS } from '../src/core/duration.js';
import { readCsvSamples } from '../test/support/prometheus.js';

const MIN = 60_000;
/** The day the benchmark's operator lives in (UTC midnight); 28 days of history lie before it. */
export const DATA_DAY_MS = Date.UTC(2026, 1, 1);
const FROM_MS = DATA_DAY_MS - 28 * DAY_MS;
const TO_MS = DATA_DAY_MS + DAY_MS;
/** Bump when the generated data changes, so an old cache is rebuilt. */
const VERSION = 1;
export const SCALE_METRIC = 'load';

/** Each is longer than the 29 days needed; each is read at its own step. */
const TRACES = ['worldcup98_1min', 'uk_academic_net_5min', 'nab_asg_misconfig_cpu_5min', 'nab_twitter_aapl_5min', 'nab_twitter_amzn_5min', 'nyc_taxi_30min'];

export interface ScaleSeries {
  /** Label value of `scaler` on SCALE_METRIC. */
  readonly id: string;
  readonly trace: string;
  readonly offsetMinutes: number;
  readonly factor: number;
  /** The series' 95th-percentile load / 20: the oracle needs about 20 replicas at that load. */
  readonly perReplica: number;
}

export interface ScaleData {
  /** The TSDB folder (blocks only); serve a copy of it, Prometheus writes next to its blocks. */
  readonly tsdb: string;
  /** Data covers [fromMs, toMs). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly series: readonly ScaleSeries[];
  /** True when the TSDB was built by this call (else found in the cache). */
  readonly built: boolean;
  /** Time spent building (generation + promtool), ms; 0 when cached. */
  readonly buildMs: number;
}

/** The 1-minute values of a trace from its first sample (linear interpolation between samples; NaN across gaps). */
function perMinute(path: string): Float64Array {
  const s = readCsvSamples(path);
  const t0 = s.timesMs[0]!;
  const n = Math.floor((s.timesMs[s.timesMs.length - 1]! - t0) / MIN) + 1;
  const out = new Float64Array(n).fill(NaN);
  // A step longer than an hour between two samples is a gap, not something to draw a line across.
  for (let i = 0; i + 1 < s.timesMs.length; i++) {
    const [ta, tb, va, vb] = [s.timesMs[i]!, s.timesMs[i + 1]!, s.values[i]!, s.values[i + 1]!];
    if (tb - ta > 60 * MIN || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
    for (let k = Math.ceil((ta - t0) / MIN); k * MIN + t0 < tb; k++) out[k] = va + ((vb - va) * (k * MIN + t0 - ta)) / (tb - ta);
  }
  const last = s.values[s.values.length - 1]!;
  if ((s.timesMs[s.timesMs.length - 1]! - t0) % MIN === 0) out[n - 1] = last;
  return out;
}

function p95(values: Float64Array): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  return v[Math.floor(0.95 * (v.length - 1))] ?? 1;
}

/** The TSDB for `count` series (built, or from the cache). */
export async function scaleData(root: string, count: number, log: (msg: string) => void): Promise<ScaleData> {
  const [fromMs, toMs] = [FROM_MS, TO_MS];
  const dir = join(root, 'bench', '.cache', 'scale', `v${VERSION}-${count}`);
  const manifestFile = join(dir, 'series.json');
  // Series i is the same whatever the count: a cache of more series serves too.
  const cacheRoot = join(root, 'bench', '.cache', 'scale');
  const cached = [dir, ...(existsSync(cacheRoot) ? readdirSync(cacheRoot) : []).filter((d) => d.startsWith(`v${VERSION}-`) && Number(d.slice(`v${VERSION}-`.length)) >= count).map((d) => join(cacheRoot, d))];
  for (const d of cached) {
    if (existsSync(join(d, 'series.json')) && existsSync(join(d, 'tsdb'))) {
      const series = (JSON.parse(readFileSync(join(d, 'series.json'), 'utf8')) as ScaleSeries[]).slice(0, count);
      return { tsdb: join(d, 'tsdb'), fromMs, toMs, series, built: false, buildMs: 0 };
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const points = (toMs - fromMs) / MIN;
  const traces = TRACES.map((name) => ({ name, values: perMinute(join(root, 'fixtures', 'traces', `${name}.csv`)) }));
  for (const t of traces) if (t.values.length < points) throw new Error(`${t.name}: ${t.values.length} minutes, under the ${points} needed`);
  const series: ScaleSeries[] = [];
  const om = join(dir, 'data.om');
  const out = createWriteStream(om);
  // Written byte by byte: number-to-text conversion would dominate (80+ million lines).
  const buf = Buffer.allocUnsafe(1 << 22);
  let off = 0;
  const flush = async (): Promise<void> => {
    const chunk = Buffer.from(buf.subarray(0, off));
    off = 0;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  off += buf.write(`# TYPE ${SCALE_METRIC} gauge\n`, off);
  const stamps = Array.from({ length: points }, (_, j) => Buffer.from(` ${fromMs / 1000 + j * 60}\n`));
  const digits = new Uint8Array(24);
  for (let i = 0; i < count; i++) {
    const t = traces[i % traces.length]!;
    const room = t.values.length - points;
    const offsetMinutes = (Math.floor(i / traces.length) * 211) % (room + 1);
    const factor = 0.5 + ((i * 0.6180339887498949) % 1) * 1.5;
    const values = t.values.subarray(offsetMinutes, offsetMinutes + points).map((v) => v * factor);
    const id = `s${String(i).padStart(4, '0')}`;
    series.push({ id, trace: t.name, offsetMinutes, factor: Number(factor.toFixed(6)), perReplica: Number((p95(values) / 20).toPrecision(4)) });
    const sel = Buffer.from(`${SCALE_METRIC}{scaler="${id}"} `);
    for (let j = 0; j < points; j++) {
      const v = values[j]!;
      if (!Number.isFinite(v)) continue;
      if (off > buf.length - 256) await flush();
      off += sel.copy(buf, off);
      // The value with two decimals.
      let x = Math.round(Math.abs(v) * 100);
      if (v < 0 && x > 0) buf[off++] = 45; // '-'
      let k = 0;
      do {
        digits[k++] = 48 + (x % 10);
        x = Math.floor(x / 10);
      } while (x > 0 || k < 3);
      for (let q = k - 1; q >= 0; q--) {
        buf[off++] = digits[q]!;
        if (q === 2) buf[off++] = 46; // '.'
      }
      off += stamps[j]!.copy(buf, off);
    }
    if ((i + 1) % 500 === 0) log(`scale data: ${i + 1} of ${count} series written`);
  }
  off += buf.write('# EOF\n', off);
  await flush();
  out.end();
  await once(out, 'finish');
  log(`scale data: promtool backfill of ${count} series x ${points} minutes`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=8760h', om, join(dir, 'tsdb')], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('close', resolve);
  });
  rmSync(om);
  if (code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`promtool backfill failed (exit ${code})`);
  }
  writeFileSync(manifestFile, JSON.stringify(series) + '\n');
  return { tsdb: join(dir, 'tsdb'), fromMs, toMs, series, built: true, buildMs: performance.now() - started };
}
