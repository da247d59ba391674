/**
 * The Dockerfile's runtime stage, reproduced without Docker (no engine runs on these machines):
 * dist/ built as the build stage builds it, package.json, package-lock.json and LICENSE copied into
 * an empty folder, production dependencies only (`npm ci --omit=dev --ignore-scripts`), then the
 * image's entrypoint `node dist/cli/main.js` run from that folder (as UID 65532 with the folder
 * read-only to it, like `USER 65532` on a read-only root filesystem, when the test runs as root):
 * `operator --help` lists the operator's flags, and a dry-run of a bundled trace (copied in for
 * the test only) succeeds. Also checks that the Dockerfile still does what this test reproduces.
 */
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunResult, ROOT, assertOk, npm, run, tempDir } from './support.js';

const tmp = tempDir('image');
after(() => tmp.remove());
const APP = join(tmp.path, 'app');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The image's user; the test switches to it when it runs as root. */
const IMAGE_UID = 65532;
const asImageUser = process.getuid?.() === 0;

/** The Dockerfile's ENTRYPOINT, run in the reproduced /app. */
function entrypoint(args: string[]): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent', NODE_ENV: 'production' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli/main.js', ...args], { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'], ...(asImageUser ? { uid: IMAGE_UID, gid: IMAGE_UID } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

before(async () => {
  mkdirSync(APP);
  // The build stage: `npm run build`, here into the new folder (the working tree's dist/ is left alone).
  assertOk(await run('npm', ['run', 'build', '--', '--outDir', join(APP, 'dist')], { timeoutMs: 180_000 }), 'npm run build');
  for (const f of ['package.json', 'package-lock.json', 'LICENSE']) copyFileSync(join(ROOT, f), join(APP, f));
  // The runtime stage's install.
  assertOk(await npm(['ci', '--omit=dev', '--ignore-scripts'], APP), 'npm ci --omit=dev --ignore-scripts');
  // Test input only (the image has no fixtures): eight days of the UK academic trace and the bundled scaler.
  mkdirSync(join(APP, 'fixtures'));
  const trace = readFileSync(join(ROOT, 'fixtures', 'traces', 'uk_academic_net_5min.csv'), 'utf8').split('\n');
  writeFileSync(join(APP, 'fixtures', 'uk-8d.csv'), `${trace.slice(0, 1 + 8 * 288).join('\n')}\n`);
  copyFileSync(join(ROOT, 'manifests', 'samples', 'default.yaml'), join(APP, 'fixtures', 'scaler.yaml'));
  // Root-owned and read-only to the image's user, as in the image (the temp folder itself is 0700).
  if (asImageUser) {
    chmodSync(tmp.path, 0o755);
    assertOk(await run('chmod', ['-R', 'a-w,a+rX', APP]), 'chmod');
  }
});

test('the Dockerfile: two stages, production dependencies only, USER 65532, ENTRYPOINT node dist/cli/main.js', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  assert.equal(stages.length, 2);
  const [build, runtime] = stages as [string, string];
  assert.match(build, /RUN npm ci\b/);
  assert.match(build, /RUN npm run build\b/);
  assert.match(runtime, /RUN npm ci --omit=dev --ignore-scripts\b/);
  // What the runtime stage copies is what this test copies.
  const copies = [...runtime.matchAll(/^COPY (.+)$/gm)].map((m) => m[1]!.trim());
  assert.deepEqual(copies, ['package.json package-lock.json ./', '--from=build /src/dist ./dist', 'LICENSE ./']);
  assert.match(runtime, /^USER 65532(:65532)?$/m);
  assert.match(runtime, /^ENTRYPOINT \["node", "dist\/cli\/main\.js"\]$/m);
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:(22|20)[-.\w]*$/m);
  // The build context holds what the build stage copies, and nothing local (node_modules, dist, out).
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.equal(ignore[0], '*');
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/', 'LICENSE']) assert.ok(ignore.includes(`!${f}`), `.dockerignore lets ${f} in`);
});

test('the reproduced /app holds dist, the manifests of npm and production dependencies only', () => {
  assert.deepEqual(readdirSync(APP).sort(), ['LICENSE', 'dist', 'fixtures', 'node_modules', 'package-lock.json', 'package.json']);
  assert.ok(existsSync(join(APP, 'dist', 'cli', 'main.js')));
  const deps = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const d of Object.keys(deps.dependencies)) assert.ok(existsSync(join(APP, 'node_modules', d, 'package.json')), `dependency ${d} installed`);
  // No package the lockfile marks dev-only (typescript, tsx, the schema models, ...).
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([path, p]) => path.startsWith('node_modules/') && p.dev === true).map(([path]) => path);
  assert.ok(devOnly.includes('node_modules/typescript'));
  assert.deepEqual(devOnly.filter((path) => existsSync(join(APP, path))), []);
});

test('node dist/cli/main.js operator --help exits 0 and lists the operator flags', async () => {
  const r = await entrypoint(['operator', '--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of ['--kubeconfig', '--prometheus', '--namespace', '--metrics-addr', '--health-addr', '--leader-elect', '--leader-election-namespace', '--concurrency', '--shard', '--log-level']) {
    assert.ok(r.stdout.includes(flag), `${flag} in:\n${r.stdout}`);
  }
});

test('a dry-run of a bundled trace runs from the image layout (nothing written to it)', async () => {
  const r = await entrypoint(['dry-run', '-f', 'fixtures/scaler.yaml', '--input', 'fixtures/uk-8d.csv', '--from', '2004-11-27T06:00:00Z', '--to', '2004-11-27T09:00:00Z']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^prescale dry-run: demo\/default /);
  assert.match(r.stdout, /180 ticks of 1m/);
});
