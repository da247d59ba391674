/**
 * The layout rules of docs/architecture.md ("Layers", "The injected clock"), as functions of the
 * source texts, so that test/unit/architecture.test.ts runs them on src/ and
 * test/unit/architecture-rules.test.ts runs them on planted violations.
 *
 * Sources are parsed with the TypeScript compiler (syntax only, no type checking), so comments and
 * strings never count, and every way a module is reached counts: `import … from`, `export … from`,
 * side-effect `import '…'`, `import x = require('…')`, `require('…')`, `import('…')` and
 * `typeof import('…')`. A specifier that is computed (`import(name)`) cannot be checked, so in a
 * pure layer it is a violation itself.
 *
 * - Every layer imports only the layers its row of the table allows (LAYERS); type-only imports,
 *   which are erased, may also name the layers in `types`.
 * - Pure layers (core, forecast, plan, control) import no Node built-in (`node:fs` and `fs`
 *   alike) and no package but those in PURE_PACKAGES. They reach no global that does I/O, reads
 *   the environment or loads code (process, require, console, fetch, timers, …) and do not read the
 *   wall clock (Date.now(), new Date(), Date(), performance); core/clock.ts, the one access to the
 *   clock, may read the clock and set timers.
 * - Nothing outside the cli imports the cli; nothing but the cli and the operator imports the
 *   operator; cli commands do not import each other; metrics and actuate stay apart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** A source file: `path` relative to src/, with `/` separators (`control/reconcile.ts`). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export type RuleId =
  | 'unknown-layer'
  | 'node-builtin'
  | 'package'
  | 'layer'
  | 'computed-import'
  | 'global'
  | 'wall-clock'
  | 'imports-cli'
  | 'imports-operator'
  | 'cli-command'
  | 'metrics-actuate';

export interface Violation {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  readonly rule: RuleId;
  readonly message: string;
}

/** How a module is reached. `typeOnly`: erased at compile time (`import type`, all specifiers `type`, `typeof import()`). */
export interface ModuleRef {
  readonly spec: string;
  readonly line: number;
  readonly typeOnly: boolean;
}

export interface ParsedSource {
  readonly path: string;
  readonly imports: readonly ModuleRef[];
  /** `import(x)` / `require(x)` whose specifier is not a literal. */
  readonly computedImports: readonly { readonly line: number; readonly text: string }[];
  /** References to environment globals (FORBIDDEN_GLOBALS), reached by name or through globalThis. */
  readonly globals: readonly { readonly name: string; readonly line: number }[];
  /** Reads of the wall clock: `Date.now`, `new Date()`, `Date()`. */
  readonly clockReads: readonly { readonly text: string; readonly line: number }[];
}

export const PURE_LAYERS: readonly string[] = ['core', 'forecast', 'plan', 'control'];

/** docs/architecture.md's "may import" column: the other layers each layer imports, and those it may name in type-only imports. */
export const LAYERS: Readonly<Record<string, { readonly imports: readonly string[]; readonly types?: readonly string[] }>> = {
  core: { imports: [] },
  forecast: { imports: ['core'] },
  plan: { imports: ['core'] },
  config: { imports: ['core', 'forecast', 'plan'] },
  control: { imports: ['core', 'forecast', 'plan'], types: ['config', 'actuate'] },
  metrics: { imports: ['core', 'config'] },
  actuate: { imports: ['core'], types: ['telemetry'] },
  backtest: { imports: ['core', 'forecast', 'plan', 'config', 'control', 'metrics', 'actuate'] },
  operator: { imports: ['core', 'config', 'control', 'plan', 'metrics', 'actuate', 'telemetry'] },
  telemetry: { imports: ['core'] },
  cli: { imports: ['core', 'forecast', 'plan', 'config', 'control', 'metrics', 'actuate', 'backtest', 'operator', 'telemetry'] },
};
/** The only packages a pure layer may import (no I/O in them). */
export const PURE_PACKAGES: readonly string[] = ['fft.js'];
/** The one module of the pure layers that reads the wall clock and sets timers. */
export const CLOCK_MODULE = 'core/clock.ts';
/** Timers and the monotonic clock: allowed in CLOCK_MODULE only. */
export const TIMER_GLOBALS: readonly string[] = ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'performance'];
/** Globals that do I/O, read the environment, load code or belong to Node; never in a pure layer. */
export const FORBIDDEN_GLOBALS: readonly string[] = [
  ...TIMER_GLOBALS,
  'process',
  'require',
  '__dirname',
  '__filename',
  'Buffer',
  'console',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'eval',
  'Function',
];
/** Names through which a global can be reached as a property (window and self are not declared: lib has no DOM). */
const GLOBAL_OBJECTS = ['globalThis', 'global'];

