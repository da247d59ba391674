/**
 * Large inputs and start-up: `npm run bench -- large startup`.
 *
 * - A 5-million-row CSV (9.5 years at 1 minute, ~160 MB, generated once into `.bench-tmp/large/`,
 *   which git ignores) through the built `prescale forecast` as a whole process: wall time, CPU
 *   time and peak RSS (GNU time's `/usr/bin/time -v`, "Maximum resident set size"). Targets:
 *   under 5 s and under 500 MB.
 * - `prescale dry-run` on the same file without --from/--to: refused at once (exit 2) with the
 *   estimate, instead of running for hours.
 * - Start-up: `prescale --help` against `node -e 0`, run alternately (target: at most 2x).
 * Both use the built bin (`npm run build` first), what users run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const root = join(import.meta.dirname, '..');
export const LARGE_DIR = join(root, '.bench-tmp', 'large');
export const LARGE_ROWS = 5_000_000;
const START_MS = Date.UTC(2014, 6, 1);

/**
 * Writes `rows` rows of 1-minute load (daily and weekly cycles, a slow trend, noise; five
 * decimals) as `timestamp,value`; kept when a file of the same rows is there already.
 */
export async function largeCsv(rows = LARGE_ROWS): Promise<string> {
  mkdirSync(LARGE_DIR, { recursive: true });
  const path = join(LARGE_DIR, `load-${rows}.csv`);
  if (existsSync(path) && statSync(path).size > rows * 20) return path;
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  out.write('timestamp,value\n');
  const batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const t = START_MS + i * 60_000;
    const day = Math.sin((2 * Math.PI * (i % 1440)) / 1440 - Math.PI / 2);
    const weekday = Math.floor(i / 1440 + 2) % 7 < 5 ? 1 : 0.6;
    const v = (1000 + i / 5000) * weekday * (1.2 + day) + 40 * (rand() - 0.5);
    batch.push(`${new Date(t).toISOString().replace('.000Z', 'Z')},${v.toFixed(5)}`);
    if (batch.length === 10_000) {
      if (!out.write(batch.join('\n') + '\n')) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.write(batch.length ? batch.join('\n') + '\n' : '');
  out.end();
  await once(out, 'finish');
  execFileSync('mv', [tmp, path]);
  return path;
}

export interface ProcessRun {
  seconds: number;
  /** User + system CPU seconds of the process. */
  cpuSeconds: number;
  /** Peak resident set size, MB. */
  peakMb: number;
  code: number | null;
  stderr: string;
}

/** Runs a command, timing it and taking its peak RSS from GNU time (`/usr/bin/time -v`). */
export function measureProcess(cmd: string, args: readonly string[]): ProcessRun {
  const useTime = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '')?.[1] ?? NaN);
  const cpu = (name: string) => Number(new RegExp(`${name} time \\(seconds\\): ([\\d.]+)`).exec(r.stderr ?? '')?.[1] ?? NaN);
  const stderr = (r.stderr ?? '').split('\n').filter((l) => !/^\t/.test(l) && !/^\s*Command (being timed|exited)/.test(l)).join('\n');
  return { seconds, cpuSeconds: cpu('User') + cpu('System'), peakMb: kb / 1024, code: r.status, stderr };
}

export interface LargeResult {
  rows: number;
  fileMb: number;
  forecast: { runs: ProcessRun[]; medianSeconds: number; medianCpuSeconds: number; maxPeakMb: number };
  dryRunRefusal: ProcessRun;
  /** Reading 28 days of 1-minute rows (40,320) with readSeriesFile: the first read in a fresh process, and warm (median of 20), ms. */
  read28d: { coldMs: number; warmMs: number };
  /** The 1-minute load average before and after (this machine is shared). */
  loadAverage: [number, number];
}

