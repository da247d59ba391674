import { formatTimestamp } from '../core/time.js';
import type { Logger } from '../telemetry/logger.js';
import type { Actuator, FloorDecision } from './actuator.js';

/** Applies nothing: logs each decision as one JSON line (pino), as `mode: DryRun` does. */
export class DryRunActuator implements Actuator {
  readonly description = 'dry-run log';
  constructor(private readonly logger: Logger) {}

  async apply(d: FloorDecision): Promise<void> {
    this.logger.info(
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