/** Files in src/cli that every command may use; every other file there (but main.ts) is one command. */
export const CLI_SHARED: readonly string[] = ['cli/args.ts', 'cli/lead-times.ts', 'cli/output.ts', 'cli/progress.ts', 'cli/work-estimate.ts'];
export const CLI_ENTRY = 'cli/main.ts';

/** The top folder of a path relative to src (`control` for `control/reconcile.ts`). */
export const layerOf = (path: string): string => path.split('/')[0] ?? '';

/** A Node built-in, with or without the `node:` prefix (`fs`, `fs/promises`, `node:test`). */
export function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec) || builtinModules.includes(spec.split('/')[0] ?? '');
}

/** The package a bare specifier names (`@scope/name` or `name`), or undefined for a relative one. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The file (relative to src, `.ts`) a relative specifier names from `from`; it may lie outside src (`../test/x.ts`). */
export function resolveLocal(from: string, spec: string): string {
  return posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
}

/** Every .ts file under `dir`, as SourceFiles relative to it. */
export function readSources(dir: string): SourceFile[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
  return walk(dir).map((p) => ({ path: relative(dir, p).split(sep).join('/'), text: readFileSync(p, 'utf8') }));
}

const literalText = (e: ts.Node | undefined): string | undefined =>
  e !== undefined && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined;

/** Nodes whose `name` declares a name (or names a property) rather than using one. */
const DECLARES_NAME = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.Parameter,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.EnumMember,
  ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.TypeParameter,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.PropertyAssignment,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.BindingElement,
]);

/**
 * Is this identifier a use of a name (a value or a type), not a declaration, a property name, an
 * import or export specifier or a label? `{ process }` in an object literal is a use.
 */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p)) return p.name !== id;
  if (ts.isQualifiedName(p)) return p.right !== id;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p) || ts.isNamespaceExport(p)) return false;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return false;
  return !(DECLARES_NAME.has(p.kind) && (p as ts.Node & { name?: ts.Node }).name === id);
}

/** The global an expression names: `x` (a reference), or `globalThis.x` / `globalThis['x']`. */
function globalName(e: ts.Expression): string | undefined {
  if (ts.isParenthesizedExpression(e)) return globalName(e.expression);
  if (ts.isIdentifier(e)) return isReference(e) ? e.text : undefined;
  const owner = ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e) ? globalName(e.expression) : undefined;
  if (owner === undefined || !GLOBAL_OBJECTS.includes(owner)) return undefined;
  return ts.isPropertyAccessExpression(e) ? e.name.text : literalText((e as ts.ElementAccessExpression).argumentExpression);
}

/** `a.b` / `a['b']`: the property name, when it is written out. */
const propertyName = (e: ts.Expression): string | undefined =>
  ts.isPropertyAccessExpression(e) ? e.name.text : ts.isElementAccessExpression(e) ? literalText(e.argumentExpression) : undefined;

const parsed = new WeakMap<SourceFile, ParsedSource>();

/** Parses one source text (once per SourceFile object): the modules it reaches, the globals it touches, its clock reads. */
export function parseSource(file: SourceFile): ParsedSource {
  const hit = parsed.get(file);
  if (hit !== undefined) return hit;
  const result = parse(file);
  parsed.set(file, result);
  return result;
}

