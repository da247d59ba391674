/**
 * The MetricSource a PredictiveScaler reads: its `spec.metric.query` from a Prometheus, with the
 * access options of `spec.metric.prometheus` (headers, bearer token file, CA file, basic auth,
 * timeout). Shared by the CLI (`dry-run --prometheus`) and the operator, so both talk to
 * Prometheus the same way.
 */
import { invalidInput } from '../core/errors.js';
import type { Scaler } from '../config/scaler.js';
import type { BasicAuthOptions } from './credentials.js';
import { PrometheusSource, type PrometheusSourceDeps } from './prometheus.js';

export interface ScalerSourceAccess {
  /**
   * The Prometheus to use when the spec names none (`spec.metric.prometheus.url` wins), e.g. the
   * operator's `--prometheus`. May carry `user:pass@` (basic auth).
   */
  readonly url?: string;
  /**
   * Use `url` even when the spec names its own Prometheus. The CLI's `--prometheus` names the server
   * to read explicitly (e.g. a port-forward to the spec's in-cluster Prometheus), so it wins.
   */
  readonly ignoreSpecUrl?: boolean;
  /**
   * The password of `spec.metric.prometheus.basicAuth.passwordSecretRef`, read from the Secret by
   * the caller (the operator). Required with a passwordSecretRef; refused without one. Never logged.
   */
  readonly password?: string;
}

/** `new PrometheusSource` for `scaler` (throws `invalid-input` for a missing URL or password). */
export function prometheusSourceFor(scaler: Scaler, access: ScalerSourceAccess, deps: PrometheusSourceDeps): PrometheusSource {
  const s = scaler.spec;
  const p = s.metric.prometheus;
  const who = `${scaler.namespace}/${scaler.name}`;
  const url = access.ignoreSpecUrl ? access.url : (p?.url ?? access.url);
  if (url === undefined || url === '') throw invalidInput(`${who}: no Prometheus URL: spec.metric.prometheus.url is not set and no default was given`);
  return new PrometheusSource(
    {
      url,
      query: s.metric.query,
      ...(p?.headers ? { headers: { ...p.headers } } : {}),
      ...(p?.bearerTokenFile ? { bearerTokenFile: p.bearerTokenFile } : {}),
      ...(p?.caFile ? { caFile: p.caFile } : {}),
      ...basicAuthOf(scaler, access.password),
      ...(p?.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
    },
    deps,
  );
}

/** `{ basicAuth }` from the spec: a password file as is, a Secret ref with the password given. */
function basicAuthOf(scaler: Scaler, password: string | undefined): { basicAuth?: BasicAuthOptions } {
  const b = scaler.spec.metric.prometheus?.basicAuth;
  const who = `${scaler.namespace}/${scaler.name}`;
  if (b?.passwordSecretRef) {
    if (password === undefined) {
      throw invalidInput(`${who}: spec.metric.prometheus.basicAuth.passwordSecretRef (Secret ${b.passwordSecretRef.name}, key ${b.passwordSecretRef.key}): the password was not given`);
    }
    return { basicAuth: { username: b.username, password } };
  }
  if (password !== undefined) throw invalidInput(`${who}: a basic auth password was given but spec.metric.prometheus.basicAuth has no passwordSecretRef`);
  return b?.passwordFile ? { basicAuth: { username: b.username, passwordFile: b.passwordFile } } : {};
}
