import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowedPrefix, isAllowed, safeUrl } from '../../../src/operator/allow-list.js';

const allowed = ['http://prometheus.monitoring:9090', 'https://mimir.example.com/prometheus/'].map((u) => allowedPrefix(u)!);

test('URLs are matched as URLs: scheme, host and port equal, path a prefix at a / boundary, userinfo ignored', () => {
  const cases: Array<[string, boolean]> = [
    ['http://prometheus.monitoring:9090', true],
    ['http://prometheus.monitoring:9090/', true],
    ['http://user:secret@prometheus.monitoring:9090/', true],
    ['http://PROMETHEUS.monitoring:9090', true],
    ['https://prometheus.monitoring:9090', false],
    ['http://prometheus.monitoring:9091', false],
    ['http://prometheus.monitoring', false],
    ['http://prometheus.monitoring:9090.evil.com', false],
    ['http://evil.com/?http://prometheus.monitoring:9090', false],
    ['https://mimir.example.com/prometheus', true],
    ['https://mimir.example.com:443/prometheus/api', true],
    ['https://mimir.example.com/prometheus-other', false],
    ['https://mimir.example.com/', false],
    ['ftp://prometheus.monitoring:9090', false],
    ['not a url', false],
  ];
  for (const [url, want] of cases) assert.equal(isAllowed(url, allowed), want, url);
});

test('a URL in a message keeps neither userinfo nor query', () => {
  assert.equal(safeUrl('http://user:secret@prom:9090/x?token=abc'), 'http://prom:9090/x');
  assert.equal(safeUrl('nope'), '(not a URL)');
});
