/**
 * The normal equations of a weighted least-squares fit assembled from its columns: X'WX (lower
 * triangle) and X'Wy, every sum taken in row order, several sums per pass over the rows. Column 0
 * is the ones. Pure.
 */

/** A least-squares problem by columns, and where its normal equations and their sums go. */
export interface ColumnSystem {
  readonly rows: number;
  /** Column count. */
  readonly p: number;
  /** p columns of `rows` values; column 0 is all ones. */
  readonly columns: readonly Float64Array[];
  readonly target: Float64Array;
  /** Per row. */
  readonly weight: Float64Array;
  /** sumPasses(p). */
  readonly passes: readonly (readonly number[])[];
  /** p x p (row-major; the lower triangle is written) and p. */
  readonly ata: Float64Array;
  readonly atb: Float64Array;
  /** The ten sums of one pass. */
  readonly sums: Float64Array;
}

/**
 * Fills the lower triangle of ata = X'WX and atb = X'Wy. Factor a < p is column a, factor p the
 * target: entry (a, b <= a) of X'WX, and entry b of X'Wy (a = p), is sum_r (w_r f_ar) x_br over
 * all rows, in row order (a row of weight 0 still adds 0 * its values: callers with such rows and
 * possibly infinite values solve on rowMajor's matrix instead).
 */
export function weightedSums(ws: ColumnSystem): void {
  const { ata, sums } = ws;
  for (const pass of ws.passes) {
    weightedDots(ws, pass);
    for (let q = 0; q < 5; q++) {
      // q = 4: column 0, the ones.
      const b = q < 4 ? pass[2 + q]! : 0;
      setEntry(ws, pass[0]!, b, sums[q]!);
      setEntry(ws, pass[1]!, b, sums[5 + q]!);
    }
  }
  // Entry (0, 0): sum_r (w_r 1) 1.
  let sw = 0;
  for (let r = 0; r < ws.rows; r++) sw += ws.weight[r]!;
  ata[0] = sw;
}

/** The rows as a rows x p row-major matrix (for linalg's weightedRidge). */
export function rowMajor(ws: ColumnSystem): Float64Array {
  const { rows, p, columns } = ws;
  const X = new Float64Array(rows * p);
  for (let j = 0; j < p; j++) for (let r = 0; r < rows; r++) X[r * p + j] = columns[j]![r]!;
  return X;
}

/** Factor a of the normal equations' sums (see weightedSums). */
const factor = (ws: ColumnSystem, a: number): Float64Array => (a < ws.p ? ws.columns[a]! : ws.target);

/** Stores sum (a, b): X'WX entry (a, b) when b <= a (the rest is filled by symmetry), or X'Wy
 *  entry b for a = p. */
function setEntry(ws: ColumnSystem, a: number, b: number, v: number): void {
  if (a === ws.p) ws.atb[b] = v;
  else if (b <= a) ws.ata[a * ws.p + b] = v;
}

/**
 * The passes of weightedDots that make every sum of the normal equations, as [a, a2, b0..b3]:
 * factors a and a2 (see weightedSums) times columns b0..b3 and times column 0, the ones (the
 * factor's own sum; entry (0, 0) is summed apart). Factors are paired from the top,
 * (a, a - 1), whose column ranges 1..min(a, p - 1) differ by at most one column, four columns
 * at a time; a block that only the upper factor needs (one column) is paired with another such
 * block where four columns hold both. Short blocks repeat their last column (the sum is the
 * same, stored twice).
 */
export function sumPasses(p: number): number[][] {
  const out: number[][] = [];
  const alone: number[][] = [];
  for (let a = p; a >= 1; a -= 2) {
    const top = Math.min(a, p - 1);
    for (let b = 1; b <= top; b += 4) {
      const cols: number[] = [];
      for (let c = b; c <= Math.min(b + 3, top); c++) cols.push(c);
      if (a - 1 >= 1 && b <= a - 1) out.push(pass(a, a - 1, cols));
      else alone.push([a, ...cols]);
    }
  }
  for (let i = 0; i < alone.length; i++) {
    const [a, ...cols] = alone[i]!;
    const next = alone[i + 1];
    if (next !== undefined && cols.length + next.length - 1 <= 4) {
      out.push(pass(a!, next[0]!, cols.concat(next.slice(1))));
      i++;
    } else {
      out.push(pass(a!, a!, cols));
    }
  }
  return out;
}

/** [a, a2, b0..b3] from up to four columns (repeating the last). */
function pass(a: number, a2: number, cols: number[]): number[] {
  const out = [a, a2, ...cols];
  while (out.length < 6) out.push(out[out.length - 1]!);
  return out;
}

/**
 * For pass [a, a2, b0..b3] (see sumPasses): ws.sums[q] = sum_r (w_r f_a,r) x_bq,r for q = 0..3 and
 * ws.sums[4] = sum_r (w_r f_a,r) 1 (column 0), ws.sums[5 + q] the same for factor a2; in row
 * order, over all rows: ten independent sums in one pass over the rows run about as fast as one.
 */
function weightedDots(ws: ColumnSystem, pass: readonly number[]): void {
  const { weight: w, rows, columns, sums } = ws;
  const f1 = factor(ws, pass[0]!);
  const f2 = factor(ws, pass[1]!);
  const x0 = columns[pass[2]!]!;
  const x1 = columns[pass[3]!]!;
  const x2 = columns[pass[4]!]!;
  const x3 = columns[pass[5]!]!;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let t4 = 0;
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!;
    const u = wr * f1[r]!;
    const v = wr * f2[r]!;
    const c0 = x0[r]!;
    const c1 = x1[r]!;
    const c2 = x2[r]!;
    const c3 = x3[r]!;
    s0 += u * c0;
    s1 += u * c1;
    s2 += u * c2;
    s3 += u * c3;
    // u * 1 = u.
    s4 += u;
    t0 += v * c0;
    t1 += v * c1;
    t2 += v * c2;
    t3 += v * c3;
    t4 += v;
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
  sums[4] = s4;
  sums[5] = t0;
  sums[6] = t1;
  sums[7] = t2;
  sums[8] = t3;
  sums[9] = t4;
}
