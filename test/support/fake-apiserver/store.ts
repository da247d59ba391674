/**
 * The fake API server's storage: objects by resource/namespace/name, one global resourceVersion
 * counter (bumped on every write, as etcd's revision), every stored version of every object (for
 * tests), and a bounded log of changes that watches replay. The write rules are the real
 * registry's: server-managed metadata, generation, status subresource, finalizers, pruning.
 */
import { randomUUID } from 'node:crypto';
import { clone, deepEqual, isObject } from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { prune, validate } from './schema.js';
import { selectorString } from './selectors.js';
import { errors, type GroupResource } from './status.js';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A stored object. `spec` and `status` are loosely typed so tests can read them directly. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One write, as watches see it. `previous` (for MODIFIED) lets a selector watch turn it into ADDED or DELETED. */
export interface Change {
  type: ChangeType;
  rv: number;
  def: ResourceDef;
  object: KubeObject;
  previous?: KubeObject;
}

/** autoscaling/v1 Scale, the /scale subresource of deployments and statefulsets. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

export interface WriteOptions {
  /** Over HTTP: custom resources are validated, a create drops `.status` of kinds with a status subresource, a main write keeps the old status. Direct test writes are trusted. */
  viaApi: boolean;
  /** `metadata.resourceVersion` in the body, when present, must be the current one (409 otherwise). */
  checkResourceVersion?: boolean;
  /** A PUT of a custom resource must carry `metadata.resourceVersion` (custom resources allow no unconditional update). */
  requireResourceVersion?: boolean;
  subresource?: 'status';
  /** `fieldValidation` query parameter: Strict refuses unknown fields, Ignore drops them silently, Warn (default) warns. */
  fieldValidation?: string;
}

export interface WriteResult {
  object: KubeObject;
  /** `Warning` header texts, e.g. `unknown field "status.foo"`. */
  warnings: string[];
}

export interface StoreOptions {
  /** Changes kept for watches (older resourceVersions get 410 Expired). */
  maxEvents: number;
  now: () => number;
  /** The counter's start: a watch from an older version is too old. */
  initialResourceVersion: number;
}

const SERVER_MANAGED = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

const gr = (def: ResourceDef): GroupResource => ({ group: def.group, resource: def.plural });

/** RFC 3339 with whole seconds, as metav1.Time is serialized. */
export const timestamp = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** Defaulting the real server applies to built-in kinds that an operator may read back. */
function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  if (def.custom) return;
  if (def.scale && isObject(obj.spec) && obj.spec.replicas === undefined) obj.spec.replicas = 1;
  if (def.kind === 'HorizontalPodAutoscaler' && isObject(obj.spec) && obj.spec.minReplicas === undefined) obj.spec.minReplicas = 1;
  if (def.kind === 'Secret' && isObject(obj.stringData)) {
    // stringData is write-only: merged into data (base64) and never stored.
    const data = isObject(obj.data) ? (obj.data as Record<string, string>) : {};
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    obj.data = data;
    delete obj.stringData;
  }
}

/** RFC 1123 subdomain, the rule for most object names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** Everything but metadata (and status, for kinds with a status subresource): what moves `generation`. */
function specPart(def: ResourceDef, obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = obj;
  return def.status ? rest : { ...rest, status };
}

