/**
 * An in-process fake of the Kubernetes API server (node:http on 127.0.0.1, a free port) for
 * tests that run the real operator against "a cluster": the URL forms, verbs, resourceVersions,
 * status and scale subresources, finalizers, structural pruning of the project's CRD, Status
 * errors and watch streams behave as the real server's do (see test/support/fake-apiserver/).
 * Tests arrange and inspect state directly (create, get, history, ...), which emits the same
 * watch events as API writes, and inject faults (RBAC denials, failures, delays, cut watches,
 * compaction). Client-node 1.4 reaches it with a kubeconfig from `writeKubeconfig` (an http://
 * server needs `insecure-skip-tls-verify: true` there, or client-node refuses to connect).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { Faults, type DelayRule, type DenyRule, type FailRule } from './fake-apiserver/faults.js';
import { createHandler, type HttpContext, type OpenWatch, type RecordedRequest } from './fake-apiserver/http.js';
import { mergePatch, type Json } from './fake-apiserver/patch.js';
import { BUILT_IN_RESOURCES, PROJECT_CRDS, ResourceTable, crdResources, type ResourceDef } from './fake-apiserver/resources.js';
import { Store, type KubeObject } from './fake-apiserver/store.js';

export type { DelayRule, DenyRule, FailRule, RequestMatch, Verb } from './fake-apiserver/faults.js';
export type { RecordedRequest } from './fake-apiserver/http.js';
export type { ResourceDef } from './fake-apiserver/resources.js';
export { ApiError, type Status } from './fake-apiserver/status.js';
export type { KubeObject, ObjectMeta, Scale } from './fake-apiserver/store.js';

export interface FakeApiServerOptions {
  /** Bearer token every request must carry (default: random). */
  token?: string;
  /** User named in 403 messages (default `system:serviceaccount:prescale:prescale`). */
  user?: string;
  /** CRD manifests to serve (default: the project's manifests/crd/predictivescaler.yaml). */
  crds?: string[];
  /** More resources to serve, beside the built-in table. */
  resources?: ResourceDef[];
  /** Changes kept for watches; older resourceVersions get 410 Expired (default 1000). */
  maxEvents?: number;
  /** Interval of BOOKMARK events on watches with allowWatchBookmarks=true (default 60 000 ms, about the real server's). */
  bookmarkIntervalMs?: number;
  /** 'always' (default): list items carry apiVersion and kind. 'custom-only': like a real server, built-in list items do not. */
  listItemTypeMeta?: 'always' | 'custom-only';
  /** Clock for creationTimestamp and deletionTimestamp (default Date.now). */
  now?: () => number;
}

