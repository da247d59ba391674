import { invalidInput } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import type { Series } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import { clampInt, replicasFor } from './capacity.js';
import { MAX_PLAN_BLOCKS, MAX_TIME_MS, resolvePlanOptions } from './options.js';
import type { AppliedFloor, Plan, PlanOptions, PlanStep, ResolvedPlanOptions, StepReason, StepReasonKind } from './types.js';

/**
 * Forecast -> step-function replica floor.
 *
 * The floor may change only on a fixed grid of blocks of `minStepMs` (anchored at `gridOriginMs`,
 * epoch 0 by default), so steps stay put when the operator re-plans every few minutes and every
 * step lasts whole blocks. The plan covers [nowMs, forecast end - leadTime):
 *   block 0 = [nowMs, next grid boundary)  (the rest of the block in progress; may be short),
 *   block k = [boundary, boundary + minStep), the last one truncated at the plan end.
 * So every step lasts >= minStepMs except the first (starts at nowMs) and the last (ends at the
 * horizon); every other step boundary lies on the grid.
 *
 * Value of a block [bs, be), built only from max / min / clamp, so a pointwise higher forecast
 * never yields a lower floor (monotone):
 *   1. need over [bs, be + leadTime + tick): a floor at t must cover demand up to t + leadTime
 *      (pods take leadTime to be ready) plus one tick (the next chance to raise it). Taking the
 *      max over the whole block batches several small rises into one step (Scryer).
 *   2. hold: need over (bs - scaleDownDelay, bs): the floor drops only once demand has stayed
 *      lower for the delay (looked up within the forecast; history before it is unknown here).
 *   3. clamp to [minReplicas, maxReplicas].
 *   4. applied floor: no block starting before applied.sinceMs + minStep drops below it (a step
 *      lasts at least minStep); a floor applied before that is replaced by the plan at once.
 *   5. maxStepChange: ramp up ahead of a rise (backwards), then limit each change from the
 *      previous step, starting at the applied floor (forwards). Only this last limit can leave a
 *      block short of its need, and its reason says so.
 * Refused (invalid-input, naming the value or option): a forecast value that is not finite, times a
 * Date cannot hold, and more than MAX_PLAN_BLOCKS blocks (a minStep far too short for the horizon).
 */
export function buildPlan(forecast: Series, nowMs: number, options: PlanOptions, applied?: AppliedFloor): Plan {
  const o = resolvePlanOptions(options);
  checkForecast(forecast, nowMs, applied);
  const { startMs, stepMs, values } = forecast;
  const planEnd = startMs + values.length * stepMs - o.leadTimeMs;
  if (values.length === 0 || planEnd <= nowMs) return { steps: [] };
  if (!((planEnd - nowMs) / o.minStepMs + 2 <= MAX_PLAN_BLOCKS)) {
    throw invalidInput(`plan: minStep ${formatDuration(o.minStepMs)} cuts the ${formatDuration(planEnd - nowMs)} plan into more than ${MAX_PLAN_BLOCKS} steps; use a longer minStep or a shorter horizon`);
  }

  const blocks = blockBounds(nowMs, planEnd, o);
  // Replicas each forecast value needs, computed once: the block windows overlap (lead + tick
  // past the block, scaleDownDelay before it), so on the fly each value was computed ~3 times.
  const needs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) needs[i] = replicasFor(values[i]!, o.perReplica, o.headroom);
  const planned = blocks.map(([bs, be]) => blockValue(forecast, needs, bs, be, o));
  if (applied) applyAppliedFloor(planned, blocks, nowMs, o, applied);
  if (o.maxStepChange !== undefined) applyMaxStepChange(planned, blocks, o.maxStepChange, applied, o);
  return { steps: mergeBlocks(planned, blocks, forecast, o) };
}

/**
 * A block's count and what set it, as plain data: the reason text is only built for blocks that
 * start a step, and only when read (re-planning runs tens of thousands of times in a backtest).
 */
type Planned =
  | { replicas: number; why: 'forecast'; idx: number; needed: number; fromHold: boolean; bs: number }
  | { replicas: number; why: 'applied'; cur: number; sinceMs: number }
  | { replicas: number; why: 'ramp'; next: number; atMs: number; delta: number }
  | { replicas: number; why: 'limit-up' | 'limit-down'; want: number; delta: number };

const isTime = (t: number): boolean => Number.isFinite(t) && Math.abs(t) <= MAX_TIME_MS;

function checkForecast(f: Series, nowMs: number, applied: AppliedFloor | undefined): void {
  if (!(Number.isFinite(f.stepMs) && f.stepMs > 0)) throw invalidInput(`forecast: step must be > 0 (got ${f.stepMs} ms)`);
  if (!isTime(f.startMs)) throw invalidInput(`forecast: start ${f.startMs} is not a time`);
  if (!isTime(f.startMs + f.values.length * f.stepMs)) throw invalidInput(`forecast: end ${f.startMs + f.values.length * f.stepMs} (${f.values.length} values of ${f.stepMs} ms) is not a time`);
  if (!isTime(nowMs)) throw invalidInput(`plan: now ${nowMs} is not a time`);
  for (let i = 0; i < f.values.length; i++) {
    if (!Number.isFinite(f.values[i]!)) {
      throw invalidInput(`forecast: value ${i} (${formatTimestamp(f.startMs + i * f.stepMs)}) is ${f.values[i]}, not a number`);
    }
  }
  if (applied && !(Number.isInteger(applied.replicas) && applied.replicas >= 0 && isTime(applied.sinceMs))) {
    throw invalidInput(`plan: applied floor ${applied.replicas} since ${applied.sinceMs} is not valid`);
  }
}

