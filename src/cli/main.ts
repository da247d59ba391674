#!/usr/bin/env node
/**
 * The `prescale` command. Exit codes (docs/architecture.md, "Habits"): 0 success, 1 runtime failure, 2 bad usage or
 * invalid input (a query Prometheus rejects included), always with a one-line error on stderr.
 */
import { Command, CommanderError, Option } from 'commander';
import { errorMessage, isPrescaleError } from '../core/errors.js';
import { durationFlag, parseModel, parseQuantiles } from './args.js';
import { systemClock } from '../core/clock.js';
import { LOG_LEVELS } from '../telemetry/log-levels.js';
import type { RawOperatorFlags } from '../operator/options.js';

// Each command's modules (the forecast engine, axios, yaml, pino, the Kubernetes client) are
// imported when that command runs, so `--help`, `--version` and usage errors start in the time of
// commander alone.
const logger = async (opts: { level?: string } = {}) => (await import('../telemetry/logger.js')).createLogger(opts);

// What commander hands each action: the options declared for the command, named in camelCase,
// with their defaults and after their parsers (commander's own typings leave them untyped).
interface ForecastFlags {
  input: string;
  horizon: number;
  step?: number;
  model: string;
  quantiles: number[];
  output?: string;
  levelCorrection: boolean;
}
interface ValidateFlags {
  file: string;
  name?: string;
}
interface ReplayFlags {
  file: string;
  name?: string;
  from?: string;
  to?: string;
  report?: string;
  leadTimes?: string;
}
interface DryRunFlags extends ReplayFlags {
  input?: string;
  prometheus?: string;
  decisions?: string;
  logLevel: string;
}
interface BacktestFlags extends ReplayFlags {
  input: string[];
  json?: string;
}
interface RecordFlags {
  prometheus: string;
  query: string;
  from: string;
  to: string;
  step: string;
  output: string;
  format: 'csv' | 'json';
  header: string[];
  timeout?: string;
}
interface RestoreFlags {
  kubeconfig?: string;
  namespace: string[];
}

export function buildProgram(): Command {
  const program = new Command('prescale')
    .description('Predictive autoscaling for Kubernetes: seasonal forecasts as a replica floor under the HPA.')
    .version('0.1.0')
    // Usage errors are one line like every other error (exit 2); --help shows the usage.
    .configureOutput({ outputError: (text, write) => write(`prescale: error: ${text.replace(/^error: /, '').split('\n')[0]} (see --help)\n`) })
    .exitOverride();
  for (const add of [addForecast, addValidate, addDryRun, addBacktest, addRecord, addOperator, addRestore]) add(program);
  return program;
}

/** `prescale forecast`. */
function addForecast(program: Command): void {
  program
    .command('forecast')
    .description('fit on a recorded series and write the forecast for the horizon after its last sample (CSV)')
    .requiredOption('--input <file>', 'series file: CSV timestamp,value or a saved Prometheus query_range JSON')
    .requiredOption('--horizon <duration>', 'how far ahead, e.g. 6h, 1d', durationFlag('--horizon'))
    .option('--step <duration>', 'output step (default: the input step)', durationFlag('--step'))
    .addOption(new Option('--model <name>', 'auto chooses by rolling-origin backtest').default('auto').argParser((v) => parseModel(v)))
    .option('--quantiles <list>', 'quantile columns to write', (v) => parseQuantiles(v), [0.5, 0.9])
    .option('--output <file>', 'write here instead of stdout (written whole or not at all)')
    .option('--no-level-correction', 'keep the near term at the model\'s level even when the last 30 minutes of load are far off it')
    .action(async (o: ForecastFlags) => {
      const { runForecast } = await import('./forecast.js');
      await runForecast(
        { input: o.input, horizonMs: o.horizon, stepMs: o.step, model: o.model, quantiles: o.quantiles, output: o.output, levelCorrection: o.levelCorrection },
        process.stderr,
      );
    });
}

/** `prescale validate`. */
function addValidate(program: Command): void {
  program
    .command('validate')
    .description('check a PredictiveScaler spec and print every problem with its field path and line')
    .requiredOption('-f, --file <scaler.yaml>', 'the spec')
    .option('--name <name>', 'which PredictiveScaler, when the file holds several')
    .action(async (o: ValidateFlags) => {
      const { runValidate } = await import('./validate.js');
      await runValidate(o.file, o.name, process.stdout, process.stderr);
    });
}

