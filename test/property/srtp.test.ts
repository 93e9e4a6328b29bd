/** fast-check: SRTP protect → unprotect is the identity; any flipped bit is an authentication failure, counted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SrtpReceiver, SrtpSender, buildRtpPacket, type SrtpSuite } from '../../src/rtp/index.js';

const suite = fc.constantFrom<SrtpSuite>('AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32');
const keys = fc.record({ masterKey: fc.uint8Array({ minLength: 16, maxLength: 16 }), masterSalt: fc.uint8Array({ minLength: 14, maxLength: 14 }) });
const packet = fc.record({
  payloadType: fc.integer({ min: 0, max: 127 }),
  marker: fc.boolean(),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

function contexts(s: SrtpSuite, k: { masterKey: Uint8Array; masterSalt: Uint8Array }): { sender: SrtpSender; receiver: SrtpReceiver } {
  const m = { suite: s, masterKey: Buffer.from(k.masterKey), masterSalt: Buffer.from(k.masterSalt) };
  return { sender: new SrtpSender(m), receiver: new SrtpReceiver(m) };
}

test('protect then unprotect gives the packet back, for any keys, header fields and payload', () => {
  fc.assert(
    fc.property(suite, keys, fc.array(packet, { minLength: 1, maxLength: 5 }), (s, k, packets) => {
      const { sender, receiver } = contexts(s, k);
      for (const [i, p] of packets.entries()) {
        // One stream per packet (distinct SSRCs: the low 4 bits are the index), so each is the first of its stream.
        const plain = buildRtpPacket({ ...p, ssrc: ((p.ssrc & ~0xf) | i) >>> 0 }, Buffer.from(p.payload));
        assert.deepEqual(receiver.unprotect(sender.protect(plain)), plain);
      }
      assert.equal(receiver.counters.authFailures, 0);
    }),
  );
});

test('one flipped bit anywhere in a protected packet: dropped and counted as an auth failure (or malformed header), never thrown', () => {
  fc.assert(
    fc.property(suite, keys, packet, fc.nat(), (s, k, p, bitSeed) => {
      const { sender, receiver } = contexts(s, k);
      const srtp = sender.protect(buildRtpPacket(p, Buffer.from(p.payload)));
      const bit = bitSeed % (srtp.length * 8);
      const flipped = Buffer.from(srtp);
      flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
      assert.equal(receiver.unprotect(flipped), undefined);
      const c = receiver.counters;
      assert.equal(c.authFailures + c.malformed, 1);
      assert.equal(c.unprotected, 0);
    }),
  );
});

test('arbitrary bytes: unprotect never throws, every datagram is counted once', () => {
  fc.assert(
    fc.property(suite, keys, fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (s, k, datagrams) => {
      const { receiver } = contexts(s, k);
      for (const d of datagrams) assert.equal(receiver.unprotect(Buffer.from(d)), undefined);
      const c = receiver.counters;
      assert.equal(c.authFailures + c.malformed + c.replayed, datagrams.length);
    }),
  );
});
