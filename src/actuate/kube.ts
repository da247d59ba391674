/**
 * A small Kubernetes API client: plain verbs (GET, POST, PUT, JSON merge PATCH, DELETE) on paths
 * the caller names, with the credentials and TLS settings of a KubeConfig (@kubernetes/client-node
 * resolves kubeconfig files, in-cluster service accounts, exec plugins and token refresh).
 * Deliberately no server-side apply and no API discovery: every path is known in advance, so the
 * operator needs no RBAC beyond the objects it touches.
 *
 * Failures are classified once (src/core/errors.ts): 409 `conflict`, 404 `not-found`, 401/403
 * `forbidden`, 422/400 `invalid-input`, 429/5xx/network/timeout `transient`. The message is the
 * API server's own Status message, never a credential.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { type ErrorKind, PrescaleError, isPrescaleError } from '../core/errors.js';

export const MERGE_PATCH = 'application/merge-patch+json';

/** The API server's error object (kind Status). */
export interface KubeStatus {
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

export class KubeApiError extends PrescaleError {
  constructor(
    kind: ErrorKind,
    message: string,
    readonly status: number,
    readonly reason: string,
  ) {
    super(kind, message);
    this.name = 'KubeApiError';
  }
}

export const isKubeError = (e: unknown, status?: number): e is KubeApiError => e instanceof KubeApiError && (status === undefined || e.status === status);

export interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** What the operator needs from an API client (tests and shells can pass another). */
export interface Kube {
  request<T>(req: KubeRequest): Promise<T>;
}

export class KubeClient implements Kube {
  private readonly server: URL;

  constructor(
    private readonly config: KubeConfig,
    private readonly timeoutMs = 30_000,
  ) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new PrescaleError('invalid-input', 'kubeconfig: no current cluster (set current-context)');
    this.server = new URL(cluster.server);
  }

  get description(): string {
    return this.server.origin;
  }

  async request<T>(req: KubeRequest): Promise<T> {
    const url = new URL(this.server.pathname.replace(/\/$/, '') + req.path, this.server);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const opts: RequestOptions = { method: req.method, headers: { Accept: 'application/json' } };
    // Credentials and TLS from the kubeconfig (re-applied per request: tokens rotate).
    await this.config.applyToHTTPSOptions(opts);
    const body = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    if (body) Object.assign(opts.headers!, { 'Content-Type': req.contentType ?? 'application/json', 'Content-Length': String(body.length) });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const what = `${req.method} ${req.path}`;
    return new Promise<T>((resolve, reject) => {
      const r = send(url, { ...opts, timeout: this.timeoutMs, ...(req.signal ? { signal: req.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new PrescaleError('transient', `${what}: ${e.message}`, { cause: e })));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) {
            if (parsed === undefined && text !== '') reject(new PrescaleError('transient', `${what}: the API server answered ${status} with a body that is not JSON`));
            else resolve(parsed as T);
            return;
          }
          reject(apiError(what, status, parsed as KubeStatus | undefined));
        });
      });
      r.on('timeout', () => r.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      r.on('error', (e) => reject(new PrescaleError('transient', `${what}: ${e.message}`, { cause: e })));
      r.end(body);
    });
  }
}

function apiError(what: string, status: number, s: KubeStatus | undefined): KubeApiError {
  const reason = s?.reason ?? `HTTP${status}`;
  const message = `${what}: ${status} ${reason}${s?.message ? `: ${s.message.split('\n')[0]}` : ''}`;
  const kind: ErrorKind =
    status === 409 ? 'conflict'
    : status === 404 ? 'not-found'
    : status === 401 || status === 403 ? 'forbidden'
    : status === 400 || status === 422 || status === 415 ? 'invalid-input'
    : status === 429 || status >= 500 ? 'transient'
    : 'unexpected';
  return new KubeApiError(kind, message, status, reason);
}

/** Paths of the objects the operator reads and writes (namespaced unless said otherwise). */
export const paths = {
  scalers: (ns?: string): string => (ns ? `/apis/prescale.dev/v1alpha1/namespaces/${ns}/predictivescalers` : '/apis/prescale.dev/v1alpha1/predictivescalers'),
  scaler: (ns: string, name: string): string => `/apis/prescale.dev/v1alpha1/namespaces/${ns}/predictivescalers/${name}`,
  hpa: (ns: string, name: string, apiVersion = 'autoscaling/v2'): string => `/apis/${apiVersion}/namespaces/${ns}/horizontalpodautoscalers/${name}`,
  hpas: (ns?: string, apiVersion = 'autoscaling/v2'): string => (ns ? `/apis/${apiVersion}/namespaces/${ns}/horizontalpodautoscalers` : `/apis/${apiVersion}/horizontalpodautoscalers`),
  scale: (ns: string, kind: 'Deployment' | 'StatefulSet', name: string, apiVersion = 'apps/v1'): string =>
    `/apis/${apiVersion}/namespaces/${ns}/${kind === 'Deployment' ? 'deployments' : 'statefulsets'}/${name}/scale`,
  lease: (ns: string, name?: string): string => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases${name ? `/${name}` : ''}`,
  events: (ns: string): string => `/api/v1/namespaces/${ns}/events`,
  secret: (ns: string, name: string): string => `/api/v1/namespaces/${ns}/secrets/${name}`,
};

/** Attempts of a read-modify-write before a 409 storm is reported as a failure, and the first backoff. */
const CONFLICT_ATTEMPTS = 6;
const CONFLICT_BACKOFF_MS = 100;

/**
 * Runs a read-modify-write (`attempt` reads, decides and writes with the resourceVersion it read)
 * and runs it again after a 409, with exponential backoff on the injected clock.
 */
export async function retryOnConflict<T>(clock: Clock, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isPrescaleError(e, 'conflict') || n >= CONFLICT_ATTEMPTS) throw e;
      await clock.sleep(CONFLICT_BACKOFF_MS * 2 ** (n - 1), signal);
    }
  }
}

/** A target's 404 said in the user's words (the API path and Status text add nothing for them). */
export function targetNotFound(description: string, e: unknown): unknown {
  return isPrescaleError(e, 'not-found') ? new PrescaleError('not-found', `${description} not found (create it, or fix spec.target)`, { cause: e }) : e;
}
