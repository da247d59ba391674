/**
 * A real Prometheus for tests (docs/architecture.md, "Tests"): converts series to OpenMetrics,
 * backfills them with `promtool tsdb create-blocks-from openmetrics --max-block-duration=8760h`
 * (few big blocks: ~0.1 s instead of seconds for many 2-hour blocks), starts `prometheus` on
 * 127.0.0.1 on a free port with a config without scrape jobs and 100y retention in a temp dir,
 * and waits for /-/ready. `stop()` ends only the process it started and removes the temp dir.
 * Installs nothing: without prometheus/promtool on PATH, `startPrometheus` throws (tests fail).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Samples } from '../../src/core/series.js';
import { parseCsv } from '../../src/metrics/parse.js';

export interface FixtureSeries {
  /** Metric name, e.g. `worldcup_requests`. */
  metric: string;
  labels?: Record<string, string>;
  samples: Samples;
}

export interface PromServer {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  pid: number;
  dir: string;
  /** ms spent converting + backfilling, and starting until ready. */
  timings: { backfillMs: number; readyMs: number };
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra prometheus flags, e.g. `--query.lookback-delta=1m`. */
  extraArgs?: string[];
  /** Seconds to wait for /-/ready. Default 30. */
  readyTimeoutS?: number;
}

/** Formats an OpenMetrics value: NaN and infinities by name, numbers as the shortest exact text. */
function omValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** OpenMetrics text for promtool: one line per sample, sorted by time, ending with `# EOF`. */
export function toOpenMetrics(series: readonly FixtureSeries[]): string {
  const out: string[] = [];
  const byName = new Map<string, FixtureSeries[]>();
  for (const s of series) byName.set(s.metric, [...(byName.get(s.metric) ?? []), s]);
  // OpenMetrics wants the lines of one metric family together.
  for (const [name, family] of byName) {
    out.push(`# TYPE ${name} gauge`);
    for (const s of family) {
      const labels = Object.entries(s.labels ?? {});
      const sel = labels.length ? `${name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : name;
      const { timesMs, values } = s.samples;
      for (let i = 0; i < timesMs.length; i++) out.push(`${sel} ${omValue(values[i]!)} ${timesMs[i]! / 1000}`);
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/** Reads a fixture CSV (`timestamp,value`) with the project's parser. */
export function readCsvSamples(path: string): Samples {
  return parseCsv(readFileSync(path, 'utf8'), path);
}

/** Samples of `s` with from <= t < to. */
export function sliceSamples(s: Samples, fromMs: number, toMs: number): Samples {
  const timesMs: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < s.timesMs.length; i++) {
    const t = s.timesMs[i]!;
    if (t >= fromMs && t < toMs) {
      timesMs.push(t);
      values.push(s.values[i]!);
    }
  }
  return { timesMs, values };
}

export function requireBinaries(): void {
  for (const bin of ['prometheus', 'promtool']) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    if (r.error) {
      throw new Error(
        `${bin} not found on PATH (${(r.error as NodeJS.ErrnoException).code}): these tests need a real Prometheus; ` +
          'install it with `apt-get install -y --no-install-recommends prometheus` (Debian ships prometheus and promtool)',
      );
    }
  }
}

/**
 * Runs `cmd` under util-linux `setpriv --pdeathsig KILL` when available, so the server dies
 * with the test process even if that is killed before its `after` hook (setpriv execs the
 * command: the child pid is the server's own).
 */
function withParentDeathSignal(cmd: string, args: string[]): [string, string[]] {
  const probe = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
  if (probe.error || !/--pdeathsig/.test(probe.stdout ?? '')) return [cmd, args];
  return ['setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args]];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, output }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function isReady(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Backfills `series` and starts a server on a free loopback port; see the module comment. */
export async function startPrometheus(series: readonly FixtureSeries[], opts: StartOptions = {}): Promise<PromServer> {
  requireBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'prescale-prom-'));
  let backfillMs: number;
  try {
    const t0 = performance.now();
    await writeFile(join(dir, 'data.om'), toOpenMetrics(series));
    const bf = await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', '--max-block-duration=8760h', join(dir, 'data.om'), join(dir, 'tsdb')]);
    if (bf.code !== 0) throw new Error(`promtool backfill failed (exit ${bf.code}): ${bf.output.slice(-2000)}`);
    backfillMs = performance.now() - t0;
    await rm(join(dir, 'data.om'));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return servePrometheus(dir, { ...opts, backfillMs });
}

/**
 * Starts a server on the TSDB in `dir`/tsdb (blocks made beforehand, e.g. by promtool), on a free
 * loopback port; `stop()` ends it and removes `dir`, which it owns from now on.
 */
export async function servePrometheus(dir: string, opts: StartOptions & { backfillMs?: number } = {}): Promise<PromServer> {
  requireBinaries();
  try {
    const t1 = performance.now();
    await writeFile(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n# no scrape_configs: the TSDB only holds backfilled data\n');
    for (let tries = 0; tries < 5; tries++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const log = join(dir, 'prometheus.log');
      const child = spawn(
        ...withParentDeathSignal('prometheus', [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          '--storage.tsdb.retention.time=100y',
          `--web.listen-address=127.0.0.1:${port}`,
          ...(opts.extraArgs ?? []),
        ]),
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
      const deadline = performance.now() + (opts.readyTimeoutS ?? 30) * 1000;
      let ready = false;
      while (performance.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await isReady(url)) {
          ready = true;
          break;
        }
        await sleep(50);
      }
      if (ready) {
        const pid = child.pid!;
        // If the test process dies without running `after` (e.g. its output pipe closed), do not
        // leave an orphan server behind: 'exit' handlers run synchronously on any normal exit.
        const killOnExit = (): void => void child.kill('SIGKILL');
        process.once('exit', killOnExit);
        return {
          url,
          pid,
          dir,
          timings: { backfillMs: opts.backfillMs ?? 0, readyMs: performance.now() - t1 },
          stop: async () => {
            process.removeListener('exit', killOnExit);
            // Only the process this harness started, by its handle.
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              if (!(await waitExit(child, 10_000))) {
                child.kill('SIGKILL');
                await waitExit(child, 5_000);
              }
            }
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
      await writeFile(log, stderr);
      if (/address already in use/.test(stderr)) continue;
      throw new Error(`prometheus did not become ready: ${stderr.slice(-1500)}`);
    }
    throw new Error('prometheus: no free port after 5 tries');
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
