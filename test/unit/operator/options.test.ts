/**
 * `prescale operator` options (src/operator/options.ts): flag, else environment variable, else
 * default; every problem reported at once; a Prometheus URL with a password never echoed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR_DEFAULTS, OPERATOR_ENV, parseOperatorOptions, type OperatorOptions, type RawOperatorFlags } from '../../../src/operator/options.js';

function ok(flags: RawOperatorFlags, env: Record<string, string | undefined> = {}, inCluster?: string): OperatorOptions {
  const r = parseOperatorOptions(flags, env, inCluster);
  if (!r.ok) assert.fail(`expected valid options, got problems:\n${r.problems.join('\n')}`);
  return r.options;
}

function problems(flags: RawOperatorFlags, env: Record<string, string | undefined> = {}): string[] {
  const r = parseOperatorOptions(flags, env);
  if (r.ok) assert.fail(`expected problems, got options ${JSON.stringify(r.options)}`);
  return r.problems;
}

describe('parseOperatorOptions: defaults', () => {
  test('nothing given: all namespaces, :8080 and :8081 on every interface, no leader election, concurrency 4, one shard, info', () => {
    const o = ok({});
    assert.deepEqual(o, {
      allowedPrometheus: [],
      namespaces: [],
      metricsAddr: { host: '0.0.0.0', port: 8080 },
      healthAddr: { host: '0.0.0.0', port: 8081 },
      leaderElect: false,
      leaderElectionNamespace: 'default',
      concurrency: OPERATOR_DEFAULTS.concurrency,
      shard: { index: 0, count: 1 },
      logLevel: 'info',
    });
    assert.equal('kubeconfig' in o, false);
    assert.equal('prometheus' in o, false);
  });

  test('the lease namespace defaults to the pod\'s namespace when running in a cluster', () => {
    assert.equal(ok({}, {}, 'prescale-system').leaderElectionNamespace, 'prescale-system');
    assert.equal(ok({ leaderElectionNamespace: 'leases' }, {}, 'prescale-system').leaderElectionNamespace, 'leases');
  });

  test('empty environment variables count as not set', () => {
    const env = Object.fromEntries(Object.values(OPERATOR_ENV).map((name) => [name, '']));
    const o = ok({}, env);
    assert.equal(o.concurrency, 4);
    assert.equal(o.logLevel, 'info');
    assert.deepEqual(o.namespaces, []);
    assert.equal(o.leaderElect, false);
    assert.equal(o.kubeconfig, undefined);
  });
});

describe('parseOperatorOptions: flags win over environment variables', () => {
  const env: Record<string, string> = {
    [OPERATOR_ENV.kubeconfig]: '/env/kubeconfig',
    [OPERATOR_ENV.prometheus]: 'http://env-prometheus:9090',
    [OPERATOR_ENV.namespace]: 'env-a, env-b',
    [OPERATOR_ENV.metricsAddr]: '127.0.0.1:7001',
    [OPERATOR_ENV.healthAddr]: '127.0.0.1:7002',
    [OPERATOR_ENV.leaderElect]: 'yes',
    [OPERATOR_ENV.leaderElectionNamespace]: 'env-leases',
    [OPERATOR_ENV.concurrency]: '7',
    [OPERATOR_ENV.shard]: '1/3',
    [OPERATOR_ENV.logLevel]: 'debug',
  };

  test('every environment variable is read when its flag is absent', () => {
    assert.deepEqual(ok({}, env), {
      kubeconfig: '/env/kubeconfig',
      prometheus: 'http://env-prometheus:9090',
      allowedPrometheus: ['http://env-prometheus:9090'],
      namespaces: ['env-a', 'env-b'],
      metricsAddr: { host: '127.0.0.1', port: 7001 },
      healthAddr: { host: '127.0.0.1', port: 7002 },
      leaderElect: true,
      leaderElectionNamespace: 'env-leases',
      concurrency: 7,
      shard: { index: 1, count: 3 },
      logLevel: 'debug',
    });
  });

  test('every flag given beats its environment variable', () => {
    const flags: RawOperatorFlags = {
      kubeconfig: '/flag/kubeconfig',
      prometheus: 'https://flag-prometheus',
      namespace: ['flag-ns'],
      metricsAddr: ':9001',
      healthAddr: '[::1]:9002',
      leaderElect: true,
      leaderElectionNamespace: 'flag-leases',
      concurrency: '2',
      shard: '0/2',
      logLevel: 'warn',
    };
    assert.deepEqual(ok(flags, { ...env, [OPERATOR_ENV.leaderElect]: 'false' }), {
      kubeconfig: '/flag/kubeconfig',
      prometheus: 'https://flag-prometheus',
      allowedPrometheus: ['https://flag-prometheus'],
      namespaces: ['flag-ns'],
      metricsAddr: { host: '0.0.0.0', port: 9001 },
      healthAddr: { host: '::1', port: 9002 },
      leaderElect: true,
      leaderElectionNamespace: 'flag-leases',
      concurrency: 2,
      shard: { index: 0, count: 2 },
      logLevel: 'warn',
    });
  });

  test('a bad environment value is not reported when the flag overrides it', () => {
    const o = ok({ concurrency: '3', shard: '0/1', logLevel: 'error' }, { [OPERATOR_ENV.concurrency]: 'lots', [OPERATOR_ENV.shard]: 'x', [OPERATOR_ENV.logLevel]: 'loud' });
    assert.equal(o.concurrency, 3);
    assert.equal(o.logLevel, 'error');
  });

  test('PRESCALE_LEADER_ELECT accepts true/1/yes and false/0/no in any case', () => {
    for (const v of ['true', 'TRUE', '1', 'Yes']) assert.equal(ok({}, { [OPERATOR_ENV.leaderElect]: v }).leaderElect, true, v);
    for (const v of ['false', 'False', '0', 'no']) assert.equal(ok({}, { [OPERATOR_ENV.leaderElect]: v }).leaderElect, false, v);
  });

  test('an empty --namespace list falls back to PRESCALE_NAMESPACES', () => {
    assert.deepEqual(ok({ namespace: [] }, { [OPERATOR_ENV.namespace]: 'a,,b ' }).namespaces, ['a', 'b']);
  });
});

describe('parseOperatorOptions: every problem listed at once, named by where it came from', () => {
  test('seven bad values give seven problems', () => {
    const p = problems(
      { shard: '3/2', concurrency: '0', metricsAddr: 'localhost', namespace: ['Shop_1'], logLevel: 'loud' },
      { [OPERATOR_ENV.healthAddr]: '1.2.3.4:99999', [OPERATOR_ENV.leaderElect]: 'maybe' },
    );
    assert.equal(p.length, 7, p.join('\n'));
    const expect = [
      /^--shard: "3\/2" is not I\/N/,
      /^--concurrency: "0" is not a whole number from 1 to 256$/,
      /^--metrics-addr: "localhost" is not HOST:PORT/,
      /^PRESCALE_HEALTH_ADDR: "1\.2\.3\.4:99999" is not HOST:PORT/,
      /^--namespace: "Shop_1" is not a namespace name$/,
      /^--log-level: "loud" is not one of trace, debug, info, warn, error, fatal, silent$/,
      /^PRESCALE_LEADER_ELECT: "maybe" is not true or false$/,
    ];
    for (const re of expect) assert.ok(p.some((line) => re.test(line)), `no problem matches ${re}:\n${p.join('\n')}`);
  });

  test('bad shards: N must be at least 1 and I below N, written I/N', () => {
    for (const shard of ['1/1', '0/0', '2', '-1/2', 'a/b', '1/2/3', ' 0/2']) {
      const p = problems({ shard });
      assert.equal(p.length, 1, `${shard}: ${p.join('\n')}`);
      assert.match(p[0]!, /^--shard: .* is not I\/N with 0 <= I < N/);
    }
    assert.deepEqual(ok({ shard: '2/3' }).shard, { index: 2, count: 3 });
  });

  test('concurrency must be a whole number from 1 to 256', () => {
    for (const concurrency of ['0', '257', '1.5', 'x', '-2']) assert.equal(problems({ concurrency }).length, 1, concurrency);
    assert.equal(ok({ concurrency: '1' }).concurrency, 1);
    assert.equal(ok({ concurrency: '256' }).concurrency, 256);
    assert.match(problems({}, { [OPERATOR_ENV.concurrency]: 'x' })[0]!, /^PRESCALE_CONCURRENCY: "x"/);
  });

  test('the same address for metrics and health is refused', () => {
    assert.match(problems({ metricsAddr: ':9000', healthAddr: ':9000' })[0]!, /^--metrics-addr and --health-addr: both are 0\.0\.0\.0:9000/);
    assert.equal(problems({ metricsAddr: '127.0.0.1:9000', healthAddr: '127.0.0.1:9000' }).length, 1);
    // Port 0 picks a free port for each: no clash.
    assert.equal(ok({ metricsAddr: '127.0.0.1:0', healthAddr: '127.0.0.1:0' }).metricsAddr.port, 0);
    // Different interfaces may share a port.
    assert.equal(ok({ metricsAddr: '127.0.0.1:9000', healthAddr: '127.0.0.2:9000' }).healthAddr.port, 9000);
  });

  test('a port on every interface clashes with the same port on one interface', () => {
    const p = problems({ metricsAddr: ':9000', healthAddr: '127.0.0.1:9000' });
    assert.equal(p.length, 1, p.join('\n'));
    assert.equal(p[0], '--metrics-addr and --health-addr: both use port 9000 on overlapping interfaces (0.0.0.0, 127.0.0.1); give them different ports');
    assert.equal(problems({ metricsAddr: '[::]:9000', healthAddr: '127.0.0.1:9000' }).length, 1);
  });

  test('namespace names must be DNS labels of at most 63 characters, from flags, env and the lease namespace', () => {
    assert.equal(problems({ namespace: ['ok', 'Not-OK', '-x', 'a'.repeat(64)] }).length, 3);
    assert.match(problems({}, { [OPERATOR_ENV.namespace]: 'good,bad.name' })[0]!, /^PRESCALE_NAMESPACES: "bad\.name" is not a namespace name$/);
    assert.match(problems({ leaderElectionNamespace: 'Leases' })[0]!, /^--leader-election-namespace: "Leases" is not a namespace name$/);
    assert.match(problems({}, { [OPERATOR_ENV.leaderElectionNamespace]: 'x'.repeat(64) })[0]!, /^PRESCALE_LEADER_ELECTION_NAMESPACE: /);
    assert.equal(ok({ namespace: ['a'.repeat(63)] }).namespaces[0]!.length, 63);
  });

  test('--prometheus must be an http(s) URL', () => {
    assert.match(problems({ prometheus: 'prometheus:9090' })[0]!, /^--prometheus: not an http\(s\) URL$/);
    assert.match(problems({}, { [OPERATOR_ENV.prometheus]: 'ftp://host' })[0]!, /^PRESCALE_PROMETHEUS: not an http\(s\) URL$/);
  });

  test('a --prometheus URL with a password is never echoed in a problem, valid or not', () => {
    for (const prometheus of ['ftp://admin:hunter2-secret@prom:9090', 'http://admin:hunter2-secret@prom:bad-port', 'admin:hunter2-secret@prom']) {
      const p = problems({ prometheus, concurrency: 'x' });
      assert.equal(p.length, 2, p.join('\n'));
      for (const line of p) {
        assert.doesNotMatch(line, /hunter2/, line);
        assert.doesNotMatch(line, /admin/, line);
      }
    }
    // A valid URL keeps its userinfo in the options (the operator needs it), but problems elsewhere do not show it.
    assert.equal(ok({ prometheus: 'https://admin:hunter2-secret@prom' }).prometheus, 'https://admin:hunter2-secret@prom');
    for (const line of problems({ prometheus: 'https://admin:hunter2-secret@prom', shard: '9/1' })) assert.doesNotMatch(line, /hunter2/);
  });
});

test('a namespace given twice is watched once', () => {
  const r = parseOperatorOptions({ namespace: ['shop', 'web', 'shop'] }, {});
  assert.ok(r.ok);
  assert.deepEqual(r.options.namespaces, ['shop', 'web']);
  const e = parseOperatorOptions({}, { PRESCALE_NAMESPACES: 'a, b,a' });
  assert.ok(e.ok);
  assert.deepEqual(e.options.namespaces, ['a', 'b']);
});

test('the Prometheus allow-list: only --prometheus by default, else the given prefixes (flag over env), each checked', () => {
  const d = parseOperatorOptions({ prometheus: 'http://prom:9090' }, {});
  assert.ok(d.ok);
  assert.deepEqual(d.options.allowedPrometheus, ['http://prom:9090']);
  const f = parseOperatorOptions({ allowedPrometheus: ['http://a:9090', 'https://b/prom'] }, { PRESCALE_ALLOWED_PROMETHEUS: 'http://c:1' });
  assert.ok(f.ok);
  assert.deepEqual(f.options.allowedPrometheus, ['http://a:9090', 'https://b/prom']);
  const e = parseOperatorOptions({}, { PRESCALE_ALLOWED_PROMETHEUS: 'http://c:1, ftp://x' });
  assert.ok(!e.ok);
  assert.deepEqual(e.problems, ['PRESCALE_ALLOWED_PROMETHEUS: not an http(s) URL']);
});
