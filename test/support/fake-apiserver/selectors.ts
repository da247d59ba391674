/**
 * Label selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma = and)
 * and the field selectors every resource supports (`metadata.name`, `metadata.namespace`, with
 * `=`, `==` or `!=`). A selector that does not parse is a 400, as on the real server.
 */
import { errors } from './status.js';

type Labels = Record<string, string> | undefined;
export type Matcher = (obj: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }) => boolean;

/** Splits at commas outside parentheses. */
function requirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts.filter((p) => p !== '');
}

function labelRequirement(req: string): (labels: Labels) => boolean {
  let m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(req);
  if (m) {
    const [, key, op, list] = m;
    const values = list!.split(',').map((v) => v.trim());
    return op === 'in' ? (l) => l?.[key!] !== undefined && values.includes(l[key!]!) : (l) => l?.[key!] === undefined || !values.includes(l[key!]!);
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(req);
  if (m) {
    const [, key, op, value] = m;
    return op === '!=' ? (l) => l?.[key!] !== value : (l) => l?.[key!] === value;
  }
  m = /^(!?)([^=!\s()]+)$/.exec(req);
  if (m) {
    const [, not, key] = m;
    return not ? (l) => l?.[key!] === undefined : (l) => l?.[key!] !== undefined;
  }
  throw errors.badRequest(`unable to parse requirement: found '${req}', expected: in, notin, =, ==, !=, gt, lt`);
}

function fieldRequirement(req: string): Matcher {
  const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
  if (!m) throw errors.badRequest(`invalid selector: '${req}'; can't understand '${req}'`);
  const [, field, op, value] = m;
  const get =
    field === 'metadata.name'
      ? (o: Parameters<Matcher>[0]) => o.metadata?.name ?? ''
      : field === 'metadata.namespace'
        ? (o: Parameters<Matcher>[0]) => o.metadata?.namespace ?? ''
        : undefined;
  if (!get) throw errors.badRequest(`field label not supported: ${field}`);
  return op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value;
}

/** One matcher for both selectors (either may be absent). */
export function selectorMatcher(labelSelector?: string, fieldSelector?: string): Matcher {
  const labelReqs = requirements(labelSelector ?? '').map(labelRequirement);
  const fieldReqs = requirements(fieldSelector ?? '').map(fieldRequirement);
  return (obj) => labelReqs.every((r) => r(obj.metadata?.labels)) && fieldReqs.every((r) => r(obj));
}

/** `spec.selector` of a workload as the string a Scale's status.selector carries (sorted, as labels.Selector.String()). */
export function selectorString(selector: unknown): string {
  if (typeof selector !== 'object' || selector === null) return '';
  const s = selector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  const parts: [string, string][] = Object.entries(s.matchLabels ?? {}).map(([k, v]) => [k, `${k}=${v}`]);
  for (const e of s.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text = { In: `${e.key} in (${values})`, NotIn: `${e.key} notin (${values})`, Exists: e.key, DoesNotExist: `!${e.key}` }[e.operator] ?? e.key;
    parts.push([e.key, text]);
  }
  return parts
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((p) => p[1])
    .join(',');
}
