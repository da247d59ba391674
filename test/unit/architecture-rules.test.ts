/**
 * The architecture rules' own tests: each violation, planted in a fixture source, is reported
 * (with its rule and line), and what only looks like one (comments, strings, property names,
 * `new Date(ms)`, type-only imports control may make) is not. Fixture paths are relative to src.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkArchitecture,
  checkCliCommands,
  checkEdgesApart,
  checkLayerImports,
  checkPureLayers,
  checkShellImports,
  isNodeBuiltin,
  parseSource,
  type RuleId,
  type SourceFile,
  type Violation,
} from '../support/architecture-rules.js';

const check = (path: string, text: string): Violation[] => checkArchitecture([{ path, text }]);

/** Each planted violation: where, the source, the rule it breaks and the line it is on. */
const PLANTED: { name: string; path: string; text: string; rule: RuleId; line: number }[] = [
  { name: 'Date.now() in control', path: 'control/loop.ts', text: 'export const t = () => Date.now();', rule: 'wall-clock', line: 1 },
  { name: 'setTimeout in control', path: 'control/loop.ts', text: 'export function later(f: () => void): void {\n  setTimeout(f, 10);\n}', rule: 'global', line: 2 },
  { name: 'node:fs in control', path: 'control/loop.ts', text: "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;", rule: 'node-builtin', line: 1 },
  { name: "'fs' without the node: prefix", path: 'forecast/load.ts', text: "import { readFileSync } from 'fs';\nexport const r = readFileSync;", rule: 'node-builtin', line: 1 },
  { name: "'fs/promises' without the prefix", path: 'plan/x.ts', text: "import { readFile } from 'fs/promises';\nexport const r = readFile;", rule: 'node-builtin', line: 1 },
  { name: 'import a built-in over several lines', path: 'core/x.ts', text: "// one\nimport {\n  readFileSync,\n} from\n  'node:fs';\nexport const r = readFileSync;", rule: 'node-builtin', line: 2 },
  { name: 'require of a built-in', path: 'core/x.ts', text: "const fs = require('node:fs');\nexport default fs;", rule: 'node-builtin', line: 1 },
  { name: 'require itself', path: 'core/x.ts', text: "export const yaml = require('yaml');", rule: 'global', line: 1 },
  { name: 'import x = require()', path: 'core/x.ts', text: "import fs = require('fs');\nexport const r = fs.readFileSync;", rule: 'node-builtin', line: 1 },
  { name: "dynamic import('node:fs')", path: 'control/loop.ts', text: "export async function f() {\n  const fs = await import('node:fs');\n  return fs;\n}", rule: 'node-builtin', line: 2 },
  { name: 'dynamic import with a template literal', path: 'control/loop.ts', text: 'export const f = () => import(`node:child_process`);', rule: 'node-builtin', line: 1 },
  { name: 'dynamic import of a computed name', path: 'forecast/x.ts', text: "const name = 'node:' + 'fs';\nexport const f = () => import(name);", rule: 'computed-import', line: 2 },
  { name: 'typeof import() of a built-in', path: 'forecast/x.ts', text: "export type Fs = typeof import('node:fs');", rule: 'node-builtin', line: 1 },
  { name: 'export from a built-in', path: 'core/x.ts', text: "export { readFileSync } from 'node:fs';", rule: 'node-builtin', line: 1 },
  { name: 'process.env', path: 'control/loop.ts', text: 'export const home = process.env.HOME;', rule: 'global', line: 1 },
  { name: 'process destructured', path: 'plan/x.ts', text: 'const { env } = process;\nexport const e = env;', rule: 'global', line: 1 },
  { name: 'process through globalThis', path: 'plan/x.ts', text: 'export const e = globalThis.process.env;', rule: 'global', line: 1 },
  { name: "globalThis['setTimeout']", path: 'forecast/x.ts', text: "export const t = globalThis['setTimeout'];", rule: 'global', line: 1 },
  { name: 'globalThis[computed]', path: 'forecast/x.ts', text: "const k = 'pro' + 'cess';\nexport const p = (globalThis as Record<string, unknown>)[k];", rule: 'global', line: 2 },
  { name: 'the global object handed on', path: 'forecast/x.ts', text: 'const g = globalThis;\nexport default g;', rule: 'global', line: 1 },
  { name: 'console', path: 'forecast/x.ts', text: "export function f(): void {\n  console.log('x');\n}", rule: 'global', line: 2 },
  { name: 'performance.now()', path: 'plan/x.ts', text: 'export const t = performance.now();', rule: 'global', line: 1 },
  { name: 'import.meta', path: 'core/x.ts', text: 'export const here = import.meta.url;', rule: 'global', line: 1 },
  { name: 'new Date()', path: 'plan/x.ts', text: 'export const now = new Date();', rule: 'wall-clock', line: 1 },
  { name: 'new Date without parentheses', path: 'plan/x.ts', text: 'export const now = new Date;', rule: 'wall-clock', line: 1 },
  { name: 'Date() called', path: 'plan/x.ts', text: 'export const now = Date();', rule: 'wall-clock', line: 1 },
  { name: "Date['now']", path: 'plan/x.ts', text: "export const now = Date['now']();", rule: 'wall-clock', line: 1 },
  { name: 'globalThis.Date.now', path: 'plan/x.ts', text: 'export const now = globalThis.Date.now();', rule: 'wall-clock', line: 1 },
  { name: 'a side-effect import of an edge', path: 'control/loop.ts', text: "import '../metrics/prometheus.js';\nexport {};", rule: 'layer', line: 1 },
  { name: 'export * from an edge', path: 'core/x.ts', text: "export * from '../metrics/source.js';", rule: 'layer', line: 1 },
  { name: 'a value import of config in control', path: 'control/loop.ts', text: "import { DEFAULTS } from '../config/scaler-types.js';\nexport const d = DEFAULTS;", rule: 'layer', line: 1 },
  { name: 'a type import of config outside control', path: 'forecast/x.ts', text: "import type { Scaler } from '../config/scaler.js';\nexport type S = Scaler;", rule: 'layer', line: 1 },
  { name: 'a type import of the operator in control', path: 'control/loop.ts', text: "import type { Options } from '../operator/options.js';\nexport type O = Options;", rule: 'layer', line: 1 },
  { name: 'an import from outside src', path: 'core/x.ts', text: "import { gaussian } from '../../test/support/synthetic.js';\nexport const g = gaussian;", rule: 'layer', line: 1 },
  { name: 'forecast importing plan (pure, but not in its row)', path: 'forecast/x.ts', text: "import { buildPlan } from '../plan/index.js';\nexport const b = buildPlan;", rule: 'layer', line: 1 },
  { name: 'core importing another layer', path: 'core/x.ts', text: "import type { Plan } from '../plan/types.js';\nexport type P = Plan;", rule: 'layer', line: 1 },
  { name: 'backtest importing telemetry', path: 'backtest/x.ts', text: "import { logger } from '../telemetry/logger.js';\nexport const l = logger;", rule: 'layer', line: 1 },
  { name: 'a value import of telemetry in actuate (types only)', path: 'actuate/x.ts', text: "import { logger } from '../telemetry/logger.js';\nexport const l = logger;", rule: 'layer', line: 1 },
  { name: 'an import by absolute path', path: 'metrics/x.ts', text: "import { x } from '/work/src/cli/args.js';\nexport const y = x;", rule: 'layer', line: 1 },
  { name: 'a file in no layer', path: 'scratch/x.ts', text: 'export const x = 1;', rule: 'unknown-layer', line: 1 },
  { name: 'an I/O library', path: 'control/loop.ts', text: "import axios from 'axios';\nexport const a = axios;", rule: 'package', line: 1 },
  { name: 'a scoped package', path: 'forecast/x.ts', text: "import { KubeConfig } from '@kubernetes/client-node';\nexport const k = KubeConfig;", rule: 'package', line: 1 },
  { name: 'process in core/clock.ts (the clock may only read the clock)', path: 'core/clock.ts', text: 'export const e = process.env.TZ;', rule: 'global', line: 1 },
  { name: 'the cli imported outside the cli', path: 'metrics/x.ts', text: "import { parseArgs } from '../cli/args.js';\nexport const p = parseArgs;", rule: 'imports-cli', line: 1 },
  { name: 'the cli loaded by a dynamic import', path: 'backtest/x.ts', text: "export const f = () => import('../cli/main.js');", rule: 'imports-cli', line: 1 },
  { name: 'the operator imported by a side effect', path: 'actuate/x.ts', text: "import '../operator/run.js';", rule: 'imports-operator', line: 1 },
  { name: 'a cli command importing another', path: 'cli/dry-run.ts', text: "import { run } from './backtest.js';\nexport const r = run;", rule: 'cli-command', line: 1 },
  { name: 'actuate re-exporting metrics', path: 'actuate/x.ts', text: "export { read } from '../metrics/source.js';", rule: 'metrics-actuate', line: 1 },
  { name: 'metrics importing actuate types', path: 'metrics/x.ts', text: "import type { Actuator } from '../actuate/actuator.js';\nexport type A = Actuator;", rule: 'metrics-actuate', line: 1 },
];

