/**
 * Soak benchmark: the real `prescale operator` process (test/support/operator-process.ts) with 500
 * PredictiveScalers, each with its own HPA, against the in-process API server
 * (test/support/fake-apiserver.ts, real HTTP) and one real Prometheus behind a fault proxy
 * (test/support/fault-proxy.ts), for 30 minutes of real time with random faults every few seconds.
 *
 * Data: every scaler reads its own series, a shifted and scaled copy of the bundled
 * uk_academic_net_5min trace (9 days of 5-minute samples running to an hour past the end of the
 * run), backfilled once with promtool from OpenMetrics text streamed to a file.
 *
 * Faults, from a seeded RNG (mulberry32), one every 2-6 s: Prometheus answers 500, 429 with
 * Retry-After, late within the scaler's timeout, or a truncated body, to the next 1-5 queries, or
 * late past the timeout to the next 1-2; the API server answers 409 or 500 to the next 1-5 HPA patches or scaler status
 * writes, refuses HPA patches with 403 for 5-15 s (a role change, then put back), cuts every watch
 * (mid-event or cleanly), or forgets its change log and cuts them (the re-watch gets 410 Gone).
 *
 * Measured: the process alive throughout; no unhandled rejection or uncaught exception in its
 * output; its resident memory (VmRSS from /proc/PID/status every 10 s) after the warm-up (the
 * first 5 minutes), with its least-squares slope in MiB per hour; at the end every HPA's
 * minReplicas within [its original, its maxReplicas] and its annotation consistent (absent with
 * minReplicas at the original, or the original itself), checked over every stored version of it.
 *
 * Run alone: `node --import tsx bench/soak.ts [--minutes N] [--scalers N] [--seed N]` (default 30
 * minutes, 500 scalers, seed 14; SOAK_MINUTES sets the duration too); `npm run bench -- soak
 * [--minutes N]` saves the result in bench/results.json. The recorded figure is a 30-minute run.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../test/support/fake-apiserver.js';
import { type Fault, type FaultProxy, startFaultProxy } from '../test/support/fault-proxy.js';
import { type OperatorProcess, dump, startOperator } from '../test/support/operator-process.js';
import { type PromServer, readCsvSamples, servePrometheus } from '../test/support/prometheus.js';

const ROOT = join(import.meta.dirname, '..');
const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 24 * 60 * MIN;
const HISTORY_DAYS = 9;
/** The first 5 minutes (a third of a shorter trial run) are left out of the memory figures. */
const WARMUP_MS = 5 * MIN;
const SAMPLE_MS = 10_000;
const NAMESPACES = 10;
const METRIC = 'soak_load';
const ANNOTATION = 'prescale.dev/original-min-replicas';
const HPAS = ['autoscaling/v2', 'horizontalpodautoscalers'] as const;
/** Each scaler's Prometheus timeout; a slow answer is late either within it or past it. */
const PROM_TIMEOUT_MS = 10_000;
/** Targets: resident memory flat after warm-up. */
const SLOPE_TARGET_MIB_PER_HOUR = 10;

export interface SoakOptions {
  minutes: number;
  scalers: number;
  seed: number;
  command: string;
}

interface Target {
  ns: string;
  name: string;
  original: number;
  max: number;
}

export interface SoakResult {
  command: string;
  machine: string;
  scalers: number;
  minutes: number;
  warmupMinutes: number;
  seed: number;
  faults: Record<string, number>;
  /** Prometheus queries the operator made through the proxy, and how many got a fault. */
  promRequests: number;
  promFaulted: number;
  apiRequests: number;
  alive: boolean;
  exit: string | null;
  unhandled: string[];
  logLines: Record<string, number>;
  rssSamples: Array<{ s: number; mib: number }>;
  rssAfterWarmup: { first: number; last: number; min: number; max: number; median: number } | null;
  slopeMiBPerHour: number | null;
  hpasChecked: number;
  hpaVersions: number;
  floorsAboveOriginal: number;
  violations: string[];
  setupMs: { data: number; prometheus: number };
}

