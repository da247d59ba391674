/**
 * The models prescale knows, by the names users write in `forecast.model` and `--model`: one
 * factory per name of MODEL_NAMES (model-names.ts), which sets their order.
 */
import { DAY_MS, WEEK_MS } from '../core/duration.js';
import { type ModelName, MODEL_NAMES } from './model-names.js';
import { decomposition } from './models/decomposition.js';
import { holtWinters } from './models/holt-winters.js';
import { mstlModel } from './models/mstl.js';
import { regression } from './models/regression.js';
import { seasonalNaive } from './models/seasonal-naive.js';
import { spectral } from './models/spectral.js';
import type { Model } from './types.js';

export { MODEL_NAMES, type ModelName } from './model-names.js';

const FACTORIES: Readonly<Record<ModelName, () => Model>> = {
  'seasonal-naive-day': () => seasonalNaive('seasonal-naive-day', DAY_MS),
  'seasonal-naive-week': () => seasonalNaive('seasonal-naive-week', WEEK_MS),
  'holt-winters': () => holtWinters(),
  fft: () => spectral(),
  regression: () => regression(),
  decomposition: () => decomposition(),
  mstl: () => mstlModel(),
};

/** A fresh set of model instances, in MODEL_NAMES order (models are stateless, but no module singletons). */
export function allModels(): Model[] {
  return MODEL_NAMES.map((name) => FACTORIES[name]());
}

export function modelByName(name: string): Model | undefined {
  return allModels().find((m) => m.name === name);
}
