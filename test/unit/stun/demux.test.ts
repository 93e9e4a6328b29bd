import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPacket, encodeStun, natVerdict, StunStreamFramer, StunDecodeError, type NatReport, type PacketKind } from '../../../src/stun/index.js';

const binding = encodeStun({ method: 1, messageClass: 'request', transactionId: Buffer.alloc(12, 3), attributes: [{ type: 'SOFTWARE', value: 'x' }] });
const classic = encodeStun({ method: 1, messageClass: 'request', transactionId: Buffer.alloc(16, 9), attributes: [] });
const badLength = Buffer.from(binding);
badLength.writeUInt16BE(6, 2);

const CASES: readonly [string, Buffer, PacketKind][] = [
  ['STUN Binding request', binding, 'stun'],
  ['classic RFC 3489 request', classic, 'stun'],
  ['STUN header whose length is not a multiple of 4', badLength, 'unknown'],
  ['first byte 0 but too short', Buffer.from([0, 1, 0]), 'unknown'],
  ['DTLS handshake (22)', Buffer.from([22, 0xfe, 0xfd, 0, 0]), 'dtls'],
  ['ZRTP (16)', Buffer.from([16, 0, 0, 0]), 'zrtp'],
  ['TURN channel (64)', Buffer.from([64, 0, 0, 4]), 'turn-channel'],
  ['RTP version 2 (0x80)', Buffer.from([0x80, 0, 0, 1]), 'rtp'],
  ['RTCP SR (0x81 200)', Buffer.from([0x81, 200, 0, 6]), 'rtp'],
  ['SIP request', Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n'), 'sip'],
  ['SIP response', Buffer.from('SIP/2.0 200 OK\r\n'), 'sip'],
  ['SIP keep-alive CRLF', Buffer.from('\r\n\r\n'), 'sip'],
  ['empty', Buffer.alloc(0), 'unknown'],
  ['byte 200', Buffer.from([200]), 'unknown'],
];

for (const [what, data, kind] of CASES) {
  test(`RFC 7983 demux: ${what} → ${kind}`, () => {
    assert.equal(classifyPacket(data), kind);
  });
}

test('stream framer: rejects a header that cannot start a STUN message', () => {
  const framer = new StunStreamFramer();
  assert.deepEqual(framer.push(binding.subarray(0, 3)), []);
  assert.equal(framer.buffered, 3);
  assert.deepEqual(framer.push(binding.subarray(3)), [binding]);
  assert.throws(() => framer.push(Buffer.from('INVITE ')), StunDecodeError);
});

const base: NatReport = {
  server: 's:1',
  mappedAddress: { family: 'IPv4', address: '203.0.113.5', port: 4000 },
  localAddress: { family: 'IPv4', address: '192.168.1.5', port: 4000 },
  natPresent: true,
  otherAddress: { family: 'IPv4', address: '198.51.100.2', port: 3479 },
  mapping: 'endpoint-independent',
  filtering: 'endpoint-independent',
  hairpin: false,
};

const VERDICTS: readonly [string, Partial<NatReport>, RegExp][] = [
  ['EIM + EIF', {}, /^Endpoint-independent mapping and filtering: remote phones can use STUN behind this router without port forwarding\.$/u],
  ['EIM + ADF', { filtering: 'address-dependent' }, /address-dependent filtering.*keep their registration alive/u],
  ['EIM + APDF', { filtering: 'address-and-port-dependent' }, /address-and-port-dependent filtering/u],
  ['ADM', { mapping: 'address-dependent' }, /^Address-dependent mapping .*symmetric.*TURN relay/u],
  ['APDM', { mapping: 'address-and-port-dependent' }, /^Address-and-port-dependent mapping/u],
  ['no NAT', { natPresent: false }, /^No NAT/u],
  ['no RFC 5780', { mapping: undefined, filtering: undefined }, /does not support RFC 5780/u],
];

for (const [what, change, expected] of VERDICTS) {
  test(`verdict for installers: ${what}`, () => {
    assert.match(natVerdict({ ...base, ...change }), expected);
  });
}
