/**
 * The learned lead time (`plan.leadTime: auto`): a robust high quantile of the target's recent pod
 * start-up times (creation to the `Ready` condition). Pure: the observations and the time are
 * given, so the operator (which watches pods), the dry-run and the backtest (which read a recorded
 * series of start-ups) compute the same lead time at the same refit.
 *
 * The estimate at time t uses the last WINDOW observations that completed (became Ready) at or
 * before t, and is their QUANTILE by nearest rank, never above the second-highest of them:
 *   - p90 of the last 20: a high quantile, since a floor raised too late for the slow pods is the
 *     shortfall the lead time exists to prevent; the 3rd-highest of 20, so up to two slow outliers
 *     in twenty (a node pulling the image cold, a pod that waited for a volume) do not set it;
 *   - with fewer than 20 the rank is capped at n - 1, so a single outlier never sets it either;
 *   - a count window, not an age window: pods start only when something scales, and a quiet week
 *     must not forget what start-up costs. After a rollout that makes pods slower, 3 slow start-ups
 *     of 20 raise it (fast to become safe); one that makes them faster lowers it after 18 (slow to
 *     spend the margin);
 *   - until MIN_OBSERVATIONS (5) start-ups are seen, the fallback (the spec's default, 5m) holds:
 *     from fewer the second-highest is the highest but one of a handful, too little to trust.
 * The value is rounded up to a whole second (Kubernetes' timestamps have seconds) and kept within
 * [0, maxMs] (the spec's horizon minus its refit interval, so a plan always reaches the next refit).
 */

/** One pod's start-up: when it became Ready (epoch ms) and how long after its creation (ms). */
export interface StartupObservation {
  readonly readyMs: number;
  readonly durationMs: number;
}

export const LEAD_TIME_QUANTILE = 0.9;
export const LEAD_TIME_WINDOW = 20;
export const LEAD_TIME_MIN_OBSERVATIONS = 5;

export interface LeadTimeEstimate {
  /** The lead time in force (ms). */
  readonly leadTimeMs: number;
  /** Start-ups Ready by the time asked, at most LEAD_TIME_WINDOW (fewer than LEAD_TIME_MIN_OBSERVATIONS: the fallback). */
  readonly observations: number;
  /** True while fewer than LEAD_TIME_MIN_OBSERVATIONS start-ups are known: `leadTimeMs` is the fallback. */
  readonly fallback: boolean;
  /**
   * When the value in force last changed: the Ready time of the start-up that moved it to this
   * value (a function of the observations, so every replay and a restarted operator agree).
   * Undefined while the fallback has held since the first observation.
   */
  readonly changedAtMs?: number;
}

export interface LeadTimeOptions {
  readonly fallbackMs: number;
  /** Upper bound (the plan must reach the next refit); default unlimited. */
  readonly maxMs?: number;
}

const SECOND_MS = 1000;

/**
 * The estimator's options for a spec: its `plan.leadTimeMs` as the fallback, and at most
 * `forecast.horizon - forecast.refitInterval`, so the plan of one refit reaches the next.
 */
export function leadTimeOptionsOf(spec: {
  readonly plan: { readonly leadTimeMs: number };
  readonly forecast: { readonly horizonMs: number; readonly refitIntervalMs: number };
}): Required<LeadTimeOptions> {
  return { fallbackMs: spec.plan.leadTimeMs, maxMs: spec.forecast.horizonMs - spec.forecast.refitIntervalMs };
}

/** The estimate from `window` (the last start-ups, any order), without the change time. */
export function estimateOf(window: readonly StartupObservation[], o: LeadTimeOptions): { leadTimeMs: number; fallback: boolean } {
  const n = window.length;
  if (n < LEAD_TIME_MIN_OBSERVATIONS) return { leadTimeMs: clamp(o.fallbackMs, o), fallback: true };
  const sorted = window.map((w) => w.durationMs).sort((a, b) => a - b);
  const rank = Math.min(Math.ceil(LEAD_TIME_QUANTILE * n), n - 1);
  const v = sorted[rank - 1]!;
  return { leadTimeMs: clamp(Math.ceil(v / SECOND_MS) * SECOND_MS, o), fallback: false };
}

function clamp(ms: number, o: LeadTimeOptions): number {
  return Math.max(0, Math.min(ms, o.maxMs ?? Infinity));
}

/**
 * The lead time in force at `atMs` from the start-ups recorded so far. `observations` must be
 * sorted by readyMs (use `sortObservations`); those after atMs are ignored. `withChange` also
 * finds when the value last changed (a walk back over the observations: for status, not for
 * every refit of a long replay).
 */
export function leadTimeAt(observations: readonly StartupObservation[], atMs: number, o: LeadTimeOptions, withChange = false): LeadTimeEstimate {
  // The observations up to atMs: [0, end).
  let end = upperBound(observations, atMs);
  const at = (e: number): { leadTimeMs: number; fallback: boolean } => estimateOf(observations.slice(Math.max(0, e - LEAD_TIME_WINDOW), e), o);
  const now = at(end);
  const observationsUsed = Math.min(end, LEAD_TIME_WINDOW);
  if (!withChange) return { ...now, observations: observationsUsed };
  // Walk back to the start-up that set the value in force.
  let changedAtMs: number | undefined;
  while (end > 0) {
    const before = at(end - 1);
    if (before.leadTimeMs !== now.leadTimeMs || before.fallback !== now.fallback) {
      changedAtMs = observations[end - 1]!.readyMs;
      break;
    }
    end--;
  }
  return { ...now, observations: observationsUsed, ...(changedAtMs !== undefined ? { changedAtMs } : {}) };
}

/** Sorted by Ready time (then duration), for leadTimeAt. */
export function sortObservations(list: readonly StartupObservation[]): StartupObservation[] {
  return [...list].sort((a, b) => a.readyMs - b.readyMs || a.durationMs - b.durationMs);
}

/** Index of the first observation with readyMs > atMs. */
function upperBound(a: readonly StartupObservation[], atMs: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]!.readyMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
