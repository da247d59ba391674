import type { Series } from '../core/series.js';

/**
 * Where load history comes from: a live Prometheus (or anything speaking its HTTP API), or a
 * recorded file replayed in simulated time. Narrow on purpose (docs/architecture.md, "Habits").
 */
export interface MetricSource {
  /** Human-readable origin for errors and logs (never contains credentials). */
  readonly description: string;
  /**
   * The single series of the source's query on the grid `fromMs, fromMs + stepMs, ... <= toMs`
   * (fromMs aligned to the step by the caller). Missing samples are NaN. Rejects rather than
   * returning a partial series.
   */
  fetchRange(fromMs: number, toMs: number, stepMs: number, signal?: AbortSignal): Promise<Series>;
}
