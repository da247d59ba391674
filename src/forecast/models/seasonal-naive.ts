import type { Model, ModelContext } from '../types.js';

/**
 * Seasonal naive: each future value repeats the value one season earlier (last day, last week).
 * The baseline every model must beat. The season in steps is `periodMs` at the context's step
 * (at least one step).
 */
export function seasonalNaive(name: string, periodMs: number): Model {
  const period = (ctx: ModelContext): number => Math.max(1, Math.round(periodMs / ctx.stepMs));
  return {
    name,
    minHistory: (ctx) => period(ctx),
    forecast(y, h, ctx) {
      const p = period(ctx);
      const out = new Float64Array(h);
      const n = y.length;
      for (let i = 0; i < h; i++) {
        // Value at n+i repeats n+i-p, or earlier seasons when the horizon exceeds one season.
        let j = n + i - p;
        while (j >= n) j -= p;
        out[i] = y[j]!;
      }
      return out;
    },
  };
}
