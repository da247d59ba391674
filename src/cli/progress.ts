/**
 * Progress of a long replay: a line every `intervalMs` of wall time (default 5 s) saying how far
 * the simulated time has come, how long it has run and about how long is left. Runs estimated at
 * under four intervals print nothing, so short runs stay quiet. Time is passed in (`now`, ms), so
 * the reporter is tested without waiting.
 */
import { formatTimestamp } from '../core/time.js';
import { parseDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { formatSeconds } from './work-estimate.js';

export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;
/** The environment variable that sets the interval (a duration such as `5s`). */
export const PROGRESS_INTERVAL_ENV = 'PRESCALE_PROGRESS_INTERVAL';

/** The interval from the environment, or the default; a bad value names the variable. */
export function progressIntervalFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env[PROGRESS_INTERVAL_ENV];
  if (raw === undefined || raw === '') return DEFAULT_PROGRESS_INTERVAL_MS;
  try {
    return parseDuration(raw, PROGRESS_INTERVAL_ENV);
  } catch (e) {
    throw invalidInput(`${PROGRESS_INTERVAL_ENV}: ${JSON.stringify(raw)} is not a duration such as 5s`, e);
  }
}

/** One progress report. */
export interface ProgressLine {
  /** The line to show, e.g. `replay 12% (simulated 2014-08-01T00:00:00Z in 2014-07-08 .. 2014-12-31), 35 s, about 4 min left`. */
  readonly text: string;
  /** Share done, 0..1. */
  readonly fraction: number;
  readonly elapsedS: number;
  /** Estimated seconds left (NaN before anything was done). */
  readonly leftS: number;
}

export interface ProgressOptions {
  /** What is running, at the start of each line (e.g. `replay`, `uk.csv: replaying`). */
  readonly label: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
  /** The run's estimated seconds: below four intervals nothing is reported. */
  readonly estimatedS: number;
  /** Wall time, ms (performance.now in the shell). */
  readonly now: () => number;
  readonly report: (line: ProgressLine) => void;
}

export class Progress {
  private readonly started: number;
  private last: number;
  private readonly enabled: boolean;

  constructor(private readonly o: ProgressOptions) {
    this.started = o.now();
    this.last = this.started;
    this.enabled = o.estimatedS * 1000 >= 4 * o.intervalMs;
  }

  /** The simulated time reached; reports when an interval has passed since the last report. */
  at(simulatedMs: number): void {
    if (!this.enabled) return;
    const now = this.o.now();
    if (now - this.last < this.o.intervalMs) return;
    this.last = now;
    const { fromMs, toMs } = this.o;
    const fraction = Math.min(1, Math.max(0, (simulatedMs - fromMs) / (toMs - fromMs)));
    const elapsedS = (now - this.started) / 1000;
    const leftS = fraction > 0 ? (elapsedS * (1 - fraction)) / fraction : NaN;
    const left = Number.isFinite(leftS) ? `, ${formatSeconds(leftS)} left` : '';
    const text = `${this.o.label} ${Math.floor(fraction * 100)}% (simulated ${formatTimestamp(simulatedMs)} in ${formatTimestamp(fromMs)} .. ${formatTimestamp(toMs)}), ${Math.round(elapsedS)} s${left}`;
    this.o.report({ text, fraction, elapsedS, leftS });
  }
}
