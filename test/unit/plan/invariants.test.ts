import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildPlan } from '../../../src/plan/planner.js';
import { floorAt, stepAt } from '../../../src/plan/floor.js';
import { replicasFor } from '../../../src/plan/capacity.js';
import type { AppliedFloor, Plan, PlanOptions } from '../../../src/plan/types.js';
import type { Series } from '../../../src/core/series.js';

const MIN = 60_000;

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Real traces as stand-in forecasts: 1-2 day windows of fixtures/traces, gaps filled with the previous value. */
function realWindows(): Float64Array[] {
  const out: Float64Array[] = [];
  for (const name of ['nyc_taxi_30min', 'worldcup98_1min', 'nab_twitter_amzn_5min', 'uk_academic_net_5min', 'crane_cpu_2']) {
    const rows = readFileSync(new URL(`../../../fixtures/traces/${name}.csv`, import.meta.url), 'utf8').trim().split('\n').slice(1);
    const v = rows.map((r) => Number(r.split(',')[1]));
    for (let k = 0; k < 4; k++) {
      const start = Math.floor((k / 4) * (v.length - 400));
      const w = Float64Array.from(v.slice(start, start + 300));
      for (let i = 1; i < w.length; i++) if (!Number.isFinite(w[i]!)) w[i] = w[i - 1]!;
      out.push(w);
    }
  }
  return out;
}

function randomForecast(r: () => number): Float64Array {
  const n = 24 + Math.floor(r() * 400);
  const level = 10 + r() * 5000;
  const v = new Float64Array(n);
  let walk = 0;
  for (let i = 0; i < n; i++) {
    walk += (r() - 0.5) * level * 0.1;
    const season = Math.sin((2 * Math.PI * i) / (12 + Math.floor(r() * 3) * 100));
    v[i] = level * (1 + 0.6 * season) + walk + (r() < 0.03 ? r() * level * 3 : 0) - (r() < 0.02 ? level * 2 : 0);
  }
  return v;
}

