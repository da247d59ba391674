/**
 * Scale benchmark: the real `prescale operator` process, built (`node dist/cli/main.js`, as the
 * image runs it; test/support/operator-process.ts), with N
 * PredictiveScalers (default 2,000), each with its own HPA, against the in-process API server
 * (test/support/fake-apiserver.ts, real HTTP) and one real Prometheus (test/support/prometheus.ts)
 * holding N distinct series of 1-minute data with 28 days of history behind every minute read
 * (bench/scale-data.ts). Every scaler is the minimal spec, Enforce, with the defaults that matter
 * here: a 1-minute metric step and tick, 28 days of history, hourly refits, 30-minute plan steps.
 *
 * The figures are the operator's own, read from its /metrics (scraped every 30 s, the
 * ServiceMonitor's interval): scheduling lag (`prescale_scheduling_lag_seconds`: when a pass
 * started minus when it was due), resident memory, CPU seconds, Prometheus requests
 * (`prescale_prometheus_requests_total`).
 *
 * Time. The operator's wall clock is moved (libfaketime, a fixed offset; the process and its code
 * are otherwise untouched) to the data's day: the process starts at W - warm-up budget (its clock),
 * lists the scalers and runs every first pass (the cold 28-day reads and the day's model search),
 * then, after `settle` (default 5 minutes: the passes that fell due during the warm-up, and waited
 * behind it, catch up), the window runs for `window` (default 10 minutes); it starts at W when the
 * warm-up is not done by then. Each
 * scaler refits at its own minute of the hour and runs its daily search at its own hour
 * (src/control/reconcile.ts refitSchedule), so a window of minutes holds its share of both: about
 * a sixth of the hourly refits and a 144th of the daily searches. Per scaler-hour figures are the
 * window's rates over an hour; the window must see every refit that fell due in it.
 *
 * Then the same scalers with two processes, `--shard 0/2` and `--shard 1/2`, started together an
 * hour later (each with its own API credentials, so the API server's request log says who wrote
 * what): each must write the status of exactly the scalers whose shard it is (FNV-1a of
 * namespace/name), no scaler written by both or by neither, and every refit due in the window done.
 *
 * Targets (2-core machine): lag p99 < 5 s, RSS < 512 MiB.
 *
 * Run alone: `node --import tsx bench/scale.ts [--scalers N] [--window DUR] [--settle DUR]
 * [--warmup DUR] [--concurrency N] [--no-shards]` (JSON and Markdown on stdout, progress on
 * stderr); `npm run bench -- scale [the same flags]` saves the result in bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDuration } from '../src/core/duration.js';
import { type Scaler, parseScaler } from '../src/config/scaler.js';
import { refitAtFor } from '../src/control/schedule.js';
import { shardOf } from '../src/operator/informer.js';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../test/support/fake-apiserver.js';
import { type OperatorProcess, dump, startOperator } from '../test/support/operator-process.js';
import { type PromServer, servePrometheus } from '../test/support/prometheus.js';
import { DATA_DAY_MS, SCALE_METRIC, type ScaleSeries, scaleData } from './scale-data.js';

const ROOT = join(import.meta.dirname, '..');
const MIN = 60_000;
const HOUR = 60 * MIN;
const SCALERS = ['prescale.dev/v1alpha1', 'predictivescalers'] as const;
const NAMESPACES = 20;
/** The ServiceMonitor's scrape interval (manifests/monitoring/service-monitor.yaml). */
const SCRAPE_MS = 30_000;

export interface ScaleOptions {
  scalers: number;
  /** The measured window after the warm-up, ms. */
  windowMs: number;
  /** Time between the warm-up's end and the window, ms: the passes that fell due during the warm-up catch up. */
  settleMs: number;
  /** Time allowed for the start-up passes before the window, ms. */
  warmupMs: number;
  /** The operator's --concurrency (undefined: its default). */
  concurrency?: number;
  shards: boolean;
  /** How the run was asked for (printed with the figures). */
  command: string;
}

