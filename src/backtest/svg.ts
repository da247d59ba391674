/**
 * Server-rendered SVG time charts for the backtest report. Pure: no Node built-ins, no clock.
 *
 * Long series are downsampled per pixel column before drawing (M4 aggregation: the first, min,
 * max and last sample of each column, at their exact times), so a 60-day trace at 1-minute steps
 * draws at most ~4 points per column per series and spikes stay visible: the max of each column
 * always survives. Source: Jugel et al., "M4: A Visualization-Oriented Time Series Data
 * Aggregation", PVLDB 7(10), 2014.
 *
 * Gaps (NaN or non-finite samples) break lines, except a gap that falls inside one pixel column,
 * which could not be seen anyway. No NaN ever reaches a coordinate.
 */

/** A regular series: value i is at `startMs + i * stepMs` (epoch ms, UTC); NaN is a gap. */
export interface SampledSeries {
  readonly startMs: number;
  readonly stepMs: number;
  readonly values: ArrayLike<number>;
}

/** A kept sample: its time (epoch ms) and value. */
export interface Pt {
  readonly t: number;
  readonly v: number;
}

/** Escapes text for HTML/SVG text content and double- or single-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Coordinates rounded to 0.1 user unit: plenty for a screen, and keeps the file small. */
export function fmtCoord(v: number): string {
  const r = Math.round(v * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Index range of samples covering [fromMs, toMs], plus one sample either side (clipped later). */
function indexRange(s: SampledSeries, fromMs: number, toMs: number): [number, number] {
  const n = s.values.length;
  if (n === 0 || !(s.stepMs > 0) || !(toMs > fromMs)) return [0, -1];
  const i0 = Math.max(0, Math.floor((fromMs - s.startMs) / s.stepMs) - 1);
  const i1 = Math.min(n - 1, Math.ceil((toMs - s.startMs) / s.stepMs) + 1);
  return [i0, i1];
}

/**
 * M4 downsampling of `s` over [fromMs, toMs] drawn `columns` pixels wide. Returns line segments
 * (a new segment after each visible gap), each a time-ordered list of kept samples. At most four
 * points per column, so the output is bounded by about `4 * (columns + 3)` points.
 */
export function downsampleM4(s: SampledSeries, fromMs: number, toMs: number, columns: number): Pt[][] {
  const [i0, i1] = indexRange(s, fromMs, toMs);
  const pxPerMs = columns / (toMs - fromMs);
  const segments: Pt[][] = [];
  let seg: Pt[] | null = null;
  let col = NaN;
  let first = -1, last = -1, lo = -1, hi = -1;
  const flush = (): void => {
    if (seg === null || first < 0) return;
    const kept = [...new Set([first, lo, hi, last])].sort((a, b) => a - b);
    for (const i of kept) seg.push({ t: s.startMs + i * s.stepMs, v: s.values[i]! });
    first = -1;
  };
  let gap = false;
  for (let i = i0; i <= i1; i++) {
    const v = s.values[i]!;
    if (!Number.isFinite(v)) {
      gap = true;
      continue;
    }
    const c = Math.floor((s.startMs + i * s.stepMs - fromMs) * pxPerMs);
    if (c !== col) {
      flush();
      if (seg === null || gap) {
        seg = [];
        segments.push(seg);
      }
      col = c;
      first = lo = hi = last = i;
    } else {
      if (v < s.values[lo]!) lo = i;
      if (v > s.values[hi]!) hi = i;
      last = i;
    }
    gap = false;
  }
  flush();
  return segments;
}

/** One contiguous stretch of a band: times with the low and high edge at each. */
export interface BandSegment {
  readonly t: number[];
  readonly lo: number[];
  readonly hi: number[];
}

/** Value of `s` at time `t` on its own grid (nearest sample), NaN outside it. */
function valueAt(s: SampledSeries, t: number): number {
  const i = Math.round((t - s.startMs) / s.stepMs);
  return i >= 0 && i < s.values.length ? s.values[i]! : NaN;
}

/**
 * The band between `lower` and `upper` over [fromMs, toMs], walked on `upper`'s grid and reduced
 * to its envelope per pixel column (min of lower, max of upper) at the column's first and last
 * sample time. A sample where either edge is missing is a gap.
 */
export function bandEnvelope(
  lower: SampledSeries, upper: SampledSeries, fromMs: number, toMs: number, columns: number,
): BandSegment[] {
  const [i0, i1] = indexRange(upper, fromMs, toMs);
  const pxPerMs = columns / (toMs - fromMs);
  const out: BandSegment[] = [];
  let seg: BandSegment | null = null;
  let col = NaN, tFirst = 0, tLast = 0, lo = 0, hi = 0;
  const flush = (): void => {
    if (seg === null || Number.isNaN(col)) return;
    seg.t.push(tFirst);
    seg.lo.push(lo);
    seg.hi.push(hi);
    if (tLast !== tFirst) {
      seg.t.push(tLast);
      seg.lo.push(lo);
      seg.hi.push(hi);
    }
  };
  let gap = false;
  for (let i = i0; i <= i1; i++) {
    const t = upper.startMs + i * upper.stepMs;
    const u = upper.values[i]!;
    const l = valueAt(lower, t);
    if (!Number.isFinite(u) || !Number.isFinite(l)) {
      gap = true;
      continue;
    }
    const c = Math.floor((t - fromMs) * pxPerMs);
    if (c !== col) {
      flush();
      if (seg === null || gap) {
        seg = { t: [], lo: [], hi: [] };
        out.push(seg);
      }
      col = c;
      tFirst = tLast = t;
      lo = Math.min(l, u);
      hi = Math.max(l, u);
    } else {
      tLast = t;
      lo = Math.min(lo, l, u);
      hi = Math.max(hi, l, u);
    }
    gap = false;
  }
  flush();
  return out;
}

type Map1 = (v: number) => number;

/** `M x,y L x,y x,y …` per segment (the pairs after L are implicit line-tos). */
export function linePath(segments: readonly Pt[][], x: Map1, y: Map1): string {
  const parts: string[] = [];
  for (const seg of segments) {
    if (seg.length === 0) continue;
    const pts = seg.map((p) => `${fmtCoord(x(p.t))},${fmtCoord(y(p.v))}`);
    parts.push(pts.length === 1 ? `M${pts[0]}h1` : `M${pts[0]}L${pts.slice(1).join(' ')}`);
  }
  return parts.join('');
}

/**
 * Step line: each value holds from its sample time until the next sample (and the last one for
 * one `stepMs`), as a replica count does. Repeated values collapse into one horizontal run.
 */
export function stepPath(segments: readonly Pt[][], stepMs: number, x: Map1, y: Map1): string {
  const parts: string[] = [];
  for (const seg of segments) {
    if (seg.length === 0) continue;
    let yPrev = fmtCoord(y(seg[0]!.v));
    let d = `M${fmtCoord(x(seg[0]!.t))},${yPrev}`;
    for (let k = 1; k < seg.length; k++) {
      const yk = fmtCoord(y(seg[k]!.v));
      if (yk === yPrev) continue;
      d += `H${fmtCoord(x(seg[k]!.t))}V${yk}`;
      yPrev = yk;
    }
    parts.push(`${d}H${fmtCoord(x(seg[seg.length - 1]!.t + stepMs))}`);
  }
  return parts.join('');
}

/** Filled area between a line and the baseline `yBase` (already in pixels). */
export function areaPath(segments: readonly Pt[][], x: Map1, y: Map1, yBase: number): string {
  const b = fmtCoord(yBase);
  return segments
    .filter((seg) => seg.length > 0)
    .map((seg) => {
      const pts = seg.map((p) => `${fmtCoord(x(p.t))},${fmtCoord(y(p.v))}`).join(' ');
      return `M${fmtCoord(x(seg[0]!.t))},${b}L${pts} ${fmtCoord(x(seg[seg.length - 1]!.t))},${b}Z`;
    })
    .join('');
}

/** Closed polygon along the high edge and back along the low edge, per band segment. */
export function bandPath(segments: readonly BandSegment[], x: Map1, y: Map1): string {
  const parts: string[] = [];
  for (const s of segments) {
    const fwd = s.t.map((t, k) => `${fmtCoord(x(t))},${fmtCoord(y(s.hi[k]!))}`);
    const back = s.t.map((t, k) => `${fmtCoord(x(t))},${fmtCoord(y(s.lo[k]!))}`).reverse();
    parts.push(`M${fwd.join(' ')} ${back.join(' ')}Z`);
  }
  return parts.join('');
}

/** `2014-07-01 00:00` in UTC; an em dash for a time that cannot be formatted. */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Tick spacings tried in order; the first giving at most `maxTicks` ticks wins. */
const TIME_STEPS = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY, 364 * DAY];
/** 1970-01-01 was a Thursday: week ticks are shifted 4 days so they fall on Mondays. */
const MONDAY_OFFSET = 4 * DAY;

export interface TimeTick {
  readonly ms: number;
  /** First label line: `HH:MM` for sub-day spacing, else the date. */
  readonly main: string;
  /** Second line: the date under the first tick of each day (sub-day spacing only), else ''. */
  readonly sub: string;
}

/** UTC-aligned time ticks for [fromMs, toMs], at most `maxTicks` of them. */
export function timeTicks(fromMs: number, toMs: number, maxTicks: number): TimeTick[] {
  const span = toMs - fromMs;
  if (!(span > 0) || maxTicks < 1) return [];
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? Math.ceil(span / maxTicks / DAY) * DAY;
  const offset = step >= 7 * DAY ? MONDAY_OFFSET : 0;
  const ticks: TimeTick[] = [];
  let prevDate = '';
  for (let t = Math.ceil((fromMs - offset) / step) * step + offset; t <= toMs; t += step) {
    const [date, time] = formatUtc(t).split(' ') as [string, string];
    if (step >= DAY) ticks.push({ ms: t, main: date, sub: '' });
    else {
      ticks.push({ ms: t, main: time, sub: date !== prevDate ? date : '' });
      prevDate = date;
    }
  }
  return ticks;
}

/** Round tick spacing (1, 2, 2.5 or 5 × 10^k) giving about `target` intervals up to `max`. */
export function niceStep(max: number, target: number, minStep = 0): number {
  const raw = Math.max(max / Math.max(1, target), minStep, Number.MIN_VALUE);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw - 1e-12) ?? 10 * mag;
  return Math.max(nice, minStep);
}

