/**
 * The operator's Prometheus metrics (prom-client), in a registry of their own: each process (and
 * each test) builds one, so nothing is shared through module state (docs/architecture.md, "Habits": no module state).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  readonly registry: Registry;
  /** The floor in force (minReplicas written, or planned in DryRun). */
  readonly floor: Gauge<'namespace' | 'name'>;
  /** Forecast of load at now: the mean and the planning quantile (`quantile` "mean" or e.g. "0.9"). */
  readonly forecastLoad: Gauge<'namespace' | 'name' | 'quantile'>;
  /** The last observed load. */
  readonly load: Gauge<'namespace' | 'name'>;
  readonly reconcileDuration: Histogram;
  /** Writes to targets: `changed`, `unchanged`, `restored`, `failed`, `dry-run`. */
  readonly actuations: Counter<'result'>;
  /** Faults by reason (the status condition reasons: MetricsUnavailable, Forbidden, ...). */
  readonly errors: Counter<'reason'>;
  readonly prometheusDuration: Histogram;
  /** HTTP requests sent to Prometheus: every query_range chunk and every retry. */
  readonly prometheusRequests: Counter;
  /** How late a pass started: when it ran minus when it was due (its plan's next change or refit, a resync, a watch event). */
  readonly schedulingLag: Histogram;
  /** 1 while this process holds its lease (or runs without leader election). */
  readonly leader: Gauge;
  /** The scaler's spec.maxReplicas (alerts compare the floor with it). */
  readonly maxReplicas: Gauge<'namespace' | 'name'>;
  /** The last day's forecast error (`measure` smape or mase), as in status. */
  readonly forecastError: Gauge<'namespace' | 'name' | 'measure'>;
  /** When history was last read successfully, seconds since the epoch (staleness alerts). */
  readonly lastData: Gauge<'namespace' | 'name'>;
  /** The lead time the plan in force was built with, seconds (plan.leadTime, or learned with auto). */
  readonly leadTime: Gauge<'namespace' | 'name'>;
}

export function createOperatorMetrics(opts: { processMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'prescale_' });
  const registers = [registry];
  return {
    registry,
    floor: new Gauge({ name: 'prescale_floor_replicas', help: 'Replica floor in force (written to the target, or planned in DryRun)', labelNames: ['namespace', 'name'], registers }),
    forecastLoad: new Gauge({ name: 'prescale_forecast_load', help: 'Forecast load at now, by quantile ("mean" for the mean forecast)', labelNames: ['namespace', 'name', 'quantile'], registers }),
    load: new Gauge({ name: 'prescale_load', help: 'Last observed load (the scaler query)', labelNames: ['namespace', 'name'], registers }),
    reconcileDuration: new Histogram({ name: 'prescale_reconcile_duration_seconds', help: 'Duration of one reconcile pass', buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
    actuations: new Counter({ name: 'prescale_actuations_total', help: 'Floor applications by result', labelNames: ['result'], registers }),
    errors: new Counter({ name: 'prescale_errors_total', help: 'Faults by reason', labelNames: ['reason'], registers }),
    prometheusDuration: new Histogram({ name: 'prescale_prometheus_request_duration_seconds', help: 'Duration of history reads from Prometheus', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
    prometheusRequests: new Counter({ name: 'prescale_prometheus_requests_total', help: 'HTTP requests sent to Prometheus (every query_range chunk and retry)', registers }),
    schedulingLag: new Histogram({
      name: 'prescale_scheduling_lag_seconds',
      help: 'When a scaler pass started minus when it was due',
      // Fine around the 5 s objective; up to 10 minutes for a start-up or a backlog.
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
      registers,
    }),
    leader: new Gauge({ name: 'prescale_leader', help: '1 while this process is the leader of its shard', registers }),
    maxReplicas: new Gauge({ name: 'prescale_max_replicas', help: "The scaler's spec.maxReplicas", labelNames: ['namespace', 'name'], registers }),
    forecastError: new Gauge({ name: 'prescale_forecast_error', help: "The last day's forecast error: measure smape (percent) or mase", labelNames: ['namespace', 'name', 'measure'], registers }),
    lastData: new Gauge({ name: 'prescale_last_data_timestamp_seconds', help: 'When history was last read successfully (seconds since the epoch)', labelNames: ['namespace', 'name'], registers }),
    leadTime: new Gauge({ name: 'prescale_lead_time_seconds', help: "The lead time of the plan in force (plan.leadTime, or learned from the target's pod start-ups with auto)", labelNames: ['namespace', 'name'], registers }),
  };
}
