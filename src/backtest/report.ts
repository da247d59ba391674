/**
 * The backtest / dry-run report: one self-contained HTML file (inline CSS, inline SVG, no script,
 * no external URL) that renders what the backtest computed. This module computes nothing but
 * layout: the only derived figure is the choice of the zoom window (see `chooseZoomWindow`).
 * Pure: no Node built-ins, no clock; `generatedAtMs` is passed in.
 */
import { formatDuration } from '../core/duration.js';
import { escapeXml as esc, formatUtc, timeChart, type ChartLayer } from './svg.js';

export interface ReportSeries { readonly startMs: number; readonly stepMs: number; readonly values: ArrayLike<number> } // NaN = gap
export interface PolicyRun {
  readonly name: string;              // 'predictive' | 'hpa' | 'last-week' | 'oracle' | ...
  readonly ready: ReportSeries;       // ready replicas over time
  readonly floor?: ReportSeries;      // the floor applied (predictive and last-week policies)
}
/** Scores as computed by the backtest. `shortfallPct` is a percentage (0..100) of demand; `costVsOracle` a ratio (1 = oracle's replica-hours). */
export interface PolicyScore {
  readonly name: string;
  readonly shortfallReplicaMinutes: number; readonly shortfallPct: number; readonly underMinutes: number;
  readonly replicaHours: number; readonly costVsOracle: number; readonly scalingEvents: number;
}
/** `smape` in percent (0..200) as src/forecast/accuracy.ts computes it; `coverage` a fraction (0..1). */
export interface ModelAccuracy { readonly model: string; readonly mase: number; readonly smape: number; readonly coverage: number | null }
export interface PlanStepView { readonly fromMs: number; readonly toMs: number; readonly replicas: number; readonly reason: string }
export interface TraceReport {
  readonly name: string;                 // input file name
  readonly perReplica: number;
  readonly load: ReportSeries;           // observed load
  readonly forecast?: { readonly mean: ReportSeries; readonly lower?: ReportSeries; readonly upper: ReportSeries; readonly quantile: number };
  readonly policies: readonly PolicyRun[];
  readonly scores: readonly PolicyScore[];
  readonly accuracy?: readonly ModelAccuracy[];
  readonly planSteps?: readonly PlanStepView[];   // the plan steps with their reasons (explanation)
  readonly notes?: readonly string[];
  /** Optional override of the zoomed chart's window (epoch ms); chosen automatically otherwise. */
  readonly zoom?: { readonly fromMs: number; readonly toMs: number };
}
export interface ReportData {
  readonly title: string;
  readonly scaler: string;               // e.g. 'shop/web'
  readonly generatedAtMs: number;        // passed in; never read the clock
  readonly settings: ReadonlyArray<readonly [string, string]>;  // key/value pairs shown at the top
  readonly traces: readonly TraceReport[];
}

/** Plan-step rows shown per trace; a note says how many more there are. */
export const MAX_PLAN_ROWS = 50;
const DAY_MS = 86_400_000;

/** Fixed colours for the usual policies (colour-blind-friendly hues), then a palette for others. */
const POLICY_COLOURS: Record<string, string> = {
  predictive: '#1d4ed8', hpa: '#e8590c', 'last-week': '#9333ea', oracle: '#15803d', 'perfect-foresight': '#0f766e',
};
const EXTRA_COLOURS = ['#c2185b', '#0f766e', '#a16207', '#475569', '#6d28d9', '#b91c1c'];
const LOAD_FILL = '#e5e7eb';
const LOAD_STROKE = '#9ca3af';
const BAND_FILL = 'rgba(56, 189, 248, 0.28)';
const MEAN_STROKE = '#0284c7';

/** A policy's name as tables show it ('hpa' reads "hpa alone", as the dry-run summary says). */
export const policyLabel = (name: string): string => (name === 'hpa' ? 'hpa alone' : name);

export function policyColour(name: string, index: number): string {
  return POLICY_COLOURS[name] ?? EXTRA_COLOURS[index % EXTRA_COLOURS.length]!;
}