/** `prescale dry-run`. */
function addDryRun(program: Command): void {
  program
    .command('dry-run')
    .description('replay the control loop over recorded load in simulated time and write what it would have done')
    .requiredOption('-f, --file <scaler.yaml>', 'the PredictiveScaler spec')
    .option('--name <name>', 'which PredictiveScaler, when the file holds several')
    .option('--input <file>', 'recorded load: CSV timestamp,value or a saved query_range JSON')
    .option('--prometheus <url>', "read the spec's query from a live Prometheus instead (needs --from and --to)")
    .option('--from <timestamp>', 'start of the replay (default: one week into a recording; a default range estimated at over 5 minutes of work is refused)')
    .option('--to <timestamp>', 'end of the replay (default: the end of the recording)')
    .option('--decisions <file>', 'CSV, one row per control tick')
    .option('--report <file.html>', 'a self-contained HTML report')
    .option('--lead-times <file|duration>', 'plan.leadTime auto: recorded pod start-ups (CSV timestamp,seconds) or a fixed lead time')
    .addOption(new Option('--log-level <level>', 'info logs floor changes, debug every decision').choices(LOG_LEVELS).default('info'))
    .action(async (o: DryRunFlags) => {
      const [{ runDryRun }, { progressIntervalFromEnv }] = await Promise.all([import('./dry-run.js'), import('./progress.js')]);
      const progressIntervalMs = progressIntervalFromEnv(process.env);
      await runDryRun({ file: o.file, name: o.name, input: o.input, prometheus: o.prometheus, from: o.from, to: o.to, decisions: o.decisions, report: o.report, progressIntervalMs, leadTimes: o.leadTimes }, await logger({ level: o.logLevel }), process.stdout);
    });
}

/** `prescale backtest`. */
function addBacktest(program: Command): void {
  program
    .command('backtest')
    .description('score forecasts per model and scaling per policy (predictive, HPA alone, last week, oracle) on recorded load')
    .requiredOption('-f, --file <scaler.yaml>', 'the PredictiveScaler spec')
    .option('--name <name>', 'which PredictiveScaler, when the file holds several')
    .requiredOption('--input <files...>', 'one or more recorded series')
    .option('--from <timestamp>', 'start of the scored range (default: one week into each input; a default range estimated at over 5 minutes of work is refused)')
    .option('--to <timestamp>', 'end of the scored range (default: the end of each input)')
    .option('--json <file>', 'all figures as JSON')
    .option('--report <file.html>', 'a self-contained HTML report')
    .option('--lead-times <file|duration>', 'plan.leadTime auto: recorded pod start-ups (CSV timestamp,seconds) or a fixed lead time')
    .action(async (o: BacktestFlags) => {
      const [{ runBacktest }, { progressIntervalFromEnv }] = await Promise.all([import('./backtest.js'), import('./progress.js')]);
      const progressIntervalMs = progressIntervalFromEnv(process.env);
      await runBacktest({ file: o.file, name: o.name, inputs: o.input, from: o.from, to: o.to, json: o.json, report: o.report, progressIntervalMs, leadTimes: o.leadTimes }, process.stdout, process.stderr);
    });
}

/** `prescale record`. */
function addRecord(program: Command): void {
  program
    .command('record')
    .description('save a range of a live Prometheus series as a fixture (CSV, or the API JSON)')
    .requiredOption('--prometheus <url>', 'Prometheus (or Thanos, Mimir, Cortex, VictoriaMetrics) base URL')
    .requiredOption('--query <promql>', 'a query returning exactly one series')
    .requiredOption('--from <timestamp>', 'ISO-8601 (UTC when no zone) or epoch seconds')
    .requiredOption('--to <timestamp>', 'ISO-8601 (UTC when no zone) or epoch seconds')
    .requiredOption('--step <duration>', 'resolution, e.g. 1m')
    .requiredOption('--output <file>', 'written whole or not at all')
    .addOption(new Option('--format <format>', 'csv or json (a query_range response)').choices(['csv', 'json']).default('csv'))
    .option('--header <name: value>', 'extra request header, repeatable (e.g. "X-Scope-OrgID: tenant-a")', (v: string, acc: string[]) => [...acc, v], [])
    .option('--timeout <duration>', 'deadline of each request for the whole answer, up to 1h; one past it is retried, up to 4 times (default: 30s)')
    .action(async (o: RecordFlags) => {
      const { runRecord } = await import('./record.js');
      const r = await runRecord({ prometheus: o.prometheus, query: o.query, from: o.from, to: o.to, step: o.step, output: o.output, format: o.format, headers: o.header, timeout: o.timeout }, { clock: systemClock, logger: await logger() });
      process.stderr.write(`prescale: recorded ${r.present} of ${r.points} points to ${r.output}\n`);
    });
}

