import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrescaleError } from '../../../src/core/errors.js';
import { loadScalerFile } from '../../../src/config/load.js';

const GOOD = `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: web
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric:
    query: up
    history: 10d
  capacity: { perReplica: 10 }
  maxReplicas: 5
`;

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prescale-config-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Runs `fn`, expects an invalid-input PrescaleError and returns its message. */
async function invalidInputMessage(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    assert.ok(isPrescaleError(e, 'invalid-input'), `expected invalid-input, got ${String(e)}`);
    return e.message;
  }
  return assert.fail('expected an error');
}

test('a valid file loads, and warnings go to onWarning as FILE:LINE lines', withDir(async (dir) => {
  const file = join(dir, 'web.yaml');
  writeFileSync(file, GOOD);
  const warnings: string[] = [];
  const scaler = await loadScalerFile(file, { onWarning: (w) => warnings.push(w) });
  assert.equal(scaler.name, 'web');
  assert.equal(scaler.spec.metric.historyMs, 10 * 86_400_000);
  assert.deepEqual(warnings, [`${file}:9: spec.metric.history: warning: 10d is less than 2w: weekly seasonality cannot be learned`]);
}));

test('problems become one FILE:LINE: path: message line each', withDir(async (dir) => {
  const file = join(dir, 'bad.yaml');
  const text = GOOD.replace('  maxReplicas: 5', '  maxReplicas: 5\n  plan:\n    leadtime: 5m').replace('perReplica: 10', 'perReplica: -1');
  writeFileSync(file, text);
  const message = await invalidInputMessage(() => loadScalerFile(file));
  assert.deepEqual(message.split('\n'), [
    `${file}:10: spec.capacity.perReplica: -1 must be greater than 0`,
    `${file}:13: spec.plan.leadtime: unknown field (did you mean leadTime?)`,
  ]);
}));

test('a YAML syntax error names the file and line without a field path', withDir(async (dir) => {
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'kind: PredictiveScaler\nspec: [1, 2\n');
  const message = await invalidInputMessage(() => loadScalerFile(file));
  assert.match(message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML: `));
}));

test('the name option picks one scaler out of several', withDir(async (dir) => {
  const file = join(dir, 'two.yaml');
  writeFileSync(file, `${GOOD}---\n${GOOD.replace('name: web\nspec', 'name: api\nspec')}`);
  assert.equal((await loadScalerFile(file, { name: 'api' })).name, 'api');
  assert.match(await invalidInputMessage(() => loadScalerFile(file)), /choose one by name/);
}));

const READ_FAILURES = [
  { name: 'a missing file', path: (dir: string) => join(dir, 'nope.yaml'), message: /nope\.yaml: no such file$/ },
  { name: 'a directory', path: (dir: string) => dir, message: /is a directory/ },
];

for (const c of READ_FAILURES) {
  test(`${c.name} is a one-line invalid-input error`, withDir(async (dir) => {
    const message = await invalidInputMessage(() => loadScalerFile(c.path(dir)));
    assert.equal(message.split('\n').length, 1);
    assert.match(message, c.message);
  }));
}
