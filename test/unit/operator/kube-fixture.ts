/**
 * The fake API server (test/support/fake-apiserver.ts) with a real `KubeClient` built from the
 * kubeconfig it writes (real HTTP), and small object builders, for the operator's and the
 * actuators' unit tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/actuate/kube.js';
import { startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type KubeObject, type RecordedRequest } from '../../support/fake-apiserver.js';

export interface KubeFixture {
  readonly api: FakeApiServer;
  readonly config: KubeConfig;
  readonly kube: KubeClient;
  /** Path of the kubeconfig written for the server. */
  readonly kubeconfig: string;
}

/** Runs `fn` with a fresh fake API server and a client for it; both are closed afterwards. */
export async function withKube(fn: (k: KubeFixture) => Promise<void>, opts?: FakeApiServerOptions): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'prescale-kube-test-'));
  const api = await startFakeApiServer(opts);
  try {
    const kubeconfig = await api.writeKubeconfig(join(dir, 'kubeconfig'));
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    await fn({ api, config, kube: new KubeClient(config, 5_000), kubeconfig });
  } finally {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function hpa(namespace: string, name: string, spec: { minReplicas?: number; maxReplicas?: number } = {}, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 10, ...spec },
  };
}

export function deployment(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
    status: { replicas },
  };
}

export function scaler(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name, namespace },
    spec: { target: { kind: 'HorizontalPodAutoscaler', name: 'web' }, metric: { query: 'sum(rate(http_requests_total[1m]))' }, capacity: { perReplica: 50 }, maxReplicas: 20 },
  };
}

/** Requests whose method and path match (path: exact string, or a RegExp). */
export function requestsTo(api: FakeApiServer, method: string, path: string | RegExp): RecordedRequest[] {
  return api.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
}

/** Resolves after `ms` of wall-clock time. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
