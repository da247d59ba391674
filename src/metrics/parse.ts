/**
 * The one parser for series data (docs/architecture.md, "Habits"): CSV `timestamp,value` files and saved Prometheus
 * `query_range` JSON responses, which the live Prometheus source parses with the same code.
 * Pure: takes text or bytes, returns samples or throws an invalid-input error naming the source
 * and the line (CSV) or the element (JSON).
 *
 * Input rules (README, "Series files"):
 * - CSV: the first line is the header and names exactly the columns `timestamp` and `value` (in
 *   either order, any case, optionally quoted); another column, a missing header or a row with
 *   more or fewer cells than the header is refused on its line.
 * - A value that is NaN, +Inf, -Inf or empty, or a negative value, is read as a gap (no load is
 *   negative or infinite); each kind is counted and reported once (`dropped`) with the line of the
 *   first, so callers can warn. Text that is not a number is refused on its line.
 * - Timestamps: ISO-8601 (no zone is UTC) or epoch seconds, strictly increasing, 1970..2200.
 */
import { invalidInput } from '../core/errors.js';
import type { Samples } from '../core/series.js';
import { formatTimestamp, parseTimestampMs } from '../core/time.js';
import { ascii, fastDecimal, fastIsoMs, skipBlanks, trimEnd } from './csv-fields.js';

/** Values read as gaps, one record per kind, naming where the first one was. */
export interface DroppedValues {
  /** `negative`: below zero; `not-finite`: NaN, +Inf, -Inf or an empty cell. */
  readonly kind: 'negative' | 'not-finite';
  readonly count: number;
  /** Where the first one is: `file.csv:12` or `file.json: data.result[0].values[5]`. */
  readonly first: string;
  /** The first one's text as written. */
  readonly text: string;
  /** The first one's time, epoch ms. */
  readonly atMs: number;
}

/** Samples, plus the values the parser read as gaps. */
export interface ParsedSamples extends Samples {
  readonly dropped: readonly DroppedValues[];
}

/** The same, in typed arrays (what the file reader and the resampler use). */
export interface ParsedColumns {
  readonly timesMs: Float64Array;
  readonly values: Float64Array;
  readonly dropped: readonly DroppedValues[];
}

/** One warning line for values read as gaps. */
export function describeDropped(d: DroppedValues): string {
  const n = d.count === 1 ? 'one value' : `${d.count} values`;
  return d.kind === 'negative'
    ? `${d.first}: warning: ${n} below zero read as gaps, the first here (${JSON.stringify(d.text)}); a load is never negative: check the query or the export`
    : `${d.first}: warning: ${n} without a finite number (NaN, Inf or empty) read as gaps, the first here (${JSON.stringify(d.text)})`;
}

/** Parses CSV or Prometheus JSON, chosen by the first non-blank character. */
export function parseSeriesText(text: string, source: string): ParsedSamples {
  const body = text.replace(/^\uFEFF/, '');
  const first = body.trimStart()[0];
  if (first === undefined) throw invalidInput(`${source}: file is empty`);
  if (first === '{') return parsePromResponseText(body, source);
  return parseCsv(body, source);
}

/** Parses CSV text (see the rules above). */
export function parseCsv(text: string, source: string): ParsedSamples {
  const c = parseCsvBytes(new TextEncoder().encode(text), source);
  return { timesMs: Array.from(c.timesMs), values: Array.from(c.values), dropped: c.dropped };
}

/** Parses a whole CSV file's bytes (a UTF-8 byte order mark is skipped). */
export function parseCsvBytes(bytes: Uint8Array, source: string): ParsedColumns {
  const scanner = new CsvScanner(source);
  scanner.feed(bytes, bomLength(bytes), bytes.length, true);
  return scanner.finish();
}

/** 3 when `bytes` starts with the UTF-8 byte order mark, else 0. */
export function bomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

const LF = 10;
const CR = 13;
const COMMA = 44;
const QUOTE = 34;
/** The columns of a header: where timestamp and value are (0 and 1, or 1 and 0); a row has 2 cells. */
export interface CsvHeader {
  readonly timestampIndex: number;
  readonly valueIndex: number;
  readonly cells: 2;
}

