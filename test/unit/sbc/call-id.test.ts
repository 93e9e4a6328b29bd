/** Call-ID per leg: sealed one way, opened the other, forged values never opened. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CallIdMapper, swapNamedCallIds } from '../../../src/sbc/call-id.js';

test('a phone Call-ID is sealed on the way up and opened on the way back (both legs of a branch-to-branch call meet)', () => {
  const m = new CallIdMapper();
  const up = m.swap('a84b4c76e66710@10.0.0.5');
  assert.doesNotMatch(up, /10\.0\.0\.5/);
  assert.match(up, /^sbc1-[A-Za-z0-9_-]+$/, 'a SIP word (RFC 3261 §25.1 callid)');
  assert.equal(m.swap(up), 'a84b4c76e66710@10.0.0.5');
  assert.equal(m.swap('a84b4c76e66710@10.0.0.5'), up, 'deterministic: retransmissions and later requests map alike');
});

test('a PBX Call-ID is sealed on the way down and opened on the way up', () => {
  const m = new CallIdMapper();
  const down = m.swap('3c26f6b1@203.0.113.9');
  assert.doesNotMatch(down, /203\.0\.113\.9/);
  assert.equal(m.swap(down), '3c26f6b1@203.0.113.9');
});

const notOurs: { name: string; value: string }[] = [
  { name: 'prefix only', value: 'sbc1-' },
  { name: 'too short', value: 'sbc1-AAAA' },
  { name: 'forged body', value: `sbc1-${Buffer.alloc(40, 7).toString('base64url')}` },
  { name: 'another agent\'s seal', value: new CallIdMapper().seal('x@10.0.0.5') },
];
for (const c of notOurs) {
  test(`not opened: ${c.name}`, () => {
    const m = new CallIdMapper();
    assert.equal(m.open(c.value), undefined);
    assert.notEqual(m.swap(c.value), c.value);
    assert.equal(m.swap(m.swap(c.value)), c.value);
  });
}

test('swap is its own inverse for any Call-ID', () => {
  const m = new CallIdMapper();
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }), (id) => m.swap(m.swap(id)) === id));
});

test('a short key is refused', () => {
  assert.throws(() => new CallIdMapper(Buffer.alloc(16)), RangeError);
});

test('Replaces, Join and a Refer-To with an embedded Replaces name the other side\'s Call-ID', () => {
  const m = new CallIdMapper();
  const swap = (id: string): string => m.swap(id);
  const out = swapNamedCallIds([
    { name: 'Replaces', value: '98asjd8@10.0.0.5;to-tag=12345;from-tag=54321' },
    { name: 'Join', value: 'j1@10.0.0.5;to-tag=a;from-tag=b' },
    { name: 'Refer-To', value: '<sip:1003@pbx.test?Replaces=425928%4010.0.0.5%3Bto-tag%3D7743%3Bfrom-tag%3D6472>' },
    { name: 'Call-ID', value: 'kept-here' },
  ], swap);
  assert.equal(out[0]?.value, `${m.swap('98asjd8@10.0.0.5')};to-tag=12345;from-tag=54321`);
  assert.equal(out[1]?.value, `${m.swap('j1@10.0.0.5')};to-tag=a;from-tag=b`);
  const embedded = /Replaces=([^>]*)>/.exec(out[2]?.value ?? '')?.[1] ?? '';
  assert.equal(decodeURIComponent(embedded), `${m.swap('425928@10.0.0.5')};to-tag=7743;from-tag=6472`);
  assert.doesNotMatch(JSON.stringify(out.slice(0, 3)), /10\.0\.0\.5|10%2E0/);
  assert.equal(out[3]?.value, 'kept-here', 'the Call-ID header itself is the caller\'s business');
  const back = swapNamedCallIds(out, swap);
  assert.equal(back[2]?.value, '<sip:1003@pbx.test?Replaces=425928%4010.0.0.5%3Bto-tag%3D7743%3Bfrom-tag%3D6472>');
  assert.equal(back[0]?.value, '98asjd8@10.0.0.5;to-tag=12345;from-tag=54321');
});
