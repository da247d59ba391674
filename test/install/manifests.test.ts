/**
 * The install manifests as `kubectl apply -k` would send them: manifests/default and
 * manifests/namespaced rendered with `kubectl kustomize`, then
 * - every object valid against the Kubernetes JSON schemas (kubernetes-models, prometheus-operator
 *   models) and free of fields the API does not know (the models of @kubernetes/client-node: what
 *   kubectl's strict field validation refuses);
 * - RBAC: no `*` anywhere, and the ClusterRole (or the namespaced Role) grants exactly what the
 *   operator calls (OPERATOR_NEEDS below, the one list), leases only in the operator's namespace,
 *   Secrets only through the optional reader;
 * - the Deployment's hardening (non-root 65532, read-only root, no privilege escalation, no
 *   capabilities, RuntimeDefault seccomp, requests and a memory limit, probes, spread over nodes);
 * - the PrometheusRule passes `promtool check rules`, and so do the dashboard's queries; every
 *   prescale_* metric they read is one src/telemetry/metrics.ts exports;
 * - the wiring: Service -> pods, ServiceMonitor -> Service port, bindings -> ServiceAccount.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { OPERATOR_ENV } from '../../src/operator/options.js';
import { type KubeObject, ROOT, assertOk, exportedMetricNames, kustomize, run, tempDir } from './support.js';

/**
 * What `prescale operator` calls, read off src/ (plain verbs on the paths of src/actuate/kube.ts),
 * as [apiGroup, resource, verbs, where]. The ClusterRole of manifests/default and the Role of
 * manifests/namespaced must grant exactly this: a verb more is privilege nobody uses, a verb less
 * is a 403 in production.
 */
const OPERATOR_NEEDS: ReadonlyArray<readonly [string, string, readonly string[], string]> = [
  ['prescale.dev', 'predictivescalers', ['list', 'watch'], 'informer.ts: the ListWatch cache (all namespaces or each of --namespace)'],
  ['prescale.dev', 'predictivescalers', ['get', 'patch'], 'controller.ts patchFinalizers: GET, then merge PATCH of metadata.finalizers'],
  ['prescale.dev', 'predictivescalers/status', ['patch'], 'controller.ts writeStatus: merge PATCH of the status subresource'],
  ['autoscaling', 'horizontalpodautoscalers', ['get', 'patch'], 'hpa-floor.ts: GET, then merge PATCH of minReplicas + annotation; controller.ts seed: GET'],
  ['autoscaling', 'horizontalpodautoscalers', ['list'], 'restore.ts: `prescale restore` lists HPAs (run with this service account when uninstalling)'],
  ['apps', 'deployments/scale', ['get', 'patch'], 'workload-scale.ts: GET, then merge PATCH of the scale subresource'],
  ['apps', 'statefulsets/scale', ['get', 'patch'], 'workload-scale.ts: the same for a StatefulSet'],
  ['', 'events', ['create'], 'events.ts: POST of core/v1 Events'],
];
/** leader.ts: GET the Lease, POST it when missing, PUT to renew, take over or release; operator namespace only. */
const LEASE_NEEDS = [['coordination.k8s.io', 'leases', ['get', 'create', 'update'], 'leader.ts']] as const;
/**
 * pod-startup.ts: plan.leadTime auto lists, then watches, the target's pods (label selector) in the
 * scaler's namespace. Only there: a Role in manifests/namespaced, a ClusterRole that nothing binds
 * cluster-wide in manifests/default (bound per namespace with a RoleBinding by the user).
 */
const POD_NEEDS = [['', 'pods', ['get', 'list', 'watch'], 'pod-startup.ts PodStartups']] as const;
/** controller.ts secretValue: GET of the Secret a basicAuth.passwordSecretRef names (optional reader only). */
const SECRET_NEEDS = [['', 'secrets', ['get'], 'controller.ts secretValue']] as const;

