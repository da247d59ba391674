/**
 * The event calendar in the engine (docs/scaler-spec.md, "spec.forecast.events"): holidays, sales,
 * launches, matches. Pure.
 *
 * An occurrence is a whole local day in the event's time zone (from its first instant to the
 * next day's, 23 or 25 hours on a DST day), widened by the event's `before` and `after`. Its
 * occurrences in the history are kept out of the normal pattern as user-excluded windows are
 * (cleaned, not scored); its effect is learned from them (effect.ts) and multiplies the mean
 * forecast and its quantile bands at the occurrences inside the horizon. Overlapping events
 * multiply. Without events nothing here runs.
 */
import type { Series } from '../../core/series.js';
import { Zone, formatDate } from './calendar.js';
import { type LearnedEffect, type Window, bandFactor, binMsFor, binOf, learnEffect } from './effect.js';
import { type RecurrenceRule, expandRule } from './rrule.js';
import { DAY_MS } from '../../core/duration.js';

export { parseRRule, type RecurrenceRule } from './rrule.js';
export { Zone, parseDate, formatDate } from './calendar.js';


/** One event as the engine takes it (config/events.ts reads it from a spec). */
export interface CalendarEvent {
  readonly name: string;
  /** IANA zone of its dates, e.g. America/New_York. */
  readonly timeZone: string;
  /** Plain dates (day numbers since 1970-01-01 in the zone). */
  readonly dates: readonly number[];
  /** A recurrence from its first date (day number). */
  readonly recurrence?: { readonly rule: RecurrenceRule; readonly start: number };
  /** The window starts this long before each occurrence's day and ends this long after it. */
  readonly beforeMs: number;
  readonly afterMs: number;
  /** The effect when the history holds no occurrence (and the prior the learned one is shrunk to). */
  readonly multiplier?: number;
}

/** An occurrence: its window and its day (for messages). */
export interface Occurrence extends Window {
  readonly day: number;
}

/** What a forecast says about the events inside its horizon. */
export interface ForecastEvent {
  readonly name: string;
  /** The occurrence's date in its zone (YYYY-MM-DD) and its window. */
  readonly date: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** `learned` from `occurrences` earlier ones, the user's `multiplier`, or `none` (no effect known). */
  readonly source: 'learned' | 'multiplier' | 'none';
  readonly occurrences: number;
  /** Lowest and highest factor applied over the window. */
  readonly min: number;
  readonly max: number;
}

/** The occurrences of an event whose windows overlap [fromMs, toMs), in order. */
export function occurrences(e: CalendarEvent, zone: Zone, fromMs: number, toMs: number): Occurrence[] {
  const lastDay = zone.dayAt(toMs + e.beforeMs) + 1;
  const firstDay = zone.dayAt(fromMs - e.afterMs) - 1;
  const days = new Set(e.dates.filter((d) => d >= firstDay && d <= lastDay));
  if (e.recurrence) for (const d of expandRule(e.recurrence.rule, e.recurrence.start, lastDay)) if (d >= firstDay) days.add(d);
  const out: Occurrence[] = [];
  for (const day of [...days].sort((a, b) => a - b)) {
    const w = { day, fromMs: zone.startOfDay(day) - e.beforeMs, toMs: zone.startOfDay(day + 1) + e.afterMs };
    if (w.toMs > fromMs && w.fromMs < toMs) out.push(w);
  }
  return out;
}

/** Each event with its occurrences from the series' start to the horizon's end and its learned effect. */
export interface EventPlan {
  readonly events: ReadonlyArray<{ readonly event: CalendarEvent; readonly zone: Zone; readonly occurrences: readonly Occurrence[]; readonly effect: LearnedEffect }>;
}

/**
 * Expands the events over `s` (the history they learn from, at the working step) and the horizon
 * up to `endMs`, and learns each one's effect from its occurrences before the series' end.
 */
export function planEvents(events: readonly CalendarEvent[], s: Series, endMs: number): EventPlan {
  const historyEnd = s.startMs + s.values.length * s.stepMs;
  const expanded = events.map((event) => {
    const zone = new Zone(event.timeZone);
    return { event, zone, occurrences: occurrences(event, zone, s.startMs, endMs) };
  });
  const masked = new Uint8Array(s.values.length);
  for (const x of expanded) for (const w of x.occurrences) fill(masked, s, w);
  const binMs = binMsFor(s.stepMs);
  return {
    events: expanded.map((x) => {
      const past = x.occurrences.filter((w) => w.fromMs < historyEnd);
      const longest = Math.max(DAY_MS + 2 * 3_600_000 + x.event.beforeMs + x.event.afterMs, 0);
      const bins = Math.ceil(longest / binMs) + 1;
      return { ...x, effect: learnEffect(s, past, masked, x.zone, { prior: x.event.multiplier ?? 1, bins }) };
    }),
  };
}

function fill(mask: Uint8Array, s: Series, w: Window): void {
  const a = Math.max(0, Math.ceil((w.fromMs - s.startMs) / s.stepMs));
  const b = Math.min(mask.length, Math.ceil((w.toMs - s.startMs) / s.stepMs));
  if (b > a) mask.fill(1, a, b);
}

/** The occurrence windows inside [fromMs, toMs): what cleaning keeps out of the normal pattern. */
export function pastWindows(plan: EventPlan, fromMs: number, toMs: number): Window[] {
  return plan.events.flatMap((x) => x.occurrences.filter((w) => w.toMs > fromMs && w.fromMs < toMs).map((w) => ({ fromMs: w.fromMs, toMs: w.toMs })));
}

