/** The models prescale knows, by the names users write in `forecast.model` and `--model`. */
export const MODEL_NAMES = ['seasonal-naive-day', 'seasonal-naive-week', 'holt-winters', 'fft', 'regression', 'decomposition', 'mstl'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
