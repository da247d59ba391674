/**
 * The one parser for series data (DESIGN.md): CSV `timestamp,value` files and saved Prometheus
 * `query_range` JSON responses, which the live Prometheus source parses with the same code.
 * Pure: takes text, returns samples or throws an invalid-input error naming the source and line.
 */
import { invalidInput } from '../core/errors.js';
import type { Samples } from '../core/series.js';
import { formatTimestamp, parseTimestampMs } from '../core/time.js';

/** Parses CSV or Prometheus JSON, chosen by the first non-blank character. */
export function parseSeriesText(text: string, source: string): Samples {
  const body = text.replace(/^\uFEFF/, '');
  const first = body.trimStart()[0];
  if (first === undefined) throw invalidInput(`${source}: file is empty`);
  if (first === '{') return parsePromResponseText(body, source);
  return parseCsv(body, source);
}

export function parseCsv(text: string, source: string): Samples {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase().replace(/^"|"$/g, ''));
  const ti = header.indexOf('timestamp');
  const vi = header.indexOf('value');
  if (ti < 0 || vi < 0) {
    throw invalidInput(`${source}:1: header must name the columns timestamp,value (got ${JSON.stringify(lines[0] ?? '')})`);
  }
  const timesMs: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const cols = line.split(',');
    const where = `${source}:${i + 1}`;
    const rawT = cols[ti] ?? '';
    const t = parseTimestampMs(rawT.replace(/^"|"$/g, ''));
    if (!Number.isFinite(t)) throw invalidInput(`${where}: bad timestamp ${JSON.stringify(rawT)}`);
    checkPlausible(t, rawT, where);
    const rawV = (cols[vi] ?? '').trim();
    const v = parseValue(rawV);
    if (v === undefined) throw invalidInput(`${where}: value ${JSON.stringify(rawV)} is not a number`);
    const prev = timesMs[timesMs.length - 1];
    if (prev !== undefined && t === prev) throw invalidInput(`${where}: duplicate timestamp ${formatTimestamp(t)}`);
    if (prev !== undefined && t < prev) {
      throw invalidInput(`${where}: rows are not sorted by time (${formatTimestamp(t)} comes after ${formatTimestamp(prev)})`);
    }
    timesMs.push(t);
    values.push(v);
  }
  if (timesMs.length === 0) throw invalidInput(`${source}: no data rows after the header`);
  return { timesMs, values };
}

/** Latest plausible sample time: epoch milliseconds read as seconds land tens of millennia ahead. */
const MAX_PLAUSIBLE_MS = Date.UTC(2200, 0, 1);

/** Refuses a timestamp no load series has (once per row, so the first one names its line). */
function checkPlausible(t: number, raw: string, where: string): void {
  if (t <= MAX_PLAUSIBLE_MS && t >= 0) return;
  const year = new Date(Math.min(Math.max(t, -8.64e15), 8.64e15)).getUTCFullYear();
  const hint = t > MAX_PLAUSIBLE_MS && /^\s*"?\d{12,14}(\.\d+)?"?\s*$/.test(raw) ? ' (epoch milliseconds? write epoch seconds or ISO-8601)' : '';
  throw invalidInput(`${where}: timestamp ${JSON.stringify(raw.trim())} is in the year ${year}, not a time a load was measured${hint}`);
}

/**
 * Parses a sample value exactly as Prometheus writes it. `NaN`, `+Inf`, `-Inf` and an empty
 * cell are gaps (NaN); anything else that is not a finite number is undefined (an error).
 */
export function parseValue(raw: string): number | undefined {
  const v = raw.trim();
  if (v === '' || /^nan$/i.test(v) || /^[+-]?inf(inity)?$/i.test(v)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/** One series of a Prometheus matrix result. */
export interface PromSeries {
  metric: Record<string, string>;
  samples: Samples;
}

/** Parses the text of a `query_range` response; a truncated body is an error, never a shorter series. */
export function parsePromResponseText(text: string, source: string): Samples {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidInput(`${source}: not valid JSON (${(e as Error).message}); a saved Prometheus query_range response was expected`);
  }
  return singleSeries(parsePromMatrix(json, source), source);
}

/** Validates a decoded `query_range` response and returns every series in it. */
export function parsePromMatrix(json: unknown, source: string): PromSeries[] {
  const body = json as { status?: unknown; data?: { resultType?: unknown; result?: unknown }; error?: unknown };
  if (typeof body !== 'object' || body === null) throw invalidInput(`${source}: response is not a JSON object`);
  if (body.status !== 'success') {
    throw invalidInput(`${source}: response status is ${JSON.stringify(body.status)}${body.error ? `: ${String(body.error)}` : ''}`);
  }
  const data = body.data;
  if (!data || data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw invalidInput(`${source}: data.resultType must be "matrix" with a result array (a query_range response)`);
  }
  return data.result.map((r: unknown, k: number) => {
    const item = r as { metric?: unknown; values?: unknown };
    if (!item || typeof item.metric !== 'object' || item.metric === null || !Array.isArray(item.values)) {
      throw invalidInput(`${source}: data.result[${k}] needs "metric" and "values"`);
    }
    const timesMs: number[] = [];
    const values: number[] = [];
    item.values.forEach((pair: unknown, i: number) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
        throw invalidInput(`${source}: data.result[${k}].values[${i}] must be [unixSeconds, "value"]`);
      }
      const v = parseValue(pair[1]);
      if (v === undefined) throw invalidInput(`${source}: data.result[${k}].values[${i}]: value ${JSON.stringify(pair[1])} is not a number`);
      const t = Math.round(pair[0] * 1000);
      const prev = timesMs[timesMs.length - 1];
      checkPlausible(t, String(pair[0]), `${source}: data.result[${k}].values[${i}]`);
      if (prev !== undefined && t <= prev) throw invalidInput(`${source}: data.result[${k}].values[${i}]: timestamps must increase`);
      timesMs.push(t);
      values.push(v);
    });
    return { metric: item.metric as Record<string, string>, samples: { timesMs, values } };
  });
}

/** Formats a label set like PromQL does: `{job="web",pod="a"}`. */
export function formatLabels(metric: Record<string, string>): string {
  return `{${Object.entries(metric).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

/** Exactly one series is expected; zero or several is an error that names what was found. */
export function singleSeries(series: PromSeries[], source: string): Samples {
  if (series.length === 0) {
    throw invalidInput(`${source}: the query returned no series (check the metric name and label matchers, and the time range)`);
  }
  if (series.length > 1) {
    const shown = series.slice(0, 5).map((s) => formatLabels(s.metric)).join(', ');
    throw invalidInput(
      `${source}: the query returned ${series.length} series (${shown}${series.length > 5 ? ', ...' : ''}); ` +
        'prescale needs exactly one: aggregate it, e.g. sum(...) or sum by () (...)',
    );
  }
  const s = series[0]!.samples;
  if (s.timesMs.length === 0) throw invalidInput(`${source}: the series has no samples`);
  return s;
}
