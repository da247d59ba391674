/**
 * No credential leaves through an output. Known secret values are planted where the operator and
 * the CLI meet credentials:
 * - a password in a Secret that scalers reference (basicAuth.passwordSecretRef), and an API key
 *   in a scaler's own headers;
 * - the basic-auth password of the operator's --prometheus URL, and of URLs in scaler specs
 *   (one the allow-list refuses, one that is not a valid URL at all);
 * - the operator's own service-account token, in the token file its kubeconfig names (which one
 *   scaler also names as bearerTokenFile);
 * - CLI flags: a --prometheus password, --header tokens (one of them mistyped).
 * The real operator process runs against the in-process API server and a Prometheus stand-in
 * through normal passes (plans applied) and error paths: 401, 403 and 500 answers that echo the
 * Authorization header (and what it decodes to) in their bodies, a spec with an invalid URL, a
 * reference to a missing Secret key, a refused file field, and a Prometheus off the allow-list.
 * Then every output is searched for every planted value (any 12 characters of it, and of the
 * base64 forms basic auth sends): operator stdout and stderr, Events, every object and status the
 * operator wrote to the API server, /metrics, and the CLI's error messages. None may appear; the
 * stand-in's request log shows the secrets were really sent, so the search is not vacuous.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { runCli } from '../cli/run-cli.js';
import { type FakeApiServer, type KubeObject, startFakeApiServer } from '../support/fake-apiserver.js';
import { dump, type OperatorProcess, startOperator } from '../support/operator-process.js';

const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 86_400_000;
const NS = 'vault';
const SCALERS = ['prescale.dev/v1alpha1', 'predictivescalers'] as const;

const planted = (label: string): string => `${label}${randomBytes(20).toString('hex')}`;
/** Every value that must never appear in an output. */
const SECRET = {
  secretRef: planted('sref'),
  headerKey: planted('hkey'),
  operatorUrl: planted('opurl'),
  specUrl: planted('spurl'),
  badUrl: planted('bdurl'),
  elsewhereUrl: planted('elurl'),
  serviceAccount: planted('satok'),
  cliUrl: planted('cliurl'),
  cliToken: planted('clitok'),
  cliMistyped: planted('climis'),
  /** A key that is all digits, so YAML reads it as a number (15 digits: exact in a double). */
  numericKey: `9${randomBytes(8).readBigUInt64BE().toString().padStart(20, '0').slice(-14)}`,
};
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
/** What basic auth puts on the wire for each planted password (user:password, base64). */
const WIRE = {
  secretRefBasic: b64(`reader:${SECRET.secretRef}`),
  operatorUrlBasic: b64(`prescale:${SECRET.operatorUrl}`),
  specUrlBasic: b64(`tenant:${SECRET.specUrl}`),
  cliUrlBasic: b64(`cli:${SECRET.cliUrl}`),
};
/** Where the password's bits begin in each WIRE value (the characters before encode only `user:`). */
const WIRE_FROM: Record<keyof typeof WIRE, number> = { secretRefBasic: 9, operatorUrlBasic: 12, specUrlBasic: 9, cliUrlBasic: 5 };

/**
 * Every 12-character window of each planted value, and every 16-character window of the password
 * part of its base64 forms: what a partial leak (a cut message) shows.
 */
function leaksIn(text: string, where: string): string[] {
  const found: string[] = [];
  const scan = (name: string, value: string, width: number, from = 0): void => {
    for (let i = from; i + width <= value.length; i++) {
      if (text.includes(value.slice(i, i + width))) {
        const at = text.indexOf(value.slice(i, i + width));
        found.push(`${name} in ${where}: ...${text.slice(Math.max(0, at - 80), at + 60)}...`);
        return;
      }
    }
  };
  for (const [name, value] of Object.entries(SECRET)) scan(name, value, 12);
  for (const [name, value] of Object.entries(WIRE)) scan(name, value, 16, WIRE_FROM[name as keyof typeof WIRE]);
  return found;
}

// ---------------------------------------------------------------------------------------------
// A Prometheus stand-in: query_range over a daily pattern under /ok; under /deny401, /deny403 and
// /fail500 it refuses and echoes the request's credentials back, as careless proxies do.

interface Seen {
  path: string;
  authorization: string;
  apiKey: string;
}

