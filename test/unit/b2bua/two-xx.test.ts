/**
 * 2xx retransmission (RFC 3261 §13.3.1.4) on the manual clock: T1, 2·T1 … capped at T2 over UDP
 * for 64·T1, nothing resent over a reliable transport, and stop() (the ACK) ends it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { TwoXxRetransmission } from '../../../src/b2bua/two-xx.js';

test('UDP: resent at 0.5, 1.5, 3.5, 7.5 s then every 4 s; gives up at 32 s', () => {
  const clock = new ManualClock();
  const sent: number[] = [];
  let gaveUp: number | undefined;
  new TwoXxRetransmission(clock, false, () => sent.push(clock.now()), () => { gaveUp = clock.now(); });
  clock.advance(40_000);
  assert.deepEqual(sent, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(gaveUp, 32_000);
  assert.equal(clock.pending, 0);
});

test('reliable transport: nothing resent, gives up at 64·T1; stop() before that cancels everything', () => {
  const clock = new ManualClock();
  const sent: number[] = [];
  let gaveUp = 0;
  new TwoXxRetransmission(clock, true, () => sent.push(clock.now()), () => gaveUp++);
  clock.advance(32_000);
  assert.deepEqual([sent, gaveUp], [[], 1]);
  const acked = new TwoXxRetransmission(clock, false, () => sent.push(clock.now()), () => gaveUp++);
  clock.advance(600);
  acked.stop();
  acked.stop();
  clock.advance(60_000);
  assert.deepEqual([sent, gaveUp], [[32_500], 1]);
  assert.equal(clock.pending, 0);
});