export const defaultScaleOptions = (scalers = 2000): ScaleOptions => ({
  scalers,
  windowMs: 10 * MIN,
  settleMs: 5 * MIN,
  // The first pass of each scaler reads 28 days cold and runs the day's model search: 0.1-0.5 s of
  // CPU; 2,000 took 20-25 minutes on the shared development machine.
  warmupMs: Math.max(3 * MIN, Math.ceil((scalers * 900) / MIN) * MIN),
  shards: true,
  command: 'npm run bench -- scale',
});

/** One operator process's figures. */
export interface ProcessFigures {
  process: string;
  /** Scalers this process handles. */
  scalers: number;
  /** `seconds` null: not every first pass was done when the window began (`pendingAtWindowStart` were not). */
  warmup: { seconds: number | null; pendingAtWindowStart: number; cpuSeconds: number; prometheusRequests: number; rssMiB: number };
  window: {
    /** Operator-clock start and end (ISO), and the length in minutes. */
    from: string;
    to: string;
    minutes: number;
    passes: number;
    lagP50Seconds: number;
    lagP99Seconds: number;
    /** Upper bound of the histogram bucket holding the largest lag. */
    lagMaxBucketSeconds: number;
    rssMiB: number;
    rssMaxMiB: number;
    heapUsedMiB: number;
    /** V8 heap committed, and memory outside it (array buffers: the history windows), at the end. */
    heapTotalMiB: number;
    externalMiB: number;
    cpuSeconds: number;
    prometheusRequests: number;
    /** Scalers whose refit fell due in the window (by their refit phase). */
    refitsDue: number;
    /** Of those, how many had refitted for it by the window's end (status lastRefitTime). */
    refitsDone: number;
  };
  perScalerHour: { cpuSeconds: number; prometheusRequests: number };
  rssPerScalerKiB: number;
}

export interface ShardCheck {
  /** Scalers whose status only their own shard wrote. */
  handledByOwner: number;
  /** Written by both shards, or by the wrong one. */
  handledTwiceOrWrong: string[];
  /** Not written by any shard. */
  missed: string[];
  /** Refits due in the shard run's window and not done by its end. */
  notRefitted: string[];
  perShard: number[];
}

export interface ScaleResult {
  machine: string;
  command: string;
  scalers: number;
  options: { windowMinutes: number; settleMinutes: number; warmupBudgetMinutes: number; concurrency: string };
  data: { built: boolean; buildSeconds: number; seriesPoints: number };
  single: ProcessFigures;
  shards?: { figures: ProcessFigures[]; check: ShardCheck };
  /** Prometheus' own count of query_range requests over both runs (a cross-check of the operator's). */
  prometheusServerQueryRange: number;
  loadAverage: number[];
  totalSeconds: number;
}

type Sample = Map<string, number>;

/** The text exposition as `name{labels}` -> value (no timestamps, no comments). */
function parseExposition(text: string): Sample {
  const out: Sample = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

async function scrape(url: string): Promise<Sample> {
  const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(20_000) });
  return parseExposition(await r.text());
}

const get = (s: Sample, key: string): number => s.get(key) ?? 0;
const LAG = 'prescale_scheduling_lag_seconds';

/** Buckets of a histogram (cumulative counts by upper bound) between two scrapes. */
function bucketDelta(a: Sample, b: Sample, name: string): Array<{ le: number; count: number }> {
  const out: Array<{ le: number; count: number }> = [];
  for (const [k, v] of b) {
    const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(k);
    if (m) out.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: v - get(a, k) });
  }
  return out.sort((x, y) => x.le - y.le);
}

/** histogram_quantile's answer: linear within the bucket holding the rank. */
export function histogramQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

