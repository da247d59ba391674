import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  MODEL_NAMES,
  MODES,
  POLICY_TYPES,
  SELECT_POLICIES,
  TARGET_KINDS,
  parseScaler,
  validateScaler,
  type ScalerSpecResult,
} from '../../../src/config/scaler.js';

const SAMPLES = 'manifests/samples';
const CRD = 'manifests/crd/predictivescaler.yaml';

function okScaler(r: ScalerSpecResult) {
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'));
  return r.scaler;
}

const sampleFiles = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml')).sort();

test('the samples directory holds the expected samples', () => {
  for (const f of ['web.yaml', 'nyc-taxi.yaml', 'worldcup98.yaml', 'uk-academic.yaml', 'reference.yaml']) {
    assert.ok(sampleFiles.includes(f), `${f} missing from ${SAMPLES}`);
  }
});

for (const file of sampleFiles) {
  test(`sample ${file} parses without problems or warnings`, () => {
    const r = parseScaler(readFileSync(join(SAMPLES, file), 'utf8'), file);
    const s = okScaler(r);
    assert.deepEqual(r.warnings, []);
    assert.equal(`${s.name}.yaml`, file === 'reference.yaml' ? 'checkout.yaml' : file);
  });
}

/** Values of a `timestamp,value` CSV and its median step in ms (own reader, independent of src/metrics). */
function readTrace(path: string): { values: number[]; stepMs: number } {
  const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const times = rows.map((r) => Date.parse(r[0]!));
  const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b);
  return { values: rows.map((r) => Number(r[1])), stepMs: gaps[Math.floor(gaps.length / 2)]! };
}

/** Linear-interpolated quantile of sorted values (the usual "type 7" definition). */
function quantile(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  return sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (h - lo);
}

const TRACE_SAMPLES = [
  { sample: 'nyc-taxi.yaml', trace: 'fixtures/traces/nyc_taxi_30min.csv' },
  { sample: 'worldcup98.yaml', trace: 'fixtures/traces/worldcup98_1min.csv' },
  { sample: 'uk-academic.yaml', trace: 'fixtures/traces/uk_academic_net_5min.csv' },
];

for (const { sample, trace } of TRACE_SAMPLES) {
  test(`sample ${sample} is sized for its trace: ~20 replicas at p95, the peak within maxReplicas`, () => {
    const s = okScaler(parseScaler(readFileSync(join(SAMPLES, sample), 'utf8'), sample));
    const { values, stepMs } = readTrace(trace);
    const sorted = [...values].sort((a, b) => a - b);
    const atP95 = Math.ceil(quantile(sorted, 0.95) / s.spec.capacity.perReplica);
    assert.ok(atP95 >= 19 && atP95 <= 21, `p95 needs ${atP95} replicas`);
    const atPeak = Math.ceil(sorted[sorted.length - 1]! / s.spec.capacity.perReplica);
    assert.ok(atPeak <= s.spec.maxReplicas, `peak needs ${atPeak} replicas, maxReplicas is ${s.spec.maxReplicas}`);
    assert.equal(s.spec.metric.stepMs, stepMs, 'metric.step should be the trace interval');
  });
}

// ---- CRD and parser agree ----

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  enum?: string[];
  pattern?: string;
  additionalProperties?: unknown;
}

const crd = parseYaml(readFileSync(CRD, 'utf8')) as {
  kind: string;
  spec: { versions: Array<{ name: string; subresources?: { status?: object }; additionalPrinterColumns?: unknown[]; schema: { openAPIV3Schema: SchemaNode } }> };
};
const version = crd.spec.versions[0]!;
const specSchema = version.schema.openAPIV3Schema.properties!.spec!;
const reference = parseYaml(readFileSync(join(SAMPLES, 'reference.yaml'), 'utf8')) as Record<string, unknown>;

/** Every property path below `node`, lists written as `[]` (e.g. `spec.hpa.behavior.scaleUp.policies[].type`). */
function schemaPaths(node: SchemaNode, prefix: string, out: Map<string, SchemaNode>): Map<string, SchemaNode> {
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    const path = `${prefix}.${k}`;
    out.set(path, child);
    if (child.type === 'array' && child.items !== undefined) {
      out.set(`${path}[]`, child.items);
      schemaPaths(child.items, `${path}[]`, out);
    } else if (child.additionalProperties === undefined) schemaPaths(child, path, out);
  }
  return out;
}

/** Every key path of a value, in the same notation (free-form maps such as headers count as leaves). */
function valuePaths(v: unknown, prefix: string, out: Set<string>, freeForm: Set<string>): Set<string> {
  if (Array.isArray(v)) {
    out.add(`${prefix}[]`);
    for (const item of v) valuePaths(item, `${prefix}[]`, out, freeForm);
  } else if (typeof v === 'object' && v !== null && !freeForm.has(prefix)) {
    for (const [k, child] of Object.entries(v)) {
      out.add(`${prefix}.${k}`);
      valuePaths(child, `${prefix}.${k}`, out, freeForm);
    }
  }
  return out;
}

