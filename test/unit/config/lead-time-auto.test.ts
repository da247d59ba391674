import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseScaler } from '../../../src/config/scaler.js';

const spec = (leadTime: string): string => `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: Deployment, name: web }
  metric: { query: 'sum(rate(x[2m]))' }
  capacity: { perReplica: 10 }
  plan: { leadTime: ${leadTime} }
  maxReplicas: 10
`;

test('plan.leadTime: auto is learned, with the 5m default as its fallback; a duration stays fixed', () => {
  const auto = parseScaler(spec('auto'), 'web.yaml');
  assert.ok(auto.ok, JSON.stringify(!auto.ok && auto.problems));
  assert.equal(auto.scaler.spec.plan.leadTimeAuto, true);
  assert.equal(auto.scaler.spec.plan.leadTimeMs, 5 * 60_000);
  const fixed = parseScaler(spec('90s'), 'web.yaml');
  assert.ok(fixed.ok);
  assert.equal(fixed.scaler.spec.plan.leadTimeAuto, undefined);
  assert.equal(fixed.scaler.spec.plan.leadTimeMs, 90_000);
  for (const bad of ['automatic', 'Auto', '"auto 5m"']) {
    const r = parseScaler(spec(bad), 'web.yaml');
    assert.ok(!r.ok && r.problems.some((p) => p.path === 'spec.plan.leadTime'), bad);
  }
});

test('the CRD accepts auto for plan.leadTime as the parser does, and declares status.leadTime', () => {
  const crd = parseYaml(readFileSync('manifests/crd/predictivescaler.yaml', 'utf8')) as any;
  const schema = crd.spec.versions[0].schema.openAPIV3Schema;
  const pattern = new RegExp(schema.properties.spec.properties.plan.properties.leadTime.pattern);
  for (const v of ['auto', '5m', '0', '1m30s']) assert.ok(pattern.test(v), v);
  for (const v of ['automatic', 'Auto', 'auto5m']) assert.ok(!pattern.test(v), v);
  const status = schema.properties.status.properties.leadTime.properties;
  assert.deepEqual(Object.keys(status).sort(), ['lastChangeTime', 'message', 'pods', 'seconds', 'source', 'value']);
});
