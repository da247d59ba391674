import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseZoomWindow, MAX_PLAN_ROWS, renderReport,
  type PolicyScore, type ReportData, type ReportSeries, type TraceReport,
} from '../../../src/backtest/report.js';
import {
  downsampleM4, escapeXml, formatUtc, stepPath, timeChart, timeTicks, valueTicks,
} from '../../../src/backtest/svg.js';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2014, 6, 1); // 2014-07-01 00:00 UTC

const series = (values: ArrayLike<number>, startMs = T0, stepMs = MIN): ReportSeries => ({ startMs, stepMs, values });

/** A daily cycle in load units (peaks at 3000, troughs at 600), `days` days at 1 minute. */
function dailyLoad(days: number): Float64Array {
  return Float64Array.from({ length: days * 1440 }, (_, i) => 1800 - 1200 * Math.cos((2 * Math.PI * (i % 1440)) / 1440));
}

function score(name: string, over: Partial<PolicyScore> = {}): PolicyScore {
  return { name, shortfallReplicaMinutes: 100, shortfallPct: 1, underMinutes: 50, replicaHours: 500, costVsOracle: 1.5, scalingEvents: 40, ...over };
}

function sampleTrace(days = 3, over: Partial<TraceReport> = {}): TraceReport {
  const load = dailyLoad(days);
  const ready = Float64Array.from(load, (v) => Math.ceil(v / 100) + 1);
  return {
    name: 'web.csv',
    perReplica: 100,
    load: series(load),
    policies: [
      { name: 'predictive', ready: series(ready), floor: series(ready.map((v) => v - 1)) },
      { name: 'hpa', ready: series(ready) },
      { name: 'oracle', ready: series(load.map((v) => Math.ceil(v / 100))) },
    ],
    scores: [score('predictive'), score('hpa'), score('oracle', { shortfallReplicaMinutes: 0, costVsOracle: 1 })],
    ...over,
  };
}

function report(traces: TraceReport[], over: Partial<ReportData> = {}): ReportData {
  return { title: 'Backtest of shop/web', scaler: 'shop/web', generatedAtMs: Date.UTC(2024, 4, 2, 9, 30), settings: [['lead time', '5m']], traces, ...over };
}

/** The `d` attribute of every path whose <title> is `label`. */
function pathsLabelled(svg: string, label: string): string[] {
  const re = /<path d="([^"]*)"[^>]*><title>([^<]*)<\/title>/g;
  return [...svg.matchAll(re)].filter((m) => m[2] === label).map((m) => m[1]!);
}

