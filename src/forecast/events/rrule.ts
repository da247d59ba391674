/**
 * A subset of RFC 5545 recurrence rules (RRULE), at the resolution of whole days, and their
 * expansion into dates. Pure.
 *
 * Parts: FREQ=YEARLY|MONTHLY|WEEKLY|DAILY (required), INTERVAL (>= 1), COUNT (>= 1) or UNTIL
 * (YYYYMMDD, or YYYYMMDDTHHMMSS[Z], of which only the date counts; inclusive), BYMONTH (1-12),
 * BYMONTHDAY (1..31 or -31..-1 from the month's end), BYDAY (MO..SU, with an ordinal such as 4TH
 * or -1MO in a MONTHLY rule or a YEARLY one: within the month when BYMONTH is given, else within
 * the year). Anything else (BYSETPOS, BYWEEKNO, BYYEARDAY, BYHOUR.., WKST) is refused by name.
 * The first date (RFC 5545's DTSTART) is the event's `start`; it anchors the INTERVAL and gives
 * the month, day or weekday a rule does not name. `start` itself is an occurrence only when the
 * rule generates it (RFC 5545 leaves that case undefined). Weeks start on Monday.
 */
import { civilDate, dayNumber, daysInMonth, weekday } from '../../core/civil.js';

export const FREQS = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY'] as const;
export type Freq = (typeof FREQS)[number];
const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** A weekday 1 (Monday) .. 7, with an ordinal (4 = fourth, -1 = last) or 0 for every one. */
export interface ByDay {
  readonly day: number;
  readonly nth: number;
}

export interface RecurrenceRule {
  readonly freq: Freq;
  readonly interval: number;
  readonly count?: number;
  /** Last possible date, a day number (inclusive). */
  readonly until?: number;
  readonly byMonth: readonly number[];
  readonly byMonthDay: readonly number[];
  readonly byDay: readonly ByDay[];
}

/** Parses an RRULE value (an optional `RRULE:` prefix allowed); a string is the one-line problem. */
export function parseRRule(text: string): RecurrenceRule | string {
  const parts = new Map<string, string>();
  for (const item of text.trim().replace(/^RRULE:/i, '').split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return `${JSON.stringify(item)} is not NAME=VALUE`;
    const name = item.slice(0, eq).toUpperCase();
    if (parts.has(name)) return `${name} is given twice`;
    parts.set(name, item.slice(eq + 1).toUpperCase());
  }
  const known = ['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYMONTH', 'BYMONTHDAY', 'BYDAY'];
  const unknown = [...parts.keys()].find((k) => !known.includes(k));
  if (unknown !== undefined) return `${unknown} is not supported (supported: ${known.join(', ')})`;
  const freq = parts.get('FREQ');
  if (freq === undefined) return 'FREQ is required';
  if (!(FREQS as readonly string[]).includes(freq)) return `FREQ=${freq} is not one of ${FREQS.join(', ')}`;
  const f = freq as Freq;
  const interval = intPart(parts, 'INTERVAL', 1, 1000);
  const count = parts.has('COUNT') ? intPart(parts, 'COUNT', 1, 100_000) : undefined;
  if (typeof interval === 'string') return interval;
  if (typeof count === 'string') return count;
  if (count !== undefined && parts.has('UNTIL')) return 'COUNT and UNTIL cannot both be given';
  const until = parts.has('UNTIL') ? parseUntil(parts.get('UNTIL')!) : undefined;
  if (typeof until === 'string') return until;
  const byMonth = intList(parts, 'BYMONTH', (v) => v >= 1 && v <= 12, '1 to 12');
  const byMonthDay = intList(parts, 'BYMONTHDAY', (v) => v !== 0 && v >= -31 && v <= 31, '1 to 31 or -31 to -1');
  if (typeof byMonth === 'string') return byMonth;
  if (typeof byMonthDay === 'string') return byMonthDay;
  const byDay = parseByDay(parts.get('BYDAY'), f, byMonth.length > 0);
  if (typeof byDay === 'string') return byDay;
  if (f === 'WEEKLY' && byMonthDay.length > 0) return 'BYMONTHDAY cannot be used with FREQ=WEEKLY';
  return { freq: f, interval, ...(count === undefined ? {} : { count }), ...(until === undefined ? {} : { until }), byMonth, byMonthDay, byDay };
}

