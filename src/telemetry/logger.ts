import { pino, type Logger } from 'pino';
import { invalidInput } from '../core/errors.js';
import { LOG_LEVELS } from './log-levels.js';

export type { Logger };
export { LOG_LEVELS };

/**
 * A JSON-lines logger (pino). Each caller builds its own (no module singletons); the CLI logs to
 * stderr so stdout stays for data, tests pass their own stream.
 */
export function createLogger(opts: { level?: string; stream?: NodeJS.WritableStream; name?: string } = {}): Logger {
  const level = opts.level ?? process.env.PRESCALE_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) throw invalidInput(`PRESCALE_LOG_LEVEL: ${JSON.stringify(level)} is not one of ${LOG_LEVELS.join(', ')}`);
  return pino({ name: opts.name ?? 'prescale', level, base: undefined }, opts.stream ?? pino.destination({ dest: 2, sync: true }));
}
