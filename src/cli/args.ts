import { parseDuration } from '../core/duration.js';
import { invalidInput } from '../core/errors.js';
import { MODEL_NAMES } from '../forecast/model-names.js';

/** Parses `--quantiles 0.5,0.9` into numbers in (0, 1), sorted and unique. */
export function parseQuantiles(text: string, flag = '--quantiles'): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw invalidInput(`${flag}: give a comma-separated list such as 0.5,0.9`);
  const qs = parts.map((p) => {
    const q = Number(p);
    if (!/^0?\.\d+$/.test(p) || !(q > 0 && q < 1)) throw invalidInput(`${flag}: ${JSON.stringify(p)} is not a quantile between 0 and 1 (e.g. 0.9)`);
    return q;
  });
  return [...new Set(qs)].sort((a, b) => a - b);
}

export function parseModel(text: string, flag = '--model'): string {
  if (text === 'auto' || (MODEL_NAMES as readonly string[]).includes(text)) return text;
  throw invalidInput(`${flag}: unknown model ${JSON.stringify(text)} (choose auto, ${MODEL_NAMES.join(', ')})`);
}

export const durationFlag = (flag: string) => (text: string): number => parseDuration(text, flag);

/** Column name of a quantile: 0.9 -> p90, 0.975 -> p97.5. */
export const quantileColumn = (q: number): string => `p${Number((q * 100).toFixed(4))}`;
