/**
 * The HTTP side of the fake API server: routing of the Kubernetes URL forms, bearer-token
 * authentication, injected faults and RBAC denials, the verbs (get, list, watch, create, update,
 * patch, delete) and subresources (status, scale), discovery, and watch streams (newline-delimited
 * JSON events over chunked transfer encoding, replayed from a resourceVersion, 410 as an ERROR
 * event when it is too old, bookmarks, timeouts, and abrupt cuts for tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults, RequestAttributes, Verb } from './faults.js';
import { applyJsonPatch, decodeJsonPatch, isObject, mergePatch, strategicMergePatch, type Json } from './patch.js';
import { apiVersionOf, type ResourceDef, type ResourceTable } from './resources.js';
import { selectorMatcher } from './selectors.js';
import { ApiError, errors, statusForCode } from './status.js';
import type { Change, KubeObject, Store } from './store.js';

/** One request as the server saw it. `body` is the parsed JSON (or the raw text if it did not parse). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
  /** HTTP status of the answer (200 for a watch, whatever it streams); 0 while a delayed request waits. */
  status: number;
  /** Wall-clock time the request arrived (ms since the epoch). */
  atMs: number;
  /** Warning headers sent (e.g. `unknown field "status.foo"` when a custom resource was pruned). */
  warnings?: string[];
  /** Whose bearer token the request carried (the server's own token, or one from `addUser`); unset when refused as unauthorized. */
  user?: string;
}

export interface HttpContext {
  store: Store;
  resources: ResourceTable;
  faults: Faults;
  token: string;
  requests: RecordedRequest[];
  /** Bearer token -> user name, for every token accepted. */
  users: Map<string, string>;
  watches: Set<OpenWatch>;
  /** Interval of BOOKMARK events on watches that allow them (ms). */
  bookmarkIntervalMs: number;
  /** 'always' (default): list items carry apiVersion and kind. 'custom-only': only custom resources' do, as on a real server. */
  listItemTypeMeta: 'always' | 'custom-only';
}

export interface OpenWatch {
  def: ResourceDef;
  /** Cuts the stream: `midEvent` writes half an event line first; `clean` ends the chunked body properly instead of destroying the socket. */
  cut(opts: { midEvent?: boolean; clean?: boolean }): void;
}

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  verb: Verb;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
const STRATEGIC = 'application/strategic-merge-patch+json';

