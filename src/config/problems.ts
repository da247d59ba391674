/**
 * Problems found while validating configuration (docs/architecture.md, "Habits": parse once at the boundary
 * and report every problem with its field path). Pure: no I/O.
 */

/** One thing wrong with a spec. `path` is like `spec.forecast.excludedWindows[0].from`; '' is the whole file. */
export interface Problem {
  readonly path: string;
  readonly message: string;
  /** 1-based line in the source file, when the spec came from text. */
  readonly line?: number;
}

/** A path into a parsed document: mapping keys and sequence indexes. */
export type PathSeg = string | number;

/** Finds the 1-based source line of the node at `path` (or of its nearest existing ancestor). */
export type LineOf = (path: readonly PathSeg[]) => number | undefined;

/** `['spec', 'windows', 0, 'from']` -> `spec.windows[0].from`. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Collects problems (errors) and warnings in the order they are found. Build one per parse. */
export class ProblemList {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  constructor(private readonly lineOf: LineOf = () => undefined) {}

  /** Problems in source order (stable; those without a line keep their place at the end). */
  sortedProblems(): Problem[] {
    return byLine(this.problems);
  }

  sortedWarnings(): Problem[] {
    return byLine(this.warnings);
  }

  add(path: readonly PathSeg[], message: string): void {
    this.problems.push(this.make(path, message));
  }

  warn(path: readonly PathSeg[], message: string): void {
    this.warnings.push(this.make(path, message));
  }

  private make(path: readonly PathSeg[], message: string): Problem {
    const line = this.lineOf(path);
    return line === undefined ? { path: formatPath(path), message } : { path: formatPath(path), message, line };
  }
}

function byLine(list: readonly Problem[]): Problem[] {
  return [...list].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

/**
 * The closest candidate to a misspelt field name, or undefined when none is close.
 * A case-only difference always matches (`leadtime` -> `leadTime`); otherwise the edit distance
 * must be at most 2, or a third of the word for long names.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}
