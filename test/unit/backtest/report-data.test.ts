import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScaler } from '../../../src/config/scaler.js';
import { settingsOf } from '../../../src/backtest/report-data.js';

test('settingsOf: the replayed range and the spec figures that shape the result, defaults filled in', () => {
  const r = parseScaler(
    `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: load }
  capacity: { perReplica: 120 }
  plan: { leadTime: 10m }
  minReplicas: 2
  maxReplicas: 50
`,
    'web.yaml',
  );
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  assert.deepEqual(settingsOf(r.scaler, { fromMs: Date.UTC(2014, 6, 8), toMs: Date.UTC(2014, 6, 15) }), [
    ['range', '2014-07-08T00:00:00Z .. 2014-07-15T00:00:00Z'],
    ['model', 'auto'],
    ['quantile', 'p90'],
    ['per replica', '120'],
    ['min / max replicas', '2 / 50'],
    ['lead time', '10m'],
    ['pod start-up', '10m'],
    ['horizon', '6h'],
    ['refit every', '1h'],
    ['min step', '30m'],
  ]);
});
