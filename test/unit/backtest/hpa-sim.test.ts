import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpaController, ScalingSim, simulateHpa, type HpaBehavior, type HpaSpec } from '../../../src/backtest/hpa-sim.js';
import { Deployment } from '../../../src/backtest/pods.js';

const S = 15_000; // HPA sync period

/** Drives a controller whose pods are all ready at once; returns desired counts per tick. */
function runInstantPods(spec: HpaSpec, start: number, loads: number[], floors?: Array<number | undefined>): number[] {
  const hpa = new HpaController(spec);
  let cur = start;
  return loads.map((load, k) => {
    const d = hpa.reconcile(k * S, { currentReplicas: cur, readyPods: cur, notReadyPods: 0, load }, floors?.[k] ?? spec.minReplicas);
    cur = d.desiredReplicas;
    return cur;
  });
}

const base: HpaSpec = { minReplicas: 1, maxReplicas: 50, targetPerPod: 100 };
const rep = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

test('HPA: table of hand-worked scenarios (pods ready at once)', () => {
  const cases: Array<{ name: string; spec?: Partial<HpaSpec>; behavior?: HpaBehavior; start: number; loads: number[]; want: number[] }> = [
    { name: 'steady load at target: no change', start: 5, loads: rep(500, 30), want: rep(5, 30) },
    { name: 'within tolerance (ratio 1.08): no change', start: 5, loads: rep(540, 4), want: rep(5, 4) },
    { name: 'just outside tolerance (ratio 1.12): ceil(5.6) = 6', start: 5, loads: rep(560, 3), want: rep(6, 3) },
    { name: 'below tolerance (ratio 0.88) but held 300 s by stabilisation', start: 5, loads: rep(440, 3), want: rep(5, 3) },
    { name: 'tolerance 0: 1 % over target scales', spec: { tolerance: 0 }, start: 5, loads: [505, 505], want: [6, 6] },
    { name: 'no metric (NaN): no change', start: 7, loads: [NaN, NaN, 100], want: [7, 7, 7] },
    {
      name: 'scaleUp Pods 2 per 60 s: +2, wait a minute, +2',
      behavior: { scaleUp: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } },
      start: 2,
      loads: rep(2000, 6),
      want: [4, 4, 4, 4, 6, 6],
    },
    { name: 'scaleUp selectPolicy Min of (+4, +100 %) from 10: +4 per tick', behavior: { scaleUp: { selectPolicy: 'Min' } }, start: 10, loads: rep(3000, 3), want: [14, 18, 22] },
    { name: 'default scaleUp from 10: +100 % beats +4', start: 10, loads: rep(5000, 3), want: [20, 40, 50] },
    { name: 'scaleUp Disabled: never up', behavior: { scaleUp: { selectPolicy: 'Disabled' } }, start: 3, loads: rep(3000, 4), want: rep(3, 4) },
    {
      name: 'scaleDown 1 pod per 15 s, no stabilisation',
      behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } },
      start: 5,
      loads: rep(100, 6),
      want: [4, 3, 2, 1, 1, 1],
    },
    {
      name: 'scaleDown 50 % per 60 s, no stabilisation',
      behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } },
      start: 16,
      loads: rep(100, 6),
      want: [8, 8, 8, 8, 4, 4],
    },
    {
      name: 'scaleDown Min of (-1 pod, -50 %): the smaller change',
      behavior: {
        scaleDown: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 15 },
            { type: 'Percent', value: 50, periodSeconds: 15 },
          ],
        },
      },
      start: 10,
      loads: rep(100, 3),
      want: [9, 8, 7],
    },
    {
      // Window 60 s: recommendations at 15, 30, 45 (10 each) and now; t = 0's 4 is not after the cutoff.
      name: 'scaleUp stabilisation 60 s: rise only once the window is all high',
      behavior: { scaleUp: { stabilizationWindowSeconds: 60 } },
      start: 4,
      loads: [400, 1000, 1000, 1000, 1000, 1000],
      want: [4, 4, 4, 4, 8, 10],
    },
    {
      name: 'scaleUp stabilisation 60 s: a one-tick spike is ignored',
      behavior: { scaleUp: { stabilizationWindowSeconds: 60 } },
      start: 4,
      loads: [400, 1000, 400, 400, 400, 400],
      want: rep(4, 6),
    },
    { name: 'maxReplicas caps a rise', spec: { maxReplicas: 7 }, start: 5, loads: rep(2000, 3), want: [7, 7, 7] },
  ];
  for (const c of cases) {
    const spec: HpaSpec = { ...base, ...c.spec, ...(c.behavior ? { behavior: c.behavior } : {}) };
    assert.deepEqual(runInstantPods(spec, c.start, c.loads), c.want, c.name);
  }
});

