/**
 * Level shifts: drops too long to be outages, kept as they are; the level is refitted on each
 * side of them separately so that their edges are not smeared.
 */
import type { Run } from './types.js';

/** A drop that ended counts as an outage up to this many times maxOutageMs (2 days by default). */
export const ENDED_OUTAGE_FACTOR = 2;

/**
 * Whether the low run [a, b) of a series of n points is a level shift rather than an outage. A drop
 * that has ended (the load came back) was an outage up to ENDED_OUTAGE_FACTOR times longer than
 * `maxOutage` steps (a blizzard, a two-day incident): learning it would pull the forecast after the
 * recovery down. One still running at the end is a new level once it outlasts `maxOutage`.
 */
export function isLevelShift([a, b]: Run, n: number, maxOutage: number): boolean {
  const limit = b < n ? ENDED_OUTAGE_FACTOR * maxOutage : maxOutage;
  return b - a > limit;
}

/** Segments of [0, n) split at the edges of the level shifts. */
export function segmentsAround(n: number, shifts: Run[]): Run[] {
  const cuts = [0, ...shifts.flatMap(([a, b]) => [a, b]), n].filter((c, k, all) => k === 0 || c > all[k - 1]!);
  const out: Run[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) out.push([cuts[k]!, cuts[k + 1]!]);
  return out.length > 0 ? out : [[0, n]];
}