function maxBucket(buckets: ReadonlyArray<{ le: number; count: number }>): number {
  let prev = 0;
  let prevLe = 0;
  for (const b of buckets) {
    if (b.count > prev) prevLe = b.le;
    prev = b.count;
  }
  return prevLe;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x: number, d = 3): number => Number(x.toFixed(d));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function hpa(ns: string, name: string): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 50, metrics: [] },
  };
}

/** The minimal spec, Enforce: everything the benchmark relies on is a default (1m step and tick, 28d history, 1h refit). */
function scaler(ns: string, s: ScaleSeries): KubeObject {
  return {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name: s.id, namespace: ns },
    spec: {
      mode: 'Enforce',
      target: { kind: 'HorizontalPodAutoscaler', name: s.id },
      metric: { query: `${SCALE_METRIC}{scaler="${s.id}"}` },
      capacity: { perReplica: s.perReplica },
      plan: { leadTime: '5m' },
      minReplicas: 2,
      maxReplicas: 50,
    },
  };
}

/** `cp -al`: the folder tree of `from` at `to`, each file a hard link. */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (e.isDirectory()) await linkTree(join(from, e.name), join(to, e.name));
    else await link(join(from, e.name), join(to, e.name));
  }
}

const namespaceOf = (i: number): string => `team-${String(i % NAMESPACES).padStart(2, '0')}`;

/** libfaketime's preload library; installs Debian's `faketime` when missing (as the accuracy bench installs R). */
function libfaketime(): string {
  const find = (): string | undefined => {
    for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
      const p = join(dir, 'faketime', 'libfaketime.so.1');
      if (existsSync(p)) return p;
    }
    return undefined;
  };
  let lib = find();
  if (!lib) {
    console.error('scale: installing faketime (libfaketime) with apt-get');
    const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
    execFileSync('bash', ['-c', `${sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${sudo}apt-get install -y -qq --no-install-recommends faketime >/dev/null`], { stdio: 'inherit' });
    lib = find();
  }
  if (!lib) throw new Error('libfaketime not found after installing faketime');
  return lib;
}

