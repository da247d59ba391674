/**
 * Pod start-up times of a scaler's target, for `plan.leadTime: auto` (the estimator is pure:
 * src/plan/lead-time.ts). The target's pods are found through the selector its scale subresource
 * reports (`status.selector`): the Deployment's or StatefulSet's own, or, for an HPA, the one of
 * its scaleTargetRef. They are listed and then watched with that label selector (resumed from the
 * last resourceVersion, relisted after 410 Gone, restarted with backoff after a failure), so a pod
 * that started and went between two passes still counts. A pod's start-up is its creation to its
 * `Ready` condition turning True; a pod whose containers restarted is left out (its Ready time is
 * that of a later start). The selector is resolved once per target (a changed spec.target finds it
 * again).
 *
 * Memory: at most KEEP start-ups per scaler (the estimator looks at the last 20), and the UIDs of
 * the target's pods beyond them that still exist. After an operator restart the start-ups of the
 * pods that still exist come back from the list; those of pods deleted before it are gone.
 */
import { type KubeConfig, Watch } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { errorMessage, PrescaleError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { formatTimestamp, parseTimestampMs } from '../core/time.js';
import type { Scaler } from '../config/scaler.js';
import { type Kube, paths } from '../actuate/kube.js';
import type { ScalerStatus } from './status.js';
import { leadTimeAt, leadTimeOptionsOf, LEAD_TIME_MIN_OBSERVATIONS, LEAD_TIME_WINDOW, sortObservations, type LeadTimeEstimate, type LeadTimeOptions, type StartupObservation } from '../plan/lead-time.js';

/** Start-ups kept per scaler (the newest by Ready time). */
const KEEP = 4 * LEAD_TIME_WINDOW;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export interface PodLike {
  metadata?: { uid?: string; name?: string; creationTimestamp?: string; deletionTimestamp?: string };
  status?: {
    conditions?: Array<{ type?: string; status?: string; lastTransitionTime?: string }>;
    containerStatuses?: Array<{ restartCount?: number }>;
  };
}

/** A pod's start-up (creation to Ready), or undefined while it is not Ready or when it cannot tell. */
export function startupOf(pod: PodLike): StartupObservation | undefined {
  const created = typeof pod.metadata?.creationTimestamp === 'string' ? parseTimestampMs(pod.metadata.creationTimestamp) : NaN;
  const conditions = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  const ready = conditions.find((c) => c?.type === 'Ready');
  if (ready?.status !== 'True' || typeof ready.lastTransitionTime !== 'string') return undefined;
  const readyMs = parseTimestampMs(ready.lastTransitionTime);
  if (!Number.isFinite(created) || !Number.isFinite(readyMs) || readyMs < created) return undefined;
  const statuses = Array.isArray(pod.status?.containerStatuses) ? pod.status.containerStatuses : [];
  if (statuses.some((c) => typeof c?.restartCount === 'number' && c.restartCount > 0)) return undefined;
  return { readyMs, durationMs: readyMs - created };
}

/** The label selector of a scaler's target, from its (or its HPA's target's) scale subresource. */
export async function targetSelector(kube: Kube, scaler: Scaler): Promise<string> {
  const t = scaler.spec.target;
  const ns = scaler.namespace;
  let kind: string = t.kind;
  let name = t.name;
  let apiVersion = t.apiVersion;
  if (t.kind === 'HorizontalPodAutoscaler') {
    const hpa = await kube.request<{ spec?: { scaleTargetRef?: { kind?: unknown; name?: unknown; apiVersion?: unknown } } }>({ method: 'GET', path: paths.hpa(ns, t.name, t.apiVersion) });
    const ref = hpa?.spec?.scaleTargetRef;
    if (typeof ref?.kind !== 'string' || typeof ref.name !== 'string') throw new PrescaleError('invalid-input', `HorizontalPodAutoscaler ${ns}/${t.name} has no spec.scaleTargetRef`);
    kind = ref.kind;
    name = ref.name;
    apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : 'apps/v1';
  }
  if ((kind !== 'Deployment' && kind !== 'StatefulSet') || apiVersion !== 'apps/v1') {
    throw new PrescaleError('invalid-input', `leadTime auto finds pods through a Deployment or StatefulSet (apps/v1); the target scales ${kind} ${name} (${apiVersion})`);
  }
  const scale = await kube.request<{ status?: { selector?: unknown } }>({ method: 'GET', path: paths.scale(ns, kind, name, apiVersion) });
  const selector = scale?.status?.selector;
  if (typeof selector !== 'string' || selector === '') throw new PrescaleError('invalid-input', `${kind} ${ns}/${name}: its scale subresource reports no selector`);
  return selector;
}

/**
 * The start-ups of one scaler's pods. A list, then a watch from its resourceVersion (with
 * bookmarks), resumed from the last resourceVersion seen when it ends and relisted after 410 Gone,
 * restarted with backoff after a failure. No cache of the pods is kept (client-node's ListWatch
 * would hold every pod object): only the start-ups, keyed by pod UID.
 */
export class PodStartups {
  private readonly byUid = new Map<string, StartupObservation>();
  /**
   * Pods whose start-up the KEEP bound dropped, while they exist: not read again, because their
   * Ready time then is that of a readiness flap (the probe failed and recovered), not of a start.
   */
  private readonly dropped = new Set<string>();
  private sorted: StartupObservation[] | undefined = [];
  private readonly watch: Watch | undefined;
  private request: AbortController | undefined;
  private running = false;
  private resourceVersion = '';
  private stopped = false;
  private failures = 0;
  private readonly stopping = new AbortController();
  /** The selector in use, once resolved. */
  selector: string | undefined;
  /** The last failure to find or watch the pods (cleared by a good list or a watch that connects). */
  problem: string | undefined;

  constructor(
    private readonly kube: Kube,
    config: KubeConfig | undefined,
    private readonly clock: Clock,
    readonly namespace: string,
    private readonly onError: (message: string) => void,
  ) {
    this.watch = config ? new Watch(config) : undefined;
  }

  private get path(): string {
    return `/api/v1/namespaces/${this.namespace}/pods`;
  }

  /** Resolves the selector and starts the watch (once); without a KubeConfig, lists on every call. */
  async sync(scaler: Scaler): Promise<void> {
    try {
      this.selector ??= await targetSelector(this.kube, scaler);
      if (!this.watch) {
        const { items } = await this.list();
        this.forgetDropped(items);
        this.ingest(items);
        return;
      }
      if (!this.running) {
        this.running = true;
        await this.listAndWatch().catch((e: unknown) => {
          // Not listed: the next pass starts afresh.
          this.running = false;
          throw e;
        });
      }
    } catch (e) {
      this.problem = errorMessage(e);
      throw e;
    }
  }

  /** The start-ups seen, sorted by Ready time. */
  observations(): readonly StartupObservation[] {
    this.sorted ??= sortObservations([...this.byUid.values()]);
    return this.sorted;
  }

  estimate(atMs: number, opts: LeadTimeOptions, withChange = false): LeadTimeEstimate {
    return leadTimeAt(this.observations(), atMs, opts, withChange);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.request?.abort();
  }

  private async list(): Promise<{ metadata?: { resourceVersion?: string }; items: PodLike[] }> {
    const l = await this.kube.request<{ metadata?: { resourceVersion?: string }; items?: PodLike[] }>({ method: 'GET', path: this.path, query: { labelSelector: this.selector! } });
    this.problem = undefined;
    return { ...l, items: Array.isArray(l?.items) ? l.items : [] };
  }

  /** Lists when there is no resourceVersion to resume from, then watches from it. */
  private async listAndWatch(): Promise<void> {
    if (this.resourceVersion === '') {
      const l = await this.list();
      this.forgetDropped(l.items);
      this.ingest(l.items);
      this.resourceVersion = l.metadata?.resourceVersion ?? '';
    }
    if (this.stopped) return;
    const startedMs = this.clock.now();
    this.request = await this.watch!.watch(
      this.path,
      { labelSelector: this.selector!, resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: unknown) => this.onEvent(type, obj),
      (err: unknown) => void this.onDone(err, startedMs),
    );
    if (this.stopped) this.request.abort();
  }

  private onEvent(type: string, obj: unknown): void {
    const o = obj as (PodLike & { code?: number; metadata?: { resourceVersion?: string } }) | undefined;
    if (type === 'ERROR') {
      // 410 Gone: the resourceVersion expired; the watch ends and the next start lists afresh.
      if (o?.code === 410) this.resourceVersion = '';
      return;
    }
    // The watch works: a later failure starts the backoff over.
    this.problem = undefined;
    this.failures = 0;
    if (type === 'ADDED' || type === 'MODIFIED') this.ingest([o as PodLike]);
    const uid = uidOf(o);
    if (type === 'DELETED' && uid !== undefined) this.dropped.delete(uid);
    const rv = o?.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
  }

  /** The watch ended: resume (at once after a clean end of a watch that ran a while, else after a backoff). */
  private async onDone(err: unknown, startedMs: number): Promise<void> {
    this.request = undefined;
    if (this.stopped) return;
    if ((err as { statusCode?: number } | null)?.statusCode === 410) this.resourceVersion = '';
    // A watch that ran a while and ended, or one whose resourceVersion expired (410: list again), resumes at once.
    const gone = this.resourceVersion === '' && this.failures === 0;
    const clean = (!err && this.clock.now() - startedMs >= BACKOFF_MIN_MS) || gone;
    // A second 410 with no event in between backs off like any failure.
    if (gone) this.failures = 1;
    if (!clean) {
      this.failures++;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1));
      if (err) {
        this.problem = `watching pods (${this.selector}) failed: ${errorMessage(err)}`;
        this.onError(`${this.problem}; restarting in ${delay} ms`);
      }
      const waited = await this.clock.sleep(delay, this.stopping.signal).then(
        () => true,
        () => false,
      );
      if (!waited || this.stopped) return;
    }
    try {
      await this.listAndWatch();
    } catch (e) {
      await this.onDone(e, this.clock.now());
    }
  }

  private ingest(pods: readonly PodLike[]): void {
    for (const pod of pods) {
      const uid = uidOf(pod);
      if (uid === undefined || this.byUid.has(uid) || this.dropped.has(uid)) continue;
      const o = startupOf(pod);
      if (!o) continue;
      this.byUid.set(uid, o);
      this.sorted = undefined;
    }
    if (this.byUid.size > KEEP) {
      const keep = new Set(this.observations().slice(-KEEP));
      for (const [uid, o] of this.byUid) {
        if (keep.has(o)) continue;
        this.byUid.delete(uid);
        this.dropped.add(uid);
      }
      this.sorted = undefined;
    }
  }

  /** A full list: dropped pods that are not in it are gone (their deletion may have been missed). */
  private forgetDropped(pods: readonly PodLike[]): void {
    if (this.dropped.size === 0) return;
    const listed = new Set(pods.map(uidOf));
    for (const uid of this.dropped) if (!listed.has(uid)) this.dropped.delete(uid);
  }
}

