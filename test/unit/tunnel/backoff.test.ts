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

test('for the first minute after an open session is lost, the wait is capped at 1 s; then the plain backoff', () => {
  const table: Array<{ attempt: number; sinceLossMs: number | undefined; delay: number }> = [
    { attempt: 0, sinceLossMs: 0, delay: 250 },
    { attempt: 1, sinceLossMs: 3_000, delay: 500 },
    { attempt: 4, sinceLossMs: 8_000, delay: 500 },
    { attempt: 10, sinceLossMs: 59_999, delay: 500 },
    { attempt: 10, sinceLossMs: 60_000, delay: 15_000 },
    { attempt: 4, sinceLossMs: undefined, delay: 4_000 },
  ];
  for (const row of table) assert.equal(backoffDelay(row.attempt, () => 0, {}, row.sinceLossMs), row.delay, JSON.stringify(row));
  assert.equal(Math.round(backoffDelay(6, () => 0.999_999, {}, 1_000)), 1_000);
  assert.equal(backoffDelay(6, () => 0, { fastMaxDelayMs: 3_000, fastForMs: 10_000 }, 9_000), 1_500);
  assert.equal(backoffDelay(6, () => 0, { maxDelayMs: 600 }, 9_000), 300, 'never above the configured MAX');
});