const grantsOf = (needs: ReadonlyArray<readonly [string, string, readonly string[], string]>): string[] =>
  [...new Set(needs.flatMap(([g, r, verbs]) => verbs.map((v) => `${g || 'core'}/${r}:${v}`)))].sort();

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** A role's rules as sorted `group/resource:verb` strings. */
function grantsOfRole(role: KubeObject): string[] {
  const out: string[] = [];
  for (const r of (role.rules as PolicyRule[] | undefined) ?? []) {
    assert.equal(r.nonResourceURLs, undefined, `${role.kind} ${role.metadata.name}: nonResourceURLs`);
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.push(`${g || 'core'}/${res}:${v}`);
  }
  return [...new Set(out)].sort();
}

// ---- schema validation ---------------------------------------------------------------------

/** Validates against the JSON schemas of kubernetes-models (Kubernetes 1.27 API) or the prometheus-operator models. */
async function schemaProblems(o: KubeObject): Promise<string[]> {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  const spec = group === 'monitoring.coreos.com' ? `@kubernetes-models/prometheus-operator/${o.apiVersion}` : `kubernetes-models/${o.apiVersion}`;
  let models: Record<string, new (data: unknown) => { validate(): void }>;
  try {
    models = (await import(spec)) as typeof models;
  } catch {
    return [`no schema for apiVersion ${o.apiVersion}`];
  }
  const Model = models[o.kind];
  if (!Model) return [`no schema for ${o.apiVersion} ${o.kind}`];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

type ModelClass = { getAttributeTypeMap?: () => Array<{ baseName: string; type: string }> };
let clientModels: Record<string, ModelClass>;

/**
 * Fields the API does not know, by the models of @kubernetes/client-node (the attribute maps of
 * V1Deployment etc., generated from the Kubernetes OpenAPI): kubectl's strict field validation
 * refuses them, the schemas above let them through.
 */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) out.push(`${path}: expected a list`);
    else value.forEach((v, i) => unknownFields(v, list[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    for (const [k, v] of Object.entries(value as object)) unknownFields(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const model = clientModels[type];
  // Primitives, IntOrString, Date, free-form JSON: nothing to look into.
  if (!model?.getAttributeTypeMap) return;
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${path}: expected an object (${type})`);
    return;
  }
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const t = attributes.get(k);
    if (t === undefined) out.push(`${path}.${k}: unknown field of ${type}`);
    else unknownFields(v, t, `${path}.${k}`, out);
  }
}

function strictProblems(o: KubeObject): string[] {
  // The Prometheus Operator's kinds are not in client-node: the schema check above covers them.
  if (o.apiVersion.startsWith('monitoring.coreos.com/')) return [];
  const version = o.apiVersion.split('/').pop()!;
  const type = `${version[0]!.toUpperCase()}${version.slice(1)}${o.kind}`;
  if (!clientModels[type]?.getAttributeTypeMap) return [`no client-node model ${type} for ${o.apiVersion} ${o.kind}`];
  const out: string[] = [];
  unknownFields(o, type, o.kind, out);
  return out;
}

async function assertValid(objects: KubeObject[]): Promise<void> {
  const problems: string[] = [];
  for (const o of objects) {
    for (const p of [...(await schemaProblems(o)), ...strictProblems(o)]) problems.push(`${o.kind} ${o.metadata.name}: ${p}`);
  }
  assert.deepEqual(problems, []);
}

// ---- helpers on the rendered objects --------------------------------------------------------

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
const one = (objects: KubeObject[], kind: string, name?: string): KubeObject => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ''} (found ${found.length})`);
  return found[0]!;
};
const all = (objects: KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  containers: Container[];
  topologySpreadConstraints?: Array<{ topologyKey: string; labelSelector?: { matchLabels?: Record<string, string> } }>;
  affinity?: { podAntiAffinity?: unknown };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  volumes?: Array<{ hostPath?: unknown }>;
}
const podOf = (d: KubeObject): { labels: Record<string, string>; spec: PodSpec } => {
  const t = (d.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
  return { labels: t.metadata.labels, spec: t.spec };
};
const operatorContainer = (d: KubeObject): Container => podOf(d).spec.containers.find((c) => c.name === 'operator')!;
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** The rendered objects of one overlay: the checks both overlays share. */
function commonChecks(name: string, load: () => KubeObject[], namespace: string, roleKind: 'ClusterRole' | 'Role'): void {
  test(`${name}: every object is valid against the Kubernetes schemas and has no unknown field`, async () => {
    await assertValid(load());
  });

  test(`${name}: namespaced objects are in ${namespace}`, () => {
    for (const o of load()) {
      if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind} ${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, namespace, `${o.kind} ${o.metadata.name}`);
    }
  });

  test(`${name}: no RBAC rule uses "*" (verbs, resources, groups or names)`, () => {
    for (const role of load().filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
      for (const r of (role.rules as PolicyRule[] | undefined) ?? []) {
        for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames'] as const) {
          for (const v of r[field] ?? []) assert.ok(!v.includes('*'), `${role.kind} ${role.metadata.name}: ${field} ${v}`);
        }
      }
    }
  });

  test(`${name}: the operator's ${roleKind} grants exactly what the operator calls`, () => {
    const role = one(load(), roleKind, 'prescale-operator');
    assert.deepEqual(grantsOfRole(role), grantsOf(OPERATOR_NEEDS));
  });

  test(`${name}: Leases only through a Role in the operator's namespace, with get/create/update`, () => {
    const objects = load();
    const withLeases = objects.filter((o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && grantsOfRole(o).some((g) => g.startsWith('coordination.k8s.io/')));
    assert.deepEqual(withLeases.map((o) => `${o.kind} ${o.metadata.name}`), ['Role prescale-operator-leader-election']);
    assert.equal(withLeases[0]!.metadata.namespace, namespace);
    assert.deepEqual(grantsOfRole(withLeases[0]!), grantsOf(LEASE_NEEDS));
    // The Lease is looked for where the pod runs.
    assert.deepEqual(envOf(operatorContainer(one(objects, 'Deployment')), OPERATOR_ENV.leaderElectionNamespace)?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
  });

  test(`${name}: no Secret access without the optional reader`, () => {
    for (const role of load().filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
      assert.ok(!grantsOfRole(role).some((g) => g.startsWith('core/secrets')), `${role.kind} ${role.metadata.name}`);
    }
  });

  test(`${name}: every binding names a rendered role and binds only the operator's ServiceAccount`, () => {
    const objects = load();
    const sa = one(objects, 'ServiceAccount', 'prescale-operator');
    for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      const ref = b.roleRef as { kind: string; name: string };
      const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
      assert.ok(role, `${b.kind} ${b.metadata.name}: ${ref.kind} ${ref.name} is not rendered`);
      if (ref.kind === 'Role') assert.equal(role.metadata.namespace, b.metadata.namespace);
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }], `${b.kind} ${b.metadata.name}`);
    }
    assert.equal(podOf(one(objects, 'Deployment')).spec.serviceAccountName, sa.metadata.name);
  });

  test(`${name}: the Deployment is hardened (restricted Pod Security)`, () => {
    const d = one(load(), 'Deployment', 'prescale-operator');
    const { spec: pod } = podOf(d);
    assert.equal((d.spec as { replicas: number }).replicas, 2);
    assert.equal(pod.hostNetwork ?? false, false);
    assert.equal(pod.hostPID ?? false, false);
    assert.equal(pod.hostIPC ?? false, false);
    assert.ok(!(pod.volumes ?? []).some((v) => v.hostPath), 'no hostPath volume');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, 65532);
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.containers.length, 1);
    const c = operatorContainer(d);
    const sc = c.securityContext ?? {};
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.runAsUser, 65532);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.privileged ?? false, false);
    assert.deepEqual(sc.capabilities?.drop, ['ALL']);
    assert.equal(sc.capabilities?.add, undefined);
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, 'cpu and memory requests');
    assert.ok(c.resources?.limits?.memory, 'a memory limit');
  });

  test(`${name}: the operator runs with leader election, probes on 8081 and metrics on 8080`, () => {
    const d = one(load(), 'Deployment', 'prescale-operator');
    const c = operatorContainer(d);
    assert.equal(c.image, 'ghcr.io/prescale/prescale:0.1.0');
    assert.deepEqual(c.args, ['operator', '--leader-elect']);
    const port = (p: string | number | undefined): number | undefined => (typeof p === 'number' ? p : c.ports?.find((x) => x.name === p)?.containerPort);
    assert.equal(port('metrics'), 8080);
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(port(c.livenessProbe?.httpGet?.port), 8081);
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(port(c.readinessProbe?.httpGet?.port), 8081);
    // The addresses the process listens on are the ports declared.
    assert.equal(envOf(c, OPERATOR_ENV.metricsAddr)?.value ?? ':8080', ':8080');
    assert.equal(envOf(c, OPERATOR_ENV.healthAddr)?.value ?? ':8081', ':8081');
    assert.match(envOf(c, OPERATOR_ENV.prometheus)?.value ?? '', /^https?:\/\/[^/]+/);
    // Every PRESCALE_* variable set is one the operator reads.
    const known = new Set<string>(Object.values(OPERATOR_ENV));
    for (const e of (c.env ?? []).filter((v) => v.name.startsWith('PRESCALE_'))) assert.ok(known.has(e.name), `${e.name} is not an operator option (src/operator/options.ts)`);
    // The rest are the runtime's own settings, each a literal the scale benchmark passes on too.
    assert.deepEqual((c.env ?? []).filter((v) => !v.name.startsWith('PRESCALE_')).map((v) => [v.name, v.value]), [['MALLOC_ARENA_MAX', '2']]);
  });

  test(`${name}: replicas are spread over nodes`, () => {
    const d = one(load(), 'Deployment', 'prescale-operator');
    const { labels, spec } = podOf(d);
    const spread = (spec.topologySpreadConstraints ?? []).find((t) => t.topologyKey === 'kubernetes.io/hostname');
    assert.ok(spread || spec.affinity?.podAntiAffinity, 'a topology spread constraint or anti-affinity on kubernetes.io/hostname');
    if (spread) assert.ok(matches(spread.labelSelector?.matchLabels ?? {}, labels) && Object.keys(spread.labelSelector?.matchLabels ?? {}).length > 0, 'the spread selects the operator pods');
  });

  test(`${name}: the metrics Service selects the operator pods and the ServiceMonitor scrapes its metrics port`, () => {
    const objects = load();
    const { labels } = podOf(one(objects, 'Deployment', 'prescale-operator'));
    const svc = one(objects, 'Service', 'prescale-operator');
    const svcSpec = svc.spec as { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> };
    assert.ok(matches(svcSpec.selector, labels));
    assert.deepEqual(svcSpec.ports.map((p) => [p.name, p.port, p.targetPort]), [['metrics', 8080, 'metrics']]);
    const sm = one(objects, 'ServiceMonitor').spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path?: string; honorLabels?: boolean }> };
    assert.ok(matches(sm.selector.matchLabels, svc.metadata.labels ?? {}));
    assert.deepEqual(sm.endpoints.map((e) => [e.port, e.path ?? '/metrics', e.honorLabels]), [['metrics', '/metrics', true]]);
    const pdb = one(objects, 'PodDisruptionBudget').spec as { selector: { matchLabels: Record<string, string> } };
    assert.ok(matches(pdb.selector.matchLabels, labels));
  });

  test(`${name}: the Grafana dashboard ConfigMap carries grafana_dashboard: "1" and parses`, () => {
    const cm = one(load(), 'ConfigMap', 'prescale-dashboard');
    assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
    const data = cm.data as Record<string, string>;
    assert.deepEqual(Object.keys(data), ['prescale.json']);
    assert.equal((JSON.parse(data['prescale.json']!) as { uid: string }).uid, 'prescale-operator');
  });
}

