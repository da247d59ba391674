/**
 * The resources the fake API server serves: one table row per resource, so another kind is one
 * more row (or one more CRD file). Flags follow the real registry of each resource.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { JsonSchema } from './schema.js';
import type { FieldError } from './status.js';

export interface ResourceDef {
  /** '' for the core group (served under /api/v1). */
  group: string;
  version: string;
  /** The resource name in URLs, e.g. `horizontalpodautoscalers`. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has a /status subresource: main writes keep the old status, /status writes change only it. */
  status?: boolean;
  /** Has a /scale subresource (autoscaling/v1 Scale over spec.replicas, spec.selector and status.replicas). */
  scale?: boolean;
  /** Served from a CRD: no strategic merge patch, PUT needs metadata.resourceVersion, unknown fields pruned. */
  custom?: boolean;
  /** The openAPIV3Schema of a CRD version: pruning and validation. */
  schema?: JsonSchema;
  /** DELETE answers with the object (pods, custom resources) rather than a Status. */
  returnDeletedObject?: boolean;
  /** Kind-specific validation of API writes (the built-in registry's ValidateCreate/ValidateUpdate). */
  validate?: (obj: { spec?: Record<string, unknown> }) => FieldError[];
}

const invalid = (field: string, value: unknown, detail: string): FieldError => ({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: ${detail}` });

/** pkg/apis/autoscaling/validation: minReplicas >= 1 (no scale-to-zero gate), maxReplicas > 0 and >= minReplicas. */
function validateHpa(obj: { spec?: Record<string, unknown> }): FieldError[] {
  const min = obj.spec?.minReplicas;
  const max = obj.spec?.maxReplicas;
  const problems: FieldError[] = [];
  if (typeof min === 'number' && min < 1) problems.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (typeof max !== 'number') problems.push({ reason: 'FieldValueRequired', field: 'spec.maxReplicas', message: 'Required value' });
  else if (max < 1) problems.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (typeof min === 'number' && typeof max === 'number' && max < min) problems.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return problems;
}

/** spec.replicas of a Deployment or StatefulSet is never negative. */
function validateWorkload(obj: { spec?: Record<string, unknown> }): FieldError[] {
  const replicas = obj.spec?.replicas;
  return typeof replicas === 'number' && replicas < 0 ? [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')] : [];
}

/** Built-in resources an operator of this project talks to. */
export const BUILT_IN_RESOURCES: ResourceDef[] = [
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', singular: 'horizontalpodautoscaler', kind: 'HorizontalPodAutoscaler', namespaced: true, shortNames: ['hpa'], status: true, validate: validateHpa },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], status: true, scale: true, validate: validateWorkload },
  { group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], status: true, scale: true, validate: validateWorkload },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], status: true, returnDeletedObject: true },
];

/** The project's own CRD, relative to this file. */
export const PROJECT_CRDS = [new URL('../../../manifests/crd/predictivescaler.yaml', import.meta.url).pathname];

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: object; scale?: object };
  schema?: { openAPIV3Schema?: JsonSchema };
}

/** One ResourceDef per served version of a CustomResourceDefinition manifest. */
export function crdResources(path: string): ResourceDef[] {
  const crd = parse(readFileSync(path, 'utf8')) as {
    kind?: string;
    spec: { group: string; scope: string; names: { kind: string; plural: string; singular?: string; shortNames?: string[] }; versions: CrdVersion[] };
  };
  if (crd.kind !== 'CustomResourceDefinition') throw new Error(`${path}: not a CustomResourceDefinition`);
  const { group, scope, names } = crd.spec;
  return crd.spec.versions
    .filter((v) => v.served !== false)
    .map((v) => ({
      group,
      version: v.name,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      kind: names.kind,
      namespaced: scope === 'Namespaced',
      shortNames: names.shortNames,
      status: v.subresources?.status !== undefined,
      custom: true,
      schema: v.schema?.openAPIV3Schema,
      returnDeletedObject: true,
    }));
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Lookup by URL (group, version, plural) or by what a test knows (apiVersion and kind or plural). */
export class ResourceTable {
  readonly all: ResourceDef[];

  constructor(defs: ResourceDef[]) {
    this.all = defs;
  }

  byPath(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.all.find((d) => d.group === group && d.version === version && d.plural === plural);
  }

  /** `find('autoscaling/v2', 'HorizontalPodAutoscaler')` or `find('autoscaling/v2', 'horizontalpodautoscalers')`. */
  find(apiVersion: string, kindOrPlural: string): ResourceDef {
    const { group, version } = splitApiVersion(apiVersion);
    const def = this.all.find((d) => d.group === group && d.version === version && (d.kind === kindOrPlural || d.plural === kindOrPlural));
    if (!def) throw new Error(`fake-apiserver: no resource ${kindOrPlural} in ${apiVersion}`);
    return def;
  }

  groupVersions(): { group: string; version: string }[] {
    const seen = new Map<string, { group: string; version: string }>();
    for (const d of this.all) seen.set(`${d.group}/${d.version}`, { group: d.group, version: d.version });
    return [...seen.values()];
  }
}
