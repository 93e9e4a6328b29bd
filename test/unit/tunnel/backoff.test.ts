import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../../../src/tunnel/index.js';

test('reconnect backoff doubles from 0.5 s up to 30 s, jittered into [50 %, 100 %)', () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffDelay(n, () => 0));
  assert.deepEqual(low, [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  const high = [0, 1, 6, 40].map((n) => backoffDelay(n, () => 0.999_999));
  assert.deepEqual(high.map((d) => Math.round(d)), [500, 1000, 30_000, 30_000]);
  assert.equal(backoffDelay(3, () => 0.5, { initialDelayMs: 100, maxDelayMs: 500 }), 375);
});