function intPart(parts: Map<string, string>, name: string, min: number, max: number): number | string {
  const v = parts.get(name);
  if (v === undefined) return min;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) return `${name}=${v} must be a whole number from ${min} to ${max}`;
  return Number(v);
}

function intList(parts: Map<string, string>, name: string, ok: (v: number) => boolean, range: string): number[] | string {
  const v = parts.get(name);
  if (v === undefined) return [];
  const out: number[] = [];
  for (const item of v.split(',')) {
    if (!/^[+-]?\d+$/.test(item) || !ok(Number(item))) return `${name}: ${JSON.stringify(item)} must be ${range}`;
    out.push(Number(item));
  }
  return out;
}

function parseUntil(v: string): number | string {
  const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(v);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return `UNTIL=${v} is not a date like 20251231 or 20251231T000000Z`;
  return dayNumber(y, mo, d);
}

function parseByDay(v: string | undefined, freq: Freq, byMonth: boolean): ByDay[] | string {
  if (v === undefined) return [];
  const out: ByDay[] = [];
  for (const item of v.split(',')) {
    const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item);
    if (!m) return `BYDAY: ${JSON.stringify(item)} is not a weekday like MO, 4TH or -1FR`;
    const nth = m[1] === undefined ? 0 : Number(m[1]);
    const limit = freq === 'YEARLY' && !byMonth ? 53 : 5;
    if (m[1] !== undefined && (nth === 0 || Math.abs(nth) > limit)) return `BYDAY: ${item}: the ordinal must be 1 to ${limit} or -${limit} to -1`;
    if (nth !== 0 && freq !== 'MONTHLY' && freq !== 'YEARLY') return `BYDAY: ${item}: an ordinal needs FREQ=MONTHLY or YEARLY`;
    out.push({ day: DAYS.indexOf(m[2] as (typeof DAYS)[number]) + 1, nth });
  }
  return out;
}

/**
 * The dates (day numbers, ascending) the rule generates from `start`, up to `toDay` (inclusive),
 * COUNT counted from `start` whatever the range.
 */
export function expandRule(rule: RecurrenceRule, start: number, toDay: number): number[] {
  const out: number[] = [];
  const last = Math.min(toDay, rule.until ?? Infinity);
  const s = civilDate(start);
  // Periods from the one holding start, INTERVAL apart; each yields its dates in order.
  for (let k = 0; ; k += rule.interval) {
    const period = periodDates(rule, s, start, k);
    if (period.first > last) break;
    for (const day of period.days) {
      if (day < start) continue;
      if (day > last) return out;
      out.push(day);
      if (rule.count !== undefined && out.length >= rule.count) return out;
    }
  }
  return out;
}

/** The dates of the k-th period after start's (sorted), and the period's first day. */
function periodDates(rule: RecurrenceRule, s: { y: number; m: number; d: number }, start: number, k: number): { first: number; days: number[] } {
  switch (rule.freq) {
    case 'DAILY': {
      const day = start + k;
      return { first: day, days: matchesFilters(rule, day) ? [day] : [] };
    }
    case 'WEEKLY': {
      const monday = start - (weekday(start) - 1) + 7 * k;
      const wanted = rule.byDay.length > 0 ? rule.byDay.map((b) => b.day) : [weekday(start)];
      const days = [0, 1, 2, 3, 4, 5, 6].map((i) => monday + i).filter((d) => wanted.includes(weekday(d)) && monthOk(rule, d));
      return { first: monday, days };
    }
    case 'MONTHLY': {
      const mIndex = s.y * 12 + (s.m - 1) + k;
      const y = Math.floor(mIndex / 12);
      const m = (mIndex % 12) + 1;
      const first = dayNumber(y, m, 1);
      if (rule.byMonth.length > 0 && !rule.byMonth.includes(m)) return { first, days: [] };
      return { first, days: monthDates(rule, y, m, s.d) };
    }
    case 'YEARLY': {
      const y = s.y + k;
      const first = dayNumber(y, 1, 1);
      return { first, days: yearDates(rule, y, s) };
    }
  }
}

