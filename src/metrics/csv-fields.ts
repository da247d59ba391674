/**
 * Decoders of CSV fields straight from bytes, for the series parser's scanner (parse.ts): the
 * timestamp prescale writes and plain decimals are read without making a string; anything else
 * comes back NaN and goes through the reference parsers (parseTimestampMs, parseValue). Pure.
 */
import { dayNumber, daysInMonth } from '../core/civil.js';

const SPACE = 32;
const TAB = 9;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const D0 = 48;
const D9 = 57;

/** Exact powers of ten (10^k is a double exactly for k <= 22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** The first index in [from, to) that is not a space or tab (`to` when none). */
export function skipBlanks(b: Uint8Array, from: number, to: number): number {
  while (from < to && (b[from] === SPACE || b[from] === TAB)) from++;
  return from;
}

/** `to` moved back over trailing spaces and tabs, not before `from`. */
export function trimEnd(b: Uint8Array, from: number, to: number): number {
  while (to > from && (b[to - 1] === SPACE || b[to - 1] === TAB)) to--;
  return to;
}

/** The value of the decimal digits b[i..i+len), or -1 when one is not a digit. */
function digits(b: Uint8Array, i: number, len: number): number {
  let v = 0;
  for (let k = i; k < i + len; k++) {
    const c = b[k]! - D0;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * `2014-07-01T00:00:00Z` (what prescale writes) or epoch seconds as a whole number, read without
 * making a string; NaN for anything else (which then goes through parseTimestampMs, the reference).
 */
export function fastIsoMs(b: Uint8Array, from: number, to: number): number {
  const len = to - from;
  if (len === 20) {
    if (b[from + 4] !== MINUS || b[from + 7] !== MINUS || b[from + 10] !== 84 /* T */ || b[from + 13] !== 58 || b[from + 16] !== 58 || b[from + 19] !== 90 /* Z */) return NaN;
    const y0 = b[from]! - D0;
    const y1 = b[from + 1]! - D0;
    const y2 = b[from + 2]! - D0;
    const y3 = b[from + 3]! - D0;
    const m0 = b[from + 5]! - D0;
    const m1 = b[from + 6]! - D0;
    const d0 = b[from + 8]! - D0;
    const d1 = b[from + 9]! - D0;
    const h0 = b[from + 11]! - D0;
    const h1 = b[from + 12]! - D0;
    const i0 = b[from + 14]! - D0;
    const i1 = b[from + 15]! - D0;
    const s0 = b[from + 17]! - D0;
    const s1 = b[from + 18]! - D0;
    // Each is a digit when it is 0..9 as an unsigned number (a byte below '0' wraps around).
    if ((y0 >>> 0) > 9 || (y1 >>> 0) > 9 || (y2 >>> 0) > 9 || (y3 >>> 0) > 9 || (m0 >>> 0) > 9 || (m1 >>> 0) > 9 || (d0 >>> 0) > 9 || (d1 >>> 0) > 9) return NaN;
    if ((h0 >>> 0) > 9 || (h1 >>> 0) > 9 || (i0 >>> 0) > 9 || (i1 >>> 0) > 9 || (s0 >>> 0) > 9 || (s1 >>> 0) > 9) return NaN;
    const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    const mo = m0 * 10 + m1;
    const d = d0 * 10 + d1;
    const h = h0 * 10 + h1;
    const mi = i0 * 10 + i1;
    const s = s0 * 10 + s1;
    if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || d > daysInMonth(y, mo)) return NaN;
    return dayNumber(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000;
  }
  if (len >= 1 && len <= 12) {
    const v = digits(b, from, len);
    return v < 0 ? NaN : v * 1000;
  }
  return NaN;
}

/**
 * A plain decimal (`-12.5`, `300`, `.5`), read exactly as Number() reads it: up to 15 significant
 * digits without making a string (an integer below 2^53 divided by an exact power of ten is
 * correctly rounded), longer ones through Number(). NaN for anything else (exponents, `NaN`,
 * blanks...), which then goes through parseValue.
 */
export function fastDecimal(b: Uint8Array, from: number, to: number): number {
  let i = from;
  const neg = b[i] === MINUS;
  if (neg || b[i] === PLUS) i++;
  let m = 0;
  let digits = 0;
  let significant = 0;
  let frac = 0;
  let dot = false;
  for (; i < to; i++) {
    const c = b[i]!;
    if (c === DOT) {
      if (dot) return NaN;
      dot = true;
      continue;
    }
    if (c < D0 || c > D9) return NaN;
    digits++;
    if (m !== 0 || c !== D0) significant++;
    m = m * 10 + (c - D0);
    if (dot) frac++;
  }
  if (digits === 0) return NaN;
  // Longer: the same characters through Number() (the shortest text of a double has up to 17 digits).
  if (significant > 15 || frac > 22) return Number(ascii(b, from, to));
  const v = m / POW10[frac]!;
  return neg ? -v : v;
}

/** b[from, to) as a string, each byte a character (callers pass ASCII only). */
export function ascii(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
  return s;
}
