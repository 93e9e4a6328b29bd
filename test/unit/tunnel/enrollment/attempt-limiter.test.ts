import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/core/index.js';
import { AttemptLimiter, addressKey, type LockoutPolicy } from '../../../../src/tunnel/index.js';

const POLICY: LockoutPolicy = { maxFailures: 4, windowMs: 60_000, lockoutMs: 300_000, baseDelayMs: 250, maxDelayMs: 600, maxTracked: 3 };

test('wrong keys are slowed down (the delay doubles up to the maximum), then the address is locked out', () => {
  const clock = new ManualClock();
  const limiter = new AttemptLimiter(clock, POLICY);
  const a = '127.0.0.2';
  assert.deepEqual(limiter.check(a), { locked: false });
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 250, lockedOut: false });
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 500, lockedOut: false });
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 600, lockedOut: false });
  assert.deepEqual(limiter.check(a), { locked: false });
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 0, lockedOut: true });
  assert.deepEqual(limiter.check(a), { locked: true, retryAfterMs: 300_000 });
  assert.deepEqual(limiter.check('127.0.0.3'), { locked: false }, 'another address is not affected');
  clock.advance(299_999);
  assert.deepEqual(limiter.check(a), { locked: true, retryAfterMs: 1 });
  clock.advance(1);
  assert.deepEqual(limiter.check(a), { locked: false });
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 250, lockedOut: false }, 'after a lockout the count starts again');
});

test('failures older than the window are forgotten; a success clears the address', () => {
  const clock = new ManualClock();
  const limiter = new AttemptLimiter(clock, POLICY);
  const a = '127.0.0.2';
  limiter.recordFailure(a);
  limiter.recordFailure(a);
  clock.advance(60_000);
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 250, lockedOut: false });
  limiter.recordFailure(a);
  limiter.recordSuccess(a);
  assert.deepEqual(limiter.recordFailure(a), { delayMs: 250, lockedOut: false });
});

test('tracking is bounded: the least recently seen address is evicted', () => {
  const limiter = new AttemptLimiter(new ManualClock(), POLICY);
  for (let i = 1; i <= 10; i++) limiter.recordFailure(`127.0.0.${i}`);
  assert.equal(limiter.tracked, 3);
});

test('addressKey groups IPv6 by /64 and unwraps IPv4-mapped addresses', () => {
  const table: Array<[string, string]> = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::7', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ];
  for (const [input, expected] of table) assert.equal(addressKey(input), expected, input);
});
