import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpParseError, classifyPacket, isRtcpPacket, parseRtcpPackets, parseRtpHeader, type PacketClass } from '../../../src/rtp/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RTP header: a plain G.711 packet (RFC 3550 §5.1)', () => {
  const packet = Buffer.concat([hex('80 08 00 01  00 00 00 a0  de ad be ef'), Buffer.alloc(160, 0xd5)]);
  const h = parseRtpHeader(packet);
  assert.deepEqual(h, {
    version: 2,
    padding: false,
    extension: false,
    csrcCount: 0,
    marker: false,
    payloadType: 8,
    sequenceNumber: 1,
    timestamp: 160,
    ssrc: 0xdeadbeef,
    csrcs: [],
    extensionProfile: undefined,
    headerLength: 12,
    paddingLength: 0,
    payloadLength: 160,
  });
});

test('RTP header: marker, two CSRCs, a one-word extension and three bytes of padding', () => {
  const packet = hex('b2 e5 ff ff  00 01 00 00  11 22 33 44  00 00 00 01  00 00 00 02  be de 00 01  10 aa 00 00  01 02 03  00 00 03');
  const h = parseRtpHeader(packet);
  assert.deepEqual(
    [h.padding, h.extension, h.csrcCount, h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc],
    [true, true, 2, true, 101, 65535, 65536, 0x11223344],
  );
  assert.deepEqual(h.csrcs, [1, 2]);
  assert.equal(h.extensionProfile, 0xbede);
  assert.deepEqual([h.headerLength, h.paddingLength, h.payloadLength], [28, 3, 3]);
});

const BAD_RTP: Array<[string, string, number]> = [
  ['11 bytes', '80 00 00 01 00 00 00 00 00 00 00', 11],
  ['version 1', '40 00 00 01 00 00 00 00 00 00 00 01', 0],
  ['CC=15 with no CSRCs', '8f 00 00 01 00 00 00 00 00 00 00 01', 12],
  ['X set without an extension header', '90 00 00 01 00 00 00 00 00 00 00 01 be de', 12],
  ['extension longer than the packet', '90 00 00 01 00 00 00 00 00 00 00 01 be de 00 02 00 00 00 00', 14],
  ['padding count 0', 'a0 00 00 01 00 00 00 00 00 00 00 01 aa 00', 13],
  ['padding count past the header', 'a0 00 00 01 00 00 00 00 00 00 00 01 aa 05', 13],
];
for (const [name, bytes, at] of BAD_RTP) {
  test(`parseRtpHeader rejects: ${name}`, () => {
    assert.throws(
      () => parseRtpHeader(hex(bytes)),
      (e: unknown) => e instanceof RtpParseError && e.code === 'SBC_ERR_RTP_PARSE' && e.protocol === 'rtp' && e.at === at,
    );
  });
}

// SR (28 bytes) + SDES with one CNAME chunk (16 bytes) + BYE (8 bytes): RFC 3550 §6.1 compound.
const COMPOUND = hex(
  '80 c8 00 06  00 00 00 2a  e5 c0 00 00 00 00 00 00  00 00 00 a0  00 00 00 01  00 00 00 a0' +
    '81 ca 00 03  00 00 00 2a  01 02 61 62  00 00 00 00' +
    '81 cb 00 01  00 00 00 2a',
);

test('RTCP compound packet: SR, SDES, BYE with their lengths and SSRCs', () => {
  const packets = parseRtcpPackets(COMPOUND);
  assert.deepEqual(
    packets.map((p) => [p.typeName, p.packetType, p.count, p.byteLength, p.ssrc]),
    [
      ['SR', 200, 0, 28, 42],
      ['SDES', 202, 1, 16, 42],
      ['BYE', 203, 1, 8, 42],
    ],
  );
  assert.equal(isRtcpPacket(COMPOUND), true);
  assert.deepEqual(parseRtcpPackets(hex('80 c9 00 00')), [
    { version: 2, padding: false, count: 0, packetType: 201, typeName: 'RR', byteLength: 4, ssrc: undefined },
  ]);
});

const BAD_RTCP: Array<[string, Buffer, number]> = [
  ['empty', Buffer.alloc(0), 0],
  ['length past the end', hex('80 c8 00 06 00 00 00 2a'), 2],
  ['second packet with version 0', Buffer.concat([hex('80 c9 00 00'), hex('00 ca 00 00')]), 4],
  ['two trailing bytes', Buffer.concat([hex('80 c9 00 00'), hex('81 ca')]), 4],
];
for (const [name, bytes, at] of BAD_RTCP) {
  test(`parseRtcpPackets rejects: ${name}`, () => {
    assert.throws(() => parseRtcpPackets(bytes), (e: unknown) => e instanceof RtpParseError && e.protocol === 'rtcp' && e.at === at);
  });
}

const CLASSES: Array<[number[], PacketClass]> = [
  [[], 'unknown'],
  [[0, 1], 'stun'],
  [[3, 0], 'stun'],
  [[4, 0], 'unknown'],
  [[16, 0], 'zrtp'],
  [[19, 0], 'zrtp'],
  [[20, 0], 'dtls'],
  [[22, 3], 'dtls'],
  [[63, 0], 'dtls'],
  [[64, 0], 'turn-channel'],
  [[79, 0], 'turn-channel'],
  [[80, 0], 'unknown'],
  [[127, 0], 'unknown'],
  [[0x80], 'unknown'],
  [[0x80, 0x00], 'rtp'],
  [[0x80, 0x08], 'rtp'],
  [[0x80, 0xe5], 'rtp'], // marker + PT 101
  [[0x80, 0xbf], 'rtp'], // marker + PT 63
  [[0x80, 0xc0], 'rtcp'], // 192: RFC 5761 §4 range start
  [[0x81, 0xc8], 'rtcp'], // SR
  [[0x81, 0xcb], 'rtcp'], // BYE
  [[0x80, 0xdf], 'rtcp'], // 223: range end
  [[0x80, 0xe0], 'rtp'], // marker + PT 96
  [[0xbf, 0x00], 'rtp'],
  [[0xc0, 0x00], 'unknown'],
  [[0xff, 0x00], 'unknown'],
];
for (const [bytes, expected] of CLASSES) {
  test(`RFC 7983 classifier: [${bytes.join(', ')}] → ${expected}`, () => {
    assert.equal(classifyPacket(Buffer.from(bytes)), expected);
  });
}
