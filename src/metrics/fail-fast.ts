/**
 * A MetricSource that fails for good at its first failed read: the error (naming the source and the
 * range) is kept in `failure` and thrown again by every later read, so a caller that swallows
 * read errors (the control loop holds the floor and retries) can still tell that one happened.
 * The dry-run uses it so that a replay never differs silently from one of a recording.
 */
import { PrescaleError, errorMessage, isPrescaleError } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import type { MetricSource } from './source.js';

export class FailFastSource implements MetricSource {
  /** The first failure, classified like the error it wraps (`unexpected` when unclassified). */
  failure: PrescaleError | undefined;

  constructor(private readonly inner: MetricSource) {}

  get description(): string {
    return this.inner.description;
  }

  async fetchRange(fromMs: number, toMs: number, stepMs: number, signal?: AbortSignal): Promise<Series> {
    if (this.failure) throw this.failure;
    try {
      return await this.inner.fetchRange(fromMs, toMs, stepMs, signal);
    } catch (e) {
      const kind = isPrescaleError(e) ? e.kind : 'unexpected';
      this.failure = new PrescaleError(kind, `${this.inner.description}: reading history for ${formatTimestamp(fromMs)} .. ${formatTimestamp(toMs)} failed: ${errorMessage(e)}`, { cause: e });
      throw this.failure;
    }
  }
}