test('HPA: step down is held by the 300 s stabilisation window, then dropped at once', () => {
  // t = 0: load 1000 (10 pods, on target). From t = 15 s load 300 -> metric wants 3.
  // The t = 0 recommendation (10) stays in the window while t - 300 s < 0 (strictly after the cutoff).
  const loads = [1000, ...rep(300, 25)];
  const got = runInstantPods(base, 10, loads);
  const dropAt = got.findIndex((r) => r < 10);
  assert.equal(dropAt * S, 300_000);
  assert.deepEqual(got.slice(0, dropAt), rep(10, dropAt));
  assert.deepEqual(got.slice(dropAt), rep(3, loads.length - dropAt)); // 100 %/15 s allows the whole drop
});

test('HPA: a step up follows max(+4, +100 %) per 15 s while new pods start (unready pods counted at 0)', () => {
  // 2 ready pods, load jumps to 4000 (40 pods' worth), pods take 60 s to be ready.
  // desired: 2 -> 6 (+4 > +100 %) -> 12 -> 24 -> 40; ready follows 60 s later.
  const sim = new ScalingSim(base, 60_000, 2, 0);
  const desired: number[] = [];
  const ready: number[] = [];
  for (let k = 0; k < 9; k++) {
    const r = sim.step(k * S, 4000);
    desired.push(r.replicas);
    ready.push(r.ready);
  }
  assert.deepEqual(desired, [6, 12, 24, 40, 40, 40, 40, 40, 40]);
  assert.deepEqual(ready, [2, 2, 2, 2, 6, 12, 24, 40, 40]);
});

test('HPA: unready pods do not make it scale down while a scale-up is starting', () => {
  const hpa = new HpaController(base);
  // 4 ready serving 600 (ratio 1.5) plus 4 starting: counted at 0 the ratio is 0.75, which would flip
  // the direction, so the controller keeps 8 (a naive ceil(600 / 100) = 6 would remove pods).
  const d = hpa.reconcile(0, { currentReplicas: 8, readyPods: 4, notReadyPods: 4, load: 600 });
  assert.equal(d.desiredReplicas, 8);
  // The same load with all 8 ready is a plain scale-down recommendation (held by stabilisation).
  assert.equal(hpa.reconcile(S, { currentReplicas: 8, readyPods: 8, notReadyPods: 0, load: 600 }).metricReplicas, 6);
});

test('HPA: a minReplicas raise applies at once, unlimited by the rate policies', () => {
  const loads = rep(300, 8);
  const floors = [undefined, undefined, 12, 12, 2, 2, 60, 60];
  const got = runInstantPods(base, 3, loads, floors);
  // t2: 3 -> 12 at once (beyond +4 and +100 %); t3: metric wants 3 but min holds 12;
  // t4: floor back to 2: recent recommendations are all 3 (the floor is not a recommendation), so 3;
  // t6: floor 60 > max 50 is clamped to max.
  assert.deepEqual(got, [3, 3, 12, 12, 3, 3, 50, 50]);
  const hpa = new HpaController(base);
  assert.equal(hpa.reconcile(0, { currentReplicas: 3, readyPods: 3, notReadyPods: 0, load: 300 }, 12).reason, 'BelowMinReplicas');
});