/**
 * Reads CSV rows from bytes fed in pieces (a file read in chunks, or only its end). Lines are
 * numbered from `firstLine`, which may be computed lazily (a reader that starts at the end of a
 * file counts the lines before only when a message needs a line number).
 */
export class CsvScanner {
  private header: CsvHeader | undefined;
  private rel = 0; // lines seen so far, relative to the first fed
  private base: number | undefined;
  private times = new Float64Array(1024);
  private vals = new Float64Array(1024);
  private n = 0;
  private readonly drops = new Map<DroppedValues['kind'], { count: number; rel: number; text: string; atMs: number }>();
  private readonly decoder = new TextDecoder();

  private firstLine: (() => number) | undefined;

  constructor(
    private readonly source: string,
    opts: { header?: CsvHeader; firstLine?: number | (() => number) } = {},
  ) {
    this.header = opts.header;
    const first = opts.firstLine ?? 1;
    if (typeof first === 'number') this.base = first;
    else this.firstLine = first;
  }

  /** The header in use (after the first line was fed, when none was given). */
  get columns(): CsvHeader | undefined {
    return this.header;
  }

  /** Rows read so far. */
  get rows(): number {
    return this.n;
  }

  /**
   * Reads every complete line of bytes[from, to) and returns where the first incomplete one
   * starts (`to` when `final`: the last line needs no line feed).
   */
  feed(b: Uint8Array, from: number, to: number, final: boolean): number {
    let i = from;
    while (i < to) {
      // A Buffer's indexOf is memchr: several times faster than a loop over the bytes.
      let eol = b.indexOf(LF, i);
      if (eol < 0 || eol > to) {
        if (!final) return i;
        eol = to;
      }
      this.line(b, i, eol > i && b[eol - 1] === CR ? eol - 1 : eol);
      this.rel++;
      i = eol + 1;
    }
    return to;
  }

  /** The rows read, with the values read as gaps; refuses a file without data rows. */
  finish(): ParsedColumns {
    if (this.header === undefined) throw invalidInput(`${this.source}: file is empty`);
    if (this.n === 0) throw invalidInput(`${this.source}: no data rows after the header`);
    const dropped: DroppedValues[] = [];
    for (const [kind, d] of this.drops) dropped.push({ kind, count: d.count, first: this.where(d.rel), text: d.text, atMs: d.atMs });
    return { timesMs: this.times.subarray(0, this.n), values: this.vals.subarray(0, this.n), dropped };
  }

  private where(rel: number): string {
    if (this.base === undefined) this.base = this.firstLine!();
    return `${this.source}:${this.base + rel}`;
  }

  /** The text of b[from, to): ASCII directly (the usual case), anything else decoded as UTF-8. */
  private text(b: Uint8Array, from: number, to: number): string {
    for (let i = from; i < to; i++) if (b[i]! > 127) return this.decoder.decode(b.subarray(from, to));
    return ascii(b, from, to);
  }

  private line(b: Uint8Array, from: number, to: number): void {
    // The common row, `2014-07-01T00:00:00Z,123.45`: each byte is read once, by the two readers
    // (which accept no comma, blank or quote, so the row has exactly two cells).
    if (this.header?.timestampIndex === 0 && to - from > 21 && b[from + 20] === COMMA) {
      const t = fastIsoMs(b, from, from + 20);
      const v = fastDecimal(b, from + 21, to);
      if (!Number.isNaN(t) && !Number.isNaN(v)) return this.row(t, v, b, from, from + 20, from + 21, to);
    }
    this.anyLine(b, from, to);
  }

