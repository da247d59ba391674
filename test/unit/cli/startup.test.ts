/**
 * `prescale --help` starts in the time of Node and commander: the modules src/cli/main.ts loads
 * before a command runs (its static imports, followed through every file) hold no command's
 * module, no forecast model and no library but commander; each command is imported when it runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '..', '..', '..', 'src');

/** Value imports that load a module: `import x from`, `export … from`, `import '…'` (not `import type`, not `import()`). */
function staticImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
  return [
    ...[...code.matchAll(/^\s*(import|export)(?!\s+type\b)[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)].map((m) => m[2]!),
    ...[...code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
  ];
}

/** Every source file and package loaded by importing `entry` (relative to src). */
function loadedBy(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (path: string): void => {
    if (files.has(path)) return;
    files.add(path);
    for (const spec of staticImports(readFileSync(join(SRC, path), 'utf8'))) {
      if (spec.startsWith('.')) visit(relative(SRC, join(SRC, path, '..', spec)).replace(/\.js$/, '.ts'));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

test('the CLI entry loads commander and a few small modules; every command, pino, yaml, axios and the Kubernetes client load later', () => {
  const { files, packages } = loadedBy('cli/main.ts');
  assert.deepEqual([...packages], ['commander']);
  const light = ['cli/main.ts', 'cli/args.ts', 'core/errors.ts', 'core/duration.ts', 'core/clock.ts', 'forecast/model-names.ts', 'telemetry/log-levels.ts'];
  for (const f of files) assert.ok(light.includes(f), `cli/main.ts loads ${f} before any command runs`);
});

test('each command module is imported by main.ts when its command runs', () => {
  const main = readFileSync(join(SRC, 'cli', 'main.ts'), 'utf8');
  for (const c of ['forecast', 'validate', 'dry-run', 'backtest', 'record', 'operator']) {
    assert.match(main, new RegExp(`\\bimport\\('\\./${c}\\.js'\\)`), `${c} is imported lazily`);
  }
  // The walk above sees through re-exports: a command module does load its libraries.
  const dryRun = loadedBy('cli/dry-run.ts').packages;
  for (const p of ['yaml', 'axios']) assert.ok(dryRun.has(p), `the walk finds ${p} (the scaler spec, the Prometheus source) under cli/dry-run.ts: ${[...dryRun].join(', ')}`);
});
