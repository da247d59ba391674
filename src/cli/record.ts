/**
 * `prescale record --prometheus URL --query Q --from TS --to TS --step DUR --output FILE
 * [--format csv|json] [--header 'Name: value']... [--timeout DUR]`: saves a range of one series.
 * - csv: `timestamp,value`, timestamps like 2014-07-01T00:00:00Z, gaps are absent rows, values
 *   written exactly (shortest text that reads back as the same double).
 * - json: one merged query_range response, shaped as Prometheus returns it, so the recording is
 *   read back by the same parser as a live answer.
 * The file is written whole or not at all (temporary file beside it, then rename).
 * `--timeout` is each request's deadline (the whole answer, body included; default 30s, at most
 * 1h); a request past it is retried like a network error, up to 4 times with backoff.
 */
import type { Clock } from '../core/clock.js';
import { parseDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { countPresent, type Series } from '../core/series.js';
import { formatTimestamp, requireTimestampMs } from '../core/time.js';
import { PrometheusSource } from '../metrics/prometheus.js';
import { writeOutput } from './output.js';

export interface RecordOptions {
  prometheus: string;
  query: string;
  from: string;
  to: string;
  step: string;
  output: string;
  format?: 'csv' | 'json';
  /** `Name: value` pairs, e.g. `X-Scope-OrgID: tenant-a`. */
  headers?: string[];
  /** Per-request deadline, a duration such as `90s` (default 30s). */
  timeout?: string;
}

/** Default and largest per-request deadline, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const MAX_REQUEST_TIMEOUT_MS = 3_600_000;

/** Parses `--timeout`: a duration from 1ms to 1h. */
export function parseTimeoutFlag(text: string | undefined): number {
  if (text === undefined) return DEFAULT_REQUEST_TIMEOUT_MS;
  const ms = parseDuration(text, '--timeout');
  if (ms > MAX_REQUEST_TIMEOUT_MS) throw invalidInput(`--timeout: ${text} is longer than 1h; a request that needs longer asks for too much at once: use a longer --step or a shorter range`);
  return ms;
}

export interface RecordLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RecordResult {
  output: string;
  /** Grid points in the range. */
  points: number;
  /** Points with a value (rows written in CSV). */
  present: number;
}

/**
 * Parses `--header 'Name: value'` flags. A mistyped flag is named by its position, never shown:
 * `Authorization Bearer <token>` without the colon is all value.
 */
export function parseHeaderFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, f] of flags.entries()) {
    const i = f.indexOf(':');
    const name = i < 0 ? '' : f.slice(0, i).trim();
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      const which = flags.length > 1 ? ` (the ${ordinal(k + 1)})` : '';
      throw invalidInput(`--header${which}: not "Name: value" with a header name before the colon (e.g. "X-Scope-OrgID: tenant-a"); not shown, as it may hold a credential`);
    }
    out[name] = f.slice(i + 1).trim();
  }
  return out;
}

const ordinal = (n: number): string => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

/** CSV rows for present values only (gaps are absent rows). `String(v)` round-trips exactly. */
export function seriesToCsv(s: Series): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (!Number.isNaN(v)) lines.push(`${formatTimestamp(s.startMs + i * s.stepMs)},${String(v)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One query_range response holding the series (gaps are absent pairs, as Prometheus omits them). */
export function seriesToPromJson(s: Series, metric: Record<string, string>): string {
  const values: [number, string][] = [];
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (!Number.isNaN(v)) values.push([(s.startMs + i * s.stepMs) / 1000, String(v)]);
  }
  return `${JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric, values }] } })}\n`;
}

export async function runRecord(opts: RecordOptions, deps: { clock: Clock; logger?: RecordLogger }): Promise<RecordResult> {
  const fromMs = requireTimestampMs(opts.from, '--from');
  const toMs = requireTimestampMs(opts.to, '--to');
  const stepMs = parseDuration(opts.step, '--step');
  const timeoutMs = parseTimeoutFlag(opts.timeout);
  if (toMs < fromMs) throw invalidInput(`--to (${opts.to}) is before --from (${opts.from})`);
  const format = opts.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw invalidInput(`--format: ${JSON.stringify(format)} is not csv or json`);

  const source = new PrometheusSource({ url: opts.prometheus, query: opts.query, headers: parseHeaderFlags(opts.headers ?? []), timeoutMs }, deps);
  const { metric, series } = await source.fetchLabelled(fromMs, toMs, stepMs);
  const text = format === 'csv' ? seriesToCsv(series) : seriesToPromJson(series, metric);
  await writeOutput(opts.output, text);
  const result = { output: opts.output, points: series.values.length, present: countPresent(series.values) };
  deps.logger?.info({ source: source.description, ...result, format }, 'recorded');
  return result;
}
