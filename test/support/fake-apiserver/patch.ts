/**
 * The three patch formats of PATCH requests: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
 * and an approximation of Kubernetes' strategic merge patch (merge patch, plus merging of the
 * lists that built-in types declare with a patch merge key, and the `$patch`,
 * `$deleteFromPrimitiveList`, `$setElementOrder` and `$retainKeys` directives).
 * All functions return a new value and leave their inputs alone.
 */
import { errors } from './status.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
export const clone = <T>(v: T): T => structuredClone(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

/** Decodes a JSON patch document; a body that is not a list of operations is a 400, as on the real server. */
export function decodeJsonPatch(body: unknown): JsonPatchOp[] {
  if (!Array.isArray(body)) throw errors.badRequest(`json: cannot unmarshal ${isObject(body) ? 'object' : typeof body} into Go value of type jsonpatch.Patch`);
  for (const op of body) {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw errors.badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
  }
  return body as unknown as JsonPatchOp[];
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw errors.patchRejected(`JSON pointer must be empty or start with a "/": ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the last token and that token; the container must exist. */
function locate(doc: Json, tokens: string[], path: string): { parent: Json; key: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(t)] as Json;
    else if (isObject(node)) node = node[t] as Json;
    else node = undefined as unknown as Json;
    if (node === undefined) throw errors.patchRejected(`doc is missing path: "${path}": missing value`);
  }
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: Json[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  const i = Number(key);
  if (!/^(0|[1-9][0-9]*)$/.test(key) || i > arr.length || (!forAdd && i === arr.length)) throw errors.patchRejected(`Unable to access invalid index: ${key}: invalid index referenced: ${path}`);
  return i;
}

function getAt(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = locate(doc, tokens, path);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, path, false)] : isObject(parent) ? parent[key] : undefined;
  if (v === undefined) throw errors.patchRejected(`doc is missing path: "${path}": missing value`);
  return v;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = pointer(path);
  const { parent, key } = locate(doc, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, path, false), 1)[0]!;
  if (!isObject(parent) || !(key in parent)) throw errors.patchRejected(`Unable to remove nonexistent key: ${key}: missing value`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = locate(doc, tokens, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw errors.patchRejected(`doc is missing path: "${path}": missing value`);
  return doc;
}

/** RFC 6902: add, remove, replace, move, copy, test. */
export function applyJsonPatch(target: Json, ops: JsonPatchOp[]): Json {
  let doc = clone(target);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, clone(op.value ?? null));
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'replace':
        getAt(doc, op.path);
        if (pointer(op.path).length === 0) doc = clone(op.value ?? null);
        else {
          removeAt(doc, op.path);
          doc = addAt(doc, op.path, clone(op.value ?? null));
        }
        break;
      case 'move': {
        const v = removeAt(doc, op.from ?? '');
        doc = addAt(doc, op.path, v);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, clone(getAt(doc, op.from ?? '')));
        break;
      case 'test':
        if (!deepEqual(getAt(doc, op.path), op.value)) throw errors.patchRejected(`testing value ${op.path} failed: test failed`);
        break;
      default:
        throw errors.patchRejected(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

/**
 * Lists that built-in types merge by key under a strategic merge patch (patchMergeKey in
 * k8s.io/api), by path with `[]` for array elements. A key of '' merges a list of primitives
 * (a set union). Lists not named here are replaced, as atomic lists are.
 */
const MERGE_KEYS: Record<string, string> = {
  'metadata.finalizers': '',
  'metadata.ownerReferences': 'uid',
  'status.conditions': 'type',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.volumes': 'name',
  'spec.containers[].env': 'name',
  'spec.containers[].ports': 'containerPort',
  'spec.containers[].volumeMounts': 'mountPath',
  'spec.template.spec.containers': 'name',
  'spec.template.spec.initContainers': 'name',
  'spec.template.spec.volumes': 'name',
  'spec.template.spec.containers[].env': 'name',
  'spec.template.spec.containers[].ports': 'containerPort',
  'spec.template.spec.containers[].volumeMounts': 'mountPath',
};

/** Strategic merge patch for built-in kinds (see the module comment for what is covered). */
export function strategicMergePatch(target: Json | undefined, patch: Json, path = ''): Json {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return strip(rest);
  }
  if (patch.$patch === 'delete') return null;
  const out: JsonObject = isObject(target) ? clone(target) : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(value) ? value : [];
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !drop.some((d) => deepEqual(d, x)));
      continue;
    }
    const childPath = path ? `${path}.${key}` : key;
    if (value === null) delete out[key];
    else if (Array.isArray(value) && childPath in MERGE_KEYS) out[key] = mergeList(out[key], value, MERGE_KEYS[childPath]!, childPath);
    else {
      const merged = strategicMergePatch(out[key], value, childPath);
      if (merged === null && isObject(value) && value.$patch === 'delete') delete out[key];
      else out[key] = merged;
    }
  }
  if (retain) for (const key of Object.keys(out)) if (!retain.includes(key)) delete out[key];
  return out;
}

function mergeList(current: Json | undefined, patch: Json[], mergeKey: string, path: string): Json[] {
  const out: Json[] = Array.isArray(current) ? clone(current) : [];
  if (mergeKey === '') {
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v));
    return out;
  }
  for (const item of patch) {
    if (!isObject(item)) continue;
    const i = out.findIndex((x) => isObject(x) && deepEqual(x[mergeKey], item[mergeKey]));
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], item, `${path}[]`);
    else out.push(strip(item));
  }
  return out;
}

/** A new element or replaced map keeps no patch directives. */
function strip(v: Json): Json {
  if (Array.isArray(v)) return v.map(strip);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, strip(x)]));
}
