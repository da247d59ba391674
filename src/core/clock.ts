/**
 * The only access to the wall clock (docs/architecture.md, "The injected clock"). Pure code takes `nowMs`;
 * the shell takes a Clock, which a dry-run or test replaces with a SimulatedClock.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      // An aborted sleep rejects with the signal's reason, as node:timers/promises does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as above
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A clock that only moves when told to; `sleep` advances it instantly. */
export class SimulatedClock implements Clock {
  constructor(private nowMs: number) {}
  now(): number {
    return this.nowMs;
  }
  set(ms: number): void {
    this.nowMs = ms;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.nowMs += ms;
  }
}
