/**
 * `prescale validate -f SCALER.yaml` as a user runs it: every bundled sample is valid (exit 0), and
 * a spec with several problems gets one `FILE:LINE: field.path: message` line per problem (exit 2).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, linesOf, runCli, scalerName, tempDir } from './run-cli.js';

const tmp = tempDir('validate');
after(() => tmp.remove());

const SAMPLES = readdirSync(join(ROOT, 'manifests', 'samples')).filter((f) => f.endsWith('.yaml')).sort();

describe('every bundled sample is valid', { concurrency: 4 }, () => {
  test('the samples directory holds the documented samples', () => {
    for (const name of ['default.yaml', 'backtest-5m.yaml', 'reference.yaml', 'web.yaml']) assert.ok(SAMPLES.includes(name), `${name} missing: ${SAMPLES.join(', ')}`);
  });
  for (const name of SAMPLES) {
    test(`manifests/samples/${name}`, async () => {
      const path = `manifests/samples/${name}`;
      const r = await runCli(['validate', '-f', path]);
      assert.equal(r.code, 0, `exit ${r.code}; stderr:\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /error/i);
      const out = linesOf(r.stdout);
      assert.equal(out.length, 1, r.stdout);
      // The summary names the scaler as namespace/name from the file.
      const scaler = scalerName(readFileSync(join(ROOT, path), 'utf8'));
      assert.ok(out[0]!.startsWith(`${path}: ${scaler} is valid: `), out[0]);
    });
  }
});

// A spec with six problems, each on a known line (numbers on the left are the file's lines).
const SEVERAL_PROBLEMS = [
  /*  1 */ 'apiVersion: prescale.dev/v1alpha1',
  /*  2 */ 'kind: PredictiveScaler',
  /*  3 */ 'metadata:',
  /*  4 */ '  name: web',
  /*  5 */ '  namespace: shop',
  /*  6 */ 'spec:',
  /*  7 */ '  target:',
  /*  8 */ '    kind: HorizontalPodAutoscaler',
  /*  9 */ '    name: web',
  /* 10 */ '  metric:',
  /* 11 */ '    query: sum(rate(http_requests_total[2m]))',
  /* 12 */ '  capacity:',
  /* 13 */ '    perReplica: -5',
  /* 14 */ '  forecast:',
  /* 15 */ '    quantile: 1.5',
  /* 16 */ '    excludedWindows:',
  /* 17 */ '      - from: 2024-01-02T00:00:00Z',
  /* 18 */ '        to: 2024-01-01T00:00:00Z',
  /* 19 */ '  plan:',
  /* 20 */ '    leadTime: soon',
  /* 21 */ '    scaledownDelay: 30m',
  /* 22 */ '  minReplicas: 10',
  /* 23 */ '  maxReplicas: 5',
  '',
].join('\n');

const EXPECTED: Array<[line: number, path: string, message: RegExp]> = [
  [13, 'spec.capacity.perReplica', /-5/],
  [15, 'spec.forecast.quantile', /1\.5/],
  [18, 'spec.forecast.excludedWindows[0].to', /after/],
  [20, 'spec.plan.leadTime', /"soon" is not a duration/],
  [21, 'spec.plan.scaledownDelay', /unknown field.*scaleDownDelay/],
  [23, 'spec.maxReplicas', /minReplicas/],
];

describe('invalid specs exit 2 with every problem on its own line', { concurrency: 4 }, () => {
  test('six problems: one line each, FILE:LINE: field.path, in file order', async () => {
    const file = tmp.file('several.yaml');
    writeFileSync(file, SEVERAL_PROBLEMS);
    const r = await runCli(['validate', '-f', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '', 'an invalid spec prints no summary');
    const lines = linesOf(r.stderr);
    assert.equal(lines.length, EXPECTED.length, `one line per problem expected, got:\n${r.stderr}`);
    lines.forEach((l, i) => {
      const [line, path, message] = EXPECTED[i]!;
      const prefix = `prescale: error: ${file}:${line}: ${path}: `;
      assert.ok(l.startsWith(prefix), `line ${i + 1}: expected to start with ${JSON.stringify(prefix)}, got ${JSON.stringify(l)}`);
      assert.match(l.slice(prefix.length), message);
    });
  });

  test('a YAML syntax error: one line with FILE:LINE', async () => {
    const file = tmp.file('syntax.yaml');
    writeFileSync(file, 'apiVersion: prescale.dev/v1alpha1\nkind: PredictiveScaler\nspec:\n  minReplicas: [1,\n');
    const r = await runCli(['validate', '-f', file]);
    assert.equal(r.code, 2, r.stderr);
    const lines = linesOf(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^prescale: error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: .*YAML`));
  });

  test('a missing file: one line naming it', async () => {
    const file = tmp.file('absent.yaml');
    const r = await runCli(['validate', '-f', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(linesOf(r.stderr), [`prescale: error: ${file}: no such file`]);
  });

  test('two scalers in one file: --name picks one, and its problems carry the line in the whole file', async () => {
    const web = readFileSync(join(ROOT, 'manifests/samples/web.yaml'), 'utf8');
    const reference = readFileSync(join(ROOT, 'manifests/samples/reference.yaml'), 'utf8').replace('maxStepChange: 10', 'maxStepChange: many');
    const text = `${web}---\n${reference}`;
    const badLine = text.split('\n').findIndex((l) => l.includes('maxStepChange: many')) + 1;
    assert.ok(badLine > web.split('\n').length, 'the problem is in the second document');
    const file = tmp.file('two.yaml');
    writeFileSync(file, text);
    const [unnamed, checkout, webOnly] = await Promise.all([
      runCli(['validate', '-f', file]),
      runCli(['validate', '-f', file, '--name', 'checkout']),
      runCli(['validate', '-f', file, '--name', 'web']),
    ]);
    assert.equal(unnamed.code, 2, unnamed.stderr);
    assert.match(unnamed.stderr, /web .*checkout/);
    assert.equal(checkout.code, 2, checkout.stderr);
    assert.deepEqual(linesOf(checkout.stderr).map((l) => l.split(': ').slice(0, 3).join(': ')), [`prescale: error: ${file}:${badLine}`]);
    assert.match(checkout.stderr, /spec\.plan\.maxStepChange/);
    assert.equal(webOnly.code, 0, webOnly.stderr);
    assert.match(webOnly.stdout, / shop\/web is valid: Enforce /);
  });
});