/** [from, to) of each block: the rest of the block in progress, then whole grid blocks, truncated at planEnd. */
export function blockBounds(nowMs: number, planEnd: number, o: Pick<ResolvedPlanOptions, 'minStepMs' | 'gridOriginMs'>): Array<[number, number]> {
  const M = o.minStepMs;
  const out: Array<[number, number]> = [];
  let b = o.gridOriginMs + (Math.floor((nowMs - o.gridOriginMs) / M) + 1) * M;
  out.push([nowMs, Math.min(b, planEnd)]);
  while (b < planEnd) {
    out.push([b, Math.min(b + M, planEnd)]);
    b += M;
  }
  return out;
}

/**
 * Index of the first (or `last`) value needing the most replicas in needs[lo..hi] (clipped to the
 * array), or -1 when empty.
 */
function argMax(needs: Float64Array, lo: number, hi: number, last = false): number {
  const a = Math.max(0, lo);
  const b = Math.min(needs.length - 1, hi);
  let best = -1;
  let bestNeed = -1;
  for (let i = a; i <= b; i++) {
    const need = needs[i]!;
    if (need > bestNeed || (last && need === bestNeed)) {
      best = i;
      bestNeed = need;
    }
  }
  return best;
}

function blockValue(f: Series, needs: Float64Array, bs: number, be: number, o: ResolvedPlanOptions): Planned {
  const { startMs, stepMs } = f;
  // Forecast interval i covers [t_i, t_i + step). Lead window [bs, be + lead + tick).
  const leadIdx = argMax(needs, Math.floor((bs - startMs) / stepMs), Math.ceil((be + o.leadTimeMs + o.tickMs - startMs) / stepMs) - 1);
  // Delay window (bs - delay, bs): intervals with t_i < bs and t_i + step > bs - delay. The reason
  // names the latest high value: the one that keeps the floor up longest.
  const holdIdx =
    o.scaleDownDelayMs > 0 ? argMax(needs, Math.floor((bs - o.scaleDownDelayMs - startMs) / stepMs), Math.ceil((bs - startMs) / stepMs) - 1, true) : -1;
  const lead = leadIdx < 0 ? -1 : needs[leadIdx]!;
  const hold = holdIdx < 0 ? -1 : needs[holdIdx]!;
  const fromHold = hold > lead;
  const needed = Math.max(lead, hold);
  return { replicas: clampInt(needed, o.minReplicas, o.maxReplicas), why: 'forecast', idx: fromHold ? holdIdx : leadIdx, needed, fromHold, bs };
}

function applyAppliedFloor(planned: Planned[], blocks: Array<[number, number]>, nowMs: number, o: ResolvedPlanOptions, applied: AppliedFloor): void {
  const cur = clampInt(applied.replicas, o.minReplicas, o.maxReplicas);
  // The applied floor lasts at least minStep: every block whose grid start is before since + minStep
  // keeps it (so it lasts to the first boundary after since + minStep).
  // A floor applied in an earlier block does not hold the block in progress: that block's own
  // plan is due now (ticks off the grid would otherwise never lower the floor).
  const holdUntil = applied.sinceMs + o.minStepMs;
  // The block in progress counts from its grid boundary, not from now.
  const gridStart0 = nowMs - ((((nowMs - o.gridOriginMs) % o.minStepMs) + o.minStepMs) % o.minStepMs);
  for (let k = 0; k < planned.length; k++) {
    const start = k === 0 ? gridStart0 : blocks[k]![0];
    if (!(start < holdUntil) || planned[k]!.replicas >= cur) continue;
    planned[k] = { replicas: cur, why: 'applied', cur, sinceMs: applied.sinceMs };
  }
}

function applyMaxStepChange(planned: Planned[], blocks: Array<[number, number]>, delta: number, applied: AppliedFloor | undefined, o: ResolvedPlanOptions): void {
  // Backwards: start rising early enough that no rise exceeds delta.
  for (let k = planned.length - 2; k >= 0; k--) {
    const next = planned[k + 1]!.replicas;
    if (planned[k]!.replicas < next - delta) planned[k] = { replicas: next - delta, why: 'ramp', next, atMs: blocks[k + 1]![0], delta };
  }
  // Forwards: limit each change from the previous step (the first from the applied floor).
  let prev = applied ? clampInt(applied.replicas, o.minReplicas, o.maxReplicas) : undefined;
  for (let k = 0; k < planned.length; k++) {
    const want = planned[k]!.replicas;
    if (prev !== undefined && want > prev + delta) planned[k] = { replicas: prev + delta, why: 'limit-up', want, delta };
    else if (prev !== undefined && want < prev - delta) planned[k] = { replicas: prev - delta, why: 'limit-down', want, delta };
    prev = planned[k]!.replicas;
  }
}