// ---- manifests/default ---------------------------------------------------------------------

let defaults: KubeObject[] = [];
let namespaced: KubeObject[] = [];
const tmp = tempDir('manifests');
after(() => tmp.remove());

before(async () => {
  const m = (await import('@kubernetes/client-node')) as unknown as Record<string, ModelClass>;
  clientModels = m;
  [defaults, namespaced] = await Promise.all([kustomize('manifests/default'), kustomize('manifests/namespaced')]);
});

describe('manifests/default', () => {
  test('renders the namespace, the CRD, the operator, its ClusterRole and the monitoring objects', () => {
    const kinds = defaults.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ClusterRole/prescale-operator',
      'ClusterRole/prescale-pod-reader',
      'ClusterRoleBinding/prescale-operator',
      'ConfigMap/prescale-dashboard',
      'CustomResourceDefinition/predictivescalers.prescale.dev',
      'Deployment/prescale-operator',
      'Namespace/prescale-system',
      'PodDisruptionBudget/prescale-operator',
      'PrometheusRule/prescale-operator',
      'Role/prescale-operator-leader-election',
      'RoleBinding/prescale-operator-leader-election',
      'Service/prescale-operator',
      'ServiceAccount/prescale-operator',
      'ServiceMonitor/prescale-operator',
    ]);
  });

  commonChecks('default', () => defaults, 'prescale-system', 'ClusterRole');

  test('default: pods (leadTime auto) only through prescale-pod-reader, which no ClusterRoleBinding binds', () => {
    assert.deepEqual(grantsOfRole(one(defaults, 'ClusterRole', 'prescale-pod-reader')), grantsOf(POD_NEEDS));
    for (const role of all(defaults, 'ClusterRole').filter((r) => r.metadata.name !== 'prescale-pod-reader')) {
      assert.ok(!grantsOfRole(role).some((g) => g.startsWith('core/pods')), `${role.metadata.name} grants pods`);
    }
    const bound = all(defaults, 'ClusterRoleBinding').map((b) => (b.roleRef as { name: string }).name);
    assert.ok(!bound.includes('prescale-pod-reader'), 'pods are not readable cluster-wide');
  });

  test('default: watches every namespace (no PRESCALE_NAMESPACES)', () => {
    assert.equal(envOf(operatorContainer(one(defaults, 'Deployment')), OPERATOR_ENV.namespace), undefined);
  });

  test('the CRD: status subresource, printer columns and CEL rules with messages', () => {
    const crd = one(defaults, 'CustomResourceDefinition');
    const version = (crd.spec as { versions: Array<Record<string, unknown>> }).versions[0]!;
    assert.deepEqual(version.subresources, { status: {} });
    const columns = (version.additionalPrinterColumns as Array<{ name: string }>).map((c) => c.name);
    for (const c of ['Mode', 'Target', 'Floor', 'Next', 'Model', 'Ready', 'Max']) assert.ok(columns.includes(c), `printer column ${c}`);
    const rules: Array<{ rule: string; message?: string }> = [];
    const walk = (schema: unknown): void => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Record<string, unknown>;
      rules.push(...((s['x-kubernetes-validations'] as typeof rules | undefined) ?? []));
      for (const v of Object.values(s)) walk(v);
    };
    walk((version.schema as { openAPIV3Schema: unknown }).openAPIV3Schema);
    for (const r of rules) assert.ok(r.message, `a message for ${r.rule}`);
    const text = rules.map((r) => r.rule).join('\n');
    for (const want of ['self.minReplicas <= self.maxReplicas', 'self.from < self.to', "startsWith('autoscaling/')", 'size(self.seasonalities) > 0']) assert.ok(text.includes(want), want);
  });
});

