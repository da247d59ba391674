/**
 * MetricSource over the Prometheus HTTP API (`/api/v1/query_range`), also spoken by Thanos,
 * Mimir, Cortex and VictoriaMetrics. Constructed per scaler from its own options (endpoint,
 * query, tenant headers, credentials).
 *
 * - Long ranges are split so that no request asks for more than 11,000 points (Prometheus
 *   refuses more: "exceeded maximum resolution of 11,000 points per timeseries"); chunks are
 *   fetched with bounded concurrency and joined on one grid, so nothing is duplicated or lost.
 * - Responses are parsed by the one shared parser (src/metrics/parse.ts); NaN, +Inf, -Inf and
 *   negative values become gaps (a warning per response that has any). Exactly one series is
 *   expected.
 * - Network errors, timeouts, 429 and 5xx are retried (backoff + jitter, `Retry-After`
 *   honoured); 400/422 fail at once with Prometheus' own error text.
 * - A failed chunk fails the whole read: a partial series is never returned.
 */
import { Agent as HttpsAgent } from 'node:https';
import { readFile } from 'node:fs/promises';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { Clock } from '../core/clock.js';
import { PrescaleError, invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import { type AccessOptions, Credentials, splitUrlCredentials } from './credentials.js';
import {
  AttemptFailure,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  classifyStatus,
  isTransientCode,
  parseRetryAfterMs,
  withRetry,
} from './http-retry.js';
import { type PromSeries, describeDropped, formatLabels, parsePromMatrix, singleSeries } from './parse.js';
import type { MetricSource } from './source.js';

/** Prometheus refuses a query_range whose (end - start) / step exceeds 11,000 (web/api/v1/api.go). */
export const MAX_POINTS_PER_REQUEST = 11_000;

export interface PrometheusSourceOptions extends AccessOptions {
  /** Base URL, e.g. `http://prometheus:9090` or `https://mimir/prometheus`; `user:pass@` is basic auth. */
  url: string;
  /** PromQL returning exactly one series. */
  query: string;
  /** PEM bundle to trust for https (in addition to nothing else: it replaces the system CAs). */
  caFile?: string;
  /** Per-request deadline, ms, for the whole request including the body. Default 30 s. */
  timeoutMs?: number;
  /** Retries per request after the first attempt. Default 4. */
  maxRetries?: number;
  /** Chunk requests in flight at once. Default 4. */
  concurrency?: number;
  /** Points per request, at most; default 11,000 (tests raise it to provoke Prometheus' 400). */
  maxPointsPerRequest?: number;
}

/** The subset of a pino logger this module uses. */
export interface SourceLogger {
  warn(obj: object, msg: string): void;
}

export interface PrometheusSourceDeps {
  clock: Clock;
  /** Jitter source, uniform in [0, 1); default Math.random. */
  random?: () => number;
  logger?: SourceLogger;
  /** Backoff tuning; `maxRetries` from the options wins. */
  retryPolicy?: Partial<RetryPolicy>;
  /** Called as each HTTP request is sent (every chunk, every retry): the operator counts them. */
  onRequest?: () => void;
}

export interface TimeChunk {
  startMs: number;
  endMs: number;
}

/** Aligns a range to the step grid (multiples of the step since the epoch): start up, end down. */
export function alignRange(fromMs: number, toMs: number, stepMs: number): TimeChunk {
  if (!Number.isInteger(stepMs) || stepMs <= 0) throw invalidInput(`step must be a positive whole number of ms (got ${stepMs})`);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw invalidInput('range bounds must be finite epoch ms');
  const startMs = Math.ceil(fromMs / stepMs) * stepMs;
  const endMs = Math.floor(toMs / stepMs) * stepMs;
  if (endMs < startMs) {
    throw invalidInput(`empty range: no ${stepMs} ms step falls between ${formatTimestamp(fromMs)} and ${formatTimestamp(toMs)}`);
  }
  return { startMs, endMs };
}

/** Splits an aligned range into consecutive chunks of at most `maxPoints` grid points each. */
export function planChunks(startMs: number, endMs: number, stepMs: number, maxPoints = MAX_POINTS_PER_REQUEST): TimeChunk[] {
  const chunks: TimeChunk[] = [];
  const span = (maxPoints - 1) * stepMs;
  for (let s = startMs; s <= endMs; s += span + stepMs) chunks.push({ startMs: s, endMs: Math.min(endMs, s + span) });
  return chunks;
}

/** Runs `fn` over `items` with at most `limit` in flight; the first failure aborts the rest. */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T, signal: AbortSignal) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const ctrl = new AbortController();
  const sig = signal ? AbortSignal.any([signal, ctrl.signal]) : ctrl.signal;
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item, sig);
      } catch (e) {
        if (!failure) failure = { e };
        ctrl.abort(new Error('another chunk failed'));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.e;
}