function parse(file: SourceFile): ParsedSource {
  const sf = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const imports: ModuleRef[] = [];
  const computedImports: { line: number; text: string }[] = [];
  const globals: { name: string; line: number }[] = [];
  const clockReads: { text: string; line: number }[] = [];

  const addImport = (specNode: ts.Node | undefined, at: ts.Node, typeOnly: boolean): void => {
    const spec = literalText(specNode);
    if (spec !== undefined) imports.push({ spec, line: lineOf(at), typeOnly });
    else computedImports.push({ line: lineOf(at), text: at.getText(sf) });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const bindings = c?.namedBindings;
      const allTypes = c !== undefined && c.name === undefined && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
      addImport(node.moduleSpecifier, node, c !== undefined && (c.isTypeOnly || allTypes));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      const b = node.exportClause;
      const allTypes = b !== undefined && ts.isNamedExports(b) && b.elements.length > 0 && b.elements.every((e) => e.isTypeOnly);
      addImport(node.moduleSpecifier, node, node.isTypeOnly || allTypes);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      addImport(node.moduleReference.expression, node, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      addImport(ts.isLiteralTypeNode(arg) ? arg.literal : undefined, node, true);
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword || globalName(node.expression) === 'require') addImport(node.arguments[0], node, false);
      if (globalName(node.expression) === 'Date') clockReads.push({ text: node.getText(sf), line: lineOf(node) });
    } else if (ts.isNewExpression(node)) {
      if (globalName(node.expression) === 'Date' && (node.arguments === undefined || node.arguments.length === 0)) clockReads.push({ text: node.getText(sf), line: lineOf(node) });
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      if (globalName(node.expression) === 'Date' && propertyName(node) === 'now') clockReads.push({ text: node.getText(sf), line: lineOf(node) });
      // globalThis.setTimeout: the name is a property, so the identifier rule below does not see it.
      const g = globalName(node);
      if (g !== undefined && FORBIDDEN_GLOBALS.includes(g)) globals.push({ name: g, line: lineOf(node) });
      // globalThis[name]: any global, unseen.
      const owner = globalName(node.expression);
      if (ts.isElementAccessExpression(node) && owner !== undefined && GLOBAL_OBJECTS.includes(owner) && literalText(node.argumentExpression) === undefined) {
        globals.push({ name: `${owner}[…]`, line: lineOf(node) });
      }
    }
    if (ts.isIdentifier(node) && isReference(node)) {
      if (FORBIDDEN_GLOBALS.includes(node.text)) globals.push({ name: node.text, line: lineOf(node) });
      // The global object handed on as a value (`const g = globalThis`) reaches every global unseen.
      const owner = node.parent;
      const accessed = (ts.isPropertyAccessExpression(owner) || ts.isElementAccessExpression(owner)) && owner.expression === node;
      if (GLOBAL_OBJECTS.includes(node.text) && !accessed) globals.push({ name: node.text, line: lineOf(node) });
    }
    if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) globals.push({ name: 'import.meta', line: lineOf(node) });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { path: file.path, imports, computedImports, globals, clockReads };
}

const v = (path: string, line: number, rule: RuleId, message: string): Violation => ({ path, line, rule, message });

/** Every layer imports only what its row of LAYERS allows; a file outside the table's layers is reported too. */
export function checkLayerImports(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const layer = layerOf(f.path);
    const rule = LAYERS[layer];
    if (rule === undefined) {
      out.push(v(f.path, 1, 'unknown-layer', `${f.path} is in no layer of docs/architecture.md (${Object.keys(LAYERS).join(', ')}): add its layer to the table and to LAYERS`));
      continue;
    }
    for (const m of parseSource(f).imports.filter((x) => x.spec.startsWith('.') || x.spec.startsWith('/'))) {
      if (m.spec.startsWith('/')) {
        out.push(v(f.path, m.line, 'layer', `${f.path}:${m.line} imports ${m.spec} by an absolute path`));
        continue;
      }
      const target = resolveLocal(f.path, m.spec);
      const to = layerOf(target);
      const allowed = !target.startsWith('../') && (to === layer || rule.imports.includes(to) || (m.typeOnly && (rule.types ?? []).includes(to)));
      if (!allowed) {
        const may = [...rule.imports, ...(rule.types ?? []).map((t) => `${t} (types)`)].join(', ') || 'no other layer';
        out.push(v(f.path, m.line, 'layer', `${f.path}:${m.line} imports ${target}${m.typeOnly ? ' (type-only)' : ''}; ${layer} may import ${may}`));
      }
    }
  }
  return out;
}

