/**
 * The series parser (src/metrics/parse.ts) under generated input (fast-check): whatever the text,
 * it returns samples or throws the project's invalid-input error in one line; a CSV rejection
 * names the first bad line (every line before it parses); a bad row put anywhere is refused on its
 * own line; values read as gaps are counted with the first one's line; valid rows in any accepted
 * spelling read back exactly; and reading the bytes in pieces gives what reading them whole gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isPrescaleError } from '../../../src/core/errors.js';
import { CsvScanner, type DroppedValues, type ParsedColumns, parseCsvBytes, parseSeriesText } from '../../../src/metrics/parse.js';
import { runs } from '../property/fc.js';

const SOURCE = 'f.csv';
/** File-level refusals, which name no line. */
const FILE_LEVEL = [/^f\.csv: file is empty$/, /^f\.csv: no data rows after the header$/];

/** Parses, returning the rejection's message instead of throwing; fails on anything but invalid input. */
function attempt(text: string): { ok: true; value: ReturnType<typeof parseSeriesText> } | { ok: false; message: string } {
  try {
    return { ok: true, value: parseSeriesText(text, SOURCE) };
  } catch (e) {
    assert.ok(isPrescaleError(e, 'invalid-input'), `threw something else than invalid input: ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `a message of one line: ${JSON.stringify(e.message)}`);
    return { ok: false, message: e.message };
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const T0 = Date.UTC(2014, 6, 1);

/** A timestamp as a file may hold one: right, wrong, or hostile. */
const timestampText = (ms: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(iso(ms)) },
    { weight: 2, arbitrary: fc.constant(String(ms / 1000)) },
    fc.constant(`"${iso(ms)}"`),
    fc.constant(` ${iso(ms)} `),
    fc.constant(iso(ms).replace('T', ' ').replace('Z', '')),
    fc.constant(iso(ms).replace('Z', '+02:00')),
    fc.constant(String(ms)), // epoch milliseconds
    fc.constantFrom('', 'yesterday', '2014-02-30T00:00:00Z', '-5', '2014-07-01T25:00:00Z', '0', '99999999999999999', '1e9', '\u00e9t\u00e9'),
    fc.string({ maxLength: 8 }),
  );
/** A value cell: loads, gaps, negatives, numbers in every spelling, and junk. */
const valueText = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 100_000 }).map(String) },
  fc.double().map(String),
  fc.constantFrom('', ' ', 'NaN', 'nan', '+Inf', '-Inf', 'Infinity', '-0', '1e400', '1,5', '"7"', '1.2.3', 'abc', '--1', '.', '1e', '0x10', '١٢'),
  fc.string({ maxLength: 6 }),
);
/** One line: a row, a row with extra or missing cells, a blank line, or anything. */
const lineText = (ms: number) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.tuple(timestampText(ms), valueText).map(([t, v]) => `${t},${v}`) },
    fc.tuple(timestampText(ms), valueText, valueText).map(([t, v, w]) => `${t},${v},${w}`),
    timestampText(ms),
    fc.constantFrom('', '   ', 'timestamp,value', '#comment'),
    fc.string({ maxLength: 30 }),
  );
const headerText = fc.oneof(
  { weight: 8, arbitrary: fc.constant('timestamp,value') },
  fc.constantFrom('value,timestamp', 'Timestamp,"Value"', 'timestamp,value,host', 'time,value', '', `${iso(T0)},1`, 'timestamp;value', 'timestamp,value,'),
  fc.string({ maxLength: 20 }),
);
/** Whole CSV texts: a header, then lines at times that mostly increase (sometimes repeat or go back). */
const csvText = fc
  .tuple(
    fc.constantFrom('', '\uFEFF'),
    headerText,
    fc.array(fc.integer({ min: -2, max: 10 }), { maxLength: 25 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
  )
  .chain(([bom, header, steps, eol, trailing]) => {
    let t = T0;
    const times = steps.map((s) => (t += s * 60_000));
    return fc.tuple(...times.map((ms) => lineText(ms))).map((lines) => bom + [header, ...lines].join(eol) + (trailing ? eol : ''));
  });

/** The line number a CSV rejection names, if any. */
const namedLine = (message: string): number | undefined => {
  const m = /^f\.csv:(\d+): /.exec(message);
  return m ? Number(m[1]) : undefined;
};

test('any CSV text: samples, or one line of invalid input that names the first bad line', () => {
  fc.assert(
    fc.property(csvText, (text) => {
      fc.pre(text.replace(/^\uFEFF/, '').trimStart()[0] !== '{'); // a JSON body (below)
      const r = attempt(text);
      if (r.ok) {
        assert.equal(r.value.timesMs.length, r.value.values.length);
        for (let i = 1; i < r.value.timesMs.length; i++) assert.ok(r.value.timesMs[i]! > r.value.timesMs[i - 1]!, 'times increase');
        for (const v of r.value.values) assert.ok(Number.isNaN(v) || (Number.isFinite(v) && v >= 0), `a load or a gap: ${v}`);
        return;
      }
      if (FILE_LEVEL.some((m) => m.test(r.message))) return;
      const line = namedLine(r.message);
      assert.ok(line !== undefined, `names the line: ${r.message}`);
      const lines = text.split('\n');
      assert.ok(line >= 1 && line <= lines.length, `line ${line} of ${lines.length}`);
      // Every line before the named one is fine: the rejection is at the first bad line.
      if (line > 1) {
        const before = attempt(lines.slice(0, line - 1).join('\n'));
        assert.ok(before.ok || FILE_LEVEL.some((m) => m.test(before.message)), `lines before ${line} are refused: ${before.ok ? '' : before.message}`);
      }
    }),
    runs(1500),
  );
});

/** A valid file: increasing whole-second times and non-negative finite values. */
const validRows = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 86_400 }), fc.double({ min: 0, max: 1e12, noNaN: true })), { minLength: 1, maxLength: 40 })
  .map((pairs) => {
    let t = T0;
    return pairs.map(([dt, v]) => ({ t: (t += dt * 1000), v: v + 0 }));
  });

test('valid rows read back exactly, in every accepted spelling (ISO or epoch seconds, quotes, blanks, CRLF, BOM, column order)', () => {
  const spelling = fc.record({
    epoch: fc.boolean(),
    quote: fc.boolean(),
    pad: fc.constantFrom('', ' ', '\t'),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    swapped: fc.boolean(),
    blankLines: fc.boolean(),
  });
  fc.assert(
    fc.property(validRows, spelling, (rows, s) => {
      const q = (x: string) => `${s.pad}${s.quote ? `"${x}"` : x}${s.pad}`;
      const lines = rows.map(({ t, v }) => {
        const tt = q(s.epoch ? String(t / 1000) : iso(t));
        const vv = q(String(v));
        return s.swapped ? `${vv},${tt}` : `${tt},${vv}`;
      });
      const header = s.swapped ? 'value,timestamp' : 'timestamp,value';
      const text = (s.bom ? '\uFEFF' : '') + [header, ...lines.flatMap((l) => (s.blankLines ? [l, ''] : [l]))].join(s.eol);
      const r = attempt(text);
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.deepEqual(r.value.timesMs, rows.map((x) => x.t));
      assert.deepEqual(r.value.values, rows.map((x) => x.v));
      assert.deepEqual(r.value.dropped, []);
    }),
    runs(500),
  );
});

/** Rows that are refused wherever they are, given the time of the row before (`prev`). */
const badRow = (prev: number, next: number) =>
  fc.constantFrom(
    `${iso(next)},abc`,
    `${iso(next)},1,2`,
    `${iso(next)}`,
    `tomorrow,1`,
    `${iso(next)},1.2.3`,
    `${iso(prev)},1`, // duplicate
    `${iso(prev - 60_000)},1`, // goes back
    `${next},1`, // epoch milliseconds
    `${iso(next)};1`,
  );

test('a bad row anywhere in a valid file is refused on its own line', () => {
  fc.assert(
    fc.property(
      validRows.filter((r) => r.length >= 2),
      fc.nat(),
      fc.nat(),
      (rows, at, pick) => {
        const k = 1 + (at % (rows.length - 1)); // not the first row: a duplicate needs one before it
        const lines = rows.map(({ t, v }) => `${iso(t)},${v}`);
        const bad = fc.sample(badRow(rows[k - 1]!.t, rows[k]!.t), { numRuns: 1, seed: pick })[0]!;
        lines[k] = bad;
        const r = attempt(['timestamp,value', ...lines].join('\n'));
        assert.ok(!r.ok, `accepted ${JSON.stringify(bad)}`);
        assert.equal(namedLine(r.message), k + 2, `${JSON.stringify(bad)}: ${r.message}`);
      },
    ),
    runs(500),
  );
});

test('negative and non-finite values are gaps: counted per kind, the first named by its line', () => {
  const gapText = fc.constantFrom('-1', '-0.001', '-1e3', 'NaN', '+Inf', '-Inf', '');
  fc.assert(
    fc.property(validRows, fc.array(fc.tuple(fc.nat(), gapText), { maxLength: 10 }), (rows, gaps) => {
      const texts = rows.map(({ v }) => String(v));
      const at = new Map<number, string>();
      for (const [i, g] of gaps) at.set(i % rows.length, g);
      for (const [i, g] of at) texts[i] = g;
      const r = attempt(['timestamp,value', ...rows.map(({ t }, i) => `${iso(t)},${texts[i]}`)].join('\n'));
      assert.ok(r.ok, r.ok ? '' : r.message);
      const kindOf = (g: string) => (g.startsWith('-') && g !== '-Inf' ? 'negative' : 'not-finite');
      for (const kind of ['negative', 'not-finite'] as const) {
        const rowsOfKind = [...at].filter(([, g]) => kindOf(g) === kind).map(([i]) => i).sort((a, b) => a - b);
        const d: DroppedValues | undefined = r.value.dropped.find((x) => x.kind === kind);
        if (rowsOfKind.length === 0) {
          assert.equal(d, undefined);
          continue;
        }
        assert.ok(d, `a ${kind} record`);
        assert.equal(d.count, rowsOfKind.length);
        assert.equal(d.first, `f.csv:${rowsOfKind[0]! + 2}`);
      }
      r.value.values.forEach((v, i) => assert.equal(Number.isNaN(v), at.has(i), `row ${i}`));
    }),
    runs(500),
  );
});

/** Feeds `bytes` to a scanner in the pieces given by `cuts`, as the file reader does. */
function inPieces(bytes: Uint8Array, cuts: number[]): ParsedColumns {
  const scanner = new CsvScanner(SOURCE);
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const points = [...new Set(cuts.map((c) => start + (c % (bytes.length - start + 1))))].sort((a, b) => a - b);
  let pending = new Uint8Array(0);
  let from = start;
  for (const to of [...points, bytes.length]) {
    const buf = new Uint8Array(pending.length + (to - from));
    buf.set(pending);
    buf.set(bytes.subarray(from, to), pending.length);
    const last = to === bytes.length;
    const used = scanner.feed(buf, 0, buf.length, last);
    pending = buf.slice(used);
    from = to;
    if (last) break;
  }
  return scanner.finish();
}

test('reading the bytes in pieces gives what reading them whole gives, rows or the same refusal', () => {
  fc.assert(
    fc.property(csvText, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
      const bytes = new TextEncoder().encode(text);
      const outcome = (f: () => ParsedColumns) => {
        try {
          const c = f();
          return { times: [...c.timesMs], values: [...c.values].map(String), dropped: c.dropped };
        } catch (e) {
          assert.ok(isPrescaleError(e, 'invalid-input'), String(e));
          return { error: e.message };
        }
      };
      assert.deepEqual(outcome(() => inPieces(bytes, cuts)), outcome(() => parseCsvBytes(bytes, SOURCE)));
    }),
    runs(800),
  );
});

/** A saved query_range response whose values are generated: pairs right, wrong or hostile. */
const promText = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.tuple(fc.integer({ min: 1, max: 600 }), valueText) },
      fc.constant('junk' as const),
    ),
    { maxLength: 20 },
  )
  .chain((items) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(items) },
      fc.constant([...items, [1, 2]]), // a number where the value string belongs
    ),
  )
  .map((items) => {
    let t = 1_404_172_800;
    const values = items.map((it) => (it === 'junk' ? 'junk' : Array.isArray(it) && typeof it[1] === 'string' ? [(t += (it[0] as number) - 100), it[1]] : it));
    return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values }] } });
  });

test('any saved query_range response: samples, or one line of invalid input that names the element', () => {
  fc.assert(
    fc.property(fc.oneof(promText, promText.map((t) => t.slice(0, Math.floor(t.length / 2)))), (text) => {
      const r = attempt(text);
      if (r.ok) {
        for (const v of r.value.values) assert.ok(Number.isNaN(v) || (Number.isFinite(v) && v >= 0));
        for (const d of r.value.dropped) assert.match(d.first, /^f\.csv: data\.result\[0\]\.values\[\d+\]$/);
        return;
      }
      assert.match(r.message, /^f\.csv: (data\.result\[0\]\.values\[\d+\]|not valid JSON|the series has no samples)/);
    }),
    runs(800),
  );
});
