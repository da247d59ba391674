/**
 * Forecast accuracy metrics (docs/architecture.md, "Scoring"). Pure. NaN actuals (gaps) are skipped.
 */

/** Mean absolute error of the in-sample seasonal naive forecast at lag `season` (the MASE scale). */
export function seasonalNaiveScale(history: ArrayLike<number>, season: number): number {
  let sum = 0;
  let n = 0;
  for (let i = season; i < history.length; i++) {
    const a = history[i]!;
    const b = history[i - season]!;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    sum += Math.abs(a - b);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

export function mae(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    if (Number.isNaN(a)) continue;
    sum += Math.abs(a - forecast[i]!);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Mean absolute scaled error: MAE / in-sample seasonal-naive MAE at the shortest season. */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): number {
  return mae(actual, forecast) / scale;
}

/** Symmetric MAPE in percent (0..200); a pair of zeros counts as no error. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    if (Number.isNaN(a)) continue;
    const f = forecast[i]!;
    const d = Math.abs(a) + Math.abs(f);
    sum += d === 0 ? 0 : (200 * Math.abs(a - f)) / d;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** Share of actuals at or below the quantile forecast (a p90 should cover about 0.9). */
export function coverage(actual: ArrayLike<number>, upper: ArrayLike<number>): number {
  let hit = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    if (Number.isNaN(a)) continue;
    if (a <= upper[i]!) hit++;
    n++;
  }
  return n === 0 ? NaN : hit / n;
}