test('HPA: invariants over random loads and floors', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let run = 0; run < 20; run++) {
    const spec: HpaSpec = { minReplicas: 1 + Math.floor(rnd() * 3), maxReplicas: 20 + Math.floor(rnd() * 40), targetPerPod: 50 + rnd() * 100 };
    const sim = new ScalingSim(spec, Math.floor(rnd() * 8) * S, spec.minReplicas, 0);
    let prev = spec.minReplicas;
    for (let k = 0; k < 400; k++) {
      const load = rnd() < 0.02 ? NaN : rnd() * spec.targetPerPod * spec.maxReplicas * 1.3;
      const floor = rnd() < 0.3 ? Math.floor(rnd() * 70) : undefined;
      const r = sim.step(k * S, load, floor);
      const min = Math.min(floor ?? spec.minReplicas, spec.maxReplicas);
      assert.ok(r.replicas <= spec.maxReplicas && r.replicas >= Math.min(min, prev), `run ${run} tick ${k}: ${r.replicas}`);
      assert.ok(r.replicas >= min || r.replicas === prev, 'below min only when unchanged');
      assert.ok(r.ready <= r.replicas && r.ready >= 0);
      if (r.decision.reason !== 'BelowMinReplicas') assert.ok(r.replicas <= Math.max(prev + 4, 2 * prev), 'scale-up rate');
      prev = r.replicas;
    }
  }
});

test('pods: new pods are ready after the start-up delay; removal takes starting pods first, youngest first', () => {
  const d = new Deployment(60_000, 3, 0);
  d.scaleTo(5, 0); // +2 created at 0
  d.scaleTo(7, 30_000); // +2 created at 30 s
  assert.equal(d.ready(59_999), 3);
  assert.equal(d.notReady(59_999), 4);
  d.scaleTo(5, 59_999); // removes the two created at 30 s
  assert.equal(d.ready(60_000), 5);
  assert.equal(d.notReady(60_000), 0);
  d.scaleTo(8, 60_000);
  d.scaleTo(2, 61_000); // 3 starting go first, then 3 ready ones: at once
  assert.deepEqual([d.ready(61_000), d.notReady(61_000), d.replicas], [2, 0, 2]);
  assert.throws(() => d.ready(0), /backwards/);
  const instant = new Deployment(0, 1, 0);
  instant.scaleTo(4, 5);
  assert.equal(instant.ready(5), 4);
});

test('simulateHpa: a floor raised ahead of a load step avoids the shortfall of a purely reactive HPA', () => {
  // 1-minute load: 200 for 30 min, then 2000; pods take 3 min to start.
  const values = new Float64Array(60).map((_, i) => (i < 30 ? 200 : 2000));
  const series = { startMs: 0, stepMs: 60_000, values };
  const opts = { hpa: { ...base, minReplicas: 2 }, startupMs: 180_000 };
  const reactive = simulateHpa(series, opts);
  const floored = simulateHpa(series, opts, (t) => (t >= 25 * 60_000 ? 20 : undefined));
  assert.equal(reactive.load.length, 240);
  const shortTicks = (tr: typeof reactive): number => tr.load.reduce((n, l, k) => n + (l > tr.ready[k]! * 100 ? 1 : 0), 0);
  assert.ok(shortTicks(reactive) >= 12, `reactive short for >= 3 min (${shortTicks(reactive)} ticks)`);
  assert.equal(shortTicks(floored), 0);
  assert.equal(floored.minReplicas[100], 20);
  assert.equal(reactive.ready[0], 2);
});

test('simulateHpa: 60 days at 1-minute load give one sync every 15 s (speed: npm run bench)', () => {
  const n = 86_400;
  const values = new Float64Array(n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 16807) % 2147483647;
    values[i] = 2000 + 1500 * Math.sin((2 * Math.PI * i) / 1440) + (seed / 2147483647) * 400;
  }
  const tr = simulateHpa({ startMs: 0, stepMs: 60_000, values }, { hpa: base, startupMs: 120_000 }, (t) => (Math.floor(t / 1_800_000) % 2 === 0 ? 10 : 5));
  assert.equal(tr.ready.length, 345_600);
  // The floor alternates 10 and 5 every half hour: the ready count never sits below it for longer
  // than the start-up delay after a raise.
  for (let k = 0; k < tr.ready.length; k++) {
    const t = k * 15_000;
    const floor = Math.floor(t / 1_800_000) % 2 === 0 ? 10 : 5;
    if (t % 1_800_000 >= 120_000 + 15_000) assert.ok(tr.ready[k]! >= floor, `ready ${tr.ready[k]} < floor ${floor} at sync ${k}`);
  }
});
