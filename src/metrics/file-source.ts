/**
 * Reads a recorded series file (CSV or a saved query_range JSON) onto its regular grid, with the
 * one shared parser (parse.ts).
 *
 * - A CSV file is read in chunks of a few MB and parsed as bytes: a 5-million-row file never
 *   exists as one string or as millions of line strings.
 * - `tailMs` reads only the newest part of a CSV file, scanning from its end, for callers that use
 *   no more history than that (`forecast` fits the last 35 days): the rows before it are not read
 *   (nor checked), the grid stays aligned to the file's first sample, and line numbers in
 *   messages are counted only when a message needs one.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { PrescaleError, invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { CsvScanner, type CsvHeader, type ParsedColumns, bomLength, describeDropped, parsePromResponseText } from './parse.js';
import { inferStepMs, toRegular } from './resample.js';

export interface ReadSeriesOptions {
  /** The grid step, ms (otherwise inferred from the rows read). */
  stepMs?: number;
  /** Read only the newest `tailMs` of a CSV file (at least; whole lines from the end). */
  tailMs?: number;
  /** Receives one line per kind of value read as a gap (negative, NaN/Inf/empty), naming the first. */
  onWarning?: (line: string) => void;
  /** Bytes read at a time (default 4 MB; tests use small chunks to cross their boundaries). */
  chunkBytes?: number;
}

/** Bytes read at a time. */
const CHUNK_BYTES = 4 * 2 ** 20;
/** Bytes read from the start of a file to tell its format and header. */
const HEAD_BYTES = 64 * 1024;

/** Reads a recorded series file onto its regular grid; `opts` may be just the grid step. */
export async function readSeriesFile(path: string, opts: number | ReadSeriesOptions = {}): Promise<Series> {
  const o: ReadSeriesOptions = typeof opts === 'number' ? { stepMs: opts } : opts;
  const chunk = o.chunkBytes ?? CHUNK_BYTES;
  return withFile(path, async (fh) => {
    const size = (await fh.stat()).size;
    const head = await readAt(fh, 0, Math.min(size, HEAD_BYTES), path);
    const firstChar = firstNonBlank(head);
    if (firstChar === undefined && size <= head.length) throw invalidInput(`${path}: file is empty`);
    let parsed: { columns: ParsedColumns; startMs?: number };
    if (firstChar === 0x7b /* { */) {
      const text = new TextDecoder().decode(await readAt(fh, 0, size, path));
      const s = parsePromResponseText(text.replace(/^\uFEFF/, ''), path);
      parsed = { columns: { timesMs: Float64Array.from(s.timesMs), values: Float64Array.from(s.values), dropped: s.dropped } };
    } else if (o.tailMs !== undefined && size > 2 * chunk) {
      parsed = await readCsvTail(fh, size, head, path, chunk, o.tailMs, o.stepMs);
    } else {
      parsed = { columns: await readCsvWhole(fh, size, path, chunk) };
    }
    for (const d of parsed.columns.dropped) o.onWarning?.(describeDropped(d));
    return toRegular(parsed.columns, path, o.stepMs, parsed.startMs);
  });
}

/** The time span of a series file, from its first and last rows. */
export interface SeriesSpan {
  readonly firstMs: number;
  readonly lastMs: number;
  /** The step of the newest rows (at most 64 KB of them). */
  readonly stepMs: number;
}

/**
 * The span of a long CSV file from its first rows and its last 64 KB, without reading the rest
 * (for an estimate of the work before reading millions of rows); undefined for a file of at most
 * two chunks (8 MB) or a saved query_range response, which are read whole soon enough. Nothing is
 * checked but the rows read.
 */
export async function peekSeriesSpan(path: string, opts: Pick<ReadSeriesOptions, 'chunkBytes'> = {}): Promise<SeriesSpan | undefined> {
  return withFile(path, async (fh) => {
    const size = (await fh.stat()).size;
    if (size <= 2 * (opts.chunkBytes ?? CHUNK_BYTES)) return undefined;
    const head = await readAt(fh, 0, HEAD_BYTES, path);
    if (firstNonBlank(head) === 0x7b /* { */) return undefined;
    const { columns } = await readCsvTail(fh, size, head, path, HEAD_BYTES, 0);
    const times = columns.timesMs;
    return { firstMs: readHead(head, path).firstTimeMs, lastMs: times[times.length - 1]!, stepMs: inferStepMs(times) };
  });
}


/** Runs `fn` on the file opened for reading (an open failure is the file's one-line error), then closes it. */
async function withFile<T>(path: string, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw openError(path, e);
  }
  try {
    return await fn(fh);
  } finally {
    await fh.close();
  }
}