const monthOk = (rule: RecurrenceRule, day: number): boolean => rule.byMonth.length === 0 || rule.byMonth.includes(civilDate(day).m);

function matchesFilters(rule: RecurrenceRule, day: number): boolean {
  const c = civilDate(day);
  if (rule.byMonth.length > 0 && !rule.byMonth.includes(c.m)) return false;
  if (rule.byMonthDay.length > 0 && !rule.byMonthDay.some((md) => resolveMonthDay(c.y, c.m, md) === c.d)) return false;
  if (rule.byDay.length > 0 && !rule.byDay.some((b) => b.day === weekday(day))) return false;
  return true;
}

/** A BYMONTHDAY value as a day of month (negative from the end), or 0 when the month lacks it. */
function resolveMonthDay(y: number, m: number, md: number): number {
  const n = daysInMonth(y, m);
  const d = md > 0 ? md : n + md + 1;
  return d >= 1 && d <= n ? d : 0;
}

/** The dates in [from, to] (day numbers) on weekday `b.day`, or only its b.nth-th (from the end when negative). */
function weekdaysIn(from: number, to: number, b: ByDay): number[] {
  const firstHit = from + ((b.day - weekday(from) + 7) % 7);
  const all: number[] = [];
  for (let d = firstHit; d <= to; d += 7) all.push(d);
  if (b.nth === 0) return all;
  const i = b.nth > 0 ? b.nth - 1 : all.length + b.nth;
  return i >= 0 && i < all.length ? [all[i]!] : [];
}

/** The dates of month m of year y: BYMONTHDAY and BYDAY each restrict (their intersection when both are given). */
function monthDates(rule: RecurrenceRule, y: number, m: number, startDay: number): number[] {
  const first = dayNumber(y, m, 1);
  const last = first + daysInMonth(y, m) - 1;
  const byMd = rule.byMonthDay.map((md) => resolveMonthDay(y, m, md)).filter((d) => d > 0).map((d) => first + d - 1);
  const byWd = rule.byDay.flatMap((b) => weekdaysIn(first, last, b));
  let days: number[];
  if (byMd.length > 0 || rule.byMonthDay.length > 0) days = rule.byDay.length > 0 ? byMd.filter((d) => byWd.includes(d)) : byMd;
  else if (rule.byDay.length > 0) days = byWd;
  else days = startDay <= daysInMonth(y, m) ? [first + startDay - 1] : [];
  return [...new Set(days)].sort((a, b) => a - b);
}

function yearDates(rule: RecurrenceRule, y: number, s: { m: number; d: number }): number[] {
  if (rule.byMonth.length > 0 || rule.byMonthDay.length > 0) {
    // Within each month named (start's month when only days are named: BYMONTHDAY alone means every month, as in RFC 5545).
    const months = rule.byMonth.length > 0 ? rule.byMonth : rule.byMonthDay.length > 0 ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : [s.m];
    const days = [...months].sort((a, b) => a - b).flatMap((m) => monthDates(rule, y, m, s.d));
    return days;
  }
  if (rule.byDay.length > 0) {
    const from = dayNumber(y, 1, 1);
    const to = dayNumber(y, 12, 31);
    return [...new Set(rule.byDay.flatMap((b) => weekdaysIn(from, to, b)))].sort((a, b) => a - b);
  }
  return s.d <= daysInMonth(y, s.m) ? [dayNumber(y, s.m, s.d)] : [];
}
