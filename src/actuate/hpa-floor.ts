/**
 * The floor under an HPA: `spec.minReplicas`, written with a JSON merge patch that carries the
 * resourceVersion it read (a 409 is re-read and retried with backoff).
 *
 * Before its first change the HPA's own minReplicas is recorded in the annotation
 * `prescale.dev/original-min-replicas` (a decimal string), in the same patch as the change, so the
 * original is never lost: a later pass, a restarted operator or `prescale restore` reads it back.
 * The floor written is never below that original and never above the HPA's maxReplicas.
 * Restoring writes the original back and removes the annotation, again in one patch.
 */
import type { Clock } from '../core/clock.js';
import { PrescaleError } from '../core/errors.js';
import type { Actuator, FloorDecision } from './actuator.js';
import { type Kube, MERGE_PATCH, paths, retryOnConflict, targetNotFound } from './kube.js';

export const ORIGINAL_MIN_ANNOTATION = 'prescale.dev/original-min-replicas';


export interface HpaObject {
  metadata?: { resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { minReplicas?: number; maxReplicas?: number };
}

/** What the target holds after an apply (for status and metrics). */
export interface TargetState {
  /** minReplicas (HPA) or replicas (workload) after the apply. */
  readonly replicas: number;
  /** The HPA's own minReplicas, when recorded. */
  readonly original?: number;
  /** Why the written floor differs from the decided one, if it does. */
  readonly clampedBy?: 'original-min-replicas' | 'hpa-max-replicas';
  readonly changed: boolean;
}

export interface TargetRefIn {
  readonly namespace: string;
  readonly name: string;
  readonly apiVersion?: string;
}

/** The recorded original, or undefined; a value that is not a decimal count is refused (never guessed). */
export function originalOf(hpa: HpaObject, where: string): number | undefined {
  const raw: unknown = hpa.metadata?.annotations?.[ORIGINAL_MIN_ANNOTATION];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,10}$/.test(raw) || Number(raw) > MAX_REPLICAS) throw new PrescaleError('invalid-input', `${where}: annotation ${ORIGINAL_MIN_ANNOTATION} is ${shown(raw)}, not a decimal replica count; fix or remove it`);
  return Number(raw);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Replica counts are int32 in the Kubernetes API. */
const MAX_REPLICAS = 2_147_483_647;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_REPLICAS;
/** A value for a message: JSON, at most 60 characters. */
export const shown = (v: unknown): string => {
  const text = v === undefined ? 'nothing' : (JSON.stringify(v) ?? typeof v);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
};

/**
 * The API server's answer for an object read back as the fields a target actuator uses, checked:
 * an answer that is not an object (an empty 200 body) is `transient`, a field of the wrong type
 * (`spec.minReplicas: ""`) is refused naming it, never written back as NaN or null.
 */
export function readTarget<T extends { metadata?: { resourceVersion?: string } }>(raw: unknown, where: string, counts: readonly string[]): T {
  if (!isObject(raw)) throw new PrescaleError('transient', `${where}: the API server answered with ${shown(raw)}, not an object`);
  const bad = (field: string, v: unknown): PrescaleError => new PrescaleError('invalid-input', `${where}: ${field} is ${shown(v)}, not ${field.endsWith('Replicas') || field.endsWith('replicas') ? 'a replica count' : 'of its API type'}`);
  const { metadata, spec } = raw;
  if (metadata !== undefined && !isObject(metadata)) throw bad('metadata', metadata);
  if (metadata?.resourceVersion !== undefined && typeof metadata.resourceVersion !== 'string') throw bad('metadata.resourceVersion', metadata.resourceVersion);
  if (metadata?.annotations !== undefined && metadata.annotations !== null && !isObject(metadata.annotations)) throw bad('metadata.annotations', metadata.annotations);
  if (spec !== undefined && !isObject(spec)) throw bad('spec', spec);
  for (const k of counts) {
    // null is how JSON says "not set": the field's default applies, as when it is absent.
    if (spec?.[k] === null) delete spec[k];
    if (spec?.[k] !== undefined && !isCount(spec[k])) throw bad(`spec.${k}`, spec[k]);
  }
  return raw as T;
}

/** An HPA as readTarget checks it: minReplicas and maxReplicas are counts when present. */
export const readHpa = (raw: unknown, where: string): HpaObject => readTarget<HpaObject>(raw, where, ['minReplicas', 'maxReplicas']);

export class HpaFloorActuator implements Actuator {
  readonly description: string;
  /** The target after the last successful apply. */
  last: TargetState | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly ref: TargetRefIn,
    private readonly clock: Clock,
  ) {
    this.description = `HorizontalPodAutoscaler ${ref.namespace}/${ref.name}`;
  }

  async apply(d: FloorDecision, signal?: AbortSignal): Promise<void> {
    this.last = d.restore ? await this.restore(signal) : await this.setFloor(d.floor, signal);
  }

  /** Puts the recorded original back and removes the annotation; nothing when there is none. */
  async restore(signal?: AbortSignal): Promise<TargetState> {
    return this.readModifyWrite(signal, (hpa, original) => {
      const min = hpa.spec?.minReplicas ?? 1;
      if (original === undefined) return { state: { replicas: min, changed: false } };
      return {
        patch: { spec: { minReplicas: original }, metadata: { annotations: { [ORIGINAL_MIN_ANNOTATION]: null } } },
        state: { replicas: original, changed: true },
      };
    });
  }

  private setFloor(floor: number, signal?: AbortSignal): Promise<TargetState> {
    return this.readModifyWrite(signal, (hpa, recorded) => {
      const original = recorded ?? hpa.spec?.minReplicas ?? 1;
      const max = hpa.spec?.maxReplicas ?? Infinity;
      const want = Math.max(original, Math.min(floor, max));
      const clampedBy = want > floor ? ('original-min-replicas' as const) : want < floor ? ('hpa-max-replicas' as const) : undefined;
      const state = { replicas: want, original, changed: false, ...(clampedBy ? { clampedBy } : {}) };
      if (recorded !== undefined && hpa.spec?.minReplicas === want) return { state };
      return {
        patch: { spec: { minReplicas: want }, ...(recorded === undefined ? { metadata: { annotations: { [ORIGINAL_MIN_ANNOTATION]: String(original) } } } : {}) },
        state: { ...state, changed: hpa.spec?.minReplicas !== want },
      };
    });
  }

  /** GET, decide, merge-patch with the resourceVersion read; a 409 re-reads and tries again. */
  private readModifyWrite(
    signal: AbortSignal | undefined,
    decide: (hpa: HpaObject, original: number | undefined) => { patch?: { metadata?: object; spec?: object }; state: TargetState },
  ): Promise<TargetState> {
    const path = paths.hpa(this.ref.namespace, this.ref.name, this.ref.apiVersion);
    const opt = signal ? { signal } : {};
    return retryOnConflict(this.clock, signal, async () => {
      const hpa = readHpa(
        await this.kube.request<unknown>({ method: 'GET', path, ...opt }).catch((e: unknown) => {
          throw targetNotFound(this.description, e);
        }),
        this.description,
      );
      const { patch, state } = decide(hpa, originalOf(hpa, this.description));
      if (!patch) return state;
      const body = { ...patch, metadata: { ...patch.metadata, resourceVersion: hpa.metadata?.resourceVersion } };
      await this.kube.request({ method: 'PATCH', path, body, contentType: MERGE_PATCH, ...opt });
      return state;
    });
  }
}