// ---- manifests/namespaced ------------------------------------------------------------------

describe('manifests/namespaced', () => {
  test('renders the operator for namespace shop with a Role, no cluster-wide permission and no Namespace', () => {
    const kinds = namespaced.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(kinds, [
      'ConfigMap/prescale-dashboard',
      'CustomResourceDefinition/predictivescalers.prescale.dev',
      'Deployment/prescale-operator',
      'PodDisruptionBudget/prescale-operator',
      'PrometheusRule/prescale-operator',
      'Role/prescale-operator',
      'Role/prescale-operator-leader-election',
      'Role/prescale-pod-reader',
      'RoleBinding/prescale-operator',
      'RoleBinding/prescale-operator-leader-election',
      'RoleBinding/prescale-pod-reader',
      'Service/prescale-operator',
      'ServiceAccount/prescale-operator',
      'ServiceMonitor/prescale-operator',
    ]);
  });

  commonChecks('namespaced', () => namespaced, 'shop', 'Role');

  test('namespaced: pods (leadTime auto) get/list/watch by a Role bound to the operator in shop only', () => {
    const role = one(namespaced, 'Role', 'prescale-pod-reader');
    assert.equal(role.metadata.namespace, 'shop');
    assert.deepEqual(grantsOfRole(role), grantsOf(POD_NEEDS));
    const binding = one(namespaced, 'RoleBinding', 'prescale-pod-reader');
    assert.deepEqual([binding.metadata.namespace, (binding.roleRef as { kind: string; name: string }).name], ['shop', 'prescale-pod-reader']);
  });

  test('namespaced: watches only its own namespace (PRESCALE_NAMESPACES from the pod)', () => {
    const c = operatorContainer(one(namespaced, 'Deployment'));
    assert.deepEqual(envOf(c, OPERATOR_ENV.namespace)?.valueFrom?.fieldRef?.fieldPath, 'metadata.namespace');
  });
});