/** A complete HTML document for `data`. */
export function renderReport(data: ReportData): string {
  const body = [
    `<header><h1>${esc(data.title)}</h1>`,
    `<p class="meta">Scaler <b>${esc(data.scaler)}</b> · generated ${esc(formatUtc(data.generatedAtMs))} UTC · ${data.traces.length} trace${data.traces.length === 1 ? '' : 's'}</p></header>`,
    settingsHtml(data.settings),
    ...data.traces.map((t, i) => traceHtml(t, i)),
    `<footer>${esc(data.title.split(':')[0] ?? 'prescale')} report · all times UTC · replicas = load ÷ capacity per replica</footer>`,
  ];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(data.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body><main>',
    ...body,
    '</main></body></html>',
    '',
  ].join('\n');
}

function settingsHtml(settings: ReportData['settings']): string {
  if (settings.length === 0) return '';
  const rows = settings.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  return `<section class="settings"><h2>Settings</h2><dl>${rows}</dl></section>`;
}

/** Load (or any) series divided by `perReplica`, as replicas. */
function inReplicas(s: ReportSeries, perReplica: number): ReportSeries {
  const k = perReplica > 0 ? perReplica : 1;
  return { startMs: s.startMs, stepMs: s.stepMs, values: Float64Array.from(s.values, (v) => v / k) };
}

interface Span { readonly fromMs: number; readonly toMs: number }

function seriesSpan(s: ReportSeries): Span | null {
  if (s.values.length === 0 || !(s.stepMs > 0) || !Number.isFinite(s.startMs)) return null;
  return { fromMs: s.startMs, toMs: s.startMs + s.values.length * s.stepMs };
}

/** The time range of the trace: the load's, or else the union of the policies'. */
function traceSpan(t: TraceReport): Span | null {
  const own = seriesSpan(t.load);
  if (own !== null) return own;
  const spans = t.policies.map((p) => seriesSpan(p.ready)).filter((s): s is Span => s !== null);
  if (spans.length === 0) return null;
  return { fromMs: Math.min(...spans.map((s) => s.fromMs)), toMs: Math.max(...spans.map((s) => s.toMs)) };
}

/** A wide table or chart in a box that scrolls sideways on a narrow screen. */
const scroll = (html: string): string => `<div class="scroll">${html}</div>`;

/** The range the policies were replayed over, within the load's, when it is narrower (a dry-run's --from). */
function replayedSpan(t: TraceReport): Span | null {
  const own = seriesSpan(t.load);
  const spans = t.policies.map((p) => seriesSpan(p.ready)).filter((s): s is Span => s !== null);
  if (own === null || spans.length === 0) return null;
  const fromMs = Math.max(own.fromMs, Math.min(...spans.map((s) => s.fromMs)));
  const toMs = Math.min(own.toMs, Math.max(...spans.map((s) => s.toMs)));
  return toMs > fromMs ? { fromMs, toMs } : null;
}

/** Which policy plays "the HPA alone": named `hpa`, else one whose name mentions hpa/reactive. */
function hpaPolicy(t: TraceReport): PolicyRun | undefined {
  return t.policies.find((p) => p.name === 'hpa') ?? t.policies.find((p) => /hpa|reactive/i.test(p.name));
}

/**
 * The zoomed window, one UTC day: the day with the largest shortfall of the HPA-alone policy
 * (where prediction should matter most), else the first full day with a forecast (after the
 * warm-up), else the first full day of the trace. Traces shorter than a day are shown whole.
 */
export function chooseZoomWindow(t: TraceReport): Span & { readonly why: string } | null {
  if (t.zoom !== undefined && t.zoom.toMs > t.zoom.fromMs) return { ...t.zoom, why: 'the window chosen for this report' };
  const span = traceSpan(t);
  if (span === null) return null;
  const firstDay = Math.ceil(span.fromMs / DAY_MS) * DAY_MS;
  if (firstDay + DAY_MS > span.toMs) return null;
  const hpa = hpaPolicy(t);
  if (hpa !== undefined) {
    const day = worstShortfallDay(t.load, hpa.ready, t.perReplica, firstDay, span.toMs);
    if (day !== null) return { fromMs: day, toMs: day + DAY_MS, why: `the day with the largest shortfall of the ${hpa.name} policy` };
  }
  if (t.forecast !== undefined) {
    const f = seriesSpan(t.forecast.mean);
    const day = f === null ? NaN : Math.max(firstDay, Math.ceil(f.fromMs / DAY_MS) * DAY_MS);
    if (day + DAY_MS <= span.toMs) return { fromMs: day, toMs: day + DAY_MS, why: 'the first full day with a forecast (after the warm-up)' };
  }
  return { fromMs: firstDay, toMs: firstDay + DAY_MS, why: 'the first full day of the trace' };
}

