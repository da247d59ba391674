import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gateFromStatus } from '../../../src/operator/status.js';

const NOW = Date.UTC(2024, 0, 2);

test('a gate recorded in status (Active=False, ForecastInaccurate) is taken up again after a restart, from its transition time', () => {
  const status = {
    conditions: [
      { type: 'Ready', status: 'False', reason: 'ForecastInaccurate', message: '', lastTransitionTime: '2024-01-01T10:00:00Z' },
      { type: 'Active', status: 'False', reason: 'ForecastInaccurate', message: '', lastTransitionTime: '2024-01-01T09:00:00Z' },
    ],
  };
  assert.deepEqual(gateFromStatus(status, NOW), { sinceMs: Date.UTC(2024, 0, 1, 9) });
  const noTime = { conditions: [{ type: 'Active', status: 'False', reason: 'ForecastInaccurate' }] };
  assert.deepEqual(gateFromStatus(noTime, NOW), { sinceMs: NOW });
});

test('no gate from any other status: active, given back for another reason, empty or malformed', () => {
  for (const status of [
    { conditions: [{ type: 'Active', status: 'True', reason: 'FloorApplied' }] },
    { conditions: [{ type: 'Active', status: 'False', reason: 'ForecastStale' }] },
    { conditions: [{ type: 'Ready', status: 'False', reason: 'ForecastInaccurate' }] },
    { conditions: 'nope' },
    { conditions: [null, 7] },
    {},
    undefined,
    null,
  ]) {
    assert.equal(gateFromStatus(status, NOW), undefined, JSON.stringify(status));
  }
});