  /** Any line: blank, the header, or a row in any of the accepted spellings. */
  private anyLine(b: Uint8Array, from: number, to: number): void {
    const h = this.header;
    if (skipBlanks(b, from, to) === to) return; // blank lines are skipped
    if (h === undefined) {
      this.header = this.parseHeader(b, from, to);
      return;
    }
    let commas = 0;
    let comma = -1;
    for (let i = from; i < to; i++) {
      if (b[i] === COMMA) {
        if (commas === 0) comma = i;
        commas++;
      }
    }
    if (commas + 1 !== h.cells) this.cellCount(b, from, to, commas + 1);
    // Two cells (the header allows no other column), split at the comma.
    const tFirst = h.timestampIndex === 0;
    let tFrom = skipBlanks(b, tFirst ? from : comma + 1, tFirst ? comma : to);
    let tTo = trimEnd(b, tFrom, tFirst ? comma : to);
    if (tTo - tFrom >= 2 && b[tFrom] === QUOTE && b[tTo - 1] === QUOTE) {
      tFrom++;
      tTo--;
    }
    let vFrom = skipBlanks(b, tFirst ? comma + 1 : from, tFirst ? to : comma);
    let vTo = trimEnd(b, vFrom, tFirst ? to : comma);
    if (vTo - vFrom >= 2 && b[vFrom] === QUOTE && b[vTo - 1] === QUOTE) {
      vFrom++;
      vTo--;
    }
    let t = fastIsoMs(b, tFrom, tTo);
    if (Number.isNaN(t)) {
      const raw = this.text(b, tFrom, tTo);
      t = parseTimestampMs(raw);
      if (!Number.isFinite(t)) throw invalidInput(`${this.where(this.rel)}: bad timestamp ${JSON.stringify(raw)}`);
    }
    let v = fastDecimal(b, vFrom, vTo);
    if (Number.isNaN(v)) {
      const raw = this.text(b, vFrom, vTo);
      const parsed = parseValue(raw);
      if (parsed === undefined) throw invalidInput(`${this.where(this.rel)}: value ${JSON.stringify(raw)} is not a number`);
      v = parsed;
    }
    this.row(t, v, b, tFrom, tTo, vFrom, vTo);
  }

  /** Checks and keeps one row: time t (from b[tFrom, tTo)) and value v (from b[vFrom, vTo)). */
  private row(t: number, v: number, b: Uint8Array, tFrom: number, tTo: number, vFrom: number, vTo: number): void {
    if (t > MAX_PLAUSIBLE_MS || t < 0) checkPlausible(t, this.text(b, tFrom, tTo), this.where(this.rel));
    if (!(v >= 0)) {
      this.drop(Number.isNaN(v) ? 'not-finite' : 'negative', this.text(b, vFrom, vTo), t);
      v = NaN;
    }
    const n = this.n;
    if (n > 0) {
      const prev = this.times[n - 1]!;
      if (t <= prev) this.unsorted(t, prev);
    }
    if (n === this.times.length) this.grow();
    this.times[n] = t;
    this.vals[n] = v + 0; // -0 is 0
    this.n = n + 1;
  }

  private drop(kind: DroppedValues['kind'], text: string, atMs: number): void {
    const d = this.drops.get(kind);
    if (d) d.count++;
    else this.drops.set(kind, { count: 1, rel: this.rel, text, atMs });
  }

  private unsorted(t: number, prev: number): never {
    if (t === prev) throw invalidInput(`${this.where(this.rel)}: duplicate timestamp ${formatTimestamp(t)}`);
    throw invalidInput(`${this.where(this.rel)}: rows are not sorted by time (${formatTimestamp(t)} comes after ${formatTimestamp(prev)})`);
  }

  private grow(): void {
    const grow = (a: Float64Array) => {
      const g = new Float64Array(a.length * 2);
      g.set(a);
      return g;
    };
    this.times = grow(this.times);
    this.vals = grow(this.vals);
  }

  private cellCount(b: Uint8Array, from: number, to: number, cells: number): never {
    const h = this.header!;
    const raw = this.text(b, from, to);
    // "2014-07-01T00:00:00Z,1,5": a decimal comma splits the value in two.
    const decimalComma = cells === h.cells + 1 && h.valueIndex === h.cells - 1 && /,\s*-?\d+\s*,\s*\d+\s*$/.test(raw) ? ' (a decimal comma? write 1.5, not 1,5)' : '';
    throw invalidInput(`${this.where(this.rel)}: ${cells} cells where the header has ${h.cells} (timestamp,value)${decimalComma}: ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw)}`);
  }

