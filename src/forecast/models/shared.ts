/**
 * What several models share: which seasonal periods a history can support, the history the
 * Holt-Winters-based models need, the fitter options from a model's context, and the last touch
 * on a forecast (finite, and not below 0 when the history never is). Pure.
 */
import type { ModelContext } from '../types.js';

/** Whether a period of `p` steps can be estimated from `n` steps: at least two whole cycles. */
const hasTwoCycles = (p: number, n: number): boolean => p >= 2 && 2 * p <= n;

/** The integer periods among `periods` with two whole cycles in `n` steps, ascending, each once. */
export function periodsWithTwoCycles(periods: readonly number[], n: number): number[] {
  return [...new Set(periods.filter((p) => Number.isInteger(p) && hasTwoCycles(p, n)))].sort((a, b) => a - b);
}

/**
 * The integer periods among `periods` with more than two whole cycles in `n` steps, ascending, each
 * once: what MSTL decomposes (R's forecast::mstl drops a period p unless p < n / 2).
 */
export function periodsWithMoreThanTwoCycles(periods: readonly number[], n: number): number[] {
  return [...new Set(periods.filter((p) => Number.isInteger(p) && p >= 2 && 2 * p < n))].sort((a, b) => a - b);
}

/**
 * The longest of `periods` (in steps, rounded) that has at least two whole cycles in `n`
 * points, or 0 when none has. Models fall back to shorter periods when the history is short.
 */
export function longestUsablePeriod(periods: readonly number[], n: number): number {
  let best = 0;
  for (const q of periods) {
    const p = Math.round(q);
    if (hasTwoCycles(p, n) && p > best) best = p;
  }
  return best;
}

/**
 * History a Holt-Winters-based model needs: two full cycles of the longest period initialise the
 * seasonal indices; without periods a dozen points give a level and a trend worth smoothing.
 */
export function twoLongestCycles(ctx: ModelContext): number {
  const P = ctx.periods.length > 0 ? Math.max(...ctx.periods) : 0;
  return P >= 2 ? 2 * P : 12;
}

/** How a fitter starts: from parameters fitted earlier, run as they are (`fixed`) or refined (`warmStart`). */
export interface ParamsOptions {
  /** Start the search here (a short search near a known optimum). */
  readonly warmStart?: readonly number[];
  /** Use these parameters as they are (no search). */
  readonly fixed?: readonly number[];
}

/**
 * The fitter options for a model's context: its earlier parameters as they are (`ctx.params`), or
 * as the start of a short search (`ctx.refine`), or a cold fit.
 */
export function paramsOptions(ctx: ModelContext): ParamsOptions {
  if (ctx.params === undefined) return {};
  return ctx.refine ? { warmStart: ctx.params } : { fixed: ctx.params };
}

/** Smallest value of y (to decide whether forecasts must stay >= 0). */
export function minOf(y: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < y.length; i++) if (y[i]! < m) m = y[i]!;
  return m;
}

/** Replaces non-finite values by `fallback` and, for never-negative history, clamps at 0. */
export function finishForecast(out: Float64Array, nonNegative: boolean, fallback: number): Float64Array {
  for (let i = 0; i < out.length; i++) {
    let v = out[i]!;
    if (!Number.isFinite(v)) v = fallback;
    if (nonNegative && v < 0) v = 0;
    out[i] = v;
  }
  return out;
}
