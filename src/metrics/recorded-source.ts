/**
 * MetricSource over a recorded series (a CSV file or a saved query_range response, read by the
 * one shared parser), answering `fetchRange` as Prometheus would on the same data:
 * - the range is aligned to the step grid the same way (start up, end down; epoch multiples);
 * - each grid point takes the recorded sample whose step interval contains it, i.e. the latest
 *   sample at or before it and less than one recording step old (Prometheus' lookback, bounded
 *   by the recording step so gaps stay gaps);
 * - outside the recording, and in its gaps, values are NaN.
 */
import type { Series } from '../core/series.js';
import { readSeriesFile } from './file-source.js';
import { alignRange } from './prometheus.js';
import type { MetricSource } from './source.js';

export class RecordedSource implements MetricSource {
  constructor(
    private readonly recording: Series,
    readonly description: string,
  ) {}

  /** Reads a recording file; `stepMs` forces the recording's grid step (otherwise inferred). */
  static async fromFile(path: string, stepMs?: number): Promise<RecordedSource> {
    return new RecordedSource(await readSeriesFile(path, stepMs), `recording ${path}`);
  }

  async fetchRange(fromMs: number, toMs: number, stepMs: number, signal?: AbortSignal): Promise<Series> {
    signal?.throwIfAborted();
    const { startMs, endMs } = alignRange(fromMs, toMs, stepMs);
    const n = (endMs - startMs) / stepMs + 1;
    const rec = this.recording;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const k = Math.floor((startMs + i * stepMs - rec.startMs) / rec.stepMs);
      values[i] = k >= 0 && k < rec.values.length ? rec.values[k]! : NaN;
    }
    return { startMs, stepMs, values };
  }
}
