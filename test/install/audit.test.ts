/**
 * scripts/audit.sh, the production-dependency audit CI runs: it asks npm for
 * `audit --omit=dev --audit-level=high --json` and fails on a high or critical finding, passes a
 * clean report, says so (without failing, unless PRESCALE_AUDIT_REQUIRED=1) when the registry has
 * no advisory service, and fails on anything else. npm is replaced by a stand-in that prints a
 * report in npm's own JSON shape (auditReportVersion 2) and records its arguments.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './support.js';

const tmp = tempDir('audit');
after(() => tmp.remove());

const counts = (c: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>) => {
  const all = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c };
  return { ...all, total: Object.values(all).reduce((a, b) => a + b, 0) };
};

const CRITICAL_REPORT = {
  auditReportVersion: 2,
  vulnerabilities: {
    'form-data': {
      name: 'form-data',
      severity: 'critical',
      isDirect: false,
      via: [{ source: 1107018, name: 'form-data', dependency: 'form-data', title: 'form-data uses unsafe random function for choosing boundary', url: 'https://github.com/advisories/GHSA-fjxv-7rqg-78g4', severity: 'critical', range: '>=4.0.0 <4.0.4' }],
      effects: ['axios'],
      range: '4.0.0 - 4.0.3',
      nodes: ['node_modules/form-data'],
      fixAvailable: true,
    },
    axios: { name: 'axios', severity: 'critical', isDirect: true, via: ['form-data'], effects: [], range: '1.0.0 - 1.11.0', nodes: ['node_modules/axios'], fixAvailable: { name: 'axios', version: '1.12.0', isSemVerMajor: false } },
  },
  metadata: { vulnerabilities: counts({ critical: 2 }), dependencies: { prod: 90, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 90 } },
};

const MODERATE_REPORT = {
  auditReportVersion: 2,
  vulnerabilities: { 'js-yaml': { name: 'js-yaml', severity: 'moderate', isDirect: false, via: [{ title: 'prototype pollution in merge (<<)', severity: 'moderate' }], effects: [], range: '4.0.0 - 4.1.0', nodes: ['node_modules/js-yaml'], fixAvailable: true } },
  metadata: { vulnerabilities: counts({ moderate: 1 }) },
};

/** What npm 11 prints with --json when the registry refuses the advisory endpoint. */
const NO_SERVICE = {
  message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  method: 'POST',
  uri: 'https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
  statusCode: 405,
  body: '',
  error: { summary: '', detail: '' },
};

/** Runs scripts/audit.sh with a stand-in npm that prints `stdout` and exits `exit`. */
function audit(name: string, stdout: string, exit: number, env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string; args: string } {
  const out = join(tmp.path, `${name}.out`);
  const argsFile = join(tmp.path, `${name}.args`);
  writeFileSync(out, stdout);
  const npm = join(tmp.path, `${name}-npm`);
  writeFileSync(npm, `#!/usr/bin/env bash\necho "$*" > ${JSON.stringify(argsFile)}\ncat ${JSON.stringify(out)}\nexit ${exit}\n`);
  chmodSync(npm, 0o755);
  const r = spawnSync('bash', [join(ROOT, 'scripts/audit.sh')], { env: { ...process.env, PRESCALE_NPM: npm, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, args: readFileSync(argsFile, 'utf8').trim() };
}

test('a critical vulnerability in production dependencies fails, naming each package, its severity and the fix', () => {
  const r = audit('critical', JSON.stringify(CRITICAL_REPORT), 1);
  assert.equal(r.args, 'audit --omit=dev --audit-level=high --json');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /2 critical, 0 high vulnerabilities in production dependencies/);
  assert.match(r.stderr, /form-data \(critical, 4\.0\.0 - 4\.0\.3\): form-data uses unsafe random function/);
  assert.match(r.stderr, /axios \(critical, 1\.0\.0 - 1\.11\.0\) \[fix: axios@1\.12\.0\]/);
});

test('a high one fails too; moderate and low ones pass with their counts', () => {
  const high = { ...CRITICAL_REPORT, metadata: { vulnerabilities: counts({ high: 1 }) }, vulnerabilities: { ws: { name: 'ws', severity: 'high', via: [{ title: 'DoS when handling a request with many HTTP headers' }], range: '8.0.0 - 8.17.0', fixAvailable: true } } };
  assert.equal(audit('high', JSON.stringify(high), 1).code, 1);
  const moderate = audit('moderate', JSON.stringify(MODERATE_REPORT), 0);
  assert.equal(moderate.code, 0, moderate.stderr);
  assert.match(moderate.stdout, /no high or critical vulnerability in production dependencies \(1 moderate, 0 low\)/);
  const clean = audit('clean', JSON.stringify({ auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: counts({}) } }), 0);
  assert.equal(clean.code, 0, clean.stderr);
});

test('a registry without the advisory service is reported, and fails only with PRESCALE_AUDIT_REQUIRED=1', () => {
  const r = audit('no-service', JSON.stringify(NO_SERVICE), 1);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /no advisory service here \(405 Method Not Allowed - POST .*advisories\/bulk\); production dependencies were NOT audited/);
  assert.equal(audit('no-service-required', JSON.stringify(NO_SERVICE), 1, { PRESCALE_AUDIT_REQUIRED: '1' }).code, 1);
  assert.equal(audit('offline', JSON.stringify({ code: 'ENOTFOUND', message: 'request to https://registry.npmjs.org failed' }), 1).code, 0);
});

test('any other failure of npm audit fails: output that is not JSON, or an error that is not about the advisory service', () => {
  const garbage = audit('garbage', 'npm ERR! something broke\n', 1);
  assert.equal(garbage.code, 1);
  assert.match(garbage.stderr, /its output is not JSON/);
  const lockless = audit('lockless', JSON.stringify({ error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' } }), 1);
  assert.equal(lockless.code, 1);
  assert.match(lockless.stderr, /npm audit failed: This command requires an existing lockfile/);
});