const crdPaths = schemaPaths(specSchema, 'spec', new Map());
const freeForm = new Set([...crdPaths].filter(([, n]) => n.additionalProperties !== undefined).map(([p]) => p));
const referencePaths = valuePaths(reference.spec, 'spec', new Set(), freeForm);
/** Alternatives the reference cannot show next to their counterpart (mutually exclusive fields). */
const EXCLUSIVE: Record<string, (spec: any) => void> = {
  'spec.metric.prometheus.bearerTokenFile': (spec) => {
    delete spec.metric.prometheus.basicAuth;
    spec.metric.prometheus.bearerTokenFile = '/var/run/secrets/token';
  },
  'spec.metric.prometheus.basicAuth.passwordFile': (spec) => {
    delete spec.metric.prometheus.basicAuth.passwordSecretRef;
    spec.metric.prometheus.basicAuth.passwordFile = '/etc/prescale/password';
  },
};

const referenceWith = (change: (spec: any) => void): unknown => {
  const copy = structuredClone(reference) as { spec: unknown };
  change(copy.spec);
  return copy;
};

test('CRD: a namespaced v1alpha1 PredictiveScaler with a status subresource and printer columns', () => {
  assert.equal(crd.kind, 'CustomResourceDefinition');
  assert.equal(version.name, 'v1alpha1');
  assert.ok(version.subresources?.status, 'status subresource');
  assert.ok((version.additionalPrinterColumns ?? []).length >= 3);
});

test('CRD: every field of the reference sample is in the CRD schema', () => {
  const missing = [...referencePaths].filter((p) => !crdPaths.has(p));
  assert.deepEqual(missing, []);
});

test('CRD: every CRD field is used by the reference sample, or is one of an exclusive pair the parser accepts', () => {
  const unused = [...crdPaths.keys()].filter((p) => !referencePaths.has(p) && !(p in EXCLUSIVE));
  assert.deepEqual(unused, []);
  for (const [path, change] of Object.entries(EXCLUSIVE)) {
    const r = validateScaler(referenceWith(change));
    assert.ok(r.ok, `${path}: ${r.ok ? '' : JSON.stringify(r.problems)}`);
  }
});

test('CRD: the enums are the parser enums', () => {
  const enumAt = (path: string): string[] => crdPaths.get(path)!.enum ?? [];
  assert.deepEqual(enumAt('spec.mode'), [...MODES]);
  assert.deepEqual(enumAt('spec.target.kind'), [...TARGET_KINDS]);
  assert.deepEqual(enumAt('spec.forecast.model'), [...MODEL_NAMES]);
  for (const dir of ['scaleUp', 'scaleDown']) {
    assert.deepEqual(enumAt(`spec.hpa.behavior.${dir}.selectPolicy`), [...SELECT_POLICIES]);
    assert.deepEqual(enumAt(`spec.hpa.behavior.${dir}.policies[].type`), [...POLICY_TYPES]);
  }
});

/** Deletes or sets the value at a CRD-notation path inside the reference spec (first list item for `[]`). */
function atPath(spec: any, path: string, action: { set: unknown } | 'delete'): void {
  const segs = path.replace(/^spec\./, '').split('.').flatMap((s) => (s.endsWith('[]') ? [s.slice(0, -2), 0] : [s]));
  let node = spec;
  for (const seg of segs.slice(0, -1)) node = node[seg];
  const last = segs[segs.length - 1]!;
  if (action === 'delete') delete node[last];
  else node[last] = action.set;
}

test('CRD: each field the CRD requires is reported missing by the parser', () => {
  const required = [...crdPaths.entries(), ['spec', specSchema] as const]
    .flatMap(([path, node]) => (node.required ?? []).map((k) => `${path}.${k}`))
    .filter((p) => referencePaths.has(p));
  assert.ok(required.length >= 10, `only ${required.length} required fields found`);
  for (const path of required) {
    const r = validateScaler(referenceWith((spec) => atPath(spec, path, 'delete')));
    const reported = r.ok ? [] : r.problems.map((p) => p.path.replace(/\[\d+\]/g, '[]'));
    assert.ok(reported.includes(path), `${path}: parser reported ${JSON.stringify(reported)}`);
  }
});

test('CRD: duration fields are durations to the parser, and zero is allowed by both or neither', () => {
  const durations = [...crdPaths.entries()].filter(([, n]) => n.pattern?.includes('ms|s|m|h|d|w') && n.type === 'string' && !n.pattern.includes('auto'));
  assert.ok(durations.length >= 10);
  for (const [path, node] of durations) {
    // atPath edits the first item of a list (`[]`), which the parser names `[0]`.
    const at = path.replaceAll('[]', '[0]');
    const words = validateScaler(referenceWith((spec) => atPath(spec, path, { set: 'ten minutes' })));
    assert.ok(!words.ok && words.problems.some((p) => p.path === at), `${path} accepted "ten minutes"`);
    const zero = validateScaler(referenceWith((spec) => atPath(spec, path, { set: '0' })));
    const parserZero = zero.ok || !zero.problems.some((p) => p.path === at);
    assert.equal(parserZero, new RegExp(node.pattern!).test('0'), `${path}: zero accepted by parser=${parserZero}`);
  }
});
