import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, isNoRouteError } from '../../../src/tunnel/index.js';

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

const coded = (code: string): Error => Object.assign(new Error(`connect ${code} 192.0.2.1:5090`), { code });

const NO_ROUTE: ReadonlyArray<{ name: string; error: unknown; noRoute: boolean }> = [
  { name: 'ENETUNREACH', error: coded('ENETUNREACH'), noRoute: true },
  { name: 'ENETDOWN', error: coded('ENETDOWN'), noRoute: true },
  { name: 'EHOSTUNREACH', error: coded('EHOSTUNREACH'), noRoute: true },
  { name: 'EADDRNOTAVAIL', error: coded('EADDRNOTAVAIL'), noRoute: true },
  { name: 'wrapped by the TLS-then-WSS connector', error: new Error('tunnel: TLS failed (...), WSS failed (...)', { cause: coded('ENETUNREACH') }), noRoute: true },
  { name: 'wrapped twice (agent.hubs)', error: new Error('no hub answered', { cause: new Error('x', { cause: coded('ENETDOWN') }) }), noRoute: true },
  { name: 'ECONNREFUSED (the hub said no: packets went out)', error: coded('ECONNREFUSED'), noRoute: false },
  { name: 'ETIMEDOUT', error: coded('ETIMEDOUT'), noRoute: false },
  { name: 'a handshake timeout', error: new Error('tunnel handshake timed out'), noRoute: false },
  { name: 'no error', error: undefined, noRoute: false },
  { name: 'not an Error', error: { code: 'ENETUNREACH' }, noRoute: false },
];

for (const row of NO_ROUTE) {
  test(`a connect failure for want of a route is told apart: ${row.name}`, () => {
    assert.equal(isNoRouteError(row.error), row.noRoute);
  });
}
