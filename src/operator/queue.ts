/**
 * A work queue keyed by `namespace/name` (the HPA controller's pattern): `add(key, atMs)` asks for
 * a pass of that key at or after atMs (an earlier request wins); at most `concurrency` passes run
 * at once and never two of one key (a key added while its pass runs is run again after it).
 * The pass returns when it wants to run next. Time comes from the injected Clock. `onStart` hears
 * how late each pass started: its start minus its due time (the scheduling lag).
 */
import type { Clock } from '../core/clock.js';
import { fnv1a } from '../core/hash.js';

/**
 * When a resync asks for `key`'s pass: its own point of the period after `nowMs` (FNV-1a of the key),
 * so that a resync of thousands of scalers is spread over the period instead of due at one instant.
 */
export function resyncAtMs(key: string, nowMs: number, periodMs: number): number {
  return nowMs + (fnv1a(key) % periodMs);
}

export type Pass = (key: string, signal: AbortSignal) => Promise<number | undefined>;

export class WorkQueue {
  private readonly due = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();
  private wake: AbortController | undefined;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly concurrency: number,
    private readonly pass: Pass,
    private readonly onError: (key: string, e: unknown) => void,
    private readonly onStart?: (key: string, lagMs: number) => void,
  ) {}

  /** Asks for a pass of `key` at `atMs` (default now); keeps an earlier request. */
  add(key: string, atMs = this.clock.now()): void {
    const prev = this.due.get(key);
    if (prev === undefined || atMs < prev) {
      this.due.set(key, atMs);
      this.wake?.abort();
    }
  }

  /** Forgets a key's pending pass (the object is gone); a pass in flight finishes. */
  forget(key: string): void {
    this.due.delete(key);
  }

  get size(): number {
    return this.due.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops taking work and waits for the passes in flight. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.abort();
    await this.loop;
    await Promise.allSettled([...this.running.values()]);
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const now = this.clock.now();
      let next = Infinity;
      // The earliest due keys, as many as there are free workers: one scan, no sort (at a refit
      // boundary thousands are due, and this runs after every pass).
      const free = this.concurrency - this.running.size;
      const picked: Array<[string, number]> = [];
      for (const [key, at] of this.due) {
        if (this.running.has(key)) continue;
        if (at > now) {
          next = Math.min(next, at);
          continue;
        }
        if (picked.length === free && (free === 0 || at >= picked[free - 1]![1])) continue;
        if (picked.length === free) picked.pop();
        let i = picked.length;
        while (i > 0 && picked[i - 1]![1] > at) i--;
        picked.splice(i, 0, [key, at]);
      }
      for (const [key, at] of picked) {
        this.due.delete(key);
        this.onStart?.(key, now - at);
        this.running.set(key, this.runOne(key));
      }
      this.wake = new AbortController();
      const delay = this.running.size >= this.concurrency || next === Infinity ? 60_000 : Math.max(0, next - now);
      await this.clock.sleep(delay, this.wake.signal).catch(() => undefined);
    }
  }

  private async runOne(key: string): Promise<void> {
    // Yield first, so `run` records this pass as running before it can end: a pass that threw
    // synchronously would otherwise run `finally` before `running.set` and hold its key forever.
    await Promise.resolve();
    try {
      const nextAt = await this.pass(key, this.stopping.signal);
      if (nextAt !== undefined && !this.stopping.signal.aborted) this.add(key, nextAt);
    } catch (e) {
      this.onError(key, e);
    } finally {
      this.running.delete(key);
      this.wake?.abort();
    }
  }
}
