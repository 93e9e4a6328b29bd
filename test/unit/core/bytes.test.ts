import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteRangeError, ByteWriter } from '../../../src/core/index.js';

test('ByteWriter → ByteReader round-trips mixed fields', () => {
  fc.assert(
    fc.property(fc.nat(0xff), fc.nat(0xffff), fc.nat(0xffffffff), fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), fc.uint8Array({ maxLength: 64 }), (a, b, c, d, bytes) => {
      const buf = new ByteWriter(4).u8(a).u16(b).u32(c).u64(d).u16(bytes.length).bytes(bytes).toBuffer();
      const r = new ByteReader(buf);
      assert.equal(r.u8(), a);
      assert.equal(r.u16(), b);
      assert.equal(r.u32(), c);
      assert.equal(r.u64(), d);
      assert.deepEqual(new Uint8Array(r.bytes(r.u16())), bytes);
      assert.equal(r.remaining, 0);
    }),
  );
});

test('ByteReader never reads past its window: any read sequence throws only ByteRangeError', () => {
  const ops = fc.array(fc.constantFrom('u8', 'u16', 'u32', 'u64', 'bytes3', 'skip5'), { maxLength: 20 });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), ops, (data, list) => {
      const r = new ByteReader(Buffer.from(data));
      for (const op of list) {
        const before = r.offset;
        try {
          if (op === 'u8') r.u8();
          else if (op === 'u16') r.u16();
          else if (op === 'u32') r.u32();
          else if (op === 'u64') r.u64();
          else if (op === 'bytes3') r.bytes(3);
          else r.skip(5);
        } catch (error) {
          assert.ok(error instanceof ByteRangeError, `unexpected ${String(error)}`);
          assert.equal(error.at, before);
          assert.equal(r.offset, before, 'a failed read does not advance');
        }
      }
    }),
  );
});

const outOfRange: Array<[string, (w: ByteWriter) => void]> = [
  ['u8 256', (w) => w.u8(256)],
  ['u8 -1', (w) => w.u8(-1)],
  ['u16 65536', (w) => w.u16(65536)],
  ['u32 2^32', (w) => w.u32(2 ** 32)],
  ['u16 1.5', (w) => w.u16(1.5)],
  ['u64 -1', (w) => w.u64(-1n)],
  ['patch past end', (w) => w.patchU16(0, 1)],
];
for (const [name, write] of outOfRange) {
  test(`ByteWriter rejects ${name}`, () => {
    assert.throws(() => write(new ByteWriter()), (e: unknown) => e instanceof ByteRangeError && e.code === 'SBC_ERR_BYTES_RANGE');
  });
}

test('sub-reader is bounded and advances the parent', () => {
  const r = new ByteReader(Buffer.from([1, 2, 3, 4, 5]));
  const sub = r.sub(2);
  assert.equal(sub.u16(), 0x0102);
  assert.throws(() => sub.u8(), ByteRangeError);
  assert.equal(r.u8(), 3);
  assert.throws(() => new ByteReader(Buffer.alloc(2), 1, 3), ByteRangeError);
});
