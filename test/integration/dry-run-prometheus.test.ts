/**
 * `prescale dry-run --prometheus` against a real Prometheus: dry-run replays the operator's control
 * loop over a recording or a range of a live Prometheus (docs/architecture.md, "One control-loop
 * pass for every use"), and its decisions for a range equal those of a dry-run on the recording of
 * that range.
 *
 * Eleven days of the UK academic backbone trace (5-minute step) are backfilled as
 * `uk_load{job="backbone"}` (plus a decoy `uk_load{job="edge"}` the query must not pick up). The
 * real CLI then runs twice in child processes:
 *   1. `dry-run --prometheus URL --from A --to B`, and
 *   2. `record` of [A - lookback, B] with the scaler's own query and step, then
 *      `dry-run --input rec.csv --from A --to B`,
 * and the two decisions files must be identical. The lookback is what a replay from A reads: the
 * history window behind the day's model search, which is up to a day before the first refit, itself
 * up to a refit interval before A (each scaler refits and searches at its own phase). The
 * Prometheus data extends half a day on either side of the recording, so a replay that read
 * outside [A - lookback, now] would show up.
 *
 * A Prometheus that is down (stopped, or answering 500 through test/support/fault-proxy.ts) must
 * make the dry-run fail cleanly: exit 1, one `prescale: error:` line, no decisions file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Samples } from '../../src/core/series.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { readCsvSamples, sliceSamples, startPrometheus, type PromServer } from '../support/prometheus.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 5 * MIN;
const HISTORY = 7 * DAY;
const TICK = MIN; // plan.tickInterval default: one decision row per minute

// Backfilled: 2004-11-20T12:00Z .. 2004-12-01T12:00Z (11 days, no gaps in the fixture grid).
const BACKFILL_FROM = Date.UTC(2004, 10, 20, 12);
const BACKFILL_TO = BACKFILL_FROM + 11 * DAY;
// Replayed: two days whose lookback (7 days of history behind a search up to a day and an hourly
// refit interval earlier) lies wholly inside the backfill.
const A = Date.UTC(2004, 10, 29);
const LOOKBACK = HISTORY + DAY + HOUR;
const B = A + 2 * DAY;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const QUERY = 'uk_load{job="backbone"}';
const samples: Samples = sliceSamples(readCsvSamples(join(ROOT, 'fixtures/traces/uk_academic_net_5min.csv')), BACKFILL_FROM, BACKFILL_TO);
const decoy: Samples = { timesMs: samples.timesMs, values: samples.values.map((v) => 2 * v) };

// manifests/samples/default.yaml with a 5m step, 7d history, hourly refit, and a plain selector of
// the backfilled series (default.yaml's rate() query would turn the gauge into a rate).
const SCALER_YAML = `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: default
  namespace: demo
spec:
  mode: DryRun
  target:
    kind: HorizontalPodAutoscaler
    name: backbone-api
  metric:
    query: '${QUERY}'
    step: 5m
    history: 7d
  capacity:
    perReplica: 370
  forecast:
    quantile: 0.9
    horizon: 6h
    refitInterval: 1h
  plan:
    leadTime: 5m
  minReplicas: 2
  maxReplicas: 40
  hpa:
    startupDelay: 5m
`;

let prom: PromServer | undefined;
let proxy: FaultProxy | undefined;
let dir: string;
let scalerFile: string;

before(async () => {
  assert.equal(samples.timesMs.length, (BACKFILL_TO - BACKFILL_FROM) / STEP, 'the backfilled slice is gap-free');
  dir = await mkdtemp(join(tmpdir(), 'prescale-dry-run-prom-'));
  scalerFile = join(dir, 'scaler.yaml');
  await writeFile(scalerFile, SCALER_YAML);
  prom = await startPrometheus([
    { metric: 'uk_load', labels: { job: 'backbone' }, samples },
    { metric: 'uk_load', labels: { job: 'edge' }, samples: decoy },
  ]);
  proxy = await startFaultProxy(prom.url);
});

after(async () => {
  await proxy?.close();
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `prescale ...args` as a child process from the repository root; killed after `timeoutMs`. */
function prescale(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // the runner's context must not leak into the CLI under test
  delete env.PRESCALE_LOG_LEVEL;
  delete env.PRESCALE_DEBUG;
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

const show = (r: CliResult): string => `exit ${r.code} after ${r.seconds.toFixed(1)} s\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;

/** `prescale: error: ...` lines (the pino JSON log lines on stderr are not errors). */
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('prescale: error:'));

function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l !== '');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

test('dry-run --prometheus makes the same decisions as a dry-run on the recording of that range', async (t) => {
  const d1 = join(dir, 'd1.csv');
  const rec = join(dir, 'rec.csv');
  const d2 = join(dir, 'd2.csv');

  // The live replay and the record-then-replay are independent: run them side by side.
  const [live, [recorded, replay]] = await Promise.all([
    prescale(['dry-run', '-f', scalerFile, '--prometheus', prom!.url, '--from', iso(A), '--to', iso(B), '--decisions', d1]),
    (async () => {
      const rc = await prescale(['record', '--prometheus', prom!.url, '--query', QUERY, '--from', iso(A - LOOKBACK), '--to', iso(B), '--step', '5m', '--output', rec]);
      if (rc.code !== 0) return [rc, undefined] as const;
      return [rc, await prescale(['dry-run', '-f', scalerFile, '--input', rec, '--from', iso(A), '--to', iso(B), '--decisions', d2])] as const;
    })(),
  ]);
  assert.equal(live.code, 0, show(live));
  assert.equal(recorded.code, 0, show(recorded));
  const points = (B - (A - LOOKBACK)) / STEP + 1;
  assert.match(recorded.stderr, new RegExp(`recorded ${points} of ${points} points`), show(recorded));
  const recRows = parseCsv(await readFile(rec, 'utf8')).rows;
  assert.equal(recRows.length, points, 'the recording has no gaps');
  assert.deepEqual(recRows[0], [iso(A - LOOKBACK), String(samples.values[samples.timesMs.indexOf(A - LOOKBACK)])], 'the recording is the backbone series, not the decoy');
  assert.ok(replay);
  assert.equal(replay.code, 0, show(replay));

  const [t1, t2] = [await readFile(d1, 'utf8'), await readFile(d2, 'utf8')];
  const [c1, c2] = [parseCsv(t1), parseCsv(t2)];
  assert.deepEqual(c1.header, ['timestamp', 'load', 'forecast', 'floor_replicas', 'reactive_replicas', 'desired_replicas', 'ready_replicas', 'reason', 'model']);
  assert.deepEqual(c2.header, c1.header);

  // One row per tick of [A, B), in both.
  assert.equal(c1.rows.length, (B - A) / TICK);
  assert.equal(c1.rows[0]![0], iso(A));
  assert.equal(c1.rows.at(-1)![0], iso(B - TICK));

  // Not vacuous: a full history from the first tick, so every tick is planned, and the floor moves.
  const col = (name: string) => c1.header.indexOf(name);
  assert.deepEqual([...new Set(c1.rows.map((r) => r[col('reason')]))], ['PlanApplied'], 'every tick of the live replay is PlanApplied');
  const floors = new Set(c1.rows.map((r) => r[col('floor_replicas')]));
  assert.ok(floors.size >= 3, `the floor follows the daily cycle (floors seen: ${[...floors].join(' ')})`);

  // Row by row, column by column: the first difference is named, not just "files differ".
  for (let i = 0; i < c1.rows.length; i++) {
    const [a, b] = [c1.rows[i]!, c2.rows[i]];
    assert.ok(b, `the recording's replay has only ${c2.rows.length} rows, the live one ${c1.rows.length}`);
    for (let k = 0; k < c1.header.length; k++) {
      assert.equal(a[k], b[k], `row ${i + 1} (${a[0]}), column ${c1.header[k]}: --prometheus ${a[k]} vs --input ${b[k]}`);
    }
  }
  assert.equal(c2.rows.length, c1.rows.length);
  assert.equal(t1, t2, 'the decisions files are byte-for-byte identical');

  // The summaries agree too, apart from the wall-clock replay time and the decisions path.
  const summary = (out: string) => out.replace(/replayed in [\d.]+ s/, 'replayed in _ s').replace(/decisions written to .*/, '');
  assert.equal(summary(live.stdout), summary(replay.stdout));
  t.diagnostic(`live dry-run ${live.seconds.toFixed(1)} s; record ${recorded.seconds.toFixed(1)} s, then file dry-run ${replay.seconds.toFixed(1)} s`);
});

