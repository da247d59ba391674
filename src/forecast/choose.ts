/**
 * Choosing among candidate forecasts by their errors at rolling origins. Pure.
 */

/**
 * The best single forecast, or mean of the best two or three, by mean absolute error over the
 * origins (all, or all but the one at index `skip`): `forecasts[m][o]` is candidate m's forecast of
 * `hEval` steps from `origins[o]`, and a candidate missing at any origin is not compared.
 * Undefined when no candidate has an error to compare (no observation after any origin).
 */
export function bestMembers(forecasts: ReadonlyArray<ReadonlyArray<Float64Array | undefined>>, origins: readonly number[], truth: Float64Array, hEval: number, skip = -1): { members: number[]; mae: number } | undefined {
  const ranked = forecasts
    .map((f, i) => ({ i, mae: originMae(f, origins, truth, hEval, skip) }))
    .filter((s) => Number.isFinite(s.mae))
    .sort((a, b) => a.mae - b.mae);
  if (ranked.length === 0) return undefined;
  let best = { members: [ranked[0]!.i], mae: ranked[0]!.mae };
  for (const k of [2, 3]) {
    if (ranked.length < k) break;
    const members = ranked.slice(0, k).map((r) => r.i);
    const combined = origins.map((_, o) => {
      const parts = members.map((m) => forecasts[m]![o]);
      return parts.every((p) => p !== undefined) ? combine(parts) : undefined;
    });
    const mae = originMae(combined, origins, truth, hEval, skip);
    if (mae < best.mae) best = { members, mae };
  }
  return best;
}

/** Mean absolute error of forecasts from each origin (NaN when one is missing or nothing was observed). */
export function originMae(fs: ReadonlyArray<Float64Array | undefined>, origins: readonly number[], truth: Float64Array, hEval: number, skip = -1): number {
  let sum = 0;
  let count = 0;
  for (let o = 0; o < origins.length; o++) {
    const f = fs[o];
    if (!f) return NaN; // a candidate must be evaluated at every origin to be compared fairly
    if (o === skip) continue;
    for (let j = 0; j < hEval && origins[o]! + j < truth.length; j++) {
      const a = truth[origins[o]! + j]!;
      if (Number.isNaN(a)) continue;
      sum += Math.abs(a - f[j]!);
      count++;
    }
  }
  return count === 0 ? NaN : sum / count;
}

/** The mean of several forecasts of equal length. */
export function combine(parts: Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  // Point i adds the parts in order from 0: the same sums as accumulating part after part.
  return parts[0]!.map((_, i) => parts.reduce((s, p) => s + p[i]! / parts.length, 0));
}