function randomOptions(r: () => number, scale: number): PlanOptions {
  const minReplicas = Math.floor(r() * 4);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  return {
    perReplica: scale / (2 + r() * 30),
    headroom: pick([0, 0.1, 0.25]),
    minReplicas,
    maxReplicas: minReplicas + 1 + Math.floor(r() * 60),
    leadTimeMs: pick([0, 90_000, 5 * MIN, 17 * MIN, 60 * MIN]),
    tickMs: pick([15_000, MIN, 5 * MIN]),
    minStepMs: pick([5 * MIN, 15 * MIN, 30 * MIN, 45 * MIN, 2 * 60 * MIN]),
    scaleDownDelayMs: pick([0, 10 * MIN, 30 * MIN, 90 * MIN]),
    maxStepChange: pick([undefined, undefined, 1, 3, 10]),
  };
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/** Highest need at any time in [a, b] (closed), straight from the definition. */
function needOver(f: Series, o: PlanOptions, a: number, b: number): number {
  let need = -Infinity;
  const n = f.values.length;
  for (let i = Math.max(0, Math.floor((a - f.startMs) / f.stepMs)); i <= Math.min(n - 1, Math.floor((b - f.startMs) / f.stepMs)); i++) {
    need = Math.max(need, replicasFor(f.values[i]!, o.perReplica, o.headroom ?? 0));
  }
  return clamp(need, o.minReplicas, o.maxReplicas);
}

/** Times worth checking: every step boundary (and just before it), forecast sample times, random points. */
function probeTimes(p: Plan, f: Series, r: () => number): number[] {
  const ts: number[] = [];
  const from = p.steps[0]!.fromMs;
  const to = p.steps.at(-1)!.toMs;
  for (const s of p.steps) ts.push(s.fromMs, s.toMs - 1);
  for (let i = 0; i < f.values.length; i++) ts.push(f.startMs + i * f.stepMs);
  for (let k = 0; k < 50; k++) ts.push(from + r() * (to - from));
  return ts.filter((t) => t >= from && t < to);
}

function checkPlan(label: string, f: Series, nowMs: number, o: PlanOptions, applied: AppliedFloor | undefined, r: () => number): Plan {
  const p = buildPlan(f, nowMs, o, applied);
  const end = f.startMs + f.values.length * f.stepMs - o.leadTimeMs;
  if (end <= nowMs) {
    assert.equal(p.steps.length, 0, `${label}: empty plan past the horizon`);
    return p;
  }
  const M = o.minStepMs!;
  assert.equal(p.steps[0]!.fromMs, nowMs, `${label}: starts now`);
  assert.equal(p.steps.at(-1)!.toMs, end, `${label}: ends at forecast end - lead time`);
  p.steps.forEach((s, k) => {
    const at = `${label} step ${k}`;
    assert.ok(Number.isInteger(s.replicas), `${at}: integer`);
    assert.ok(s.replicas >= o.minReplicas && s.replicas <= o.maxReplicas, `${at}: ${s.replicas} within [min, max]`);
    assert.ok(s.toMs > s.fromMs, `${at}: not empty`);
    assert.ok(s.reason.detail.length > 0, `${at}: has a reason`);
    if (k > 0) {
      const prev = p.steps[k - 1]!;
      assert.equal(s.fromMs, prev.toMs, `${at}: contiguous`);
      assert.notEqual(s.replicas, prev.replicas, `${at}: a step changes the count`);
      assert.equal(s.fromMs % M, 0, `${at}: starts on the ${M} ms grid`);
      if (o.maxStepChange !== undefined) assert.ok(Math.abs(s.replicas - prev.replicas) <= o.maxStepChange, `${at}: max step change`);
    }
    // Minimum duration: all but the first (the rest of the block in progress) and the last (horizon).
    if (k > 0 && k < p.steps.length - 1) assert.ok(s.toMs - s.fromMs >= M, `${at}: lasts >= minStep`);
    if (k === 0 && p.steps.length > 1) assert.ok(s.toMs - s.fromMs <= M || s.toMs % M === 0, `${at}: first ends on the grid`);
  });
  if (applied && o.maxStepChange !== undefined) {
    const cur = clamp(applied.replicas, o.minReplicas, o.maxReplicas);
    assert.ok(Math.abs(p.steps[0]!.replicas - cur) <= o.maxStepChange, `${label}: first change from the applied floor`);
  }
  if (applied) {
    // The applied floor is never dropped before it has lasted minStep (to the grid).
    const cur = clamp(applied.replicas, o.minReplicas, o.maxReplicas);
    const holdEnd = Math.ceil((applied.sinceMs + M) / M) * M;
    for (const s of p.steps) if (s.fromMs < holdEnd) assert.ok(s.replicas >= cur, `${label}: applied floor ${cur} dropped at ${s.fromMs}`);
  }
  for (const t of probeTimes(p, f, r)) {
    const floor = floorAt(p, t)!;
    // Lead time honoured: the floor at t covers the need at every time in [t, t + lead], and one
    // control tick beyond (the next chance to raise it), as far as the forecast reaches.
    const need = needOver(f, o, t, Math.min(t + o.leadTimeMs + o.tickMs!, f.startMs + f.values.length * f.stepMs - 1));
    if (floor < need) {
      assert.ok(applied && o.maxStepChange !== undefined, `${label}: floor ${floor} < need ${need} at ${t}`);
      assert.equal(stepAt(p, t)!.reason.kind, 'max-step-change', `${label}: a shortfall is explained`);
    }
    // Scale-down delay: just after a drop at boundary b, demand over (b - delay, b) fits the lower floor,
    // unless maxStepChange or the applied floor forced the step.
    const s = stepAt(p, t)!;
    const prev = p.steps[p.steps.indexOf(s) - 1];
    if (prev && s.replicas < prev.replicas && t === s.fromMs && (o.scaleDownDelayMs ?? 0) > 0 && s.reason.kind !== 'max-step-change') {
      const held = needOver(f, o, t - o.scaleDownDelayMs! + 1, t - 1);
      assert.ok(held <= s.replicas || s.reason.kind === 'min-replicas', `${label}: dropped at ${t} though demand was ${held} within the delay`);
    }
  }
  return p;
}

function cases(): Array<{ label: string; values: Float64Array; seed: number }> {
  const out: Array<{ label: string; values: Float64Array; seed: number }> = [];
  realWindows().forEach((values, k) => out.push({ label: `real ${k}`, values, seed: 1000 + k }));
  const r = rng(42);
  for (let k = 0; k < 200; k++) out.push({ label: `random ${k}`, values: randomForecast(r), seed: k });
  return out;
}

test('plan invariants over random and real forecasts and option sets', () => {
  for (const c of cases()) {
    const r = rng(c.seed);
    const stepMs = [MIN, 5 * MIN, 30 * MIN][Math.floor(r() * 3)]!;
    const startMs = 1_400_000_000_000 + Math.floor(r() * 1000) * MIN;
    const f: Series = { startMs, stepMs, values: c.values };
    const scale = c.values.reduce((a, b) => Math.max(a, b), 1);
    for (let j = 0; j < 3; j++) {
      const o = randomOptions(r, scale);
      const nowMs = startMs - Math.floor(r() * 3) * stepMs + Math.floor(r() * 7) * 20_000;
      const applied = r() < 0.5 ? { replicas: Math.floor(r() * 70), sinceMs: nowMs - Math.floor(r() * 120) * MIN } : undefined;
      checkPlan(`${c.label}/${j}`, f, nowMs, o, applied, r);
    }
  }
});

test('plans are monotone in the forecast: a pointwise higher forecast never lowers the floor', () => {
  for (const c of cases()) {
    const r = rng(c.seed + 7);
    const f1: Series = { startMs: 1_400_000_000_000, stepMs: 5 * MIN, values: c.values };
    const bump = Float64Array.from(c.values, (v) => v + (r() < 0.3 ? Math.abs(v) * r() * (r() < 0.1 ? 3 : 0.3) : 0));
    const f2: Series = { ...f1, values: bump };
    const scale = c.values.reduce((a, b) => Math.max(a, b), 1);
    for (let j = 0; j < 3; j++) {
      const o = randomOptions(r, scale);
      const nowMs = f1.startMs + Math.floor(r() * 13) * 60_000;
      const applied = r() < 0.5 ? { replicas: Math.floor(r() * 40), sinceMs: nowMs - Math.floor(r() * 60) * MIN } : undefined;
      const p1 = buildPlan(f1, nowMs, o, applied);
      const p2 = buildPlan(f2, nowMs, o, applied);
      for (const s of [...p1.steps, ...p2.steps]) {
        assert.ok(floorAt(p2, s.fromMs)! >= floorAt(p1, s.fromMs)!, `${c.label}/${j}: lower floor at ${s.fromMs} for a higher forecast`);
      }
    }
  }
});

test('re-planning later with the same forecast keeps future step boundaries in place', () => {
  const r = rng(5);
  const values = randomForecast(r);
  const f: Series = { startMs: 0, stepMs: 5 * MIN, values };
  const o: PlanOptions = { perReplica: 200, minReplicas: 1, maxReplicas: 100, leadTimeMs: 5 * MIN, scaleDownDelayMs: 0 };
  const a = buildPlan(f, 0, o);
  const b = buildPlan(f, 47 * MIN, o);
  const later = (p: Plan): number[] => p.steps.filter((s) => s.fromMs >= 60 * MIN).map((s) => s.fromMs);
  assert.deepEqual(later(b), later(a));
  assert.ok(later(a).length > 2, 'the forecast has several steps');
});
