/**
 * Loess (Cleveland 1979) as STL runs it (stl.ts): at x, the `span` nearest points get tricube
 * weights of distance / h, h the distance to the farthest of them (widened by (span - n) / 2 when
 * span > n), and a local constant (degree 0) or line (degree 1) is fitted by weighted least
 * squares, evaluated every `jump` points and linearly interpolated in between; the smoothers of
 * the cycle-subseries as precomputed plans; STL's running-sum moving average. Pure.
 */

/**
 * Loess value at position `x` (positions are indices 0..n-1 of `y`) from the points
 * y[left..right] (inclusive): tricube weights of |j - x| / h, h the larger distance from x to
 * either end of the window (plus (span - n) / 2 when the span is longer than the series), times
 * the robustness weights `rw` when given; degree 1 adds a local slope, unless the weighted spread
 * of the positions is too small to estimate one. NaN when every weight is 0.
 * One pass of weighted sums: the local line's value at x is
 *   mean + (x - centre) * cov(j, y) / var(j)
 * (weighted mean, centre, covariance and variance), which is what STL computes by reweighting.
 */
export function loessAt(
  y: Float64Array,
  n: number,
  span: number,
  degree: number,
  x: number,
  left: number,
  right: number,
  rw: Float64Array | undefined,
): number {
  let h = Math.max(x - left, right - x);
  if (span > n) h += Math.floor((span - n) / 2);
  const near = 0.001 * h; // closer than this: weight 1
  const far = 0.999 * h; // farther than this: weight 0
  let sw = 0; // sums of w, w d, w d^2, w y, w d y, with d = j - x
  let swd = 0;
  let swdd = 0;
  let swy = 0;
  let swdy = 0;
  for (let j = left; j <= right; j++) {
    const d = j - x;
    const r = d < 0 ? -d : d;
    if (r > far) continue;
    let w = 1;
    if (r > near) {
      const u = r / h;
      const v = 1 - u * u * u;
      w = v * v * v;
    }
    if (rw !== undefined) w *= rw[j]!;
    const yj = y[j]!;
    sw += w;
    swd += w * d;
    swdd += w * d * d;
    swy += w * yj;
    swdy += w * d * yj;
  }
  if (sw <= 0) return NaN;
  const mean = swy / sw;
  if (h > 0 && degree > 0) {
    const centre = swd / sw; // relative to x
    const spread = swdd / sw - centre * centre;
    if (Math.sqrt(spread) > 0.001 * (n - 1)) return mean - (centre * (swdy / sw - centre * mean)) / spread;
  }
  return mean;
}

/** Loess's tricube weight of a point at distance r from the centre of a window of half-width h (R's cut-offs). */
function tricube(r: number, h: number): number {
  if (r > 0.999 * h) return 0;
  if (r <= 0.001 * h) return 1;
  const u = r / h;
  const v = 1 - u * u * u;
  return v * v * v;
}

/**
 * Normalised tricube weights of a window of `span` points centred on the point fitted
 * (h = (span - 1) / 2): where the window is symmetric and there are no robustness weights, the
 * loess of either degree is this weighted mean (the local line's slope term vanishes).
 */
function centredKernel(span: number, out: Float64Array): void {
  const h = (span - 1) / 2;
  let total = 0;
  for (let i = 0; i < span; i++) {
    const r = Math.abs(i - h);
    const w = tricube(r, h);
    out[i] = w;
    total += w;
  }
  for (let i = 0; i < span; i++) out[i]! /= total;
}

/**
 * out[off + i] = loess of y[0..n) at every i: evaluated at every `jump`-th point (and the last),
 * each from the `span` points nearest it (the window slides with the point and stops at the
 * ends), linearly interpolated in between. Where every weight is 0 the value is y itself.
 * `kernel` is scratch (at least span long).
 */