/** mulberry32: a small seeded PRNG, [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => void process.stderr.write(`soak: ${msg}\n`);

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

async function rssMiB(pid: number): Promise<number | null> {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Writes every scaler's series as OpenMetrics (streamed: 500 x 9 days of 5-minute samples is
 * ~1.3 million lines) and backfills it with promtool into `dir`/tsdb.
 */
async function backfill(dir: string, targets: readonly Target[], endMs: number, rand: () => number): Promise<void> {
  const trace = readCsvSamples(join(ROOT, 'fixtures/traces/uk_academic_net_5min.csv')).values;
  const n = (HISTORY_DAYS * DAY) / STEP;
  const start = endMs - (n - 1) * STEP;
  const om = join(dir, 'data.om');
  const out = createWriteStream(om);
  const write = (s: string): Promise<void> => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r())));
  await write(`# TYPE ${METRIC} gauge\n`);
  for (const t of targets) {
    const offset = Math.floor(rand() * (trace.length - n));
    const scale = 0.2 + rand() * 1.8;
    const sel = `${METRIC}{namespace="${t.ns}",scaler="${t.name}"}`;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const v = trace[offset + i]!;
      lines.push(`${sel} ${Number.isFinite(v) ? Math.round(v * scale * 1000) / 1000 : 'NaN'} ${(start + i * STEP) / 1000}`);
    }
    await write(lines.join('\n') + '\n');
  }
  await write('# EOF\n');
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=8760h', om, join(dir, 'tsdb')], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('close', resolve);
  });
  await rm(om);
  if (code !== 0) throw new Error(`promtool backfill failed (exit ${code})`);
}

function scalerObject(t: Target, promUrl: string): KubeObject {
  return {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name: t.name, namespace: t.ns },
    spec: {
      mode: 'Enforce',
      target: { kind: 'HorizontalPodAutoscaler', name: t.name },
      metric: {
        query: `${METRIC}{namespace="${t.ns}",scaler="${t.name}"}`,
        step: '5m',
        history: '8d',
        prometheus: { url: promUrl, timeout: `${PROM_TIMEOUT_MS / 1000}s` },
      },
      capacity: { perReplica: 370 },
      // A refit every 5 minutes: every scaler meets Prometheus faults several times a run.
      forecast: { model: 'seasonal-naive-day', horizon: '6h', refitInterval: '5m' },
      plan: { leadTime: '5m', tickInterval: '1m' },
      minReplicas: 1,
      maxReplicas: 60,
    },
  } as KubeObject;
}

function hpaObject(t: Target): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: t.name, namespace: t.ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: t.name }, minReplicas: t.original, maxReplicas: t.max, metrics: [] },
  };
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const between = (rand: () => number, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));

/** One random fault; returns its name. Denials are lifted by the timer it sets. */
function injectFault(rand: () => number, api: FakeApiServer, proxy: FaultProxy, timers: Set<NodeJS.Timeout>): string {
  const kind = pick(rand, ['prom-500', 'prom-429', 'prom-slow', 'prom-timeout', 'prom-truncated', 'api-409', 'api-500', 'api-403', 'watch-cut', 'watch-410'] as const);
  // A few queries each: with one fault every few seconds most queries still get through.
  const prom = (f: Fault, most = 5): void => proxy.inject(...Array.from({ length: between(rand, 1, most) }, () => f));
  switch (kind) {
    case 'prom-500':
      prom({ kind: 'status', status: 500 });
      break;
    case 'prom-429':
      prom({ kind: 'status', status: 429, retryAfter: '2' });
      break;
    case 'prom-slow':
      prom({ kind: 'delay', ms: between(rand, 1000, PROM_TIMEOUT_MS / 2) });
      break;
    case 'prom-timeout':
      prom({ kind: 'delay', ms: PROM_TIMEOUT_MS + 2000 }, 2);
      break;
    case 'prom-truncated':
      prom({ kind: 'truncate', fraction: rand() * 0.9 });
      break;
    case 'api-409':
    case 'api-500': {
      const resource = pick(rand, ['horizontalpodautoscalers', 'predictivescalers/status'] as const);
      api.failNext({ resource, status: kind === 'api-409' ? 409 : 500, count: between(rand, 1, 5) });
      break;
    }
    case 'api-403': {
      const rule = { verb: 'patch', group: 'autoscaling', resource: 'horizontalpodautoscalers' } as const;
      api.deny(rule);
      const timer = setTimeout(() => {
        timers.delete(timer);
        api.allow(rule);
      }, between(rand, 5000, 15000));
      timers.add(timer);
      break;
    }
    case 'watch-cut':
      api.cutWatches({ midEvent: rand() < 0.5 });
      break;
    case 'watch-410':
      api.compact();
      api.cutWatches({});
      break;
  }
  return kind;
}

