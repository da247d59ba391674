/**
 * Forecast sanity: over every daily origin of every bundled trace (a week of history at least, up
 * to 35 days, 1-day horizon, auto), the forecasts whose p90 exceeds 1.5x the maximum of their own
 * training window, and how far the worst goes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS } from '../src/core/duration.js';
import { forecastSeries } from '../src/forecast/engine.js';
import { readSeriesFile } from '../src/metrics/file-source.js';

export interface SanityRow {
  trace: string;
  origins: number;
  over: number;
  worst: number;
  worstAt: string;
  worstModel: string;
}

export async function benchSanity(dir: string, only?: string[]): Promise<SanityRow[]> {
  const rows: SanityRow[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.csv') && (!only || only.some((o) => f.startsWith(o))));
  for (const file of files) {
    const s = await readSeriesFile(join(dir, file));
    const day = Math.round(DAY_MS / s.stepMs);
    let over = 0;
    let origins = 0;
    let worst = 0;
    let worstAt = '';
    let worstModel = '';
    for (let at = 7 * day; at + 1 <= s.values.length; at += day) {
      const from = Math.max(0, at - 35 * day);
      const history = { startMs: s.startMs + from * s.stepMs, stepMs: s.stepMs, values: s.values.slice(from, at) };
      let max = -Infinity;
      for (const v of history.values) if (v > max) max = v;
      const f = forecastSeries(history, { horizonMs: DAY_MS, quantiles: [0.9] });
      if (f.kind !== 'forecast') continue;
      origins++;
      let top = -Infinity;
      for (const v of f.quantiles[0]!.values) if (v > top) top = v;
      const ratio = max > 0 ? top / max : top > 0 ? Infinity : 0;
      if (ratio > 1.5) over++;
      if (ratio > worst) {
        worst = ratio;
        worstAt = new Date(s.startMs + at * s.stepMs).toISOString().slice(0, 16);
        worstModel = f.model;
      }
    }
    rows.push({ trace: file.replace(/\.csv$/, ''), origins, over, worst, worstAt, worstModel });
  }
  return rows;
}