/** The first byte after a byte-order mark that is not blank (space, tab, newline), if any. */
function firstNonBlank(head: Uint8Array): number | undefined {
  return head.subarray(bomLength(head)).find((c) => c !== 32 && c !== 9 && c !== 10 && c !== 13);
}

function openError(path: string, e: unknown): PrescaleError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new PrescaleError('invalid-input', `${path}: no such file`, { cause: e });
  if (code === 'EISDIR') return invalidInput(`${path}: is a directory, not a series file`, e);
  return invalidInput(`${path}: cannot read (${(e as Error).message})`, e);
}

async function readAt(fh: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  try {
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (e) {
    throw openError(path, e);
  }
  return buf.subarray(0, got);
}

/** The whole CSV file, read and parsed chunk by chunk (a line cut by a chunk is carried over). */
async function readCsvWhole(fh: FileHandle, size: number, path: string, chunk: number): Promise<ParsedColumns> {
  const scanner = new CsvScanner(path);
  let buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(size, 1)));
  let carry = 0;
  let position = 0;
  let first = true;
  for (;;) {
    if (carry === buf.length) {
      // One line longer than the buffer: make room.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, carry, buf.length - carry, position));
    } catch (e) {
      throw openError(path, e);
    }
    position += bytesRead;
    const end = carry + bytesRead;
    const final = bytesRead === 0 || position >= size;
    const from = first ? bomLength(buf.subarray(0, end)) : 0;
    first = false;
    const used = scanner.feed(buf, from, end, final);
    if (final) break;
    buf.copy(buf, 0, used, end);
    carry = end - used;
  }
  return scanner.finish();
}

/**
 * The newest `tailMs` (and a little more) of a CSV file: the header and first data row from the
 * head, then whole lines from the end, read again from further back until they span `tailMs`
 * plus two steps, or reach the header. The returned start keeps the grid of a whole read.
 */
async function readCsvTail(fh: FileHandle, size: number, head: Buffer, path: string, chunk: number, tailMs: number, stepMs?: number): Promise<{ columns: ParsedColumns; startMs?: number }> {
  const { header, headerLine, dataStart, firstTimeMs } = readHead(head, path);
  const newlinesBefore = (offset: number): number => countNewlines(fh.fd, offset);
  for (let want = chunk; ; want *= 4) {
    const from = Math.max(dataStart, size - want);
    const bytes = await readAt(fh, from, size - from, path);
    let start = 0;
    if (from > dataStart) {
      // Skip the line the read began inside of.
      start = bytes.indexOf(10) + 1;
      if (start === 0) continue;
    }
    const scanner = new CsvScanner(path, { header, firstLine: from === dataStart ? headerLine + 1 : () => newlinesBefore(from + start) + 1 });
    scanner.feed(bytes, start, bytes.length, true);
    if (scanner.rows === 0 && from > dataStart) continue;
    const columns = scanner.finish();
    if (from === dataStart) return { columns };
    const times = columns.timesMs;
    const step = stepMs ?? inferStepMs(times);
    const first = times[0]!;
    if (Number.isFinite(step) && times[times.length - 1]! - first >= tailMs + 2 * step) {
      // The first whole grid interval read: the grid of a whole read, starting inside the tail.
      return { columns, startMs: firstTimeMs + Math.ceil((first - firstTimeMs) / step) * step };
    }
  }
}

/** The header (the first non-blank line) and the time of the first data row, from the file's head. */
function readHead(head: Buffer, path: string): { header: CsvHeader; headerLine: number; dataStart: number; firstTimeMs: number } {
  const scanner = new CsvScanner(path);
  let i = bomLength(head);
  let line = 0;
  let header: CsvHeader | undefined;
  let headerLine = 0;
  let dataStart = 0;
  while (i < head.length) {
    const eol = head.indexOf(10, i);
    if (eol < 0) break;
    scanner.feed(head, i, eol + 1, false);
    line++;
    i = eol + 1;
    if (header === undefined && scanner.columns !== undefined) {
      header = scanner.columns;
      headerLine = line;
      dataStart = i;
    }
    if (scanner.rows > 0) return { header: header!, headerLine, dataStart, firstTimeMs: scanner.finish().timesMs[0]! };
  }
  throw invalidInput(`${path}: no complete header and data row in the first ${head.length} bytes`);
}

/** Line feeds in the first `end` bytes of the file (for a line number in a message). */
function countNewlines(fd: number, end: number): number {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let n = 0;
  for (let pos = 0; pos < end; ) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
    if (got === 0) break;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
    pos += got;
  }
  return n;
}
