import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaPortsExhaustedError, PortPool } from '../../../src/media/index.js';

test('pairs are an even RTP port and the odd port after it, handed out round-robin', () => {
  const pool = new PortPool({ min: 10001, max: 10008 });
  assert.equal(pool.size, 3); // 10002/3, 10004/5, 10006/7 (10008 has no odd partner in range)
  assert.deepEqual(pool.allocate(), { rtp: 10002, rtcp: 10003 });
  assert.deepEqual(pool.allocate(), { rtp: 10004, rtcp: 10005 });
  pool.free(10002);
  // The freed pair is not reused at once: the cursor moves on first.
  assert.deepEqual(pool.allocate(), { rtp: 10006, rtcp: 10007 });
  assert.deepEqual(pool.allocate(), { rtp: 10002, rtcp: 10003 });
  assert.equal(pool.available, 0);
  assert.throws(
    () => pool.allocate(),
    (e: unknown) => e instanceof MediaPortsExhaustedError && e.code === 'SBC_ERR_MEDIA_PORTS' && e.range.min === 10001,
  );
  pool.free(10004);
  pool.free(10004);
  pool.free(12345);
  assert.equal(pool.available, 1);
  assert.equal(pool.isAllocated(10004), false);
  assert.deepEqual(pool.allocate(), { rtp: 10004, rtcp: 10005 });
});

const BAD: Array<[number, number]> = [
  [0, 100],
  [10000, 70000],
  [10001, 10001],
  [10000, 10000],
  [1.5, 100],
];
for (const [min, max] of BAD) {
  test(`PortPool refuses the range ${min}-${max}`, () => {
    assert.throws(() => new PortPool({ min, max }), RangeError);
  });
}