/** Start of the full UTC day in [firstDay, endMs) with the most load above ready capacity, or null if none. */
function worstShortfallDay(load: ReportSeries, ready: ReportSeries, perReplica: number, firstDay: number, endMs: number): number | null {
  const k = perReplica > 0 ? perReplica : 1;
  const byDay = new Map<number, number>();
  for (let i = 0; i < load.values.length; i++) {
    const t = load.startMs + i * load.stepMs;
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    if (day < firstDay || day + DAY_MS > endMs) continue;
    const j = Math.floor((t - ready.startMs) / ready.stepMs);
    const r = j >= 0 && j < ready.values.length ? ready.values[j]! : NaN;
    const short = load.values[i]! / k - r;
    if (short > 0) byDay.set(day, (byDay.get(day) ?? 0) + short);
  }
  let best: number | null = null;
  for (const [day, v] of byDay) if (best === null || v > byDay.get(best)! || (v === byDay.get(best)! && day < best)) best = day;
  return best;
}

interface LegendItem { readonly label: string; readonly colour: string; readonly kind: 'area' | 'band' | 'line' | 'dash' | 'dot' }

function chartLayers(t: TraceReport): { layers: ChartLayer[]; legend: LegendItem[] } {
  const layers: ChartLayer[] = [];
  const legend: LegendItem[] = [];
  layers.push({ kind: 'area', label: 'load (replicas)', series: inReplicas(t.load, t.perReplica), fill: LOAD_FILL, stroke: LOAD_STROKE });
  legend.push({ label: 'load ÷ per-replica capacity', colour: LOAD_STROKE, kind: 'area' });
  const f = t.forecast;
  if (f !== undefined) {
    const q = `p${Math.round(f.quantile * 100)}`;
    const lower = inReplicas(f.lower ?? f.mean, t.perReplica);
    const bandLabel = f.lower === undefined ? `forecast mean…${q}` : `forecast band (lower…${q})`;
    // The axes follow the load and the replicas; a forecast spike above them is clipped and marked.
    layers.push({ kind: 'band', label: bandLabel, lower, upper: inReplicas(f.upper, t.perReplica), fill: BAND_FILL, scales: false });
    layers.push({ kind: 'line', label: 'forecast mean', series: inReplicas(f.mean, t.perReplica), stroke: MEAN_STROKE, width: 1.1, dash: '4 3', scales: false });
    legend.push({ label: bandLabel, colour: BAND_FILL, kind: 'band' }, { label: 'forecast mean', colour: MEAN_STROKE, kind: 'dash' });
  }
  t.policies.forEach((p, i) => {
    const colour = policyColour(p.name, i);
    if (p.floor !== undefined) {
      layers.push({ kind: 'step', label: `${p.name} floor`, series: p.floor, stroke: colour, width: 1, dash: '1.5 2.5' });
    }
  });
  t.policies.forEach((p, i) => {
    const colour = policyColour(p.name, i);
    layers.push({ kind: 'step', label: `${p.name} ready replicas`, series: p.ready, stroke: colour, width: p.name === 'oracle' ? 1 : 1.5 });
    legend.push({ label: `${p.name} ready`, colour, kind: 'line' });
    if (p.floor !== undefined) legend.push({ label: `${p.name} floor`, colour, kind: 'dot' });
  });
  return { layers, legend };
}

function legendHtml(items: readonly LegendItem[]): string {
  const li = items.map((it) => `<li><span class="sw sw-${it.kind}" style="--c:${esc(it.colour)}"></span>${esc(it.label)}</li>`);
  return `<ul class="legend">${li.join('')}</ul>`;
}