export class Store {
  private rv: number;
  private compactedRv: number;
  private readonly objects = new Map<string, KubeObject>();
  private readonly versions = new Map<string, KubeObject[]>();
  private log: Change[] = [];
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(private readonly opts: StoreOptions) {
    this.rv = opts.initialResourceVersion;
    this.compactedRv = opts.initialResourceVersion;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Watches from a resourceVersion older than this get 410 Expired. */
  get oldestWatchable(): number {
    return this.compactedRv;
  }

  private key(def: ResourceDef, namespace: string, name: string): string {
    return `${def.group}/${def.plural}/${def.namespaced ? namespace : ''}/${name}`;
  }

  /** A copy with the def's apiVersion and kind (storage is shared by the versions of a resource). */
  present(def: ResourceDef, obj: KubeObject): KubeObject {
    const { apiVersion: _a, kind: _k, ...rest } = clone(obj);
    return { apiVersion: apiVersionOf(def), kind: def.kind, ...rest } as KubeObject;
  }

  get(def: ResourceDef, namespace: string, name: string): KubeObject | undefined {
    const obj = this.objects.get(this.key(def, namespace, name));
    return obj && this.present(def, obj);
  }

  /** Sorted by namespace then name, as etcd keys are. `namespace` undefined = all namespaces. */
  list(def: ResourceDef, namespace?: string): KubeObject[] {
    const prefix = `${def.group}/${def.plural}/`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || !def.namespaced || o.metadata.namespace === namespace))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => this.present(def, o));
  }

  history(def: ResourceDef, namespace: string, name: string): KubeObject[] {
    return (this.versions.get(this.key(def, namespace, name)) ?? []).map((o) => this.present(def, o));
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The changes after `rv`, or undefined when some of them are no longer kept (410 Expired). */
  changesSince(rv: number): Change[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.log.filter((c) => c.rv > rv);
  }

  /** Forgets the change log: every resourceVersion before the current one becomes too old to watch from. */
  compact(): void {
    this.log = [];
    this.compactedRv = this.rv;
  }

  create(def: ResourceDef, namespace: string, incoming: KubeObject, o: WriteOptions): WriteResult {
    const obj = clone(incoming) as KubeObject;
    obj.metadata = isObject(obj.metadata) ? obj.metadata : {};
    const meta = obj.metadata;
    if (!meta.name) {
      if (!meta.generateName) {
        throw errors.invalid(def.group, def.kind, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
      }
      meta.name = `${meta.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    }
    const key = this.key(def, namespace, meta.name);
    if (this.objects.has(key)) throw errors.alreadyExists(gr(def), meta.name);
    if (o.viaApi && meta.resourceVersion) throw errors.internal('resourceVersion should not be set on objects to be created');
    if (o.viaApi && (meta.name.length > 253 || !DNS_SUBDOMAIN.test(meta.name))) {
      throw errors.invalid(def.group, def.kind, meta.name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(meta.name)}: ${NAME_RULE}` }]);
    }
    if (def.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.opts.now());
    meta.generation = 1;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (o.viaApi && def.status) delete obj.status;
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    applyDefaults(def, obj);
    const warnings = this.admit(def, obj, o);
    this.commit(def, key, 'ADDED', obj);
    return { object: this.present(def, obj), warnings };
  }

  update(def: ResourceDef, namespace: string, name: string, incoming: KubeObject, o: WriteOptions): WriteResult {
    const key = this.key(def, namespace, name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(gr(def), name);
    const bodyRv = isObject(incoming.metadata) ? incoming.metadata.resourceVersion : undefined;
    if (o.requireResourceVersion && !bodyRv) {
      throw errors.invalid(def.group, def.plural, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    if (o.checkResourceVersion && bodyRv && bodyRv !== old.metadata.resourceVersion) throw errors.conflict(gr(def), name);

    let next: KubeObject;
    if (o.subresource === 'status') {
      next = clone(old);
      if (incoming.status === undefined) delete next.status;
      else next.status = clone(incoming.status);
    } else {
      next = clone(incoming);
      next.metadata = isObject(next.metadata) ? next.metadata : {};
      for (const field of SERVER_MANAGED) {
        if (old.metadata[field] === undefined) delete next.metadata[field];
        else (next.metadata as Record<string, unknown>)[field] = old.metadata[field];
      }
      if (def.status && o.viaApi) {
        if (old.status === undefined) delete next.status;
        else next.status = clone(old.status);
      }
      applyDefaults(def, next);
    }
    this.refuseNewFinalizers(def, name, old, next);
    const warnings = this.admit(def, next, o);
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    if (deepEqual(next, old)) return { object: this.present(def, old), warnings }; // a no-op write stores nothing
    if (!deepEqual(specPart(def, next), specPart(def, old))) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    this.commit(def, key, 'MODIFIED', next, old);
    const result = this.present(def, next);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) this.commit(def, key, 'DELETED', clone(next));
    return { object: result, warnings };
  }

  /**
   * Deletes at once, or, while finalizers remain, marks the object (deletionTimestamp,
   * deletionGracePeriodSeconds 0, generation + 1) and keeps it.
   */
  delete(def: ResourceDef, namespace: string, name: string, preconditions: { uid?: string; resourceVersion?: string } = {}): { object: KubeObject; removed: boolean } {
    const key = this.key(def, namespace, name);
    const old = this.objects.get(key);
    if (!old) throw errors.notFound(gr(def), name);
    const byKind = { group: def.group, resource: def.kind };
    if (preconditions.uid !== undefined && preconditions.uid !== old.metadata.uid) {
      throw errors.conflict(byKind, name, `the UID in the precondition (${preconditions.uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`);
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(
        byKind,
        name,
        `the ResourceVersion in the precondition (${preconditions.resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    if (old.metadata.finalizers?.length) {
      if (old.metadata.deletionTimestamp) return { object: this.present(def, old), removed: false };
      const next = clone(old);
      next.metadata.deletionTimestamp = timestamp(this.opts.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
      this.commit(def, key, 'MODIFIED', next, old);
      return { object: this.present(def, next), removed: false };
    }
    const gone = clone(old);
    this.commit(def, key, 'DELETED', gone);
    return { object: this.present(def, gone), removed: true };
  }

  scale(def: ResourceDef, namespace: string, name: string): Scale {
    const obj = this.objects.get(this.key(def, namespace, name));
    if (!obj) throw errors.notFound(gr(def), name);
    const m = obj.metadata;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
      spec: { replicas: typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1 },
      status: { replicas: typeof obj.status?.replicas === 'number' ? obj.status.replicas : 0, selector: selectorString(obj.spec?.selector) },
    };
  }

  /** Writes a Scale's spec.replicas into the workload (the Scale's resourceVersion is a precondition). */
  updateScale(def: ResourceDef, namespace: string, name: string, scale: Partial<Scale>): { scale: Scale; warnings: string[] } {
    const current = this.objects.get(this.key(def, namespace, name));
    if (!current) throw errors.notFound(gr(def), name);
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw errors.conflict(gr(def), name);
    const replicas = scale.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', name, [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    }
    const next = clone(current);
    next.spec = { ...(isObject(next.spec) ? next.spec : {}), replicas };
    const { warnings } = this.update(def, namespace, name, next, { viaApi: false });
    return { scale: this.scale(def, namespace, name), warnings };
  }

  /** Finalizers cannot be added to an object being deleted (ValidateNoNewFinalizers). */
  private refuseNewFinalizers(def: ResourceDef, name: string, old: KubeObject, next: KubeObject): void {
    if (!old.metadata.deletionTimestamp) return;
    const added = (next.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
    if (added.length === 0) return;
    const list = `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
    throw errors.invalid(def.group, def.kind, name, [
      { reason: 'FieldValueForbidden', field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${list}` },
    ]);
  }

  /** Pruning of custom resources and, over HTTP, validation. Returns the warnings. */
  private admit(def: ResourceDef, obj: KubeObject, o: WriteOptions): string[] {
    if (o.viaApi && def.validate && o.subresource !== 'status') {
      const problems = def.validate(obj);
      if (problems.length > 0) throw errors.invalid(def.group, def.kind, obj.metadata.name ?? '', problems);
    }
    if (!def.schema) return [];
    const unknown = prune(obj as Record<string, unknown>, def.schema);
    if (o.viaApi && o.fieldValidation === 'Strict' && unknown.length > 0) {
      throw errors.badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
    }
    if (o.viaApi) {
      const problems = validate(obj as Record<string, unknown>, def.schema);
      if (problems.length > 0) throw errors.invalid(def.group, def.kind, obj.metadata.name ?? '', problems);
    }
    return o.fieldValidation === 'Ignore' ? [] : unknown.map((u) => `unknown field "${u}"`);
  }

  private commit(def: ResourceDef, key: string, type: ChangeType, obj: KubeObject, previous?: KubeObject): void {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.objects.delete(key);
    else {
      this.objects.set(key, obj);
      const versions = this.versions.get(key) ?? [];
      versions.push(clone(obj));
      this.versions.set(key, versions);
    }
    const change: Change = { type, rv: this.rv, def, object: clone(obj), previous: previous && clone(previous) };
    this.log.push(change);
    while (this.log.length > this.opts.maxEvents) this.compactedRv = this.log.shift()!.rv;
    for (const listener of [...this.listeners]) listener(change);
  }
}