export function loessSmooth(
  y: Float64Array,
  n: number,
  span: number,
  degree: number,
  jump: number,
  rw: Float64Array | undefined,
  out: Float64Array,
  off: number,
  kernel: Float64Array,
): void {
  if (n < 2) {
    out[off] = y[0]!;
    return;
  }
  const step = Math.min(jump, n - 1);
  const half = (span + 1) >> 1;
  // Odd spans shorter than the series have interior points with symmetric windows.
  const fast = rw === undefined && span < n && span % 2 === 1;
  if (fast) centredKernel(span, kernel);
  let left = 0;
  let right = n - 1;
  let last = 0; // the last point evaluated
  for (let i = 0; i < n; i += step) {
    if (span < n) {
      left = Math.min(Math.max(0, i - half + 1), n - span);
      right = left + span - 1;
    }
    if (fast && i - left === right - i) {
      out[off + i] = dot(kernel, y, left, span);
    } else {
      const v = loessAt(y, n, span, degree, i, left, right, rw);
      out[off + i] = Number.isNaN(v) ? y[i]! : v;
    }
    last = i;
  }
  if (step === 1) return;
  for (let i = 0; i + step < n; i += step) {
    const a = out[off + i]!;
    const slope = (out[off + i + step]! - a) / step;
    for (let j = 1; j < step; j++) out[off + i + j] = a + slope * j;
  }
  if (last !== n - 1) {
    // The last point, from the window of the last evaluated one (the right-hand end in practice).
    const v = loessAt(y, n, span, degree, n - 1, left, right, rw);
    out[off + n - 1] = Number.isNaN(v) ? y[n - 1]! : v;
    const a = out[off + last]!;
    const slope = (out[off + n - 1]! - a) / (n - 1 - last);
    for (let j = last + 1; j < n - 1; j++) out[off + j] = a + slope * (j - last);
  }
}

