import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerDirection,
  attributeValues,
  clockRates,
  fmtp,
  holdSdp,
  isOnHold,
  isPrivateAddress,
  isIPv6,
  mediaDirection,
  parseSdp,
  ptime,
  resumeSdp,
  rewriteSdp,
  serializeSdp,
  setMediaDirection,
  type SessionDescription,
} from '../../../src/sdp/index.js';
import { BARESIP_OFFER, SDP_VECTORS } from './sdp-vectors.js';

const ANCHOR = { media: [{ address: '203.0.113.10', port: 30000 }], origin: { username: 'sbc', address: '203.0.113.10' } } as const;

function originLine(sd: SessionDescription): string {
  return serializeSdp(sd).split('\r\n')[1] ?? '';
}

test('RFC 3264 §8: the o= version moves by one when the content changes, and only then', () => {
  const offer = parseSdp(BARESIP_OFFER);
  const first = rewriteSdp(offer, ANCHOR);
  assert.equal(originLine(first), 'o=sbc 482514582 588478215 IN IP4 203.0.113.10');

  // The same offer re-sent (a refresh, a retransmitted re-INVITE): same version.
  const again = rewriteSdp(offer, { ...ANCHOR, previous: first });
  assert.equal(originLine(again), 'o=sbc 482514582 588478215 IN IP4 203.0.113.10');

  // The phone moved its own port and bumped its version, but what this side sends is the
  // same anchored description: version unchanged.
  const moved = parseSdp(BARESIP_OFFER.replace('m=audio 19168', 'm=audio 19170').replace('588478215', '588478216'));
  const third = rewriteSdp(moved, { ...ANCHOR, previous: again });
  assert.equal(third.origin.sessionVersion, 588478215n);

  // Hold: content changed → +1, and the identity stays the one sent first.
  const held = rewriteSdp(holdSdp(moved, 'sendonly'), { ...ANCHOR, origin: { username: 'other', address: '198.51.100.1' }, previous: third });
  assert.equal(originLine(held), 'o=sbc 482514582 588478216 IN IP4 203.0.113.10');
  assert.equal(mediaDirection(held, 0), 'sendonly');

  // Resume: +1 again; resending the resume keeps it.
  const resumed = rewriteSdp(resumeSdp(held, '127.0.0.1'), { ...ANCHOR, previous: held });
  assert.equal(resumed.origin.sessionVersion, 588478217n);
  assert.equal(rewriteSdp(resumeSdp(held, '127.0.0.1'), { ...ANCHOR, previous: resumed }).origin.sessionVersion, 588478217n);

  // A codec change in a re-INVITE is a content change.
  const pcmaOnly = rewriteSdp(parseSdp(BARESIP_OFFER.replace('RTP/AVP 0 8 101', 'RTP/AVP 8 101')), { ...ANCHOR, previous: resumed });
  assert.equal(pcmaOnly.origin.sessionVersion, 588478218n);
});

test('ICE attributes are stripped by default and kept on request, at both levels', () => {
  const ice = SDP_VECTORS.find((v) => v.name.startsWith('ICE'));
  assert.ok(ice !== undefined);
  const sd = parseSdp(ice.text);
  const kept = rewriteSdp(sd, { ...ice.plan, ice: 'keep' });
  assert.equal(attributeValues(kept.media[0]?.attributes ?? [], 'candidate').length, 3);
  assert.deepEqual(kept.attributes, [{ name: 'ice-lite', value: undefined }]);
  assert.equal(attributeValues(kept.media[0]?.attributes ?? [], 'ice-pwd')[0], 'x9cml/YzichV2+XlhiMu8g');
  const stripped = rewriteSdp(sd, ice.plan);
  assert.deepEqual(stripped.attributes, []);
  assert.ok(!serializeSdp(stripped).includes('192.168.1.23'), 'no LAN address left');
});

test('a=rtcp: rewritten to the anchor, port + 1 by default, added only when the anchor RTCP port is not port + 1', () => {
  const base = ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0'];
  const withRtcp = parseSdp([...base, 'a=rtcp:4001', ''].join('\r\n'));
  const noRtcp = parseSdp([...base, ''].join('\r\n'));
  const rtcpOf = (sd: SessionDescription): string[] => attributeValues(sd.media[0]?.attributes ?? [], 'rtcp');
  assert.deepEqual(rtcpOf(rewriteSdp(withRtcp, { media: [{ address: '1.1.1.1', port: 6000 }] })), ['6001']);
  assert.deepEqual(rtcpOf(rewriteSdp(withRtcp, { media: [{ address: '1.1.1.1', port: 6000, rtcpPort: 7001 }] })), ['7001']);
  assert.deepEqual(rtcpOf(rewriteSdp(noRtcp, { media: [{ address: '1.1.1.1', port: 6000, rtcpPort: 6001 }] })), []);
  assert.deepEqual(rtcpOf(rewriteSdp(noRtcp, { media: [{ address: '1.1.1.1', port: 6000, rtcpPort: 7001 }] })), ['7001']);
});

