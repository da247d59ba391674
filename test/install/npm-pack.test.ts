/**
 * `npm pack` makes a package that works where it is installed: the `prepack` script builds dist/
 * (from a clean dist/), `files` ships dist/ (without source maps), manifests/, README.md and
 * LICENSE and nothing else of the repository; the tarball installed into an empty folder
 * (`npm install ./prescale-0.1.0.tgz`) runs `npx prescale --help` and validates a sample it ships.
 * The repository is copied first (node_modules linked), so the pack's build does not touch the
 * working tree's dist/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, assertOk, npm, run, tempDir } from './support.js';

const tmp = tempDir('pack');
after(() => tmp.remove());
const CHECKOUT = join(tmp.path, 'checkout');
const CONSUMER = join(tmp.path, 'consumer');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const TARBALL = `${pkg.name}-${pkg.version}.tgz`;
let packed: string[] = [];

before(async () => {
  mkdirSync(CHECKOUT);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'src', 'manifests']) cpSync(join(ROOT, f), join(CHECKOUT, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(CHECKOUT, 'node_modules'), 'dir');
  // A stale file in dist/ must not be shipped: prepack starts from a clean dist/.
  mkdirSync(join(CHECKOUT, 'dist'));
  cpSync(join(ROOT, 'LICENSE'), join(CHECKOUT, 'dist', 'stale.js'));
  const r = assertOk(await npm(['pack', '--json', '--pack-destination', tmp.path], CHECKOUT), 'npm pack');
  // npm prints the prepack script's output before the JSON.
  const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1 || r.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.equal(json[0]!.filename, TARBALL);
  packed = json[0]!.files.map((f) => f.path).sort();
  mkdirSync(CONSUMER);
  assertOk(await npm(['install', join(tmp.path, TARBALL)], CONSUMER), `npm install ./${TARBALL}`);
});

test('the tarball holds dist/, manifests/, README.md, LICENSE and package.json only', () => {
  const top = [...new Set(packed.map((p) => p.split('/')[0]!))].sort();
  assert.deepEqual(top, ['LICENSE', 'README.md', 'dist', 'manifests', 'package.json']);
  for (const f of [pkg.bin.prescale!, 'dist/operator/run.js', 'manifests/default/kustomization.yaml', 'manifests/namespaced/kustomization.yaml', 'manifests/crd/predictivescaler.yaml', 'manifests/samples/web.yaml']) {
    assert.ok(packed.includes(f), `${f} packed`);
  }
  assert.deepEqual(packed.filter((p) => p.endsWith('.map') || p.endsWith('.ts') || p === 'dist/stale.js'), []);
});

test('npx prescale --help runs the installed bin', async () => {
  const bin = join(CONSUMER, 'node_modules', pkg.name, pkg.bin.prescale!);
  assert.ok(statSync(bin).mode & 0o111, 'the bin is executable');
  const r = await run('npx', ['--no', '--', 'prescale', '--help'], { cwd: CONSUMER });
  assert.equal(r.code, 0, r.stderr);
  for (const command of ['forecast', 'dry-run', 'backtest', 'record', 'validate', 'operator', 'restore']) assert.match(r.stdout, new RegExp(`\\b${command}\\b`));
});

test('npx prescale validate -f a sample shipped in the package', async () => {
  const sample = join(CONSUMER, 'node_modules', pkg.name, 'manifests', 'samples', 'web.yaml');
  assert.ok(existsSync(sample));
  const r = await run('npx', ['--no', '--', 'prescale', 'validate', '-f', sample], { cwd: CONSUMER });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
});
