/**
 * https with a private CA (caFile): trusted when the CA is given, a clear non-retried error when
 * not. A local node:https server answers query_range with a canned response.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from '../../../src/core/clock.js';
import { isPrescaleError } from '../../../src/core/errors.js';
import { PrometheusSource } from '../../../src/metrics/prometheus.js';

// Test-only self-signed certificate for 127.0.0.1 and localhost, valid 2000-01-01 .. 2100-01-01
// (made with `openssl ca -selfsign -startdate 20000101000000Z -enddate 21000101000000Z`).
const CERT = `-----BEGIN CERTIFICATE-----
MIIBZjCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB8jjpxsHGeTQgWX
XtrOd+3Wz/fledtm73JVxmCaqhveizN7kawWkx6s3EexUG5fq4nSSaWNukpradWn
K3bAatujTjBMMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9j
YWxob3N0MB0GA1UdDgQWBBQ271FVnID5A562IklVlYyzRlMUuzAKBggqhkjOPQQD
AgNHADBEAiASeicASzEMUmk34mIiqUKUKettjV3KtwFNQLB/7TY/PwIgXJifdr1j
A+G1dTg1K5htu7fpd/Oe/S71fw/8kbBDkUs=
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghVu+oo22eN2FGV66
z55aa8n8Ge1kFSCjB3mNPSVyh/KhRANCAAQfI46cbBxnk0IFl17aznft1s/35Xnb
Zu9yVcZgmqob3osze5GsFpMerNxHsVBuX6uJ0kmljbpKa2nVpyt2wGrb
-----END PRIVATE KEY-----`;

const BODY = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'web' }, values: [[1404172800, '1.25'], [1404172860, '2']] }] } });

test('caFile: https to a server signed by a private CA works with the CA and fails clearly without it', async () => {
  const requests: string[] = [];
  const server = createServer({ cert: CERT, key: KEY }, (req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers['x-scope-orgid'] ?? ''}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(BODY);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = await mkdtemp(join(tmpdir(), 'prescale-tls-'));
  try {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, CERT);
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus/`;
    const deps = { clock: new SimulatedClock(0) };
    const ok = new PrometheusSource({ url, query: 'up', caFile, headers: { 'X-Scope-OrgID': 'team-a' } }, deps);
    const s = await ok.fetchRange(1404172800_000, 1404172860_000, 60_000);
    assert.deepEqual([...s.values], [1.25, 2]);
    assert.deepEqual(requests, ['POST /prometheus/api/v1/query_range team-a']);

    const untrusted = new PrometheusSource({ url, query: 'up' }, deps);
    const err = await untrusted.fetchRange(1404172800_000, 1404172860_000, 60_000).catch((e: unknown) => e);
    assert.ok(isPrescaleError(err, 'invalid-input'), String(err));
    assert.match(err.message, /caFile/);
    assert.equal(requests.length, 1, 'a TLS failure is not retried and never reaches the handler');

    const missing = new PrometheusSource({ url, query: 'up', caFile: join(dir, 'nope.pem') }, deps);
    await assert.rejects(missing.fetchRange(0, 60_000, 60_000), /caFile .*nope\.pem: cannot read \(ENOENT\)/);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  }
});