/** The product of the mean's factors of the occurrences in force at `tMs` (1 when none is). */
export function factorAt(plan: EventPlan, tMs: number): number {
  let f = 1;
  for (const { zone, occurrences: occ, effect } of plan.events) {
    for (const w of occ) if (w.fromMs <= tMs && tMs < w.toMs) f *= effect.factors[binOf(zone, w, tMs, effect.binMs)] ?? effect.prior;
  }
  return f;
}

/**
 * The observed load of the last `k` steps of `values` (from `startMs` at `stepMs`) as the level
 * correction compares it with the normal pattern: inside an occurrence in progress, the load
 * divided by the event's effect, so that a holiday's dip is not read as a level shift and a load
 * off the learned effect still is; elsewhere `truth` (gaps and user-excluded windows NaN) unchanged.
 */
export function tailTruth(plan: EventPlan, s: { readonly startMs: number; readonly stepMs: number; readonly values: Float64Array }, truth: Float64Array, k: number, userExcluded: readonly Window[]): Float64Array {
  const out = truth.slice();
  for (let i = Math.max(0, out.length - k); i < out.length; i++) {
    const t = s.startMs + i * s.stepMs;
    if (!Number.isNaN(out[i]!) || Number.isNaN(s.values[i]!) || userExcluded.some((w) => w.fromMs <= t && t < w.toMs)) continue;
    // Observed, not a gap, not the user's: kept out of the pattern as an event's occurrence.
    out[i] = s.values[i]! / factorAt(plan, t);
  }
  return out;
}

/**
 * Multiplies the forecast (from `startMs` at `stepMs`: the mean, and each band by the factor of its
 * quantile, effect.ts bandFactor) by the effects of the occurrences it reaches; returns the mean's
 * factor per step and what was applied, or undefined when no occurrence falls inside the horizon.
 */
export function applyEvents(
  plan: EventPlan,
  startMs: number,
  stepMs: number,
  forecast: { readonly mean: Float64Array; readonly bands: ReadonlyArray<{ readonly q: number; readonly values: Float64Array }> },
): { factors: Float64Array; applied: ForecastEvent[] } | undefined {
  const h = forecast.mean.length;
  const endMs = startMs + h * stepMs;
  const factors = new Float64Array(h).fill(1);
  const bandFactors = forecast.bands.map(() => new Float64Array(h).fill(1));
  const applied: ForecastEvent[] = [];
  for (const { event, zone, occurrences: occ, effect } of plan.events) {
    for (const w of occ) {
      if (w.toMs <= startMs || w.fromMs >= endMs) continue;
      const offsets = { from: zone.offsetAt(w.fromMs), to: zone.offsetAt(w.toMs) };
      let min = Infinity;
      let max = -Infinity;
      for (let j = Math.max(0, Math.ceil((w.fromMs - startMs) / stepMs)); j < h && startMs + j * stepMs < w.toMs; j++) {
        const b = binOf(zone, w, startMs + j * stepMs, effect.binMs, offsets);
        const f = effect.factors[b] ?? effect.prior;
        factors[j]! *= f;
        forecast.bands.forEach((band, k) => (bandFactors[k]![j]! *= bandFactor(effect, b, band.q)));
        min = Math.min(min, f);
        max = Math.max(max, f);
      }
      if (min > max) continue;
      const source = effect.occurrences > 0 ? 'learned' : event.multiplier !== undefined ? 'multiplier' : 'none';
      applied.push({ name: event.name, date: formatDate(w.day), fromMs: w.fromMs, toMs: w.toMs, source, occurrences: effect.occurrences, min, max });
    }
  }
  if (applied.length === 0) return undefined;
  for (let j = 0; j < h; j++) forecast.mean[j]! *= factors[j]!;
  forecast.bands.forEach((band, k) => {
    for (let j = 0; j < h; j++) band.values[j]! *= bandFactors[k]![j]!;
  });
  // Non-negative bands stay ordered (their factors rise with q); a series with negative values may not.
  const byQ = [...forecast.bands].sort((a, b) => a.q - b.q);
  for (let k = 1; k < byQ.length; k++) for (let j = 0; j < h; j++) if (byQ[k]!.values[j]! < byQ[k - 1]!.values[j]!) byQ[k]!.values[j] = byQ[k - 1]!.values[j]!;
  return { factors, applied: applied.sort((a, b) => a.fromMs - b.fromMs) };
}

/**
 * The events in force at `tMs` for a decision note: `event thanksgiving (2014-11-27, x0.62 here,
 * learned from 3 occurrences in the history)`; '' when none is. An occurrence in progress counts
 * among them for the hours already seen.
 */
export function describeEvents(applied: readonly ForecastEvent[] | undefined, factors: Float64Array | undefined, startMs: number, stepMs: number, tMs: number): string {
  const now = (applied ?? []).filter((e) => e.fromMs <= tMs && tMs < e.toMs);
  if (now.length === 0) return '';
  const j = Math.max(0, Math.floor((tMs - startMs) / stepMs));
  const f = factors?.[j];
  const what = now.map((e) => {
    const how = e.source === 'learned' ? `learned from ${e.occurrences} occurrence${e.occurrences === 1 ? '' : 's'} in the history` : e.source === 'multiplier' ? 'its multiplier, no occurrence in the history' : 'no effect known: no occurrence in the history and no multiplier';
    return `${e.name} (${e.date}, ${how})`;
  });
  const factor = f === undefined || f === 1 ? '' : `, forecast x${Number(f.toPrecision(3))} here`;
  return `; event ${what.join(' and ')} in force${factor}`;
}
