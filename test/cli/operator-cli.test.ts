/**
 * `prescale operator` and `prescale restore` as a user runs them: bad options exit 2 with one
 * `prescale: error:` line per problem, --help lists every flag with its environment variable, and
 * restore puts back every annotated HPA of a cluster (the in-process fake API server, reached over
 * real HTTP with the kubeconfig it writes).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ORIGINAL_MIN_ANNOTATION } from '../../src/actuate/hpa-floor.js';
import { OPERATOR_ENV } from '../../src/operator/options.js';
import { startFakeApiServer, type FakeApiServer, type KubeObject } from '../support/fake-apiserver.js';
import { linesOf, runCli, tempDir } from './run-cli.js';

const tmp = tempDir('operator');
after(() => tmp.remove());

/** `metricsAddr` -> `--metrics-addr`. */
const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The Options section of a commander help text: one entry per flag, continuation lines joined. */
function helpEntries(help: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const m = /^ {2}(?:-\w, )?(--[a-z-]+)\b(.*)$/.exec(line);
    if (m) {
      current = m[1]!;
      entries.set(current, m[2]!.trim());
    } else if (current && /^ {4,}\S/.test(line)) {
      entries.set(current, `${entries.get(current)} ${line.trim()}`);
    } else {
      current = undefined;
    }
  }
  return entries;
}

describe('prescale operator: options', { concurrency: 3 }, () => {
  test('--shard 3/2 --concurrency x exits 2 with one error line per problem and starts nothing', async () => {
    const r = await runCli(['operator', '--shard', '3/2', '--concurrency', 'x']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = linesOf(r.stderr);
    assert.equal(lines.length, 2, r.stderr);
    for (const line of lines) assert.match(line, /^prescale: error: /);
    assert.ok(lines.some((l) => l === 'prescale: error: --shard: "3/2" is not I/N with 0 <= I < N (e.g. 0/3)'), r.stderr);
    assert.ok(lines.some((l) => l === 'prescale: error: --concurrency: "x" is not a whole number from 1 to 256'), r.stderr);
  });

  test('a --prometheus URL with a password is not echoed in the error', async () => {
    const r = await runCli(['operator', '--prometheus', 'ftp://admin:hunter2-secret@prom:9090', '--log-level', 'chatty']);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(linesOf(r.stderr), ['prescale: error: --prometheus: not an http(s) URL', 'prescale: error: --log-level: "chatty" is not one of trace, debug, info, warn, error, fatal, silent']);
    assert.doesNotMatch(r.stderr + r.stdout, /hunter2|admin/);
  });

  test('--help exits 0 and lists every flag with its environment variable', async () => {
    const r = await runCli(['operator', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: prescale operator \[options\]/);
    const entries = helpEntries(r.stdout);
    const keys = Object.keys(OPERATOR_ENV);
    assert.equal(keys.length, 11);
    for (const key of keys) {
      const flag = flagOf(key);
      const text = entries.get(flag);
      assert.ok(text !== undefined, `${flag} missing from --help:\n${r.stdout}`);
      assert.ok(text.includes(`env ${OPERATOR_ENV[key as keyof typeof OPERATOR_ENV]}`), `${flag} does not name ${OPERATOR_ENV[key as keyof typeof OPERATOR_ENV]}: ${text}`);
    }
    assert.deepEqual([...entries.keys()].sort(), [...keys.map(flagOf), '--help'].sort(), 'no undocumented or unparsed flag');
  });
});

const hpa = (ns: string, name: string, min: number, original?: string): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace: ns, ...(original !== undefined ? { annotations: { [ORIGINAL_MIN_ANNOTATION]: original } } : {}) },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: min, maxReplicas: 20 },
});

/** A fresh fake API server (closed afterwards) and a kubeconfig for it. */
async function withCluster(name: string, fn: (api: FakeApiServer, kubeconfig: string) => Promise<void>): Promise<void> {
  const api = await startFakeApiServer();
  try {
    await fn(api, await api.writeKubeconfig(tmp.file(`${name}.kubeconfig`)));
  } finally {
    await api.close();
  }
}

