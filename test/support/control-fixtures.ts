/**
 * What the control-loop tests share: a scaler parsed from YAML (its problems fail the test), and a
 * 14-day history window at a 5-minute step ending at the last whole step <= now, whose load is a
 * function of the step's index since T0 (so every read of the same time agrees).
 */
import assert from 'node:assert/strict';
import { DAY_MS, MINUTE_MS } from '../../src/core/duration.js';
import type { Series } from '../../src/core/series.js';
import { parseScaler, type Scaler } from '../../src/config/scaler.js';

export const STEP = 5 * MINUTE_MS;
export const T0 = Date.UTC(2024, 0, 1);
export const PER_DAY = DAY_MS / STEP;

export function testScaler(yaml: string): Scaler {
  const r = parseScaler(yaml, 'test.yaml');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.scaler;
}

/** 14 days of `load(k)`, k the step's index since T0, up to the last whole step <= nowMs. */
export function fourteenDays(nowMs: number, load: (k: number) => number): Series {
  const n = 14 * PER_DAY;
  const startMs = Math.floor(nowMs / STEP) * STEP - (n - 1) * STEP;
  const k0 = (startMs - T0) / STEP;
  return { startMs, stepMs: STEP, values: Float64Array.from({ length: n }, (_, i) => load(k0 + i)) };
}

/** A daily cycle between 100 and 300. */
export const dailyCycle = (k: number): number => 200 + 100 * Math.sin((2 * Math.PI * k) / PER_DAY);
