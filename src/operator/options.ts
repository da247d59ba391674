/**
 * `prescale operator` options: flag, else environment variable, else default; parsed and validated
 * once, every problem listed (the command exits 2 with one line per problem). Pure.
 */
import { LOG_LEVELS } from '../telemetry/logger.js';

export interface OperatorOptions {
  readonly kubeconfig?: string;
  readonly prometheus?: string;
  /** URL prefixes a scaler's own spec.metric.prometheus.url may name (default: only --prometheus). */
  readonly allowedPrometheus: readonly string[];
  readonly namespaces: readonly string[];
  readonly metricsAddr: HostPort;
  readonly healthAddr: HostPort;
  readonly leaderElect: boolean;
  readonly leaderElectionNamespace: string;
  readonly concurrency: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly logLevel: string;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Raw values as the command line gives them (undefined: not given). */
export interface RawOperatorFlags {
  kubeconfig?: string;
  prometheus?: string;
  allowedPrometheus?: string[];
  namespace?: string[];
  metricsAddr?: string;
  healthAddr?: string;
  leaderElect?: boolean | string;
  leaderElectionNamespace?: string;
  concurrency?: string;
  shard?: string;
  logLevel?: string;
}

/** Each flag's environment variable. */
export const OPERATOR_ENV = {
  kubeconfig: 'KUBECONFIG',
  prometheus: 'PRESCALE_PROMETHEUS',
  allowedPrometheus: 'PRESCALE_ALLOWED_PROMETHEUS',
  namespace: 'PRESCALE_NAMESPACES',
  metricsAddr: 'PRESCALE_METRICS_ADDR',
  healthAddr: 'PRESCALE_HEALTH_ADDR',
  leaderElect: 'PRESCALE_LEADER_ELECT',
  leaderElectionNamespace: 'PRESCALE_LEADER_ELECTION_NAMESPACE',
  concurrency: 'PRESCALE_CONCURRENCY',
  shard: 'PRESCALE_SHARD',
  logLevel: 'PRESCALE_LOG_LEVEL',
} as const;

export const OPERATOR_DEFAULTS = {
  metricsAddr: ':8080',
  healthAddr: ':8081',
  concurrency: 4,
  logLevel: 'info',
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Options from flags and environment. `inClusterNamespace` is the service account's namespace
 * (the default lease namespace), when running in a pod.
 */
export function parseOperatorOptions(flags: RawOperatorFlags, env: Readonly<Record<string, string | undefined>>, inClusterNamespace?: string): { ok: true; options: OperatorOptions } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const pick = <K extends keyof typeof OPERATOR_ENV>(k: K, flag: string): { value: string | undefined; from: string } => {
    const v = flags[k];
    if (v !== undefined && typeof v === 'string') return { value: v, from: flag };
    const e = env[OPERATOR_ENV[k]];
    return { value: e === '' ? undefined : e, from: OPERATOR_ENV[k] };
  };

  const prometheus = pick('prometheus', '--prometheus');
  if (prometheus.value !== undefined) checkUrl(prometheus.value, prometheus.from, problems);
  const allowedFlag = flags.allowedPrometheus && flags.allowedPrometheus.length > 0;
  const allowedFrom = allowedFlag ? '--allowed-prometheus' : OPERATOR_ENV.allowedPrometheus;
  const allowedPrometheus = allowedFlag ? flags.allowedPrometheus! : (env[OPERATOR_ENV.allowedPrometheus] ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  for (const u of allowedPrometheus) checkUrl(u, allowedFrom, problems);

  // Each namespace once: a repeated one would open two watches and deliver every change twice.
  const namespaces = [...new Set(flags.namespace && flags.namespace.length > 0 ? flags.namespace : (env[OPERATOR_ENV.namespace] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== ''))];
  const nsFrom = flags.namespace && flags.namespace.length > 0 ? '--namespace' : OPERATOR_ENV.namespace;
  for (const ns of namespaces) if (!DNS_LABEL.test(ns) || ns.length > 63) problems.push(`${nsFrom}: ${JSON.stringify(ns)} is not a namespace name`);

  const metricsAddr = hostPort(pick('metricsAddr', '--metrics-addr'), OPERATOR_DEFAULTS.metricsAddr, problems);
  const healthAddr = hostPort(pick('healthAddr', '--health-addr'), OPERATOR_DEFAULTS.healthAddr, problems);
  // Every interface (0.0.0.0, ::) includes each single one: such a pair cannot both listen.
  const overlap = (a: HostPort, b: HostPort): boolean => a.host === b.host || [a.host, b.host].some((h) => h === '0.0.0.0' || h === '::');
  if (metricsAddr && healthAddr && metricsAddr.port !== 0 && metricsAddr.port === healthAddr.port && overlap(metricsAddr, healthAddr)) {
    const both = metricsAddr.host === healthAddr.host ? `both are ${metricsAddr.host}:${metricsAddr.port}` : `both use port ${metricsAddr.port} on overlapping interfaces (${metricsAddr.host}, ${healthAddr.host})`;
    problems.push(`--metrics-addr and --health-addr: ${both}; give them different ports`);
  }

  let leaderElect = false;
  if (flags.leaderElect === true) leaderElect = true;
  else {
    const raw = env[OPERATOR_ENV.leaderElect];
    if (raw !== undefined && raw !== '') {
      if (/^(true|1|yes)$/i.test(raw)) leaderElect = true;
      else if (!/^(false|0|no)$/i.test(raw)) problems.push(`${OPERATOR_ENV.leaderElect}: ${JSON.stringify(raw)} is not true or false`);
    }
  }
  const leNs = pick('leaderElectionNamespace', '--leader-election-namespace');
  const leaderElectionNamespace = leNs.value ?? inClusterNamespace ?? 'default';
  if (!DNS_LABEL.test(leaderElectionNamespace) || leaderElectionNamespace.length > 63) problems.push(`${leNs.from}: ${JSON.stringify(leaderElectionNamespace)} is not a namespace name`);

  const conc = pick('concurrency', '--concurrency');
  const concurrency = conc.value === undefined ? OPERATOR_DEFAULTS.concurrency : Number(conc.value);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) problems.push(`${conc.from}: ${JSON.stringify(conc.value)} is not a whole number from 1 to 256`);

  const sh = pick('shard', '--shard');
  let shard = { index: 0, count: 1 };
  if (sh.value !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(sh.value);
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) problems.push(`${sh.from}: ${JSON.stringify(sh.value)} is not I/N with 0 <= I < N (e.g. 0/3)`);
    else shard = { index: Number(m[1]), count: Number(m[2]) };
  }

