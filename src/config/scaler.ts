/**
 * PredictiveScaler YAML -> resolved Scaler, or every problem with its path and line.
 * Pure (text in, value out); reading the file is src/config/load.ts.
 *
 * Several YAML documents in one file (`---`): documents whose kind is not PredictiveScaler are
 * ignored, so a scaler can live next to its Deployment and HPA. Exactly one PredictiveScaler is
 * used: the only one, or the one named by `options.name`; otherwise it is a problem.
 */
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { typeName } from './fields.js';
import type { LineOf, PathSeg, Problem } from './problems.js';
import { KIND } from './scaler-types.js';
import { validateScaler, type ScalerSpecResult } from './scaler-validate.js';

export type { ScalerSpecResult } from './scaler-validate.js';
export { validateScaler } from './scaler-validate.js';
export type { Problem } from './problems.js';
export * from './scaler-types.js';

export interface ParseScalerOptions {
  /** Pick the PredictiveScaler with this metadata.name (required when a file holds several). */
  readonly name?: string;
}

/** Parses the text of a scaler file. `source` names the file in formatted messages. */
export function parseScaler(text: string, source: string, options: ParseScalerOptions = {}): ScalerSpecResult & { readonly source: string } {
  return { ...parseText(text, options), source };
}

function parseText(text: string, options: ParseScalerOptions): ScalerSpecResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const lineAt = (offset: number): number => lines.linePos(offset).line;
  const syntax: Problem[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) syntax.push({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}`, line: lineAt(e.pos[0]) });
  }
  if (syntax.length > 0) return failed(syntax);
  // A comment-only document or a stray `---` yields an empty (null) node: not a document.
  const found = docs.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null));
  const chosen = choose(found, options.name, lineAt);
  if ('problem' in chosen) return failed([chosen.problem]);
  const { doc, value } = chosen;
  return validateScaler(value, lineOfPath(doc, lineAt));
}

const failed = (problems: Problem[]): ScalerSpecResult => ({ ok: false, problems, warnings: [] });

type Choice = { doc: Document.Parsed; value: unknown } | { problem: Problem };

/** Picks the document to validate (see the module comment). */
function choose(docs: Document.Parsed[], name: string | undefined, lineAt: (offset: number) => number): Choice {
  const values: unknown[] = [];
  for (const doc of docs) {
    try {
      values.push(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      const line = doc.contents === null ? undefined : lineAt(doc.contents.range[0]);
      return { problem: { path: '', message: `cannot read YAML document: ${e instanceof Error ? e.message : String(e)}`, ...(line === undefined ? {} : { line }) } };
    }
  }
  if (docs.length === 0) return { problem: { path: '', message: `file is empty: expected a ${KIND} document` } };
  if (docs.length === 1 && name === undefined) return { doc: docs[0]!, value: values[0] };
  const scalers = docs.map((doc, i) => ({ doc, value: values[i] })).filter((c) => fieldOf(c.value, 'kind') === KIND);
  const picked = name === undefined ? scalers : scalers.filter((c) => fieldOf(fieldOf(c.value, 'metadata'), 'name') === name);
  if (picked.length === 1) return picked[0]!;
  const names = scalers.map((c) => `${nameText(fieldOf(fieldOf(c.value, 'metadata'), 'name'))} (line ${lineAt(c.doc.contents!.range[0])})`);
  const message =
    name !== undefined ? `no ${KIND} named ${JSON.stringify(name)} in the file${names.length > 0 ? `; found ${names.join(', ')}` : ''}`
    : scalers.length === 0 ? `none of the ${docs.length} YAML documents has kind ${KIND}`
    : `the file holds ${scalers.length} ${KIND} documents: ${names.join(', ')}; choose one by name (--name)`;
  return { problem: { path: '', message } };
}

/** A metadata.name as written; one that is not a string is described (String() throws on `{toString: 1}`). */
function nameText(v: unknown): string {
  return typeof v === 'string' ? v : `(metadata.name is ${typeName(v)})`;
}

function fieldOf(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
}

/** Line of the node at `path`, or of the nearest ancestor that exists (for missing fields). */
function lineOfPath(doc: Document.Parsed, lineAt: (offset: number) => number): LineOf {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const offset = offsetOf(doc, path.slice(0, n));
      if (offset !== undefined) return lineAt(offset);
    }
    return undefined;
  };
}

/** Source offset of a mapping key (so the line names the field) or of a sequence item. */
function offsetOf(doc: Document.Parsed, path: readonly PathSeg[]): number | undefined {
  if (path.length === 0) return doc.contents?.range[0];
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => keyValue(p.key) === last);
    const node = (pair?.key ?? pair?.value) as { range?: [number, number, number] } | null | undefined;
    return node?.range?.[0];
  }
  if (isSeq(parent) && typeof last === 'number') {
    const item = parent.items[last] as { range?: [number, number, number] } | null | undefined;
    return item?.range?.[0];
  }
  return undefined;
}

function keyValue(key: unknown): unknown {
  return typeof key === 'object' && key !== null && 'value' in key ? key.value : key;
}

/** `FILE:LINE: path: message` (line and path left out when unknown), one per problem. */
export function formatProblem(source: string, p: Problem): string {
  const where = p.line === undefined ? source : `${source}:${p.line}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

export function formatProblems(source: string, problems: readonly Problem[]): string {
  return problems.map((p) => formatProblem(source, p)).join('\n');
}
