/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
 * - timings: leaseDuration > renewDeadline > retryPeriod (checked before anything runs), defaults
 *   15 s / 10 s / 2 s;
 * - a lease held by another is taken only when its record has not changed for leaseDuration, judged
 *   against the local time this process last saw it change (never the remote timestamps: clocks
 *   differ between nodes);
 * - writes are optimistic (PUT with the resourceVersion read); a 409 means another won;
 * - the leader renews every retryPeriod and steps down when no renewal succeeded for renewDeadline;
 * - on shutdown the leader releases the lease (empty holder, 1 s duration) so another takes over
 *   at once.
 * Timestamps are MicroTime (RFC 3339 with microseconds).
 */
import type { Clock } from '../core/clock.js';
import { PrescaleError, errorMessage, invalidInput, isPrescaleError } from '../core/errors.js';
import { type Kube, paths } from '../actuate/kube.js';

export interface LeaderTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEADER_TIMINGS: LeaderTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onError?(message: string): void;
}

/** RFC 3339 with microseconds, as Kubernetes' MicroTime serializes. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * leaseTransitions as read, when it is an int32 count that can still grow; else 0. Fields written
 * back have their API types whatever was read (the API server refuses a string or an overflow).
 */
function transitionsOf(spec: LeaseSpec): number {
  const n = spec.leaseTransitions;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2_147_483_647 ? n : 0;
}

export class LeaderElector {
  private observed: { record: string; atMs: number } | undefined;
  private leading = false;
  private lastRenewMs = 0;

  constructor(
    private readonly kube: Kube,
    private readonly clock: Clock,
    private readonly lease: { namespace: string; name: string },
    readonly identity: string,
    private readonly timings: LeaderTimings = DEFAULT_LEADER_TIMINGS,
  ) {
    const { leaseDurationMs: d, renewDeadlineMs: r, retryPeriodMs: p } = timings;
    if (!(d > r)) throw invalidInput(`leader election: lease duration (${d} ms) must be longer than the renew deadline (${r} ms)`);
    if (!(r > p * 1.2)) throw invalidInput(`leader election: renew deadline (${r} ms) must be longer than 1.2 x the retry period (${p} ms)`);
    if (!(p > 0)) throw invalidInput('leader election: the retry period must be > 0');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Healthy unless leading with no successful renewal for longer than the lease duration (client-go's adaptor). */
  healthy(): boolean {
    return !this.leading || this.clock.now() - this.lastRenewMs <= this.timings.leaseDurationMs + this.timings.renewDeadlineMs;
  }

  /** Acquires, then renews until `signal` aborts (then releases) or renewal fails for renewDeadline. */
  async run(cb: LeaderCallbacks, signal: AbortSignal): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.timings;
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(cb)) {
        if (!this.leading) {
          this.leading = true;
          cb.onStartedLeading();
        }
      } else if (this.leading && this.clock.now() - this.lastRenewMs >= renewDeadlineMs) {
        this.leading = false;
        cb.onStoppedLeading();
        return;
      }
      // Jitter on acquisition (client-go: JitterFactor 1.2) so candidates do not retry in step.
      const wait = this.leading ? retryPeriodMs : retryPeriodMs * (1 + 0.2 * Math.random());
      await this.clock.sleep(wait, signal).catch(() => undefined);
    }
    if (this.leading) await this.release();
  }

  private async tryAcquireOrRenew(cb: LeaderCallbacks): Promise<boolean> {
    const now = this.clock.now();
    const path = paths.lease(this.lease.namespace, this.lease.name);
    // A hung request must not keep a leader leading past its renew deadline (another candidate may
    // take over after the lease duration): a leader's attempt ends by lastRenew + renewDeadline
    // (client-go runs renewals under a context with that timeout), a candidate's within renewDeadline.
    // Wall-clock, as every I/O timeout.
    const budget = this.leading ? this.lastRenewMs + this.timings.renewDeadlineMs - now : this.timings.renewDeadlineMs;
    const signal = AbortSignal.timeout(Math.max(1, budget));
    const mine: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      let current: Lease;
      try {
        current = await this.kube.request<Lease>({ method: 'GET', path, signal });
      } catch (e) {
        if (!isPrescaleError(e, 'not-found')) throw e;
        await this.kube.request({ method: 'POST', path: paths.lease(this.lease.namespace), body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { ...this.lease }, spec: mine }, signal });
        return this.renewed(now);
      }
      if (typeof current !== 'object' || current === null) throw new PrescaleError('transient', `the API server answered with ${JSON.stringify(current) ?? 'nothing'}, not a Lease`);
      const spec: LeaseSpec = typeof current.spec === 'object' && current.spec !== null ? current.spec : {};
      const record = JSON.stringify(spec);
      if (this.observed?.record !== record) this.observed = { record, atMs: now };
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder !== '' && holder !== this.identity && this.observed.atMs + durationMs > now) return false;
      const next: LeaseSpec =
        holder === this.identity
          ? { ...mine, acquireTime: typeof spec.acquireTime === 'string' ? spec.acquireTime : mine.acquireTime, leaseTransitions: transitionsOf(spec) }
          : { ...mine, leaseTransitions: transitionsOf(spec) + 1 };
      await this.kube.request({ method: 'PUT', path, body: { ...current, spec: next }, signal });
      return this.renewed(now);
    } catch (e) {
      // A 409 means another candidate wrote first: not an error worth reporting.
      if (!isPrescaleError(e, 'conflict')) cb.onError?.(`lease ${this.lease.namespace}/${this.lease.name}: ${errorMessage(e)}`);
      return false;
    }
  }

  private renewed(now: number): boolean {
    this.lastRenewMs = now;
    return true;
  }

  /** Gives the lease up at once: empty holder, shortest duration (client-go's ReleaseOnCancel). */
  private async release(): Promise<void> {
    this.leading = false;
    const path = paths.lease(this.lease.namespace, this.lease.name);
    // Bounded like a renewal: an unreachable API server must not hold up the shutdown.
    const signal = AbortSignal.timeout(this.timings.renewDeadlineMs);
    try {
      const current = await this.kube.request<Lease>({ method: 'GET', path, signal });
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime(this.clock.now());
      const spec = current.spec;
      const released: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, leaseTransitions: transitionsOf(spec), ...(typeof spec.acquireTime === 'string' ? { acquireTime: spec.acquireTime } : {}) };
      await this.kube.request({ method: 'PUT', path, body: { ...current, spec: released }, signal });
    } catch {
      // Best effort: the lease expires by itself.
    }
  }
}
