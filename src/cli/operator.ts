/**
 * `prescale operator` and `prescale restore`: command-line handling only; the work is in
 * src/operator/.
 */
import { systemClock } from '../core/clock.js';
import { invalidInput } from '../core/errors.js';
import { readFileSync } from 'node:fs';
import { KubeClient } from '../actuate/kube.js';
import { OPERATOR_ENV, parseOperatorOptions, type RawOperatorFlags } from '../operator/options.js';
import { restoreAll } from '../operator/restore.js';
import { createLogger } from '../telemetry/logger.js';

/**
 * src/operator/run.ts brings @kubernetes/client-node, about 3 s to load: imported when a command
 * needs it, so that the other commands (and bad options) do not wait for it.
 */
const operatorRuntime = (): Promise<typeof import('../operator/run.js')> => import('../operator/run.js');

/** The service account's namespace when running in a pod (the default lease namespace). */
function inClusterNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function runOperatorCommand(flags: RawOperatorFlags): Promise<void> {
  const parsed = parseOperatorOptions(flags, process.env, inClusterNamespace());
  if (!parsed.ok) throw invalidInput(parsed.problems.join('\n'));
  const o = parsed.options;
  const logger = createLogger({ level: o.logLevel, name: 'prescale-operator' });
  const { runOperator } = await operatorRuntime();
  const shutdown = new AbortController();
  const stop = (signal: string): void => {
    if (shutdown.signal.aborted) return;
    logger.info({ signal }, 'shutting down: finishing passes in flight');
    shutdown.abort();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await runOperator(o, { clock: systemClock, logger, shutdown: shutdown.signal });
}

export async function runRestoreCommand(flags: { kubeconfig?: string; namespace?: string[] }, out: NodeJS.WritableStream): Promise<void> {
  const file = flags.kubeconfig ?? (process.env[OPERATOR_ENV.kubeconfig] || undefined);
  const { loadKubeConfig } = await operatorRuntime();
  const kube = new KubeClient(loadKubeConfig(file));
  const r = await restoreAll(kube, systemClock, flags.namespace ?? []);
  for (const line of r.restored) out.write(`restored ${line}\n`);
  out.write(`prescale restore: ${r.restored.length} HPA(s) restored${r.failed.length > 0 ? `, ${r.failed.length} failed` : ''}\n`);
  if (r.failed.length > 0) throw new Error(r.failed.map((f) => `${f.hpa}: ${f.error}`).join('; '));
}
