import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Flag, FrameDecoder, FrameType, MAX_PAYLOAD, TunnelProtocolError, encodeFrames, type Frame, type FrameTypeCode } from '../../src/tunnel/index.js';

const SESSION_TYPES: ReadonlySet<number> = new Set([FrameType.PING, FrameType.HELLO, FrameType.RESUME, FrameType.GO_AWAY]);
const FLAGS: Record<number, number> = {
  [FrameType.DATA]: 0xf, [FrameType.WINDOW_UPDATE]: 0xf, [FrameType.DATAGRAM]: Flag.SYN | Flag.ACK | Flag.FIN,
  [FrameType.PING]: Flag.SYN | Flag.ACK, [FrameType.HELLO]: Flag.SYN | Flag.ACK, [FrameType.RESUME]: Flag.SYN | Flag.ACK,
  [FrameType.CONFIG]: Flag.SYN | Flag.FIN, [FrameType.GO_AWAY]: 0,
};

const frameArb: fc.Arbitrary<Frame> = fc
  .record({
    type: fc.constantFrom(...Object.values(FrameType)),
    flagBits: fc.integer({ min: 0, max: 0xf }),
    id: fc.integer({ min: 1, max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: 300 }),
    big: fc.boolean(),
  })
  .map(({ type, flagBits, id, payload, big }) => ({
    version: 1,
    type: type as FrameTypeCode,
    flags: flagBits & (FLAGS[type] ?? 0),
    id: SESSION_TYPES.has(type) ? 0 : id,
    payload: big ? Buffer.alloc(MAX_PAYLOAD, payload[0] ?? 0) : Buffer.from(payload),
  }));

function decodeAll(chunks: readonly Buffer[]): Frame[] {
  const out: Frame[] = [];
  const decoder = new FrameDecoder();
  for (const c of chunks) decoder.push(c, (f) => out.push({ ...f, payload: Buffer.from(f.payload) }));
  assert.equal(decoder.buffered, 0);
  return out;
}

function split(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(buf.subarray(at, p));
    at = p;
  }
  chunks.push(buf.subarray(at));
  return chunks;
}

test('frames round-trip through encodeFrames and the streaming decoder', () => {
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 12 }), (frames) => {
    assert.deepEqual(decodeAll([encodeFrames(frames)]), frames);
  }), { numRuns: 200 });
});

test('the decoder yields the same frames however the bytes are chunked', () => {
  fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
    const wire = encodeFrames(frames);
    assert.deepEqual(decodeAll(split(wire, cuts)), frames);
    // One byte at a time, the worst case.
    if (wire.length < 4000) assert.deepEqual(decodeAll(split(wire, Array.from({ length: wire.length }, (_, i) => i))), frames);
  }), { numRuns: 150 });
});

test('arbitrary bytes never make the decoder throw anything but TunnelProtocolError', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
    const decoder = new FrameDecoder();
    try {
      for (const c of chunks) decoder.push(Buffer.from(c), () => {});
    } catch (error) {
      assert.ok(error instanceof TunnelProtocolError, String(error));
      assert.equal(error.code, 'SBC_ERR_TUNNEL_PROTOCOL');
    }
  }), { numRuns: 2000 });
});

test('valid headers followed by arbitrary bytes: only whole frames or TunnelProtocolError', () => {
  fc.assert(fc.property(frameArb, fc.uint8Array({ maxLength: 40 }), (frame, tail) => {
    const decoder = new FrameDecoder();
    const got: Frame[] = [];
    try {
      decoder.push(Buffer.concat([encodeFrames([frame]), tail]), (f) => got.push(f));
    } catch (error) {
      assert.ok(error instanceof TunnelProtocolError);
    }
    assert.equal(got[0]?.payload.length, frame.payload.length);
  }), { numRuns: 300 });
});
