import { randomBytes } from 'node:crypto';
import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
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

/**
 * Checks, before any work, that `writeOutput` will be able to write each path: its folder exists and
 * is writable, and the path is not a folder. One line naming the flag and the path per failure.
 */
export async function checkOutputs(outputs: ReadonlyArray<readonly [flag: string, path: string | undefined]>): Promise<void> {
  const problems: string[] = [];
  for (const [flag, path] of outputs) {
    if (path === undefined || path === '-') continue;
    const dir = dirname(path);
    try {
      const d = await stat(dir);
      if (!d.isDirectory()) throw new Error(`${dir} is not a folder`);
      await access(dir, constants.W_OK);
      const target = await stat(path).catch(() => undefined);
      if (target?.isDirectory()) throw new Error('it is a folder');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${flag} ${path}: cannot be written (${code === 'ENOENT' ? `no folder ${dir}` : code === 'EACCES' ? `${dir} is not writable` : (e as Error).message})`);
    }
  }
  if (problems.length > 0) throw invalidInput(problems.join('\n'));
}

/** Formats a number for CSV: at most 6 decimals, no trailing zeros, no exponent for ordinary loads. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  const r = Math.round(v * 1e6) / 1e6;
  return Object.is(r, -0) ? '0' : String(r);
}
