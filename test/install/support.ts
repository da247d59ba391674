/**
 * Helpers for the install tests: running a command with a time limit, rendering a kustomization
 * with `kubectl kustomize`, the metric names the operator exports, a temporary folder, and a
 * runtime-dependency install (`npm ci --omit=dev`) as fast as npm allows.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root (test/install/../..). */
export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (no shell); a process still running after `timeoutMs` is killed. */
export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const env = { ...process.env, ...opts.env };
  // The test runner's context must not leak into a node process under test.
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Fails with the command's output when it did not exit 0. */
export function assertOk(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

/** A Kubernetes object as rendered (plain JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed: every rendered object. kustomize's deprecation warnings (stderr) are not failures. */
export async function kustomize(dir: string): Promise<KubeObject[]> {
  const r = assertOk(await run('kubectl', ['kustomize', dir]), `kubectl kustomize ${dir}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${d.errors[0]!.message}`);
      return d.toJSON() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** The metric names src/telemetry/metrics.ts registers (`name: '...'`). */
export function exportedMetricNames(): string[] {
  const text = readFileSync(join(ROOT, 'src', 'telemetry', 'metrics.ts'), 'utf8');
  return [...text.matchAll(/\bname:\s*'([a-z_:][a-z0-9_:]*)'/g)].map((m) => m[1]!);
}

/** A temporary folder and its removal. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `prescale-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * npm quietly and quickly: no audit, no funding notice, no update check, packages from the local
 * cache when it has them (the registry otherwise).
 */
export function npm(args: readonly string[], cwd: string, timeoutMs = 240_000): Promise<RunResult> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, timeoutMs, env: { npm_config_update_notifier: 'false' } });
}
