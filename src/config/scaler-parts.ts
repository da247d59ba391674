/**
 * The nested parts of a PredictiveScaler spec that need more than one line each:
 * `spec.metric.prometheus` and `spec.forecast.excludedWindows`. Pure.
 */
import { MapReader, typeName } from './fields.js';
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
    p.problems.add(p.at('url'), `${JSON.stringify(url)} is not an http(s) URL`);
  }
}

function readHeaders(p: MapReader): Record<string, string> {
  const h = p.map('headers', null);
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  for (const [name, value] of Object.entries(h.obj)) {
    if (!HEADER_NAME.test(name)) h.problems.add(h.at(name), 'is not a valid HTTP header name');
    if (typeof value !== 'string') h.problems.add(h.at(name), `expected a string, got ${typeName(value)}`);
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
