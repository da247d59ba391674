/**
 * The floor at a minute is a function of the spec, the data and that minute (ADR 0005): replays
 * of one recording started at different times decide the same floor at every minute they share,
 * which is what makes `prescale dry-run` an exact preview of the operator and a restart harmless.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { HOUR_MS, MINUTE_MS } from '../../../src/core/duration.js';
import { parseScaler, type Scaler } from '../../../src/config/scaler.js';
import { replayPredictive } from '../../../src/backtest/replay.js';
import { readSeriesFile } from '../../../src/metrics/file-source.js';
import { RecordedSource } from '../../../src/metrics/recorded-source.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function sample(file: string, edit: (yaml: string) => string = (y) => y): Scaler {
  const r = parseScaler(edit(readFileSync(join(ROOT, 'manifests', 'samples', file), 'utf8')), file);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.scaler;
}

async function floorsFrom(scaler: Scaler, trace: string, fromMs: number, toMs: number): Promise<Map<number, number>> {
  const load = await readSeriesFile(join(ROOT, 'fixtures', 'traces', trace));
  const r = await replayPredictive(scaler, new RecordedSource(load, trace), load, { fromMs, toMs });
  return new Map(r.rows.map((row) => [row.atMs, row.floor]));
}

function assertSameOnShared(a: Map<number, number>, b: Map<number, number>, label: string): number {
  let shared = 0;
  const diffs: string[] = [];
  for (const [t, floor] of a) {
    const other = b.get(t);
    if (other === undefined) continue;
    shared++;
    if (other !== floor) diffs.push(`${new Date(t).toISOString()}: ${floor} vs ${other}`);
  }
  assert.deepEqual(diffs.slice(0, 5), [], `${label}: ${diffs.length} of ${shared} shared minutes differ`);
  return shared;
}

test('worldcup98 (1-minute load, 30m refits): replays started at 10:00, 10:01 and 09:00 agree at every shared minute', async () => {
  const s = sample('worldcup98.yaml');
  const at10 = Date.UTC(1998, 5, 20, 10, 0);
  const end = at10 + 6 * HOUR_MS;
  const a = await floorsFrom(s, 'worldcup98_1min.csv', at10, end);
  const b = await floorsFrom(s, 'worldcup98_1min.csv', at10 + MINUTE_MS, end);
  const c = await floorsFrom(s, 'worldcup98_1min.csv', at10 - HOUR_MS, end);
  assert.ok(new Set(a.values()).size > 3, 'the floor moves over the six hours (the comparison is not vacuous)');
  assert.equal(assertSameOnShared(a, b, '10:00 vs 10:01'), 359);
  assert.equal(assertSameOnShared(a, c, '10:00 vs 09:00'), 360);
});

test('the same without level correction, and across a day boundary (a new model search) from a start mid-refit', async () => {
  const s = sample('worldcup98.yaml', (y) => y.replace('refitInterval: 30m', 'refitInterval: 1h\n    levelCorrection: false'));
  const from = Date.UTC(1998, 5, 21, 21, 17);
  const end = Date.UTC(1998, 5, 22, 3, 0);
  const a = await floorsFrom(s, 'worldcup98_1min.csv', from, end);
  const b = await floorsFrom(s, 'worldcup98_1min.csv', Date.UTC(1998, 5, 22, 0, 43), end);
  assert.ok(assertSameOnShared(a, b, '21:17 vs 00:43') > 130);
});
