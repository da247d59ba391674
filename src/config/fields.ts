/**
 * Typed readers for one mapping of a parsed document. Each reader reports what is wrong to the
 * shared ProblemList and returns a placeholder (the default, NaN or '') so validation can go on and
 * find every other problem; a result with problems is never handed out, so placeholders never leak.
 */
import { isZeroDuration, parseDuration } from '../core/duration.js';
import { errorMessage } from '../core/errors.js';
import { parseTimestampMs } from '../core/time.js';
import { ProblemList, suggest, type PathSeg } from './problems.js';

/** `null`, `string`, `array`, `mapping`... as a user would name the YAML type. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  // Objects returned above: what is left (number, boolean, bigint, symbol, function) String() names.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- see above
  return `${typeof v} ${String(v)}`;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

interface NumberRules {
  readonly integer?: boolean;
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
}

export class MapReader {
  private constructor(
    readonly problems: ProblemList,
    readonly path: readonly PathSeg[],
    readonly obj: Record<string, unknown>,
  ) {}

  /**
   * Reads `value` as a mapping at `path`. Keys outside `allowed` are reported as unknown, with the
   * closest allowed name as a suggestion. `allowed: null` accepts any key (e.g. `metadata`).
   * Returns undefined (after reporting) when `value` is not a mapping.
   */
  static of(problems: ProblemList, path: readonly PathSeg[], value: unknown, allowed: readonly string[] | null): MapReader | undefined {
    if (!isMapping(value)) {
      problems.add(path, `expected a mapping, got ${typeName(value)}`);
      return undefined;
    }
    if (allowed !== null) {
      for (const key of Object.keys(value)) {
        if (allowed.includes(key)) continue;
        const hint = suggest(key, allowed);
        problems.add([...path, key], `unknown field${hint === undefined ? '' : ` (did you mean ${hint}?)`}`);
      }
    }
    return new MapReader(problems, path, value);
  }

  /** True when the key is present with a non-null value (YAML `key:` with nothing is null). */
  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  at(key: string | number): PathSeg[] {
    return [...this.path, key];
  }

  /** Reports a missing required field and returns false. */
  private present(key: string, required: boolean): boolean {
    if (this.has(key)) return true;
    if (required) this.problems.add(this.at(key), 'required field is missing');
    return false;
  }

  /** A nested mapping, or undefined when absent (reported if required) or not a mapping. */
  map(key: string, allowed: readonly string[] | null, required = false): MapReader | undefined {
    if (!this.present(key, required)) return undefined;
    return MapReader.of(this.problems, this.at(key), this.obj[key], allowed);
  }

  /** A non-empty string. `pattern` with `hint` adds a format check. */
  string(key: string, opts: { required?: boolean; pattern?: RegExp; hint?: string } = {}): string | undefined {
    if (!this.present(key, opts.required ?? false)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'string') {
      this.problems.add(this.at(key), `expected a string, got ${typeName(v)}`);
      return '';
    }
    if (v.trim() === '') {
      this.problems.add(this.at(key), 'must not be empty');
      return '';
    }
    if (opts.pattern !== undefined && !opts.pattern.test(v)) {
      this.problems.add(this.at(key), `${JSON.stringify(v)} ${opts.hint ?? `does not match ${opts.pattern.source}`}`);
    }
    return v;
  }

  /** A required string (placeholder '' when missing). */
  requiredString(key: string, opts: { pattern?: RegExp; hint?: string } = {}): string {
    return this.string(key, { ...opts, required: true }) ?? '';
  }

  /** One of `values`; `fallback` when absent (or, if undefined, the field is required). */
  enumOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    if (!this.present(key, fallback === undefined)) return fallback ?? values[0]!;
    const v = this.obj[key];
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    const hint = typeof v === 'string' ? suggest(v, values) : undefined;
    this.problems.add(this.at(key), `${typeName(v)} is not one of ${values.join(', ')}${hint === undefined ? '' : ` (did you mean ${hint}?)`}`);
    return fallback ?? values[0]!;
  }

  /** true or false; `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean {
    if (!this.present(key, false)) return fallback;
    const v = this.obj[key];
    if (typeof v === 'boolean') return v;
    this.problems.add(this.at(key), `expected true or false, got ${typeName(v)}`);
    return fallback;
  }

  /** A finite number within `rules`; `fallback` when absent (undefined fallback = required). */
  number(key: string, rules: NumberRules, fallback?: number): number {
    if (!this.present(key, fallback === undefined)) return fallback ?? NaN;
    return this.checkNumber(this.at(key), this.obj[key], rules);
  }

  /** Like `number` but an absent field stays undefined (an optional setting with no default). */
  optionalNumber(key: string, rules: NumberRules): number | undefined {
    if (!this.present(key, false)) return undefined;
    return this.checkNumber(this.at(key), this.obj[key], rules);
  }

  private checkNumber(path: PathSeg[], v: unknown, r: NumberRules): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.problems.add(path, `expected a number, got ${typeName(v)}`);
      return NaN;
    }
    const broken =
      r.integer === true && !Number.isInteger(v) ? 'must be a whole number'
      : r.min !== undefined && v < r.min ? `must be at least ${r.min}`
      : r.above !== undefined && v <= r.above ? `must be greater than ${r.above}`
      : r.max !== undefined && v > r.max ? `must be at most ${r.max}`
      : r.below !== undefined && v >= r.below ? `must be less than ${r.below}`
      : undefined;
    if (broken !== undefined) this.problems.add(path, `${v} ${broken}`);
    return v;
  }

  /**
   * A duration string (`90s`, `5m`, `6h`, `1d`, `1w`) in ms; `fallbackMs` when absent
   * (undefined = required). Bare numbers are refused: seconds or milliseconds would be a guess.
   */
  duration(key: string, fallbackMs: number | undefined, opts: { allowZero?: boolean } = {}): number {
    if (!this.present(key, fallbackMs === undefined)) return fallbackMs ?? NaN;
    return readDuration(this.problems, this.at(key), this.obj[key], opts.allowZero ?? false);
  }

  /**
   * An RFC 3339 timestamp with a zone (what the CRD's `format: date-time` accepts), in epoch ms;
   * required. YAML 1.2 keeps unquoted timestamps as strings.
   */
  timestamp(key: string): number {
    if (!this.present(key, true)) return NaN;
    const v = this.obj[key];
    const ms = typeof v === 'string' && RFC3339.test(v) ? parseTimestampMs(v) : NaN;
    if (!Number.isFinite(ms)) {
      this.problems.add(this.at(key), `${typeName(v)} is not a timestamp (use RFC 3339 like 2014-07-01T00:00:00Z)`);
    }
    return ms;
  }

  /** A list, or undefined when absent or not a list (reported). */
  list(key: string, required = false): unknown[] | undefined {
    if (!this.present(key, required)) return undefined;
    const v = this.obj[key];
    if (!Array.isArray(v)) {
      this.problems.add(this.at(key), `expected a list, got ${typeName(v)}`);
      return undefined;
    }
    return v as unknown[];
  }
}

/** Reads a duration value at `path` (for list items too). Returns NaN after reporting a problem. */
export function readDuration(problems: ProblemList, path: readonly PathSeg[], v: unknown, allowZero: boolean): number {
  if (typeof v !== 'string') {
    const hint = typeof v === 'number' ? ` (write the unit, e.g. "${v}s" or "${v}m")` : '';
    problems.add(path, `expected a duration like 90s, 5m, 6h, 1d, 1w; got ${typeName(v)}${hint}`);
    return NaN;
  }
  if (allowZero && isZeroDuration(v)) return 0;
  try {
    return parseDuration(v, 'duration');
  } catch (e) {
    // parseDuration names its argument; keep only the reason after "duration: ".
    problems.add(path, errorMessage(e).replace(/^duration: /, ''));
    return NaN;
  }
}
