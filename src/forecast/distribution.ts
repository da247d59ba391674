/**
 * A weighted empirical distribution (of forecast errors). Pure.
 */
export interface Distribution {
  /** Sorted values. */
  readonly values: Float64Array;
  /** Cumulative weight up to and including each value, normalised to end at 1. */
  readonly cum: Float64Array;
}

export function weightedDistribution(values: readonly number[], weights: readonly number[]): Distribution {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const sorted = Float64Array.from(order, (i) => values[i]!);
  const cum = new Float64Array(order.length);
  let total = 0;
  order.forEach((i, k) => {
    total += weights[i]!;
    cum[k] = total;
  });
  for (let k = 0; k < cum.length; k++) cum[k] = cum[k]! / total;
  return { values: sorted, cum };
}

/** The q-quantile: the smallest value whose cumulative weight reaches q (0 for an empty distribution). */
export function distributionQuantile(d: Distribution, q: number): number {
  const n = d.values.length;
  if (n === 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (d.cum[mid]! >= q) hi = mid;
    else lo = mid + 1;
  }
  return d.values[lo]!;
}