const uidOf = (pod: PodLike | undefined): string | undefined => pod?.metadata?.uid ?? pod?.metadata?.name;

/** What the controller gets for a scaler with `plan.leadTime: auto`. */
export interface LearnedLeadTime {
  /** The lead time in force at a refit-grid time (the control loop's deps.leadTime). */
  readonly at: (atMs: number) => number;
  /** Status `leadTime`: the value the plan of `refitAtMs` uses (`planLeadTimeMs`), its basis and when it last changed. */
  readonly status: (refitAtMs: number, planLeadTimeMs: number | undefined) => NonNullable<ScalerStatus['leadTime']>;
}

/** The pod start-ups of every scaler with `plan.leadTime: auto`, keyed by namespace/name. */
export class PodStartupRegistry {
  private readonly byKey = new Map<string, { specKey: string; startups: PodStartups }>();

  constructor(
    private readonly kube: Kube,
    private readonly config: KubeConfig | undefined,
    private readonly clock: Clock,
    private readonly onError: (key: string, message: string) => void,
  ) {}

  /**
   * Finds the scaler's pods (once per spec) and brings its start-ups up to date. Never throws: a
   * target whose pods cannot be found or read keeps the start-ups seen so far (the fallback when
   * none), and the status message says why.
   */
  async sync(key: string, scaler: Scaler): Promise<LearnedLeadTime> {
    const t = scaler.spec.target;
    const specKey = `${t.kind}/${t.apiVersion}/${t.name}`;
    let e = this.byKey.get(key);
    if (e && e.specKey !== specKey) {
      await this.forget(key);
      e = undefined;
    }
    if (!e) {
      e = { specKey, startups: new PodStartups(this.kube, this.config, this.clock, scaler.namespace, (m) => this.onError(key, m)) };
      this.byKey.set(key, e);
    }
    const startups = e.startups;
    await startups.sync(scaler).catch((err: unknown) => this.onError(key, `leadTime auto: finding the target's pods failed (the lead time keeps what was seen, else its default): ${errorMessage(err)}`));
    const opts = leadTimeOptionsOf(scaler.spec);
    return {
      at: (atMs) => startups.estimate(atMs, opts).leadTimeMs,
      status: (refitAtMs, planLeadTimeMs) => {
        const est = startups.estimate(refitAtMs, opts, true);
        const ms = planLeadTimeMs ?? est.leadTimeMs;
        const basis = est.fallback
          ? `${est.observations} pod start-up${est.observations === 1 ? '' : 's'} seen, fewer than ${LEAD_TIME_MIN_OBSERVATIONS}: the default ${formatDuration(opts.fallbackMs)} holds`
          : `p90 of the last ${est.observations} pod start-ups (creation to Ready)${est.leadTimeMs === opts.maxMs ? `, capped at forecast.horizon - refitInterval (${formatDuration(opts.maxMs)})` : ''}`;
        const where = startups.selector === undefined ? '' : ` of pods ${startups.selector}`;
        const problem = startups.problem === undefined ? '' : `; ${startups.problem}`;
        return {
          value: formatDuration(ms),
          seconds: ms / 1000,
          source: est.fallback ? 'Default' : 'Learned',
          pods: est.observations,
          ...(est.changedAtMs !== undefined ? { lastChangeTime: formatTimestamp(est.changedAtMs) } : {}),
          message: `${basis}${where}${problem}`,
        };
      },
    };
  }

  /** Stops watching a scaler's pods (deleted, or its target changed). */
  async forget(key: string): Promise<void> {
    const e = this.byKey.get(key);
    this.byKey.delete(key);
    await e?.startups.stop();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byKey.keys()].map((k) => this.forget(k)));
  }
}
