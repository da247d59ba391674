import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { invalidInput } from '../core/errors.js';

/**
 * Writes a whole file or nothing: the text goes to a temporary file beside the target, which is
 * then renamed over it, so a failure never leaves a half-written output. `-` means stdout.
 */
export async function writeOutput(path: string | undefined, text: string, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (path === undefined || path === '-') {
    stdout.write(text);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw invalidInput(`${path}: cannot write (${(e as Error).message})`, e);
  }
}

/** Formats a number for CSV: at most 6 decimals, no trailing zeros, no exponent for ordinary loads. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  const r = Math.round(v * 1e6) / 1e6;
  return Object.is(r, -0) ? '0' : String(r);
}
