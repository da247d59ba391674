/**
 * `prescale operator`: wires the informer, the work queue, the controller, leader election and the
 * HTTP endpoints, and shuts down cleanly on SIGTERM (passes in flight finish, the lease is
 * released, floors stay in place: they are given back on delete, DryRun or staleness).
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { errorMessage, invalidInput } from '../core/errors.js';
import { KubeClient } from '../actuate/kube.js';
import type { Logger } from '../telemetry/logger.js';
import { createOperatorMetrics } from '../telemetry/metrics.js';
import { type AllowedPrefix, allowedPrefix } from './allow-list.js';
import { ScalerController } from './controller.js';
import { EventRecorder } from './events.js';
import { ScalerInformer, shardOf } from './informer.js';
import { LeaderElector } from './leader.js';
import type { HostPort, OperatorOptions } from './options.js';
import { WorkQueue, resyncAtMs } from './queue.js';

/** Every scaler is revisited this often, whatever its plan says (the HPA controller's resync), each at its own offset. */
const RESYNC_MS = 5 * 60_000;

export interface OperatorDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Aborted to shut down (SIGTERM). */
  readonly shutdown: AbortSignal;
}

/** Loads the kubeconfig: the file given (flag or KUBECONFIG), else the in-cluster service account. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) {
    try {
      kc.loadFromFile(file);
    } catch (e) {
      // A wrong path or a broken file is bad input (exit 2), named like every other file.
      throw invalidInput(`kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e)}`, e);
    }
  } else kc.loadFromCluster();
  return kc;
}

export async function runOperator(o: OperatorOptions, deps: OperatorDeps): Promise<void> {
  const { clock, logger } = deps;
  const config = loadKubeConfig(o.kubeconfig);
  const kube = new KubeClient(config);
  const identity = `${hostname()}_${randomUUID().slice(0, 8)}`;
  const metrics = createOperatorMetrics();
  const events = new EventRecorder(kube, clock, logger, identity);
  const allowedPrometheus = o.allowedPrometheus.map((u) => allowedPrefix(u)).filter((p): p is AllowedPrefix => p !== undefined);
  const controller = new ScalerController({ kube, kubeConfig: config, clock, logger, metrics, events, allowedPrometheus, ...(o.prometheus ? { defaultPrometheus: o.prometheus } : {}) });
  const owned = (key: string): boolean => o.shard.count === 1 || shardOf(key, o.shard.count) === o.shard.index;
  // The queue runs passes only once started (after the informer below exists).
  const queue = new WorkQueue(clock, o.concurrency, (key, signal) => controller.pass(informer.get(key), key, signal), (key, e) => {
    metrics.errors.inc({ reason: 'Unexpected' });
    logger.error({ key, err: errorMessage(e) }, 'reconcile pass failed');
    queue.add(key, clock.now() + 60_000);
  }, (_key, lagMs) => metrics.schedulingLag.observe(lagMs / 1000));
  // Only what needs a pass: a new object, a new generation (spec), a deletion. The operator's own
  // status and finalizer writes change neither, so they do not wake it again.
  const seen = new Map<string, string>();
  const informer = new ScalerInformer(config, kube, clock, o.namespaces, {
    onChange: (key, obj) => {
      if (!owned(key)) return;
      const signature = obj ? `${obj.metadata.uid ?? ''}|${obj.metadata.generation ?? ''}|${obj.metadata.deletionTimestamp ?? ''}` : undefined;
      if (signature !== undefined && seen.get(key) === signature) return;
      if (signature === undefined) seen.delete(key);
      else seen.set(key, signature);
      queue.add(key);
    },
    onError: (message) => {
      metrics.errors.inc({ reason: 'WatchFailed' });
      logger.warn(message);
    },
  });
  const shardName = o.shard.count === 1 ? 'prescale-operator' : `prescale-operator-shard-${o.shard.index}-of-${o.shard.count}`;
  const elector = o.leaderElect ? new LeaderElector(kube, clock, { namespace: o.leaderElectionNamespace, name: shardName }, identity) : undefined;

  const health = await listen(o.healthAddr, (path) => {
    if (path === '/healthz') return elector && !elector.healthy() ? [500, 'leader lease not renewed\n'] : [200, 'ok\n'];
    if (path === '/readyz') return informer.synced ? [200, 'ok\n'] : [503, 'informer not synced\n'];
    return undefined;
  });
  const metricsServer = await listen(o.metricsAddr, async (path) => (path === '/metrics' ? [200, await metrics.registry.metrics(), metrics.registry.contentType] : undefined));
  logger.info({ identity, health: addressOf(health), metrics: addressOf(metricsServer), namespaces: o.namespaces.length > 0 ? o.namespaces : 'all', shard: `${o.shard.index}/${o.shard.count}`, leaderElect: o.leaderElect, server: kube.description }, 'prescale operator starting');

  await informer.start();
  const startWork = (): void => {
    metrics.leader.set(1);
    queue.start();
    for (const key of informer.keys()) if (owned(key)) queue.add(key);
  };
  // Each key at its own point of the period, not all at once: thousands of passes due at one
  // instant would each start late by the time the ones before them take.
  const resync = setInterval(() => {
    const now = clock.now();
    for (const key of informer.keys()) if (owned(key)) queue.add(key, resyncAtMs(key, now, RESYNC_MS));
  }, RESYNC_MS);

  let lost = false;
  if (elector) {
    metrics.leader.set(0);
    const electing = elector.run(
      {
        onStartedLeading: () => {
          logger.info({ lease: `${o.leaderElectionNamespace}/${shardName}`, identity }, 'leading: reconciling scalers');
          startWork();
        },
        onStoppedLeading: () => {
          lost = true;
          metrics.leader.set(0);
          logger.error({ lease: `${o.leaderElectionNamespace}/${shardName}` }, 'leadership lost: stopping');
        },
        onError: (message) => logger.warn(message),
      },
      deps.shutdown,
    );
    await Promise.race([electing, new Promise((resolve) => deps.shutdown.addEventListener('abort', resolve, { once: true }))]);
    // Stop writing before the lease is released, so two leaders never write at once.
    await queue.stop();
    await electing;
  } else {
    startWork();
    await new Promise((resolve) => deps.shutdown.addEventListener('abort', resolve, { once: true }));
    await queue.stop();
  }
  clearInterval(resync);
  metrics.leader.set(0);
  await informer.stop();
  await controller.stop();
  await Promise.all([close(health), close(metricsServer)]);
  logger.info('prescale operator stopped');
  if (lost) throw new Error('leadership lost');
}

type Handler = (path: string) => Promise<[number, string, string?] | undefined> | [number, string, string?] | undefined;

function listen(addr: HostPort, handle: Handler): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    Promise.resolve(handle(path))
      .then((r) => {
        if (!r) {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
          return;
        }
        res.writeHead(r[0], { 'Content-Type': r[2] ?? 'text/plain; charset=utf-8' }).end(r[1]);
      })
      .catch((e: unknown) => res.writeHead(500).end(`${errorMessage(e)}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening on ${addr.host}:${addr.port}: ${e.message}`)));
    server.listen(addr.port, addr.host, () => resolve(server));
  });
}

function addressOf(s: Server): string {
  const a = s.address();
  return typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a);
}

function close(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

