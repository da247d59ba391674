/**
 * Structural-schema handling of custom resources, as the apiextensions server does it: pruning
 * of fields the schema does not declare (with the `unknown field` warnings the server sends) and
 * the OpenAPI checks most likely to reject an operator's writes (types, enums, required fields,
 * bounds, lengths, patterns, date-times, list-map keys). CEL rules (x-kubernetes-validations)
 * are not evaluated.
 */
import type { FieldError } from './status.js';

export interface JsonSchema {
  type?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ROOT_KEPT = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Removes, in place, what the schema does not declare, and null values where it is not
 * nullable. `metadata`, `apiVersion` and `kind` at the root (and of embedded resources) are kept
 * whole. Returns the paths of the unknown fields, e.g. `status.foo`, `spec.items[0].bar`.
 */
export function prune(root: Record<string, Json>, schema: JsonSchema): string[] {
  const unknown: string[] = [];
  pruneObject(root, schema, '', true, unknown);
  return unknown;
}

function pruneValue(value: Json, schema: JsonSchema, path: string, unknown: string[]): void {
  if (isObject(value)) pruneObject(value, schema, path, schema['x-kubernetes-embedded-resource'] === true, unknown);
  else if (Array.isArray(value) && schema.items) value.forEach((item, i) => pruneValue(item, schema.items!, `${path}[${i}]`, unknown));
}

function pruneObject(obj: Record<string, Json>, schema: JsonSchema, path: string, keepTypeMeta: boolean, unknown: string[]): void {
  const props = schema.properties;
  const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  for (const key of Object.keys(obj)) {
    const childPath = path ? `${path}.${key}` : key;
    if (keepTypeMeta && ROOT_KEPT.has(key)) continue;
    const child = props?.[key] ?? additional;
    if (!child) {
      if (!preserve) {
        delete obj[key];
        unknown.push(childPath);
      }
      continue;
    }
    if (obj[key] === null && !child.nullable) {
      delete obj[key];
      continue;
    }
    pruneValue(obj[key], child, childPath, unknown);
  }
}

const typeName = (v: Json): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

/** RFC 3339 date-time, as strfmt accepts it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const show = (v: Json): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

function invalid(field: string, value: Json, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
}

/** The schema's problems with a (pruned) object, in the real server's wording. */
export function validate(root: Record<string, Json>, schema: JsonSchema): FieldError[] {
  const problems: FieldError[] = [];
  const rootSchema: JsonSchema = { ...schema, properties: { ...schema.properties } };
  delete rootSchema.properties!.metadata;
  check(root, rootSchema, '', problems);
  return problems;
}

function typeMatches(value: Json, schema: JsonSchema): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case undefined:
      return true;
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function check(value: Json, schema: JsonSchema, path: string, problems: FieldError[]): void {
  const where = path || '<root>';
  if (value === null) {
    if (!schema.nullable) problems.push(invalid(where, 'null', `${where} in body must be of type ${schema.type ?? 'object'}: "null"`));
    return;
  }
  if (!typeMatches(value, schema)) {
    problems.push(invalid(where, typeName(value), `${where} in body must be of type ${schema.type}: "${typeName(value)}"`));
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push({ reason: 'FieldValueNotSupported', field: where, message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}` });
  }
  if (typeof value === 'number') checkNumber(value, schema, where, problems);
  if (typeof value === 'string') checkString(value, schema, where, problems);
  if (Array.isArray(value)) checkArray(value, schema, path, problems);
  if (isObject(value)) checkObject(value, schema, path, problems);
}

function checkNumber(value: number, schema: JsonSchema, where: string, problems: FieldError[]): void {
  if (schema.minimum !== undefined) {
    const bad = schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum;
    if (bad) problems.push(invalid(where, value, `${where} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`));
  }
  if (schema.maximum !== undefined) {
    const bad = schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum;
    if (bad) problems.push(invalid(where, value, `${where} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`));
  }
}

function checkString(value: string, schema: JsonSchema, where: string, problems: FieldError[]): void {
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) problems.push(invalid(where, value, `${where} in body should be at least ${schema.minLength} chars long`));
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    problems.push({ reason: 'FieldValueTooLong', field: where, message: `Too long: may not be more than ${schema.maxLength} bytes` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) problems.push(invalid(where, value, `${where} in body should match '${schema.pattern}'`));
  if (schema.format === 'date-time' && !DATE_TIME.test(value)) problems.push(invalid(where, value, `${where} in body must be of type date-time: ${JSON.stringify(value)}`));
}

function checkArray(value: Json[], schema: JsonSchema, path: string, problems: FieldError[]): void {
  const where = path || '<root>';
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    problems.push({ reason: 'FieldValueTooMany', field: where, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) problems.push(invalid(where, value.length, `${where} in body should have at least ${schema.minItems} items`));
  if (schema.items) value.forEach((item, i) => check(item, schema.items!, `${path}[${i}]`, problems));
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (listType === 'map' || listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = listType === 'map' && isObject(item) ? JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]]))) : JSON.stringify(item);
      if (seen.has(key)) problems.push({ reason: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `Duplicate value: ${key}` });
      seen.add(key);
    });
  }
}

function checkObject(value: Record<string, Json>, schema: JsonSchema, path: string, problems: FieldError[]): void {
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) problems.push({ reason: 'FieldValueRequired', field: path ? `${path}.${name}` : name, message: 'Required value' });
  }
  const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? additional;
    if (childSchema && !(schema['x-kubernetes-embedded-resource'] && key === 'metadata')) check(child, childSchema, path ? `${path}.${key}` : key, problems);
  }
}
