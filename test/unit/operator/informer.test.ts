/**
 * The PredictiveScaler informer (src/operator/informer.ts) against the fake API server: list, then
 * watch from the list's resourceVersion; restarts after abrupt cuts (also half an event line) and
 * relists after a 410; per-namespace mode sees only its namespaces; the restart backoff doubles
 * while reconnecting fails, starts over after a healthy while and is cancelled by stop().
 * `shardOf` is FNV-1a: stable and even.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { ScalerInformer, keyOf, shardOf } from '../../../src/operator/informer.js';
import { pause, requestsTo, scaler, withKube, type KubeFixture } from './kube-fixture.js';

const PS = 'prescale.dev/v1alpha1';
const ALL = '/apis/prescale.dev/v1alpha1/predictivescalers';

/** The system clock, except that restart backoffs are recorded (and whether they ended) and slept for at most `maxRealMs`, and the test can move `now` ahead. */
class BackoffClock implements Clock {
  offsetMs = 0;
  readonly sleeps: Array<{ ms: number; signal?: AbortSignal; settled: boolean }> = [];
  constructor(private readonly maxRealMs = 20) {}
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const entry = { ms, ...(signal ? { signal } : {}), settled: false };
    this.sleeps.push(entry);
    const p = systemClock.sleep(Math.min(ms, this.maxRealMs), signal);
    p.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
    return p;
  }
}

interface Started {
  informer: ScalerInformer;
  changes: string[];
  errors: string[];
  clock: BackoffClock;
}

async function withInformer(k: KubeFixture, namespaces: string[], fn: (s: Started) => Promise<void>, opts: { awaitStart?: boolean } = {}): Promise<void> {
  const clock = new BackoffClock();
  const changes: string[] = [];
  const errors: string[] = [];
  const informer = new ScalerInformer(k.config, k.kube, clock, namespaces, { onChange: (key) => changes.push(key), onError: (m) => errors.push(m) });
  try {
    if (opts.awaitStart !== false) await informer.start();
    await fn({ informer, changes, errors, clock });
  } finally {
    await informer.stop();
  }
}

const lists = (k: KubeFixture, path = ALL) => requestsTo(k.api, 'GET', path).filter((r) => r.query.watch === undefined);
const watches = (k: KubeFixture, path = ALL) => requestsTo(k.api, 'GET', path).filter((r) => r.query.watch === 'true');
const seen = (changes: string[], key: string) => () => changes.includes(key);

