/** `spec.forecast.events`: what the parser resolves and the one-line problems it reports (src/config/events.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScaler, type ScalerSpecResult } from '../../../src/config/scaler.js';
import { parseDate } from '../../../src/forecast/events/index.js';

const HOUR = 3_600_000;

const spec = (events: string): string => `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata:
  name: web
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric: { query: up }
  capacity: { perReplica: 10 }
  maxReplicas: 50
  forecast:
    events:
${events}`;

function problems(r: ScalerSpecResult): string[] {
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
}

test('events resolve: dates as day numbers (sorted, deduplicated), the rule parsed, durations in ms, the zone kept', () => {
  const r = parseScaler(
    spec(`      - name: thanksgiving
        rrule: FREQ=YEARLY;BYMONTH=11;BYDAY=4TH
        start: 2020-01-01
        timeZone: America/New_York
        before: 6h
        after: 1d
        multiplier: 0.6
      - name: sale
        dates: [2024-11-29, 2024-07-01, 2024-11-29]
`),
    'x.yaml',
  );
  assert.ok(r.ok, r.ok ? '' : r.problems.map((p) => p.message).join('\n'));
  const [t, s] = r.scaler.spec.forecast.events;
  assert.equal(t!.name, 'thanksgiving');
  assert.equal(t!.timeZone, 'America/New_York');
  assert.equal(t!.beforeMs, 6 * HOUR);
  assert.equal(t!.afterMs, 24 * HOUR);
  assert.equal(t!.multiplier, 0.6);
  assert.deepEqual(t!.recurrence, { rule: { freq: 'YEARLY', interval: 1, byMonth: [11], byMonthDay: [], byDay: [{ day: 4, nth: 4 }] }, start: parseDate('2020-01-01') });
  assert.deepEqual(s, { name: 'sale', timeZone: 'UTC', dates: [parseDate('2024-07-01'), parseDate('2024-11-29')], beforeMs: 0, afterMs: 0 });
});

test('no events is an empty calendar', () => {
  const r = parseScaler(spec('      []\n'), 'x.yaml');
  assert.ok(r.ok);
  assert.deepEqual(r.scaler.spec.forecast.events, []);
});

const cases: Array<{ name: string; events: string; want: RegExp }> = [
  { name: 'neither dates nor rrule', events: '      - name: x\n', want: /^12: spec\.forecast\.events\[0\]: give dates, an rrule, or both$/ },
  { name: 'a missing name', events: '      - dates: [2024-01-01]\n', want: /spec\.forecast\.events\[0\]\.name: required field is missing/ },
  { name: 'a name with capitals', events: '      - { name: Black Friday, dates: [2024-11-29] }\n', want: /events\[0\]\.name: "Black Friday" is not a name of lower-case letters/ },
  { name: 'a name given twice', events: '      - { name: x, dates: [2024-01-01] }\n      - { name: x, dates: [2024-01-02] }\n', want: /^13: spec\.forecast\.events\[1\]\.name: "x" is also the name of events\[0\]$/ },
  { name: 'a date that does not exist', events: '      - { name: x, dates: [2024-01-01, 2023-02-29] }\n', want: /events\[0\]\.dates\[1\]: string "2023-02-29" is not a date like 2024-11-28/ },
  { name: 'a timestamp for a date', events: '      - { name: x, dates: [2024-01-01T00:00:00Z] }\n', want: /dates\[0\]: string "2024-01-01T00:00:00Z" is not a date/ },
  { name: 'an unknown time zone', events: '      - { name: x, dates: [2024-01-01], timeZone: Europe/Londn }\n', want: /events\[0\]\.timeZone: "Europe\/Londn" is not an IANA time zone/ },
  { name: 'an rrule without start', events: '      - { name: x, rrule: FREQ=YEARLY }\n', want: /events\[0\]\.start: required with rrule/ },
  { name: 'start without rrule', events: '      - { name: x, dates: [2024-01-01], start: 2024-01-01 }\n', want: /events\[0\]\.start: is the first date of an rrule/ },
  { name: 'an unsupported rrule part', events: '      - { name: x, rrule: "FREQ=MONTHLY;BYSETPOS=-1", start: 2024-01-01 }\n', want: /events\[0\]\.rrule: BYSETPOS is not supported/ },
  { name: 'an hourly rrule', events: '      - { name: x, rrule: FREQ=HOURLY, start: 2024-01-01 }\n', want: /events\[0\]\.rrule: FREQ=HOURLY is not one of YEARLY, MONTHLY, WEEKLY, DAILY/ },
  { name: 'an ordinal in a weekly rule', events: '      - { name: x, rrule: "FREQ=WEEKLY;BYDAY=2MO", start: 2024-01-01 }\n', want: /BYDAY: 2MO: an ordinal needs FREQ=MONTHLY or YEARLY/ },
  { name: 'COUNT and UNTIL', events: '      - { name: x, rrule: "FREQ=DAILY;COUNT=3;UNTIL=20240105", start: 2024-01-01 }\n', want: /COUNT and UNTIL cannot both be given/ },
  { name: 'a bad UNTIL', events: '      - { name: x, rrule: "FREQ=DAILY;UNTIL=2024-01-05", start: 2024-01-01 }\n', want: /UNTIL=2024-01-05 is not a date like 20251231/ },
  { name: 'a multiplier of zero', events: '      - { name: x, dates: [2024-01-01], multiplier: 0 }\n', want: /events\[0\]\.multiplier: 0 must be greater than 0/ },
  { name: 'a bare number for before', events: '      - { name: x, dates: [2024-01-01], before: 3600 }\n', want: /events\[0\]\.before: expected a duration .* \(write the unit/ },
  { name: 'a window of more than a month', events: '      - { name: x, dates: [2024-01-01], after: 5w }\n', want: /events\[0\]\.after: 5w is longer than 31d/ },
  { name: 'an unknown field', events: '      - { name: x, dates: [2024-01-01], timezone: UTC }\n', want: /events\[0\]\.timezone: unknown field \(did you mean timeZone\?\)/ },
];
for (const c of cases) {
  test(`events: ${c.name} is one problem naming the field`, () => {
    const ps = problems(parseScaler(spec(c.events), 'x.yaml'));
    assert.equal(ps.length, 1, ps.join('\n'));
    assert.match(ps[0]!, c.want);
  });
}