  const lv = pick('logLevel', '--log-level');
  const logLevel = lv.value ?? OPERATOR_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`${lv.from}: ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);

  const kc = pick('kubeconfig', '--kubeconfig');
  if (problems.length > 0 || !metricsAddr || !healthAddr) return { ok: false, problems };
  return {
    ok: true,
    options: {
      ...(kc.value !== undefined ? { kubeconfig: kc.value } : {}),
      ...(prometheus.value !== undefined ? { prometheus: prometheus.value } : {}),
      allowedPrometheus: allowedPrometheus.length > 0 ? allowedPrometheus : prometheus.value !== undefined ? [prometheus.value] : [],
      namespaces,
      metricsAddr,
      healthAddr,
      leaderElect,
      leaderElectionNamespace,
      concurrency,
      shard,
      logLevel,
    },
  };
}

function checkUrl(value: string, from: string, problems: string[]): void {
  let u: URL | undefined;
  try {
    u = new URL(value);
  } catch {
    u = undefined;
  }
  // The value may carry a password: never echo it.
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) problems.push(`${from}: not an http(s) URL`);
}

/** `HOST:PORT` or `:PORT` (all interfaces); port 0 picks a free one. */
function hostPort(v: { value: string | undefined; from: string }, fallback: string, problems: string[]): HostPort | undefined {
  const raw = v.value ?? fallback;
  const m = /^(.*):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    problems.push(`${v.from}: ${JSON.stringify(raw)} is not HOST:PORT (e.g. :8080 or 127.0.0.1:8080)`);
    return undefined;
  }
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? '0.0.0.0' : host, port };
}
