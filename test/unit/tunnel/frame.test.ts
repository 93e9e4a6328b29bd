import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Flag, FrameDecoder, FrameType, GoAwayReason, HEADER_SIZE, MAX_PAYLOAD, TunnelProtocolError,
  decodeFrame, decodeGoAway, decodeHello, decodeResume, decodeWindowUpdate, encodeFrame, encodeGoAway,
  encodeHello, encodeResume, encodeWindowUpdate, negotiateVersion, type GoAwayReasonCode,
} from '../../../src/tunnel/index.js';

function header(version: number, type: number, flags: number, id: number, length: number): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt8(version, 0);
  b.writeUInt8(type, 1);
  b.writeUInt16BE(flags, 2);
  b.writeUInt32BE(id, 4);
  b.writeUInt32BE(length, 8);
  return b;
}

test('a DATA frame encodes to the header of PROTOCOL.md, byte for byte', () => {
  const wire = encodeFrame({ version: 1, type: FrameType.DATA, flags: Flag.SYN | Flag.FIN, id: 0x01020304, payload: Buffer.from('ab') });
  assert.equal(wire.toString('hex'), '01000005' + '01020304' + '00000002' + '6162');
  const back = decodeFrame(wire);
  assert.deepEqual({ ...back, payload: back.payload.toString() }, { version: 1, type: FrameType.DATA, flags: 5, id: 0x01020304, payload: 'ab' });
});

