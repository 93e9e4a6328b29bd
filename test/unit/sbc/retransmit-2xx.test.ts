import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/index.js';
import { T1_MS, TwoXxRetransmitter } from '../../../src/sbc/index.js';

function sendTimes(ackAtMs: number | undefined): number[] {
  const clock = new ManualClock(0);
  const r = new TwoXxRetransmitter(clock);
  const times: number[] = [];
  const key = TwoXxRetransmitter.key('c', 1);
  r.start(key, () => times.push(clock.now()));
  for (let t = 0; t <= 40_000; t += 100) {
    if (ackAtMs !== undefined && t === ackAtMs) r.ack(key);
    clock.advance(100);
  }
  assert.equal(r.size, 0, 'nothing left pending');
  return times;
}

test('RFC 3261 §13.3.1.4: 2xx resent at T1, 2·T1, 4·T1, then every T2, until 64·T1', () => {
  const times = sendTimes(undefined);
  assert.deepEqual(times.slice(0, 5), [500, 1500, 3500, 7500, 11_500]);
  assert.ok(times.every((t) => t < 64 * T1_MS));
});

test('the ACK stops the retransmissions', () => {
  assert.deepEqual(sendTimes(2000), [500, 1500]);
});