function send(res: ServerResponse, entry: RecordedRequest, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  entry.status = status;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendWithWarnings(res: ServerResponse, entry: RecordedRequest, status: number, body: unknown, warnings: string[]): void {
  if (warnings.length > 0) entry.warnings = warnings;
  send(res, entry, status, body, warnings.length > 0 ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) } : {});
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GET /api, /apis, /version and the resource lists of each group version; undefined if not a discovery path. */
function discovery(ctx: HttpContext, segments: string[]): unknown {
  const versions = ctx.resources.groupVersions();
  if (segments.length === 1 && segments[0] === 'version') return { major: '1', minor: '31', gitVersion: 'v1.31.0-fake-apiserver', platform: 'linux/amd64' };
  if (segments.length === 1 && segments[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (segments.length === 1 && segments[0] === 'apis') {
    const groups = [...new Set(versions.filter((v) => v.group).map((v) => v.group))].map((name) => {
      const vs = versions.filter((v) => v.group === name).map((v) => ({ groupVersion: `${name}/${v.version}`, version: v.version }));
      return { name, versions: vs, preferredVersion: vs[0] };
    });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  const gv = segments[0] === 'api' && segments.length === 2 ? { group: '', version: segments[1]! } : segments[0] === 'apis' && segments.length === 3 ? { group: segments[1]!, version: segments[2]! } : undefined;
  if (!gv) return undefined;
  const defs = ctx.resources.all.filter((d) => d.group === gv.group && d.version === gv.version);
  if (defs.length === 0) throw errors.noSuchResource();
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  const resources = defs.flatMap((d) => [
    { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs, ...(d.shortNames ? { shortNames: d.shortNames } : {}) },
    ...(d.status ? [{ name: `${d.plural}/status`, singularName: '', namespaced: d.namespaced, kind: d.kind, verbs: ['get', 'patch', 'update'] }] : []),
    ...(d.scale ? [{ name: `${d.plural}/scale`, singularName: '', namespaced: d.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }] : []),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version, resources };
}

/** `/api/v1/namespaces/{ns}/{plural}[/{name}[/{sub}]]`, `/apis/{g}/{v}/...` and the cluster-wide `/{plural}` forms. */
function route(ctx: HttpContext, method: string, segments: string[], query: URLSearchParams): Route {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) [group, version, rest] = ['', segments[1]!, segments.slice(2)];
  else if (segments[0] === 'apis' && segments.length >= 4) [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
  else throw errors.noSuchResource();
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const def = ctx.resources.byPath(group, version, plural!);
  if (!def || extra.length > 0 || (def.namespaced && namespace === undefined && name !== undefined) || (!def.namespaced && namespace !== undefined)) throw errors.noSuchResource();
  if (subresource !== undefined && !((subresource === 'status' && def.status) || (subresource === 'scale' && def.scale))) throw errors.noSuchResource();
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const verb: Verb | undefined = {
    GET: name === undefined ? (watch ? 'watch' : 'list') : watch ? 'watch' : 'get',
    POST: name === undefined && (namespace !== undefined || !def.namespaced) ? 'create' : undefined,
    PUT: name !== undefined ? 'update' : undefined,
    PATCH: name !== undefined ? 'patch' : undefined,
    DELETE: name !== undefined && subresource === undefined ? 'delete' : undefined,
  }[method] as Verb | undefined;
  if (!verb) throw errors.methodNotAllowed();
  return { def, namespace, name, subresource, verb };
}

export function createHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((e: unknown) => {
      if (res.headersSent) return;
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(errors.internal(String(e)).status));
    });
  };
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake-apiserver');
  const text = await readBody(req);
  const contentType = req.headers['content-type'];
  const entry: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, atMs: Date.now() };
  if (contentType) entry.contentType = contentType;
  if (text) entry.body = parseJson(text);
  ctx.requests.push(entry);
  try {
    const auth = req.headers.authorization;
    const user = auth?.startsWith('Bearer ') ? ctx.users.get(auth.slice('Bearer '.length)) : undefined;
    if (user === undefined) throw errors.unauthorized();
    entry.user = user;
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const found = req.method === 'GET' ? discovery(ctx, segments) : undefined;
    if (found !== undefined) return send(res, entry, 200, found);
    const r = route(ctx, req.method ?? 'GET', segments, url.searchParams);
    const attrs: RequestAttributes = { verb: r.verb, group: r.def.group, resource: r.def.plural, subresource: r.subresource, namespace: r.namespace, name: r.name };
    const delay = ctx.faults.takeDelay(attrs);
    if (delay > 0) await sleep(delay);
    const failure = ctx.faults.takeFailure(attrs);
    if (failure) {
      const e = statusForCode(failure.status, { group: r.def.group, resource: r.def.plural }, r.name ?? '', failure.retryAfterSeconds);
      const headers = failure.retryAfterSeconds === undefined ? e.headers : { ...e.headers, 'Retry-After': String(failure.retryAfterSeconds) };
      return send(res, entry, e.code, e.status, headers);
    }
    const denied = ctx.faults.authorize(attrs);
    if (denied) throw denied;
    serve(ctx, r, url.searchParams, entry, res);
  } catch (e) {
    if (res.headersSent) return;
    const err = e instanceof ApiError ? e : errors.internal(e instanceof Error ? e.message : String(e));
    send(res, entry, err.code, err.status, err.headers);
  }
}

