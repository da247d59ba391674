/**
 * The long-run helpers of dry-run and backtest: the up-front work estimate (what is refused, what
 * runs) and the progress reporter (a line per interval of wall time, quiet on short runs), with
 * time passed in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPrescaleError } from '../../../src/core/errors.js';
import { DEFAULT_PROGRESS_INTERVAL_MS, Progress, type ProgressLine, progressIntervalFromEnv } from '../../../src/cli/progress.js';
import { REFUSE_OVER_S, describeWork, estimateReplay, formatSeconds } from '../../../src/cli/work-estimate.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2014, 6, 1);
/** The defaults of a spec: 1-minute ticks, hourly refits, 28 days of history. */
const spec = (over: { refit?: number; tick?: number; history?: number } = {}) => ({
  plan: { tickIntervalMs: over.tick ?? MIN },
  forecast: { refitIntervalMs: over.refit ?? HOUR },
  metric: { historyMs: over.history ?? 28 * DAY },
}) as Parameters<typeof estimateReplay>[0];

test('the estimate counts ticks and refits, and grows with the range, the refit rate and the history', () => {
  const e = estimateReplay(spec(), T0, T0 + 10 * DAY);
  assert.equal(e.ticks, 14_400);
  assert.equal(e.refits, 240);
  assert.ok(estimateReplay(spec(), T0, T0 + 20 * DAY).seconds > e.seconds);
  assert.ok(estimateReplay(spec({ refit: 15 * MIN }), T0, T0 + 10 * DAY).seconds > e.seconds);
  assert.ok(estimateReplay(spec({ history: 56 * DAY }), T0, T0 + 10 * DAY).seconds > e.seconds);
  assert.equal(describeWork(T0, T0 + 10 * DAY, e), '10 days (14400 ticks, 240 refits)');
});

test('what is refused by default: two years of the defaults are, the bundled 60-day replays are not', () => {
  assert.ok(estimateReplay(spec(), T0, T0 + 60 * DAY).seconds < REFUSE_OVER_S);
  assert.ok(estimateReplay(spec(), T0, T0 + 730 * DAY).seconds > REFUSE_OVER_S);
  // 9.5 years at the defaults: tens of minutes.
  assert.match(formatSeconds(estimateReplay(spec(), T0, T0 + 3465 * DAY).seconds), /^about \d\d min$/);
  assert.equal(formatSeconds(12.4), 'about 12 s');
  assert.equal(formatSeconds(3 * 3600), 'about 3.0 h');
});

/** A reporter on a fake wall clock, collecting its lines. */
function reporter(estimatedS: number, intervalMs = 5000) {
  let now = 1000;
  const lines: ProgressLine[] = [];
  const p = new Progress({ label: 'replay', fromMs: T0, toMs: T0 + 10 * DAY, intervalMs, estimatedS, now: () => now, report: (l) => lines.push(l) });
  return { p, lines, wait: (ms: number) => void (now += ms) };
}

test('a long run reports once per interval: how far, how long, about how long is left', () => {
  const { p, lines, wait } = reporter(60);
  p.at(T0 + DAY); // at once: nothing yet
  wait(4000);
  p.at(T0 + 2 * DAY);
  assert.equal(lines.length, 0);
  wait(1000);
  p.at(T0 + 2.5 * DAY); // 5 s in, a quarter done
  wait(100);
  p.at(T0 + 3 * DAY); // within the same interval
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.text, 'replay 25% (simulated 2014-07-03T12:00:00Z in 2014-07-01T00:00:00Z .. 2014-07-11T00:00:00Z), 5 s, about 15 s left');
  assert.equal(lines[0]!.fraction, 0.25);
  wait(5000);
  p.at(T0 + 5 * DAY);
  assert.equal(lines.length, 2);
  assert.match(lines[1]!.text, /^replay 50% .*, 10 s, about 10 s left$/);
});

test('a run estimated under four intervals reports nothing, however long it takes', () => {
  const { p, lines, wait } = reporter(19);
  for (let i = 1; i <= 10; i++) {
    wait(6000);
    p.at(T0 + i * DAY);
  }
  assert.equal(lines.length, 0);
  const short = reporter(1, 200);
  short.wait(300);
  short.p.at(T0 + DAY);
  assert.equal(short.lines.length, 1, 'a shorter interval reports shorter runs');
});

test('PRESCALE_PROGRESS_INTERVAL: a duration, default 5s; anything else names the variable', () => {
  assert.equal(progressIntervalFromEnv({}), DEFAULT_PROGRESS_INTERVAL_MS);
  assert.equal(progressIntervalFromEnv({ PRESCALE_PROGRESS_INTERVAL: '250ms' }), 250);
  for (const bad of ['soon', '0s', '-1s']) {
    assert.throws(() => progressIntervalFromEnv({ PRESCALE_PROGRESS_INTERVAL: bad }), (e: unknown) => isPrescaleError(e, 'invalid-input') && e.message.startsWith(`PRESCALE_PROGRESS_INTERVAL: "${bad}" is not a duration`));
  }
});
