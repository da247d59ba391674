/**
 * A small derivative-free minimiser for fitting model parameters. Pure.
 *
 * Nelder-Mead with the standard coefficients (reflection 1, expansion 2, contraction 0.5,
 * shrink 0.5; Nelder & Mead 1965, as in Lagarias et al. 1998 "Convergence properties of the
 * Nelder-Mead simplex method in low dimensions"). Non-finite objective values (NaN, +-Infinity)
 * count as +Infinity, so a model that diverges for some parameters simply loses.
 */

export interface NelderMeadOptions {
  /** Objective evaluations at most (default 200): bounds the fitting time of a model. */
  readonly maxEvals?: number;
  /** Stop when max-min of f over the simplex is <= tol * (|f_best| + 1e-12) (default 1e-8). */
  readonly tol?: number;
  /** Initial simplex: x0 plus `step` along each axis (default 0.5, or 0.1*|x0_i| when larger). */
  readonly step?: number;
}

export interface OptimumResult {
  readonly x: Float64Array;
  readonly fx: number;
  /** Objective evaluations used. */
  readonly evals: number;
}

const finiteOrInf = (v: number): number => (Number.isFinite(v) ? v : Infinity);

/** Minimises `f` from `x0`. `f` must not keep a reference to its argument (buffers are reused). */
export function nelderMead(
  f: (x: Float64Array) => number,
  x0: readonly number[],
  opts: NelderMeadOptions = {},
): OptimumResult {
  const maxEvals = opts.maxEvals ?? 200;
  const tol = opts.tol ?? 1e-8;
  const step = opts.step ?? 0.5;
  const d = x0.length;
  let evals = 0;
  const evaluate = (x: Float64Array): number => {
    evals++;
    return finiteOrInf(f(x));
  };
  if (d === 0) {
    const x = new Float64Array(0);
    return { x, fx: evaluate(x), evals };
  }

  // Simplex: d+1 vertices and their objective values.
  const pts: Float64Array[] = [];
  const fv = new Float64Array(d + 1);
  for (let v = 0; v <= d; v++) {
    const p = Float64Array.from(x0);
    if (v > 0) p[v - 1]! += Math.max(step, 0.1 * Math.abs(x0[v - 1]!));
    pts.push(p);
    fv[v] = evaluate(p);
  }
  const order = Array.from({ length: d + 1 }, (_, i) => i);
  const centroid = new Float64Array(d);
  const xr = new Float64Array(d);
  const xe = new Float64Array(d);
  const xc = new Float64Array(d);
  const along = (out: Float64Array, from: Float64Array, t: number): void => {
    // out = centroid + t * (centroid - from)
    for (let j = 0; j < d; j++) out[j] = centroid[j]! + t * (centroid[j]! - from[j]!);
  };

  while (evals < maxEvals) {
    order.sort((a, b) => fv[a]! - fv[b]!);
    const best = order[0]!;
    const worst = order[d]!;
    const second = order[d - 1]!;
    const spread = fv[worst]! - fv[best]!;
    if (Number.isFinite(spread) && spread <= tol * (Math.abs(fv[best]!) + 1e-12)) break;

    centroid.fill(0);
    for (let k = 0; k < d; k++) {
      const p = pts[order[k]!]!;
      for (let j = 0; j < d; j++) centroid[j]! += p[j]! / d;
    }
    const pw = pts[worst]!;
    along(xr, pw, 1);
    const fr = evaluate(xr);
    if (fr < fv[best]!) {
      along(xe, pw, 2);
      const fe = evals < maxEvals ? evaluate(xe) : Infinity;
      if (fe < fr) accept(worst, xe, fe);
      else accept(worst, xr, fr);
      continue;
    }
    if (fr < fv[second]!) {
      accept(worst, xr, fr);
      continue;
    }
    // Contraction: outside when the reflected point beats the worst, inside otherwise.
    const outside = fr < fv[worst]!;
    along(xc, pw, outside ? 0.5 : -0.5);
    const fc = evals < maxEvals ? evaluate(xc) : Infinity;
    if (fc < (outside ? fr : fv[worst]!)) {
      accept(worst, xc, fc);
      continue;
    }
    // Shrink every vertex towards the best one.
    const pb = pts[best]!;
    for (let k = 1; k <= d && evals < maxEvals; k++) {
      const p = pts[order[k]!]!;
      for (let j = 0; j < d; j++) p[j] = pb[j]! + 0.5 * (p[j]! - pb[j]!);
      fv[order[k]!] = evaluate(p);
    }
  }

  let bi = 0;
  for (let v = 1; v <= d; v++) if (fv[v]! < fv[bi]!) bi = v;
  return { x: Float64Array.from(pts[bi]!), fx: fv[bi]!, evals };

  /** Replaces vertex `v` by `src` with value `fsrc`. */
  function accept(v: number, src: Float64Array, fsrc: number): void {
    pts[v]!.set(src);
    fv[v] = fsrc;
  }
}

/** A closed interval [lo, hi] a parameter must stay in (exclusive in practice: the logistic never reaches it). */
export interface Bounds {
  readonly lo: number;
  readonly hi: number;
}

/** The unit interval, for smoothing parameters such as alpha, beta and gamma. */
export const UNIT: Bounds = { lo: 0, hi: 1 };

// Logistic transform between an unbounded optimiser variable u and a bounded parameter.
const toBounded = (u: number, b: Bounds): number => b.lo + (b.hi - b.lo) / (1 + Math.exp(-u));
const toFree = (x: number, b: Bounds): number => {
  // Clip into the open interval so the logit stays finite for a start on the boundary.
  const span = b.hi - b.lo;
  const p = Math.min(1 - 1e-6, Math.max(1e-6, (x - b.lo) / span));
  return Math.log(p / (1 - p));
};

/**
 * Minimises `f(params)` with each params[i] kept inside bounds[i] by a logistic transform
 * (params = lo + (hi-lo) * logistic(u)); Nelder-Mead runs on the unbounded u.
 * `start` gives the initial parameters (inside their bounds). Returns the parameters, not u.
 */
export function minimizeBounded(
  f: (params: Float64Array) => number,
  start: readonly number[],
  bounds: readonly Bounds[],
  opts: NelderMeadOptions = {},
): OptimumResult {
  if (bounds.length !== start.length) throw new RangeError('minimizeBounded: one bound per parameter');
  const params = new Float64Array(start.length);
  const decode = (u: Float64Array, out: Float64Array): Float64Array => {
    for (let i = 0; i < u.length; i++) out[i] = toBounded(u[i]!, bounds[i]!);
    return out;
  };
  const u0 = start.map((x, i) => toFree(x, bounds[i]!));
  // A unit step in logit space moves a mid-range parameter by about a quarter of its range.
  const res = nelderMead((u) => f(decode(u, params)), u0, { step: 1, ...opts });
  return { x: decode(res.x, new Float64Array(start.length)), fx: res.fx, evals: res.evals };
}

/** minimizeBounded with every parameter in (0, 1). */
export function minimizeUnit(
  f: (params: Float64Array) => number,
  start: readonly number[],
  opts: NelderMeadOptions = {},
): OptimumResult {
  return minimizeBounded(f, start, start.map(() => UNIT), opts);
}