function traceHtml(t: TraceReport, index: number): string {
  const span = traceSpan(t);
  const { layers, legend } = chartLayers(t);
  const verdict = conclusion(t.scores);
  const parts: string[] = [`<section class="trace"><h2>${esc(t.name)}</h2>`, `<p class="meta">${esc(traceSummary(t, span))}</p>`, ...(verdict ? [`<p class="verdict">${esc(verdict)}</p>`] : [])];
  if (span === null) {
    parts.push('<p class="empty">No samples in this trace.</p>');
  } else {
    const shown = replayedSpan(t) ?? span;
    const whole = shown.fromMs === span.fromMs && shown.toMs === span.toMs;
    parts.push(`<h3>${whole ? 'Whole trace' : `Replayed range: ${esc(formatUtc(shown.fromMs))} – ${esc(formatUtc(shown.toMs))}`}</h3>`, legendHtml(legend),
      scroll(timeChart({ id: `t${index}-all`, title: `${t.name}: load, forecast and ready replicas per policy`, fromMs: shown.fromMs, toMs: shown.toMs, layers, yLabel: 'replicas' })));
    const zoom = chooseZoomWindow(t);
    if (zoom !== null) {
      parts.push(`<h3>Zoom: ${esc(formatUtc(zoom.fromMs))} – ${esc(formatUtc(zoom.toMs))}</h3>`,
        `<p class="caption">${esc(`Showing ${zoom.why}.`)}</p>`,
        scroll(timeChart({ id: `t${index}-zoom`, title: `${t.name}: zoom on ${formatUtc(zoom.fromMs)}`, fromMs: zoom.fromMs, toMs: zoom.toMs, layers, yLabel: 'replicas', height: 300 })));
    }
  }
  parts.push(scoresHtml(t.scores), accuracyHtml(t.accuracy, t.forecast?.quantile), planHtml(t.planSteps), notesHtml(t.notes), '</section>');
  return parts.join('\n');
}

/**
 * The outcome in words: the predictive floor against the HPA alone (shortfall cut, extra cost,
 * minutes under capacity) and, when the backtest ran it, against the perfect-foresight floor;
 * then what to try next.
 */
export function conclusion(scores: readonly PolicyScore[]): string | undefined {
  const pred = scores.find((s) => s.name === 'predictive');
  const hpa = scores.find((s) => s.name === 'hpa');
  if (!pred || !hpa) return undefined;
  const pff = scores.find((s) => s.name === 'perfect-foresight');
  const pct = (v: number): string => `${fmtNum(v, 0)} %`;
  const cut = hpa.shortfallReplicaMinutes > 0 ? 100 * (1 - pred.shortfallReplicaMinutes / hpa.shortfallReplicaMinutes) : NaN;
  const extra = hpa.replicaHours > 0 ? 100 * (pred.replicaHours / hpa.replicaHours - 1) : NaN;
  const bits: string[] = [];
  if (hpa.shortfallReplicaMinutes <= 0) bits.push('The HPA alone never fell short here, so a floor can only add cost');
  else bits.push(`The predictive floor removes ${pct(cut)} of the HPA alone's shortfall (${fmtNum(pred.underMinutes, 0)} minutes under capacity instead of ${fmtNum(hpa.underMinutes, 0)})`);
  bits.push(`for ${Number.isFinite(extra) ? `${extra >= 0 ? pct(extra) + ' more' : pct(-extra) + ' fewer'} replica-hours than the HPA alone` : 'its replica-hours'}${pff && pff.replicaHours > 0 ? `, ${fmtNum(pred.replicaHours / pff.replicaHours, 2)}× what a perfect forecast would cost with the pods' lead time` : ''}.`);
  const next =
    hpa.shortfallReplicaMinutes > 0 && cut < 50 ? 'Next: a higher forecast.quantile or a longer plan.leadTime; check the accuracy table for a better model.'
    : pff && pred.replicaHours > 1.3 * pff.replicaHours ? 'Next: a lower forecast.quantile or shorter plan.minStepDuration and scaleDownDelay cost less (docs/scaler-spec.md weighs them).'
    : 'Next: run it as a DryRun scaler in the cluster and compare its status with this report.';
  return `${bits.join(' ')} ${next}`;
}

function traceSummary(t: TraceReport, span: Span | null): string {
  let present = 0;
  for (let i = 0; i < t.load.values.length; i++) if (Number.isFinite(t.load.values[i]!)) present++;
  const bits = [`capacity ${fmtNum(t.perReplica, 0, 2)} load per replica`, `${present.toLocaleString('en-US')} samples`];
  if (t.load.stepMs > 0) bits.push(`step ${formatDuration(t.load.stepMs)}`);
  if (span !== null) bits.push(`${formatUtc(span.fromMs)} – ${formatUtc(span.toMs)} UTC`);
  return bits.join(' · ');
}

/** Number with `digits` decimals (up to `maxDigits`) and thousands separators; an em dash when not finite. */
export function fmtNum(v: number | null | undefined, digits: number, maxDigits = digits): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: Math.max(digits, maxDigits) });
}

