import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';
import { formatTimestamp, parseTimestampMs } from '../../../src/core/time.js';

const cases: Array<[string, number, string]> = [['90s', 90_000, '1m30s'], ['5m', 300_000, '5m'], ['6h', 21_600_000, '6h'], ['1d', 86_400_000, '1d'], ['1w', 604_800_000, '1w'], ['1h30m', 5_400_000, '1h30m'], ['250ms', 250, '250ms']];
for (const [text, ms, formatted] of cases) {
  test(`duration ${text} is ${ms} ms and formats as ${formatted}`, () => {
    assert.equal(parseDuration(text), ms);
    assert.equal(formatDuration(ms), formatted);
  });
}

for (const bad of ['', '5', 'm5', '5 minutes', '-5m', '0s', '5mm', '0.4ms', '36500d1ms', '999999999999999999999w']) {
  test(`duration ${JSON.stringify(bad)} is rejected naming the field`, () => {
    assert.throws(() => parseDuration(bad, 'spec.plan.leadTime'), /^PrescaleError: spec\.plan\.leadTime: /);
  });
}

test('timestamps: ISO without zone is UTC, output has whole seconds and Z', () => {
  assert.equal(parseTimestampMs('2014-07-01T00:00:00'), Date.UTC(2014, 6, 1));
  assert.equal(parseTimestampMs('2014-07-01T02:00:00+02:00'), Date.UTC(2014, 6, 1));
  assert.ok(Number.isNaN(parseTimestampMs('2014-13-01T00:00:00Z')));
  assert.equal(formatTimestamp(Date.UTC(2014, 6, 1, 0, 0, 0, 400)), '2014-07-01T00:00:00Z');
});