for (const c of PLANTED) {
  test(`reported: ${c.name} (${c.path})`, () => {
    const found = check(c.path, c.text);
    assert.ok(
      found.some((x) => x.rule === c.rule && x.line === c.line && x.path === c.path),
      `expected ${c.rule} at line ${c.line}, found ${JSON.stringify(found)}`,
    );
  });
}

/** Sources that only look like violations. */
const CLEAN: { name: string; path: string; text: string }[] = [
  {
    name: 'comments',
    path: 'control/loop.ts',
    text: "// Date.now() setTimeout(f) process.env import 'node:fs'\n/* require('fs'); import('node:fs'); new Date() */\n/** {@link import('node:fs')} */\nexport const x = 1;",
  },
  {
    name: 'strings',
    path: 'control/loop.ts',
    text: "export const a = \"import fs from 'node:fs'; Date.now()\";\nexport const b = `process.env ${1} setTimeout(f)`;\nexport const c = 'require(\"fs\")';",
  },
  {
    name: 'property and member names',
    path: 'forecast/x.ts',
    text: [
      'export interface Opts { process: number; console: string; setTimeout(): void }',
      'export const o = { process: 1, performance: 2, require: 3 };',
      'export class A { performance(): number { return 1; } }',
      'export const f = (x: { setTimeout(n: number): void; Date: { now(): number } }) => { x.setTimeout(1); return x.Date.now(); };',
      'export const { process: p } = o;',
    ].join('\n'),
  },
  {
    name: 'dates that are not the clock',
    path: 'plan/x.ts',
    text: "export const a = new Date(0);\nexport const b = (ms: number): Date => new Date(ms);\nexport const c = Date.UTC(2026, 0, 1);\nexport const d = Date.parse('2026-01-01T00:00:00Z');",
  },
  {
    name: 'the type imports control may make',
    path: 'control/loop.ts',
    text: "import type { Scaler } from '../config/scaler.js';\nimport { type Actuator } from '../actuate/actuator.js';\nexport type T = [Scaler, Actuator];",
  },
  { name: 'the package a pure layer may use', path: 'forecast/x.ts', text: "import FFT from 'fft.js';\nexport const f = FFT;" },
  {
    name: 'the clock module reading the clock',
    path: 'core/clock.ts',
    text: 'export const now = () => Date.now();\nexport const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));',
  },
  { name: 'built-ins outside the pure layers', path: 'metrics/x.ts', text: "import { readFileSync } from 'node:fs';\nexport const env = process.env.HOME ?? readFileSync('x', 'utf8');" },
  { name: 'the cli importing what commands share, and main wiring commands', path: 'cli/main.ts', text: "import './dry-run.js';\nimport { parse } from './args.js';\nexport const p = parse;" },
  { name: 'actuate naming the logger type', path: 'actuate/x.ts', text: "import type { Logger } from '../telemetry/logger.js';\nexport type L = Logger;" },
  { name: 'the operator importing itself and the cli starting it', path: 'cli/operator.ts', text: "import { run } from '../operator/run.js';\nexport const r = run;" },
];

