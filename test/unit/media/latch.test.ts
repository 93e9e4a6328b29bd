import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Latch, canonicalAddress, latchRuleFor, type LatchRule } from '../../../src/media/index.js';

const RULES: Array<[string, string | undefined, LatchRule]> = [
  ['203.0.113.5', undefined, 'sdp-ip'],
  ['127.0.0.1', undefined, 'sdp-ip'],
  ['192.168.1.20', '192.168.1.20', 'sdp-ip'], // a LAN phone seen from the LAN: its SDP is right
  ['192.168.1.20', '198.51.100.7', 'any'], // behind a NAT: the SDP address is useless
  ['10.0.0.9', undefined, 'any'],
  ['100.64.1.1', undefined, 'any'],
  ['0.0.0.0', undefined, 'any'],
  ['fd00::5', undefined, 'any'],
  ['2001:db8::5', undefined, 'sdp-ip'],
];
for (const [sdp, signaling, rule] of RULES) {
  test(`latch rule for SDP ${sdp} (SIP from ${signaling ?? '?'}) is ${rule}`, () => {
    assert.equal(latchRuleFor(sdp, signaling), rule);
  });
}

const from = (address: string, port: number) => ({ address, port, family: 'IPv4' as const });

test("'sdp-ip': latches on the SDP IP from any port, refuses other IPs, then sticks", () => {
  const latch = new Latch({ address: '203.0.113.5', port: 4000 }, 'sdp-ip', '198.51.100.1', 5000);
  assert.deepEqual(latch.target, { address: '203.0.113.5', port: 4000 });
  assert.equal(latch.accept(from('192.0.2.66', 4000), 0), 'rejected');
  assert.equal(latch.accept(from('203.0.113.5', 61234), 10), 'latched');
  assert.deepEqual(latch.target, { address: '203.0.113.5', port: 61234 });
  assert.equal(latch.accept(from('203.0.113.5', 61234), 20), 'accepted');
  assert.equal(latch.accept(from('203.0.113.5', 4000), 30), 'rejected', 'second port of the same IP while the first is alive');
  assert.equal(latch.accept(from('198.51.100.1', 4000), 40), 'rejected');
  // NAT rebinding: after 5 s of silence from the latched source a new allowed one may take over.
  assert.equal(latch.accept(from('198.51.100.1', 4002), 5020), 'latched', 'the SIP source IP is allowed too');
  assert.deepEqual(latch.latched, { address: '198.51.100.1', port: 4002 });
});

test("'any': the first source wins; nothing is sent before for a hold address or port 0", () => {
  const latch = new Latch({ address: '192.168.1.20', port: 4000 }, 'any', undefined, Number.POSITIVE_INFINITY);
  assert.equal(latch.accept(from('198.51.100.7', 33000), 0), 'latched');
  assert.equal(latch.accept(from('198.51.100.8', 33000), 1e9), 'rejected', 'never re-latches with an infinite hold-down');
  assert.equal(new Latch({ address: '0.0.0.0', port: 4000 }, 'any', undefined, 0).target, undefined);
  assert.equal(new Latch({ address: '192.0.2.1', port: 0 }, 'sdp-ip', undefined, 0).target, undefined);
  assert.equal(new Latch(undefined, 'sdp-ip', undefined, 0).accept(from('192.0.2.1', 1), 0), 'rejected');
});

const CANONICAL: Array<[string, string]> = [
  ['192.0.2.1', '192.0.2.1'],
  ['2001:DB8:0:0::1', '2001:db8::1'],
  ['2001:0db8::0001', '2001:db8::1'],
  ['::ffff:192.0.2.1', '192.0.2.1'],
  ['::1', '::1'],
  ['not:an:address:zz', 'not:an:address:zz'],
];
for (const [input, expected] of CANONICAL) {
  test(`canonicalAddress(${input}) is ${expected}`, () => {
    assert.equal(canonicalAddress(input), expected);
  });
}

test("'sdp-ip' matches an SDP IPv6 address however it is spelled, and IPv4-mapped sources", () => {
  const v6 = new Latch({ address: '2001:DB8:0::5', port: 4000 }, 'sdp-ip', undefined, 0);
  assert.equal(v6.accept({ address: '2001:db8::5', port: 5000, family: 'IPv6' }, 0), 'latched');
  const mapped = new Latch({ address: '192.0.2.9', port: 4000 }, 'sdp-ip', undefined, 0);
  assert.equal(mapped.accept({ address: '::ffff:192.0.2.9', port: 5000, family: 'IPv6' }, 0), 'latched');
});
