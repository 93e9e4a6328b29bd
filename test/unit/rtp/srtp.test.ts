/** SRTP protect/unprotect: both suites, interop with werift-rtp, rollover, replay, and the a=crypto reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpHeader, SrtpSession } from 'werift-rtp';
import { SrtpReceiver, SrtpSender, buildRtpPacket, estimateRoc, parseRtpHeader, type SrtpSuite } from '../../../src/rtp/index.js';
import { parseCryptoAttribute, serializeCryptoAttribute, unsupportedCryptoParams } from '../../../src/sdp/index.js';

const masterKey = Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex');
const masterSalt = Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex');
const material = (suite: SrtpSuite) => ({ suite, masterKey, masterSalt });
const rtp = (seq: number, payload = Buffer.from('audio payload 160')): Buffer =>
  buildRtpPacket({ payloadType: 0, marker: false, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xcafe0001 }, payload);

for (const [suite, tag] of [['AES_CM_128_HMAC_SHA1_80', 10], ['AES_CM_128_HMAC_SHA1_32', 4]] as const) {
  test(`${suite}: ${tag}-byte tag, header in the clear, payload encrypted, unprotect gives the packet back`, () => {
    const sender = new SrtpSender(material(suite));
    const receiver = new SrtpReceiver(material(suite));
    const plain = rtp(7);
    const srtp = sender.protect(plain);
    assert.equal(srtp.length, plain.length + tag);
    assert.deepEqual(srtp.subarray(0, 12), plain.subarray(0, 12));
    assert.notDeepEqual(srtp.subarray(12, plain.length), plain.subarray(12));
    assert.deepEqual(receiver.unprotect(srtp), plain);
    assert.deepEqual(receiver.counters, { unprotected: 1, authFailures: 0, replayed: 0, malformed: 0 });
  });
}

test('AES_CM_128_HMAC_SHA1_80 interoperates with werift-rtp both ways', () => {
  const session = new SrtpSession({ keys: { localMasterKey: masterKey, localMasterSalt: masterSalt, remoteMasterKey: masterKey, remoteMasterSalt: masterSalt }, profile: 1 });
  const sender = new SrtpSender(material('AES_CM_128_HMAC_SHA1_80'));
  const receiver = new SrtpReceiver(material('AES_CM_128_HMAC_SHA1_80'));
  for (const seq of [1, 2, 3, 500]) {
    const plain = rtp(seq);
    const ours = sender.protect(plain);
    const header = new RtpHeader({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xcafe0001, marker: false });
    const theirs = session.encrypt(plain.subarray(12), header);
    assert.deepEqual(ours, Buffer.from(theirs), `seq ${seq}: same SRTP bytes`);
    assert.deepEqual(receiver.unprotect(Buffer.from(theirs)), plain);
    assert.deepEqual(Buffer.from(session.decrypt(ours)), plain);
  }
});

test('the sequence number wraps: the ROC goes to 1 on both sides and packets still authenticate', () => {
  const sender = new SrtpSender(material('AES_CM_128_HMAC_SHA1_80'));
  const receiver = new SrtpReceiver(material('AES_CM_128_HMAC_SHA1_80'));
  const seqs = [65533, 65534, 65535, 0, 1, 2];
  for (const seq of seqs) assert.deepEqual(receiver.unprotect(sender.protect(rtp(seq))), rtp(seq), `seq ${seq}`);
  assert.equal(receiver.counters.unprotected, seqs.length);
  // A late packet from before the wrap (ROC 0) is still decrypted with the right ROC.
  const late = new SrtpSender(material('AES_CM_128_HMAC_SHA1_80'));
  late.protect(rtp(65530));
  assert.deepEqual(receiver.unprotect(late.protect(rtp(65532))), rtp(65532));
});

test('estimateRoc follows RFC 3711 Appendix A', () => {
  const rows: [number, number, number, number][] = [
    // s_l, ROC, SEQ → v
    [100, 0, 101, 0],
    [65500, 0, 10, 1],
    [10, 1, 65500, 0],
    [40000, 2, 39000, 2],
    [1000, 3, 40000, 2],
    [1000, 3, 20000, 3],
  ];
  for (const [sl, roc, seq, v] of rows) assert.equal(estimateRoc(sl, roc, seq), v, `s_l ${sl} roc ${roc} seq ${seq}`);
});

test('replayed and too-old packets are counted and dropped; out-of-order ones inside the window pass', () => {
  const sender = new SrtpSender(material('AES_CM_128_HMAC_SHA1_32'));
  const receiver = new SrtpReceiver(material('AES_CM_128_HMAC_SHA1_32'));
  const p = new Map<number, Buffer>();
  for (const seq of [1, 2, 3, 4, 100]) p.set(seq, sender.protect(rtp(seq)));
  const at = (seq: number): Buffer => p.get(seq) ?? assert.fail(`no packet ${seq}`);
  assert.ok(receiver.unprotect(at(1)));
  assert.ok(receiver.unprotect(at(3)));
  assert.ok(receiver.unprotect(at(2)), 'reordered, inside the window');
  assert.equal(receiver.unprotect(at(3)), undefined, 'replayed');
  assert.ok(receiver.unprotect(at(100)));
  assert.equal(receiver.unprotect(at(4)), undefined, '96 behind the highest: outside the 64-packet window');
  assert.deepEqual(receiver.counters, { unprotected: 4, authFailures: 0, replayed: 2, malformed: 0 });
});

test('wrong key, short packet and bad header are counted, never thrown', () => {
  const sender = new SrtpSender({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: Buffer.alloc(16, 1), masterSalt });
  const receiver = new SrtpReceiver(material('AES_CM_128_HMAC_SHA1_80'));
  assert.equal(receiver.unprotect(sender.protect(rtp(1))), undefined);
  assert.equal(receiver.unprotect(Buffer.alloc(15)), undefined);
  const badVersion = Buffer.alloc(40);
  assert.equal(receiver.unprotect(badVersion), undefined);
  assert.deepEqual(receiver.counters, { unprotected: 0, authFailures: 1, replayed: 0, malformed: 2 });
});

test('a bad master key or suite is an SrtpError', () => {
  assert.throws(() => new SrtpSender({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey: Buffer.alloc(15), masterSalt }), { code: 'SBC_ERR_SRTP' });
  assert.throws(() => new SrtpSender({ suite: 'AES_CM_128_HMAC_SHA1_80', masterKey, masterSalt: Buffer.alloc(12) }), { code: 'SBC_ERR_SRTP' });
  assert.throws(() => new SrtpReceiver({ suite: 'F8_128_HMAC_SHA1_80' as SrtpSuite, masterKey, masterSalt }), { code: 'SBC_ERR_SRTP' });
});

test('the header of a protected packet stays readable (payload type, marker, sequence)', () => {
  const srtp = new SrtpSender(material('AES_CM_128_HMAC_SHA1_80')).protect(rtp(42));
  assert.equal(parseRtpHeader(srtp.subarray(0, srtp.length - 10)).sequenceNumber, 42);
});

test('a=crypto: RFC 4568 §9.1 example line read and written back', () => {
  const line = '1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4';
  const c = parseCryptoAttribute(line);
  assert.equal(c.tag, 1);
  assert.equal(c.suite, 'AES_CM_128_HMAC_SHA1_80');
  assert.equal(c.keySalt.length, 30);
  assert.equal(c.lifetime, '2^20');
  assert.equal(c.mki, '1:4');
  assert.equal(serializeCryptoAttribute(c), line);
  assert.deepEqual(unsupportedCryptoParams(c), ['MKI 1:4']);
  assert.deepEqual(unsupportedCryptoParams(parseCryptoAttribute('2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj KDR=0')), []);
  assert.deepEqual(unsupportedCryptoParams(parseCryptoAttribute('2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj UNENCRYPTED_SRTP')), ['UNENCRYPTED_SRTP']);
});

const BAD_CRYPTO: readonly [string, string][] = [
  ['', 'tag'],
  ['x AES_CM_128_HMAC_SHA1_80 inline:AAAA', 'tag'],
  ['1234567890 AES_CM_128_HMAC_SHA1_80 inline:AAAA', 'tag'],
  ['1', 'without a suite'],
  ['1 AES_CM_128_HMAC_SHA1_80', 'without key parameters'],
  ['1 AES_CM_128_HMAC_SHA1_80 uri:http://x', 'not inline'],
  ['1 AES_CM_128_HMAC_SHA1_80 inline:!!!!', 'not base64'],
  ['1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^20|1:4|extra', 'more than'],
  ['1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:x', 'MKI'],
  ['1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|forever', 'lifetime'],
];

test('a=crypto: malformed lines are SdpParseErrors naming the fault', () => {
  for (const [value, says] of BAD_CRYPTO) {
    assert.throws(() => parseCryptoAttribute(value), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'SBC_ERR_SDP_PARSE' && e.message.includes(says), value);
  }
});