/** Joins consecutive blocks with the same count; a step keeps the reason of its first block. */
function mergeBlocks(planned: Planned[], blocks: Array<[number, number]>, f: Series, o: ResolvedPlanOptions): PlanStep[] {
  const steps: PlanStep[] = [];
  for (let k = 0; k < planned.length; ) {
    // Blocks k..j-1 share a count: one step, built once.
    const replicas = planned[k]!.replicas;
    let j = k + 1;
    while (j < planned.length && planned[j]!.replicas === replicas) j++;
    steps.push({ fromMs: blocks[k]![0], toMs: blocks[j - 1]![1], replicas, reason: reasonOf(planned[k]!, f, o) });
    k = j;
  }
  return steps;
}

function reasonOf(p: Planned, f: Series, o: ResolvedPlanOptions): StepReason {
  switch (p.why) {
    case 'forecast':
      return forecastReason(f, p.idx, p.needed, p.fromHold, p.bs, o);
    case 'applied':
      return lazyReason('hold-min-step', () => `the applied floor ${p.cur} (since ${formatTimestamp(p.sinceMs)}) holds for the ${formatDuration(o.minStepMs)} minimum step`);
    case 'ramp':
      return lazyReason('max-step-change', () => `ramping up by at most ${p.delta} per step ahead of ${p.next} replicas at ${formatTimestamp(p.atMs)}`);
    case 'limit-up':
      return lazyReason('max-step-change', () => `limited to +${p.delta} per step; ${p.want} replicas are needed (capacity short)`);
    case 'limit-down':
      return lazyReason('max-step-change', () => `scale-down limited to -${p.delta} per step (${p.want} replicas would do)`);
  }
}

function forecastReason(f: Series, idx: number, needed: number, fromHold: boolean, bs: number, o: ResolvedPlanOptions): StepReason {
  if (idx < 0) return lazyReason('min-replicas', () => `no forecast covers ${formatTimestamp(bs)}, so minReplicas ${o.minReplicas}`);
  const atMs = f.startMs + idx * f.stepMs;
  const load = f.values[idx]!;
  if (needed > o.maxReplicas) return lazyNeedReason('max-replicas', atMs, load, needed, () => `${needText(o, load, atMs, needed)}; capped at maxReplicas ${o.maxReplicas}`);
  if (needed < o.minReplicas) return lazyNeedReason('min-replicas', atMs, load, needed, () => `${needText(o, load, atMs, needed)}; raised to minReplicas ${o.minReplicas}`);
  if (fromHold) return lazyNeedReason('hold-scale-down-delay', atMs, load, needed, () => `${needText(o, load, atMs, needed)}; held for the ${formatDuration(o.scaleDownDelayMs)} scale-down delay`);
  return lazyNeedReason('forecast', atMs, load, needed, () => `${needText(o, load, atMs, needed)}; covers ${formatDuration(o.leadTimeMs)} lead time + ${formatDuration(o.tickMs)} tick`);
}

/** What a forecast value needs, e.g. `p90 forecast 950 at 1970-01-01T02:00:00Z needs 10 replicas (x1 / 100 per replica)`. */
function needText(o: ResolvedPlanOptions, load: number, atMs: number, needed: number): string {
  return `${quantileLabel(o)} ${round(load)} at ${formatTimestamp(atMs)} needs ${needed} replicas (x${1 + o.headroom} / ${o.perReplica} per replica)`;
}

/**
 * A reason whose `detail` text is built when first read: re-planning runs once per tick (86,400
 * times in a 60-day replay) and only the step in force is ever read. A class, so the getter lives
 * on the prototype: with object literals carrying their own getter, 86,400 plans took 2.8 s instead
 * of 0.5 s (their allocation and garbage collection). `toJSON` keeps `detail` in JSON.stringify; a
 * spread (`{ ...reason }`) does not copy it.
 */
class LazyReason implements StepReason {
  private text: string | undefined;
  constructor(
    readonly kind: StepReasonKind,
    private readonly build: () => string,
    readonly atMs?: number,
    readonly load?: number,
    readonly needed?: number,
  ) {}

  get detail(): string {
    return (this.text ??= this.build());
  }

  toJSON(): StepReason {
    const { kind, detail, atMs, load, needed } = this;
    return atMs === undefined ? { kind, detail } : { kind, detail, atMs, load: load!, needed: needed! };
  }
}

function lazyReason(kind: StepReasonKind, text: () => string): StepReason {
  return new LazyReason(kind, text);
}

/** lazyReason with the forecast value that set the count: its time, load and the replicas it needs. */
function lazyNeedReason(kind: StepReasonKind, atMs: number, load: number, needed: number, text: () => string): StepReason {
  return new LazyReason(kind, text, atMs, load, needed);
}

const quantileLabel = (o: ResolvedPlanOptions): string => (o.quantile === undefined ? 'forecast' : `p${Math.round(o.quantile * 1000) / 10} forecast`);

const round = (x: number): number => Number(x.toPrecision(6));
