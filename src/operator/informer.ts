/**
 * PredictiveScalers as the operator sees them: a list-then-watch cache per watched namespace (or
 * one for the whole cluster) on @kubernetes/client-node's ListWatch. That ListWatch relists by
 * itself after a 410 Gone (an expired resourceVersion) but stops on any other error, so it is
 * restarted here with exponential backoff. Every add, update and delete is handed on as a key.
 */
import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { fnv1a } from '../core/hash.js';
import { type Kube, paths } from '../actuate/kube.js';

export interface ScalerObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
  };
  spec?: unknown;
  status?: Record<string, unknown>;
}

interface ScalerList {
  metadata?: { resourceVersion?: string };
  items: ScalerObject[];
}

export const keyOf = (o: { metadata: { namespace?: string; name: string } }): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A failure this long after the previous one starts the backoff over (client-go's reflector: 2 min). */
const BACKOFF_RESET_MS = 2 * 60_000;

export class ScalerInformer {
  private readonly watches: Array<{ lw: ListWatch<KubernetesObject>; synced: boolean; failures: number; lastFailureMs: number }> = [];
  private stopped = false;
  /** Aborted by stop(): cancels restarts waiting out their backoff (their timers would keep a stopping process alive). */
  private readonly stopping = new AbortController();

  constructor(
    config: KubeConfig,
    private readonly kube: Kube,
    private readonly clock: Clock,
    namespaces: readonly string[],
    private readonly handlers: { onChange(key: string, obj: ScalerObject | undefined): void; onError(message: string): void },
  ) {
    const watch = new Watch(config);
    for (const ns of namespaces.length > 0 ? namespaces : [undefined]) {
      const path = paths.scalers(ns);
      const entry = { lw: undefined as unknown as ListWatch<KubernetesObject>, synced: false, failures: 0, lastFailureMs: -Infinity };
      const list = async (): Promise<ScalerList> => {
        const l = await this.kube.request<ScalerList>({ method: 'GET', path });
        entry.failures = 0;
        // The ListWatch adds the listed items right after this resolves; synced after that.
        setImmediate(() => (entry.synced = true));
        return { ...l, items: l.items ?? [] };
      };
      // Typed loosely by client-node (KubernetesListObject); the objects are plain JSON.
      entry.lw = new ListWatch<KubernetesObject>(path, watch, list as never, false);
      for (const verb of ['add', 'update'] as const) entry.lw.on(verb, (o: KubernetesObject) => handlers.onChange(keyOf(o as unknown as ScalerObject), o as unknown as ScalerObject));
      entry.lw.on('delete', (o: KubernetesObject) => handlers.onChange(keyOf(o as unknown as ScalerObject), undefined));
      entry.lw.on('error', (err: unknown) => void this.restart(entry, err));
      this.watches.push(entry);
    }
  }

  /** True once every watched namespace was listed. */
  get synced(): boolean {
    return this.watches.every((w) => w.synced);
  }

  async start(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.lw.start()));
  }

  get(key: string): ScalerObject | undefined {
    const i = key.indexOf('/');
    const ns = key.slice(0, i);
    const name = key.slice(i + 1);
    for (const w of this.watches) {
      const o = w.lw.get(name, ns);
      // The cache holds the objects as the API server sent them (JSON, timestamps as strings).
      if (o) return o as unknown as ScalerObject;
    }
    return undefined;
  }

  keys(): string[] {
    return this.watches.flatMap((w) => w.lw.list().map((o) => keyOf(o as unknown as ScalerObject)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await Promise.all(this.watches.map((w) => w.lw.stop()));
  }

  private async restart(entry: { lw: ListWatch<KubernetesObject>; failures: number; lastFailureMs: number }, err: unknown): Promise<void> {
    if (this.stopped) return;
    // A watch resumed from its resourceVersion does not list again (where failures are reset), so a
    // watch that ran well for a while starts over at the shortest backoff.
    const now = this.clock.now();
    if (now - entry.lastFailureMs > BACKOFF_RESET_MS) entry.failures = 0;
    entry.lastFailureMs = now;
    entry.failures++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (entry.failures - 1));
    this.handlers.onError(`watching PredictiveScalers failed (${errorMessage(err)}); restarting in ${delay} ms`);
    const waited = await this.clock.sleep(delay, this.stopping.signal).then(
      () => true,
      () => false,
    );
    if (waited && !this.stopped) await entry.lw.start().catch((e: unknown) => this.handlers.onError(`restarting the watch: ${errorMessage(e)}`));
  }
}

/** FNV-1a (32 bit) of `namespace/name`: which shard of N owns a scaler (stable across processes and versions). */
export function shardOf(key: string, shards: number): number {
  return fnv1a(key) % shards;
}