function load(tMs: number): number {
  return 1000 + 600 * Math.sin((2 * Math.PI * (tMs % DAY)) / DAY);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startPrometheusStandIn(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const authorization = String(req.headers.authorization ?? '');
      const apiKey = String(req.headers['x-api-key'] ?? '');
      seen.push({ path: url.pathname, authorization, apiKey });
      const decoded = authorization.startsWith('Basic ') ? Buffer.from(authorization.slice(6), 'base64').toString('utf8') : '';
      const echo = `Authorization: ${authorization} (${decoded}) X-Api-Key: ${apiKey}`;
      if (url.pathname.startsWith('/deny401/')) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="prometheus"' }).end(`401 Unauthorized\nrequest headers: ${echo}\n`);
        return;
      }
      if (url.pathname.startsWith('/deny403/')) {
        // The decoded password starts at character 280: it straddles character 300, where an
        // error body is cut for a message (cutting before redacting would leave its start).
        const user = decoded.slice(0, decoded.indexOf(':') + 1);
        const page = `<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>${'The tenant is not allowed to query this range. '.repeat(6)}`.slice(0, 280 - 2 - user.length);
        res.writeHead(403, { 'content-type': 'text/html' }).end(`${page} (${decoded}) ${echo}</p></body></html>`);
        return;
      }
      if (url.pathname.startsWith('/fail500/')) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'internal', error: `upstream refused the request; ${echo}` }));
        return;
      }
      if (!url.pathname.endsWith('/api/v1/query_range')) {
        res.writeHead(404).end('not found');
        return;
      }
      const params = new URLSearchParams(body);
      const start = Number(params.get('start')) * 1000;
      const end = Number(params.get('end')) * 1000;
      const step = Number(params.get('step')) * 1000;
      const values: Array<[number, string]> = [];
      for (let t = start; t <= end; t += step) values.push([t / 1000, load(t).toFixed(3)]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values }] } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------

let api: FakeApiServer;
let prom: Awaited<ReturnType<typeof startPrometheusStandIn>>;
let dir: string;
let tokenFile: string;
let kubeconfig: string;
let operator: OperatorProcess | undefined;

before(async () => {
  [api, prom, dir] = await Promise.all([startFakeApiServer({ token: SECRET.serviceAccount }), startPrometheusStandIn(), mkdtemp(join(tmpdir(), 'prescale-secrets-'))]);
  // The operator's own credentials: a token file, as a projected service-account token is.
  tokenFile = join(dir, 'token');
  await writeFile(tokenFile, SECRET.serviceAccount);
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: api.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'operator', user: { 'token-file': tokenFile } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'operator' } }],
      'current-context': 'fake',
    }),
  );
});

after(async () => {
  await operator?.stop('SIGKILL');
  await api?.close();
  await prom?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function scaler(name: string, opts: { mode?: string; prometheus?: Record<string, unknown>; extra?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: 'prescale.dev/v1alpha1',
    kind: 'PredictiveScaler',
    metadata: { name, namespace: NS },
    spec: {
      mode: opts.mode ?? 'DryRun',
      target: { kind: 'HorizontalPodAutoscaler', name },
      metric: { query: 'sum(rate(http_requests_total{job="web"}[2m]))', step: '5m', history: '3d', ...(opts.prometheus ? { prometheus: opts.prometheus } : {}) },
      capacity: { perReplica: 100 },
      forecast: { horizon: '6h', refitInterval: '1m', seasonalities: ['1d'] },
      plan: { leadTime: '5m', minStepDuration: '10m' },
      minReplicas: 2,
      maxReplicas: 40,
      ...opts.extra,
    },
  };
}

const hpa = (name: string): KubeObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace: NS },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 2, maxReplicas: 40, metrics: [] },
});