/** Axis ticks 0, step, 2·step … up to the first tick at or above `max`. */
export function valueTicks(max: number, target: number, minStep = 0): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const step = niceStep(top, target, minStep);
  const ticks: number[] = [];
  for (let k = 0; ; k++) {
    const v = Math.round(k * step * 1e9) / 1e9;
    ticks.push(v);
    if (v >= top - 1e-9) break;
  }
  return ticks;
}

/** One thing drawn on a time chart. Colours are CSS colours; widths in user units. */
export type ChartLayer = (
  | { readonly kind: 'area'; readonly label: string; readonly series: SampledSeries; readonly fill: string; readonly stroke: string }
  | { readonly kind: 'line' | 'step'; readonly label: string; readonly series: SampledSeries; readonly stroke: string; readonly width: number; readonly dash?: string }
  | { readonly kind: 'band'; readonly label: string; readonly lower: SampledSeries; readonly upper: SampledSeries; readonly fill: string }
) & {
  /** false: the layer does not set the y range; what rises above it is clipped, and the chart says so. */
  readonly scales?: false;
};

export interface TimeChartSpec {
  /** Unique within the document (used for the clip path id). */
  readonly id: string;
  readonly title: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly layers: readonly ChartLayer[];
  readonly yLabel: string;
  /** viewBox size in user units; defaults 1100 × 340. */
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { left: 56, right: 18, top: 14, bottom: 44 };
/** Minimum room per time-axis label (user units) so dates never overlap. */
const TIME_LABEL_ROOM = 96;

type Drawn =
  | { layer: ChartLayer & { kind: 'area' | 'line' | 'step' }; segs: Pt[][] }
  | { layer: ChartLayer & { kind: 'band' }; band: BandSegment[] };

function maxOf(d: Drawn): number {
  let m = -Infinity;
  if ('segs' in d) for (const s of d.segs) for (const p of s) m = Math.max(m, p.v);
  else for (const s of d.band) for (const h of s.hi) m = Math.max(m, h);
  return m;
}

/** A complete `<svg>` time chart: axes, grid, layers in order (first drawn at the back). */
export function timeChart(spec: TimeChartSpec): string {
  const W = spec.width ?? 1100;
  const H = spec.height ?? 340;
  const x0 = MARGIN.left, x1 = W - MARGIN.right, y0 = H - MARGIN.bottom, y1 = MARGIN.top;
  const cols = Math.max(1, Math.round(x1 - x0));
  const { fromMs, toMs } = spec;
  const drawn: Drawn[] = spec.layers.map((layer) =>
    layer.kind === 'band'
      ? { layer, band: bandEnvelope(layer.lower, layer.upper, fromMs, toMs, cols) }
      : { layer, segs: downsampleM4(layer.series, fromMs, toMs, cols) });
  // Only what is inside the window sets the y range (points just outside are clipped anyway).
  const yMax = Math.max(0, ...drawn.filter((d) => d.layer.scales !== false).map(maxOf));
  const yTicks = valueTicks(yMax * 1.04, 5, 1);
  const yTop = yTicks[yTicks.length - 1]!;
  const clipped = drawn.filter((d) => d.layer.scales === false && maxOf(d) > yTop).map((d) => d.layer.label);
  const span = toMs > fromMs ? toMs - fromMs : 1;
  const x = (t: number): number => x0 + ((t - fromMs) / span) * (x1 - x0);
  const y = (v: number): number => y0 - (Math.max(0, v) / yTop) * (y0 - y1);
  const clip = `clip-${spec.id}`;
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(spec.title)}">`, // inline SVG in HTML needs no xmlns (and the report holds no URL)
    `<title>${escapeXml(spec.title)}</title>`,
    `<defs><clipPath id="${escapeXml(clip)}"><rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/></clipPath></defs>`,
    `<rect class="plot" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`,
  ];
  for (const v of yTicks) {
    const yy = fmtCoord(y(v));
    out.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${yy}" y2="${yy}"/>`,
      `<text class="tick" x="${x0 - 6}" y="${yy}" dy="0.32em" text-anchor="end">${escapeXml(formatTick(v))}</text>`);
  }
  const ticks = timeTicks(fromMs, toMs, Math.max(1, Math.floor((x1 - x0) / TIME_LABEL_ROOM)));
  for (const t of ticks) {
    const xx = fmtCoord(x(t.ms));
    out.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${y1}" y2="${y0}"/>`,
      `<line class="axis" x1="${xx}" x2="${xx}" y1="${y0}" y2="${y0 + 4}"/>`,
      `<text class="tick" x="${xx}" y="${y0 + 16}" text-anchor="${anchorFor(x(t.ms), t.main, W)}">${escapeXml(t.main)}</text>`);
    if (t.sub !== '') out.push(`<text class="tick sub" x="${xx}" y="${y0 + 30}" text-anchor="${anchorFor(x(t.ms), t.sub, W)}">${escapeXml(t.sub)}</text>`);
  }
  out.push(`<text class="axis-label" transform="translate(14 ${fmtCoord((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
    `<text class="axis-label" x="${x0 - 8}" y="${y0 + 16}" text-anchor="end">UTC</text>`,
    `<g clip-path="url(#${escapeXml(clip)})">`);
  for (const d of drawn) out.push(layerSvg(d, x, y, y0));
  out.push('</g>', `<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`,
    `<line class="axis" x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}"/>`);
  if (clipped.length > 0) {
    out.push(`<text class="clipped" x="${x1 - 6}" y="${y1 + 14}" text-anchor="end">▲ ${escapeXml(clipped.join(', '))} above ${escapeXml(String(yTop))}: clipped</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/**
 * Centred labels, except near the edges: at the right edge a centred label would be cut off, so it
 * ends at the tick; at the left edge it starts at the tick, leaving room for the "UTC" caption. Width estimated at 7 user units per character (11.5 px system font digits).
 */
function anchorFor(xTick: number, text: string, width: number): 'start' | 'middle' | 'end' {
  const half = (text.length * 7) / 2;
  if (xTick + half > width - 2) return 'end';
  return xTick - half < MARGIN.left - 4 ? 'start' : 'middle';
}

/** Axis numbers: integers plain, fractions with up to 2 decimals. */
function formatTick(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

function layerSvg(d: Drawn, x: Map1, y: Map1, yBase: number): string {
  const title = `<title>${escapeXml(d.layer.label)}</title>`;
  if ('band' in d) {
    const p = bandPath(d.band, x, y);
    return p === '' ? '' : `<path d="${p}" fill="${escapeXml(d.layer.fill)}" stroke="none">${title}</path>`;
  }
  const l = d.layer;
  if (l.kind === 'area') {
    const a = areaPath(d.segs, x, y, yBase);
    if (a === '') return '';
    return `<path d="${a}" fill="${escapeXml(l.fill)}" stroke="none">${title}</path>`
      + `<path d="${linePath(d.segs, x, y)}" fill="none" stroke="${escapeXml(l.stroke)}" stroke-width="0.8" stroke-linejoin="round">${title}</path>`;
  }
  const p = l.kind === 'step' ? stepPath(d.segs, l.series.stepMs, x, y) : linePath(d.segs, x, y);
  if (p === '') return '';
  const dash = l.dash === undefined ? '' : ` stroke-dasharray="${escapeXml(l.dash)}"`;
  return `<path d="${p}" fill="none" stroke="${escapeXml(l.stroke)}" stroke-width="${l.width}"${dash} stroke-linejoin="round">${title}</path>`;
}
