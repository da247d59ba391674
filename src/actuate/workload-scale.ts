/**
 * The floor of a Deployment or StatefulSet without an HPA, through its scale subresource: replicas
 * are raised to the floor and never lowered because of the plan (whoever set them higher, a person
 * or a rollout, knows something the forecast does not). Merge patch with the resourceVersion read;
 * a 409 is re-read and retried with backoff. Restoring changes nothing.
 */
import type { Clock } from '../core/clock.js';
import type { Actuator, FloorDecision } from './actuator.js';
import { type TargetRefIn, type TargetState, readTarget } from './hpa-floor.js';
import { type Kube, MERGE_PATCH, paths, retryOnConflict, targetNotFound } from './kube.js';

interface ScaleObject {
  metadata?: { resourceVersion?: string };
  spec?: { replicas?: number };
}

export class WorkloadScaleActuator implements Actuator {
  readonly description: string;
  last: TargetState | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly kind: 'Deployment' | 'StatefulSet',
    private readonly ref: TargetRefIn,
    private readonly clock: Clock,
  ) {
    this.description = `${kind} ${ref.namespace}/${ref.name}`;
  }

  async apply(d: FloorDecision, signal?: AbortSignal): Promise<void> {
    const path = paths.scale(this.ref.namespace, this.kind, this.ref.name, this.ref.apiVersion);
    const opt = signal ? { signal } : {};
    this.last = await retryOnConflict(this.clock, signal, async (): Promise<TargetState> => {
      const scale = readTarget<ScaleObject>(
        await this.kube.request<unknown>({ method: 'GET', path, ...opt }).catch((e: unknown) => {
          throw targetNotFound(this.description, e);
        }),
        this.description,
        ['replicas'],
      );
      const current = scale.spec?.replicas ?? 0;
      if (d.restore || current >= d.floor) return { replicas: current, changed: false };
      await this.kube.request({ method: 'PATCH', path, contentType: MERGE_PATCH, body: { metadata: { resourceVersion: scale.metadata?.resourceVersion }, spec: { replicas: d.floor } }, ...opt });
      return { replicas: d.floor, changed: true };
    });
  }
}
