import { formatDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { seriesEndMs } from '../core/series.js';
import { formatTimestamp } from '../core/time.js';
import { DEFAULT_MAX_HISTORY_MS, forecastSeries } from '../forecast/engine.js';
import { describeLevelShift } from '../forecast/level-correction.js';
import { onGrid } from '../forecast/grid.js';
import { readSeriesFile } from '../metrics/file-source.js';
import { quantileColumn } from './args.js';
import { formatNumber, writeOutput } from './output.js';

export interface ForecastCommand {
  input: string;
  horizonMs: number;
  stepMs?: number;
  model: string;
  quantiles: number[];
  output?: string;
  /** Default true (see forecast/level-correction.ts). */
  levelCorrection?: boolean;
}

/**
 * `prescale forecast`: fits on the whole input and writes `timestamp,mean,p50,p90,...` for the
 * horizon after the last input sample, at the input's step unless `--step` is given.
 */
export async function runForecast(cmd: ForecastCommand, stderr: NodeJS.WritableStream): Promise<void> {
  // The models fit the last DEFAULT_MAX_HISTORY_MS: a long file is read from its end.
  const series = await readSeriesFile(cmd.input, { tailMs: DEFAULT_MAX_HISTORY_MS, onWarning: (line) => stderr.write(`prescale: ${line}\n`) });
  const outStep = cmd.stepMs ?? series.stepMs;
  const count = Math.floor(cmd.horizonMs / outStep);
  if (count < 1) throw invalidInput(`--horizon: ${formatDuration(cmd.horizonMs)} is shorter than one step (${formatDuration(outStep)})`);
  // The first row covers the interval right after the last sample, whatever the output step.
  const outStart = seriesEndMs(series) + series.stepMs;
  // The working grid must reach past the last output interval.
  const horizonMs = outStart + count * outStep - (seriesEndMs(series) + series.stepMs) + outStep;
  const result = forecastSeries(series, { horizonMs, model: cmd.model, quantiles: cmd.quantiles, levelCorrection: cmd.levelCorrection ?? true });
  if (result.kind === 'insufficient-history') throw invalidInput(`${cmd.input}: ${result.message}`);

  const src = (values: Float64Array) => ({ startMs: result.startMs, stepMs: result.stepMs, values });
  const anchor = result.history.values[result.history.values.length - 1];
  const columns = [result.mean, ...result.quantiles.map((q) => q.values)].map((v) => onGrid(src(v), outStart, outStep, count, anchor));
  const header = ['timestamp', 'mean', ...result.quantiles.map((q) => quantileColumn(q.q))].join(',');
  const lines = [header];
  for (let i = 0; i < count; i++) {
    lines.push([formatTimestamp(outStart + i * outStep), ...columns.map((c) => formatNumber(c[i]!))].join(','));
  }
  await writeOutput(cmd.output, lines.join('\n') + '\n');
  const seasons = result.periodsMs.length ? result.periodsMs.map(formatDuration).join(', ') : 'none';
  const cleaned = Object.entries(result.cleaned).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  const shift = describeLevelShift(result.levelCorrection, result.stepMs, 1);
  const level = shift === undefined ? '' : `; near term shifted ${shift}`;
  stderr.write(`prescale: forecast ${count} x ${formatDuration(outStep)} with ${result.model} (seasonality: ${seasons}${cleaned ? `; replaced ${cleaned}` : ''}${level})\n`);
}
