/**
 * A scaler's load history, read incrementally: the first read fetches the whole window, later
 * reads fetch only the new tail plus a little overlap (re-fetched so late-arriving samples and
 * still-moving rate() points are corrected). Scryer's collector read incrementally for the same
 * reason: to keep load off the data source. Memory is bounded by the window: one Float32Array
 * of historyMs / stepMs values (4 bytes a point: 158 KiB for 28 days at 1 minute). Load is kept to
 * single precision, 7 significant digits, far finer than any forecast of it; every use of the
 * control loop (operator, dry-run, backtest) reads through this window and so sees the same values.
 *
 * Works the same over any MetricSource, so a dry-run over a recording and over Prometheus see
 * the same history and make the same decisions.
 */
import { invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import type { MetricSource } from './source.js';

export interface HistoryOptions {
  /** Grid step, ms. */
  stepMs: number;
  /** Window length, ms; the window holds round(historyMs / stepMs) points. */
  historyMs: number;
  /** Steps before the last cached point that are fetched again on each read. Default 3. */
  overlapSteps?: number;
}

export class HistoryWindow {
  private readonly stepMs: number;
  private readonly points: number;
  private readonly overlapSteps: number;
  /** Cached window: `values[i]` is the load at `endMs - (points - 1 - i) * stepMs`. */
  private cache: { endMs: number; values: Float32Array } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: MetricSource,
    opts: HistoryOptions,
  ) {
    if (!Number.isInteger(opts.stepMs) || opts.stepMs <= 0) throw invalidInput(`history step must be a positive whole number of ms (got ${opts.stepMs})`);
    this.stepMs = opts.stepMs;
    this.points = Math.round(opts.historyMs / opts.stepMs);
    if (!(this.points >= 1)) throw invalidInput(`history (${opts.historyMs} ms) must be at least one step (${opts.stepMs} ms)`);
    this.overlapSteps = opts.overlapSteps ?? 3;
    if (!Number.isInteger(this.overlapSteps) || this.overlapSteps < 0) throw invalidInput(`overlapSteps must be a whole number >= 0 (got ${opts.overlapSteps})`);
  }

  /**
   * The last `historyMs` up to the last whole step <= nowMs (gaps are NaN). Calls are
   * serialized. A failed fetch leaves the cache as it was, so the next read fetches a longer tail.
   */
  read(nowMs: number, signal?: AbortSignal): Promise<Series> {
    const run = this.queue.then(() => this.readNow(nowMs, signal));
    // Settled to undefined: the chain must not hold the last read (a copy of the whole window).
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Drops the cache; the next read fetches the whole window (e.g. after the query changed). */
  reset(): void {
    this.cache = undefined;
  }

  private async readNow(nowMs: number, signal?: AbortSignal): Promise<Series> {
    const step = this.stepMs;
    const endMs = Math.floor(nowMs / step) * step;
    const startMs = endMs - (this.points - 1) * step;
    const c = this.cache;
    // Incremental only when the cache overlaps the new window and time did not go backwards.
    const fetchFrom = c && c.endMs <= endMs && c.endMs >= startMs ? Math.max(startMs, c.endMs - this.overlapSteps * step) : startMs;
    const tail = await this.source.fetchRange(fetchFrom, endMs, step, signal);
    // The window moves in place: cached points in [startMs, fetchFrom) shift down by the steps
    // elapsed, the rest is what the tail does not cover (gaps) until the tail fills it.
    const values = c?.values ?? new Float32Array(this.points);
    let keep = 0;
    if (c && fetchFrom > startMs) {
      const shift = (endMs - c.endMs) / step;
      keep = (fetchFrom - startMs) / step;
      values.copyWithin(0, shift, shift + keep);
    }
    values.fill(NaN, keep);
    const at = (tail.startMs - startMs) / step;
    for (let i = 0; i < tail.values.length; i++) {
      const k = at + i;
      if (k >= 0 && k < this.points) values[k] = tail.values[i]!;
    }
    this.cache = { endMs, values };
    return { startMs, stepMs: step, values: Float64Array.from(values) };
  }
}
