import { invalidInput } from './errors.js';

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO-8601 timestamp (no zone means UTC) or epoch seconds into epoch milliseconds.
 * Returns NaN when the text is not a timestamp, so parsers can name the line.
 */
export function parseTimestampMs(text: string): number {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const m = ISO.exec(t);
  if (!m) return NaN;
  const zone = m[8] === undefined ? 'Z' : m[8].toUpperCase();
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${zone}`;
  const ms = Date.parse(iso);
  // Date.parse accepts 2014-02-30; reject impossible calendar dates.
  if (!Number.isFinite(ms)) return NaN;
  if (zone === 'Z' && new Date(ms).getUTCDate() !== Number(m[3])) return NaN;
  return ms;
}

/** Like parseTimestampMs but throws an invalid-input error naming `what`. */
export function requireTimestampMs(text: string, what: string): number {
  const ms = parseTimestampMs(text);
  if (!Number.isFinite(ms)) throw invalidInput(`${what}: ${JSON.stringify(text)} is not a timestamp (use ISO-8601 like 2014-07-01T00:00:00Z or epoch seconds)`);
  return ms;
}

/** Formats epoch ms as `2014-07-01T00:00:00Z` (UTC, whole seconds: docs/architecture.md, "Habits"). */
export function formatTimestamp(ms: number): string {
  return new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
