/**
 * The pcap writer (src/capture/pcap.ts): the global header's fields, IPv4 and IPv6 packets whose
 * IP and UDP checksums verify (RFC 1071: the sum over a correct header is all ones), addresses in
 * their usual spellings, refused inputs, times to the microsecond and the snap length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINKTYPE_RAW, PCAP_SNAPLEN, addressBytes, pcapGlobalHeader, pcapRecord, rawUdpPacket } from '../../../src/capture/index.js';

/** The one's complement sum, folded, of the buffers taken as one (0xffff when a checksum in them is right). */
function onesSum(parts: readonly Buffer[]): number {
  const all = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += (all[i]! << 8) | (all[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

test('the global header: magic a1b2c3d4 little-endian, version 2.4, snaplen 65535, LINKTYPE_RAW', () => {
  const h = pcapGlobalHeader();
  assert.equal(h.length, 24);
  assert.equal(h.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(h.readUInt16LE(4), 2);
  assert.equal(h.readUInt16LE(6), 4);
  assert.equal(h.readUInt32LE(16), PCAP_SNAPLEN);
  assert.equal(h.readUInt32LE(20), LINKTYPE_RAW);
});

test('an IPv4 datagram: header fields, IP checksum and UDP checksum verify', () => {
  const payload = Buffer.from('INVITE sip:102@x SIP/2.0\r\n\r\n');
  const p = rawUdpPacket({ timeMs: 0, source: { address: '192.168.1.21', port: 5060 }, destination: { address: '192.168.1.1', port: 5070 }, payload });
  assert.equal(p[0], 0x45);
  assert.equal(p.readUInt16BE(2), 20 + 8 + payload.length);
  assert.equal(p[9], 17);
  assert.deepEqual([...p.subarray(12, 16)], [192, 168, 1, 21]);
  assert.deepEqual([...p.subarray(16, 20)], [192, 168, 1, 1]);
  assert.equal(onesSum([p.subarray(0, 20)]), 0xffff, 'IPv4 header checksum');
  const udp = p.subarray(20);
  assert.equal(udp.readUInt16BE(0), 5060);
  assert.equal(udp.readUInt16BE(2), 5070);
  assert.equal(udp.readUInt16BE(4), 8 + payload.length);
  const pseudo = Buffer.concat([p.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
  assert.equal(onesSum([pseudo, udp]), 0xffff, 'UDP checksum');
  assert.deepEqual(udp.subarray(8), payload);
});

test('an IPv6 datagram (odd payload length): header fields and the mandatory UDP checksum verify', () => {
  const payload = Buffer.from('odd');
  const p = rawUdpPacket({ timeMs: 0, source: { address: 'fd00::21', port: 40000 }, destination: { address: '::1', port: 40002 }, payload });
  assert.equal(p[0]! >> 4, 6);
  assert.equal(p.readUInt16BE(4), 8 + 3);
  assert.equal(p[6], 17);
  const udp = p.subarray(40);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(udp.length);
  const pseudo = Buffer.concat([p.subarray(8, 40), len, Buffer.from([0, 0, 0, 17])]);
  assert.notEqual(udp.readUInt16BE(6), 0);
  assert.equal(onesSum([pseudo, udp]), 0xffff);
});

test('addresses in their usual spellings', () => {
  const cases: [string, string][] = [
    ['10.0.0.1', '0a000001'],
    ['::ffff:10.0.0.1', '0a000001'],
    ['::1', '00000000000000000000000000000001'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['2001:db8::8:800:200c:417a', '20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['::', '00000000000000000000000000000000'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ];
  for (const [text, hex] of cases) assert.equal(addressBytes(text).toString('hex'), hex, text);
});

test('refused: no IP address, or the two ends of different families', () => {
  const bad = ['', 'localhost', '256.1.1.1', '1.2.3', 'gg::1'];
  for (const text of bad) assert.throws(() => addressBytes(text), TypeError, text);
  assert.throws(() => rawUdpPacket({ timeMs: 0, source: { address: '10.0.0.1', port: 1 }, destination: { address: '::1', port: 2 }, payload: Buffer.alloc(0) }), /mixed address families/);
});

test('a record: seconds and microseconds of the time, lengths, and a packet cut to the snap length', () => {
  const small = pcapRecord({ timeMs: 1_700_000_000_123.456, source: { address: '10.0.0.1', port: 1 }, destination: { address: '10.0.0.2', port: 2 }, payload: Buffer.alloc(4) });
  assert.equal(small.readUInt32LE(0), 1_700_000_000);
  assert.equal(small.readUInt32LE(4), 123_456);
  assert.equal(small.readUInt32LE(8), 32);
  assert.equal(small.readUInt32LE(12), 32);
  assert.equal(small.length, 16 + 32);
  const big = pcapRecord({ timeMs: 0, source: { address: '10.0.0.1', port: 1 }, destination: { address: '10.0.0.2', port: 2 }, payload: Buffer.alloc(65_507) });
  assert.equal(big.readUInt32LE(8), PCAP_SNAPLEN);
  assert.equal(big.readUInt32LE(12), 65_535);
  assert.equal(big.length, 16 + PCAP_SNAPLEN);
});
