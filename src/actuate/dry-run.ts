import { formatTimestamp } from '../core/time.js';
import type { Logger } from '../telemetry/logger.js';
import type { Actuator, FloorDecision } from './actuator.js';

/** Applies nothing: logs each decision as one JSON line (pino), as `mode: DryRun` does: a changed floor at info, an unchanged one at debug. */
export class DryRunActuator implements Actuator {
  readonly description = 'dry-run log';
  constructor(private readonly logger: Logger) {}

  async apply(d: FloorDecision): Promise<void> {
    const level = d.previous === d.floor ? 'debug' : 'info';
    if (!this.logger.isLevelEnabled(level)) return;
    this.logger[level](
      {
        at: formatTimestamp(d.atMs),
        scaler: d.scaler,
        floor: d.floor,
        previous: d.previous,
        reason: d.reason,
        model: d.model,
        forecast: d.forecast === undefined ? undefined : Math.round(d.forecast * 1000) / 1000,
        next: d.nextChange ? { at: formatTimestamp(d.nextChange.atMs), floor: d.nextChange.floor } : undefined,
      },
      d.detail,
    );
  }
}
