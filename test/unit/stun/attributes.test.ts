import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteRangeError } from '../../../src/core/index.js';
import { addressBytes, decodeStun, encodeStun, getAttribute, StunDecodeError } from '../../../src/stun/index.js';

const ADDRESSES: readonly [string, string][] = [
  ['::', '00000000000000000000000000000000'],
  ['::1', '00000000000000000000000000000001'],
  ['2001:db8::1', '20010db8000000000000000000000001'],
  ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
  ['fe80:0:0:0:1:2:3:4', 'fe800000000000000001000200030004'],
];

for (const [text, hex] of ADDRESSES) {
  test(`IPv6 text ${text} → bytes`, () => {
    assert.equal(addressBytes({ family: 'IPv6', address: text, port: 0 }).toString('hex'), hex);
  });
}

const BAD: readonly [string, 'IPv4' | 'IPv6'][] = [
  ['1::2::3', 'IPv6'],
  ['1:2:3:4:5:6:7:8:9', 'IPv6'],
  ['12345::', 'IPv6'],
  ['256.1.1.1', 'IPv4'],
  ['1.2.3', 'IPv4'],
  ['::1', 'IPv4'],
];

for (const [text, family] of BAD) {
  test(`'${text}' is not an ${family} address`, () => {
    assert.throws(() => addressBytes({ family, address: text, port: 0 }), ByteRangeError);
  });
}

test('decoded IPv6 addresses are written the RFC 5952 way (longest zero run compressed)', () => {
  const bytes = encodeStun({ method: 1, messageClass: 'success', transactionId: Buffer.alloc(12), attributes: [{ type: 'XOR-MAPPED-ADDRESS', value: { family: 'IPv6', address: '2001:db8:0:0:1:0:0:0', port: 5 } }] });
  assert.equal(getAttribute(decodeStun(bytes), 'XOR-MAPPED-ADDRESS')?.value.address, '2001:db8:0:0:1::');
});

const MALFORMED: readonly [string, string, RegExp][] = [
  ['length not a multiple of 4', '00010002 2112a442 000000000000000000000000 0000', /not a multiple of 4/u],
  ['length past the end', '00010008 2112a442 000000000000000000000000 80220004', /does not match/u],
  ['first bits not zero', 'c0010000 2112a442 000000000000000000000000', /first two bits/u],
  ['attribute runs past the message', '00010004 2112a442 000000000000000000000000 00060010', /runs past/u],
  ['address family 3', '0101000c 2112a442 000000000000000000000000 00200008 00030000 00000000', /family 0x3/u],
  ['MESSAGE-INTEGRITY of 4 bytes', '00010008 2112a442 000000000000000000000000 00080004 00000000', /MESSAGE-INTEGRITY value is 4 bytes/u],
  ['attribute after FINGERPRINT', '0001000c 2112a442 000000000000000000000000 80280004 00000000 80220000', /after FINGERPRINT/u],
  ['ERROR-CODE class 7', '01110008 2112a442 000000000000000000000000 00090004 00000700', /ERROR-CODE class 7/u],
  ['header only 19 bytes', '00010000 2112a442 0000000000000000000000', /shorter than the 20-byte header/u],
];

for (const [what, hex, reason] of MALFORMED) {
  test(`decode error: ${what}`, () => {
    assert.throws(() => decodeStun(Buffer.from(hex.replaceAll(' ', ''), 'hex')), (error: unknown) => error instanceof StunDecodeError && reason.test(error.reason));
  });
}