describe('ScalerInformer', () => {
  test('lists, then watches from the list\'s resourceVersion; synced only after the first list; live adds, updates and deletes', async () => {
    await withKube(async (k) => {
      k.api.create(scaler('shop', 'a'));
      k.api.create(scaler('shop', 'b'));
      k.api.delayNext({ verb: 'list', resource: 'predictivescalers', ms: 300 });
      await withInformer(
        k,
        [],
        async ({ informer, changes }) => {
          const starting = informer.start();
          await pause(100);
          assert.equal(informer.synced, false, 'not synced while the list is pending');
          const listRv = k.api.resourceVersion;
          await starting;
          await k.api.waitFor(() => informer.synced, 2000, 'synced');
          assert.deepEqual([...changes].sort(), ['shop/a', 'shop/b']);
          assert.deepEqual(informer.keys().sort(), ['shop/a', 'shop/b']);
          assert.equal(informer.get('shop/a')?.metadata.name, 'a');
          assert.equal(informer.get('shop/zz'), undefined);

          await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
          assert.equal(lists(k).length, 1);
          assert.equal(watches(k).length, 1);
          assert.equal(watches(k)[0]!.query.resourceVersion, listRv, 'watches from the resourceVersion of its list');

          changes.length = 0;
          k.api.create(scaler('other', 'c'));
          k.api.patch(PS, 'PredictiveScaler', 'shop', 'a', { spec: { maxReplicas: 30 } });
          k.api.delete(PS, 'PredictiveScaler', 'shop', 'b');
          await k.api.waitFor(() => changes.length === 3, 2000, 'three changes');
          assert.deepEqual(changes, ['other/c', 'shop/a', 'shop/b']);
          assert.equal(informer.get('shop/a')?.spec && (informer.get('shop/a')!.spec as { maxReplicas: number }).maxReplicas, 30);
          assert.equal(informer.get('shop/b'), undefined);
          assert.deepEqual(informer.keys().sort(), ['other/c', 'shop/a']);
        },
        { awaitStart: false },
      );
    });
  });

  for (const cut of [{ name: 'an abrupt cut', opts: {} }, { name: 'a cut in the middle of an event line', opts: { midEvent: true } }]) {
    test(`after ${cut.name} it restarts from its resourceVersion and keeps delivering changes`, async () => {
      await withKube(async (k) => {
        k.api.create(scaler('shop', 'a'));
        await withInformer(k, [], async ({ informer, changes, errors, clock }) => {
          await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
          assert.equal(k.api.cutWatches(cut.opts), 1);
          // Made while no watch is open: replayed from the resourceVersion on the re-watch.
          k.api.create(scaler('shop', 'during-the-gap'));
          await k.api.waitFor(seen(changes, 'shop/during-the-gap'), 3000, 'the change made during the gap');
          await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the new watch');
          k.api.create(scaler('shop', 'after'));
          await k.api.waitFor(seen(changes, 'shop/after'), 3000, 'the change after the restart');

          assert.equal(lists(k).length, 1, 'resumed without a relist');
          assert.equal(errors.length, 1, errors.join('\n'));
          assert.match(errors[0]!, /^watching PredictiveScalers failed \(.+\); restarting in 500 ms$/);
          assert.deepEqual(clock.sleeps.map((s) => s.ms), [500]);
          assert.deepEqual(informer.keys().sort(), ['shop/a', 'shop/after', 'shop/during-the-gap']);
          assert.equal(changes.filter((c) => c === 'shop/a').length, 1, 'no spurious change for an object that did not change');
        });
      });
    });
  }

  test('after a compaction the re-watch gets 410 Expired and it relists, finding adds and deletes made meanwhile', async () => {
    await withKube(async (k) => {
      k.api.create(scaler('shop', 'a'));
      k.api.create(scaler('shop', 'b'));
      await withInformer(k, [], async ({ informer, changes }) => {
        await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
        const rv = watches(k)[0]!.query.resourceVersion;
        k.api.cutWatches();
        k.api.delete(PS, 'PredictiveScaler', 'shop', 'b');
        k.api.create(scaler('shop', 'c'));
        k.api.compact();
        changes.length = 0;
        await k.api.waitFor(() => changes.includes('shop/b') && changes.includes('shop/c'), 3000, 'the relist');
        assert.equal(lists(k).length, 2, 'relisted');
        assert.ok(watches(k).some((w) => w.query.resourceVersion === rv && w.status === 200), 'the re-watch from the old resourceVersion (answered with an ERROR 410 event)');
        assert.equal(informer.get('shop/b'), undefined);
        assert.deepEqual(informer.keys().sort(), ['shop/a', 'shop/c']);
        assert.equal(informer.synced, true);

        await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch after the relist');
        k.api.create(scaler('shop', 'd'));
        await k.api.waitFor(seen(changes, 'shop/d'), 3000, 'a change after the relist');
      });
    });
  });

  test('a clean end of the watch (server timeout) resumes at once without an error', async () => {
    await withKube(async (k) => {
      await withInformer(k, [], async ({ changes, errors, clock }) => {
        await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
        k.api.cutWatches({ clean: true });
        k.api.create(scaler('shop', 'x'));
        await k.api.waitFor(seen(changes, 'shop/x'), 3000, 'the change');
        assert.deepEqual(errors, []);
        assert.deepEqual(clock.sleeps, []);
      });
    });
  });

  test('per-namespace mode lists and watches only its namespaces and never sees the others', async () => {
    await withKube(async (k) => {
      for (const ns of ['a', 'b', 'c']) k.api.create(scaler(ns, 'web'));
      await withInformer(k, ['a', 'b'], async ({ informer, changes }) => {
        await k.api.waitFor(() => informer.synced, 2000, 'synced');
        assert.deepEqual([...changes].sort(), ['a/web', 'b/web']);
        assert.deepEqual(informer.keys().sort(), ['a/web', 'b/web']);
        assert.equal(informer.get('c/web'), undefined);
        await k.api.waitFor(() => k.api.openWatches === 2, 2000, 'two watches');

        k.api.create(scaler('c', 'hidden'));
        k.api.create(scaler('b', 'marker'));
        await k.api.waitFor(seen(changes, 'b/marker'), 2000, 'the marker');
        assert.equal(changes.includes('c/hidden'), false);
        const paths = new Set(k.api.requests.filter((r) => r.path.includes('predictivescalers')).map((r) => r.path));
        assert.deepEqual([...paths].sort(), ['/apis/prescale.dev/v1alpha1/namespaces/a/predictivescalers', '/apis/prescale.dev/v1alpha1/namespaces/b/predictivescalers']);
      });
    });
  });

  test('synced waits for every namespace\'s list', async () => {
    await withKube(async (k) => {
      k.api.delayNext({ verb: 'list', resource: 'predictivescalers', namespace: 'b', ms: 400 });
      await withInformer(
        k,
        ['a', 'b'],
        async ({ informer }) => {
          const starting = informer.start();
          await k.api.waitFor(() => lists(k, '/apis/prescale.dev/v1alpha1/namespaces/a/predictivescalers').some((r) => r.status === 200), 2000, 'the list of a');
          await pause(50);
          assert.equal(informer.synced, false);
          await starting;
          await k.api.waitFor(() => informer.synced, 2000, 'synced');
        },
        { awaitStart: false },
      );
    });
  });

  test('the restart backoff doubles while reconnecting fails, up to 30 s, and starts over after a healthy while', async () => {
    await withKube(async (k) => {
      await withInformer(k, [], async ({ changes, clock }) => {
        await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
        const rule = { verb: 'watch' as const, group: 'prescale.dev', resource: 'predictivescalers' };
        k.api.deny(rule);
        k.api.cutWatches();
        await k.api.waitFor(() => clock.sleeps.length >= 8, 5000, 'eight restarts');
        assert.deepEqual(clock.sleeps.slice(0, 8).map((s) => s.ms), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        k.api.allow(rule);
        await k.api.waitFor(() => k.api.openWatches === 1, 3000, 'the watch allowed again');

        // Three minutes of a healthy watch later, the next cut is retried after the shortest backoff.
        clock.offsetMs += 3 * 60_000;
        const before = clock.sleeps.length;
        k.api.cutWatches();
        await k.api.waitFor(() => clock.sleeps.length > before, 2000, 'the restart');
        assert.equal(clock.sleeps[before]!.ms, 500);
        await k.api.waitFor(() => k.api.openWatches === 1, 3000, 'the watch again');
        k.api.create(scaler('shop', 'x'));
        await k.api.waitFor(seen(changes, 'shop/x'), 3000, 'a change');
      });
    });
  });

  test('stop() cancels a restart waiting out its backoff, so no timer keeps a stopping process alive', async () => {
    await withKube(async (k) => {
      const clock = new BackoffClock(Infinity); // real backoff times
      const informer = new ScalerInformer(k.config, k.kube, clock, [], { onChange: () => undefined, onError: () => undefined });
      await informer.start();
      await k.api.waitFor(() => k.api.openWatches === 1, 2000, 'the watch');
      k.api.cutWatches();
      await k.api.waitFor(() => clock.sleeps.length === 1, 2000, 'the restart backoff');
      assert.equal(clock.sleeps[0]!.ms, 500);
      await informer.stop();
      await pause(20);
      assert.equal(clock.sleeps[0]!.settled, true, 'the 500 ms backoff ended with stop()');
      const count = watches(k).length;
      await pause(600);
      assert.equal(watches(k).length, count, 'no watch after stop');
      assert.equal(k.api.openWatches, 0);
    });
  });
});

describe('shardOf', () => {
  test('is FNV-1a (32 bit): the published test vectors, so it is the same in every process and version', () => {
    const full = 2 ** 32;
    assert.equal(shardOf('', full), 0x811c9dc5);
    assert.equal(shardOf('a', full), 0xe40c292c);
    assert.equal(shardOf('foobar', full), 0xbf9cf968);
    assert.equal(shardOf('shop/web', 4), shardOf('shop/web', 4));
    assert.equal(shardOf(keyOf({ metadata: { namespace: 'shop', name: 'web' } }), 7), shardOf('shop/web', 7));
  });

  test('spreads 1000 keys roughly evenly over 4 shards, each key in exactly one shard in range', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) {
      const s = shardOf(`team-${i % 37}/scaler-${i}`, 4);
      assert.ok(Number.isInteger(s) && s >= 0 && s < 4, String(s));
      counts[s]!++;
    }
    for (const c of counts) assert.ok(c >= 200 && c <= 300, `shard sizes ${counts.join(', ')}`);
  });

  test('one shard owns everything', () => {
    for (const key of ['a/b', 'shop/web', 'x/y']) assert.equal(shardOf(key, 1), 0);
  });
});
