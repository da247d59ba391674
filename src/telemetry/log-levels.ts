/** pino's levels, as `--log-level` and `PRESCALE_LOG_LEVEL` accept them (no pino import: the CLI's help needs them). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
