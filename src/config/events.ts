/**
 * `spec.forecast.events`: the event calendar (docs/scaler-spec.md, "spec.forecast.events";
 * forecast/events/ learns and applies the effects). Pure: the time zone is checked through Intl.
 */
import { parseDate, parseRRule, Zone, type CalendarEvent } from '../forecast/events/index.js';
import { MapReader, typeName } from './fields.js';
import type { PathSeg } from './problems.js';

const EVENT_KEYS = ['name', 'dates', 'rrule', 'start', 'timeZone', 'before', 'after', 'multiplier'] as const;
/** Limits that keep a spec's calendar cheap to expand at every refit. */
export const EVENT_LIMITS = { maxEvents: 50, maxDates: 500, maxMultiplier: 100, maxNameLength: 63, maxWidenMs: 31 * 86_400_000 } as const;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Reads the list; every problem is reported with its field path. */
export function readEvents(f: MapReader): CalendarEvent[] {
  const list = f.list('events');
  if (list === undefined) return [];
  if (list.length > EVENT_LIMITS.maxEvents) f.problems.add(f.at('events'), `${list.length} events, at most ${EVENT_LIMITS.maxEvents} are allowed`);
  const out: CalendarEvent[] = [];
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const e = MapReader.of(f.problems, [...f.at('events'), i], item, EVENT_KEYS);
    if (e === undefined) return;
    const event = readEvent(e);
    const before = seen.get(event.name);
    if (before !== undefined && event.name !== '') e.problems.add(e.at('name'), `${JSON.stringify(event.name)} is also the name of events[${before}]`);
    seen.set(event.name, i);
    out.push(event);
  });
  return out;
}

function readEvent(e: MapReader): CalendarEvent {
  const name = e.requiredString('name', { pattern: NAME, hint: 'is not a name of lower-case letters, digits and "-" (like thanksgiving or black-friday)' });
  if (name.length > EVENT_LIMITS.maxNameLength) e.problems.add(e.at('name'), `is longer than ${EVENT_LIMITS.maxNameLength} characters`);
  const timeZone = readZone(e);
  const dates = readDates(e);
  const recurrence = readRecurrence(e);
  if (!e.has('dates') && !e.has('rrule')) e.problems.add(e.path, 'give dates, an rrule, or both');
  const beforeMs = widening(e, 'before');
  const afterMs = widening(e, 'after');
  const multiplier = e.optionalNumber('multiplier', { above: 0, max: EVENT_LIMITS.maxMultiplier });
  return {
    name,
    timeZone,
    dates,
    ...(recurrence ? { recurrence } : {}),
    beforeMs,
    afterMs,
    ...(multiplier === undefined ? {} : { multiplier }),
  };
}

/** `before` or `after`: a duration from 0 to 31d (a longer window is a season, not an event). */
function widening(e: MapReader, key: 'before' | 'after'): number {
  const ms = e.duration(key, 0, { allowZero: true });
  if (ms > EVENT_LIMITS.maxWidenMs) e.problems.add(e.at(key), `${String(e.obj[key])} is longer than 31d`);
  return ms;
}

/** An IANA zone name Intl knows (`UTC` by default). */
function readZone(e: MapReader): string {
  const zone = e.string('timeZone') ?? 'UTC';
  if (zone === '') return 'UTC';
  try {
    new Zone(zone).offsetAt(0);
    return zone;
  } catch {
    e.problems.add(e.at('timeZone'), `${JSON.stringify(zone)} is not an IANA time zone (like Europe/London or America/New_York)`);
    return 'UTC';
  }
}

function readDates(e: MapReader): number[] {
  const list = e.list('dates');
  if (list === undefined) return [];
  if (list.length > EVENT_LIMITS.maxDates) e.problems.add(e.at('dates'), `${list.length} dates, at most ${EVENT_LIMITS.maxDates} are allowed (use an rrule)`);
  const out: number[] = [];
  list.forEach((v, i) => {
    const day = readDate(e, [...e.at('dates'), i], v);
    if (day !== undefined) out.push(day);
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

function readDate(e: MapReader, path: PathSeg[], v: unknown): number | undefined {
  const day = typeof v === 'string' ? parseDate(v) : undefined;
  if (day === undefined) e.problems.add(path, `${typeName(v)} is not a date like 2024-11-28`);
  return day;
}

function readRecurrence(e: MapReader): CalendarEvent['recurrence'] {
  const text = e.string('rrule');
  const hasStart = e.has('start');
  const start = hasStart ? readDate(e, e.at('start'), e.obj.start) : undefined;
  if (text === undefined) {
    if (hasStart) e.problems.add(e.at('start'), 'is the first date of an rrule: give the rrule too');
    return undefined;
  }
  if (text === '') return undefined;
  const rule = parseRRule(text);
  if (typeof rule === 'string') {
    e.problems.add(e.at('rrule'), rule);
    return undefined;
  }
  if (!hasStart) {
    e.problems.add(e.at('start'), 'required with rrule: the first date of the recurrence (RFC 5545 DTSTART), like 2024-01-01');
    return undefined;
  }
  return start === undefined ? undefined : { rule, start };
}
