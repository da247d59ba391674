/**
 * `--lead-times FILE|DURATION` of dry-run and backtest, for a scaler with `plan.leadTime: auto`:
 * the pod start-ups the operator would have seen, so a replay plans with the lead time the
 * operator would have learned at each refit (the same estimator, src/plan/lead-time.ts), or a
 * fixed lead time. The file is CSV `timestamp,seconds`: when a pod became Ready (ISO-8601, no zone
 * is UTC, or epoch seconds) and how long after its creation; a header line naming those two
 * columns, rows in any order, blank lines and a byte order mark ignored. Bad input is refused with
 * one line naming the file and line.
 */
import { readFile } from 'node:fs/promises';
import { formatDuration, isZeroDuration, parseDuration } from '../core/duration.js';
import { errorMessage, invalidInput } from '../core/errors.js';
import { parseTimestampMs } from '../core/time.js';
import type { Scaler } from '../config/scaler.js';
import { leadTimeAt, leadTimeOptionsOf, sortObservations, type StartupObservation } from '../plan/lead-time.js';

/** A duration, as the spec writes them (zero too, as plan.leadTime allows it); anything else names a file. */
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$/;

/** The lead time in force at a refit-grid time, as the control loop asks for it. */
export type LeadTimeAt = (atMs: number) => number;

/** A duration (`90s`, `2m30s`) or a file. Undefined: the spec's own lead time (for auto, its fallback, as an operator with no start-ups seen). */
export async function readLeadTimes(arg: string | undefined, scaler: Scaler): Promise<LeadTimeAt | undefined> {
  if (arg === undefined) return undefined;
  if (!scaler.spec.plan.leadTimeAuto) throw invalidInput(`--lead-times: the scaler's plan.leadTime is fixed (${formatDuration(scaler.spec.plan.leadTimeMs)}); --lead-times is for plan.leadTime: auto`);
  const opts = leadTimeOptionsOf(scaler.spec);
  const duration = arg.trim();
  if (isZeroDuration(duration) || DURATION.test(duration)) {
    let ms: number;
    try {
      ms = isZeroDuration(duration) ? 0 : parseDuration(duration, '--lead-times');
    } catch (e) {
      throw invalidInput(errorMessage(e));
    }
    const fixed = Math.min(ms, opts.maxMs);
    return () => fixed;
  }
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (e) {
    throw invalidInput(`${arg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e)}`);
  }
  const observations = sortObservations(parseStartups(text, arg));
  return (atMs) => leadTimeAt(observations, atMs, opts).leadTimeMs;
}

/** Reads `timestamp,seconds` rows (see the module's comment). */
export function parseStartups(text: string, file: string): StartupObservation[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const out: StartupObservation[] = [];
  let header = false;
  let tsCol = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (!header) {
      const names = cells.map((c) => c.toLowerCase());
      if (names.length !== 2 || !names.includes('timestamp') || !names.includes('seconds')) {
        throw invalidInput(`${where}: the first line must name the columns timestamp,seconds (got ${JSON.stringify(line)})`);
      }
      tsCol = names.indexOf('timestamp');
      header = true;
      continue;
    }
    if (cells.length !== 2) throw invalidInput(`${where}: expected 2 cells (timestamp,seconds), got ${cells.length}${cells.length === 3 ? ' (a decimal comma? write 1.5)' : ''}`);
    const ts = cells[tsCol]!;
    const raw = cells[1 - tsCol]!;
    const readyMs = parseTimestampMs(ts);
    if (!Number.isFinite(readyMs)) throw invalidInput(`${where}: ${JSON.stringify(ts)} is not a timestamp (use ISO-8601 like 2024-11-29T10:00:00Z or epoch seconds)`);
    const seconds = /^[0-9]+(\.[0-9]+)?$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isFinite(seconds)) throw invalidInput(`${where}: ${JSON.stringify(raw)} is not a start-up time in seconds (a number >= 0)`);
    if (seconds > 86_400) throw invalidInput(`${where}: ${raw} seconds is more than a day; is the column in milliseconds?`);
    out.push({ readyMs, durationMs: Math.round(seconds * 1000) });
  }
  if (!header) throw invalidInput(`${file}:1: empty: expected a header timestamp,seconds and one row per pod start-up`);
  return out;
}
