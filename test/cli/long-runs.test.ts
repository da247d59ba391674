/**
 * Long replays as a user meets them: a dry-run whose default range would take more than a few
 * minutes is refused at once (exit 2, one line saying how to proceed, nothing written); asked for
 * with --from/--to it runs, announced with its estimate, and logs its progress every interval
 * (PRESCALE_PROGRESS_INTERVAL) as JSON lines.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

test('dry-run: the same range asked for runs, announced with its estimate, and logs its progress every interval', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PRESCALE_PROGRESS_INTERVAL: '300ms' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dry-run', '-f', 'manifests/samples/default.yaml', '--input', INPUT, '--from', FROM], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Array<{ level?: number; msg?: string; progress?: number; elapsedS?: number }> = [];
  let buffered = '';
  // Read the log until two progress lines came, then stop the replay (it would run for minutes).
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no two progress lines within 120 s; stderr:\n${buffered.slice(-2000)}`));
    }, 120_000);
    child.stderr.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const l of lines.filter((x) => x.trim() !== '')) logs.push(JSON.parse(l) as (typeof logs)[number]);
      if (logs.filter((o) => o.progress !== undefined).length >= 2) {
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
