/**
 * Deterministic test data for the forecasting tests: seeded noise, synthetic load series with
 * daily/weekly shapes, and the fixture traces (optionally with their NaN gaps interpolated).
 *
 * Three generators exist because the tests' thresholds were tuned on the exact numbers each one
 * produces; swapping one for another would change the data every bound was set against:
 * - `rng`: Park-Miller uniform, behind `series(..., { uniform })`;
 * - `lcgGaussian`: LCG + Box-Muller N(0, 1), behind `series(..., { normal })`;
 * - `gaussian`: mulberry32 + Box-Muller N(0, 1), behind `noisy` and `synth`.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { DAY_MS, WEEK_MS } from '../../src/core/duration.js';
import type { Series } from '../../src/core/series.js';
import type { ModelContext } from '../../src/forecast/types.js';
import { readSeriesFile } from '../../src/metrics/file-source.js';

// ---- seeded generators ----------------------------------------------------------------------

/** Park-Miller generator: uniform in (0, 1), the same numbers on every run. */
export function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** Deterministic standard normal noise (LCG + Box-Muller). */
export function lcgGaussian(seed: number): () => number {
  let s = seed;
  const u = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s + 1) / 2147483649;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Deterministic N(0, 1) noise (mulberry32 + Box-Muller), so no test depends on luck. */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

// ---- synthetic series -----------------------------------------------------------------------

/** Noise added by `series`: uniform in [-uniform, uniform] (Park-Miller), or N(0, normal^2) (LCG). */
export type Noise = { readonly uniform: number } | { readonly normal: number };

export const NO_NOISE: Noise = { uniform: 0 };

/** values[i] = f(i) + noise, for i in [0, n). The same seed gives the same noise on every run. */
export function series(n: number, f: (i: number) => number, noise: Noise = NO_NOISE, seed = 7): Float64Array {
  if ('normal' in noise) {
    const g = lcgGaussian(seed);
    return Float64Array.from({ length: n }, (_, i) => f(i) + noise.normal * g());
  }
  const r = rng(seed);
  return Float64Array.from({ length: n }, (_, i) => f(i) + noise.uniform * (2 * r() - 1));
}

/** The noiseless continuation: f(n), ..., f(n + h - 1). */
export const truth = (n: number, h: number, f: (i: number) => number): Float64Array =>
  Float64Array.from({ length: h }, (_, k) => f(n + k));

/** Daily sine plus a weekend dip and a linear trend, per step of a `perDay`-step day (day 0 a Monday). */
export const weekly = (perDay: number, trendPerStep: number) => (i: number) => {
  const day = Math.floor(i / perDay) % 7;
  return 100 + trendPerStep * i + 40 * Math.sin((2 * Math.PI * i) / perDay) - (day >= 5 ? 30 : 0);
};

/** Noise-free daily (+ optional weekly) load pattern, always > 0: 100 +- 60 daily, +-20 weekly. */
export function pattern(n: number, withWeekly = false, stepMs = 5 * 60_000): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * stepMs;
    out[i] = 100 + 60 * Math.sin((2 * Math.PI * t) / DAY_MS) + (withWeekly ? 20 * Math.sin((2 * Math.PI * t) / WEEK_MS) : 0);
  }
  return out;
}

/** truth plus N(0, sd) noise (mulberry32). */
export function noisy(values: Float64Array, sd: number, seed: number): Float64Array {
  const g = gaussian(seed);
  return values.map((v) => v + sd * g());
}

/** n samples at stepMs of 100 + sum of sines (amplitude, period ms) + N(0, noise) (mulberry32). */
export function synth(n: number, stepMs: number, sines: Array<[number, number]>, noise: number, seed = 1): Float64Array {
  const g = gaussian(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 100;
    for (const [amp, p] of sines) v += amp * Math.sin((2 * Math.PI * i * stepMs) / p);
    out[i] = v + noise * g();
  }
  return out;
}

// ---- fixture traces -------------------------------------------------------------------------

/** A trace from fixtures/traces by file name without `.csv`, e.g. 'nyc_taxi_30min'; NaN gaps kept. */
export const trace = (name: string): Promise<Series> =>
  readSeriesFile(fileURLToPath(new URL(`../../fixtures/traces/${name}.csv`, import.meta.url)));

/** Fills NaN gaps by linear interpolation between the neighbours (ends: nearest value). */
export function interpolateGaps(v: Float64Array): Float64Array {
  const o = v.slice();
  let last = -1;
  for (let i = 0; i <= o.length; i++) {
    if (i < o.length && Number.isNaN(o[i]!)) continue;
    for (let j = last + 1; j < i; j++) {
      const a = last >= 0 ? o[last]! : o[i]!;
      const b = i < o.length ? o[i]! : a;
      o[j] = a + ((b - a) * (j - last)) / (i - last);
    }
    last = i;
  }
  return o;
}

/** A trace with its gaps interpolated: the cleaning step the engine does before the models. */
export async function gapFreeTrace(name: string): Promise<Series> {
  const s = await trace(name);
  return { ...s, values: interpolateGaps(s.values) };
}

// ---- measures and checks --------------------------------------------------------------------

export const mae = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

export const meanOf = (a: ArrayLike<number>, from = 0, to = a.length): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]!;
  return s / (to - from);
};

/** A model context starting at epoch 0. */
export const ctxOf = (stepMs: number, periods: number[]): ModelContext => ({ stepMs, startMs: 0, periods });

export function assertFiniteOfLength(out: Float64Array, h: number): void {
  assert.equal(out.length, h);
  for (let i = 0; i < h; i++) assert.ok(Number.isFinite(out[i]!), `forecast[${i}] = ${out[i]}`);
}
