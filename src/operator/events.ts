/**
 * Kubernetes Events on a PredictiveScaler (core/v1, what `kubectl describe` shows): Normal on floor
 * changes, Warning on faults. Rate-limited per scaler and reason (a fault that lasts an hour is
 * one event every RATE_MS, not sixty), and best effort: an event that cannot be written is logged,
 * never a reason to fail a pass.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { type Kube, paths } from '../actuate/kube.js';
import type { Logger } from '../telemetry/logger.js';
import { microTime } from './leader.js';

/** At most one event per scaler and reason in this time. */
export const RATE_MS = 5 * 60_000;
/** Kubernetes caps an event message at 1 KiB. */
const MAX_MESSAGE = 1024;

interface Involved {
  apiVersion?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export class EventRecorder {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly kube: Kube,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly instance: string,
  ) {}

  normal(obj: Involved, reason: string, message: string): Promise<void> {
    return this.emit(obj, 'Normal', reason, message);
  }

  warn(obj: Involved, reason: string, message: string): Promise<void> {
    return this.emit(obj, 'Warning', reason, message);
  }

  private async emit(obj: Involved, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const key = `${ns}/${obj.metadata.name}/${reason}`;
    const now = this.clock.now();
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < RATE_MS) return;
    this.last.set(key, now);
    const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      await this.kube.request({
        method: 'POST',
        path: paths.events(ns),
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${obj.metadata.name}.`, namespace: ns },
          involvedObject: { apiVersion: obj.apiVersion ?? 'prescale.dev/v1alpha1', kind: 'PredictiveScaler', name: obj.metadata.name, namespace: ns, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion },
          type,
          reason,
          message: message.slice(0, MAX_MESSAGE),
          source: { component: 'prescale' },
          reportingComponent: 'prescale.dev/operator',
          reportingInstance: this.instance,
          firstTimestamp: time,
          lastTimestamp: time,
          eventTime: microTime(now),
          action: type === 'Normal' ? 'Scale' : 'Reconcile',
          count: 1,
        },
      });
    } catch (e) {
      this.logger.warn({ namespace: ns, name: obj.metadata.name, err: errorMessage(e) }, `event ${reason} not recorded`);
    }
  }
}
