/**
 * Leader election on a Lease (src/operator/leader.ts) against the fake API server, on the system
 * clock with short timings (lease 900 ms, renew deadline 600 ms, retry 100 ms; the Lease records
 * ceil(900 ms) = 1 s): one leader of two, MicroTime timestamps, no takeover of a lease another
 * renews, takeover (with leaseTransitions + 1) once the record has not changed for its duration as
 * this candidate observed it, release on shutdown, and stepping down when renewals fail or hang.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import { LeaderElector, microTime, type LeaderTimings } from '../../../src/operator/leader.js';
import type { FakeApiServer, KubeObject } from '../../support/fake-apiserver.js';
import { pause, withKube, type KubeFixture } from './kube-fixture.js';

const TIMINGS: LeaderTimings = { leaseDurationMs: 900, renewDeadlineMs: 600, retryPeriodMs: 100 };
const LEASE = { namespace: 'prescale', name: 'prescale-operator' };
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const leaseOf = (api: FakeApiServer): KubeObject | undefined => api.get('coordination.k8s.io/v1', 'Lease', LEASE.namespace, LEASE.name);

/** One candidate, running until `stop()`; what its callbacks saw, with wall-clock times. */
interface Candidate {
  readonly elector: LeaderElector;
  readonly started: number[];
  readonly stopped: number[];
  readonly errors: string[];
  /** Resolves when run() returns. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

function candidate(k: KubeFixture, identity: string, timings = TIMINGS): Candidate {
  const elector = new LeaderElector(k.kube, systemClock, LEASE, identity, timings);
  const abort = new AbortController();
  const c = { elector, started: [] as number[], stopped: [] as number[], errors: [] as string[] };
  const done = elector.run(
    {
      onStartedLeading: () => c.started.push(Date.now()),
      onStoppedLeading: () => c.stopped.push(Date.now()),
      onError: (m) => c.errors.push(m),
    },
    abort.signal,
  );
  return {
    ...c,
    done,
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

/** A lease held by `holder`, as another process would have written it. */
function foreignLease(api: FakeApiServer, holder: string, spec: Record<string, unknown> = {}): KubeObject {
  return api.create({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { ...LEASE },
    spec: { holderIdentity: holder, leaseDurationSeconds: 1, acquireTime: '2001-01-01T00:00:00.000000Z', renewTime: '2001-01-01T00:00:00.000000Z', leaseTransitions: 3, ...spec },
  });
}

describe('LeaderElector timings', () => {
  test('the constructor refuses timings that break lease > renew deadline > 1.2 x retry period > 0', async () => {
    await withKube(async ({ kube }) => {
      const make = (t: LeaderTimings) => () => new LeaderElector(kube, systemClock, LEASE, 'me', t);
      const refused = (re: RegExp) => (e: unknown) => isPrescaleError(e, 'invalid-input') && re.test((e as Error).message);
      assert.throws(make({ leaseDurationMs: 400, renewDeadlineMs: 400, retryPeriodMs: 100 }), refused(/lease duration \(400 ms\) must be longer than the renew deadline \(400 ms\)/));
      assert.throws(make({ leaseDurationMs: 600, renewDeadlineMs: 120, retryPeriodMs: 100 }), refused(/renew deadline \(120 ms\) must be longer than 1\.2 x the retry period \(100 ms\)/));
      assert.throws(make({ leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 0 }), refused(/retry period must be > 0/));
      assert.throws(make({ leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: -5 }), refused(/retry period must be > 0/));
      assert.throws(make({ leaseDurationMs: NaN, renewDeadlineMs: 400, retryPeriodMs: 100 }), refused(/lease duration/));
      assert.doesNotThrow(make(TIMINGS));
      assert.doesNotThrow(() => new LeaderElector(kube, systemClock, LEASE, 'me'), 'the defaults 15 s / 10 s / 2 s are valid');
    });
  });

  test('microTime writes RFC 3339 with microseconds', () => {
    assert.equal(microTime(Date.parse('2025-03-01T12:34:56.789Z')), '2025-03-01T12:34:56.789000Z');
    assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  });
});

describe('LeaderElector against the API server', () => {
  test('of two candidates exactly one leads; the lease names it, with MicroTime timestamps', async () => {
    await withKube(async (k) => {
      // Both read "no lease" before either creates it: they race to create it.
      k.api.delayNext({ verb: 'get', resource: 'leases', ms: 150, count: 2 });
      // A longer renew deadline here: this test watches a leader renew for seconds, and must not
      // see it step down because a loaded machine made one renewal slow.
      const timings = { leaseDurationMs: 1900, renewDeadlineMs: 1500, retryPeriodMs: 100 };
      const a = candidate(k, 'pod-a', timings);
      const b = candidate(k, 'pod-b', timings);
      try {
        await k.api.waitFor(() => a.elector.isLeader || b.elector.isLeader, 3000, 'a leader');
        // Past the lease duration: the follower must still not have taken over.
        await pause(2300);
        const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
        assert.equal(leader.elector.isLeader, true);
        assert.equal(follower.elector.isLeader, false);
        assert.equal(leader.started.length, 1);
        assert.equal(follower.started.length, 0);
        assert.deepEqual([...a.stopped, ...b.stopped], []);
        assert.deepEqual([...a.errors, ...b.errors].filter((m) => /409|Conflict|AlreadyExists/.test(m)), [], 'losing a race (409) is not an error');
        assert.deepEqual(k.api.requests.filter((r) => r.method === 'POST').map((r) => r.status).sort(), [201, 409], 'both tried to create the lease; one lost');

        const lease = leaseOf(k.api)!;
        assert.equal(lease.spec.holderIdentity, leader.elector.identity);
        assert.equal(lease.spec.leaseDurationSeconds, 2, 'ceil(1900 ms) in whole seconds');
        assert.match(lease.spec.acquireTime, MICRO_TIME);
        assert.match(lease.spec.renewTime, MICRO_TIME);
        assert.ok(Math.abs(Date.parse(lease.spec.renewTime) - Date.now()) < 1900, `renewed within the lease duration, on the local clock: ${lease.spec.renewTime}`);
        assert.ok(Date.parse(lease.spec.renewTime) > Date.parse(lease.spec.acquireTime), 'renewals move renewTime, not acquireTime');
        assert.equal(lease.spec.leaseTransitions, 0);
        // Renewed about every retry period (100 ms) over the 2.3 s.
        const renewals = k.api.history('coordination.k8s.io/v1', 'Lease', LEASE.namespace, LEASE.name).length;
        assert.ok(renewals >= 6, `${renewals} versions of the lease`);
        assert.equal(leader.elector.healthy(), true);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });

  test('a lease another holder keeps renewing is never taken, however old its remote timestamps', async () => {
    await withKube(async (k) => {
      foreignLease(k.api, 'other');
      const renewer = setInterval(() => k.api.patch('coordination.k8s.io/v1', 'Lease', LEASE.namespace, LEASE.name, { spec: { renewTime: microTime(Date.now()) } }), 200);
      const c = candidate(k, 'pod-c');
      try {
        await pause(1800);
        assert.equal(c.elector.isLeader, false);
        assert.equal(c.started.length, 0);
        assert.equal(leaseOf(k.api)!.spec.holderIdentity, 'other');
      } finally {
        clearInterval(renewer);
        await c.stop();
      }
      assert.equal(leaseOf(k.api)!.spec.holderIdentity, 'other', 'a non-leader releases nothing');
    });
  });

  test('a lease nobody renews is taken only after its duration since this candidate saw it change; leaseTransitions + 1', async () => {
    await withKube(async (k) => {
      // Remote timestamps from 2001 (clock skew, or a dead holder): they must not make it expired at once.
      foreignLease(k.api, 'dead-pod');
      const t0 = Date.now();
      const c = candidate(k, 'pod-c');
      try {
        await k.api.waitFor(() => c.started.length > 0, 3000, 'the takeover');
        const waited = c.started[0]! - t0;
        assert.ok(waited >= 1000, `took over after ${waited} ms, before the 1 s lease duration had passed since it first saw the record`);
        assert.ok(waited < 2500, `took over after ${waited} ms`);
        const lease = leaseOf(k.api)!;
        assert.equal(lease.spec.holderIdentity, 'pod-c');
        assert.equal(lease.spec.leaseTransitions, 4);
        assert.match(lease.spec.acquireTime, MICRO_TIME);
        assert.ok(Date.parse(lease.spec.acquireTime) >= t0 + 900, 'a new acquireTime');
        // Renewals keep the transitions and the acquire time.
        await pause(300);
        assert.equal(leaseOf(k.api)!.spec.leaseTransitions, 4);
        assert.equal(leaseOf(k.api)!.spec.acquireTime, lease.spec.acquireTime);
      } finally {
        await c.stop();
      }
    });
  });

  test('a released lease (empty holder) is taken at once', async () => {
    await withKube(async (k) => {
      foreignLease(k.api, '', { leaseDurationSeconds: 1, renewTime: microTime(Date.now()) });
      const t0 = Date.now();
      const c = candidate(k, 'pod-c');
      try {
        await k.api.waitFor(() => c.started.length > 0, 2000, 'the takeover');
        assert.ok(c.started[0]! - t0 < 700, `took ${c.started[0]! - t0} ms, not waiting for the 1 s lease duration`);
        assert.equal(leaseOf(k.api)!.spec.leaseTransitions, 4);
      } finally {
        await c.stop();
      }
    });
  });

  test('stopping the leader releases the lease, so the other candidate takes over at once', async () => {
    await withKube(async (k) => {
      const a = candidate(k, 'pod-a');
      await k.api.waitFor(() => a.elector.isLeader, 2000, 'a leading');
      const b = candidate(k, 'pod-b');
      try {
        await pause(700);
        assert.equal(b.elector.isLeader, false);
        const stoppedAt = Date.now();
        await a.stop();
        assert.equal(a.elector.isLeader, false);
        assert.deepEqual(a.stopped, [], 'a voluntary release is not a lost leadership');
        const released = k.api.history('coordination.k8s.io/v1', 'Lease', LEASE.namespace, LEASE.name).find((v) => v.spec.holderIdentity === '');
        assert.ok(released, 'the lease was written with an empty holder');
        assert.equal(released.spec.leaseDurationSeconds, 1);

        await k.api.waitFor(() => b.started.length > 0, 2000, 'b taking over');
        const took = b.started[0]! - stoppedAt;
        assert.ok(took < 700, `b took over ${took} ms after the release, not after the 1 s lease duration`);
        assert.equal(leaseOf(k.api)!.spec.holderIdentity, 'pod-b');
        assert.equal(leaseOf(k.api)!.spec.leaseTransitions, 1);
      } finally {
        await b.stop();
      }
    });
  });

  test('stopping does not wait on an API server that does not answer the release', async () => {
    await withKube(async (k) => {
      const a = candidate(k, 'pod-a');
      await k.api.waitFor(() => a.elector.isLeader, 2000, 'a leading');
      // The next lease write (the release, or a last renewal) is held for 3 s.
      k.api.delayNext({ verb: 'update', resource: 'leases', ms: 3000 });
      const t0 = Date.now();
      await a.stop();
      const took = Date.now() - t0;
      assert.ok(took < 1500, `stop() took ${took} ms`);
      assert.equal(a.elector.isLeader, false);
    });
  });

  test('a leader whose renewals are refused steps down after the renew deadline and reports why', async () => {
    await withKube(async (k) => {
      const a = candidate(k, 'pod-a');
      try {
        await k.api.waitFor(() => a.elector.isLeader, 2000, 'a leading');
        await pause(200);
        const deniedAt = Date.now();
        k.api.deny({ verb: 'update', group: 'coordination.k8s.io', resource: 'leases' });
        await k.api.waitFor(() => a.stopped.length > 0, 2000, 'onStoppedLeading');
        const after = a.stopped[0]! - deniedAt;
        assert.ok(after >= 400 && after < 1200, `stepped down ${after} ms after the renewals began to fail (deadline 600 ms after the last renewal)`);
        assert.equal(a.elector.isLeader, false);
        assert.ok(a.errors.some((m) => m.startsWith('lease prescale/prescale-operator: ') && /403 Forbidden.*cannot update resource "leases"/.test(m)), a.errors.join('\n'));
        await a.done; // run() returns once leadership is lost
      } finally {
        await a.stop();
      }
    });
  });

  test('a leader whose renewals fail with 500s steps down after the renew deadline', async () => {
    await withKube(async (k) => {
      const a = candidate(k, 'pod-a');
      try {
        await k.api.waitFor(() => a.elector.isLeader, 2000, 'a leading');
        const failingAt = Date.now();
        k.api.failNext({ resource: 'leases', status: 500, count: 1000 });
        await k.api.waitFor(() => a.stopped.length > 0, 2000, 'onStoppedLeading');
        const after = a.stopped[0]! - failingAt;
        assert.ok(after >= 400 && after < 1200, `stepped down after ${after} ms`);
        assert.ok(a.errors.some((m) => /500 InternalError/.test(m)), a.errors.join('\n'));
      } finally {
        await a.stop();
      }
    });
  });

  test('a leader whose renewal hangs steps down by the renew deadline, before another can take over', async () => {
    await withKube(async (k) => {
      const a = candidate(k, 'pod-a');
      await k.api.waitFor(() => a.elector.isLeader, 2000, 'a leading');
      const b = candidate(k, 'pod-b');
      try {
        await pause(300);
        // The next renewal (a PUT) hangs for 3 s: a partitioned leader.
        k.api.delayNext({ verb: 'update', resource: 'leases', ms: 3000 });
        await k.api.waitFor(() => b.started.length > 0, 4000, 'b taking over');
        assert.ok(a.stopped.length > 0 && a.stopped[0]! <= b.started[0]!, `a must have stepped down before b leads (a stopped: ${a.stopped}, b started: ${b.started[0]})`);
        assert.equal(a.elector.isLeader, false);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });
});