// ---- the optional Secret readers -----------------------------------------------------------

describe('optional Secret readers (basicAuth.passwordSecretRef)', () => {
  /** Renders a user's overlay: the given bases (under manifests/) in `namespace`. */
  async function overlay(name: string, namespace: string, bases: string[]): Promise<KubeObject[]> {
    const dir = join(tmp.path, name);
    await run('mkdir', ['-p', dir]);
    const rel = relative(dir, join(ROOT, 'manifests'));
    writeFileSync(join(dir, 'kustomization.yaml'), stringify({ namespace, bases: bases.map((b) => `${rel}/${b}`) }));
    return kustomize(dir);
  }

  test('with manifests/default: a ClusterRole granting only GET of Secrets, bound to the operator', async () => {
    const objects = await overlay('default-secrets', 'prescale-system', ['default', 'optional/prometheus-secret-reader']);
    await assertValid(objects);
    assert.deepEqual(grantsOfRole(one(objects, 'ClusterRole', 'prescale-secret-reader')), grantsOf(SECRET_NEEDS));
    assert.deepEqual(one(objects, 'ClusterRoleBinding', 'prescale-secret-reader').subjects, [{ kind: 'ServiceAccount', name: 'prescale-operator', namespace: 'prescale-system' }]);
  });

  test('with manifests/namespaced: a Role granting only GET of Secrets in shop, bound to the operator', async () => {
    const objects = await overlay('namespaced-secrets', 'shop', ['namespaced', 'optional/prometheus-secret-reader-namespaced']);
    await assertValid(objects);
    const role = one(objects, 'Role', 'prescale-secret-reader');
    assert.equal(role.metadata.namespace, 'shop');
    assert.deepEqual(grantsOfRole(role), grantsOf(SECRET_NEEDS));
    assert.deepEqual(one(objects, 'RoleBinding', 'prescale-secret-reader').subjects, [{ kind: 'ServiceAccount', name: 'prescale-operator', namespace: 'shop' }]);
    assert.ok(!all(objects, 'ClusterRole').length, 'no ClusterRole');
  });
});

