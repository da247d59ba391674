/**
 * Moves a forecast from the working grid to the grid a user asked for. Pure.
 * A value at time t on a grid of step S stands for the mean load over [t, t + S); its centre is
 * t + S/2. A finer output grid interpolates linearly between working centres; a coarser one averages
 * the working values whose centres fall in its interval.
 */
export interface Grid {
  readonly startMs: number;
  readonly stepMs: number;
  readonly values: ArrayLike<number>;
}

/**
 * `anchor` is the last observed value before the forecast (on the working grid, one step before
 * `src.startMs`), so the first output points join the history smoothly.
 */
export function onGrid(src: Grid, outStartMs: number, outStepMs: number, count: number, anchor?: number): Float64Array {
  const out = new Float64Array(count);
  const n = src.values.length;
  const centre0 = src.startMs + src.stepMs / 2;
  const at = (i: number): number => (i < 0 ? (anchor ?? src.values[0]!) : src.values[Math.min(n - 1, i)]!);
  for (let k = 0; k < count; k++) {
    const from = outStartMs + k * outStepMs;
    if (outStepMs > src.stepMs) {
      let sum = 0;
      let c = 0;
      for (let i = Math.max(0, Math.ceil((from - centre0) / src.stepMs)); i < n; i++) {
        const centre = centre0 + i * src.stepMs;
        if (centre >= from + outStepMs) break;
        sum += src.values[i]!;
        c++;
      }
      if (c > 0) {
        out[k] = sum / c;
        continue;
      }
    }
    const pos = (from + outStepMs / 2 - centre0) / src.stepMs;
    const i0 = Math.floor(pos);
    const w = pos - i0;
    out[k] = at(i0) * (1 - w) + at(i0 + 1) * w;
  }
  return out;
}