export interface StartupResult {
  nodeMs: number[];
  helpMs: number[];
  nodeMedianMs: number;
  helpMedianMs: number;
  ratio: number;
  loadAverage: [number, number];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The large-input part (builds dist/ first: the bin is what users run). */
export async function benchLarge(): Promise<LargeResult> {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const cli = join(root, 'dist', 'cli', 'main.js');
  const csv = await largeCsv();
  const out = join(LARGE_DIR, 'forecast.csv');
  const before = loadavg()[0]!;
  const runs = Array.from({ length: 3 }, () => measureProcess(process.execPath, [cli, 'forecast', '--input', csv, '--horizon', '1d', '--output', out]));
  for (const r of runs) if (r.code !== 0) throw new Error(`forecast failed (${r.code}): ${r.stderr}`);
  const dryRunRefusal = measureProcess(process.execPath, [cli, 'dry-run', '-f', join(root, 'manifests', 'samples', 'default.yaml'), '--input', csv]);
  const read28d = readTimes(csv);
  return {
    rows: LARGE_ROWS,
    fileMb: statSync(csv).size / 2 ** 20,
    forecast: { runs, medianSeconds: median(runs.map((r) => r.seconds)), medianCpuSeconds: median(runs.map((r) => r.cpuSeconds)), maxPeakMb: Math.max(...runs.map((r) => r.peakMb)) },
    dryRunRefusal,
    read28d,
    loadAverage: [before, loadavg()[0]!],
  };
}

/** Times readSeriesFile (the built module) on the first 40,320 rows of `csv`, in a fresh process. */
function readTimes(csv: string): { coldMs: number; warmMs: number } {
  const small = join(LARGE_DIR, 'load-40320.csv');
  execFileSync('sh', ['-c', `head -n 40321 '${csv}' > '${small}'`]);
  const script = `
    const { readSeriesFile } = await import(${JSON.stringify(join(root, 'dist', 'metrics', 'file-source.js'))});
    const time = async () => { const t = performance.now(); await readSeriesFile(${JSON.stringify(small)}); return performance.now() - t; };
    const cold = await time();
    const warm = [];
    for (let i = 0; i < 20; i++) warm.push(await time());
    warm.sort((a, b) => a - b);
    console.log(JSON.stringify({ coldMs: cold, warmMs: (warm[9] + warm[10]) / 2 }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { coldMs: number; warmMs: number };
}

/** `prescale --help` (the built bin) against `node -e 0`, run alternately so the machine's load falls on both alike. */
export function benchStartup(): StartupResult {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const cli = join(root, 'dist', 'cli', 'main.js');
  const timeOnce = (args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
    return performance.now() - t0;
  };
  const before = loadavg()[0]!;
  for (let i = 0; i < 3; i++) timeOnce([cli, '--help']); // the file cache
  const nodeMs: number[] = [];
  const helpMs: number[] = [];
  for (let i = 0; i < 21; i++) {
    nodeMs.push(timeOnce(['-e', '0']));
    helpMs.push(timeOnce([cli, '--help']));
  }
  return { nodeMs, helpMs, nodeMedianMs: median(nodeMs), helpMedianMs: median(helpMs), ratio: median(helpMs) / median(nodeMs), loadAverage: [before, loadavg()[0]!] };
}

/** The Markdown for BENCHMARKS.md. */
export function largeTables(r: LargeResult): string {
  const f = (v: number, d: number) => v.toFixed(d);
  const refusal = r.dryRunRefusal.stderr.trim().split('\n').pop() ?? '';
  return [
    `### Large input: ${r.rows.toLocaleString('en-US')} rows of 1-minute data (${f(r.fileMb, 0)} MB CSV)\n`,
    '| measure | target | figure |',
    '|---|---|---:|',
    `| \`prescale forecast --horizon 1d\`, whole process, wall (median of ${r.forecast.runs.length}) | < 5 s | ${f(r.forecast.medianSeconds, 2)} s |`,
    `| the same, CPU (user + system, median) | | ${f(r.forecast.medianCpuSeconds, 2)} s |`,
    `| the same, peak RSS (highest of the runs) | < 500 MB | ${f(r.forecast.maxPeakMb, 0)} MB |`,
    `| \`prescale dry-run\` without --from/--to, wall until it refuses (exit ${r.dryRunRefusal.code}) | | ${f(r.dryRunRefusal.seconds, 2)} s |`,
    `| reading 40,320 rows (28 days at 1 minute), the first read in a fresh process | | ${f(r.read28d.coldMs, 1)} ms |`,
    `| the same, warm (median of 20) | | ${f(r.read28d.warmMs, 1)} ms |`,
    '',
    `- load average (1 min) ${f(r.loadAverage[0], 1)} before, ${f(r.loadAverage[1], 1)} after`,
    `- dry-run's message: \`${refusal}\``,
  ].join('\n');
}

export function startupTables(r: StartupResult): string {
  const f = (v: number, d: number) => v.toFixed(d);
  return [
    '### CLI start-up\n',
    '| measure | target | median ms |',
    '|---|---|---:|',
    `| \`node -e 0\` (${r.nodeMs.length} runs, alternating with the next row) | | ${f(r.nodeMedianMs, 0)} |`,
    `| \`prescale --help\` (the built bin) | <= 2x \`node -e 0\` | ${f(r.helpMedianMs, 0)} (${f(r.ratio, 2)}x) |`,
    '',
    `- load average (1 min) ${f(r.loadAverage[0], 1)} before, ${f(r.loadAverage[1], 1)} after`,
  ].join('\n');
}
