/**
 * `prescale restore`: puts back the original minReplicas of every HPA that carries the
 * `prescale.dev/original-min-replicas` annotation (the way out when uninstalling). Each HPA is
 * restored on its own (merge patch with its resourceVersion); one failure does not stop the others.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { HpaFloorActuator, type HpaObject, ORIGINAL_MIN_ANNOTATION, shown } from '../actuate/hpa-floor.js';
import { type Kube, paths } from '../actuate/kube.js';

export interface RestoreResult {
  readonly restored: string[];
  readonly failed: Array<{ hpa: string; error: string }>;
}

interface HpaList {
  items?: Array<(HpaObject & { metadata?: { name?: string; namespace?: string } }) | null>;
}

export async function restoreAll(kube: Kube, clock: Clock, namespaces: readonly string[]): Promise<RestoreResult> {
  const restored: string[] = [];
  const failed: Array<{ hpa: string; error: string }> = [];
  for (const ns of namespaces.length > 0 ? namespaces : [undefined]) {
    let list: HpaList;
    try {
      list = await kube.request<HpaList>({ method: 'GET', path: paths.hpas(ns) });
    } catch (e) {
      // A namespace that cannot be listed fails alone, as one HPA does.
      failed.push({ hpa: `${ns ?? '*'}/*`, error: errorMessage(e) });
      continue;
    }
    // The answer is checked like any input: a list without items, or items that are not objects, are not HPAs to restore.
    if (typeof list !== 'object' || list === null || !Array.isArray(list.items ?? [])) {
      failed.push({ hpa: `${ns ?? '*'}/*`, error: `the API server answered the HPA list with ${shown(list)}` });
      continue;
    }
    for (const hpa of list.items ?? []) {
      if (typeof hpa !== 'object' || hpa === null) continue;
      const name = hpa.metadata?.name;
      const namespace = hpa.metadata?.namespace;
      if (typeof name !== 'string' || name === '' || typeof namespace !== 'string' || namespace === '' || hpa.metadata?.annotations?.[ORIGINAL_MIN_ANNOTATION] === undefined) continue;
      try {
        const r = await new HpaFloorActuator(kube, { namespace, name }, clock).restore();
        if (r.changed) restored.push(`${namespace}/${name} minReplicas ${r.replicas}`);
      } catch (e) {
        failed.push({ hpa: `${namespace}/${name}`, error: errorMessage(e) });
      }
    }
  }
  return { restored, failed };
}
