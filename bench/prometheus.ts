/**
 * Prometheus read benchmark: a real server (test/support/prometheus.ts) holding 29 days of
 * fixtures/traces/worldcup98_1min.csv; measures a cold 28-day read at a 1-minute step (40,320
 * points, 4 chunk requests) and the incremental tick that follows (tail + overlap only).
 * Targets: cold < 1.5 s, tick < 20 ms.
 * Run alone: `node --import tsx bench/prometheus.ts` (prints JSON).
 */
import { pathToFileURL } from 'node:url';
import { SimulatedClock } from '../src/core/clock.js';
import { HistoryWindow } from '../src/metrics/history.js';
import { PrometheusSource } from '../src/metrics/prometheus.js';
import { readCsvSamples, sliceSamples, startPrometheus } from '../test/support/prometheus.js';
import { median } from '../src/forecast/linalg.js';

const MIN = 60_000;
const DAY = 86_400_000;
const FROM = Date.UTC(1998, 4, 1);

export interface PrometheusBench {
  /** First cold read of 28 days through a fresh HistoryWindow, ms (includes connection set-up). */
  coldFirstMs: number;
  /** Median of the cold reads, ms (target < 1500). */
  coldMs: number;
  /** Median incremental tick (tail of overlap + 1 step), ms (target < 20). */
  tickMs: number;
  /** 95th-percentile tick, ms. */
  tickP95Ms: number;
  points: number;
  coldReads: number;
  ticks: number;
  /** Harness set-up: CSV -> OpenMetrics -> promtool backfill, and start until /-/ready, ms. */
  backfillMs: number;
  readyMs: number;
}

export async function benchPrometheus(opts: { coldReads?: number; ticks?: number } = {}): Promise<PrometheusBench> {
  const coldReads = opts.coldReads ?? 5;
  const ticks = opts.ticks ?? 25;
  const samples = sliceSamples(readCsvSamples('fixtures/traces/worldcup98_1min.csv'), FROM, FROM + 29 * DAY);
  const server = await startPrometheus([{ metric: 'worldcup_requests', samples }]);
  try {
    const source = new PrometheusSource({ url: server.url, query: 'worldcup_requests' }, { clock: new SimulatedClock(0) });
    const opts28 = { stepMs: MIN, historyMs: 28 * DAY };
    const now0 = FROM + 28 * DAY - MIN;
    const cold: number[] = [];
    let window = new HistoryWindow(source, opts28);
    let points = 0;
    for (let i = 0; i < coldReads; i++) {
      window = new HistoryWindow(source, opts28);
      const t = performance.now();
      points = (await window.read(now0)).values.length;
      cold.push(performance.now() - t);
    }
    const tick: number[] = [];
    for (let k = 1; k <= ticks; k++) {
      const t = performance.now();
      await window.read(now0 + k * MIN);
      tick.push(performance.now() - t);
    }
    const sorted = [...tick].sort((a, b) => a - b);
    const round = (x: number): number => Math.round(x * 100) / 100;
    return {
      coldFirstMs: round(cold[0]!),
      coldMs: round(median(cold)),
      tickMs: round(median(tick)),
      tickP95Ms: round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!),
      points,
      coldReads,
      ticks,
      backfillMs: round(server.timings.backfillMs),
      readyMs: round(server.timings.readyMs),
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchPrometheus(), null, 2));
}
