/**
 * The nested parts of a PredictiveScaler spec that need more than one line each:
 * `spec.metric.prometheus` and `spec.forecast.excludedWindows`. Pure.
 */
import { MapReader, isMapping } from './fields.js';
import { DEFAULTS, type BasicAuth, type ExcludedWindow, type PrometheusSpec, type SecretKeyRef } from './scaler-types.js';

const PROMETHEUS_KEYS = ['url', 'headers', 'bearerTokenFile', 'basicAuth', 'caFile', 'timeout'] as const;
/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `spec.metric.prometheus`, or undefined when absent (the CLI flag or operator default applies). */
export function readPrometheus(metric: MapReader): PrometheusSpec | undefined {
  const p = metric.map('prometheus', PROMETHEUS_KEYS);
  if (p === undefined) return undefined;
  const url = p.requiredString('url');
  checkUrl(p, url);
  const headers = readHeaders(p);
  const bearerTokenFile = p.string('bearerTokenFile');
  const basicAuth = readBasicAuth(p);
  const caFile = p.string('caFile');
  // Both would set the Authorization header; refuse rather than pick one silently.
  if (bearerTokenFile !== undefined && basicAuth !== undefined) {
    p.problems.add(p.at('basicAuth'), 'set either bearerTokenFile or basicAuth, not both');
  }
  const authHeader = Object.keys(headers).find((h) => h.toLowerCase() === 'authorization');
  if (authHeader !== undefined && (bearerTokenFile !== undefined || basicAuth !== undefined)) {
    p.problems.add([...p.at('headers'), authHeader], 'conflicts with bearerTokenFile/basicAuth, which set the same header');
  }
  return {
    url,
    headers,
    ...(bearerTokenFile === undefined ? {} : { bearerTokenFile }),
    ...(basicAuth === undefined ? {} : { basicAuth }),
    ...(caFile === undefined ? {} : { caFile }),
    timeoutMs: p.duration('timeout', DEFAULTS.prometheusTimeoutMs),
  };
}

function checkUrl(p: MapReader, url: string): void {
  if (url === '') return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    p.problems.add(p.at('url'), `${JSON.stringify(withoutUserinfo(url))} is not an http(s) URL`);
  }
}

/**
 * A URL for a message, with anything up to its last `@` after the scheme shown as `***`: a URL that
 * does not parse may still carry `user:password@`, and the message goes to status, events and logs.
 */
export function withoutUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]{0,31}:\/\/)?[^]*@/i, (_, scheme: string | undefined) => `${scheme ?? ''}***@`);
}

/** What a value is, without the value: for fields whose values may be credentials. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}

/** Header values may be credentials (`Authorization`, API keys): messages say what is wrong, never the value. */
function readHeaders(p: MapReader): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.has('headers') && !isMapping(p.obj.headers)) {
    p.problems.add(p.at('headers'), `expected a mapping of header names to values, got ${kindOf(p.obj.headers)} (not shown: it may hold a credential)`);
    return out;
  }
  const h = p.map('headers', null);
  if (h === undefined) return out;
  for (const [name, value] of Object.entries(h.obj)) {
    if (!HEADER_NAME.test(name)) h.problems.add(h.at(name), 'is not a valid HTTP header name');
    if (typeof value !== 'string') h.problems.add(h.at(name), `expected a string, got ${kindOf(value)} (not shown: it may hold a credential)`);
    else out[name] = value;
  }
  return out;
}

function readBasicAuth(p: MapReader): BasicAuth | undefined {
  const b = p.map('basicAuth', ['username', 'passwordSecretRef', 'passwordFile']);
  if (b === undefined) return undefined;
  const username = b.requiredString('username');
  const passwordFile = b.string('passwordFile');
  const refMap = b.map('passwordSecretRef', ['name', 'key']);
  const passwordSecretRef: SecretKeyRef | undefined =
    refMap === undefined ? undefined : { name: refMap.requiredString('name'), key: refMap.requiredString('key') };
  if (b.has('passwordFile') === b.has('passwordSecretRef')) {
    b.problems.add(b.path, 'set exactly one of passwordSecretRef or passwordFile');
  }
  return {
    username,
    ...(passwordFile === undefined ? {} : { passwordFile }),
    ...(passwordSecretRef === undefined ? {} : { passwordSecretRef }),
  };
}

/** `spec.forecast.excludedWindows`: [{ from, to, reason? }], from < to; returned sorted by start. */
export function readExcludedWindows(f: MapReader): ExcludedWindow[] {
  const list = f.list('excludedWindows');
  if (list === undefined) return [];
  const out: ExcludedWindow[] = [];
  list.forEach((item, i) => {
    const w = MapReader.of(f.problems, [...f.at('excludedWindows'), i], item, ['from', 'to', 'reason']);
    if (w === undefined) return;
    const fromMs = w.timestamp('from');
    const toMs = w.timestamp('to');
    const reason = w.string('reason');
    if (fromMs >= toMs) w.problems.add(w.at('to'), `${String(w.obj.to)} is not after from (${String(w.obj.from)})`);
    out.push(reason === undefined ? { fromMs, toMs } : { fromMs, toMs, reason });
  });
  return out.sort((a, b) => a.fromMs - b.fromMs);
}
