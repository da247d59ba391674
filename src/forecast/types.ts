/**
 * The forecasting vocabulary. Everything in src/forecast is pure: arrays in, arrays out,
 * no I/O, no clock, no Node built-ins.
 */

/** What a model knows about the series besides its values. */
export interface ModelContext {
  /** Sampling step of `y`, ms. */
  readonly stepMs: number;
  /** Epoch ms of y[0] (lets models align to time of day / week). */
  readonly startMs: number;
  /**
   * Seasonal periods in steps that the series really has (from seasonality detection),
   * ascending, e.g. [288, 2016] for daily+weekly at a 5-minute step. May be empty.
   */
  readonly periods: readonly number[];
  /**
   * Parameters this model fitted earlier on this series (`ModelFit.params`): the model runs with
   * them as they are, or, with `refine`, starts its fit there (a short search near a known
   * optimum). The engine fits a model's parameters once per model search and reuses them at the
   * other rolling origins and at the refits in between. Models without parameters ignore both.
   */
  readonly params?: readonly number[];
  readonly refine?: boolean;
}

/** A forecast and the parameters it was made with (for models that fit any). */
export interface ModelFit {
  readonly forecast: Float64Array;
  readonly params?: readonly number[];
}

/**
 * A forecasting model: fits on `y` (cleaned: no NaN, outliers and outages already replaced)
 * and returns the mean forecast for the `h` steps after the last value of `y`.
 * Must return `h` finite numbers. Parameters are fitted from the data (no hand tuning).
 */
export interface Model {
  readonly name: string;
  /** Steps of history this model needs at least, given the context; fewer means it cannot run. */
  minHistory(ctx: ModelContext): number;
  forecast(y: Float64Array, h: number, ctx: ModelContext): Float64Array;
  /** Models with fitted parameters: the forecast and the parameters used (see `ModelContext.params`). */
  fit?(y: Float64Array, h: number, ctx: ModelContext): ModelFit;
  /** false: run only when named, never among `auto`'s candidates (too costly for what it adds there). */
  readonly inAuto?: false;
}

/** An expected outcome, not an error (docs/architecture.md, "Habits"): too little history to forecast. */
export interface InsufficientHistory {
  readonly kind: 'insufficient-history';
  /** History available, ms. */
  readonly haveMs: number;
  /** History needed, ms. */
  readonly needMs: number;
  readonly message: string;
}