export interface FakeApiServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The current global resourceVersion. */
  readonly resourceVersion: string;
  /** Watch streams open now. */
  readonly openWatches: number;
  /** Writes a kubeconfig for this server (token auth, insecure-skip-tls-verify) and returns its path; `token` from `addUser`, default the server's own. */
  writeKubeconfig(path: string, opts?: { namespace?: string; token?: string }): Promise<string>;
  /** A new bearer token for user `name` (same rights as the server's own): requests carrying it are recorded with that `user`. */
  addUser(name: string): string;

  /** Stores a new object (status kept: the test is trusted); namespace from metadata, default `default`. */
  create(obj: KubeObject): KubeObject;
  /** Replaces an object whole, status included, unconditionally (metadata.resourceVersion is ignored). */
  update(obj: KubeObject): KubeObject;
  /** Applies a JSON merge patch to an object (status included). */
  patch(apiVersion: string, kindOrPlural: string, namespace: string, name: string, mergePatch: object): KubeObject;
  /** Applies a JSON merge patch to `.status` only. */
  patchStatus(apiVersion: string, kindOrPlural: string, namespace: string, name: string, statusPatch: object): KubeObject;
  get(apiVersion: string, kindOrPlural: string, namespace: string, name: string): KubeObject | undefined;
  /** Sorted by namespace and name; every namespace when `namespace` is left out. */
  list(apiVersion: string, kindOrPlural: string, namespace?: string): KubeObject[];
  /** Deletes as a DELETE request does; returns the object when finalizers keep it (now with deletionTimestamp), undefined when it is gone. */
  delete(apiVersion: string, kindOrPlural: string, namespace: string, name: string): KubeObject | undefined;
  /** Every stored version of an object, oldest first (kept across compaction and deletion). */
  history(apiVersion: string, kindOrPlural: string, namespace: string, name: string): KubeObject[];

  /** Refuses matching requests with RBAC's 403 until `allow` is called with the same rule. */
  deny(rule: DenyRule): void;
  allow(rule: DenyRule): void;
  /** Answers the next `count` matching requests with `status` (and the Status the real server sends for it) instead of serving them. */
  failNext(rule: FailRule): void;
  /** Holds the next `count` matching requests for `ms` before serving them. */
  delayNext(rule: DelayRule): void;
  /** Ends every open watch abruptly (socket destroyed; `clean`: the chunked body ends properly), optionally after half an event line. Returns how many. */
  cutWatches(opts?: { midEvent?: boolean; clean?: boolean }): number;
  /** Forgets the change log: watches from any earlier resourceVersion get 410 Expired. */
  compact(): void;
  /** Polls `predicate` (every 10 ms) until it returns a truthy value, which it resolves with. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_USER = 'system:serviceaccount:prescale:prescale';

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const resources = new ResourceTable([...BUILT_IN_RESOURCES, ...(opts.crds ?? PROJECT_CRDS).flatMap(crdResources), ...(opts.resources ?? [])]);
  const store = new Store({ maxEvents: opts.maxEvents ?? 1000, now: opts.now ?? Date.now, initialResourceVersion: 1000 });
  const token = opts.token ?? randomBytes(16).toString('hex');
  const users = new Map([[token, opts.user ?? DEFAULT_USER]]);
  const watches = new Set<OpenWatch>();
  const faults = new Faults(opts.user ?? DEFAULT_USER);
  const ctx: HttpContext = {
    store,
    resources,
    faults,
    token,
    requests: [],
    users,
    watches,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    listItemTypeMeta: opts.listItemTypeMeta ?? 'always',
  };
  const server = createServer(createHandler(ctx));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const trusted = { viaApi: false };
  const namespaceOf = (def: ResourceDef, obj: KubeObject): string => (def.namespaced ? (obj.metadata?.namespace ?? 'default') : '');
  const defOf = (obj: KubeObject): ResourceDef => resources.find(obj.apiVersion ?? '', obj.kind ?? '');
  const existing = (def: ResourceDef, namespace: string, name: string): KubeObject => {
    const obj = store.get(def, namespace, name);
    if (!obj) throw new Error(`fake-apiserver: no ${def.kind} ${namespace}/${name}`);
    return obj;
  };

  return {
    url,
    token,
    requests: ctx.requests,
    get resourceVersion() {
      return String(store.resourceVersion);
    },
    get openWatches() {
      return watches.size;
    },
    async writeKubeconfig(path, o = {}) {
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'fake', user: { token: o.token ?? token } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', ...(o.namespace ? { namespace: o.namespace } : {}) } }],
        'current-context': 'fake',
      };
      await writeFile(path, stringify(config));
      return path;
    },

    addUser(name) {
      const t = randomBytes(16).toString('hex');
      users.set(t, name);
      return t;
    },

    create(obj) {
      const def = defOf(obj);
      return store.create(def, namespaceOf(def, obj), obj, trusted).object;
    },
    update(obj) {
      const def = defOf(obj);
      return store.update(def, namespaceOf(def, obj), obj.metadata.name ?? '', obj, trusted).object;
    },
    patch(apiVersion, kindOrPlural, namespace, name, patch) {
      const def = resources.find(apiVersion, kindOrPlural);
      const next = mergePatch(existing(def, namespace, name) as unknown as Json, patch as Json) as unknown as KubeObject;
      return store.update(def, namespace, name, next, trusted).object;
    },
    patchStatus(apiVersion, kindOrPlural, namespace, name, statusPatch) {
      const def = resources.find(apiVersion, kindOrPlural);
      const current = existing(def, namespace, name);
      const status = mergePatch((current.status ?? {}) as Json, statusPatch as Json);
      return store.update(def, namespace, name, { ...current, status }, { ...trusted, subresource: 'status' }).object;
    },
    get(apiVersion, kindOrPlural, namespace, name) {
      return store.get(resources.find(apiVersion, kindOrPlural), namespace, name);
    },
    list(apiVersion, kindOrPlural, namespace) {
      return store.list(resources.find(apiVersion, kindOrPlural), namespace);
    },
    delete(apiVersion, kindOrPlural, namespace, name) {
      const { object, removed } = store.delete(resources.find(apiVersion, kindOrPlural), namespace, name);
      return removed ? undefined : object;
    },
    history(apiVersion, kindOrPlural, namespace, name) {
      return store.history(resources.find(apiVersion, kindOrPlural), namespace, name);
    },

    deny: (rule) => faults.deny(rule),
    allow: (rule) => faults.allow(rule),
    failNext: (rule) => faults.failNext(rule),
    delayNext: (rule) => faults.delayNext(rule),
    cutWatches(o = {}) {
      const open = [...watches];
      for (const w of open) w.cut(o);
      return open.length;
    },
    compact: () => store.compact(),
    async waitFor(predicate, timeoutMs = 5000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = predicate();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`fake-apiserver: timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const w of [...watches]) w.cut({});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
