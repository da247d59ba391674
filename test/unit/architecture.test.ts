/**
 * docs/architecture.md's layout rules, checked on the source (the rules and what they cover:
 * test/support/architecture-rules.ts; their own tests: architecture-rules.test.ts): each layer
 * imports only the layers its row of the table allows; pure layers (core, forecast, plan, control)
 * import no Node built-in and no I/O library, reach no environment global and do not read the wall
 * clock; nothing imports the shells (only the CLI may start the operator); CLI commands do not
 * import each other (what two shells share lives in a lower layer); metrics and actuate stay apart.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CLOCK_MODULE,
  PURE_LAYERS,
  checkCliCommands,
  checkEdgesApart,
  checkLayerImports,
  checkPureLayers,
  checkShellImports,
  cliCommands,
  layerOf,
  parseSource,
  readSources,
  type Violation,
} from '../support/architecture-rules.js';

const sources = readSources(join(import.meta.dirname, '..', '..', 'src'));

const none = (found: Violation[]): void => assert.deepEqual(found.map((x) => x.message), []);

test('the source tree is found (the rules below are not vacuous)', () => {
  assert.ok(sources.length > 40);
  for (const l of [...PURE_LAYERS, 'metrics', 'actuate', 'cli', 'operator']) assert.ok(sources.some((s) => layerOf(s.path) === l), l);
  for (const c of ['cli/dry-run.ts', 'cli/backtest.ts']) assert.ok(cliCommands(sources).includes(c), `${c} is a command module`);
  // The parser sees the real tree: the clock module reads the clock and sets a timer, and the
  // control loop imports the forecast engine.
  const clock = parseSource(sources.find((s) => s.path === CLOCK_MODULE) ?? assert.fail(CLOCK_MODULE));
  assert.ok(clock.clockReads.length > 0 && clock.globals.some((g) => g.name === 'setTimeout'));
  const reconcile = parseSource(sources.find((s) => s.path === 'control/reconcile.ts') ?? assert.fail('control/reconcile.ts'));
  assert.ok(reconcile.imports.some((m) => m.spec === '../forecast/engine.js'));
});

test("every layer imports only what its row of docs/architecture.md's table allows", () => {
  none(checkLayerImports(sources));
});

test('core, forecast, plan and control: no Node built-in, no package but fft.js, no environment global, no wall clock (only core/clock.ts)', () => {
  none(checkPureLayers(sources));
});

test('nothing outside the cli imports the cli; nothing but the cli and the operator imports the operator', () => {
  none(checkShellImports(sources));
});

test('no cli module imports a command module (only main.ts wires the commands)', () => {
  none(checkCliCommands(sources));
});

test('metrics and actuate do not import each other', () => {
  none(checkEdgesApart(sources));
});
