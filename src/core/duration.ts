import { invalidInput } from './errors.js';

/** Duration units accepted everywhere: `90s`, `5m`, `6h`, `1d`, `1w`, `500ms`, and sums like `1h30m`. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/**
 * Longest duration accepted, 36500d (100 years): longer than any history, horizon or interval
 * prescale can use, and short enough that a time plus a few durations stays exact in ms (far
 * below 2^53) and inside the range of a Date (about 275,000 years), so it can still be printed.
 */
export const MAX_DURATION_MS = 36_500 * DAY_MS;

/** A zero duration written out (`0`, `0s`, `0m`): allowed only where a field or flag says so. */
const ZERO_DURATION = /^0+(?:\.0+)?(?:ms|s|m|h|d|w)?$/;

/** Whether `text` is a zero duration written out (`0`, `0s`, `0m`), which parseDuration refuses. */
export const isZeroDuration = (text: string): boolean => ZERO_DURATION.test(text.trim());

/** Parses a duration into milliseconds; `what` names the field or flag in the error. */
export function parseDuration(text: string, what = 'duration'): number {
  const s = String(text).trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s === '' || pos !== s.length || !Number.isFinite(total)) {
    throw invalidInput(`${what}: ${JSON.stringify(text)} is not a duration (use e.g. 90s, 5m, 6h, 1d, 1w)`);
  }
  if (total <= 0) throw invalidInput(`${what}: ${JSON.stringify(text)} must be longer than zero`);
  // Whole milliseconds: 0.4ms would round to a zero that the check above is there to refuse.
  if (total < 0.5) throw invalidInput(`${what}: ${JSON.stringify(text)} is shorter than 1ms`);
  if (total > MAX_DURATION_MS) throw invalidInput(`${what}: ${JSON.stringify(text)} is longer than the maximum of 36500d (100 years)`);
  return Math.round(total);
}

/** Formats milliseconds as the shortest exact duration string (`1h30m`, `5m`, `90s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['w', UNIT_MS.w!], ['d', UNIT_MS.d!], ['h', UNIT_MS.h!], ['m', UNIT_MS.m!], ['s', UNIT_MS.s!], ['ms', 1]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
