import { invalidInput } from '../core/errors.js';

/**
 * A Deployment in simulated time: new pods become ready `startupMs` after they are created;
 * removed pods disappear at once. On scale-down the not-ready pods go first, youngest first
 * (the ReplicaSet controller deletes not-ready before ready and newer before older pods).
 *
 * Pods are kept as cohorts (one per scale-up) so a step costs O(1) amortised however many
 * replicas there are. Time must not go backwards.
 */
export class Deployment {
  private readyCount: number;
  /** Not-ready cohorts, oldest first: created at createdMs, `count` pods. */
  private readonly starting: Array<{ createdMs: number; count: number }> = [];
  private startingCount = 0;
  private lastMs: number;

  /** `initialReady` pods exist and are ready at `startMs`. */
  constructor(
    readonly startupMs: number,
    initialReady: number,
    startMs: number,
  ) {
    if (!(Number.isFinite(startupMs) && startupMs >= 0)) throw invalidInput(`pod start-up must be >= 0 ms (got ${startupMs})`);
    if (!(Number.isInteger(initialReady) && initialReady >= 0)) throw invalidInput(`initial replicas must be an integer >= 0 (got ${initialReady})`);
    this.readyCount = initialReady;
    this.lastMs = startMs;
  }

  /** Pods that exist (ready or starting): the Deployment's spec.replicas. */
  get replicas(): number {
    return this.readyCount + this.startingCount;
  }

  /** Ready pods at nowMs (a pod created at c is ready from c + startupMs on). */
  ready(nowMs: number): number {
    this.advance(nowMs);
    return this.readyCount;
  }

  /** Pods created but not ready yet at nowMs. */
  notReady(nowMs: number): number {
    this.advance(nowMs);
    return this.startingCount;
  }

  /** Sets spec.replicas at nowMs: creates pods (ready later) or removes them (starting pods first). */
  scaleTo(replicas: number, nowMs: number): void {
    if (!(Number.isInteger(replicas) && replicas >= 0)) throw invalidInput(`replicas must be an integer >= 0 (got ${replicas})`);
    this.advance(nowMs);
    let diff = replicas - this.replicas;
    if (diff > 0) {
      if (this.startupMs === 0) this.readyCount += diff;
      else {
        this.starting.push({ createdMs: nowMs, count: diff });
        this.startingCount += diff;
      }
      return;
    }
    while (diff < 0 && this.starting.length > 0) {
      const youngest = this.starting[this.starting.length - 1]!;
      const take = Math.min(youngest.count, -diff);
      youngest.count -= take;
      this.startingCount -= take;
      diff += take;
      if (youngest.count === 0) this.starting.pop();
    }
    this.readyCount += diff; // diff <= 0 here
  }

  private advance(nowMs: number): void {
    if (nowMs < this.lastMs) throw new RangeError(`simulated time went backwards: ${nowMs} < ${this.lastMs}`);
    this.lastMs = nowMs;
    while (this.starting.length > 0 && this.starting[0]!.createdMs + this.startupMs <= nowMs) {
      const c = this.starting.shift()!;
      this.readyCount += c.count;
      this.startingCount -= c.count;
    }
  }
}