interface Column<R> {
  readonly head: string;
  readonly cell: (r: R) => string;
  /** Distance from ideal for highlighting (smaller is better); undefined = no highlight. */
  readonly badness?: (r: R) => number;
}

/**
 * A table whose best cells (smallest badness among `contenders`, ties by displayed value) carry
 * class "best". Rows that are not contenders (the oracle) are shown as a reference.
 */
function tableHtml<R>(cls: string, rows: readonly R[], cols: readonly Column<R>[], contender: (r: R) => boolean): string {
  const pool = rows.some(contender) ? rows.filter(contender) : rows;
  const bestText = cols.map((c) => {
    if (c.badness === undefined) return null;
    let best: R | null = null;
    for (const r of pool) {
      const b = c.badness(r);
      if (Number.isFinite(b) && (best === null || b < c.badness(best))) best = r;
    }
    return best === null ? null : c.cell(best);
  });
  const head = cols.map((c, k) => `<th${k === 0 ? '' : ' class="num"'}>${esc(c.head)}</th>`).join('');
  const body = rows.map((r) => {
    const cells = cols.map((c, k) => {
      const text = c.cell(r);
      const best = contender(r) || pool === rows ? bestText[k] === text && text !== '—' : false;
      const cl = [k === 0 ? '' : 'num', best ? 'best' : ''].filter(Boolean).join(' ');
      return `<td${cl ? ` class="${cl}"` : ''}>${esc(text)}</td>`;
    });
    return `<tr${contender(r) ? '' : ' class="reference"'}>${cells.join('')}</tr>`;
  });
  return scroll(`<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`);
}

const isOracle = (name: string): boolean => /oracle/i.test(name);

function scoresHtml(scores: readonly PolicyScore[]): string {
  if (scores.length === 0) return '';
  const cols: Column<PolicyScore>[] = [
    { head: 'policy', cell: (s) => policyLabel(s.name) },
    { head: 'shortfall (replica-min)', cell: (s) => fmtNum(s.shortfallReplicaMinutes, 1), badness: (s) => s.shortfallReplicaMinutes },
    { head: 'shortfall (% of demand)', cell: (s) => `${fmtNum(s.shortfallPct, 2)}${Number.isFinite(s.shortfallPct) ? '%' : ''}`, badness: (s) => s.shortfallPct },
    { head: 'minutes under capacity', cell: (s) => fmtNum(s.underMinutes, 0), badness: (s) => s.underMinutes },
    { head: 'replica-hours', cell: (s) => fmtNum(s.replicaHours, 1), badness: (s) => s.replicaHours },
    { head: 'cost vs oracle', cell: (s) => `${fmtNum(s.costVsOracle, 2)}${Number.isFinite(s.costVsOracle) ? '×' : ''}`, badness: (s) => s.costVsOracle },
    { head: 'scaling events', cell: (s) => fmtNum(s.scalingEvents, 0), badness: (s) => s.scalingEvents },
  ];
  const hasOracle = scores.some((s) => isOracle(s.name));
  return '<h3>Scaling outcome per policy</h3>'
    + tableHtml('scores', scores, cols, (s) => !isOracle(s.name))
    + `<p class="caption">Lower is better in every column; the best value per column is highlighted${hasOracle ? ' (the oracle, which knows the future, is a reference and not ranked)' : ''}. Shortfall = ∫ max(0, load ÷ capacity − ready) dt.</p>`;
}

function accuracyHtml(acc: readonly ModelAccuracy[] | undefined, quantile: number | undefined): string {
  if (acc === undefined || acc.length === 0) return '';
  const q = quantile === undefined ? undefined : quantile;
  const cols: Column<ModelAccuracy>[] = [
    { head: 'model', cell: (a) => a.model },
    { head: 'MASE', cell: (a) => fmtNum(a.mase, 3), badness: (a) => a.mase },
    { head: 'sMAPE', cell: (a) => `${fmtNum(a.smape, 1)}${Number.isFinite(a.smape) ? '%' : ''}`, badness: (a) => a.smape },
    {
      head: q === undefined ? 'coverage' : `coverage of p${Math.round(q * 100)}`,
      cell: (a) => (a.coverage === null || !Number.isFinite(a.coverage) ? '—' : `${fmtNum(a.coverage * 100, 1)}%`),
      ...(q === undefined ? {} : { badness: (a: ModelAccuracy) => (a.coverage === null ? NaN : Math.abs(a.coverage - q)) }),
    },
  ];
  return '<h3>Forecast accuracy per model (rolling origin)</h3>'
    + tableHtml('accuracy', acc, cols, () => true)
    + `<p class="caption">MASE below 1 beats the seasonal-naive forecast. Best per column highlighted${q === undefined ? '' : '; for coverage, closest to the target quantile'}.</p>`;
}