/** Scans (and then drops) the log lines collected so far. */
function scanLogs(op: OperatorProcess, levels: Record<string, number>, unhandled: string[]): void {
  const lines = op.logs.splice(0, op.logs.length);
  for (const l of lines) {
    const level = typeof l.level === 'number' ? ({ 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' } as Record<number, string>)[l.level] ?? String(l.level) : typeof l.level === 'string' ? l.level : 'text';
    levels[level] = (levels[level] ?? 0) + 1;
    const text = JSON.stringify(l);
    if (/unhandled|uncaught/i.test(text) && unhandled.length < 20) unhandled.push(text.slice(0, 500));
  }
}

/** Every stored version of every HPA: minReplicas within [original, max], the annotation only the original, and present whenever a floor is in force. */
function checkHpas(api: FakeApiServer, targets: readonly Target[]): { versions: number; above: number; violations: string[] } {
  const violations: string[] = [];
  let versions = 0;
  let above = 0;
  for (const t of targets) {
    const history = api.history(...HPAS, t.ns, t.name);
    versions += history.length;
    const bad = (what: string): void => void (violations.length < 50 && violations.push(`${t.ns}/${t.name}: ${what}`));
    for (const [i, v] of history.entries()) {
      const min = (v.spec as { minReplicas?: number }).minReplicas;
      const max = (v.spec as { maxReplicas?: number }).maxReplicas;
      const a = v.metadata?.annotations?.[ANNOTATION];
      const when = i === history.length - 1 ? 'at the end' : `in version ${i + 1} of ${history.length}`;
      if (typeof min !== 'number' || min < t.original || min > t.max) bad(`minReplicas ${String(min)} ${when} outside [${t.original}, ${t.max}]`);
      if (max !== t.max) bad(`maxReplicas ${String(max)} ${when}, not ${t.max}`);
      if (a !== undefined && a !== String(t.original)) bad(`annotation ${a} ${when}, not the original ${t.original}`);
      if (min !== t.original && a === undefined) bad(`floor ${String(min)} ${when} without the original recorded`);
    }
    const last = history[history.length - 1];
    if (!last) bad('HPA gone');
    else if ((last.spec as { minReplicas: number }).minReplicas > t.original) above++;
  }
  return { versions, above, violations };
}

export async function benchSoak(o: SoakOptions): Promise<SoakResult> {
  const rand = rng(o.seed);
  const runMs = o.minutes * MIN;
  const warmupMs = Math.min(WARMUP_MS, runMs / 3);
  const targets: Target[] = Array.from({ length: o.scalers }, (_, i) => {
    const original = between(rand, 1, 5);
    return { ns: `soak-${i % NAMESPACES}`, name: `app-${i}`, original, max: between(rand, Math.max(original + 2, 8), 40) };
  });
  const dir = await mkdtemp(join(tmpdir(), 'prescale-soak-'));
  const promDir = await mkdtemp(join(tmpdir(), 'prescale-soak-prom-'));
  let prom: PromServer | undefined;
  let proxy: FaultProxy | undefined;
  let api: FakeApiServer | undefined;
  let op: OperatorProcess | undefined;
  const timers = new Set<NodeJS.Timeout>();
  try {
    const t0 = performance.now();
    const endMs = Math.ceil((Date.now() + runMs + 60 * MIN) / STEP) * STEP;
    log(`backfilling ${o.scalers} series x ${HISTORY_DAYS} days of 5-minute data`);
    await backfill(promDir, targets, endMs, rand);
    const dataMs = performance.now() - t0;
    prom = await servePrometheus(promDir);
    const promMs = performance.now() - t0 - dataMs;
    proxy = await startFaultProxy(prom.url);
    api = await startFakeApiServer();
    for (const t of targets) {
      api.create(hpaObject(t));
      api.create(scalerObject(t, proxy.url));
    }
    const kubeconfig = await api.writeKubeconfig(join(dir, 'kubeconfig'));
    log(`data ${Math.round(dataMs)} ms, Prometheus ready ${Math.round(promMs)} ms; starting the operator for ${o.minutes} min`);
    op = await startOperator(['--kubeconfig', kubeconfig, '--prometheus', proxy.url]);
    const pid = op.child.pid!;
    const started = Date.now();
    const faults: Record<string, number> = {};
    const levels: Record<string, number> = {};
    const unhandled: string[] = [];
    const rssSamples: Array<{ s: number; mib: number }> = [];
    let promRequests = 0;
    let promFaulted = 0;
    let apiRequests = 0;
    const drainRecords = (): void => {
      promRequests += proxy!.requests.length;
      promFaulted += proxy!.requests.filter((r) => r.fault !== undefined).length;
      proxy!.requests.length = 0;
      apiRequests += api!.requests.length;
      api!.requests.length = 0;
    };
    let nextFault = started + between(rand, 2000, 6000);
    let nextSample = started;
    let nextReport = started + MIN;
    while (Date.now() - started < runMs && op.child.exitCode === null && op.child.signalCode === null) {
      const now = Date.now();
      if (now >= nextSample) {
        const mib = await rssMiB(pid);
        if (mib !== null) rssSamples.push({ s: (now - started) / 1000, mib });
        nextSample += SAMPLE_MS;
        scanLogs(op, levels, unhandled);
        // Requests still pending keep their records alive until answered: drop only the counted ones.
        drainRecords();
      }
      if (now >= nextFault) {
        const kind = injectFault(rand, api, proxy, timers);
        faults[kind] = (faults[kind] ?? 0) + 1;
        nextFault = now + between(rand, 2000, 6000);
      }
      if (now >= nextReport) {
        const last = rssSamples[rssSamples.length - 1];
        log(`${Math.round((now - started) / MIN)} min: RSS ${last ? last.mib.toFixed(1) : '?'} MiB, ${Object.values(faults).reduce((a, b) => a + b, 0)} faults, ${promRequests} Prometheus queries`);
        nextReport += MIN;
      }
      await sleep(Math.max(10, Math.min(nextSample, nextFault) - Date.now()));
    }
    const alive = op.child.exitCode === null && op.child.signalCode === null;
    const exit = alive ? null : String(op.child.exitCode ?? op.child.signalCode);
    for (const t of timers) clearTimeout(t);
    timers.clear();
    scanLogs(op, levels, unhandled);
    drainRecords();
    if (!alive) log(`the operator exited (${exit}):\n${dump(op.logs)}`);
    const check = checkHpas(api, targets);
    const after = rssSamples.filter((r) => r.s * 1000 >= warmupMs);
    const sorted = after.map((r) => r.mib).sort((a, b) => a - b);
    const perSecond = slope(
      after.map((r) => r.s),
      after.map((r) => r.mib),
    );
    return {
      command: o.command,
      machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      scalers: o.scalers,
      minutes: o.minutes,
      warmupMinutes: warmupMs / MIN,
      seed: o.seed,
      faults,
      promRequests,
      promFaulted,
      apiRequests,
      alive,
      exit,
      unhandled,
      logLines: levels,
      rssSamples,
      rssAfterWarmup: after.length
        ? { first: after[0]!.mib, last: after[after.length - 1]!.mib, min: sorted[0]!, max: sorted[sorted.length - 1]!, median: sorted[Math.floor(sorted.length / 2)]! }
        : null,
      slopeMiBPerHour: perSecond === null ? null : perSecond * 3600,
      hpasChecked: targets.length,
      hpaVersions: check.versions,
      floorsAboveOriginal: check.above,
      violations: check.violations,
      setupMs: { data: dataMs, prometheus: promMs },
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    if (op) await op.stop('SIGTERM');
    await proxy?.close();
    await api?.close();
    if (prom) await prom.stop();
    else await rm(promDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

const f = (v: number | null | undefined, d = 1): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function soakTables(r: SoakResult): string {
  const nFaults = Object.values(r.faults).reduce((a, b) => a + b, 0);
  const w = r.rssAfterWarmup;
  const slopeOk = r.slopeMiBPerHour !== null && r.slopeMiBPerHour <= SLOPE_TARGET_MIB_PER_HOUR;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  return [
    `### Soak (${r.scalers} scalers, ${r.minutes} minutes of real time, a random fault every 2-6 s, seed ${r.seed})`,
    '',
    '| measure | figure | target |',
    '|---|---:|---|',
    `| operator alive throughout | ${r.alive ? 'yes' : `no (exit ${r.exit})`} | yes: ${verdict(r.alive)} |`,
    `| unhandled rejections / uncaught exceptions in its output | ${r.unhandled.length} | 0: ${verdict(r.unhandled.length === 0)} |`,
    `| RSS after warm-up (first ${r.warmupMinutes} min excluded), median MiB | ${f(w?.median)} | – |`,
    `| RSS after warm-up, first / last / min / max MiB | ${f(w?.first)} / ${f(w?.last)} / ${f(w?.min)} / ${f(w?.max)} | – |`,
    `| RSS least-squares slope after warm-up, MiB per hour | ${f(r.slopeMiBPerHour, 2)} | <= ${SLOPE_TARGET_MIB_PER_HOUR}: ${r.slopeMiBPerHour === null ? 'not measured' : verdict(slopeOk)} |`,
    `| HPA versions outside [original, maxReplicas] or with an inconsistent annotation | ${r.violations.length} of ${r.hpaVersions} | 0: ${verdict(r.violations.length === 0)} |`,
    `| HPAs with a floor above their original at the end | ${r.floorsAboveOriginal} of ${r.hpasChecked} | – |`,
    `| faults injected | ${nFaults} (${Object.entries(r.faults)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}) | – |`,
    `| Prometheus queries (of them faulted) / API requests | ${r.promRequests} (${r.promFaulted}) / ${r.apiRequests} | – |`,
    `| operator log lines by level | ${Object.entries(r.logLines)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} | – |`,
    '',
    ...r.violations.slice(0, 10).map((v) => `- ${v}`),
    ...r.unhandled.slice(0, 5).map((u) => `- ${u}`),
    `command: \`${r.command}\``,
  ].join('\n');
}

export function soakOptionsFromArgv(argv: readonly string[], command: string): SoakOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, fallback: number): number => {
    const v = value(flag);
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got ${String(v)}`);
    return n;
  };
  return {
    minutes: num('--minutes', Number(process.env.SOAK_MINUTES ?? 30)),
    scalers: Math.round(num('--scalers', 500)),
    seed: Math.round(num('--seed', 14)),
    command,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const r = await benchSoak(soakOptionsFromArgv(argv, `node --import tsx bench/soak.ts ${argv.join(' ')}`.trim()));
  console.log(JSON.stringify({ ...r, rssSamples: r.rssSamples.length }, null, 2));
  console.log('\n' + soakTables(r));
}