/** sum of k[i] * y[from + i] for i < len, in four interleaved sums (four additions in flight). */
function dot(k: Float64Array, y: Float64Array, from: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    s0 += k[i]! * y[from + i]!;
    s1 += k[i + 1]! * y[from + i + 1]!;
    s2 += k[i + 2]! * y[from + i + 2]!;
    s3 += k[i + 3]! * y[from + i + 3]!;
  }
  for (; i < len; i++) s0 += k[i]! * y[from + i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Without robustness weights a loess value is a fixed weighted sum of the window's values: the
 * weights depend on the positions only. The cycle-subseries of one STL all have the same length
 * (or one less), so their smoother is planned once, as these weights, and applied to each.
 */
export interface SubseriesPlan {
  /** Subseries length. */
  readonly k: number;
  /** Evaluated positions, ascending (every jump-th and the last), then -1 and k (the extensions). */
  readonly at: Int32Array;
  readonly left: Int32Array;
  readonly count: Int32Array;
  /** Offset of each one's weights in `weights`. */
  readonly from: Int32Array;
  readonly weights: Float64Array;
}

/**
 * The loess of y[left..right] at x as weights on those values (loessAt's arithmetic, as STL's
 * reweighting): written to out[0..right-left]; false when every weight is 0.
 */
function equivalentWeights(n: number, span: number, degree: number, x: number, left: number, right: number, out: Float64Array): boolean {
  let h = Math.max(x - left, right - x);
  if (span > n) h += Math.floor((span - n) / 2);
  let total = 0;
  const m = right - left + 1;
  for (let i = 0; i < m; i++) {
    const r = Math.abs(left + i - x);
    const w = tricube(r, h);
    out[i] = w;
    total += w;
  }
  if (total <= 0) return false;
  for (let i = 0; i < m; i++) out[i]! /= total;
  if (h > 0 && degree > 0) {
    let centre = 0;
    for (let i = 0; i < m; i++) centre += out[i]! * (left + i);
    let spread = 0;
    for (let i = 0; i < m; i++) spread += out[i]! * (left + i - centre) * (left + i - centre);
    if (Math.sqrt(spread) > 0.001 * (n - 1)) {
      const b = (x - centre) / spread;
      for (let i = 0; i < m; i++) out[i]! *= b * (left + i - centre) + 1;
    }
  }
  return true;
}

/** The plan of loessSmooth (span, degree, jump, no robustness weights) plus the two extensions, for k points. */
export function planSubseries(k: number, span: number, degree: number, jump: number): SubseriesPlan {
  const step = Math.max(1, Math.min(jump, k - 1));
  const at: number[] = [];
  for (let i = 0; i < k; i += step) at.push(i);
  if (at[at.length - 1] !== k - 1) at.push(k - 1);
  at.push(-1, k);
  const m = at.length;
  const left = new Int32Array(m);
  const count = new Int32Array(m);
  const from = new Int32Array(m);
  const half = (span + 1) >> 1;
  const windows: Array<[number, number]> = [];
  let lastWindow: [number, number] = [0, k - 1];
  for (let e = 0; e < m - 2; e++) {
    const i = at[e]!;
    // The last point reuses the window of the one before it when it is not on the jump grid.
    const onGrid = i % step === 0 || k === 1;
    if (onGrid && span < k) {
      const l = Math.min(Math.max(0, i - half + 1), k - span);
      lastWindow = [l, l + span - 1];
    } else if (onGrid) lastWindow = [0, k - 1];
    windows.push(lastWindow);
  }
  windows.push([0, Math.min(span, k) - 1], [Math.max(0, k - span), k - 1]);
  let total = 0;
  for (let e = 0; e < m; e++) {
    left[e] = windows[e]![0];
    count[e] = windows[e]![1] - windows[e]![0] + 1;
    from[e] = total;
    total += count[e]!;
  }
  const weights = new Float64Array(total);
  for (let e = 0; e < m; e++) {
    const w = weights.subarray(from[e], from[e]! + count[e]!);
    if (!equivalentWeights(k, span, degree, at[e]!, left[e]!, left[e]! + count[e]! - 1, w)) {
      // Every weight 0 (not possible without robustness weights; kept for completeness):
      // the value itself, or for an extension the nearest smoothed value's weights.
      const self = Math.min(k - 1, Math.max(0, at[e]!));
      w.fill(0);
      if (self >= left[e]! && self < left[e]! + count[e]!) w[self - left[e]!] = 1;
    }
  }
  return { k, at: Int32Array.from(at), left, count, from, weights };
}

/**
 * Applies a subseries plan to the phases j0 <= j < j1 of period np at once (each has plan.k
 * values x[j], x[j + np], ...): cycle[(m + 1) np + j] = the smooth at the phase's m-th value
 * (interpolated between evaluated points), cycle[j] and cycle[(k + 1) np + j] the extensions.
 * Row by row, so every loop runs along contiguous memory.
 */
export function applyPlan(plan: SubseriesPlan, x: Float64Array, np: number, j0: number, j1: number, cycle: Float64Array): void {
  const { at, left, count, from, weights } = plan;
  const m = at.length;
  let prev = -1;
  for (let e = 0; e < m; e++) {
    const i = at[e]!;
    const dst = (i + 1) * np;
    const w0 = from[e]!;
    const src = left[e]! * np;
    const w = weights[w0]!;
    for (let j = j0; j < j1; j++) cycle[dst + j] = w * x[src + j]!;
    for (let q = 1; q < count[e]!; q++) {
      const wq = weights[w0 + q]!;
      const sq = src + q * np;
      for (let j = j0; j < j1; j++) cycle[dst + j]! += wq * x[sq + j]!;
    }
    if (e < m - 2) {
      // Linear interpolation back to the previous evaluated point.
      if (prev >= 0 && i - prev > 1) {
        const a = (prev + 1) * np;
        for (let q = prev + 1; q < i; q++) {
          const f = (q - prev) / (i - prev);
          const d = (q + 1) * np;
          for (let j = j0; j < j1; j++) cycle[d + j] = cycle[a + j]! + f * (cycle[dst + j]! - cycle[a + j]!);
        }
      }
      prev = i;
    }
  }
}

/** out[i] = mean of x[i..i+len) for i < n - len + 1 (a running sum, as STL's). */
export function movingAverage(x: Float64Array, n: number, len: number, out: Float64Array): void {
  let sum = 0;
  for (let i = 0; i < len; i++) sum += x[i]!;
  out[0] = sum / len;
  for (let i = 1; i <= n - len; i++) {
    sum += x[i + len - 1]! - x[i - 1]!;
    out[i] = sum / len;
  }
}
