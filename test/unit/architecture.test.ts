/**
 * DESIGN.md's layout rules, checked on the source: pure layers import no Node built-in and no I/O
 * library and do not read the wall clock; nothing imports the shells (only the CLI may start the
 * operator); CLI commands do not import each other (what two shells share lives in a lower layer);
 * metrics and actuate stay apart.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

const sources = files(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));
/** Static `import … from` / `export … from`, side-effect `import '…'` and dynamic `import('…')`. */
const importsOf = (text: string): string[] => [
  ...[...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
  ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
];
const layer = (path: string): string => path.split('/')[0]!;
/** The source files (relative to src, `.ts`) that a file's relative imports name. */
const localImportsOf = (s: { path: string; text: string }): string[] =>
  importsOf(s.text)
    .filter((x) => x.startsWith('.'))
    .map((spec) => relative(SRC, join(SRC, s.path, '..', spec)).replace(/\.js$/, '.ts'));
/** Files in src/cli that every command may use; every other file there (but main.ts) is one command. */
const CLI_SHARED = ['cli/args.ts', 'cli/output.ts', 'cli/progress.ts', 'cli/work-estimate.ts'];
const CLI_ENTRY = 'cli/main.ts';
const IO_LIBRARIES = ['axios', 'pino', 'prom-client', '@kubernetes/client-node', 'commander'];

test('the source tree is found (the rules below are not vacuous)', () => {
  assert.ok(sources.length > 40);
  for (const l of ['core', 'forecast', 'plan', 'metrics', 'cli']) assert.ok(sources.some((s) => layer(s.path) === l), l);
});

test('core, forecast and plan import no Node built-in and no I/O library', () => {
  for (const s of sources.filter((f) => ['core', 'forecast', 'plan'].includes(layer(f.path)))) {
    for (const spec of importsOf(s.text)) {
      assert.ok(!spec.startsWith('node:') && !IO_LIBRARIES.includes(spec), `${s.path} imports ${spec}`);
      if (spec.startsWith('.')) {
        const target = relative(SRC, join(SRC, s.path, '..', spec));
        assert.ok(['core', 'forecast', 'plan'].includes(layer(target)), `${s.path} imports ${target}`);
      }
    }
  }
});

test('core, forecast and plan do not read the wall clock (only core/clock.ts does)', () => {
  for (const s of sources.filter((f) => ['core', 'forecast', 'plan'].includes(layer(f.path)) && f.path !== 'core/clock.ts')) {
    const code = s.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, /Date\.now\(|new Date\(\)|setTimeout\(|setInterval\(|performance\.now\(/, s.path);
  }
});

test('nothing outside the cli imports the cli (the operator neither)', () => {
  for (const s of sources.filter((f) => layer(f.path) !== 'cli')) {
    for (const target of localImportsOf(s)) assert.notEqual(layer(target), 'cli', `${s.path} imports ${target}`);
  }
});

test('nothing but the cli and the operator itself imports the operator', () => {
  for (const s of sources.filter((f) => !['cli', 'operator'].includes(layer(f.path)))) {
    for (const target of localImportsOf(s)) assert.notEqual(layer(target), 'operator', `${s.path} imports ${target}`);
  }
});

test('no cli module imports a command module (only main.ts wires the commands)', () => {
  const commands = sources.filter((f) => layer(f.path) === 'cli' && f.path !== CLI_ENTRY && !CLI_SHARED.includes(f.path));
  for (const c of ['cli/dry-run.ts', 'cli/backtest.ts']) assert.ok(commands.some((f) => f.path === c), `${c} is a command module`);
  for (const s of sources.filter((f) => layer(f.path) === 'cli' && f.path !== CLI_ENTRY)) {
    for (const target of localImportsOf(s).filter((t) => layer(t) === 'cli')) {
      assert.ok(CLI_SHARED.includes(target), `${s.path} imports ${target}: move what commands share below the cli (or into ${CLI_SHARED.join(' / ')})`);
    }
  }
});

test('metrics and actuate do not import each other', () => {
  for (const s of sources.filter((f) => ['metrics', 'actuate'].includes(layer(f.path)))) {
    const other = layer(s.path) === 'metrics' ? 'actuate' : 'metrics';
    for (const target of localImportsOf(s)) assert.notEqual(layer(target), other, `${s.path} imports ${target}`);
  }
});