  private parseHeader(b: Uint8Array, from: number, to: number): CsvHeader {
    const raw = this.text(b, from, to);
    const where = this.where(this.rel);
    const names = raw.split(',').map((h) => h.trim().toLowerCase().replace(/^"(.*)"$/, '$1').trim());
    const ti = names.indexOf('timestamp');
    const vi = names.indexOf('value');
    if (ti < 0 || vi < 0) {
      const firstCell = names[0] ?? '';
      if (Number.isFinite(parseTimestampMs(firstCell))) {
        throw invalidInput(`${where}: no header: the first line is a data row (${JSON.stringify(raw)}); add the line timestamp,value above it`);
      }
      throw invalidInput(`${where}: header must name the columns timestamp,value (got ${JSON.stringify(raw)})`);
    }
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (k === ti || k === vi) continue;
      const what = name === 'timestamp' || name === 'value' ? `a second column ${JSON.stringify(name)}` : name === '' ? `an empty column ${k + 1}` : `an extra column ${JSON.stringify(name)}`;
      throw invalidInput(`${where}: header has ${what}; a series file has exactly the columns timestamp,value (one series: aggregate it, or remove the other columns)`);
    }
    return { timestampIndex: ti, valueIndex: vi, cells: 2 };
  }
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
 * cell are NaN (gaps); anything else that is not a finite number is undefined (an error).
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
  /** Values read as gaps (NaN, infinities, negative values). */
  dropped: readonly DroppedValues[];
}

/** Parses the text of a `query_range` response; a truncated body is an error, never a shorter series. */
export function parsePromResponseText(text: string, source: string): ParsedSamples {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidInput(`${source}: not valid JSON (${(e as Error).message}); a saved Prometheus query_range response was expected`);
  }
  const series = parsePromMatrix(json, source);
  const samples = singleSeries(series, source);
  return { ...samples, dropped: series[0]!.dropped };
}

/** Validates a decoded `query_range` response and returns every series in it. */
export function parsePromMatrix(json: unknown, source: string): PromSeries[] {
  const body = json as { status?: unknown; data?: { resultType?: unknown; result?: unknown }; error?: unknown };
  if (typeof body !== 'object' || body === null) throw invalidInput(`${source}: response is not a JSON object`);
  if (body.status !== 'success') {
    // Prometheus sends `error` as a string; anything else is shown as String() shows it, never
    // serialised (it could echo a request header).
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- see above
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
    const drops = new Map<DroppedValues['kind'], { count: number; i: number; text: string; atMs: number }>();
    item.values.forEach((pair: unknown, i: number) => {
      const where = `${source}: data.result[${k}].values[${i}]`;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') {
        throw invalidInput(`${where} must be [unixSeconds, "value"]`);
      }
      let v = parseValue(pair[1]);
      if (v === undefined) throw invalidInput(`${where}: value ${JSON.stringify(pair[1])} is not a number`);
      const t = Math.round(pair[0] * 1000);
      const prev = timesMs[timesMs.length - 1];
      checkPlausible(t, String(pair[0]), where);
      if (prev !== undefined && t <= prev) throw invalidInput(`${where}: timestamps must increase`);
      if (!(v >= 0)) {
        const kind = Number.isNaN(v) ? 'not-finite' : 'negative';
        const d = drops.get(kind);
        if (d) d.count++;
        else drops.set(kind, { count: 1, i, text: pair[1], atMs: t });
        v = NaN;
      }
      timesMs.push(t);
      values.push(v === 0 ? 0 : v);
    });
    const dropped = [...drops].map(([kind, d]) => ({ kind, count: d.count, first: `${source}: data.result[${k}].values[${d.i}]`, text: d.text, atMs: d.atMs }));
    return { metric: item.metric as Record<string, string>, samples: { timesMs, values }, dropped };
  });
}

/** Formats a label set like PromQL does: `{job="web",pod="a"}`. */
export function formatLabels(metric: Record<string, string>): string {
  return `{${Object.entries(metric).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

/** Exactly one series is expected; zero or several is an error that names what was found. */
export function singleSeries(series: ReadonlyArray<{ metric: Record<string, string>; samples: Samples }>, source: string): Samples {
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