// ---- alerts and dashboard ------------------------------------------------------------------

interface RuleGroup {
  name: string;
  rules: Array<{ alert?: string; record?: string; expr: string }>;
}
const ruleGroups = (): RuleGroup[] => (one(defaults, 'PrometheusRule').spec as { groups: RuleGroup[] }).groups;
interface Dashboard {
  panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query: unknown }> };
}
const dashboard = (): Dashboard => JSON.parse((one(defaults, 'ConfigMap', 'prescale-dashboard').data as Record<string, string>)['prescale.json']!) as Dashboard;
const panelQueries = (d: Dashboard): string[] => d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const variableQueries = (d: Dashboard): string[] => d.templating.list.flatMap((v) => (typeof v.query === 'string' ? [v.query] : v.query && typeof v.query === 'object' ? [String((v.query as { query?: string }).query ?? '')] : []));
/** Grafana's variables replaced by values Prometheus can parse. */
const asPromQL = (q: string): string => q.replaceAll('$__rate_interval', '5m').replace(/\$(namespace|scaler|hpa)\b/g, '.*');

async function promtoolCheck(file: string, groups: RuleGroup[]): Promise<string> {
  const path = join(tmp.path, file);
  writeFileSync(path, stringify({ groups }));
  return assertOk(await run('promtool', ['check', 'rules', path]), `promtool check rules ${file}`).stdout;
}

