import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeStun, StunResponder, type TransportAddress } from '../../../src/stun/index.js';
import { isPlainBindingRequest, PlainBindingResponder } from '../../../src/stun/plain-binding.js';

function bindingRequest(tid: Buffer): Buffer {
  return encodeStun({ method: 0x001, messageClass: 'request', transactionId: tid, attributes: [] });
}

/** What the general path (decode, decide, encode) answers. */
function generalAnswer(raw: Buffer, source: TransportAddress, software: string | undefined): Buffer {
  const responder = new StunResponder({ software });
  const decision = responder.decide({ raw, source, transport: 'udp', ip: 0, port: 0, grid: [[{ family: 'IPv4', address: '127.0.0.1', port: 3478 }, undefined], [undefined, undefined]], now: 0 });
  assert.equal(decision.kind, 'respond');
  if (decision.kind !== 'respond') throw new Error('unreachable');
  return encodeStun(decision.message);
}

const SOURCES: TransportAddress[] = [
  { family: 'IPv4', address: '127.0.0.1', port: 40000 },
  { family: 'IPv4', address: '192.0.2.200', port: 1 },
  { family: 'IPv4', address: '255.255.255.255', port: 65535 },
  { family: 'IPv6', address: '::1', port: 5060 },
  { family: 'IPv6', address: '2001:db8::17:ff', port: 3478 },
];
const SOFTWARE = [undefined, 'x', 'sbc-agent 0.1.0', 'four'];
const TIDS = [Buffer.alloc(12), Buffer.from('0123456789ab'), Buffer.alloc(12, 0xff)];

test('the plain Binding answer is byte for byte the general path\'s, for every source, SOFTWARE and transaction ID', () => {
  let compared = 0;
  for (const software of SOFTWARE) {
    const plain = new PlainBindingResponder(software);
    for (const tid of TIDS) {
      for (const source of [...SOURCES, ...SOURCES]) {
        const raw = bindingRequest(tid);
        assert.equal(isPlainBindingRequest(raw), true);
        assert.deepEqual(plain.respond(raw, source), generalAnswer(raw, source, software), `${source.address}:${source.port} ${software ?? '-'}`);
        compared++;
      }
    }
  }
  assert.equal(compared, SOFTWARE.length * TIDS.length * SOURCES.length * 2);
});

const tid = Buffer.from('0123456789ab');
const NOT_PLAIN: Array<{ name: string; raw: Buffer }> = [
  { name: 'with an attribute', raw: encodeStun({ method: 0x001, messageClass: 'request', transactionId: tid, attributes: [{ type: 'SOFTWARE', value: 'a' }] }) },
  { name: 'with FINGERPRINT', raw: encodeStun({ method: 0x001, messageClass: 'request', transactionId: tid, attributes: [{ type: 'FINGERPRINT' }] }) },
  { name: 'RFC 3489 (no magic cookie)', raw: encodeStun({ method: 0x001, messageClass: 'request', transactionId: Buffer.alloc(16, 1), attributes: [] }) },
  { name: 'an indication', raw: encodeStun({ method: 0x001, messageClass: 'indication', transactionId: tid, attributes: [] }) },
  { name: 'a success response', raw: encodeStun({ method: 0x001, messageClass: 'success', transactionId: tid, attributes: [] }) },
  { name: 'another method', raw: encodeStun({ method: 0x002, messageClass: 'request', transactionId: tid, attributes: [] }) },
  { name: '19 bytes', raw: bindingRequest(tid).subarray(0, 19) },
  { name: '21 bytes', raw: Buffer.concat([bindingRequest(tid), Buffer.alloc(1)]) },
  { name: 'length field 4 on 20 bytes', raw: (() => { const b = bindingRequest(tid); b.writeUInt16BE(4, 2); return b; })() },
  { name: 'empty', raw: Buffer.alloc(0) },
];

for (const c of NOT_PLAIN) {
  test(`not a plain Binding request: ${c.name}`, () => {
    assert.equal(isPlainBindingRequest(c.raw), false);
  });
}