const readyReason = (name: string): string | undefined =>
  ((api.get(...SCALERS, NS, name)?.status as { conditions?: Array<{ type: string; reason: string }> } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready')?.reason;

test('planted secrets appear in no log line, event, status, API write or /metrics of the operator, through normal passes and error paths', { timeout: 300_000 }, async () => {
  const ref = (key = 'password') => ({ username: 'reader', passwordSecretRef: { name: 'prom-auth', key } });
  api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'prom-auth', namespace: NS }, type: 'Opaque', data: { password: b64(SECRET.secretRef) } });
  for (const name of ['normal', 'refd']) api.create(hpa(name));
  // Normal passes: the operator's default Prometheus (basic auth from its URL), and a scaler's own with a Secret and a key header.
  api.create(scaler('normal', { mode: 'Enforce' }));
  api.create(scaler('refd', { mode: 'Enforce', prometheus: { url: `${prom.url}/ok`, basicAuth: ref(), headers: { 'X-Api-Key': SECRET.headerKey, 'X-Scope-OrgID': 'vault' } } }));
  // Refusals that echo the credentials they were sent.
  api.create(scaler('denied401', { prometheus: { url: `${prom.url}/deny401`, basicAuth: ref(), headers: { 'X-Api-Key': SECRET.headerKey } } }));
  api.create(scaler('denied403', { prometheus: { url: `${prom.url}/deny403`, basicAuth: ref() } }));
  api.create(scaler('failing500', { prometheus: { url: `${prom.url}/fail500`, basicAuth: ref(), headers: { 'X-Api-Key': SECRET.headerKey } } }));
  api.create(scaler('userinfo401', { prometheus: { url: prom.url.replace('http://', `http://tenant:${SECRET.specUrl}@`) + '/deny401' } }));
  // Bad specs that reference secrets: a URL that is no URL (port out of range), a Secret key that is not there.
  api.create(scaler('badurl', { prometheus: { url: `http://tenant:${SECRET.badUrl}@127.0.0.1:99999/ok`, basicAuth: ref() } }));
  api.create(scaler('badref', { prometheus: { url: `${prom.url}/ok`, basicAuth: ref('no-such-key') } }));
  // The operator's own token file named by a scaler; a Prometheus off the allow-list, with a password.
  api.create(scaler('diskfile', { prometheus: { url: `${prom.url}/ok`, bearerTokenFile: tokenFile } }));
  api.create(scaler('elsewhere', { prometheus: { url: `http://user:${SECRET.elsewhereUrl}@localhost:9/` } }));

  operator = await startOperator([
    '--kubeconfig', kubeconfig,
    '--prometheus', prom.url.replace('http://', `http://prescale:${SECRET.operatorUrl}@`) + '/ok',
    '--allowed-prometheus', `${prom.url}/`,
    '--namespace', NS,
    '--log-level', 'debug',
  ]);
  const op = operator;
  const expected: Record<string, RegExp> = {
    normal: /^PlanApplied$/,
    refd: /^PlanApplied$/,
    // A refused read is a fault of the metrics (the floor holds), whatever the status.
    denied401: /^MetricsUnavailable$/,
    denied403: /^MetricsUnavailable$/,
    failing500: /^MetricsUnavailable$/,
    userinfo401: /^MetricsUnavailable$/,
    badurl: /^InvalidSpec$/,
    badref: /^MetricsUnavailable$/,
    diskfile: /^InvalidSpec$/,
    elsewhere: /^PrometheusNotAllowed$/,
  };
  await api
    .waitFor(() => Object.entries(expected).every(([name, re]) => re.test(readyReason(name) ?? '')), 180_000, 'every scaler at its expected Ready reason')
    .catch((e: Error) => {
      throw new Error(`${e.message}\n${Object.keys(expected).map((n) => `${n}: ${readyReason(n)}`).join('\n')}\n${dump(op.logs)}`);
    });
  // Each fault is met again at the next refit (1m): let a second round of errors be logged and written.
  const firstRound = prom.seen.length;
  await api.waitFor(() => prom.seen.filter((s, i) => i >= firstRound && s.path.startsWith('/fail500/')).length > 0, 120_000, 'a second read of the failing Prometheus');
  const metrics = await (await fetch(`${op.metricsUrl}/metrics`)).text();
  assert.equal(await op.stop('SIGTERM'), 0);
  operator = undefined;

  // The secrets were really sent (so finding none below means something).
  const sent = (path: string, auth: string) => prom.seen.some((s) => s.path.startsWith(path) && s.authorization === auth);
  assert.ok(sent('/ok/', `Basic ${WIRE.operatorUrlBasic}`), 'the --prometheus password was sent');
  assert.ok(sent('/ok/', `Basic ${WIRE.secretRefBasic}`) && sent('/deny401/', `Basic ${WIRE.secretRefBasic}`) && sent('/deny403/', `Basic ${WIRE.secretRefBasic}`), "the Secret's password was sent");
  assert.ok(sent('/deny401/', `Basic ${WIRE.specUrlBasic}`), "the spec URL's password was sent");
  assert.ok(prom.seen.some((s) => s.apiKey === SECRET.headerKey && s.path.startsWith('/fail500/')), 'the API key header was sent');
  assert.ok(!prom.seen.some((s) => s.authorization.includes(SECRET.serviceAccount)), "the operator's token never went to Prometheus");
  assert.ok(api.requests.length > 0);

  // Every output, searched.
  const outputs: Array<[string, string]> = [
    ['operator logs', op.logs.map((l) => JSON.stringify(l)).join('\n')],
    ['events', JSON.stringify(api.list('v1', 'events'))],
    // The specs hold some of the values (the test wrote them there); what the operator wrote is their status.
    ['scaler statuses, every version', JSON.stringify(Object.keys(expected).map((n) => api.history(...SCALERS, NS, n).map((v) => ({ status: v.status, annotations: v.metadata?.annotations }))))],
    ['HPA versions', JSON.stringify(['normal', 'refd'].map((n) => api.history('autoscaling/v2', 'horizontalpodautoscalers', NS, n)))],
    ['request bodies sent to the API server', JSON.stringify(api.requests.map((r) => ({ path: r.path, query: r.query, body: r.body })))],
    ['/metrics', metrics],
  ];
  const leaks = outputs.flatMap(([where, text]) => leaksIn(text, where));
  assert.deepEqual(leaks, []);
  // The outputs are the real ones: they say what went wrong, by field and status, without the values.
  const messages = JSON.stringify(api.list('v1', 'events').map((e) => (e as { message?: string }).message));
  assert.match(messages, /access denied \(HTTP 401\)/);
  assert.match(messages, /access denied \(HTTP 403\)/);
  assert.match(messages, /HTTP 500/);
  assert.match(messages, /spec\.metric\.prometheus\.url/);
  assert.match(messages, /bearerTokenFile: files on the operator's disk/);
  assert.match(messages, /no key \\"no-such-key\\"/);
  assert.match(messages, /not on the operator's allow-list/);
});

test('planted secrets appear in no CLI error message: validate, dry-run and record against refusing servers, mistyped flags, a broken kubeconfig', { timeout: 240_000 }, async () => {
  const file = (name: string) => join(dir, name);
  // A spec with credentials where they do not belong: a URL that does not parse, headers as one string, a key as a number.
  const bad = scaler('cli-bad', { prometheus: { url: `http://tenant:${SECRET.badUrl}@127.0.0.1:99999/ok`, headers: `X-Api-Key: ${SECRET.headerKey}` } }) as KubeObject & { spec: { metric: { prometheus: Record<string, unknown> } } };
  await writeFile(file('bad.yaml'), toYaml(bad));
  await writeFile(file('bad-number.yaml'), toYaml(scaler('cli-bad-number', { prometheus: { url: `${prom.url}/ok`, headers: { 'X-Api-Key': Number(SECRET.numericKey) } } })));
  const good = scaler('cli-good');
  await writeFile(file('good.yaml'), toYaml(good));
  const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  const to = Math.floor(Date.now() / STEP) * STEP;
  const range = ['--from', iso(to - 3 * 60 * MIN), '--to', iso(to)];
  const broken = file('broken-kubeconfig');
  await writeFile(broken, `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: ${SECRET.serviceAccount}\n    extra: [unclosed\n`);

  const runs: Array<[string, string[], number]> = [
    ['validate a spec with a bad URL and headers', ['validate', '-f', file('bad.yaml')], 2],
    ['validate a spec with a numeric key header', ['validate', '-f', file('bad-number.yaml')], 2],
    ['dry-run against a 401 that echoes', ['dry-run', '-f', file('good.yaml'), '--prometheus', prom.url.replace('http://', `http://cli:${SECRET.cliUrl}@`) + '/deny401', ...range], 1],
    ['dry-run against a 403 that echoes', ['dry-run', '-f', file('good.yaml'), '--prometheus', prom.url.replace('http://', `http://cli:${SECRET.cliUrl}@`) + '/deny403', ...range], 1],
    ['record against a 500 that echoes', ['record', '--prometheus', `${prom.url}/fail500`, '--query', 'up', ...range, '--step', '5m', '--output', file('out.csv'), '--header', `Authorization: Bearer ${SECRET.cliToken}`], 1],
    ['record with a mistyped --header', ['record', '--prometheus', `${prom.url}/ok`, '--query', 'up', ...range, '--step', '5m', '--output', file('out.csv'), '--header', `Authorization Bearer ${SECRET.cliMistyped}`], 2],
    ['operator with an invalid --prometheus', ['operator', '--prometheus', `http://op:${SECRET.operatorUrl}@127.0.0.1:99999/`, '--kubeconfig', kubeconfig], 2],
    ['operator with a broken kubeconfig', ['operator', '--kubeconfig', broken, '--metrics-addr', '127.0.0.1:0', '--health-addr', '127.0.0.1:0'], 2],
  ];
  const leaks: string[] = [];
  for (const [what, args, code] of runs) {
    const r = await runCli(args, { timeoutMs: 120_000 });
    assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stderr.slice(-1500)}`);
    assert.match(r.stderr, /prescale: error: /, `${what}: an error message`);
    leaks.push(...leaksIn(r.stdout + r.stderr, what));
  }
  assert.deepEqual(leaks, []);
  // The refusals were real: the servers saw the credentials and answered with them.
  assert.ok(prom.seen.some((s) => s.path.startsWith('/deny401/') && s.authorization === `Basic ${WIRE.cliUrlBasic}`));
  assert.ok(prom.seen.some((s) => s.path.startsWith('/fail500/') && s.authorization === `Bearer ${SECRET.cliToken}`));
});
