import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPrescaleError } from '../../../src/core/errors.js';
import { Credentials, FileSecret, redactUrl, splitUrlCredentials } from '../../../src/metrics/credentials.js';

const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
  const dir = await mkdtemp(join(tmpdir(), 'prescale-cred-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

test('redactUrl hides user:pass@ and leaves other URLs alone', () => {
  const table: [string, string][] = [
    ['http://alice:s3cret@prom:9090/x', 'http://***@prom:9090/x'],
    ['https://token@mimir.example/prometheus', 'https://***@mimir.example/prometheus'],
    ['http://prom:9090/api?q=a@b', 'http://prom:9090/api?q=a@b'],
    ['http://prom:9090', 'http://prom:9090'],
  ];
  for (const [url, want] of table) assert.equal(redactUrl(url), want);
});

test('splitUrlCredentials takes user:pass@ out of the URL (percent-decoded) and rejects non-http URLs', () => {
  assert.deepEqual(splitUrlCredentials('http://al%40ice:p%3Ass@prom:9090/pfx'), { url: 'http://prom:9090/pfx', username: 'al@ice', password: 'p:ss' });
  assert.deepEqual(splitUrlCredentials('https://prom'), { url: 'https://prom/' });
  for (const bad of ['prom:9090', 'ftp://prom', 'not a url']) {
    assert.throws(() => splitUrlCredentials(bad), (e: unknown) => isPrescaleError(e, 'invalid-input'), bad);
  }
  const err = (() => {
    try {
      splitUrlCredentials('ftp://bob:hunter2@prom');
    } catch (e) {
      return e as Error;
    }
  })();
  assert.doesNotMatch(err!.message, /hunter2/);
});

test('FileSecret re-reads after a rewrite and after an atomic rename, trims newlines, names the file on errors', async () => {
  await withDir(async (dir) => {
    const path = join(dir, 'token');
    await writeFile(path, 'first\n');
    const s = new FileSecret(path, 'bearer token file');
    assert.equal(await s.get(), 'first');
    await writeFile(`${path}.tmp`, 'second');
    await rename(`${path}.tmp`, path);
    assert.equal(await s.get(), 'second');
    await writeFile(path, 'third-longer');
    assert.equal(await s.get(), 'third-longer');
    // Projected volumes: the file is a symlink to a versioned directory that kubelet swaps.
    const link = join(dir, 'link');
    await writeFile(join(dir, 'v1'), 'v-one');
    await symlink(join(dir, 'v1'), link);
    const viaLink = new FileSecret(link, 'bearer token file');
    assert.equal(await viaLink.get(), 'v-one');
    await writeFile(join(dir, 'v2'), 'v-two');
    await symlink(join(dir, 'v2'), `${link}.new`);
    await rename(`${link}.new`, link);
    assert.equal(await viaLink.get(), 'v-two');

    await unlink(path);
    await assert.rejects(s.get(), (e: unknown) => isPrescaleError(e, 'invalid-input') && /bearer token file .*token: no such file/.test((e as Error).message));
    await writeFile(path, '  \n');
    await assert.rejects(s.get(), /file is empty/);
  });
});

test('Credentials: bearer token, basic auth (inline or file) and custom headers', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'tok'), 'abc.def.ghi\n');
    await writeFile(join(dir, 'pw'), 'pw-from-file\n');
    const table: [string, ConstructorParameters<typeof Credentials>[0], Record<string, string>][] = [
      ['nothing', {}, {}],
      ['tenant header only', { headers: { 'X-Scope-OrgID': 'team-a' } }, { 'X-Scope-OrgID': 'team-a' }],
      ['bearer token file', { bearerTokenFile: join(dir, 'tok') }, { Authorization: 'Bearer abc.def.ghi' }],
      ['basic inline', { basicAuth: { username: 'u', password: 'p' } }, { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }],
      ['basic from file', { basicAuth: { username: 'u', passwordFile: join(dir, 'pw') } }, { Authorization: `Basic ${Buffer.from('u:pw-from-file').toString('base64')}` }],
      ['custom Authorization cannot override the token', { headers: { Authorization: 'x' }, bearerTokenFile: join(dir, 'tok') }, { Authorization: 'Bearer abc.def.ghi' }],
    ];
    for (const [name, opts, want] of table) assert.deepEqual(await new Credentials(opts).headers(), want, name);
  });
});

test('Credentials reject ambiguous options and redact every secret it has sent', async () => {
  assert.throws(() => new Credentials({ bearerTokenFile: '/x', basicAuth: { username: 'u' } }), /either bearerTokenFile or basicAuth/);
  assert.throws(() => new Credentials({ basicAuth: { username: 'u', password: 'a', passwordFile: '/x' } }), /either password or passwordFile/);
  const c = new Credentials({ basicAuth: { username: 'u', password: 'topsecret' }, headers: { 'X-Api-Key': 'key-12345' } });
  const auth = (await c.headers()).Authorization!;
  const text = `failed with topsecret and ${auth} and key-12345 at http://u:topsecret@host/`;
  const red = c.redact(text);
  for (const secret of ['topsecret', auth.slice(6), 'key-12345']) assert.ok(!red.includes(secret), `${secret} leaked: ${red}`);
  assert.match(red, /http:\/\/\*\*\*@host\//);
});
