/**
 * The oracle row of a backtest: no shortfall, the oracle's own cost and scaling events, the rest
 * (demand, minutes) from the reference policy's score over the same ticks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Scaler, parseScaler } from '../../../src/config/scaler.js';
import type { ScalingTrace } from '../../../src/backtest/hpa-sim.js';
import { oracleEvents, oracleRow } from '../../../src/backtest/oracle.js';
import type { PolicyOutcome } from '../../../src/backtest/policies.js';
import { scoreScaling } from '../../../src/backtest/score.js';

const MIN = 60_000;

/** perReplica 100, replicas 2..5. */
function scaler(): Scaler {
  const r = parseScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load }
  capacity: { perReplica: 100 }
  minReplicas: 2
  maxReplicas: 5
`,
    'web.yaml',
  );
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.scaler;
}

/** A policy that held `ready` replicas under `load`, scored like the backtest scores it. */
function policy(load: number[], ready: number[]): PolicyOutcome {
  const trace: ScalingTrace = {
    startMs: 0,
    stepMs: MIN,
    load: Float64Array.from(load),
    minReplicas: Int32Array.from(load, () => 2),
    desired: Int32Array.from(ready),
    ready: Int32Array.from(ready),
  };
  const score = scoreScaling({ stepMs: MIN, load: trace.load, ready: trace.ready, desired: trace.desired }, { perReplica: 100, minReplicas: 2, maxReplicas: 5 });
  return { name: 'predictive', trace, score };
}

test('oracleEvents: clamp(ceil(load / perReplica), min, max) changes, gaps skipped', () => {
  const s = scaler();
  // replicas 2, 2, (gap), 3, 3, 5 (9 clamped), 2 (1 clamped): three changes.
  assert.equal(oracleEvents([50, 150, NaN, 250, 250, 900, 100], s), 3);
  assert.equal(oracleEvents([10, 120, 200], s), 0, 'all within the minimum of 2');
  assert.equal(oracleEvents([], s), 0);
  assert.equal(oracleEvents([NaN, 600, NaN, 700], s), 0, 'both clamp to the maximum of 5');
});

test('oracleRow: no shortfall, the oracle cost, cost ratio 1, its own events; demand and minutes from the reference', () => {
  const ref = policy([50, 150, NaN, 250, 250, 900, 100], [2, 2, 2, 2, 3, 3, 5]);
  assert.ok(ref.score.shortfallReplicaMinutes > 0 && ref.score.scalingEvents === 2, 'the reference is short and scales its own way');
  const row = oracleRow(ref, scaler());
  assert.deepEqual(row, {
    ...ref.score,
    policy: 'oracle',
    shortfallReplicaMinutes: 0,
    shortfallPct: 0,
    underMinutes: 0,
    costReplicaHours: ref.score.oracleReplicaHours,
    costVsOracle: 1,
    scalingEvents: 3,
  });
  assert.equal(row.oracleReplicaHours, (2 + 2 + 3 + 3 + 5 + 2) / 60);
  assert.equal(row.minutes, 6);
  assert.equal(row.missingTicks, 1);
  // backtest --json writes the rows as they are: the policy name comes after the score's figures.
  assert.deepEqual(Object.keys(row), [...Object.keys(ref.score), 'policy']);
});