test('anchoring: a section without a plan entry is left alone; a media c= is added when the session c= differs', () => {
  const two = parseSdp(
    ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 8', ''].join('\r\n'),
  );
  const out = rewriteSdp(two, { media: [undefined, { address: '1.1.1.1', port: 6000 }], sessionAddress: '2.2.2.2' });
  assert.deepEqual(out.connection, { netType: 'IN', addrType: 'IP4', address: '2.2.2.2' });
  assert.equal(out.media[0]?.port, 4000);
  assert.deepEqual(out.media[0]?.connections, [{ netType: 'IN', addrType: 'IP4', address: '10.0.0.1' }], 'keeps the address it inherited');
  assert.deepEqual(out.media[1]?.connections, [{ netType: 'IN', addrType: 'IP4', address: '1.1.1.1' }]);
  assert.equal(out.media[1]?.port, 6000);
  assert.equal(out.origin, two.origin, 'o= untouched without a plan origin');
});

test('direction helpers follow RFC 3264 §6.1 and §8.4', () => {
  assert.deepEqual(
    (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).map(answerDirection),
    ['sendrecv', 'recvonly', 'sendonly', 'inactive'],
  );
  const offer = parseSdp(BARESIP_OFFER);
  assert.equal(isOnHold(offer, 0), false);
  assert.equal(isOnHold(holdSdp(offer, 'inactive'), 0), true);
  assert.equal(mediaDirection(holdSdp(offer, 'inactive'), 0), 'inactive');
  const c0 = holdSdp(offer, 'c0');
  assert.equal(c0.connection?.address, '0.0.0.0');
  assert.equal(mediaDirection(c0, 0), 'sendrecv');
  assert.equal(isOnHold(c0, 0), true);
  const back = resumeSdp(c0, '192.0.2.7');
  assert.equal(back.connection?.address, '192.0.2.7');
  assert.equal(isOnHold(back, 0), false);
  // The direction replaces the old one in place: only that line differs.
  const a = serializeSdp(offer).split('\r\n');
  const b = serializeSdp(setMediaDirection(offer, 0, 'recvonly')).split('\r\n');
  assert.deepEqual(a.map((line, i) => (line === b[i] ? '' : `${line}→${b[i]}`)).filter(Boolean), ['a=sendrecv→a=recvonly']);
});

test('a session-level direction moves to the sections it still governs', () => {
  const sd = parseSdp(['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', 't=0 0', 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'm=video 4002 RTP/AVP 31', ''].join('\n'));
  const out = setMediaDirection(sd, 1, 'inactive');
  assert.deepEqual([mediaDirection(out, 0), mediaDirection(out, 1)], ['sendonly', 'inactive']);
  assert.deepEqual(out.attributes, []);
});

test('codec readings: rtpmap clock rates, fmtp, ptime', () => {
  const sd = parseSdp(BARESIP_OFFER);
  const m = sd.media[0];
  assert.ok(m !== undefined);
  assert.deepEqual([...clockRates(m)], [[0, 8000], [8, 8000], [101, 8000]]);
  assert.equal(fmtp(m, 101), '0-15');
  assert.equal(fmtp(m, 0), undefined);
  assert.equal(ptime(m), 20);
});

const PRIVATE: Array<[string, boolean]> = [
  ['10.1.2.3', true],
  ['172.16.0.1', true],
  ['172.32.0.1', false],
  ['192.168.255.1', true],
  ['100.64.0.1', true],
  ['100.128.0.1', false],
  ['169.254.1.1', true],
  ['0.0.0.0', true],
  ['127.0.0.1', false],
  ['203.0.113.1', false],
  ['fd00::1', true],
  ['fe80::1', true],
  ['2001:db8::1', false],
  ['::ffff:192.168.1.1', true],
  ['::1', false],
];
for (const [address, expected] of PRIVATE) {
  test(`isPrivateAddress(${address}) is ${expected}`, () => {
    assert.equal(isPrivateAddress(address), expected);
  });
}

test('isIPv6 accepts the usual forms and rejects the broken ones', () => {
  for (const good of ['::', '::1', '2001:db8::10', '2001:db8:0:0:0:0:0:1', 'fe80::1:2', '::ffff:1.2.3.4']) assert.ok(isIPv6(good), good);
  for (const bad of ['1.2.3.4', '2001:db8:::1', '1::2::3', '2001:db8:0:0:0:0:0:0:1', 'g::1', '12345::1']) assert.ok(!isIPv6(bad), bad);
});