const minOf = (api: FakeApiServer, ns: string, name: string): number => api.get('autoscaling/v2', 'HorizontalPodAutoscaler', ns, name)!.spec.minReplicas;
const annotationOf = (api: FakeApiServer, ns: string, name: string): string | undefined => api.get('autoscaling/v2', 'HorizontalPodAutoscaler', ns, name)!.metadata.annotations?.[ORIGINAL_MIN_ANNOTATION];

describe('prescale restore', { concurrency: 2 }, () => {
  test('without --namespace every annotated HPA gets its original back and loses the annotation; others are untouched', async () => {
    await withCluster('all', async (api, kubeconfig) => {
      api.create(hpa('shop', 'web', 8, '2'));
      api.create(hpa('other', 'web', 9, '3'));
      api.create(hpa('shop', 'plain', 4));
      const r = await runCli(['restore', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(linesOf(r.stdout), ['restored other/web minReplicas 3', 'restored shop/web minReplicas 2', 'prescale restore: 2 HPA(s) restored']);
      assert.equal(r.stderr, '');
      assert.equal(minOf(api, 'shop', 'web'), 2);
      assert.equal(annotationOf(api, 'shop', 'web'), undefined);
      assert.equal(minOf(api, 'other', 'web'), 3);
      assert.equal(annotationOf(api, 'other', 'web'), undefined);
      assert.equal(minOf(api, 'shop', 'plain'), 4);
      assert.equal(api.history('autoscaling/v2', 'HorizontalPodAutoscaler', 'shop', 'plain').length, 1, 'not written');
    });
  });

  test('--namespace restores only that namespace', async () => {
    await withCluster('namespace', async (api, kubeconfig) => {
      api.create(hpa('shop', 'web', 8, '2'));
      api.create(hpa('other', 'web', 9, '3'));
      const r = await runCli(['restore', '--kubeconfig', kubeconfig, '--namespace', 'other']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(linesOf(r.stdout), ['restored other/web minReplicas 3', 'prescale restore: 1 HPA(s) restored']);
      assert.equal(minOf(api, 'other', 'web'), 3);
      assert.equal(minOf(api, 'shop', 'web'), 8, 'another namespace is untouched');
      assert.equal(annotationOf(api, 'shop', 'web'), '2');
    });
  });

  test('one failure does not stop the rest: the others are restored, the failure named, exit 1', async () => {
    await withCluster('failure', async (api, kubeconfig) => {
      api.create(hpa('shop', 'broken', 6, 'abc'));
      api.create(hpa('team', 'api', 7, '1'));
      api.create(hpa('zoo', 'api', 5, '2'));
      const r = await runCli(['restore', '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(linesOf(r.stdout), ['restored team/api minReplicas 1', 'restored zoo/api minReplicas 2', 'prescale restore: 2 HPA(s) restored, 1 failed']);
      const err = linesOf(r.stderr);
      assert.equal(err.length, 1, r.stderr);
      assert.match(err[0]!, /^prescale: error: shop\/broken: HorizontalPodAutoscaler shop\/broken: annotation prescale\.dev\/original-min-replicas is "abc", not a decimal replica count; fix or remove it$/);
      assert.equal(minOf(api, 'shop', 'broken'), 6);
      assert.equal(minOf(api, 'team', 'api'), 1);
      assert.equal(minOf(api, 'zoo', 'api'), 2);
    });
  });

  test('a kubeconfig that does not exist is bad input: exit 2, one line naming it', async () => {
    const missing = tmp.file('no-such-kubeconfig');
    const r = await runCli(['restore', '--kubeconfig', missing]);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(linesOf(r.stderr), [`prescale: error: kubeconfig ${missing}: no such file`]);
  });
});