/** Pure layers: no Node built-in, no package but PURE_PACKAGES, no environment global, no clock. */
export function checkPureLayers(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files.filter((x) => PURE_LAYERS.includes(layerOf(x.path)))) {
    const p = parseSource(f);
    const layer = layerOf(f.path);
    for (const m of p.imports) {
      const pkg = packageOf(m.spec);
      if (isNodeBuiltin(m.spec)) out.push(v(f.path, m.line, 'node-builtin', `${f.path}:${m.line} imports the Node built-in '${m.spec}' (${layer} is a pure layer)`));
      else if (pkg !== undefined && !PURE_PACKAGES.includes(pkg)) {
        out.push(v(f.path, m.line, 'package', `${f.path}:${m.line} imports the package '${m.spec}' (a pure layer imports only ${PURE_PACKAGES.join(', ')})`));
      }
    }
    for (const c of p.computedImports) out.push(v(f.path, c.line, 'computed-import', `${f.path}:${c.line} loads a module it names at run time (${c.text}), which cannot be checked`));
    const clockOk = f.path === CLOCK_MODULE;
    for (const g of p.globals) {
      if (clockOk && TIMER_GLOBALS.includes(g.name)) continue;
      out.push(v(f.path, g.line, 'global', `${f.path}:${g.line} uses ${g.name} (a pure layer does no I/O and reads no environment, timer or clock)`));
    }
    if (!clockOk) for (const c of p.clockReads) out.push(v(f.path, c.line, 'wall-clock', `${f.path}:${c.line} reads the wall clock (${c.text}); take nowMs or a Clock`));
  }
  return out;
}

/** The local modules (relative to src) each file imports, with the line. */
function localImports(f: SourceFile): { target: string; line: number }[] {
  return parseSource(f)
    .imports.filter((m) => m.spec.startsWith('.'))
    .map((m) => ({ target: resolveLocal(f.path, m.spec), line: m.line }));
}

/** Nothing outside the cli imports the cli; nothing but the cli and the operator imports the operator. */
export function checkShellImports(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files) {
    const layer = layerOf(f.path);
    for (const { target, line } of localImports(f)) {
      const to = layerOf(target);
      if (to === 'cli' && layer !== 'cli') out.push(v(f.path, line, 'imports-cli', `${f.path}:${line} imports ${target}: only the cli imports the cli`));
      if (to === 'operator' && layer !== 'cli' && layer !== 'operator') out.push(v(f.path, line, 'imports-operator', `${f.path}:${line} imports ${target}: only the cli starts the operator`));
    }
  }
  return out;
}

/** The cli's command modules: every file in src/cli but main.ts and CLI_SHARED. */
export const cliCommands = (files: readonly SourceFile[]): string[] =>
  files.map((f) => f.path).filter((p) => layerOf(p) === 'cli' && p !== CLI_ENTRY && !CLI_SHARED.includes(p));

/** No cli module but main.ts imports a command module (what two commands share lives below the cli or in CLI_SHARED). */
export function checkCliCommands(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files.filter((x) => layerOf(x.path) === 'cli' && x.path !== CLI_ENTRY)) {
    for (const { target, line } of localImports(f)) {
      if (layerOf(target) === 'cli' && !CLI_SHARED.includes(target)) {
        out.push(v(f.path, line, 'cli-command', `${f.path}:${line} imports ${target}: move what commands share below the cli (or into ${CLI_SHARED.join(' / ')})`));
      }
    }
  }
  return out;
}

/** metrics and actuate do not import each other. */
export function checkEdgesApart(files: readonly SourceFile[]): Violation[] {
  const out: Violation[] = [];
  for (const f of files.filter((x) => ['metrics', 'actuate'].includes(layerOf(x.path)))) {
    const other = layerOf(f.path) === 'metrics' ? 'actuate' : 'metrics';
    for (const { target, line } of localImports(f)) {
      if (layerOf(target) === other) out.push(v(f.path, line, 'metrics-actuate', `${f.path}:${line} imports ${target}: metrics and actuate stay apart`));
    }
  }
  return out;
}

/** Every rule above. */
export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  return [...checkLayerImports(files), ...checkPureLayers(files), ...checkShellImports(files), ...checkCliCommands(files), ...checkEdgesApart(files)];
}
