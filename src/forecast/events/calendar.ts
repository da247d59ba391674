/**
 * Calendar arithmetic for the event calendar: civil dates as day numbers (no Date object, no clock)
 * and an IANA time zone's local midnight in epoch ms through Intl (the ICU data Node ships). Pure.
 */

import { civilDate, dayNumber, daysInMonth } from '../../core/civil.js';
import { DAY_MS } from '../../core/duration.js';


const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` as a day number, or undefined when it is not a real date. */
export function parseDate(text: string): number | undefined {
  const m = DATE_RE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return dayNumber(y, mo, d);
}

export const formatDate = (n: number): string => {
  const c = civilDate(n);
  return `${String(c.y).padStart(4, '0')}-${String(c.m).padStart(2, '0')}-${String(c.d).padStart(2, '0')}`;
};

/**
 * A time zone's clock: its UTC offset at an instant and the first instant of a local day. One per
 * expansion (no module state); `Intl.DateTimeFormat` throws a RangeError on a name it does not know.
 */
export class Zone {
  private readonly fmt: Intl.DateTimeFormat | undefined;

  constructor(readonly name: string) {
    const utc = name === 'UTC' || name === 'Etc/UTC';
    this.fmt = utc
      ? undefined
      : new Intl.DateTimeFormat('en-US', { timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  }

  /** Local wall-clock time minus UTC at `ms`, in ms (e.g. -5 h in New York in winter). */
  offsetAt(ms: number): number {
    if (!this.fmt) return 0;
    const t = Math.floor(ms / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = dayNumber(p.year!, p.month!, p.day!) * DAY_MS + ((p.hour! * 60 + p.minute!) * 60 + p.second!) * 1000;
    return local - t;
  }

  /** The local day number at an instant. */
  dayAt(ms: number): number {
    return Math.floor((ms + this.offsetAt(ms)) / DAY_MS);
  }

  /**
   * The first instant of local day `n`: its midnight, or, where a DST change skips midnight, the
   * first instant after the gap (01:00 local in America/Santiago on its spring-forward day).
   */
  startOfDay(n: number): number {
    const wall = n * DAY_MS;
    let best = Infinity;
    // The offset in force at the start of the day is one of the offsets around it.
    for (const probe of [wall - DAY_MS, wall, wall + DAY_MS]) {
      const t = wall - this.offsetAt(probe);
      if (t < best && this.dayAt(t) === n) best = t;
    }
    return Number.isFinite(best) ? best : wall - this.offsetAt(wall);
  }

  /**
   * Wall-clock time elapsed from `fromMs` to `ms`: the elapsed time plus the change of offset, so
   * that 15:00 local is 15 h after midnight on a day of 23 or 25 hours too.
   */
  wallElapsed(fromMs: number, ms: number): number {
    return ms - fromMs + this.offsetAt(ms) - this.offsetAt(fromMs);
  }
}