/** `prescale operator`. */
function addOperator(program: Command): void {
  program
    .command('operator')
    .description('run in a cluster (or against a kubeconfig): keep HPA floors from PredictiveScaler resources')
    .option('--kubeconfig <file>', 'kubeconfig to use [env KUBECONFIG; default: the in-cluster service account]')
    .option('--prometheus <url>', 'Prometheus for scalers whose spec.metric.prometheus names none [env PRESCALE_PROMETHEUS]')
    .option('--allowed-prometheus <url>', 'a URL prefix a scaler\'s own spec.metric.prometheus.url may name; repeatable [env PRESCALE_ALLOWED_PROMETHEUS, comma-separated; default: only --prometheus]', (v: string, acc: string[]) => [...acc, v], [])
    .option('--namespace <ns>', 'watch only this namespace; repeatable [env PRESCALE_NAMESPACES, comma-separated; default: all]', (v: string, acc: string[]) => [...acc, v], [])
    .option('--metrics-addr <host:port>', '/metrics listen address [env PRESCALE_METRICS_ADDR; default :8080]')
    .option('--health-addr <host:port>', '/healthz and /readyz listen address [env PRESCALE_HEALTH_ADDR; default :8081]')
    .option('--leader-elect', 'run for leadership on a Lease; only the leader writes [env PRESCALE_LEADER_ELECT]')
    .option('--leader-election-namespace <ns>', "namespace of the Lease [env PRESCALE_LEADER_ELECTION_NAMESPACE; default: the pod's namespace, else default]")
    .option('--concurrency <n>', 'scalers reconciled in parallel [env PRESCALE_CONCURRENCY; default 4]')
    .option('--shard <i/n>', 'handle only the scalers whose namespace/name hash falls in shard i of n, with a lease of its own [env PRESCALE_SHARD; default 0/1]')
    .option('--log-level <level>', `${LOG_LEVELS.join(', ')} [env PRESCALE_LOG_LEVEL; default info]`)
    .action(async (o: RawOperatorFlags) => {
      const { runOperatorCommand } = await import('./operator.js');
      await runOperatorCommand({
        kubeconfig: o.kubeconfig,
        prometheus: o.prometheus,
        allowedPrometheus: o.allowedPrometheus,
        namespace: o.namespace,
        metricsAddr: o.metricsAddr,
        healthAddr: o.healthAddr,
        leaderElect: o.leaderElect,
        leaderElectionNamespace: o.leaderElectionNamespace,
        concurrency: o.concurrency,
        shard: o.shard,
        logLevel: o.logLevel,
      });
    });
}

/** `prescale restore`. */
function addRestore(program: Command): void {
  program
    .command('restore')
    .description("put back the original minReplicas of every HPA prescale changed (uninstalling)")
    .option('--kubeconfig <file>', 'kubeconfig to use [env KUBECONFIG; default: the in-cluster service account]')
    .option('--namespace <ns>', 'only this namespace; repeatable (default: all)', (v: string, acc: string[]) => [...acc, v], [])
    .action(async (o: RestoreFlags) => {
      const { runRestoreCommand } = await import('./operator.js');
      await runRestoreCommand({ kubeconfig: o.kubeconfig, namespace: o.namespace }, process.stdout);
    });
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message; help and version are successes.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    // One line per problem (a spec with several problems reports them all).
    const lines = isPrescaleError(e, 'invalid-input') ? e.message.split('\n') : [errorMessage(e)];
    for (const line of lines) process.stderr.write(`prescale: error: ${line}\n`);
    // A query Prometheus refuses (PromQL syntax, too many points) is the user's input too.
    if (isPrescaleError(e, 'invalid-input') || isPrescaleError(e, 'query')) return 2;
    if (process.env.PRESCALE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
