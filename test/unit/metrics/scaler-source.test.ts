/**
 * prometheusSourceFor: a scaler's source reads its query from the right Prometheus with the
 * spec's headers and credentials. A local node:http server records what each request carried.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import { type Scaler, parseScaler } from '../../../src/config/scaler.js';
import { type ScalerSourceAccess, prometheusSourceFor } from '../../../src/metrics/scaler-source.js';

const T0 = Date.UTC(2014, 6, 1);
const QUERY = 'sum(rate(http_requests_total{job="web"}[2m]))';
const BODY = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[T0 / 1000, '1.5'], [T0 / 1000 + 60, '2']] }] } });

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  query: string | null;
}

let server: Server;
let base = '';
let dir = '';
const seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, query: new URLSearchParams(body).get('query') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(BODY);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'prescale-scaler-source-'));
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

/** The scaler `shop/web`, with `spec.metric.prometheus` from `prometheus` (YAML lines) when given. */
function scaler(prometheus?: string): Scaler {
  const block = prometheus === undefined ? '' : `    prometheus:\n${prometheus.replace(/^/gm, '      ')}\n`;
  const text = `apiVersion: prescale.dev/v1alpha1
kind: PredictiveScaler
metadata: { name: web, namespace: shop }
spec:
  target: { kind: HorizontalPodAutoscaler, name: web }
  metric:
    query: '${QUERY}'
${block}  capacity: { perReplica: 120 }
  maxReplicas: 50
`;
  const r = parseScaler(text, 'web.yaml');
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r.scaler;
}

/** One read through the built source; what the server saw. */
async function read(s: Scaler, access: ScalerSourceAccess): Promise<Seen> {
  seen.length = 0;
  const source = prometheusSourceFor(s, access, { clock: new SimulatedClock(T0) });
  const series = await source.fetchRange(T0, T0 + 60_000, 60_000);
  assert.deepEqual([...series.values], [1.5, 2]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.query, QUERY, 'the spec query is sent');
  return seen[0]!;
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('which URL: the spec names one, a default is given → the spec wins', async () => {
  const r = await read(scaler(`url: ${base}/spec`), { url: `${base}/default` });
  assert.equal(r.path, '/spec/api/v1/query_range');
});

test('which URL: the spec names none → the default', async () => {
  const r = await read(scaler(), { url: `${base}/default` });
  assert.equal(r.path, '/default/api/v1/query_range');
  assert.equal(r.headers.authorization, undefined);
});

test('which URL: ignoreSpecUrl (the CLI --prometheus) → the given URL over the spec', async () => {
  const r = await read(scaler(`url: ${base}/spec\nheaders: { X-Scope-OrgID: team-a }`), { url: `${base}/flag`, ignoreSpecUrl: true });
  assert.equal(r.path, '/flag/api/v1/query_range');
  assert.equal(r.headers['x-scope-orgid'], 'team-a', 'the spec access options still apply');
});

test('which URL: none in the spec and no default → invalid input naming the scaler', () => {
  assert.throws(
    () => prometheusSourceFor(scaler(), {}, { clock: new SimulatedClock(T0) }),
    (e: unknown) => isPrescaleError(e, 'invalid-input') && /shop\/web: no Prometheus URL/.test(e.message),
  );
});

test('access: headers and basic auth from a password file are sent', async () => {
  const file = join(dir, 'password');
  await writeFile(file, 'from-file\n');
  const r = await read(scaler(`url: ${base}\nheaders: { X-Scope-OrgID: team-a }\nbasicAuth: { username: alice, passwordFile: ${file} }`), {});
  assert.equal(r.headers['x-scope-orgid'], 'team-a');
  assert.equal(r.headers.authorization, basic('alice', 'from-file'));
});

test('access: a bearer token file is sent as Authorization: Bearer', async () => {
  const file = join(dir, 'token');
  await writeFile(file, 'tok-123\n');
  const r = await read(scaler(`url: ${base}\nbearerTokenFile: ${file}`), {});
  assert.equal(r.headers.authorization, 'Bearer tok-123');
});

test('access: basic auth user:pass@ in the default URL', async () => {
  const r = await read(scaler(), { url: base.replace('http://', 'http://bob:pw%40x@') });
  assert.equal(r.headers.authorization, basic('bob', 'pw@x'));
});

test('passwordSecretRef: the given password (read from the Secret by the caller) is used', async () => {
  const r = await read(scaler(`url: ${base}\nbasicAuth: { username: carol, passwordSecretRef: { name: prom-auth, key: password } }`), { password: 's3cret' });
  assert.equal(r.headers.authorization, basic('carol', 's3cret'));
});

test('passwordSecretRef: without a password → invalid input naming the Secret', () => {
  const s = scaler(`url: ${base}\nbasicAuth: { username: carol, passwordSecretRef: { name: prom-auth, key: password } }`);
  assert.throws(
    () => prometheusSourceFor(s, {}, { clock: new SimulatedClock(T0) }),
    (e: unknown) => isPrescaleError(e, 'invalid-input') && /passwordSecretRef \(Secret prom-auth, key password\)/.test(e.message),
  );
});

test('a password without a passwordSecretRef → invalid input that does not show it', () => {
  for (const s of [scaler(`url: ${base}`), scaler(`url: ${base}\nbasicAuth: { username: u, passwordFile: /p }`)]) {
    assert.throws(
      () => prometheusSourceFor(s, { password: 'hunter2' }, { clock: new SimulatedClock(T0) }),
      (e: unknown) => isPrescaleError(e, 'invalid-input') && /no passwordSecretRef/.test(e.message) && !e.message.includes('hunter2'),
    );
  }
});
