/**
 * Medians and the robust scale: quickselect medians of arrays and ranges, the MAD and its Gaussian
 * consistency constant, and medians of small sorted arrays kept up to date one value at a time.
 * Pure, allocation-light, Float64Array throughout.
 */

/** Consistency constant: 1.4826 * MAD estimates the standard deviation of Gaussian data. */
export const MAD_TO_SIGMA = 1.4826;

/**
 * Median of the first `n` values of `v` (default: all). Copies into `scratch` (allocated when
 * missing or too small) and runs quickselect there, so `v` is not modified. O(n) expected.
 */
export function median(v: ArrayLike<number>, n: number = v.length, scratch?: Float64Array): number {
  if (n <= 0) return NaN;
  const a = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = v[i]!;
  return medianRange(a, 0, n);
}

/** Median of a[from..to), in place (reorders them; quickselect). NaN when the range is empty. */
export function medianRange(a: Float64Array, from: number, to: number): number {
  const n = to - from;
  if (n <= 0) return NaN;
  const mid = from + (n >> 1);
  const hi = select(a, from, to - 1, mid);
  if (n % 2 === 1) return hi;
  // Even count: the lower middle is the largest value left of `mid` after partitioning.
  let lo = -Infinity;
  for (let i = from; i < mid; i++) if (a[i]! > lo) lo = a[i]!;
  return (lo + hi) / 2;
}

/** The k-th smallest (0-based) of a[from..to), in place (quickselect; reorders the range). */
export const selectRange = (a: Float64Array, from: number, to: number, k: number): number => select(a, from, to - 1, from + k);

/** Hoare-style quickselect: puts the k-th smallest of a[lo..hi] at a[k] and returns it. */
function select(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // Median of three as pivot keeps sorted and reverse-sorted input O(n).
    const m = (lo + hi) >> 1;
    const pivot = med3(a[lo]!, a[m]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

const med3 = (x: number, y: number, z: number): number =>
  x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;

/** Median absolute deviation from `center` of the first `n` values (raw MAD, not scaled). */
export function mad(v: ArrayLike<number>, center: number, n: number = v.length, scratch?: Float64Array): number {
  const a = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.abs(v[i]! - center);
  return median(a, n, a);
}

/** Median of the finite values of xs; NaN when there is none. */
export function medianOfFinite(xs: Float64Array): number {
  const buf = new Float64Array(xs.length);
  let c = 0;
  for (const x of xs) if (Number.isFinite(x)) buf[c++] = x;
  return medianRange(buf, 0, c);
}

/*
 * Small ascending arrays kept sorted as values enter and leave (a sliding neighbourhood), and
 * their medians read off without sorting.
 */

/** Inserts v into the ascending a[0..size); returns the new size. */
export function insertSorted(a: Float64Array, size: number, v: number): number {
  let i = size;
  for (; i > 0 && a[i - 1]! > v; i--) a[i] = a[i - 1]!;
  a[i] = v;
  return size + 1;
}

/** Index of v in a[0..size) (the last index when absent; callers pass a present value). */
export function indexOfValue(a: Float64Array, size: number, v: number): number {
  let i = 0;
  while (i < size - 1 && a[i] !== v) i++;
  return i;
}

/** Removes one occurrence of v from the ascending a[0..size); returns the new size. */
export function removeSorted(a: Float64Array, size: number, v: number): number {
  for (let i = indexOfValue(a, size, v); i < size - 1; i++) a[i] = a[i + 1]!;
  return size - 1;
}

/** Replaces one occurrence of `old` in the ascending a[0..size) by v, keeping the order. */
export function replaceSorted(a: Float64Array, size: number, old: number, v: number): void {
  let i = indexOfValue(a, size, old);
  for (; i + 1 < size && a[i + 1]! < v; i++) a[i] = a[i + 1]!;
  for (; i > 0 && a[i - 1]! > v; i--) a[i] = a[i - 1]!;
  a[i] = v;
}

/** Median of the ascending a[0..size) without the entry at `skip` (-1: none), as `median`
 *  computes it: the middle value, or (lower + upper) / 2 of the two middle values. */
export function medianSkipping(a: Float64Array, size: number, skip: number): number {
  const c = skip >= 0 ? size - 1 : size;
  const mid = c >> 1;
  // Entry j of the list without `skip` is a[j] before it, a[j + 1] from it on.
  const upper = a[skip >= 0 && mid >= skip ? mid + 1 : mid]!;
  if (c % 2 === 1) return upper;
  const lower = a[skip >= 0 && mid - 1 >= skip ? mid : mid - 1]!;
  return (lower + upper) / 2;
}
