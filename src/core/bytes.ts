/**
 * Bounds-checked byte access. Every read checks the remaining length first and throws a
 * ByteRangeError that says where, so a codec never sees a RangeError or `undefined`.
 */
import { ByteRangeError } from './errors.js';

export class ByteReader {
  readonly #buf: Buffer;
  #offset: number;
  readonly #end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw new ByteRangeError(`window ${offset}..${end} outside buffer of ${buf.length}`, offset);
    }
    this.#buf = buf;
    this.#offset = offset;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #need(n: number, what: string): number {
    if (n < 0 || this.#end - this.#offset < n) {
      throw new ByteRangeError(`need ${n} bytes for ${what}, have ${this.#end - this.#offset}`, this.#offset);
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(what = 'u8'): number {
    return this.#buf.readUInt8(this.#need(1, what));
  }

  u16(what = 'u16'): number {
    return this.#buf.readUInt16BE(this.#need(2, what));
  }

  u32(what = 'u32'): number {
    return this.#buf.readUInt32BE(this.#need(4, what));
  }

  u64(what = 'u64'): bigint {
    return this.#buf.readBigUInt64BE(this.#need(8, what));
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    const at = this.#need(n, what);
    return this.#buf.subarray(at, at + n);
  }

  skip(n: number, what = 'padding'): void {
    this.#need(n, what);
  }

  /** A reader over the next n bytes that advances this reader past them. */
  sub(n: number, what = 'sub-block'): ByteReader {
    const at = this.#need(n, what);
    return new ByteReader(this.#buf, at, at + n);
  }

  peekU8(ahead = 0): number | undefined {
    const at = this.#offset + ahead;
    return at < this.#end ? this.#buf[at] : undefined;
  }
}

/** Appends big-endian fields to a growing buffer; values out of range throw. */
export class ByteWriter {
  #buf: Buffer;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    if (this.#length + n > this.#buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#length + n));
      this.#buf.copy(next, 0, 0, this.#length);
      this.#buf = next;
    }
    const at = this.#length;
    this.#length += n;
    return at;
  }

  #check(value: number, max: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new ByteRangeError(`${what} ${value} outside 0..${max}`, this.#length);
    }
  }

  u8(value: number): this {
    this.#check(value, 0xff, 'u8');
    const at = this.#reserve(1); // reserve first: it may replace #buf
    this.#buf.writeUInt8(value, at);
    return this;
  }

  u16(value: number): this {
    this.#check(value, 0xffff, 'u16');
    const at = this.#reserve(2); // reserve first: it may replace #buf
    this.#buf.writeUInt16BE(value, at);
    return this;
  }

  u32(value: number): this {
    this.#check(value, 0xffffffff, 'u32');
    const at = this.#reserve(4); // reserve first: it may replace #buf
    this.#buf.writeUInt32BE(value, at);
    return this;
  }

  u64(value: bigint): this {
    if (value < 0n || value > 0xffffffffffffffffn) throw new ByteRangeError(`u64 ${value} out of range`, this.#length);
    const at = this.#reserve(8); // reserve first: it may replace #buf
    this.#buf.writeBigUInt64BE(value, at);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.#reserve(data.length);
    this.#buf.set(data, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.#reserve(n);
    this.#buf.fill(0, at, at + n);
    return this;
  }

  /** Overwrites a u16 already written, e.g. a length field known only at the end. */
  patchU16(at: number, value: number): this {
    this.#check(value, 0xffff, 'u16');
    if (at < 0 || at + 2 > this.#length) throw new ByteRangeError(`patch at ${at} outside written bytes`, at);
    this.#buf.writeUInt16BE(value, at);
    return this;
  }

  patchU32(at: number, value: number): this {
    this.#check(value, 0xffffffff, 'u32');
    if (at < 0 || at + 4 > this.#length) throw new ByteRangeError(`patch at ${at} outside written bytes`, at);
    this.#buf.writeUInt32BE(value, at);
    return this;
  }

  /** The bytes written so far (a copy, so the writer may be reused). */
  toBuffer(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#length));
  }
}
