/**
 * Long replays as a user meets them: a dry-run or backtest whose default range would take more
 * than a few minutes is refused at once (exit 2, one line saying how to proceed, nothing written);
 * asked for with --from/--to it runs, announced with its estimate, and reports its progress every
 * interval (PRESCALE_PROGRESS_INTERVAL): JSON log lines from dry-run, plain lines from backtest.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { HOUR_MS, ROOT, linesOf, runCli, tempDir, writeSeries } from './run-cli.js';

const tmp = tempDir('long-runs');
after(() => tmp.remove());

// 500 days at an hourly step (12,000 rows): the default scaler's replay of it (1-minute ticks,
// hourly refits, 28 days of history) is estimated at about 6 minutes.
const T0 = Date.UTC(2014, 0, 1);
const DAYS = 500;
const INPUT = writeSeries(
  tmp.file('500d.csv'),
  Array.from({ length: DAYS * 24 }, (_, i) => `${new Date(T0 + i * HOUR_MS).toISOString().replace('.000Z', 'Z')},${Math.round(3000 + 2000 * Math.sin((2 * Math.PI * i) / 24))}`),
);
const FROM = '2014-01-08T00:00:00Z'; // the default start: a week into the recording

test('dry-run: a default range too long to replay is refused at once with the estimate and a range to try', async () => {
  const decisions = tmp.file('refused.csv');
  const r = await runCli(['dry-run', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--decisions', decisions]);
  assert.equal(r.code, 2, r.stderr);
  const err = linesOf(r.stderr);
  assert.equal(err.length, 1, r.stderr);
  assert.match(
    err[0]!,
    new RegExp(
      `^prescale: error: ${INPUT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: replaying the whole recording \\(${FROM} \\.\\. 2015-05-16T00:00:00Z, 493 days \\(709920 ticks, 11832 refits\\)\\) ` +
        `would take about \\d+ min; choose the range with --from/--to \\(--from 2015-04-16T00:00:00Z replays the last 30 days\\), or give --from ${FROM} to replay all of it$`,
    ),
  );
  assert.ok(!existsSync(decisions), 'nothing written');
});

/**
 * Runs `prescale ...args` with a 300 ms progress interval and collects its stderr lines until
 * `enough` holds, then stops it (the runs asked for here would take minutes).
 */
async function runUntil(args: string[], enough: (lines: string[]) => boolean): Promise<string[]> {
  const env: NodeJS.ProcessEnv = { ...process.env, PRESCALE_PROGRESS_INTERVAL: '300ms' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not enough within 180 s; stderr:\n${[...lines, buffered].join('\n').slice(-2000)}`));
    }, 180_000);
    child.stderr.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      lines.push(...complete.filter((x) => x.trim() !== ''));
      if (enough(lines)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return lines;
}

test('dry-run: the same range asked for runs, announced with its estimate, and logs its progress every interval', async () => {
  type Log = { level?: number; msg?: string; progress?: number };
  const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Log);
  const logs = parse(await runUntil(['dry-run', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--from', FROM], (ls) => parse(ls).filter((o) => o.progress !== undefined).length >= 2));
  const warning = logs.find((o) => o.level === 40 && o.msg?.includes('will take'));
  assert.match(warning?.msg ?? '', new RegExp(`: replaying ${FROM} \\.\\. 2015-05-16T00:00:00Z, 493 days \\(709920 ticks, 11832 refits\\) will take about \\d+ min; progress is logged every 300ms$`));
  const progress = logs.filter((o) => o.progress !== undefined);
  assert.equal(progress.length, 2, JSON.stringify(logs.slice(-5)));
  for (const p of progress) {
    assert.equal(p.level, 30);
    assert.match(p.msg!, /^replay \d+% \(simulated 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ in 2014-01-08T00:00:00Z \.\. 2015-05-16T00:00:00Z\), \d+ s(, about \d+ (s|min|h)( left)?)?/);
    assert.ok(p.progress! >= 0 && p.progress! < 1);
  }
  assert.ok(progress[1]!.progress! >= progress[0]!.progress!);
});

test('backtest: a default range too long is refused the same way; a range asked for is scored, and bad ranges are one line', async () => {
  const refused = await runCli(['backtest', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--json', tmp.file('refused.json')]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.deepEqual(linesOf(refused.stderr).length, 1, refused.stderr);
  assert.match(refused.stderr, /: backtesting the whole recording \(2014-01-08T00:00:00Z \.\. 2015-05-16T00:00:00Z, 493 days \(709920 ticks, 11832 refits\)\) would take about \d+ min; choose the range with --from\/--to \(--from 2015-04-16T00:00:00Z scores the last 30 days\)/);
  assert.ok(!existsSync(tmp.file('refused.json')));

  const bad: Array<[string[], RegExp]> = [
    [['--from', '2014-01-03T00:00:00Z'], /^prescale: error: --from: 2014-01-03T00:00:00Z leaves less than 7 days of warm-up in .*500d\.csv, which starts 2014-01-01T00:00:00Z; start at 2014-01-08T00:00:00Z or later$/],
    [['--from', '2014-03-01T00:00:00Z', '--to', '2014-02-01T00:00:00Z'], /^prescale: error: --to \(2014-02-01T00:00:00Z\) must be after --from \(2014-03-01T00:00:00Z\)$/],
    [['--from', '2015-05-15T12:00:00Z'], /^prescale: error: --from\/--to: 2015-05-15T12:00:00Z \.\. 2015-05-16T00:00:00Z leaves 12h of .* to score; a backtest scores at least a day$/],
  ];
  for (const [range, message] of bad) {
    const r = await runCli(['backtest', '-f', 'manifests/samples/default.yaml', '--input', INPUT, ...range]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(linesOf(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr.trim(), message);
  }

  const json = tmp.file('two-days.json');
  const ok = await runCli(['backtest', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--from', '2015-03-01T00:00:00Z', '--to', '2015-03-03T00:00:00Z', '--json', json], { timeoutMs: 300_000 });
  assert.equal(ok.code, 0, ok.stderr);
  const figures = JSON.parse(readFileSync(json, 'utf8')) as { results: Array<{ ticks: number }> };
  assert.equal(figures.results[0]!.ticks, 2 * 24 * 60, 'two days of 1-minute ticks scored');
});

test('backtest: a long range asked for is announced, and its replay reports progress lines on stderr', async () => {
  const progress = (ls: string[]) => ls.filter((l) => /^prescale: 500d\.csv: replay \d+% /.test(l));
  const lines = await runUntil(['backtest', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--from', FROM], (ls) => progress(ls).length >= 2);
  assert.match(lines[0]!, /^prescale: .*500d\.csv: backtesting the whole recording \(2014-01-08T00:00:00Z \.\. 2015-05-16T00:00:00Z, 493 days \(709920 ticks, 11832 refits\)\) will take about \d+ min$/);
  const p = progress(lines);
  assert.equal(p.length, 2, lines.join('\n'));
  for (const l of p) assert.match(l, /^prescale: 500d\.csv: replay \d+% \(simulated \S+ in 2014-01-08T00:00:00Z \.\. 2015-05-16T00:00:00Z\), \d+ s/);
});