/**
 * Characters of a server's own text (an error body, a value it sent) kept in an error: a 500 kB
 * error body must not become a status condition, an event and a log line.
 */
const MAX_SERVER_TEXT = 300;
const clip = (text: string): string => (text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}...` : text);

/**
 * Prometheus' error text from an error body (`{"status":"error","errorType":..,"error":..}`), else
 * the raw start; either way at most MAX_SERVER_TEXT characters. Give it the body already redacted:
 * cutting first could leave the start of a secret that redaction no longer recognises.
 */
function errorText(body: string): { errorType?: string; error: string } {
  try {
    const j = JSON.parse(body) as { errorType?: unknown; error?: unknown } | null;
    if (typeof j?.error === 'string') return { errorType: typeof j.errorType === 'string' ? clip(j.errorType) : undefined, error: clip(j.error) };
  } catch {
    // not JSON: a proxy's HTML or plain text
  }
  const text = body.replace(/\s+/g, ' ').trim();
  return { error: clip(text) || '(empty body)' };
}

/** Socket and TLS failures that retrying cannot fix. */
const PERMANENT_CODES = /^(ERR_INVALID_URL|ERR_BAD_OPTION|ERR_BAD_OPTION_VALUE|ERR_FR_TOO_MANY_REDIRECTS|ERR_NOT_SUPPORT)$|CERT|SELF_SIGNED|TLS/;

export class PrometheusSource implements MetricSource {
  readonly description: string;
  private readonly baseUrl: string;
  private readonly creds: Credentials;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly maxPoints: number;
  private readonly policy: RetryPolicy;
  private http: Promise<AxiosInstance> | undefined;

  constructor(
    private readonly opts: PrometheusSourceOptions,
    private readonly deps: PrometheusSourceDeps,
  ) {
    if (typeof opts.query !== 'string' || opts.query.trim() === '') throw invalidInput('Prometheus query must not be empty');
    const split = splitUrlCredentials(opts.url);
    if (split.username !== undefined && (opts.basicAuth || opts.bearerTokenFile)) {
      throw invalidInput('Prometheus URL carries user:pass@ and other credentials are given too; use one');
    }
    this.baseUrl = split.url.replace(/\/+$/, '');
    this.creds = new Credentials({
      headers: opts.headers,
      bearerTokenFile: opts.bearerTokenFile,
      basicAuth: split.username !== undefined ? { username: split.username, password: split.password ?? '' } : opts.basicAuth,
    });
    this.timeoutMs = positive(opts.timeoutMs, 30_000, 'timeoutMs');
    this.concurrency = positive(opts.concurrency, 4, 'concurrency');
    this.maxPoints = positive(opts.maxPointsPerRequest, MAX_POINTS_PER_REQUEST, 'maxPointsPerRequest');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.retryPolicy };
    if (opts.maxRetries !== undefined) {
      if (!Number.isInteger(opts.maxRetries) || opts.maxRetries < 0) throw invalidInput(`maxRetries must be a whole number >= 0 (got ${opts.maxRetries})`);
      this.policy.maxRetries = opts.maxRetries;
    }
    this.description = `prometheus ${this.baseUrl} query ${opts.query}`;
  }

  async fetchRange(fromMs: number, toMs: number, stepMs: number, signal?: AbortSignal): Promise<Series> {
    return (await this.fetchLabelled(fromMs, toMs, stepMs, signal)).series;
  }

  /** Like fetchRange, also returning the series' labels (for `prescale record --format json`). */
  async fetchLabelled(fromMs: number, toMs: number, stepMs: number, signal?: AbortSignal): Promise<{ metric: Record<string, string>; series: Series }> {
    const { startMs, endMs } = alignRange(fromMs, toMs, stepMs);
    const n = (endMs - startMs) / stepMs + 1;
    if (n > 20_000_000) throw invalidInput(`${this.description}: ${n} points is too many; use a longer step`);
    const found = new Map<string, { metric: Record<string, string>; values: Float64Array }>();
    const place = (series: PromSeries[]): void => {
      for (const s of series) {
        const key = formatLabels(s.metric);
        let slot = found.get(key);
        if (!slot) found.set(key, (slot = { metric: s.metric, values: new Float64Array(n).fill(NaN) }));
        const { timesMs, values } = s.samples;
        for (let i = 0; i < timesMs.length; i++) {
          const k = Math.round((timesMs[i]! - startMs) / stepMs);
          if (k >= 0 && k < n) slot.values[k] = values[i]!;
        }
      }
    };
    const chunks = planChunks(startMs, endMs, stepMs, this.maxPoints);
    await mapLimit(chunks, this.concurrency, async (c, sig) => place(await this.fetchChunk(c, stepMs, sig)), signal);
    const where = `${this.description} (${formatTimestamp(startMs)} .. ${formatTimestamp(endMs)})`;
    if (found.size !== 1) {
      // Reuse the shared parser's wording: it names the label sets found and suggests sum(...).
      singleSeries([...found.values()].map((f) => ({ metric: f.metric, samples: { timesMs: [], values: [] } })), where);
    }
    const only = [...found.values()][0]!;
    return { metric: only.metric, series: { startMs, stepMs, values: only.values } };
  }

  private async fetchChunk(c: TimeChunk, stepMs: number, signal: AbortSignal): Promise<PromSeries[]> {
    return withRetry((n) => this.attempt(c, stepMs, signal, n), {
      policy: this.policy,
      clock: this.deps.clock,
      random: this.deps.random,
      signal,
      onRetry: ({ retry, delayMs, error }) =>
        this.deps.logger?.warn(
          { source: this.description, start: formatTimestamp(c.startMs), end: formatTimestamp(c.endMs), retry, delayMs, err: error.message },
          'prometheus request failed; retrying',
        ),
    });
  }

  private async attempt(c: TimeChunk, stepMs: number, signal: AbortSignal, n: number): Promise<PromSeries[]> {
    const http = await this.client();
    const headers = await this.creds.headers();
    const body = new URLSearchParams({
      query: this.opts.query,
      start: String(c.startMs / 1000),
      end: String(c.endMs / 1000),
      step: String(stepMs / 1000),
    }).toString();
    // The deadline covers the whole request, body included (axios' own timeout is an idle timeout).
    const deadline = AbortSignal.timeout(this.timeoutMs);
    let res: AxiosResponse<string>;
    this.deps.onRequest?.();
    try {
      res = await http.post<string>('/api/v1/query_range', body, {
        headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        signal: AbortSignal.any([signal, deadline]),
      });
    } catch (e) {
      signal.throwIfAborted();
      throw this.networkFailure(e, deadline.aborted, n);
    }
    return this.interpret(res, c);
  }

  private networkFailure(e: unknown, timedOut: boolean, n: number): AttemptFailure {
    const d = this.description;
    if (timedOut) return new AttemptFailure(new PrescaleError('transient', `${d}: no complete answer within ${this.timeoutMs} ms`), true);
    const code = isAxiosError(e) ? e.code : (e as NodeJS.ErrnoException | undefined)?.code;
    // Never attach the axios error as `cause`: its config holds the Authorization header.
    const msg = this.creds.redact(e instanceof Error ? e.message : String(e));
    if (code !== undefined && PERMANENT_CODES.test(code)) {
      return new AttemptFailure(invalidInput(`${d}: ${msg} (${code})${/CERT|SELF_SIGNED|TLS/.test(code) ? '; set caFile to trust the server' : ''}`), false);
    }
    if (isAxiosError(e) || isTransientCode(code)) {
      return new AttemptFailure(new PrescaleError('transient', `${d}: request failed: ${msg}${code ? ` (${code})` : ''}`), true);
    }
    return new AttemptFailure(new PrescaleError('unexpected', `${d}: request failed on attempt ${n + 1}: ${msg}`), false);
  }

  private interpret(res: AxiosResponse<string>, c: TimeChunk): PromSeries[] {
    const d = this.description;
    const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    if (res.status >= 200 && res.status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // A body cut short (proxy or connection trouble) must never pass as a shorter series.
        throw new AttemptFailure(new PrescaleError('transient', `${d}: response is not valid JSON (${text.length} bytes; truncated?)`), true);
      }
      // Any JSON may come back (`null` too): only an object has warnings, and they are shown as text.
      const warnings = typeof json === 'object' && json !== null ? (json as { warnings?: unknown }).warnings : undefined;
      if (Array.isArray(warnings) && warnings.length > 0) {
        const texts = warnings.slice(0, 10).map((w) => clip(this.creds.redact(typeof w === 'string' ? w : JSON.stringify(w))));
        this.deps.logger?.warn({ source: d, start: formatTimestamp(c.startMs), warnings: texts }, 'prometheus returned warnings');
      }
      try {
        const series = parsePromMatrix(json, d);
        for (const s of series) {
          for (const dropped of s.dropped) {
            this.deps.logger?.warn({ source: d, start: formatTimestamp(c.startMs), end: formatTimestamp(c.endMs) }, describeDropped({ ...dropped, first: `${d} at ${formatTimestamp(dropped.atMs)}` }));
          }
        }
        return series;
      } catch (e) {
        throw new AttemptFailure(this.serverTextError(e instanceof PrescaleError ? e : invalidInput(`${d}: ${String(e)}`)), false);
      }
    }
    const { kind, retryable } = classifyStatus(res.status);
    const { errorType, error } = errorText(this.creds.redact(text));
    const what =
      kind === 'query' ? `Prometheus rejected the query (HTTP ${res.status}${errorType ? `, ${errorType}` : ''}): ${error}`
      : kind === 'forbidden' ? `access denied (HTTP ${res.status}): ${error}; check the bearer token, basic auth or tenant header`
      : kind === 'invalid-input' ? `HTTP ${res.status} from ${this.baseUrl}/api/v1/query_range (is the URL or path prefix right?): ${error}`
      : `HTTP ${res.status}: ${error}`;
    const retryAfter: unknown = res.headers['retry-after'];
    throw new AttemptFailure(
      new PrescaleError(kind, this.creds.redact(`${d}: ${what}`)),
      retryable,
      parseRetryAfterMs(typeof retryAfter === 'string' ? retryAfter : undefined, this.deps.clock.now()),
    );
  }

  /** `e` with its message redacted, then the server's part of it (after the source) clipped. */
  private serverTextError(e: PrescaleError): PrescaleError {
    const d = this.description;
    const redacted = this.creds.redact(e.message);
    const head = redacted.startsWith(d) ? d : '';
    const rest = redacted.slice(head.length);
    const message = head + (rest.length > 2 * MAX_SERVER_TEXT ? `${rest.slice(0, 2 * MAX_SERVER_TEXT)}...` : rest);
    return message === e.message ? e : new PrescaleError(e.kind, message, { cause: e.cause });
  }

  /** The axios instance, made on first use (reading the CA file is asynchronous). */
  private client(): Promise<AxiosInstance> {
    this.http ??= (async () => {
      let httpsAgent: HttpsAgent | undefined;
      if (this.opts.caFile !== undefined) {
        let ca: Buffer;
        try {
          ca = await readFile(this.opts.caFile);
        } catch (e) {
          this.http = undefined; // let the next call try again
          throw invalidInput(`caFile ${this.opts.caFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        httpsAgent = new HttpsAgent({ ca, keepAlive: true });
      }
      return axios.create({
        baseURL: this.baseUrl,
        httpsAgent,
        responseType: 'text',
        transformResponse: [(data: unknown) => data], // parse ourselves: truncation must be an error
        validateStatus: () => true, // statuses are classified in interpret()
        maxRedirects: 3,
      });
    })();
    return this.http;
  }
}

function positive(v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw invalidInput(`${what} must be a positive number (got ${v})`);
  return v;
}