const coordPairs = (d: string): [number, number][] =>
  [...d.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

test('the document is complete and needs nothing from the network', () => {
  const html = renderReport(report([sampleTrace()]));
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /<\/html>\s*$/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<style>[\s\S]+<\/style>/);
  assert.doesNotMatch(html, /https?:\/\//i, 'no URL at all');
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /<script\b/i);
  assert.doesNotMatch(html, /@import|@font-face/i);
  assert.doesNotMatch(html, /url\((?!#)/i, 'only in-document references such as url(#clip)');
  assert.doesNotMatch(html, /<img\b|<iframe\b/i);
  assert.equal((html.match(/<svg\b/g) ?? []).length, 2, 'a whole-trace chart and a zoom chart');
  assert.equal((html.match(/<svg\b/g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length);
});

test('shows the title, scaler, settings, generation time and every policy', () => {
  const html = renderReport(report([sampleTrace()], { settings: [['quantile', 'p90'], ['lead time', '5m']] }));
  assert.ok(html.includes('<title>Backtest of shop/web</title>'));
  assert.ok(html.includes('<h1>Backtest of shop/web</h1>'));
  assert.ok(html.includes('shop/web'));
  assert.ok(html.includes('2024-05-02 09:30'));
  assert.ok(html.includes('<dt>quantile</dt><dd>p90</dd>'));
  for (const name of ['predictive', 'hpa', 'oracle']) {
    assert.ok(html.includes(`<title>${name} ready replicas</title>`), `${name} drawn`);
    assert.ok(html.includes(`${name} ready</li>`), `${name} in the legend`);
    assert.ok(html.includes(`<td>${name === 'hpa' ? 'hpa alone' : name}</td>`), `${name} in the scores table`);
  }
  assert.ok(html.includes('<title>predictive floor</title>'));
});

test('metrics table shows the values with units and highlights the best per column', () => {
  const scores = [
    score('predictive', { shortfallReplicaMinutes: 1234.56, shortfallPct: 0.42, underMinutes: 17, replicaHours: 812.04, costVsOracle: 1.18, scalingEvents: 96 }),
    score('hpa', { shortfallReplicaMinutes: 9876.5, shortfallPct: 3.5, underMinutes: 310, replicaHours: 700.5, costVsOracle: 1.02, scalingEvents: 96 }),
    score('oracle', { shortfallReplicaMinutes: 0, shortfallPct: 0, underMinutes: 0, replicaHours: 686.75, costVsOracle: 1, scalingEvents: 2000 }),
  ];
  const html = renderReport(report([sampleTrace(3, { scores })]));
  const rows = Object.fromEntries([...html.matchAll(/<tr[^>]*><td[^>]*>(predictive|hpa alone|oracle)<\/td>(.*?)<\/tr>/g)].map((m) => [m[1] === 'hpa alone' ? 'hpa' : m[1], m[2]!]));
  const cells = (row: string) => [...row.matchAll(/<td( class="[^"]*")?>([^<]*)<\/td>/g)].map((m) => ({ best: (m[1] ?? '').includes('best'), text: m[2]! }));
  const pred = cells(rows.predictive!);
  const hpa = cells(rows.hpa!);
  const oracle = cells(rows.oracle!);
  assert.deepEqual(pred.map((c) => c.text), ['1,234.6', '0.42%', '17', '812.0', '1.18×', '96']);
  assert.deepEqual(hpa.map((c) => c.text), ['9,876.5', '3.50%', '310', '700.5', '1.02×', '96']);
  // predictive wins shortfall, %, minutes under; hpa wins cost; both tie on scaling events.
  assert.deepEqual(pred.map((c) => c.best), [true, true, true, false, false, true]);
  assert.deepEqual(hpa.map((c) => c.best), [false, false, false, true, true, true]);
  assert.ok(oracle.every((c) => !c.best), 'the oracle is a reference, never ranked');
  assert.match(html, /<tr class="reference"><td>oracle<\/td>/);
});

test('forecast accuracy table: values, missing coverage and coverage closest to the quantile', () => {
  const trace = sampleTrace(3, {
    forecast: { mean: series(dailyLoad(3)), upper: series(dailyLoad(3).map((v) => v * 1.1)), quantile: 0.9 },
    accuracy: [
      { model: 'seasonal-naive', mase: 1, smape: 12.34, coverage: null },
      { model: 'holt-winters', mase: 0.7123, smape: 8.9, coverage: 0.97 },
      { model: 'spectral', mase: 0.8, smape: 9.1, coverage: 0.88 },
    ],
  });
  const html = renderReport(report([trace]));
  const table = html.slice(html.indexOf('<table class="accuracy"'), html.indexOf('</table>', html.indexOf('<table class="accuracy"')));
  assert.ok(table.includes('coverage of p90'));
  assert.ok(table.includes('<td>seasonal-naive</td><td class="num">1.000</td><td class="num">12.3%</td><td class="num">—</td>'));
  assert.ok(table.includes('<td class="num best">0.712</td>'), 'lowest MASE highlighted');
  assert.ok(table.includes('<td class="num best">88.0%</td>'), '0.88 is closer to 0.9 than 0.97');
  assert.ok(!table.includes('<td class="num best">97.0%</td>'));
});

test('text is escaped everywhere: a trace named <script> cannot inject', () => {
  const evil = '<script>alert("x")</script>';
  const trace = sampleTrace(2, {
    name: evil,
    policies: [{ name: '<img src=x onerror=alert(1)>', ready: series(new Float64Array(2880).fill(3)) }],
    scores: [score('"quoted" & <b>')],
    planSteps: [{ fromMs: T0, toMs: T0 + 3_600_000, replicas: 4, reason: 'p90 > capacity & </td><script>' }],
    notes: ["it's <b>bold</b>"],
  });
  const html = renderReport(report([trace], { title: '</title><script>x()</script>', scaler: 'a"b', settings: [['k<', 'v>"&']] }));
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /<b>bold/);
  assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;'));
  assert.ok(html.includes('p90 &#62; capacity &#38; &#60;/td&#62;&#60;script&#62;'));
  assert.ok(html.includes('<dt>k&#60;</dt><dd>v&#62;&#34;&#38;</dd>'));
  assert.equal(escapeXml(`a&b<c>"d"'e'`), 'a&#38;b&#60;c&#62;&#34;d&#34;&#39;e&#39;');
});

test('M4 downsampling bounds an 86,400-point series and keeps its spike', () => {
  const n = 86_400;
  const values = Float64Array.from({ length: n }, (_, i) => 10 + 5 * Math.sin(i / 7) + (i % 13) / 13);
  const spikeAt = 51_234;
  values[spikeAt] = 500;
  const s = series(values);
  const columns = 1000;
  const segs = downsampleM4(s, T0, T0 + n * MIN, columns);
  const pts = segs.flat();
  assert.ok(pts.length <= 4 * (columns + 3), `${pts.length} points`);
  assert.ok(pts.length >= columns, 'every column is drawn');
  assert.ok(pts.some((p) => p.v === 500 && p.t === T0 + spikeAt * MIN), 'the spike survives at its own time');
  const min = Math.min(...values);
  assert.ok(pts.some((p) => p.v === min), 'the minimum survives too');
  for (let k = 1; k < pts.length; k++) assert.ok(pts[k]!.t > pts[k - 1]!.t, 'time-ordered, no duplicates');
});

test('the drawn chart of an 86,400-point series stays small and the spike sets the axis', () => {
  const n = 86_400;
  const values = Float64Array.from({ length: n }, (_, i) => 20 + ((i * 7919) % 11));
  values[40_037] = 400; // mid-column (not a column's first or last sample)
  const svg = timeChart({ id: 'c', title: 'spike', fromMs: T0, toMs: T0 + n * MIN, yLabel: 'replicas',
    layers: [{ kind: 'line', label: 'load', series: series(values), stroke: '#000', width: 1 }] });
  const pairs = coordPairs(pathsLabelled(svg, 'load')[0]!);
  assert.ok(pairs.length <= 4 * (1100 + 3), `${pairs.length} points drawn`);
  const yTickLabels = [...svg.matchAll(/text-anchor="end">(\d+)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(Math.max(...yTickLabels) >= 400, 'the y axis reaches the spike');
  // Plot area of the default 1100 × 340 chart: y from 296 (value 0) up to 14 (the top tick).
  const top = Math.max(...yTickLabels);
  const spikeY = 296 - (400 / top) * (296 - 14);
  const highest = Math.min(...pairs.map(([, y]) => y));
  assert.ok(Math.abs(highest - spikeY) <= 0.1, `spike drawn at its height (y=${highest}, expected ${spikeY})`);
});

test('a 60-day trace at 1 minute with four policies and a forecast renders under 2 MB', () => {
  const days = 60;
  const load = dailyLoad(days);
  const jitter = (k: number) => Float64Array.from(load, (v, i) => Math.ceil(v / 100) + ((i * k) % 3));
  const trace: TraceReport = {
    name: 'long.csv', perReplica: 100, load: series(load),
    forecast: { mean: series(load), lower: series(load.map((v) => v * 0.9)), upper: series(load.map((v) => v * 1.1)), quantile: 0.9 },
    policies: ['predictive', 'hpa', 'last-week', 'oracle'].map((name, k) => ({ name, ready: series(jitter(k + 1)), ...(k === 0 ? { floor: series(jitter(5)) } : {}) })),
    scores: [score('predictive'), score('hpa'), score('last-week'), score('oracle')],
  };
  const html = renderReport(report([trace]));
  assert.ok(html.length < 2_000_000, `${html.length} bytes`);
  assert.doesNotMatch(html, /NaN|Infinity/);
});

test('gaps break lines but never produce NaN coordinates', () => {
  const values = dailyLoad(3);
  values.fill(NaN, 0, 200); // leading gap
  values.fill(NaN, 1500, 1900); // a 400-minute outage
  values[3000] = NaN; // a single missing minute (sub-pixel at this zoom)
  const allNaN = new Float64Array(4320).fill(NaN);
  const trace = sampleTrace(3, {
    load: series(values),
    forecast: { mean: series(allNaN), lower: series(allNaN), upper: series(allNaN), quantile: 0.9 },
    policies: [
      { name: 'predictive', ready: series(allNaN), floor: series(new Float64Array(0)) },
      { name: 'hpa', ready: series(values.map((v) => Math.ceil(v / 100))) },
    ],
    scores: [score('predictive', { shortfallReplicaMinutes: NaN, costVsOracle: Infinity }), score('hpa')],
    accuracy: [{ model: 'holt-winters', mase: NaN, smape: NaN, coverage: NaN }],
  });
  const html = renderReport(report([trace]));
  assert.doesNotMatch(html, /NaN/);
  assert.doesNotMatch(html, /Infinity/);
  const segs = downsampleM4(series(values), T0, T0 + 3 * DAY, 1000);
  assert.equal(segs.length, 2, 'the outage splits the line; the single missing minute does not');
  assert.equal(segs[0]![0]!.t, T0 + 200 * MIN, 'the line starts after the leading gap');
  assert.ok(segs[1]![0]!.t >= T0 + 1900 * MIN);
  const loadPath = pathsLabelled(html, 'load (replicas)')[1]!;
  assert.equal((loadPath.match(/M/g) ?? []).length, 2, 'two drawn line pieces in the whole-trace chart');
});

test('an empty trace and an empty report still make a valid page', () => {
  const empty: TraceReport = { name: 'empty.csv', perReplica: 10, load: series(new Float64Array(0)), policies: [], scores: [] };
  const html = renderReport(report([empty], { settings: [] }));
  assert.ok(html.includes('No samples in this trace.'));
  assert.doesNotMatch(html, /<svg/);
  assert.doesNotMatch(html, /NaN/);
  const none = renderReport(report([], { settings: [] }));
  assert.match(none, /<\/html>\s*$/);
  assert.ok(none.includes('0 traces'));
});

test('plan steps are listed with their reasons, capped with a note of how many more', () => {
  const total = MAX_PLAN_ROWS + 37;
  const steps = Array.from({ length: total }, (_, k) => ({ fromMs: T0 + k * 1_800_000, toMs: T0 + (k + 1) * 1_800_000, replicas: 2 + (k % 9), reason: `step number ${k}` }));
  const html = renderReport(report([sampleTrace(3, { planSteps: steps })]));
  const table = html.slice(html.indexOf('<table class="plan"'), html.indexOf('</table>', html.indexOf('<table class="plan"')));
  assert.equal((table.match(/<tr>/g) ?? []).length, MAX_PLAN_ROWS + 1, 'header plus capped rows');
  assert.ok(table.includes('<td>2014-07-01 00:00</td><td>2014-07-01 00:30</td><td class="num">30m</td><td class="num">2</td><td class="reason">step number 0</td>'));
  assert.ok(table.includes(`step number ${MAX_PLAN_ROWS - 1}<`));
  assert.ok(!html.includes(`step number ${MAX_PLAN_ROWS}<`));
  assert.ok(html.includes('… and 37 more steps not shown'));
});

test('zoom window selection', async (t) => {
  const load = dailyLoad(5);
  const short = Float64Array.from(load, (v, i) => (Math.floor(i / 1440) === 3 && i % 1440 > 600 && i % 1440 < 700 ? 1 : Math.ceil(v / 100)));
  const worse = Float64Array.from(short, (v, i) => (Math.floor(i / 1440) === 1 && i % 1440 > 600 && i % 1440 < 630 ? 1 : v));
  const cases: { name: string; trace: TraceReport; expect: { fromMs: number; why: RegExp } | null }[] = [
    { name: 'the day where the HPA-alone policy falls shortest', expect: { fromMs: T0 + 3 * DAY, why: /largest shortfall of the hpa policy/ },
      trace: sampleTrace(5, { load: series(load), policies: [{ name: 'hpa', ready: series(short) }] }) },
    { name: 'a longer shortfall outweighs a shorter one', expect: { fromMs: T0 + 3 * DAY, why: /hpa/ },
      trace: sampleTrace(5, { load: series(load), policies: [{ name: 'hpa', ready: series(worse) }] }) },
    { name: 'no HPA shortfall: the first full day with a forecast', expect: { fromMs: T0 + 2 * DAY, why: /first full day with a forecast/ },
      trace: sampleTrace(5, { load: series(load), policies: [{ name: 'hpa', ready: series(load.map((v) => v / 100 + 5)) }],
        forecast: { mean: series(load.subarray(2 * 1440 - 90), T0 + 2 * DAY - 90 * MIN), upper: series(load.subarray(2 * 1440 - 90), T0 + 2 * DAY - 90 * MIN), quantile: 0.9 } }) },
    { name: 'no HPA and no forecast: the first full UTC day', expect: { fromMs: T0 + DAY, why: /first full day of the trace/ },
      trace: sampleTrace(5, { load: series(load.subarray(60), T0 + 60 * MIN), policies: [] }) },
    { name: 'shorter than a day: no zoom', expect: null,
      trace: sampleTrace(1, { load: series(load.subarray(0, 1000)) }) },
    { name: 'an explicit window wins', expect: { fromMs: T0 + 6 * 3_600_000, why: /chosen for this report/ },
      trace: sampleTrace(5, { zoom: { fromMs: T0 + 6 * 3_600_000, toMs: T0 + 12 * 3_600_000 } }) },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const w = chooseZoomWindow(c.trace);
      if (c.expect === null) return assert.equal(w, null);
      assert.ok(w !== null);
      assert.equal(formatUtc(w.fromMs), formatUtc(c.expect.fromMs));
      assert.match(w.why, c.expect.why);
    });
  }
});

test('step lines hold each value until the next sample', () => {
  const segs = [[{ t: 0, v: 1 }, { t: 1, v: 1 }, { t: 2, v: 3 }, { t: 3, v: 2 }]];
  // x = 10·t, y = v: flat at 1 until t=2, up to 3, down to 2 at t=3, held one more step.
  assert.equal(stepPath(segs, 1, (t) => 10 * t, (v) => v), 'M0,1H20V3H30V2H40');
});

test('time axis ticks are UTC-aligned and readable', async (t) => {
  const cases = [
    { name: '14 days: date labels every 2 days', from: T0, to: T0 + 14 * DAY, max: 10, main: ['2014-07-01', '2014-07-03'], subs: false },
    { name: 'one day: clock times with the date under each new day', from: T0, to: T0 + DAY, max: 10, main: ['00:00', '03:00'], subs: true },
    { name: 'unaligned start: first tick on the next round hour', from: T0 + 17 * MIN, to: T0 + 6 * 3_600_000, max: 8, main: ['01:00', '02:00'], subs: true },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const ticks = timeTicks(c.from, c.to, c.max);
      assert.ok(ticks.length <= c.max && ticks.length >= 2);
      assert.deepEqual(ticks.slice(0, 2).map((k) => k.main), c.main);
      for (const k of ticks) assert.ok(k.ms >= c.from && k.ms <= c.to);
      if (c.subs) assert.equal(ticks[0]!.sub, '2014-07-01');
      if (c.subs) assert.equal(ticks[1]!.sub, '', 'the date is not repeated within a day');
    });
  }
  assert.equal(formatUtc(Date.UTC(2014, 6, 1, 13, 5)), '2014-07-01 13:05');
  assert.equal(formatUtc(NaN), '—');
});

test('replica axis ticks are round numbers reaching the maximum', () => {
  assert.deepEqual(valueTicks(37, 5, 1), [0, 10, 20, 30, 40]);
  assert.deepEqual(valueTicks(3.2, 5, 1), [0, 1, 2, 3, 4]);
  assert.deepEqual(valueTicks(0, 5, 1), [0, 1]);
  assert.deepEqual(valueTicks(NaN, 5, 1), [0, 1]);
});

test('a conclusion in words heads each trace: the shortfall cut and the cost against the HPA alone and the perfect-foresight floor, then what to try next', () => {
  const scores = [
    score('predictive', { shortfallReplicaMinutes: 10, underMinutes: 12, replicaHours: 550 }),
    score('hpa', { shortfallReplicaMinutes: 200, underMinutes: 300, replicaHours: 500 }),
    score('perfect-foresight', { shortfallReplicaMinutes: 0, replicaHours: 400 }),
  ];
  const html = renderReport(report([sampleTrace(2, { scores })]));
  const verdict = /<p class="verdict">([^<]*)<\/p>/.exec(html)?.[1];
  assert.ok(verdict, 'a verdict paragraph');
  assert.match(verdict, /removes 95 % of the HPA alone&#39;s shortfall \(12 minutes under capacity instead of 300\) for 10 % more replica-hours than the HPA alone, 1\.38× what a perfect forecast would cost/);
  assert.match(verdict, /Next: a lower forecast\.quantile/, 'costly against perfect foresight: try a cheaper floor');
  const weak = renderReport(report([sampleTrace(2, { scores: [score('predictive', { shortfallReplicaMinutes: 150 }), score('hpa', { shortfallReplicaMinutes: 200 })] })]));
  assert.match(weak, /removes 25 % of the HPA alone&#39;s shortfall.*Next: a higher forecast\.quantile/);
});

test('the axes follow the load and the replicas: a forecast spike above them is clipped and the chart says so', () => {
  const load = dailyLoad(2);
  const upper = Float64Array.from(load, (v, i) => (i === 1500 ? 300 * 100 : v * 1.1));
  const trace = sampleTrace(2, { forecast: { mean: series(load), upper: series(upper), quantile: 0.9 } });
  const html = renderReport(report([trace]));
  assert.match(html, /<text class="clipped"[^>]*>▲ forecast mean…p90 above (\d+): clipped<\/text>/);
  const top = Number(/above (\d+): clipped/.exec(html)![1]);
  assert.ok(top >= 31 && top <= 40, `the axis tops out near the highest ready count (31), not at the spike (300): ${top}`);
  assert.doesNotMatch(renderReport(report([sampleTrace(2)])), /class="clipped"/, 'nothing clipped, nothing said');
});

test('a replay over part of the load (a dry-run\'s --from) charts the replayed range; tables and charts scroll sideways on a phone; the footer names the command', () => {
  const t = sampleTrace(3);
  const late = (s: ReportSeries): ReportSeries => ({ startMs: s.startMs + DAY, stepMs: s.stepMs, values: Array.from(s.values).slice(1440) });
  const partial: TraceReport = { ...t, policies: t.policies.map((p) => ({ ...p, ready: late(p.ready), ...(p.floor ? { floor: late(p.floor) } : {}) })) };
  const html = renderReport(report([partial], { title: 'prescale dry-run: shop/web' }));
  assert.match(html, /<h3>Replayed range: 2014-07-02 00:00 – 2014-07-04 00:00<\/h3>/);
  assert.match(renderReport(report([t])), /<h3>Whole trace<\/h3>/);
  assert.match(html, /<div class="scroll"><svg class="chart"/);
  assert.match(html, /<div class="scroll"><table class="scores"/);
  assert.match(html, /@media \(max-width:700px\)\{.*svg\.chart\{min-width:760px\}/);
  assert.match(html, /<footer>prescale dry-run report · /);
  assert.match(renderReport(report([t], { title: 'prescale backtest: shop/web' })), /<footer>prescale backtest report · /);
});

test('"samples" counts the samples present, not the slots of the grid', () => {
  const values = dailyLoad(1);
  for (let i = 0; i < 100; i++) values[i] = NaN;
  const html = renderReport(report([sampleTrace(1, { load: series(values) })]));
  assert.match(html, /1,340 samples/);
});