/** The object of a POST or PUT: JSON only (the real server also reads YAML and protobuf, which nothing here sends). */
function bodyObject(entry: RecordedRequest): KubeObject {
  const type = (entry.contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw errors.unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  if (!isObject(entry.body)) throw errors.badRequest(`Object 'Kind' is missing in '${typeof entry.body === 'string' ? entry.body : ''}'`);
  return entry.body as KubeObject;
}

function serve(ctx: HttpContext, r: Route, query: URLSearchParams, entry: RecordedRequest, res: ServerResponse): void {
  const { store } = ctx;
  const { def, namespace = '', name = '' } = r;
  const fieldValidation = query.get('fieldValidation') ?? 'Warn';
  const sub = r.subresource === 'status' ? ('status' as const) : undefined;
  switch (r.verb) {
    case 'get': {
      if (r.subresource === 'scale') return send(res, entry, 200, store.scale(def, namespace, name));
      const obj = store.get(def, namespace, name);
      if (!obj) throw errors.notFound({ group: def.group, resource: def.plural }, name);
      return send(res, entry, 200, obj);
    }
    case 'list':
      return send(res, entry, 200, list(ctx, def, r.namespace, query));
    case 'watch':
      return watch(ctx, r, query, entry, res);
    case 'create': {
      const body = bodyObject(entry);
      if (isObject(body.metadata) && body.metadata.namespace && body.metadata.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      const { object, warnings } = store.create(def, namespace, body, { viaApi: true, fieldValidation });
      return sendWithWarnings(res, entry, 201, object, warnings);
    }
    case 'update': {
      const body = bodyObject(entry);
      const bodyName = isObject(body.metadata) ? body.metadata.name : undefined;
      if (bodyName !== name) throw errors.badRequest(`the name of the object (${bodyName ?? ''}) does not match the name on the URL (${name})`);
      if (r.subresource === 'scale') {
        const { scale, warnings } = store.updateScale(def, namespace, name, body as never);
        return sendWithWarnings(res, entry, 200, scale, warnings);
      }
      const opts = { viaApi: true, checkResourceVersion: true, requireResourceVersion: def.custom === true, subresource: sub, fieldValidation };
      const { object, warnings } = store.update(def, namespace, name, body, opts);
      return sendWithWarnings(res, entry, 200, object, warnings);
    }
    case 'patch': {
      const patched = applyPatch(ctx, r, entry);
      if (r.subresource === 'scale') {
        const { scale, warnings } = store.updateScale(def, namespace, name, patched as never);
        return sendWithWarnings(res, entry, 200, scale, warnings);
      }
      const { object, warnings } = store.update(def, namespace, name, patched, { viaApi: true, checkResourceVersion: true, subresource: sub, fieldValidation });
      return sendWithWarnings(res, entry, 200, object, warnings);
    }
    case 'delete': {
      const options = isObject(entry.body) ? (entry.body as { preconditions?: { uid?: string; resourceVersion?: string } }) : {};
      const { object, removed } = store.delete(def, namespace, name, options.preconditions ?? {});
      if (removed && !def.returnDeletedObject) {
        return send(res, entry, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: def.group, kind: def.plural, uid: object.metadata.uid } });
      }
      return send(res, entry, 200, object);
    }
  }
}

/** The current object (or Scale) with the request's patch applied, by Content-Type. */
function applyPatch(ctx: HttpContext, r: Route, entry: RecordedRequest): KubeObject {
  const { def, namespace = '', name = '' } = r;
  const type = (entry.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted = def.custom && r.subresource !== 'scale' ? PATCH_TYPES : [...PATCH_TYPES, STRATEGIC];
  if (!accepted.includes(type)) throw errors.unsupportedMediaType(accepted);
  if (typeof entry.body === 'string' || entry.body === undefined) throw errors.badRequest(`error decoding patch: invalid JSON: ${String(entry.body ?? '')}`);
  const current = r.subresource === 'scale' ? (ctx.store.scale(def, namespace, name) as unknown as KubeObject) : ctx.store.get(def, namespace, name);
  if (!current) throw errors.notFound({ group: def.group, resource: def.plural }, name);
  const body = entry.body as Json;
  let patched: Json;
  if (type === 'application/json-patch+json') patched = applyJsonPatch(current as unknown as Json, decodeJsonPatch(body));
  else if (type === STRATEGIC) patched = strategicMergePatch(current as unknown as Json, body);
  else {
    if (!isObject(body)) throw errors.badRequest('Invalid JSON Patch');
    patched = mergePatch(current as unknown as Json, body);
  }
  if (!isObject(patched)) throw errors.patchRejected('the patched document is not an object');
  return patched as unknown as KubeObject;
}

interface ContinueToken {
  rv: number;
  after: string;
}

function list(ctx: HttpContext, def: ResourceDef, namespace: string | undefined, query: URLSearchParams): unknown {
  const { store } = ctx;
  const rvParam = query.get('resourceVersion');
  if (rvParam && rvParam !== '0') {
    const rv = Number(rvParam);
    if (!Number.isInteger(rv)) throw errors.badRequest(`invalid resource version "${rvParam}"`);
    if (rv > store.resourceVersion) throw errors.timeout(`Too large resource version: ${rv}, current: ${store.resourceVersion}`);
  }
  const matcher = selectorMatcher(query.get('labelSelector') ?? undefined, query.get('fieldSelector') ?? undefined);
  let items = store.list(def, namespace).filter(matcher);
  const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const cont = query.get('continue');
  if (cont) {
    let token: ContinueToken;
    try {
      token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      throw errors.badRequest('continue key is not valid: illegal base64 data');
    }
    if (token.rv < store.oldestWatchable) {
      throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    items = items.filter((o) => keyOf(o) > token.after);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(store.resourceVersion) };
  const limit = Number(query.get('limit') ?? 0);
  if (limit > 0 && items.length > limit) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    metadata.continue = Buffer.from(JSON.stringify({ rv: store.resourceVersion, after: keyOf(items[items.length - 1]!) })).toString('base64url');
    metadata.remainingItemCount = rest;
  }
  if (ctx.listItemTypeMeta === 'custom-only' && !def.custom) {
    items = items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest as KubeObject);
  }
  return { apiVersion: apiVersionOf(def), kind: `${def.kind}List`, metadata, items };
}