describe('alerts and dashboard', () => {
  test('the PrometheusRule passes promtool check rules', async () => {
    const out = await promtoolCheck('prescale-rules.yaml', ruleGroups());
    assert.match(out, /SUCCESS: \d+ rules found/);
  });

  test('alerts: operator down, no leader, reconcile errors, stale data, floor given back, floor at maxReplicas, forecast error', () => {
    const alerts = ruleGroups().flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => a !== undefined));
    assert.deepEqual(alerts.sort(), ['PrescaleFloorAtMaxReplicas', 'PrescaleFloorGivenBack', 'PrescaleForecastErrorHigh', 'PrescaleMetricsUnavailable', 'PrescaleNoLeader', 'PrescaleOperatorDown', 'PrescaleReconcileErrors']);
    const expr = (a: string): string => ruleGroups().flatMap((g) => g.rules).find((r) => r.alert === a)!.expr;
    assert.match(expr('PrescaleReconcileErrors'), /prescale_errors_total/);
    assert.match(expr('PrescaleMetricsUnavailable'), /prescale_errors_total\{[^}]*reason=~"MetricsUnavailable\|ForecastStale"/);
    assert.match(expr('PrescaleFloorAtMaxReplicas'), /prescale_floor_replicas[\s\S]*prescale_max_replicas/);
    assert.match(expr('PrescaleForecastErrorHigh'), /prescale_forecast_error\{[^}]*measure="mase"/);
  });

  test('every dashboard query passes promtool (as a recording rule, variables filled in)', async () => {
    const queries = panelQueries(dashboard());
    assert.ok(queries.length >= 8);
    const out = await promtoolCheck('dashboard-queries.yaml', [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: asPromQL(q) })) }]);
    assert.match(out, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  test('the dashboard has the panels: load vs forecast, floor vs HPA desired and ready, errors, reconcile duration', () => {
    const d = dashboard();
    const panel = (...metrics: string[]): boolean => d.panels.some((p) => metrics.every((m) => (p.targets ?? []).some((t) => t.expr.includes(m))));
    assert.ok(panel('prescale_load', 'prescale_forecast_load'), 'load vs forecast');
    assert.ok(panel('prescale_floor_replicas', 'kube_horizontalpodautoscaler_status_desired_replicas', 'kube_deployment_status_replicas_ready'), 'floor vs HPA desired and ready replicas');
    assert.ok(panel('prescale_errors_total'), 'errors');
    assert.ok(panel('prescale_reconcile_duration_seconds_bucket'), 'reconcile duration');
  });

  test('every prescale_* metric the alerts and the dashboard read is one src/telemetry/metrics.ts exports', () => {
    const exported = new Set(exportedMetricNames());
    assert.ok(exported.has('prescale_floor_replicas') && exported.size >= 8, [...exported].join(', '));
    const texts = [...ruleGroups().flatMap((g) => g.rules.map((r) => r.expr)), ...panelQueries(dashboard()), ...variableQueries(dashboard())];
    const used = new Set(texts.flatMap((t) => [...t.matchAll(/(?<![\w:])prescale_[a-z0-9_]+/g)].map((m) => m[0])));
    assert.ok(used.size >= 6);
    // A histogram is read through its _bucket, _sum and _count series.
    const known = (m: string): boolean => exported.has(m) || exported.has(m.replace(/_(bucket|sum|count)$/, ''));
    assert.deepEqual([...used].filter((m) => !known(m)), []);
  });

  test('alerts and dashboard select the job the ServiceMonitor produces (the Service name)', () => {
    const job = one(defaults, 'Service').metadata.name;
    const texts = [...ruleGroups().flatMap((g) => g.rules.map((r) => r.expr)), ...panelQueries(dashboard()), ...variableQueries(dashboard())];
    const jobs = new Set(texts.flatMap((t) => [...t.matchAll(/\bjob="([^"]*)"/g)].map((m) => m[1]!)));
    assert.deepEqual([...jobs], [job]);
  });
});
