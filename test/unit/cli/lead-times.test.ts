import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStartups } from '../../../src/cli/lead-times.js';

test('start-ups CSV: header in either order, BOM, CRLF, blanks, quotes, ISO or epoch seconds', () => {
  const text = '\uFEFF"Seconds", Timestamp\r\n\r\n 90 , 2026-12-01T08:01:30Z\r\n62.5,1764576000\r\n';
  assert.deepEqual(parseStartups(text, 'f.csv'), [
    { readyMs: Date.parse('2026-12-01T08:01:30Z'), durationMs: 90_000 },
    { readyMs: 1764576000_000, durationMs: 62_500 },
  ]);
  assert.deepEqual(parseStartups('timestamp,seconds\n', 'f.csv'), []);
});

test('start-ups CSV: every refusal is one line naming the file and line', () => {
  const cases: Array<[string, string]> = [
    ['', 'f.csv:1: empty: expected a header timestamp,seconds'],
    ['2026-12-01T08:00:00Z,30\n', 'f.csv:1: the first line must name the columns timestamp,seconds'],
    ['timestamp,value\n', 'f.csv:1: the first line must name the columns timestamp,seconds'],
    ['timestamp,seconds\n\n2026-12-01T08:00:00Z,30,5\n', 'f.csv:3: expected 2 cells (timestamp,seconds), got 3 (a decimal comma? write 1.5)'],
    ['timestamp,seconds\nyesterday,30\n', 'f.csv:2: "yesterday" is not a timestamp'],
    ['timestamp,seconds\n2026-12-01T08:00:00Z,-3\n', 'f.csv:2: "-3" is not a start-up time in seconds'],
    ['timestamp,seconds\n2026-12-01T08:00:00Z,\n', 'f.csv:2: "" is not a start-up time in seconds'],
    ['timestamp,seconds\n2026-12-01T08:00:00Z,90000\n', 'f.csv:2: 90000 seconds is more than a day; is the column in milliseconds?'],
  ];
  for (const [text, want] of cases) {
    assert.throws(
      () => parseStartups(text, 'f.csv'),
      (e: Error) => {
        assert.ok(e.message.startsWith(want), `${JSON.stringify(text)}: ${e.message}`);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      },
    );
  }
});
