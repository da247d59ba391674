/**
 * Retries with exponential backoff and jitter for calls to a metrics backend.
 * Sleeping goes through the injected Clock (tests do not wait) and the jitter source is
 * injectable. Which failures are worth retrying is decided by the caller, which throws an
 * `AttemptFailure`; anything else thrown by an attempt is not retried.
 */
import type { Clock } from '../core/clock.js';
import { PrescaleError } from '../core/errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt. Default 4 (5 attempts in all). */
  maxRetries: number;
  /** Backoff before retry 1, ms; doubles with each retry. Default 250 ms. */
  baseDelayMs: number;
  /** Cap on the computed backoff, ms. Default 8 s. */
  maxDelayMs: number;
  /** Cap on a server's `Retry-After`, ms, so a bad header cannot stall a scaler. Default 60 s. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** One failed attempt, classified: `retryable` failures are tried again, the rest thrown at once. */
export class AttemptFailure extends Error {
  constructor(
    readonly error: PrescaleError,
    readonly retryable: boolean,
    /** The server asked to wait this long (from `Retry-After`), ms. */
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
    this.name = 'AttemptFailure';
  }
}

/**
 * Backoff before retry number `retry` (0-based), ms: "equal jitter" (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015): half of min(cap, base * 2^retry) fixed, half random,
 * so parallel clients spread out but never retry immediately.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random())));
}

/**
 * `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP date. Returns ms to wait
 * (>= 0), or undefined when absent or unreadable.
 */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const h = header.trim();
  if (/^\d+$/.test(h)) return Number(h) * 1000;
  if (!/[a-z]/i.test(h)) return undefined;
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

export interface RetryOptions {
  policy: RetryPolicy;
  clock: Clock;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  signal?: AbortSignal;
  /** Called before each sleep (for logging); `error` is already redacted by the caller. */
  onRetry?: (info: { retry: number; delayMs: number; error: PrescaleError }) => void;
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or retries run out.
 * On exhaustion the last error is rethrown as kind `transient` with the attempt count added.
 * An abort of `signal` stops at once with the signal's reason.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const random = opts.random ?? Math.random;
  for (let n = 0; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (e) {
      opts.signal?.throwIfAborted();
      if (!(e instanceof AttemptFailure)) throw e;
      if (!e.retryable) throw e.error;
      if (n >= opts.policy.maxRetries) {
        throw new PrescaleError('transient', `${e.error.message} (gave up after ${n + 1} attempts)`, { cause: e.error });
      }
      const backoff = backoffDelayMs(n, opts.policy, random);
      const asked = e.retryAfterMs === undefined ? 0 : Math.min(e.retryAfterMs, opts.policy.maxRetryAfterMs);
      const delayMs = Math.max(backoff, asked);
      opts.onRetry?.({ retry: n + 1, delayMs, error: e.error });
      await opts.clock.sleep(delayMs, opts.signal);
    }
  }
}

/** HTTP status classes as prescale treats them (see src/core/errors.ts). */
export function classifyStatus(status: number): { kind: 'transient' | 'query' | 'forbidden' | 'invalid-input' | 'unexpected'; retryable: boolean } {
  // 501 Not Implemented will not change on a retry: the endpoint is not there (a wrong URL or API).
  if (status === 501) return { kind: 'invalid-input', retryable: false };
  if (status === 429 || status >= 500) return { kind: 'transient', retryable: true };
  if (status === 401 || status === 403) return { kind: 'forbidden', retryable: false };
  // Prometheus: 400 bad_data (parse errors, too many points), 422 execution errors.
  if (status === 400 || status === 422) return { kind: 'query', retryable: false };
  // 404 / 405 and friends: usually a wrong URL or path prefix.
  if (status >= 400) return { kind: 'invalid-input', retryable: false };
  return { kind: 'unexpected', retryable: false };
}

/** Node socket error codes that mean "the network hiccuped", worth a retry. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ERR_BAD_RESPONSE',
  'ERR_NETWORK',
  'Z_BUF_ERROR',
  'Z_DATA_ERROR',
]);

export const isTransientCode = (code: string | undefined): boolean => code !== undefined && TRANSIENT_CODES.has(code);
