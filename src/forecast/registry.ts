/**
 * The models prescale knows, by the names users write in `forecast.model` and `--model`.
 */
import { DAY_MS, WEEK_MS } from '../core/duration.js';
import { decomposition } from './models/decomposition.js';
import { holtWinters } from './models/holt-winters.js';
import { mstlModel } from './models/mstl.js';
import { regression } from './models/regression.js';
import { seasonalNaive } from './models/seasonal-naive.js';
import { spectral } from './models/spectral.js';
import type { Model } from './types.js';

export { MODEL_NAMES, type ModelName } from './model-names.js';

/** A fresh set of model instances (models are stateless, but no module singletons). */
export function allModels(): Model[] {
  return [
    seasonalNaive('seasonal-naive-day', DAY_MS),
    seasonalNaive('seasonal-naive-week', WEEK_MS),
    holtWinters(),
    spectral(),
    regression(),
    decomposition(),
    mstlModel(),
  ];
}

export function modelByName(name: string): Model | undefined {
  return allModels().find((m) => m.name === name);
}
