/**
 * Reads a PredictiveScaler file (the imperative shell around parseScaler). The CLI prints the
 * thrown message and exits 2: every problem on its own line as `FILE:LINE: spec.x.y: message`.
 */
import { readFile } from 'node:fs/promises';
import { PrescaleError, invalidInput } from '../core/errors.js';
import { formatProblem, formatProblems, parseScaler, type Scaler } from './scaler.js';

export interface LoadScalerOptions {
  /** Which PredictiveScaler to use when the file holds several (by metadata.name). */
  readonly name?: string;
  /** Receives each warning as a formatted line (e.g. history shorter than two weeks). */
  readonly onWarning?: (line: string) => void;
}

/**
 * Loads and validates a scaler file. Throws PrescaleError('invalid-input') when the file is
 * missing or unreadable as text (one line) or the spec has problems (one line per problem).
 */
export async function loadScalerFile(path: string, options: LoadScalerOptions = {}): Promise<Scaler> {
  const text = await readText(path);
  const result = parseScaler(text, path, options.name === undefined ? {} : { name: options.name });
  for (const w of result.warnings) options.onWarning?.(formatProblem(path, { ...w, message: `warning: ${w.message}` }));
  if (!result.ok) throw invalidInput(formatProblems(path, result.problems));
  return result.scaler;
}

/** Reads UTF-8 text; a missing file, a directory or no permission is the user's mistake (exit 2). */
async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file'
      : code === 'EISDIR' ? 'is a directory, not a scaler file'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : undefined;
    if (reason !== undefined) throw invalidInput(`${path}: ${reason}`, e);
    throw new PrescaleError('unexpected', `${path}: cannot read: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