test('a Prometheus answering 500 fails the dry-run cleanly: exit 1, one error line, no decisions file', async () => {
  proxy!.reset();
  proxy!.setRule(() => ({ kind: 'status', status: 500 }));
  const out = join(dir, 'failed-500.csv');
  const r = await prescale(['dry-run', '-f', scalerFile, '--prometheus', proxy!.url, '--from', iso(A), '--to', iso(B), '--decisions', out]);
  const requests = proxy!.requests.length;
  proxy!.reset();
  assert.equal(r.code, 1, show(r));
  const errors = errorLines(r.stderr);
  assert.equal(errors.length, 1, show(r));
  assert.match(errors[0]!, /HTTP 500/);
  assert.match(errors[0]!, /gave up after 5 attempts/);
  assert.ok(requests >= 5, `retried before giving up (${requests} requests)`);
  // Everything else on stderr is a JSON log line (the retry warnings).
  for (const line of r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('prescale: error:'))) assert.doesNotThrow(() => JSON.parse(line), line);
  assert.equal(r.stdout, '', 'no summary on failure');
  assert.ok(!existsSync(out), 'no decisions file');
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes('failed-500')), [], 'no temporary file either');
});

test('a stopped Prometheus fails the dry-run cleanly: exit 1, one error line, no decisions file', async () => {
  // A second, throwaway server: started, then stopped, so its URL is one where Prometheus was.
  const gone = await startPrometheus([{ metric: 'uk_load', labels: { job: 'backbone' }, samples: sliceSamples(samples, A, A + DAY) }]);
  await gone.stop();
  const out = join(dir, 'failed-stopped.csv');
  const r = await prescale(['dry-run', '-f', scalerFile, '--prometheus', gone.url, '--from', iso(A), '--to', iso(B), '--decisions', out]);
  assert.equal(r.code, 1, show(r));
  const errors = errorLines(r.stderr);
  assert.equal(errors.length, 1, show(r));
  assert.match(errors[0]!, /ECONNREFUSED/);
  assert.ok(errors[0]!.includes(gone.url), 'the error names the Prometheus it could not reach');
  assert.equal(r.stdout, '', 'no summary on failure');
  assert.ok(!existsSync(out), 'no decisions file');
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes('failed-stopped')), [], 'no temporary file either');
});
