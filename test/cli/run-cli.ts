/**
 * Runs the real `prescale` CLI in a child process (`node --import tsx src/cli/main.ts ...`, from
 * the repository root) and captures its exit code, stdout and stderr. Helpers for temporary
 * directories, fixture slices and the CSV the CLI writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (test/cli/../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  /** Exit code; null when the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock seconds the process ran. */
  readonly seconds: number;
}

/** Runs `prescale ...args`; a process still running after `timeoutMs` is killed (the test then fails). */
export function runCli(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  const env = { ...process.env };
  // The test runner's context and the user's log level must not leak into the CLI under test.
  delete env.NODE_TEST_CONTEXT;
  delete env.PRESCALE_LOG_LEVEL;
  delete env.PRESCALE_DEBUG;
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
}

/** The non-empty lines of a text. */
export const linesOf = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/** A fresh temporary directory; call `remove` in after(). */
export function tempDir(prefix: string): { path: string; file: (name: string) => string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `prescale-cli-${prefix}-`));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The data rows of a bundled fixture (without the header), e.g. `fixtureRows('nab_elb_requests_5min.csv')`. */
export function fixtureRows(name: string): string[] {
  const lines = readFileSync(join(ROOT, 'fixtures', 'traces', name), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0] !== 'timestamp,value') throw new Error(`${name}: unexpected header ${lines[0]}`);
  return lines.slice(1);
}

/** Writes `timestamp,value` plus `rows` to `path` and returns the path. */
export function writeSeries(path: string, rows: readonly string[]): string {
  writeFileSync(path, `timestamp,value\n${rows.join('\n')}\n`);
  return path;
}

/** A parsed CSV (no quoting: the CLI never writes quoted cells). */
export interface Csv {
  readonly header: string[];
  readonly rows: string[][];
}

export function parseCsv(text: string): Csv {
  const lines = linesOf(text);
  return { header: (lines[0] ?? '').split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** Epoch ms of a timestamp the CLI wrote; throws unless it looks like 2014-07-01T00:00:00Z. */
export function timestampMs(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) throw new Error(`${JSON.stringify(text)} is not like 2014-07-01T00:00:00Z`);
  return Date.parse(text);
}

/** The p-th quantile (0..1) of numbers, nearest rank. */
export function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** `namespace/name` from a PredictiveScaler's metadata (YAML text, simple block style as in the samples). */
export function scalerName(yaml: string): string {
  const metadata = /^metadata:\n((?:[ \t]+.*\n)+)/m.exec(yaml)?.[1] ?? '';
  const field = (key: string) => new RegExp(`^[ \\t]+${key}:[ \\t]*(\\S+)`, 'm').exec(metadata)?.[1];
  return `${field('namespace') ?? 'default'}/${field('name')}`;
}
