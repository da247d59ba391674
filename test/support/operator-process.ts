/**
 * The real `prescale operator` in a child process (node --import tsx src/cli/main.ts operator ...,
 * or the built `node dist/cli/main.js operator ...` as the image runs it), its JSON log lines
 * collected, its health and metrics addresses read from its start-up line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far (non-JSON lines as { msg }). */
  readonly logs: Array<Record<string, unknown>>;
  readonly healthUrl: string;
  readonly metricsUrl: string;
  /** Resolves with the exit code (null when killed by a signal) once the process ends. */
  readonly exited: Promise<number | null>;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number, what?: string): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** Run the built JavaScript (`npm run build` first), as the image does, instead of the sources through tsx. */
  readonly built?: boolean;
}

export async function startOperator(args: readonly string[], env: Record<string, string> = {}, opts: StartOptions = {}): Promise<OperatorProcess> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.KUBECONFIG;
  const entry = opts.built ? ['dist/cli/main.js'] : ['--import', 'tsx', 'src/cli/main.ts'];
  const child = spawn(process.execPath, [...entry, 'operator', '--metrics-addr', '127.0.0.1:0', '--health-addr', '127.0.0.1:0', ...args], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let partial = '';
  const onData = (d: Buffer): void => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (l.trim() === '') continue;
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ msg: l });
      }
    }
  };
  child.stderr!.on('data', onData);
  child.stdout!.on('data', onData);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  process.once('exit', () => child.kill('SIGKILL'));

  const waitForLog = async (match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000, what = 'log line'): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = logs.find(match);
      if (hit) return hit;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`operator exited (${child.exitCode ?? child.signalCode}) before ${what}:\n${dump(logs)}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${dump(logs)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const start = await waitForLog((l) => l.msg === 'prescale operator starting', 30_000, 'start-up line');
  return {
    child,
    logs,
    healthUrl: `http://${String(start.health)}`,
    metricsUrl: `http://${String(start.metrics)}`,
    exited,
    waitForLog,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export const dump = (logs: ReadonlyArray<Record<string, unknown>>): string =>
  logs
    .slice(-40)
    .map((l) => JSON.stringify(l))
    .join('\n');
