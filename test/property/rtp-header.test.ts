import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RtpParseError, RtpStreamStats, classifyPacket, parseRtcpPackets, parseRtpHeader } from '../../src/rtp/index.js';

const header = fc.record({
  marker: fc.boolean(),
  payloadType: fc.nat(127),
  sequenceNumber: fc.nat(0xffff),
  timestamp: fc.nat(0xffffffff),
  ssrc: fc.nat(0xffffffff),
  csrcs: fc.array(fc.nat(0xffffffff), { maxLength: 15 }),
  extension: fc.option(fc.record({ profile: fc.nat(0xffff), words: fc.nat(4) }), { nil: undefined }),
  payload: fc.nat(200),
  padding: fc.nat(255),
});

test('parseRtpHeader reads back every field of a header built from them', () => {
  fc.assert(
    fc.property(header, (h) => {
      const ext = h.extension === undefined ? Buffer.alloc(0) : Buffer.alloc(4 + 4 * h.extension.words);
      if (h.extension !== undefined) {
        ext.writeUInt16BE(h.extension.profile, 0);
        ext.writeUInt16BE(h.extension.words, 2);
      }
      const fixed = Buffer.alloc(12 + 4 * h.csrcs.length);
      fixed[0] = 0x80 | (h.padding > 0 ? 0x20 : 0) | (h.extension !== undefined ? 0x10 : 0) | h.csrcs.length;
      fixed[1] = (h.marker ? 0x80 : 0) | h.payloadType;
      fixed.writeUInt16BE(h.sequenceNumber, 2);
      fixed.writeUInt32BE(h.timestamp, 4);
      fixed.writeUInt32BE(h.ssrc, 8);
      h.csrcs.forEach((c, i) => fixed.writeUInt32BE(c, 12 + 4 * i));
      const pad = Buffer.alloc(h.padding);
      if (h.padding > 0) pad[h.padding - 1] = h.padding;
      const packet = Buffer.concat([fixed, ext, Buffer.alloc(h.payload), pad]);
      const r = parseRtpHeader(packet);
      assert.deepEqual(
        [r.marker, r.payloadType, r.sequenceNumber, r.timestamp, r.ssrc, r.csrcs, r.extensionProfile, r.payloadLength, r.paddingLength],
        [h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc, h.csrcs, h.extension?.profile, h.payload, h.padding],
      );
    }),
  );
});

test('RTP and RTCP parsers throw nothing but RtpParseError; the classifier never throws', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const b = Buffer.from(bytes);
      classifyPacket(b);
      for (const parse of [parseRtpHeader, parseRtcpPackets]) {
        try {
          parse(b);
        } catch (error) {
          assert.ok(error instanceof RtpParseError, `unexpected ${String(error)}`);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('loss equals the packets left out of a sequential stream, across the 16-bit wrap', () => {
  fc.assert(
    fc.property(fc.nat(0xffff), fc.integer({ min: 3, max: 400 }), fc.array(fc.nat(1000), { maxLength: 40 }), (start, n, drops) => {
      // Keep the first two (probation) and the last packet so expected is n − 1 whatever is dropped.
      const dropped = new Set(drops.map((d) => 2 + (d % (n - 3 || 1))).filter((i) => i < n - 1));
      const stats = new RtpStreamStats();
      for (let i = 0; i < n; i++) {
        if (dropped.has(i)) continue;
        const b = Buffer.alloc(12);
        b[0] = 0x80;
        b.writeUInt16BE((start + i) & 0xffff, 2);
        b.writeUInt32BE(7, 8);
        stats.record(b, i * 20);
      }
      const s = stats.snapshot();
      assert.equal(s.expected, n - 1);
      assert.equal(s.lost, dropped.size);
      assert.equal(s.packets, n - dropped.size);
    }),
  );
});
