import { test } from 'node:test';
import assert from 'node:assert/strict';
test('x', () => { const a: number = 1; assert.equal(a, 1); });
