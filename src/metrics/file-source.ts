import { readFile } from 'node:fs/promises';
import { PrescaleError, invalidInput } from '../core/errors.js';
import type { Series } from '../core/series.js';
import { parseSeriesText } from './parse.js';
import { toRegular } from './resample.js';

/** Reads a recorded series file (CSV or saved query_range JSON) onto its regular grid. */
export async function readSeriesFile(path: string, stepMs?: number): Promise<Series> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PrescaleError('invalid-input', `${path}: no such file`, { cause: e });
    if (code === 'EISDIR') throw invalidInput(`${path}: is a directory, not a series file`, e);
    throw invalidInput(`${path}: cannot read (${(e as Error).message})`, e);
  }
  return toRegular(parseSeriesText(text, path), path, stepMs);
}