for (const c of CLEAN) {
  test(`not reported: ${c.name}`, () => {
    assert.deepEqual(check(c.path, c.text), []);
  });
}

test('each check reports only its own rules', () => {
  const files: SourceFile[] = [
    { path: 'control/a.ts', text: "import '../cli/args.js';" },
    { path: 'cli/backtest.ts', text: "import './dry-run.js';" },
    { path: 'metrics/a.ts', text: "import '../actuate/kube.js';" },
  ];
  assert.deepEqual(new Set(checkLayerImports(files).map((x) => x.rule)), new Set(['layer']));
  assert.deepEqual(new Set(checkPureLayers([...files, { path: 'plan/b.ts', text: 'export const t = Date.now();' }]).map((x) => x.rule)), new Set(['wall-clock']));
  assert.deepEqual(new Set(checkShellImports(files).map((x) => x.rule)), new Set(['imports-cli']));
  assert.deepEqual(new Set(checkCliCommands(files).map((x) => x.rule)), new Set(['cli-command']));
  assert.deepEqual(new Set(checkEdgesApart(files).map((x) => x.rule)), new Set(['metrics-actuate']));
});

test('every way of reaching a module is one import, with whether it is erased', () => {
  const p = parseSource({
    path: 'core/x.ts',
    text: [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      "import './g.js';",
      "export * from './h.js';",
      "export type { I } from './i.js';",
      "import j = require('./j.js');",
      "const k = require('./k.js');",
      "const l = import('./l.js');",
      "type M = typeof import('./m.js');",
    ].join('\n'),
  });
  assert.deepEqual(
    p.imports.map((m) => [m.spec, m.line, m.typeOnly]),
    [
      ['./a.js', 1, false],
      ['./b.js', 2, true],
      ['./c.js', 3, true],
      ['./e.js', 4, false],
      ['./g.js', 5, false],
      ['./h.js', 6, false],
      ['./i.js', 7, true],
      ['./j.js', 8, false],
      ['./k.js', 9, false],
      ['./l.js', 10, false],
      ['./m.js', 11, true],
    ],
  );
});

test('Node built-ins are known with and without the prefix; packages are not built-ins', () => {
  for (const s of ['fs', 'node:fs', 'fs/promises', 'child_process', 'node:test', 'path/posix']) assert.ok(isNodeBuiltin(s), s);
  for (const s of ['fft.js', 'yaml', './fs.js', '@kubernetes/client-node', 'fsevents']) assert.ok(!isNodeBuiltin(s), s);
});
