/**
 * DESIGN.md's layout rules, checked on the source: pure layers import no Node built-in and no I/O
 * library and do not read the wall clock; nothing imports the shells; metrics and actuate stay apart.
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
const importsOf = (text: string): string[] => [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
const layer = (path: string): string => path.split('/')[0]!;
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

test('nothing outside the cli imports the cli (and no one imports an operator)', () => {
  for (const s of sources.filter((f) => layer(f.path) !== 'cli')) {
    for (const spec of importsOf(s.text).filter((x) => x.startsWith('.'))) {
      const target = layer(relative(SRC, join(SRC, s.path, '..', spec)));
      assert.ok(target !== 'cli' && target !== 'operator', `${s.path} imports ${spec}`);
    }
  }
});

test('metrics and actuate do not import each other', () => {
  for (const s of sources.filter((f) => ['metrics', 'actuate'].includes(layer(f.path)))) {
    const other = layer(s.path) === 'metrics' ? 'actuate' : 'metrics';
    for (const spec of importsOf(s.text).filter((x) => x.startsWith('.'))) {
      assert.notEqual(layer(relative(SRC, join(SRC, s.path, '..', spec))), other, `${s.path} imports ${spec}`);
    }
  }
});
