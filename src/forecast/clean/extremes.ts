/**
 * Sliding extremes: the lowest and highest seasonal factor or term within the phase tolerance
 * around a point (the expected band), per point on demand or for every point in O(n).
 */
import { type Fit, type Setup, onFirstUse } from './setup.js';

/**
 * Lowest (or highest, with `max`) seasonal factor/term within the phase tolerance around point i,
 * on demand. When `sparse` (asked at few points) and the season has no NaN, per point: the window's
 * extreme is the sliding extreme (up to the sign of a zero, which changes no comparison). Else
 * slidingExtreme, which may skip a NaN, computes all points on first use.
 */
export function bandEdge(f: Fit, s: Setup, max: boolean, sparse: boolean): (i: number) => number {
  if (sparse && !hasNaN(f.season)) return (i) => windowExtreme(f.season, i, s.tolerance, max);
  return onFirstUse(() => slidingExtreme(f.season, s.tolerance, max, new Float64Array(f.season.length), s));
}

/**
 * Minimum (or maximum, with `max`) of x over [i - w, i + w] clipped to the series, x without NaN:
 * the value slidingExtreme gives at i (or one of -0 and 0 for the other).
 */
function windowExtreme(x: Float64Array, i: number, w: number, max: boolean): number {
  const to = Math.min(x.length - 1, i + w);
  let m = x[Math.max(0, i - w)]!;
  for (let j = Math.max(0, i - w) + 1; j <= to; j++) if (max ? x[j]! > m : x[j]! < m) m = x[j]!;
  return m;
}

export function hasNaN(xs: Float64Array): boolean {
  for (let i = 0; i < xs.length; i++) if (Number.isNaN(xs[i]!)) return true;
  return false;
}

/**
 * Minimum (or maximum, with `max`) of x over [i - w, i + w] clipped to the series, for every i, into
 * `out` (returned), in O(n) (van Herk / Gil-Werman: prefix and suffix extremes within blocks of
 * 2w + 1, kept in the scratch buffers s.x and s.grouped).
 */
function slidingExtreme(x: Float64Array, w: number, max: boolean, out: Float64Array, s: Setup): Float64Array {
  const n = x.length;
  if (w <= 0 || n === 0) {
    out.set(x);
    return out;
  }
  const sign = max ? -1 : 1; // compare sign * value, so one loop serves both
  const k = 2 * w + 1;
  const prefix = s.x;
  const suffix = s.grouped;
  for (let i = 0; i < n; i++) {
    const v = sign * x[i]!;
    prefix[i] = i % k === 0 || v < prefix[i - 1]! ? v : prefix[i - 1]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    const v = sign * x[i]!;
    suffix[i] = i === n - 1 || (i + 1) % k === 0 || v < suffix[i + 1]! ? v : suffix[i + 1]!;
  }
  for (let i = 0; i < n; i++) {
    const a = i > w ? i - w : 0;
    const b = i + w < n ? i + w : n - 1;
    // [a, b] is at most k long: within one block it starts at the block's start (a = 0 or a full
    // window) or ends at the series' end; otherwise it spans exactly two blocks.
    let m: number;
    if (Math.floor(a / k) !== Math.floor(b / k)) m = suffix[a]! < prefix[b]! ? suffix[a]! : prefix[b]!;
    else m = a % k === 0 ? prefix[b]! : suffix[a]!;
    out[i] = sign * m;
  }
  return out;
}