const MALFORMED: ReadonlyArray<{ name: string; bytes: Buffer; reason: GoAwayReasonCode }> = [
  { name: 'length above MAX_PAYLOAD', bytes: header(1, FrameType.DATA, 0, 1, MAX_PAYLOAD + 1), reason: GoAwayReason.FRAME_TOO_LARGE },
  { name: 'length 2^32-1', bytes: header(1, FrameType.DATAGRAM, 0, 1, 0xffffffff), reason: GoAwayReason.FRAME_TOO_LARGE },
  { name: 'unknown type 8', bytes: header(1, 8, 0, 1, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'unknown type 255', bytes: header(1, 255, 0, 0, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'version 0', bytes: header(0, FrameType.DATA, 0, 1, 0), reason: GoAwayReason.UNSUPPORTED_VERSION },
  { name: 'version 2', bytes: header(2, FrameType.PING, Flag.SYN, 0, 8), reason: GoAwayReason.UNSUPPORTED_VERSION },
  { name: 'undefined flag bit on DATA', bytes: header(1, FrameType.DATA, 0x0010, 1, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'RST on DATAGRAM', bytes: header(1, FrameType.DATAGRAM, Flag.RST, 1, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'FIN on PING', bytes: header(1, FrameType.PING, Flag.FIN, 0, 8), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'any flag on GO_AWAY', bytes: header(1, FrameType.GO_AWAY, Flag.ACK, 0, 6), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'ACK on CONFIG', bytes: header(1, FrameType.CONFIG, Flag.ACK, 1, 4), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'stream id 0 on DATA', bytes: header(1, FrameType.DATA, 0, 0, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'channel id 0 on DATAGRAM', bytes: header(1, FrameType.DATAGRAM, 0, 0, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'non-zero id on HELLO', bytes: header(1, FrameType.HELLO, Flag.SYN, 3, 0), reason: GoAwayReason.PROTOCOL_ERROR },
  { name: 'non-zero id on GO_AWAY', bytes: header(1, FrameType.GO_AWAY, 0, 1, 6), reason: GoAwayReason.PROTOCOL_ERROR },
];

for (const c of MALFORMED) {
  test(`malformed header rejected before buffering: ${c.name}`, () => {
    const decoder = new FrameDecoder();
    assert.throws(() => decoder.push(c.bytes, () => assert.fail('no frame expected')), (e: unknown) => e instanceof TunnelProtocolError && e.code === 'SBC_ERR_TUNNEL_PROTOCOL' && e.reason === c.reason);
    assert.equal(decoder.buffered, 0, 'nothing buffered for a rejected header');
    // A failed decoder stays failed: the byte stream cannot be resynchronised.
    assert.throws(() => decoder.push(Buffer.alloc(0), () => {}), TunnelProtocolError);
  });
}

test('the decoder rejects an oversized Length with only the 12 header bytes in hand', () => {
  const decoder = new FrameDecoder();
  const h = header(1, FrameType.DATA, 0, 1, 10_000_000);
  decoder.push(h.subarray(0, 11), () => {});
  assert.equal(decoder.buffered, 11);
  assert.throws(() => decoder.push(h.subarray(11), () => {}), (e: unknown) => e instanceof TunnelProtocolError && e.reason === GoAwayReason.FRAME_TOO_LARGE);
});

test('control payloads round-trip', () => {
  const hello = { versions: [3, 1], capabilities: 7, identity: 'branch-paris', resumeToken: Buffer.alloc(32, 9), resumeWindow: 300 };
  assert.deepEqual(decodeHello(encodeHello(hello)), hello);
  const resume = { versions: [1], resumeToken: Buffer.alloc(32, 1), streams: [{ id: 1, receivedSeq: 17 }, { id: 4, receivedSeq: 0 }] };
  assert.deepEqual(decodeResume(encodeResume(resume)), resume);
  assert.deepEqual(decodeGoAway(encodeGoAway({ reason: GoAwayReason.REVOKED, message: 'revoked' })), { reason: GoAwayReason.REVOKED, message: 'revoked' });
  assert.deepEqual(decodeWindowUpdate(encodeWindowUpdate({ delta: 65_536, ackSeq: 12 })), { delta: 65_536, ackSeq: 12 });
  assert.equal(decodeGoAway(encodeGoAway({ reason: 77 as GoAwayReasonCode, message: '' })).reason, GoAwayReason.INTERNAL_ERROR);
});

const BAD_PAYLOADS: ReadonlyArray<{ name: string; decode: () => unknown }> = [
  { name: 'HELLO with an empty version list', decode: () => decodeHello(Buffer.from('00', 'hex')) },
  { name: 'HELLO cut short', decode: () => decodeHello(encodeHello({ versions: [1], capabilities: 0, identity: 'x', resumeToken: Buffer.alloc(0), resumeWindow: 0 }).subarray(0, 9)) },
  { name: 'HELLO with trailing bytes', decode: () => decodeHello(Buffer.concat([encodeHello({ versions: [1], capabilities: 0, identity: '', resumeToken: Buffer.alloc(0), resumeWindow: 0 }), Buffer.from([0])])) },
  { name: 'HELLO identity not UTF-8', decode: () => decodeHello(Buffer.from('0101' + '00000000' + '0001ff' + '0000' + '00000000', 'hex')) },
  { name: 'RESUME count larger than its entries', decode: () => decodeResume(Buffer.from('0101' + '0000' + 'ffffffff', 'hex')) },
  { name: 'WINDOW_UPDATE of 4 bytes', decode: () => decodeWindowUpdate(Buffer.alloc(4)) },
  { name: 'GO_AWAY message longer than its payload', decode: () => decodeGoAway(Buffer.from('00000000' + '0010' + '41', 'hex')) },
];

for (const c of BAD_PAYLOADS) {
  test(`malformed control payload: ${c.name}`, () => {
    assert.throws(c.decode, (e: unknown) => e instanceof TunnelProtocolError && e.reason === GoAwayReason.PROTOCOL_ERROR);
  });
}

test('version negotiation picks the highest common version', () => {
  assert.equal(negotiateVersion([3, 2, 1], [1, 2]), 2);
  assert.equal(negotiateVersion([1], [1]), 1);
  assert.equal(negotiateVersion([4, 5], [1, 2]), undefined);
});