/** The runtime settings the install's Deployment gives the process (MALLOC_ARENA_MAX, NODE_OPTIONS), literal values only. */
function deploymentRuntimeEnv(): Record<string, string> {
  const doc = parseYaml(readFileSync(join(ROOT, 'manifests', 'operator', 'deployment.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
  };
  const out: Record<string, string> = {};
  for (const e of doc.spec.template.spec.containers[0]?.env ?? []) if (['MALLOC_ARENA_MAX', 'NODE_OPTIONS'].includes(e.name) && e.value !== undefined) out[e.name] = e.value;
  return out;
}

/** Operator processes whose wall clock runs `offsetS` seconds from the real one. */
interface Run {
  readonly offsetMs: number;
  readonly procs: Array<{ name: string; op: OperatorProcess; keys: Set<string> }>;
  /** Operator-clock now. */
  now(): number;
  sleepUntil(opMs: number): Promise<void>;
}

async function startRun(
  names: Array<{ name: string; shard?: string; token?: string; keys: Set<string> }>,
  startAtOpMs: number,
  ctx: { kubeconfig: (token?: string) => Promise<string>; prom: PromServer; lib: string; concurrency?: number },
): Promise<Run> {
  const offsetS = Math.round((startAtOpMs - Date.now()) / 1000);
  const offsetMs = offsetS * 1000;
  const env = { ...deploymentRuntimeEnv(), LD_PRELOAD: ctx.lib, FAKETIME: `${offsetS >= 0 ? '+' : ''}${offsetS}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  const procs = await Promise.all(
    names.map(async (n) => {
      const args = ['--kubeconfig', await ctx.kubeconfig(n.token), '--prometheus', ctx.prom.url, ...(n.shard ? ['--shard', n.shard] : []), ...(ctx.concurrency ? ['--concurrency', String(ctx.concurrency)] : [])];
      return { name: n.name, op: await startOperator(args, env, { built: true }), keys: n.keys };
    }),
  );
  const now = (): number => Date.now() + offsetMs;
  return { offsetMs, procs, now, sleepUntil: (opMs) => sleep(opMs - now()) };
}

/**
 * Waits until every scaler of `keys` has a status `field` (lastDecision.time or lastRefitTime) at or
 * after `sinceMs` (polling the API server), or until the real time `deadlineRealMs`. Returns the
 * operator-clock time it happened, or the number still pending at the deadline.
 */
async function waitForPasses(api: FakeApiServer, keys: Set<string>, sinceMs: number, deadlineRealMs: number, field: 'lastDecision' | 'lastRefitTime', run: Run): Promise<{ doneAt: number } | { pending: number }> {
  for (;;) {
    let pending = 0;
    for (const o of api.list(...SCALERS)) {
      const key = `${o.metadata!.namespace}/${o.metadata!.name}`;
      if (!keys.has(key)) continue;
      const st = o.status as { lastDecision?: { time: string }; lastRefitTime?: string } | undefined;
      const t = field === 'lastDecision' ? st?.lastDecision?.time : st?.lastRefitTime;
      if (t === undefined || Date.parse(t) < sinceMs) pending++;
    }
    if (pending === 0) return { doneAt: run.now() };
    if (Date.now() > deadlineRealMs) return { pending };
    for (const p of run.procs) if (p.op.child.exitCode !== null) throw new Error(`scale: operator ${p.name} exited (${p.op.child.exitCode}):\n${dump(p.op.logs)}`);
    await sleep(1000);
  }
}

/** The refit-grid point each scaler's floor at `tMs` comes from (its own phase: refitSchedule). */
type RefitAt = (key: string, tMs: number) => number;

/** Status lastRefitTime of each of `keys`, ms (NaN when none). */
function lastRefits(api: FakeApiServer, keys: Set<string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of api.list(...SCALERS)) {
    const key = `${o.metadata!.namespace}/${o.metadata!.name}`;
    if (keys.has(key)) out.set(key, Date.parse(String((o.status as { lastRefitTime?: string } | undefined)?.lastRefitTime)));
  }
  return out;
}

/**
 * Scalers of `keys` whose refit fell due in the window (after fromMs, a tick or more before toMs,
 * so its pass has had the time to run), and those of them not refitted for it by now.
 */
function refitsIn(api: FakeApiServer, keys: Set<string>, fromMs: number, toMs: number, refitAt: RefitAt): { due: number; missing: string[] } {
  const last = lastRefits(api, keys);
  let due = 0;
  const missing: string[] = [];
  for (const key of keys) {
    const at = refitAt(key, toMs - MIN);
    if (at <= fromMs) continue;
    due++;
    if (!(last.get(key)! >= at)) missing.push(key);
  }
  return { due, missing };
}

/**
 * Starts the processes at W - warm-up budget (their clock), waits for every first pass, then
 * measures `window` from W (or the warm-up's end). Returns each process's figures.
 */
async function measure(
  api: FakeApiServer,
  prom: PromServer,
  windowAtMs: number,
  procSpecs: Array<{ name: string; shard?: string; token?: string; keys: Set<string> }>,
  o: ScaleOptions,
  ctx: { kubeconfig: (token?: string) => Promise<string>; lib: string; log: (m: string) => void; refitAt: RefitAt },
): Promise<{ figures: ProcessFigures[]; run: Run; fromMs: number; toMs: number }> {
  const startAt = windowAtMs - o.warmupMs;
  const run = await startRun(procSpecs, startAt, { ...ctx, prom, ...(o.concurrency ? { concurrency: o.concurrency } : {}) });
  const startedOp = run.now();
  ctx.log(`scale: ${procSpecs.map((p) => p.name).join(', ')} started at ${iso(startedOp)} (operator clock, ${Math.round(run.offsetMs / 1000)} s from the real one); window from ${iso(windowAtMs)}`);
  const start = await Promise.all(run.procs.map((p) => scrape(p.op.metricsUrl)));
  const all = new Set(procSpecs.flatMap((p) => [...p.keys]));
  // Warm-up: every first pass, by W at the latest (then the window starts anyway, and says so).
  const warmed = await waitForPasses(api, all, startedOp - 1000, Date.now() + (windowAtMs - run.now()), 'lastDecision', run);
  const warmEnd = 'doneAt' in warmed ? warmed.doneAt : undefined;
  const warm = await Promise.all(run.procs.map((p) => scrape(p.op.metricsUrl)));
  ctx.log(warmEnd !== undefined ? `scale: warm-up done in ${Math.round((warmEnd - startedOp) / 1000)} s` : `scale: warm-up not done at the window's start: ${(warmed as { pending: number }).pending} scalers without a first pass`);

  // No refit boundary to wait for (refits are spread over the hour): the window follows the
  // warm-up once the passes that fell due during it (and waited behind it) are done.
  const fromMs = warmEnd === undefined ? windowAtMs : warmEnd + o.settleMs;
  const toMs = fromMs + o.windowMs;
  await run.sleepUntil(fromMs);
  const scrapes: Sample[][] = [];
  const scrapeAll = async (): Promise<Sample[]> => {
    const s = await Promise.all(run.procs.map((p) => scrape(p.op.metricsUrl)));
    scrapes.push(s);
    return s;
  };
  const atFrom = await scrapeAll();
  const ticker = setInterval(() => void scrapeAll().catch(() => undefined), SCRAPE_MS);
  try {
    await run.sleepUntil(toMs);
    clearInterval(ticker);
    const atTo = await scrapeAll();
    for (const p of run.procs) if (p.op.child.exitCode !== null) throw new Error(`scale: operator ${p.name} exited (${p.op.child.exitCode}):\n${dump(p.op.logs)}`);
    const figures = run.procs.map((p, i): ProcessFigures => {
      const [s0, w, a, z] = [start[i]!, warm[i]!, atFrom[i]!, atTo[i]!];
      const cpu = (x: Sample): number => get(x, 'prescale_process_cpu_seconds_total');
      const req = (x: Sample): number => get(x, 'prescale_prometheus_requests_total');
      const buckets = bucketDelta(a, z, LAG);
      const n = p.keys.size;
      const windowH = (toMs - fromMs) / HOUR;
      const rss = scrapes.map((s) => get(s[i]!, 'prescale_process_resident_memory_bytes'));
      const refits = refitsIn(api, p.keys, fromMs, toMs, ctx.refitAt);
      return {
        process: p.name,
        scalers: n,
        warmup: { seconds: warmEnd === undefined ? null : round((warmEnd - startedOp) / 1000, 0), pendingAtWindowStart: 'pending' in warmed ? warmed.pending : 0, cpuSeconds: round(cpu(w) - cpu(s0), 1), prometheusRequests: req(w) - req(s0), rssMiB: mib(get(w, 'prescale_process_resident_memory_bytes')) },
        window: {
          from: iso(fromMs),
          to: iso(toMs),
          minutes: round((toMs - fromMs) / MIN, 1),
          passes: get(z, 'prescale_reconcile_duration_seconds_count') - get(a, 'prescale_reconcile_duration_seconds_count'),
          lagP50Seconds: round(histogramQuantile(0.5, buckets)),
          lagP99Seconds: round(histogramQuantile(0.99, buckets)),
          lagMaxBucketSeconds: maxBucket(buckets),
          rssMiB: mib(get(z, 'prescale_process_resident_memory_bytes')),
          rssMaxMiB: mib(Math.max(...rss)),
          heapUsedMiB: mib(get(z, 'prescale_nodejs_heap_size_used_bytes')),
          heapTotalMiB: mib(get(z, 'prescale_nodejs_heap_size_total_bytes')),
          externalMiB: mib(get(z, 'prescale_nodejs_external_memory_bytes')),
          cpuSeconds: round(cpu(z) - cpu(a), 1),
          prometheusRequests: req(z) - req(a),
          refitsDue: refits.due,
          refitsDone: refits.due - refits.missing.length,
        },
        perScalerHour: {
          cpuSeconds: round((cpu(z) - cpu(a)) / (n * windowH), 4),
          prometheusRequests: round((req(z) - req(a)) / (n * windowH), 2),
        },
        rssPerScalerKiB: round((get(z, 'prescale_process_resident_memory_bytes') / n) / 1024, 0),
      };
    });
    return { figures, run, fromMs, toMs };
  } finally {
    clearInterval(ticker);
  }
}

/** Who wrote each scaler's status (the API server's request log from `fromIndex`), against the shard each belongs to. */
function checkShards(api: FakeApiServer, fromIndex: number, keys: readonly string[], shards: number, window: { fromMs: number; toMs: number }, refitAt: RefitAt): ShardCheck {
  const writers = new Map<string, Set<string>>(keys.map((k) => [k, new Set()]));
  for (const r of api.requests.slice(fromIndex)) {
    if (r.method !== 'PATCH' || r.status >= 300) continue;
    const m = /^\/apis\/prescale\.dev\/v1alpha1\/namespaces\/([^/]+)\/predictivescalers\/([^/]+)\/status$/.exec(r.path);
    if (m) writers.get(`${m[1]}/${m[2]}`)?.add(r.user ?? '?');
  }
  const twice: string[] = [];
  const missed: string[] = [];
  const perShard = Array.from({ length: shards }, () => 0);
  let byOwner = 0;
  for (const [key, who] of writers) {
    const owner = `shard-${shardOf(key, shards)}`;
    if (who.size === 0) missed.push(key);
    else if (who.size > 1 || !who.has(owner)) twice.push(key);
    else {
      byOwner++;
      perShard[shardOf(key, shards)]!++;
    }
  }
  const notRefitted = refitsIn(api, new Set(keys), window.fromMs, window.toMs, refitAt).missing;
  return { handledByOwner: byOwner, handledTwiceOrWrong: twice, missed, notRefitted, perShard };
}

export async function benchScale(o: ScaleOptions, log: (m: string) => void = (m) => console.error(m)): Promise<ScaleResult> {
  const t0 = performance.now();
  const lib = libfaketime();
  // The operator runs as the image runs it: the built JavaScript, without the TypeScript loader.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const data = await scaleData(ROOT, o.scalers, log);
  log(`scale: data ${data.built ? `built in ${Math.round(data.buildMs / 1000)} s` : 'from bench/.cache/scale'}`);
  const promDir = await mkdtemp(join(tmpdir(), 'prescale-scale-prom-'));
  // Hard links to the cached blocks: Prometheus writes its WAL (and may compact) next to them, and
  // never changes a block's files in place.
  await linkTree(data.tsdb, join(promDir, 'tsdb'));
  const prom = await servePrometheus(promDir, { readyTimeoutS: 120 });
  const api = await startFakeApiServer({ maxEvents: 100_000 });
  const dir = await mkdtemp(join(tmpdir(), 'prescale-scale-'));
  const procs: OperatorProcess[] = [];
  try {
    const keys: string[] = [];
    data.series.forEach((s, i) => {
      const ns = namespaceOf(i);
      api.create(hpa(ns, s.id));
      api.create(scaler(ns, s));
      keys.push(`${ns}/${s.id}`);
    });
    let kc = 0;
    const kubeconfig = (token?: string): Promise<string> => api.writeKubeconfig(join(dir, `kubeconfig-${kc++}`), token ? { token } : {});
    // Each scaler's refit grid, as the operator computes it from its spec.
    const parsed = new Map<string, Scaler>(
      data.series.map((s, i) => {
        const r = parseScaler(JSON.stringify(scaler(namespaceOf(i), s)), s.id);
        if (!r.ok) throw new Error(`scale: ${s.id}: ${JSON.stringify(r.problems)}`);
        return [`${namespaceOf(i)}/${s.id}`, r.scaler] as const;
      }),
    );
    const refitAt: RefitAt = (key, tMs) => refitAtFor(parsed.get(key)!, tMs);
    const ctx = { kubeconfig, lib, log, refitAt };

    // One process, all scalers; the window from noon of the data's day.
    const w1 = DATA_DAY_MS + 12 * HOUR;
    const single = await measure(api, prom, w1, [{ name: 'single', keys: new Set(keys) }], o, ctx);
    procs.push(...single.run.procs.map((p) => p.op));
    for (const p of single.run.procs) {
      const code = await p.op.stop('SIGTERM');
      if (code !== 0) throw new Error(`scale: operator exited ${code} on SIGTERM`);
    }

    // Two shards, the same scalers, an hour later.
    let shards: ScaleResult['shards'];
    if (o.shards) {
      const fromIndex = api.requests.length;
      const w2 = w1 + HOUR;
      const specs = [0, 1].map((i) => ({ name: `shard ${i}/2`, shard: `${i}/2`, token: api.addUser(`shard-${i}`), keys: new Set(keys.filter((k) => shardOf(k, 2) === i)) }));
      const sharded = await measure(api, prom, w2, specs, o, ctx);
      procs.push(...sharded.run.procs.map((p) => p.op));
      for (const p of sharded.run.procs) await p.op.stop('SIGTERM');
      shards = { figures: sharded.figures, check: checkShards(api, fromIndex, keys, 2, sharded, refitAt) };
    }
    const promSelf = await scrape(prom.url);
    let queryRange = 0;
    for (const [k, v] of promSelf) if (k.startsWith('prometheus_http_requests_total{') && k.includes('handler="/api/v1/query_range"')) queryRange += v;
    return {
      machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      command: o.command,
      scalers: o.scalers,
      options: { windowMinutes: o.windowMs / MIN, settleMinutes: o.settleMs / MIN, warmupBudgetMinutes: o.warmupMs / MIN, concurrency: o.concurrency ? String(o.concurrency) : 'default (4)' },
      data: { built: data.built, buildSeconds: round(data.buildMs / 1000, 0), seriesPoints: (data.toMs - data.fromMs) / MIN },
      single: single.figures[0]!,
      ...(shards ? { shards } : {}),
      prometheusServerQueryRange: queryRange,
      loadAverage: loadavg().map((x) => round(x, 2)),
      totalSeconds: round((performance.now() - t0) / 1000, 0),
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await api.close();
    await prom.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Markdown for BENCHMARKS.md. */
export function scaleTables(r: ScaleResult): string {
  const rows = [r.single, ...(r.shards?.figures ?? [])];
  const col = (f: (p: ProcessFigures) => string | number): string => rows.map((p) => String(f(p))).join(' | ');
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const out = [
    `\n### Scale: ${r.scalers} scalers, one process, then two shards\n`,
    `Window per run (operator clock): ${r.options.windowMinutes} minutes, from ${r.options.settleMinutes} minutes after the warm-up (the passes that fell due during it catch up); each scaler refits at its own minute of the hour and searches at its own hour of the day, so the window holds its share of both, and per scaler-hour figures are the window's rates over an hour.\n`,
    `| measure | ${rows.map((p) => p.process).join(' | ')} |`,
    `|---|${rows.map(() => '---:').join('|')}|`,
    `| scalers handled | ${col((p) => p.scalers)} |`,
    `| window (operator clock) | ${col((p) => `${p.window.from.slice(11, 16)}–${p.window.to.slice(11, 19)} (${p.window.minutes} min)`)} |`,
    `| passes in the window | ${col((p) => p.window.passes)} |`,
    `| scheduling lag p50 (s) | ${col((p) => p.window.lagP50Seconds)} |`,
    `| scheduling lag p99 (s), target < 5 | ${col((p) => p.window.lagP99Seconds)} |`,
    `| largest lag, bucket upper bound (s) | ${col((p) => p.window.lagMaxBucketSeconds)} |`,
    `| refits due in the window, done | ${col((p) => `${p.window.refitsDue}, ${p.window.refitsDone}`)} |`,
    `| RSS at the window's end (MiB), target < 512 | ${col((p) => p.window.rssMiB)} |`,
    `| RSS, highest scrape in the window (MiB) | ${col((p) => p.window.rssMaxMiB)} |`,
    `| V8 heap used / committed at the end (MiB) | ${col((p) => `${p.window.heapUsedMiB} / ${p.window.heapTotalMiB}`)} |`,
    `| memory outside the V8 heap (array buffers), MiB | ${col((p) => p.window.externalMiB)} |`,
    `| RSS per scaler (KiB) | ${col((p) => p.rssPerScalerKiB)} |`,
    `| CPU seconds per scaler-hour | ${col((p) => p.perScalerHour.cpuSeconds)} |`,
    `| Prometheus requests per scaler-hour | ${col((p) => p.perScalerHour.prometheusRequests)} |`,
    `| warm-up: every first pass done (s) | ${col((p) => p.warmup.seconds ?? `not by the window's start (${p.warmup.pendingAtWindowStart} pending)`)} |`,
    `| warm-up: CPU seconds, Prometheus requests | ${col((p) => `${p.warmup.cpuSeconds}, ${p.warmup.prometheusRequests}`)} |`,
    '',
    `- lag p99 < 5 s: ${rows.map((p) => `${p.process} ${verdict(p.window.lagP99Seconds < 5)}`).join(', ')}`,
    `- RSS < 512 MiB (highest scrape after warm-up): ${rows.map((p) => `${p.process} ${verdict(p.window.rssMaxMiB < 512)}`).join(', ')}`,
  ];
  if (r.shards) {
    const c = r.shards.check;
    const ok = c.missed.length === 0 && c.handledTwiceOrWrong.length === 0 && c.notRefitted.length === 0;
    out.push(
      `- shards: ${c.handledByOwner} of ${r.scalers} scalers written only by their own shard (${c.perShard.join(' + ')}); written twice or by the wrong shard: ${c.handledTwiceOrWrong.length}; missed: ${c.missed.length}; refits due in the window not done: ${c.notRefitted.length}: ${ok ? 'as required' : '**FAILED**'}`,
    );
  }
  out.push(
    `- Prometheus' own count of query_range requests over both runs: ${r.prometheusServerQueryRange}`,
    `- data: ${r.data.built ? `built in ${r.data.buildSeconds} s` : 'TSDB from bench/.cache/scale'}; load average at the end ${r.loadAverage.join(', ')}; the whole part took ${Math.round(r.totalSeconds / 60)} minutes`,
  );
  return out.join('\n');
}

function parseArgs(argv: readonly string[]): ScaleOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const o = defaultScaleOptions(Number(value('--scalers') ?? 2000));
  const dur = (flag: string, dflt: number): number => (value(flag) === undefined ? dflt : parseDuration(value(flag)!));
  const concurrency = value('--concurrency');
  return {
    ...o,
    windowMs: dur('--window', o.windowMs),
    settleMs: dur('--settle', o.settleMs),
    warmupMs: dur('--warmup', o.warmupMs),
    ...(concurrency ? { concurrency: Number(concurrency) } : {}),
    shards: !argv.includes('--no-shards'),
    command: `node --import tsx bench/scale.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`,
  };
}

/** The options as given on a command line (`npm run bench -- scale --warmup 20m` passes them on). */
export function scaleOptionsFromArgv(argv: readonly string[], command: string): ScaleOptions {
  return { ...parseArgs(argv), command };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchScale(parseArgs(process.argv.slice(2)));
  console.log(JSON.stringify(r, null, 2));
  console.log(scaleTables(r));
}
