/**
 * Error classification, done once at the edge (docs/architecture.md, "Habits").
 * - `invalid-input`: the user's file, flag or spec is wrong (CLI exit code 2).
 * - `transient`: a network fault, timeout, 429 or 5xx; worth retrying.
 * - `conflict`: a Kubernetes 409 (stale resourceVersion).
 * - `not-found`: a Kubernetes 404 or a missing file.
 * - `forbidden`: 401/403.
 * - `query`: the metrics backend rejected the query itself (a 400 with its message).
 * - `unexpected`: anything else (exit code 1).
 */
export type ErrorKind =
  | 'invalid-input'
  | 'transient'
  | 'conflict'
  | 'not-found'
  | 'forbidden'
  | 'query'
  | 'unexpected';

export class PrescaleError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'PrescaleError';
  }
}

export const invalidInput = (message: string, cause?: unknown): PrescaleError =>
  new PrescaleError('invalid-input', message, cause === undefined ? undefined : { cause });

export function isPrescaleError(e: unknown, kind?: ErrorKind): e is PrescaleError {
  return e instanceof PrescaleError && (kind === undefined || e.kind === kind);
}

/** The one-line message of any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}