function planHtml(steps: readonly PlanStepView[] | undefined): string {
  if (steps === undefined || steps.length === 0) return '';
  const shown = steps.slice(0, MAX_PLAN_ROWS);
  const rows = shown.map((s) => `<tr><td>${esc(formatUtc(s.fromMs))}</td><td>${esc(formatUtc(s.toMs))}</td>`
    + `<td class="num">${esc(s.toMs > s.fromMs ? formatDuration(s.toMs - s.fromMs) : '—')}</td>`
    + `<td class="num">${esc(fmtNum(s.replicas, 0))}</td><td class="reason">${esc(s.reason)}</td></tr>`);
  const more = steps.length - shown.length;
  return '<h3>Plan steps and why</h3>'
    + scroll('<table class="plan"><thead><tr><th>from</th><th>to</th><th class="num">duration</th><th class="num">replicas</th><th>reason</th></tr></thead>'
    + `<tbody>${rows.join('')}</tbody></table>`)
    + (more > 0 ? `<p class="caption">… and ${more.toLocaleString('en-US')} more step${more === 1 ? '' : 's'} not shown (first ${MAX_PLAN_ROWS} of ${steps.length.toLocaleString('en-US')}).</p>` : '');
}

function notesHtml(notes: readonly string[] | undefined): string {
  if (notes === undefined || notes.length === 0) return '';
  return `<h3>Notes</h3><ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
}

/** System fonts only: the file must work offline with no external resource. */
const CSS = `
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--best:#dcfce7;--best-fg:#14532d}
*{box-sizing:border-box}
body{margin:0;background:#f8fafc;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:0 0 2px;word-break:break-all}
h3{font-size:15px;margin:22px 0 6px}
.meta,.caption,footer{color:var(--muted);font-size:12.5px;margin:2px 0 8px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
.settings dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:4px 24px;margin:8px 0 0}
.settings dl div{display:flex;gap:8px;border-bottom:1px dotted var(--line);padding:2px 0}
.settings dt{color:var(--muted);flex:0 0 130px}
.settings dd{margin:0;font-weight:600;word-break:break-word}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;padding:0;margin:4px 0 6px;font-size:12.5px}
.legend li{display:flex;align-items:center;gap:6px}
.sw{display:inline-block;width:22px;height:10px}
.sw-area{background:#e5e7eb;border-top:1.5px solid var(--c)}
.sw-band{background:var(--c)}
.sw-line{height:0;border-top:2.5px solid var(--c)}
.sw-dash{height:0;border-top:2px dashed var(--c)}
.sw-dot{height:0;border-top:2px dotted var(--c)}
svg.chart{display:block;width:100%;height:auto;font-family:inherit}
svg .plot{fill:#fff}
svg .grid{stroke:#eef0f3;stroke-width:1}
svg .axis{stroke:#9ca3af;stroke-width:1}
svg .tick{fill:#4b5563;font-size:11.5px}
svg .tick.sub{fill:#6b7280;font-size:10.5px}
svg .axis-label{fill:#6b7280;font-size:11.5px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb;border-bottom:2px solid var(--line)}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.best{background:var(--best);color:var(--best-fg);font-weight:700}
tr.reference td{color:var(--muted);font-style:italic}
table.accuracy{width:auto;min-width:60%}
table.plan td{font-variant-numeric:tabular-nums}
table.plan td.reason{width:55%}
.notes{margin:4px 0;padding-left:20px}
.empty{color:var(--muted)}
footer{text-align:center;margin-top:24px}
.verdict{font-size:15px;margin:8px 0 4px;padding:8px 12px;background:#eff6ff;border-left:4px solid #1d4ed8}
svg .clipped{fill:#b91c1c;font-size:11.5px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
@media (max-width:700px){main{padding:12px 8px 24px}section{padding:12px 10px}svg.chart{min-width:760px}.settings dl{grid-template-columns:1fr}table{font-size:12px}th,td{padding:4px 6px}}
@media print{body{background:#fff}section{border:none;padding:0}}
`;