function watch(ctx: HttpContext, r: Route, query: URLSearchParams, entry: RecordedRequest, res: ServerResponse): void {
  const { store } = ctx;
  const { def } = r;
  const fieldSelector = [query.get('fieldSelector'), r.name !== undefined ? `metadata.name=${r.name}` : undefined].filter(Boolean).join(',');
  const matcher = selectorMatcher(query.get('labelSelector') ?? undefined, fieldSelector || undefined);
  const inScope = (o: KubeObject): boolean => (r.namespace === undefined || o.metadata.namespace === r.namespace) && matcher(o);
  const rvParam = query.get('resourceVersion') ?? '';
  const fromRv = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
  if (fromRv !== undefined && !Number.isInteger(fromRv)) throw errors.badRequest(`invalid resource version "${rvParam}"`);

  entry.status = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;
  const write = (type: string, object: unknown): void => {
    if (!res.writableEnded && !res.destroyed) res.write(line(type, object));
  };

  const deliver = (c: Change): void => {
    if (c.def.group !== def.group || c.def.plural !== def.plural) return;
    const now = inScope(c.object);
    const before = c.previous !== undefined && inScope(c.previous);
    let type: string | undefined;
    if (c.type === 'MODIFIED') type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    else type = now ? c.type : undefined;
    if (type) write(type, store.present(def, c.object));
  };

  if (fromRv !== undefined) {
    const changes = store.changesSince(fromRv);
    if (!changes) {
      write('ERROR', errors.expired(`too old resource version: ${fromRv} (${store.oldestWatchable})`).status);
      res.end();
      return;
    }
    changes.forEach(deliver);
  } else {
    for (const obj of store.list(def, r.namespace)) if (inScope(obj)) write('ADDED', obj);
  }

  const unsubscribe = store.subscribe(deliver);
  const timers: NodeJS.Timeout[] = [];
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
  if (query.get('allowWatchBookmarks') === 'true') {
    timers.push(setInterval(() => write('BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion) } }), ctx.bookmarkIntervalMs));
  }
  const open: OpenWatch = {
    def,
    cut({ midEvent, clean }) {
      const finish = (): void => {
        if (clean) res.end();
        else res.destroy();
      };
      if (!midEvent || res.writableEnded || res.destroyed) return finish();
      const sample = store.list(def, r.namespace).find(inScope) ?? { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion) } };
      const text = line('MODIFIED', sample);
      // Destroy only once the half line is on the socket (a destroy drops what is still buffered).
      res.write(text.slice(0, Math.floor(text.length / 2)), finish);
    },
  };
  ctx.watches.add(open);
  const cleanup = (): void => {
    unsubscribe();
    timers.forEach((t) => clearTimeout(t));
    ctx.watches.delete(open);
  };
  res.on('close', cleanup);
}
