/**
 * Fourier numerics for the spectral model: FFT plans for windows of any length and a small cache
 * of recent ones, exact-phase cos/sin tables, and least-squares fits of whole-cycle sinusoids.
 * Building a plan (the transform's tables, the resampling onto a power of two, exact-phase tables)
 * costs more than the transform, and a rolling-origin search transforms windows of the same few
 * lengths many times. Pure (fft.js is plain arithmetic).
 */
import FFT from 'fft.js';

/**
 * The FFT plan for a window of W points: a radix-2 transform of N >= W points (the window linearly
 * resampled onto them), its output buffer, and cos/sin tables of the window's exact phases.
 */
export class FftPlan {
  readonly W: number;
  readonly N: number;
  readonly fft: FFT;
  readonly out: number[];
  /** Linear resampling of the window onto N points: point j = (1 - frac) * x[at] + frac * x[at + 1]
   *  (x[0] after the end: the window is whole cycles), at + frac = j * W / N. */
  readonly at: Int32Array;
  readonly frac: Float64Array;
  /** phaseTable(W, W, 1), once built (see trig). */
  private trigTable: Float64Array | null = null;

  constructor(W: number) {
    let N = 4;
    while (N < W) N *= 2;
    this.W = W;
    this.N = N;
    this.fft = new FFT(N);
    this.out = this.fft.createComplexArray() as number[];
    this.at = new Int32Array(N);
    this.frac = new Float64Array(N);
    const ratio = W / N;
    for (let j = 0; j < N; j++) {
      const pos = j * ratio;
      const at = Math.floor(pos);
      this.at[j] = at;
      this.frac[j] = pos - at;
    }
  }

  /** cos/sin of 2*pi*q/W, q = 0..W-1 (phaseTable(W, W, 1)): exact phases for any integer bin,
   *  built on first use. */
  trig(): Float64Array {
    this.trigTable ??= phaseTable(this.W, this.W, 1);
    return this.trigTable;
  }
}

/** cos and sin of 2*pi*q/W for q = step * r, r = 0..count-1, interleaved (cos at 2r, sin at
 *  2r + 1). */
export function phaseTable(W: number, count: number, step: number): Float64Array {
  const t = new Float64Array(2 * count);
  for (let r = 0; r < count; r++) {
    const q = step * r;
    t[2 * r] = Math.cos((2 * Math.PI * q) / W);
    t[2 * r + 1] = Math.sin((2 * Math.PI * q) / W);
  }
  return t;
}

/**
 * The values of a few recent keys, each built on its first use: beyond `capacity`, the key added
 * first is dropped (a rolling origin keeps reusing the same few).
 */
export class RecentCache<K, V> {
  private readonly byKey = new Map<K, V>();
  constructor(private readonly capacity: number) {}

  get(key: K, make: () => V): V {
    const hit = this.byKey.get(key);
    if (hit) return hit;
    const v = make();
    if (this.byKey.size >= this.capacity) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(key, v);
    return v;
  }
}

/**
 * Least-squares fits of the sinusoids with ks[i] cycles over v (length L, whole cycles, so the
 * sinusoids are orthogonal: a = 2/L * v.cos, b = 2/L * v.sin), added to `out` in the order of
 * ks. `trig` holds cos/sin of 2*pi*q/L interleaved; the phase index q = (k * t) mod L advances
 * by k per step. Two bins at a time (see addHarmonicPair); an odd last one is paired with
 * itself at amplitude 0, which adds +0 to out and so changes nothing (out's values are sums
 * that start at +0, never -0).
 */
export function addHarmonics(v: Float64Array, trig: Float64Array, ks: readonly number[], out: Float64Array): void {
  for (let i = 0; i < ks.length; i += 2) {
    const single = i + 1 === ks.length;
    addHarmonicPair(v, trig, ks[i]!, single ? ks[i]! : ks[i + 1]!, single, out);
  }
}

/**
 * The fits of bins k1 and k2 (k2 at amplitude 0 when `single`), added to out as k1's, then k2's:
 * one pass over v for the amplitudes and one over out. Each amplitude is a chain of dependent
 * additions; two bins' chains run side by side in little more than the time of one (each in
 * its own order, so the results are those of one bin at a time).
 */
function addHarmonicPair(v: Float64Array, trig: Float64Array, k1: number, k2: number, single: boolean, out: Float64Array): void {
  const L = v.length;
  // Indices into the interleaved table: 2q, advancing by 2k modulo 2L.
  const L2 = 2 * L;
  const s1 = 2 * k1;
  const s2 = 2 * k2;
  let a1 = 0;
  let b1 = 0;
  let a2 = 0;
  let b2 = 0;
  for (let t = 0, q1 = 0, q2 = 0; t < L; t++) {
    const x = v[t]!;
    a1 += x * trig[q1]!;
    b1 += x * trig[q1 + 1]!;
    a2 += x * trig[q2]!;
    b2 += x * trig[q2 + 1]!;
    q1 += s1;
    if (q1 >= L2) q1 -= L2;
    q2 += s2;
    if (q2 >= L2) q2 -= L2;
  }
  a1 *= 2 / L;
  b1 *= 2 / L;
  a2 = single ? 0 : a2 * (2 / L);
  b2 = single ? 0 : b2 * (2 / L);
  for (let t = 0, q1 = 0, q2 = 0; t < L; t++) {
    let o = out[t]!;
    o += a1 * trig[q1]! + b1 * trig[q1 + 1]!;
    o += a2 * trig[q2]! + b2 * trig[q2 + 1]!;
    out[t] = o;
    q1 += s1;
    if (q1 >= L2) q1 -= L2;
    q2 += s2;
    if (q2 >= L2) q2 -= L2;
  }
}
