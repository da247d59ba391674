/**
 * When a scaler refits and runs its model search. Pure: a function of the spec, its namespace and
 * name, and the time asked about.
 */
import { DAY_MS } from '../core/duration.js';
import { fnv1a } from '../core/hash.js';
import type { Scaler } from '../config/scaler.js';

/** Model searches sit on this grid (days, at each scaler's own refit of the day); refits in between reuse the day's search (ADR 0003). */
export const RESELECT_INTERVAL_MS = DAY_MS;

/** Start of the grid interval of `periodMs` (epoch-aligned, shifted by `phaseMs`) holding tMs. */
export const gridFloor = (tMs: number, periodMs: number, phaseMs = 0): number => tMs - ((((tMs - phaseMs) % periodMs) + periodMs) % periodMs);

/**
 * Where a scaler's refits and model searches fall. Refits sit on the grid of
 * `forecast.refitInterval` shifted by the scaler's own phase, and the day's search on one of
 * those refits, both chosen by a hash of namespace/name: thousands of scalers spread their refits
 * over the interval and their searches over the day instead of all running at :00 and midnight,
 * and a scaler's phase is the same in the operator, a dry-run and after a restart.
 */
export interface RefitSchedule {
  readonly intervalMs: number;
  /** Refits at phaseMs + k * intervalMs (epoch time); a whole number of ticks and of metric steps. */
  readonly phaseMs: number;
  /** Model searches at searchPhaseMs + d * 1 day; a refit time when the interval divides a day. */
  readonly searchPhaseMs: number;
}

export function refitSchedule(scaler: Scaler): RefitSchedule {
  const s = scaler.spec;
  const intervalMs = s.forecast.refitIntervalMs;
  const key = `${scaler.namespace}/${scaler.name}`;
  const unit = lcm(s.plan.tickIntervalMs, s.metric.stepMs);
  const phaseMs = (fnv1a(`refit:${key}`) % Math.max(1, Math.floor(intervalMs / unit))) * unit;
  const refitsPerDay = Math.max(1, Math.floor(RESELECT_INTERVAL_MS / intervalMs));
  const searchPhaseMs = (phaseMs + (fnv1a(`search:${key}`) % refitsPerDay) * intervalMs) % RESELECT_INTERVAL_MS;
  return { intervalMs, phaseMs, searchPhaseMs };
}

/** The refit-grid time holding tMs: the history a floor at tMs is planned from ends there. */
export const refitAtFor = (scaler: Scaler, tMs: number): number => {
  const r = refitSchedule(scaler);
  return gridFloor(tMs, r.intervalMs, r.phaseMs);
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** Least common multiple of two whole, positive numbers of ms. */
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;
