import { formatDuration } from '../core/duration.js';
import { loadScalerFile } from '../config/load.js';
import { LEAD_TIME_MIN_OBSERVATIONS } from '../plan/lead-time.js';

/** `prescale validate`: exit 0 with a summary when the spec is valid; every problem otherwise (exit 2). */
export async function runValidate(path: string, name: string | undefined, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): Promise<void> {
  const scaler = await loadScalerFile(path, { ...(name === undefined ? {} : { name }), onWarning: (line) => stderr.write(`prescale: ${line}\n`) });
  const s = scaler.spec;
  stdout.write(
    `${path}: ${scaler.namespace}/${scaler.name} is valid: ${s.mode} on ${s.target.kind}/${s.target.name}, ` +
      `replicas ${s.minReplicas}..${s.maxReplicas}, ${s.capacity.perReplica} per replica, ` +
      `model ${s.forecast.model} p${Math.round(s.forecast.quantile * 100)} over ${formatDuration(s.forecast.horizonMs)}, ` +
      `lead time ${s.plan.leadTimeAuto ? `auto (learned from the target's pods; ${formatDuration(s.plan.leadTimeMs)} until ${LEAD_TIME_MIN_OBSERVATIONS} start-ups are seen)` : formatDuration(s.plan.leadTimeMs)}\n`,
  );
}
